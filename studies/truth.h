/* Studies with a truth (docs/studies.md, "Model against solver"): the study's one problem
 * is measured against a second problem's exact (or reference) gradient. For each point and
 * quantity, with g_N the computed gradient, g_conv the problem's converged gradient (exact,
 * or its reference solve) and g_truth the truth's:
 *   total  = |g_N - g_truth| / |g_truth|
 *   model  = |g_conv - g_truth| / |g_truth|    (one number per quantity)
 *   solver = |g_N - g_conv| / |g_truth|
 * so that total <= model + solver (the triangle inequality). */
#ifndef ADEIS_TRUTH_H
#define ADEIS_TRUTH_H

#include "study.h"
#include "files.h"

#include <stddef.h>

typedef struct adeis_truth_data {
  mpfr_prec_t prec;                   /* of the values below: the reference precision */
  size_t n[ADEIS_Q_COUNT], n_truth[ADEIS_Q_COUNT];   /* lengths of conv[q], truth[q] */
  mpfr_t *conv[ADEIS_Q_COUNT], *truth[ADEIS_Q_COUNT];
  mpfr_t truth_norm[ADEIS_Q_COUNT];
  double model[ADEIS_Q_COUNT];        /* |conv - truth| / |truth| */
  double conv_err[ADEIS_Q_COUNT], truth_err[ADEIS_Q_COUNT];  /* estimates; 0: exact */
  double floor[ADEIS_Q_COUNT];        /* reference floor of the solver errors (10x conv_err,
                                       * relative to |g_truth|) */
  size_t conv_steps, truth_steps;     /* the references' finest levels (0: exact) */
  int ready;
} adeis_truth_data;

/* The two converged gradients of a truth study (at its one grid and precision, through
 * adeis_grad_compute with its first method at its first step count, which yields the exact
 * values or the references; reference solves bounded by s->reference_steps).
 * Returns 0, ADEIS_EINPUT, ADEIS_ENUMERIC or ADEIS_ENOMEM; t is always safe to clear. */
int adeis_truth_solve(const adeis_study *s, adeis_truth_data *t);
void adeis_truth_clear(adeis_truth_data *t);

/* The solver and total errors of a run's gradients, in the study's quantity order. */
void adeis_truth_errors(const adeis_study *s, const adeis_truth_data *t,
                        const adeis_grad_result *res, double *solver, double *total);

/* The first step count index from which every solver error of the series stays below the
 * model error (solver[k] for k = 0..n-1); n when none. */
size_t adeis_truth_crossing(const double *solver, size_t n, double model);

/* split.csv (every point's three errors), split.md (the model error and, per series, the N
 * where the solver error falls below it) and hlines.csv (the model error as a line in the
 * figures, plots/study_info.c) into the folder b... written by the caller: these fill the
 * buffers. err and total are the points' n x n_quantities solver and total errors. */
void adeis_truth_split_csv(const adeis_study *s, const adeis_truth_data *t, const double *err,
                           const double *total, adeis_sbuf *b);
void adeis_truth_split_md(const adeis_study *s, const adeis_truth_data *t, const double *err,
                          const double *total, adeis_sbuf *b);
void adeis_truth_hlines(const adeis_study *s, const adeis_truth_data *t, adeis_sbuf *b);

#endif

/* Sweep points of a study: their canonical order, file names, rows and point files.
 *
 * A point is (problem, method, grid, state, precision, steps); its index runs in the
 * canonical order of errors.csv (problem slowest, steps fastest), each list in study-file
 * order. DIR/points/<key>.csv holds:
 *   # adeis study point: problem FILE fnv1a64 HASH
 *   ADEIS_ERRORS_HEADER
 *   one errors.csv row per quantity, in the study's quantity order
 * where HASH fingerprints the problem file's bytes, so editing a problem file makes its
 * old points stale (they are recomputed). */
#ifndef ADEIS_POINTS_H
#define ADEIS_POINTS_H

#include "../runs/grad.h"
#include "files.h"
#include "study.h"

#include <stddef.h>
#include <stdint.h>

typedef struct adeis_point {
  size_t problem, method, grid, state, precision, steps;  /* indices into the study */
} adeis_point;

size_t adeis_points_count(const adeis_study *s);
adeis_point adeis_point_at(const adeis_study *s, size_t index);

/* "<problem>.<method>.<grid>.<state>.<precision>.<ode|sde>.<steps>.csv" */
void adeis_point_file_name(const adeis_study *s, const adeis_point *p, char *buf, size_t n);

/* "problem=... method=... grid=... state=... precision=... sde=... N=..." for messages. */
void adeis_point_describe(const adeis_study *s, const adeis_point *p, char *buf, size_t n);

/* The first line of a point file for a problem file with this hash. */
void adeis_point_stamp(const adeis_study *s, const adeis_point *p, uint64_t hash, char *buf,
                       size_t n);

/* Append the point's rows (one per study quantity, each ending in '\n') to b. */
void adeis_point_rows(const adeis_study *s, const adeis_point *p, const adeis_grad_result *res,
                      adeis_sbuf *b);

/* A truth study's rows (docs/studies.md, "Model against solver"): one per study quantity
 * with the point's problem and the solver error solver[i], then one per quantity with the
 * problem name s->truth_name and the total error total[i] (i in the study's quantity order). */
void adeis_point_rows_truth(const adeis_study *s, const adeis_point *p,
                            const adeis_grad_result *res, const double *solver,
                            const double *total, adeis_sbuf *b);

/* Check a point file's text: stamp, header, one well-formed row per quantity with this point's
 * key fields (a truth study: then one per quantity with the truth's name), nothing else. On
 * success returns 0, *rows points at the first row inside text and err[q] holds the relative
 * errors in the study's quantity order (a truth study: the solver errors, and total[q], when
 * not NULL, the total errors). -1 when invalid. */
int adeis_point_parse(const adeis_study *s, const adeis_point *p, const char *stamp,
                      const char *text, const char **rows, double *err, double *total);

#endif

/* Studies with a truth (truth.h, docs/studies.md "Model against solver"). */
#include <stdio.h> /* before mpfr.h */

#include "truth.h"
#include "points.h"
#include "../core/status.h"
#include "../runs/reference.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RND MPFR_RNDN

static void clear_values(mpfr_t *a, size_t n)
{
  for (size_t i = 0; a && i < n; i++)
    mpfr_clear(a[i]);
  free(a);
}

/* v's elements at precision prec (exactly: prec is at least the storage precision). */
static mpfr_t *copy_values(const adeis_vec *v, mpfr_prec_t prec)
{
  mpfr_t *a = malloc((v->n + 1) * sizeof *a);
  for (size_t i = 0; a && i < v->n; i++) {
    mpfr_init2(a[i], prec);
    adeis_vec_get(a[i], v, i);
  }
  return a;
}

/* r = |x - y| (y NULL: |x|), rounded once at r's precision from a sum at prec + 32 bits. */
static void distance(mpfr_ptr r, mpfr_t *x, mpfr_t *y, size_t n, mpfr_prec_t prec)
{
  mpfr_t d, sum;
  mpfr_inits2(prec + 32, d, sum, (mpfr_ptr)0);
  mpfr_set_zero(sum, 1);
  for (size_t i = 0; i < n; i++) {
    if (y)
      mpfr_sub(d, x[i], y[i], RND);
    else
      mpfr_set(d, x[i], RND);
    mpfr_fma(sum, d, d, sum, RND);
  }
  mpfr_sqrt(r, sum, RND);
  mpfr_clears(d, sum, (mpfr_ptr)0);
}

/* |x - y| / |g_truth| (|x - y| when g_truth = 0), as a double. */
static double relative(const adeis_truth_data *t, int q, mpfr_t *x, mpfr_t *y)
{
  mpfr_t r;
  mpfr_init2(r, t->prec);
  distance(r, x, y, t->n[q], t->prec);
  if (!mpfr_zero_p(t->truth_norm[q]))
    mpfr_div(r, r, t->truth_norm[q], RND);
  double d = mpfr_get_d(r, RND);
  mpfr_clear(r);
  return d;
}

/* The converged gradient of spec: exact where its model has one, else its reference solve. */
static int converged(const adeis_study *s, const adeis_problem_spec *spec, mpfr_prec_t prec,
                     mpfr_t *out[ADEIS_Q_COUNT], size_t n[ADEIS_Q_COUNT], double err[ADEIS_Q_COUNT],
                     size_t *steps)
{
  adeis_problem pb;
  int rc = adeis_problem_build_on(spec, s->backend, s->precisions[0], &pb);
  if (rc)
    return rc;
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = s->methods[0].method->name;
  rq.steps = s->steps[0];
  rq.grid = s->grids[0];
  rq.state = adeis_study_state(s, 0, 0);
  rq.store = s->methods[0].store;
  rq.precision = s->precisions[0];
  rq.backend = s->backend;
  rq.sde = s->sde;
  for (size_t i = 0; i < s->n_quantities; i++)
    rq.quantities |= 1u << s->quantities[i];
  rq.spec = spec;
  rq.ref_max_steps = s->reference_steps;
  adeis_grad_result res;
  rc = adeis_grad_compute(&pb, &rq, &res);
  for (size_t i = 0; i < s->n_quantities && !rc; i++) {
    int q = s->quantities[i];
    const adeis_vec *v = res.exact[q] ? res.exact[q] : res.reference[q];
    if (!v) {
      adeis_set_error("%s: no exact %s gradient and no reference", spec->path,
                      adeis_quantity_names[q]);
      rc = ADEIS_ENUMERIC;
      break;
    }
    err[q] = res.exact[q] ? 0 : mpfr_get_d(res.reference_error[q], RND);
    n[q] = v->n;
    if (!(out[q] = copy_values(v, prec)))
      rc = ADEIS_ENOMEM;
  }
  *steps = res.reference_steps;
  adeis_grad_result_clear(&res);
  adeis_problem_clear(&pb);
  return rc;
}

int adeis_truth_solve(const adeis_study *s, adeis_truth_data *t)
{
  memset(t, 0, sizeof *t);
  t->prec = adeis_reference_precision(s->precisions[0]);
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    mpfr_init2(t->truth_norm[q], t->prec);
  t->ready = 1;
  int rc = converged(s, &s->truth->spec, t->prec, t->truth, t->n_truth, t->truth_err,
                     &t->truth_steps);
  if (!rc)
    rc = converged(s, &s->problems[0].spec, t->prec, t->conv, t->n, t->conv_err, &t->conv_steps);
  for (size_t i = 0; i < s->n_quantities && !rc; i++) {
    int q = s->quantities[i];
    if (t->n_truth[q] != t->n[q]) { /* the loader compared the dimensions */
      adeis_set_error("%s: %zu numbers in dL/d%s, the truth %zu", s->problems[0].path, t->n[q],
                      adeis_quantity_names[q], t->n_truth[q]);
      return ADEIS_EINPUT;
    }
    distance(t->truth_norm[q], t->truth[q], NULL, t->n[q], t->prec);
    t->model[q] = relative(t, q, t->conv[q], t->truth[q]);
    mpfr_t c;
    mpfr_init2(c, t->prec);
    distance(c, t->conv[q], NULL, t->n[q], t->prec);
    double scale = mpfr_zero_p(t->truth_norm[q]) ? 1 : mpfr_get_d(c, RND) /
                                                         mpfr_get_d(t->truth_norm[q], RND);
    t->floor[q] = ADEIS_REFERENCE_FLOOR_FACTOR * t->conv_err[q] * scale;
    mpfr_clear(c);
  }
  return rc;
}

void adeis_truth_clear(adeis_truth_data *t)
{
  if (!t->ready)
    return;
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    clear_values(t->conv[q], t->conv[q] ? t->n[q] : 0);
    clear_values(t->truth[q], t->truth[q] ? t->n_truth[q] : 0);
    mpfr_clear(t->truth_norm[q]);
  }
  memset(t, 0, sizeof *t);
}

void adeis_truth_errors(const adeis_study *s, const adeis_truth_data *t,
                        const adeis_grad_result *res, double *solver, double *total)
{
  for (size_t i = 0; i < s->n_quantities; i++) {
    int q = s->quantities[i];
    const adeis_vec *g = res->grad[q];
    mpfr_t *x = g && g->n == t->n[q] ? copy_values(g, t->prec) : NULL;
    solver[i] = x ? relative(t, q, x, t->conv[q]) : NAN;
    total[i] = x ? relative(t, q, x, t->truth[q]) : NAN;
    clear_values(x, x ? t->n[q] : 0);
  }
}

size_t adeis_truth_crossing(const double *solver, size_t n, double model)
{
  size_t k = n;
  while (k > 0 && solver[k - 1] < model)
    k--;
  return k;
}

/* ---- the files ---- */

/* Index of point (method m, state st, steps k) in a truth study (one problem, grid and
 * precision). */
static size_t point_index(const adeis_study *s, size_t m, size_t st, size_t k)
{
  return (m * s->n_states + st) * s->n_steps + k;
}

void adeis_truth_split_csv(const adeis_study *s, const adeis_truth_data *t, const double *err,
                           const double *total, adeis_sbuf *b)
{
  adeis_sbuf_printf(b, "problem,truth,method,grid,state,precision,sde,steps,quantity,total,"
                       "model,solver\n");
  size_t nq = s->n_quantities;
  for (size_t m = 0; m < s->n_methods; m++)
    for (size_t st = 0; st < s->n_states; st++)
      for (size_t k = 0; k < s->n_steps; k++)
        for (size_t i = 0; i < nq; i++) {
          size_t p = point_index(s, m, st, k);
          int q = s->quantities[i];
          adeis_sbuf_printf(b, "%s,%s,%s,%s,%s,%ld,%d,%zu,%s,%.17e,%.17e,%.17e\n",
                            s->problems[0].name, s->truth->name, s->methods[m].label,
                            adeis_grid_name(s->grids[0]),
                            adeis_state_name(adeis_study_state(s, m, st)), s->precisions[0],
                            s->sde, s->steps[k], adeis_quantity_names[q], total[p * nq + i],
                            t->model[q], err[p * nq + i]);
        }
}

static const char *kind_of(double err) { return err == 0 ? "exact" : "reference solve"; }

static void md_source(adeis_sbuf *b, const char *what, double err, size_t steps)
{
  if (err == 0)
    adeis_sbuf_printf(b, "%s: exact", what);
  else
    adeis_sbuf_printf(b, "%s: reference solve, finest level %zu steps, estimated relative "
                         "error %.1e", what, steps, err);
}

/* "N" of the crossing index x, or that there is none. */
static void md_crossing(const adeis_study *s, size_t x, adeis_sbuf *b)
{
  if (x < s->n_steps)
    adeis_sbuf_printf(b, " %zu |", s->steps[x]);
  else
    adeis_sbuf_printf(b, " not for N <= %zu |", s->steps[s->n_steps - 1]);
}

static void md_crossing_table(const adeis_study *s, const adeis_truth_data *t, int q, size_t i,
                              const double *err, const double *total, adeis_sbuf *b)
{
  size_t nq = s->n_quantities, last = s->n_steps - 1;
  adeis_sbuf_printf(b, "| method | state | solver < model from N | solver < model/10 from N "
                       "| total at N = %zu | total / model at N = %zu |\n|---|---|---|---|---|"
                       "---|\n", s->steps[last], s->steps[last]);
  double *e = malloc(s->n_steps * sizeof *e);
  for (size_t m = 0; e && m < s->n_methods; m++)
    for (size_t st = 0; st < s->n_states; st++) {
      for (size_t k = 0; k < s->n_steps; k++)
        e[k] = err[point_index(s, m, st, k) * nq + i];
      double tl = total[point_index(s, m, st, last) * nq + i];
      adeis_sbuf_printf(b, "| %s | %s |", s->methods[m].label,
                        adeis_state_name(adeis_study_state(s, m, st)));
      md_crossing(s, adeis_truth_crossing(e, s->n_steps, t->model[q]), b);
      md_crossing(s, adeis_truth_crossing(e, s->n_steps, t->model[q] / 10), b);
      adeis_sbuf_printf(b, " %.2e | %.3f |\n", tl, t->model[q] > 0 ? tl / t->model[q] : NAN);
    }
  free(e);
}

static void md_error_table(const adeis_study *s, size_t i, const double *err,
                           const double *total, adeis_sbuf *b)
{
  size_t nq = s->n_quantities;
  adeis_sbuf_printf(b, "\nTotal error (solver error) against N:\n\n| N |");
  for (size_t m = 0; m < s->n_methods; m++)
    for (size_t st = 0; st < s->n_states; st++)
      adeis_sbuf_printf(b, " %s%s%s |", s->methods[m].label, s->n_states > 1 ? " " : "",
                        s->n_states > 1 ? adeis_state_name(adeis_study_state(s, m, st)) : "");
  adeis_sbuf_printf(b, "\n|---|");
  for (size_t j = 0; j < s->n_methods * s->n_states; j++)
    adeis_sbuf_printf(b, "---|");
  adeis_sbuf_printf(b, "\n");
  for (size_t k = 0; k < s->n_steps; k++) {
    adeis_sbuf_printf(b, "| %zu |", s->steps[k]);
    for (size_t m = 0; m < s->n_methods; m++)
      for (size_t st = 0; st < s->n_states; st++) {
        size_t p = point_index(s, m, st, k) * nq + i;
        adeis_sbuf_printf(b, " %.2e (%.2e) |", total[p], err[p]);
      }
    adeis_sbuf_printf(b, "\n");
  }
}

void adeis_truth_split_md(const adeis_study *s, const adeis_truth_data *t, const double *err,
                          const double *total, adeis_sbuf *b)
{
  adeis_sbuf_printf(b, "# %s: model error against solver error\n\n", s->name);
  adeis_sbuf_printf(b, "The problem `%s` measured against the truth `%s` (%ld bits, grid %s, %s "
                       "adjoint), written by adeis (docs/studies.md, \"Model against solver\"). "
                       "g_N is the gradient computed with N steps, g_conv the problem's converged "
                       "gradient (%s), g_truth the truth's (%s); every error is relative to "
                       "|g_truth|: total = |g_N - g_truth|, model = |g_conv - g_truth|, solver = "
                       "|g_N - g_conv|, so |model - solver| <= total <= model + solver. From the "
                       "N where the solver error stays below the model error, the model error "
                       "dominates; from the N where it stays below a tenth of it, the total is "
                       "within 10%% of the model error and more steps change nothing that "
                       "matters.\n",
                    s->problems[0].name, s->truth->name, s->precisions[0],
                    adeis_grid_name(s->grids[0]), s->sde ? "SDE" : "ODE",
                    kind_of(t->conv_err[s->quantities[0]]),
                    kind_of(t->truth_err[s->quantities[0]]));
  for (size_t i = 0; i < s->n_quantities; i++) {
    int q = s->quantities[i];
    adeis_sbuf_printf(b, "\n## dL/d%s\n\nModel error **%.3e** (", adeis_quantity_names[q],
                      t->model[q]);
    md_source(b, "g_conv", t->conv_err[q], t->conv_steps);
    adeis_sbuf_printf(b, "; ");
    md_source(b, "g_truth", t->truth_err[q], t->truth_steps);
    adeis_sbuf_printf(b, ").");
    if (t->floor[q] > 0)
      adeis_sbuf_printf(b, " Solver errors under %.1e (10x the estimate of g_conv) are not "
                           "resolved; the order fits leave them out.", t->floor[q]);
    adeis_sbuf_printf(b, "\n\n");
    md_crossing_table(s, t, q, i, err, total, b);
    md_error_table(s, i, err, total, b);
  }
}

void adeis_truth_hlines(const adeis_study *s, const adeis_truth_data *t, adeis_sbuf *b)
{
  adeis_sbuf_printf(b, "quantity,value,label\n");
  for (size_t i = 0; i < s->n_quantities; i++) {
    int q = s->quantities[i];
    adeis_sbuf_printf(b, "%s,%.17e,model error (converged %s against %s)\n",
                      adeis_quantity_names[q], t->model[q], s->problems[0].name,
                      s->truth->name);
  }
}

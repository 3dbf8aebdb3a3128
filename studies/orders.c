/* Observed orders of convergence: marks, local orders and the least-squares fit (orders.h). */
#include "orders.h"
#include "../core/status.h"

#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *adeis_order_mark_name(adeis_order_mark m)
{
  switch (m) {
  case ADEIS_ORDER_USED: return "used";
  case ADEIS_ORDER_PRE: return "pre-asymptotic";
  case ADEIS_ORDER_FLOOR: return "floor";
  case ADEIS_ORDER_REF_FLOOR: return "reference-floor";
  default: return "nan";
  }
}

void adeis_order_fit_clear(adeis_order_fit *fit)
{
  free(fit->mark);
  free(fit->local);
  memset(fit, 0, sizeof *fit);
}

static int usable(double e) { return isfinite(e) && e > 0; }

static double local_order(double N0, double e0, double N1, double e1)
{
  if (!usable(e0) || !usable(e1))
    return NAN;
  return log(e0 / e1) / log(N1 / N0);
}

/* Step 1 and the hard floors of step 2. */
static void mark_nan_and_floor(const double *e, size_t n, double floor, double ref_floor,
                               adeis_order_fit *fit)
{
  for (size_t i = 0; i < n; i++) {
    if (isnan(e[i]) || isinf(e[i]) || e[i] < 0)
      fit->mark[i] = ADEIS_ORDER_NAN;
    else if (e[i] <= floor)
      fit->mark[i] = ADEIS_ORDER_FLOOR;
    else if (e[i] <= ref_floor)
      fit->mark[i] = ADEIS_ORDER_REF_FLOOR;
    else
      fit->mark[i] = ADEIS_ORDER_USED;
  }
}

/* The previous point (before i) still in use, or n when there is none. */
static size_t prev_used(const adeis_order_fit *fit, size_t i)
{
  while (i-- > 0)
    if (fit->mark[i] == ADEIS_ORDER_USED)
      return i;
  return fit->n;
}

/* Step 2, the plateau: a roundoff floor shows as errors that stop decreasing deep in the digits. */
static void mark_plateau(const double *N, const double *e, double deep, adeis_order_fit *fit)
{
  double level = 0;
  size_t i = fit->n;
  while (i-- > 0) {
    if (fit->mark[i] != ADEIS_ORDER_USED)
      continue;
    size_t p = prev_used(fit, i);
    if (p == fit->n || e[i] >= deep || local_order(N[p], e[p], N[i], e[i]) >= ADEIS_ORDER_PLATEAU_SLOPE)
      break;
    fit->mark[i] = ADEIS_ORDER_FLOOR;
    level = fmax(level, e[i]);
  }
  for (size_t j = 0; j < fit->n && level > 0; j++)
    if (fit->mark[j] == ADEIS_ORDER_USED && e[j] < ADEIS_ORDER_PLATEAU_MARGIN * level)
      fit->mark[j] = ADEIS_ORDER_FLOOR;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, size_t k)
{
  qsort(v, k, sizeof *v, cmp_double);
  return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

/* Step 3: the asymptotic range is the longest tail whose local orders all lie within pre_tol
 * of the tail's median; the points before it are pre-asymptotic. idx: the points in use. */
static void mark_pre_asymptotic(const double *N, const double *e, const size_t *idx, size_t m,
                                double pre_tol, adeis_order_fit *fit)
{
  if (m <= ADEIS_ORDER_MIN_POINTS)
    return;
  double tail[3];
  size_t k = 0;
  for (size_t j = m - 1; j-- > 0 && k < 3;)
    tail[k++] = local_order(N[idx[j]], e[idx[j]], N[idx[j + 1]], e[idx[j + 1]]);
  double ref = median(tail, k);
  size_t start = 0;
  for (size_t j = 0; j + 1 < m; j++) {
    double q = local_order(N[idx[j]], e[idx[j]], N[idx[j + 1]], e[idx[j + 1]]);
    if (!(fabs(q - ref) <= pre_tol))
      start = j + 1;
  }
  if (start > m - ADEIS_ORDER_MIN_POINTS)
    start = m - ADEIS_ORDER_MIN_POINTS;
  for (size_t j = 0; j < start; j++)
    fit->mark[idx[j]] = ADEIS_ORDER_PRE;
}

/* Step 4. */
static int fit_used(const double *N, const double *e, adeis_order_fit *fit)
{
  fit->fitted = fit->se = NAN;
  double *x = malloc((fit->n + 1) * sizeof *x), *y = malloc((fit->n + 1) * sizeof *y);
  if (!x || !y) {
    free(x);
    free(y);
    return ADEIS_ENOMEM;
  }
  size_t k = 0;
  for (size_t i = 0; i < fit->n; i++)
    if (fit->mark[i] == ADEIS_ORDER_USED) {
      x[k] = log(N[i]);
      y[k++] = log(e[i]);
    }
  fit->used = k;
  if (k >= 2) {
    double c0, c1, cov00, cov01, cov11, sumsq;
    gsl_fit_linear(x, 1, y, 1, k, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
    fit->fitted = -c1;
    if (k >= ADEIS_ORDER_MIN_POINTS)
      fit->se = sqrt(cov11);
  }
  free(x);
  free(y);
  return ADEIS_OK;
}

static int check_steps(const double *N, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!(N[i] > 0) || (i > 0 && !(N[i] > N[i - 1]))) {
      adeis_set_error("order estimate: step counts must be positive and increasing");
      return ADEIS_EINPUT;
    }
  return ADEIS_OK;
}

int adeis_order_estimate(const double *N, const double *e, size_t n, long bits, double scale,
                         double pre_tol, adeis_order_fit *fit)
{
  return adeis_order_estimate_ref(N, e, n, bits, scale, pre_tol, 0.0, fit);
}

int adeis_order_estimate_ref(const double *N, const double *e, size_t n, long bits, double scale,
                             double pre_tol, double ref_floor, adeis_order_fit *fit)
{
  memset(fit, 0, sizeof *fit);
  fit->fitted = fit->se = NAN;
  int rc = check_steps(N, n);
  if (rc)
    return rc;
  fit->n = n;
  fit->mark = calloc(n + 1, sizeof *fit->mark);
  fit->local = calloc(n + 1, sizeof *fit->local);
  size_t *idx = calloc(n + 1, sizeof *idx);
  if (!fit->mark || !fit->local || !idx) {
    free(idx);
    return ADEIS_ENOMEM;
  }
  for (size_t i = 0; i < n; i++)
    fit->local[i] = i + 1 < n ? local_order(N[i], e[i], N[i + 1], e[i + 1]) : NAN;
  mark_nan_and_floor(e, n, 1e3 * ldexp(scale, (int)-bits), ref_floor, fit);
  mark_plateau(N, e, ldexp(scale, (int)-(bits / 2)), fit);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (fit->mark[i] == ADEIS_ORDER_USED)
      idx[m++] = i;
  mark_pre_asymptotic(N, e, idx, m, pre_tol, fit);
  free(idx);
  return fit_used(N, e, fit);
}

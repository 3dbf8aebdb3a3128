/* Double-precision storage. Coefficients are rounded to double once per call. */
#include "backend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define D(v) ((double *)(v)->data)
#define CD(v) ((const double *)(v)->data)

static int dbl_alloc(adeis_vec *v)
{
  v->data = calloc(v->n ? v->n : 1, sizeof(double));
  return v->data ? 0 : -1;
}

static void dbl_free(adeis_vec *v) { free(v->data); }

static void dbl_copy(adeis_vec *y, const adeis_vec *x)
{
  if (x->be->ops == y->be->ops) {
    memcpy(y->data, x->data, x->n * sizeof(double));
    return;
  }
  mpfr_t r;
  mpfr_init2(r, x->be->prec);
  for (size_t i = 0; i < x->n; i++) {
    x->be->ops->get(r, x, i);
    D(y)[i] = mpfr_get_d(r, MPFR_RNDN);
  }
  mpfr_clear(r);
}

/* v - v is 0 for finite v and NaN otherwise: a branch-free finiteness flag in the same pass */
__attribute__((target_clones("avx2", "default")))
static int dbl_lincomb(adeis_vec *y, size_t k, mpfr_srcptr const c[], const adeis_vec *const x[])
{
  double *restrict out = D(y);
  size_t n = y->n;
  int bad = 0;
  if (k == 1) {
    double a = mpfr_get_d(c[0], MPFR_RNDN);
    const double *x0 = CD(x[0]);
    for (size_t i = 0; i < n; i++) {
      double v = a * x0[i];
      out[i] = v;
      bad |= !(v - v == 0);
    }
  } else if (k == 2) {
    double a = mpfr_get_d(c[0], MPFR_RNDN), b = mpfr_get_d(c[1], MPFR_RNDN);
    const double *x0 = CD(x[0]), *x1 = CD(x[1]);
    for (size_t i = 0; i < n; i++) {
      double v = a * x0[i] + b * x1[i];
      out[i] = v;
      bad |= !(v - v == 0);
    }
  } else if (k == 3) {
    double a = mpfr_get_d(c[0], MPFR_RNDN), b = mpfr_get_d(c[1], MPFR_RNDN);
    double e = mpfr_get_d(c[2], MPFR_RNDN);
    const double *x0 = CD(x[0]), *x1 = CD(x[1]), *x2 = CD(x[2]);
    for (size_t i = 0; i < n; i++) {
      double v = a * x0[i] + b * x1[i] + e * x2[i];
      out[i] = v;
      bad |= !(v - v == 0);
    }
  } else {
    double *cd = malloc(k * sizeof *cd);
    if (!cd)
      abort();
    for (size_t j = 0; j < k; j++)
      cd[j] = mpfr_get_d(c[j], MPFR_RNDN);
    for (size_t i = 0; i < n; i++) {
      double v = 0.0;
      for (size_t j = 0; j < k; j++)
        v += cd[j] * CD(x[j])[i];
      out[i] = v;
      bad |= !(v - v == 0);
    }
    free(cd);
  }
  return !bad;
}

static void dbl_axpb(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x, mpfr_srcptr b)
{
  double ad = mpfr_get_d(a, MPFR_RNDN), bd = mpfr_get_d(b, MPFR_RNDN);
  for (size_t i = 0; i < y->n; i++)
    D(y)[i] = ad * CD(x)[i] + bd;
}

static void dbl_prod(adeis_vec *z, const adeis_vec *x, const adeis_vec *y)
{
  for (size_t i = 0; i < z->n; i++)
    D(z)[i] = CD(x)[i] * CD(y)[i];
}

static void dbl_div(adeis_vec *z, const adeis_vec *x, const adeis_vec *y)
{
  for (size_t i = 0; i < z->n; i++)
    D(z)[i] = CD(x)[i] / CD(y)[i];
}

static void dbl_sqrt(adeis_vec *z, const adeis_vec *x)
{
  for (size_t i = 0; i < z->n; i++)
    D(z)[i] = sqrt(CD(x)[i]);
}

static void dbl_dot(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y)
{
  /* accumulate in the caller's precision so norms of long vectors stay accurate */
  mpfr_t t;
  mpfr_init2(t, mpfr_get_prec(r));
  mpfr_set_zero(r, 1);
  for (size_t i = 0; i < x->n; i++) {
    mpfr_set_d(t, CD(x)[i], MPFR_RNDN);
    mpfr_mul_d(t, t, CD(y)[i], MPFR_RNDN);
    mpfr_add(r, r, t, MPFR_RNDN);
  }
  mpfr_clear(t);
}

static void dbl_get(mpfr_ptr r, const adeis_vec *x, size_t i) { mpfr_set_d(r, CD(x)[i], MPFR_RNDN); }
static void dbl_set(adeis_vec *x, size_t i, mpfr_srcptr r) { D(x)[i] = mpfr_get_d(r, MPFR_RNDN); }

static int dbl_isfinite(const adeis_vec *x)
{
  const double *v = CD(x);
  int bad = 0;
  for (size_t i = 0; i < x->n; i++)
    bad |= !(v[i] - v[i] == 0);
  return !bad;
}

const adeis_backend_ops adeis_backend_double_ops = {
  .name = "double",
  .alloc_data = dbl_alloc,
  .free_data = dbl_free,
  .copy = dbl_copy,
  .lincomb = dbl_lincomb,
  .axpb = dbl_axpb,
  .prod = dbl_prod,
  .div = dbl_div,
  .sqrt = dbl_sqrt,
  .dot = dbl_dot,
  .get = dbl_get,
  .set = dbl_set,
  .isfinite = dbl_isfinite,
};

/* Double-precision storage. Coefficients are rounded to double once per call; sums are
 * formed in double; dot products are accumulated in MPFR at the caller's precision. */
#include "backend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define D(v) ((double *)(v)->data)
#define CD(v) ((const double *)(v)->data)
#define COEF_STACK 16

static int dbl_alloc(adeis_vec *v)
{
  v->data = calloc(v->n ? v->n : 1, sizeof(double));
  return v->data ? 0 : -1;
}

static void dbl_free(adeis_vec *v) { free(v->data); }

static void dbl_view(adeis_vec *v, const adeis_vec *parent, size_t off)
{
  v->data = (double *)parent->data + off;
}

static void dbl_copy(adeis_vec *y, const adeis_vec *x) { memmove(y->data, x->data, x->n * sizeof(double)); }

static void dbl_fill(adeis_vec *y, mpfr_srcptr c)
{
  double a = mpfr_get_d(c, MPFR_RNDN);
  for (size_t i = 0; i < y->n; i++)
    D(y)[i] = a;
}

static void dbl_import_d(adeis_vec *v, size_t off, const double *a, size_t n)
{
  memmove(D(v) + off, a, n * sizeof(double));
}

static void dbl_export_d(const adeis_vec *v, size_t off, double *a, size_t n)
{
  memmove(a, CD(v) + off, n * sizeof(double));
}

static void dbl_import_f(adeis_vec *v, size_t off, const float *a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    D(v)[off + i] = a[i];
}

static void dbl_export_f(const adeis_vec *v, size_t off, float *a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    a[i] = (float)CD(v)[off + i];
}

static void dbl_import_mpfr(adeis_vec *v, size_t off, mpfr_srcptr a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    D(v)[off + i] = mpfr_get_d(a + i, MPFR_RNDN);
}

static void dbl_export_mpfr(const adeis_vec *v, size_t off, mpfr_ptr a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    mpfr_set_d(a + i, CD(v)[off + i], MPFR_RNDN);
}

/* sum_j cd[j] x_j[i] for k > 3; cd NULL: coefficients rounded here (out of memory only) */
static int dbl_lincomb_general(double *restrict out, size_t n, size_t k, const double *cd,
                               mpfr_srcptr const c[], const adeis_vec *const x[])
{
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    double v = 0.0;
    for (size_t j = 0; j < k; j++)
      v += (cd ? cd[j] : mpfr_get_d(c[j], MPFR_RNDN)) * CD(x[j])[i];
    out[i] = v;
    bad |= !(v - v == 0);
  }
  return bad;
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
    double stack[COEF_STACK] = {0.0};
    double *cd = k <= COEF_STACK ? stack : malloc(k * sizeof *cd);
    for (size_t j = 0; cd && j < k; j++)
      cd[j] = mpfr_get_d(c[j], MPFR_RNDN);
    bad = dbl_lincomb_general(out, n, k, cd, c, x);
    if (cd != stack)
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

/* k dot products in one pass over x; products of doubles are exact in 106 bits, so each sum
 * is rounded once per term at its result's precision */
static void dbl_mdot(mpfr_ptr r, const adeis_vec *x, size_t k, const adeis_vec *const y[])
{
  for (size_t j = 0; j < k; j++)
    mpfr_set_zero(r + j, 1);
  mpfr_t t;
  mpfr_init2(t, 106);
  for (size_t i = 0; i < x->n; i++)
    for (size_t j = 0; j < k; j++) {
      mpfr_set_d(t, CD(x)[i], MPFR_RNDN);
      mpfr_mul_d(t, t, CD(y[j])[i], MPFR_RNDN);
      mpfr_add(r + j, r + j, t, MPFR_RNDN);
    }
  mpfr_clear(t);
}

static void dbl_nrm_max(mpfr_ptr r, const adeis_vec *x)
{
  double m = 0.0;
  for (size_t i = 0; i < x->n; i++) {
    double a = fabs(CD(x)[i]);
    if (!(a <= m))          /* a > m, or a NaN: a NaN stays */
      m = isnan(m) ? m : a;
  }
  mpfr_set_d(r, m, MPFR_RNDN);
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

static void *dbl_raw(adeis_vec *x) { return x->data; }

const adeis_backend_ops adeis_backend_double_ops = {
  .name = "double",
  .alloc = dbl_alloc,
  .free = dbl_free,
  .view = dbl_view,
  .copy = dbl_copy,
  .fill = dbl_fill,
  .import_d = dbl_import_d,
  .export_d = dbl_export_d,
  .import_f = dbl_import_f,
  .export_f = dbl_export_f,
  .import_mpfr = dbl_import_mpfr,
  .export_mpfr = dbl_export_mpfr,
  .lincomb = dbl_lincomb,
  .axpb = dbl_axpb,
  .prod = dbl_prod,
  .div = dbl_div,
  .sqrt = dbl_sqrt,
  .dot = dbl_dot,
  .mdot = dbl_mdot,
  .nrm_max = dbl_nrm_max,
  .get = dbl_get,
  .set = dbl_set,
  .isfinite = dbl_isfinite,
  .raw = dbl_raw,
};

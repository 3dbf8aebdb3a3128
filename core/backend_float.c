/* Single-precision (float) storage, 24 bits. Coefficients are rounded to float once per
 * call and linear combinations are summed in float (as a float network would); dot products
 * and norms accumulate in double (each float product is exact in double). */
#include "backend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define F(v) ((float *)(v)->data)
#define CF(v) ((const float *)(v)->data)
#define COEF_STACK 16
#define MDOT_BLOCK 8

static int flt_alloc(adeis_vec *v)
{
  v->data = calloc(v->n ? v->n : 1, sizeof(float));
  return v->data ? 0 : -1;
}

static void flt_free(adeis_vec *v) { free(v->data); }

static void flt_view(adeis_vec *v, const adeis_vec *parent, size_t off)
{
  v->data = (float *)parent->data + off;
}

static void flt_copy(adeis_vec *y, const adeis_vec *x) { memmove(y->data, x->data, x->n * sizeof(float)); }

static void flt_fill(adeis_vec *y, mpfr_srcptr c)
{
  float a = mpfr_get_flt(c, MPFR_RNDN);
  for (size_t i = 0; i < y->n; i++)
    F(y)[i] = a;
}

static void flt_import_d(adeis_vec *v, size_t off, const double *a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    F(v)[off + i] = (float)a[i];
}

static void flt_export_d(const adeis_vec *v, size_t off, double *a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    a[i] = CF(v)[off + i];
}

static void flt_import_f(adeis_vec *v, size_t off, const float *a, size_t n)
{
  memmove(F(v) + off, a, n * sizeof(float));
}

static void flt_export_f(const adeis_vec *v, size_t off, float *a, size_t n)
{
  memmove(a, CF(v) + off, n * sizeof(float));
}

static void flt_import_mpfr(adeis_vec *v, size_t off, mpfr_srcptr a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    F(v)[off + i] = mpfr_get_flt(a + i, MPFR_RNDN);
}

static void flt_export_mpfr(const adeis_vec *v, size_t off, mpfr_ptr a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    mpfr_set_flt(a + i, CF(v)[off + i], MPFR_RNDN);
}

/* sum_j cf[j] x_j[i] for k > 3; cf NULL: coefficients rounded here (out of memory only) */
static int flt_lincomb_general(float *restrict out, size_t n, size_t k, const float *cf,
                               mpfr_srcptr const c[], const adeis_vec *const x[])
{
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    float v = 0.0f;
    for (size_t j = 0; j < k; j++)
      v += (cf ? cf[j] : mpfr_get_flt(c[j], MPFR_RNDN)) * CF(x[j])[i];
    out[i] = v;
    bad |= !(v - v == 0);
  }
  return bad;
}

/* v - v is 0 for finite v and NaN otherwise: a branch-free finiteness flag in the same pass */
__attribute__((target_clones("avx2", "default")))
static int flt_lincomb(adeis_vec *y, size_t k, mpfr_srcptr const c[], const adeis_vec *const x[])
{
  float *restrict out = F(y);
  size_t n = y->n;
  int bad = 0;
  if (k == 1) {
    float a = mpfr_get_flt(c[0], MPFR_RNDN);
    const float *x0 = CF(x[0]);
    for (size_t i = 0; i < n; i++) {
      float v = a * x0[i];
      out[i] = v;
      bad |= !(v - v == 0);
    }
  } else if (k == 2) {
    float a = mpfr_get_flt(c[0], MPFR_RNDN), b = mpfr_get_flt(c[1], MPFR_RNDN);
    const float *x0 = CF(x[0]), *x1 = CF(x[1]);
    for (size_t i = 0; i < n; i++) {
      float v = a * x0[i] + b * x1[i];
      out[i] = v;
      bad |= !(v - v == 0);
    }
  } else if (k == 3) {
    float a = mpfr_get_flt(c[0], MPFR_RNDN), b = mpfr_get_flt(c[1], MPFR_RNDN);
    float e = mpfr_get_flt(c[2], MPFR_RNDN);
    const float *x0 = CF(x[0]), *x1 = CF(x[1]), *x2 = CF(x[2]);
    for (size_t i = 0; i < n; i++) {
      float v = a * x0[i] + b * x1[i] + e * x2[i];
      out[i] = v;
      bad |= !(v - v == 0);
    }
  } else {
    float stack[COEF_STACK] = {0.0f};
    float *cf = k <= COEF_STACK ? stack : malloc(k * sizeof *cf);
    for (size_t j = 0; cf && j < k; j++)
      cf[j] = mpfr_get_flt(c[j], MPFR_RNDN);
    bad = flt_lincomb_general(out, n, k, cf, c, x);
    if (cf != stack)
      free(cf);
  }
  return !bad;
}

static void flt_axpb(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x, mpfr_srcptr b)
{
  float af = mpfr_get_flt(a, MPFR_RNDN), bf = mpfr_get_flt(b, MPFR_RNDN);
  for (size_t i = 0; i < y->n; i++)
    F(y)[i] = af * CF(x)[i] + bf;
}

static void flt_prod(adeis_vec *z, const adeis_vec *x, const adeis_vec *y)
{
  for (size_t i = 0; i < z->n; i++)
    F(z)[i] = CF(x)[i] * CF(y)[i];
}

static void flt_div(adeis_vec *z, const adeis_vec *x, const adeis_vec *y)
{
  for (size_t i = 0; i < z->n; i++)
    F(z)[i] = CF(x)[i] / CF(y)[i];
}

static void flt_sqrt(adeis_vec *z, const adeis_vec *x)
{
  for (size_t i = 0; i < z->n; i++)
    F(z)[i] = sqrtf(CF(x)[i]);
}

static void flt_dot(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y)
{
  double s = 0.0;
  for (size_t i = 0; i < x->n; i++)
    s += (double)CF(x)[i] * (double)CF(y)[i];
  mpfr_set_d(r, s, MPFR_RNDN);
}

/* up to MDOT_BLOCK dot products per pass over x, accumulated in double like flt_dot */
static void flt_mdot(mpfr_ptr r, const adeis_vec *x, size_t k, const adeis_vec *const y[])
{
  for (size_t j0 = 0; j0 < k; j0 += MDOT_BLOCK) {
    size_t kb = k - j0 < MDOT_BLOCK ? k - j0 : MDOT_BLOCK;
    double s[MDOT_BLOCK] = {0.0};
    for (size_t i = 0; i < x->n; i++) {
      double xi = CF(x)[i];
      for (size_t j = 0; j < kb; j++)
        s[j] += xi * (double)CF(y[j0 + j])[i];
    }
    for (size_t j = 0; j < kb; j++)
      mpfr_set_d(r + j0 + j, s[j], MPFR_RNDN);
  }
}

static void flt_nrm_max(mpfr_ptr r, const adeis_vec *x)
{
  float m = 0.0f;
  for (size_t i = 0; i < x->n; i++) {
    float a = fabsf(CF(x)[i]);
    if (!(a <= m))          /* a > m, or a NaN: a NaN stays */
      m = isnan(m) ? m : a;
  }
  mpfr_set_flt(r, m, MPFR_RNDN);
}

static void flt_get(mpfr_ptr r, const adeis_vec *x, size_t i) { mpfr_set_flt(r, CF(x)[i], MPFR_RNDN); }
static void flt_set(adeis_vec *x, size_t i, mpfr_srcptr r) { F(x)[i] = mpfr_get_flt(r, MPFR_RNDN); }

static int flt_isfinite(const adeis_vec *x)
{
  const float *v = CF(x);
  int bad = 0;
  for (size_t i = 0; i < x->n; i++)
    bad |= !(v[i] - v[i] == 0);
  return !bad;
}

static void *flt_raw(adeis_vec *x) { return x->data; }

const adeis_backend_ops adeis_backend_float_ops = {
  .name = "float",
  .alloc = flt_alloc,
  .free = flt_free,
  .view = flt_view,
  .copy = flt_copy,
  .fill = flt_fill,
  .import_d = flt_import_d,
  .export_d = flt_export_d,
  .import_f = flt_import_f,
  .export_f = flt_export_f,
  .import_mpfr = flt_import_mpfr,
  .export_mpfr = flt_export_mpfr,
  .lincomb = flt_lincomb,
  .axpb = flt_axpb,
  .prod = flt_prod,
  .div = flt_div,
  .sqrt = flt_sqrt,
  .dot = flt_dot,
  .mdot = flt_mdot,
  .dot2 = flt_dot,          /* products exact in double, summed in double */
  .nrm_max = flt_nrm_max,
  .get = flt_get,
  .set = flt_set,
  .isfinite = flt_isfinite,
  .raw = flt_raw,
};

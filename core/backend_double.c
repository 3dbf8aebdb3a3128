/* Double-precision storage. Coefficients are rounded to double once per call; sums are
 * formed in double; dot products are exact, rounded once into the caller's precision;
 * dot2 is compensated (as if summed in twice the precision), for norms and errors. */
#include "backend.h"

#include <math.h>
#include <stdint.h>
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

/* ---- exact dot products ----
 * A product of two doubles is an integer of at most 106 bits times 2^e, e >= -2148; the sum
 * of any number of them is kept exactly in a two's-complement fixed-point accumulator of
 * ACC_LIMBS 64-bit words (bit 0 has weight 2^-ACC_OFF) and rounded once into the result:
 * a correctly rounded dot product at any result precision, without MPFR per element. */
#define ACC_OFF 2176     /* 34 words below the binary point: covers 2^-2148 */
#define ACC_LIMBS 68     /* up to 2^2048 per product, with 64 bits to spare for the count */

__extension__ typedef unsigned __int128 u128;

typedef struct exact_acc {
  uint64_t w[ACC_LIMBS];
} exact_acc;

/* |x| = m 2^e with m an integer; 0 for zero; -1 for Inf and NaN */
static inline int dbl_split(double x, uint64_t *m, int *e, int *neg)
{
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  int ef = (int)((bits >> 52) & 0x7ff);
  *neg = (int)(bits >> 63);
  *m = bits & ((UINT64_C(1) << 52) - 1);
  if (ef == 0x7ff)
    return -1;
  if (ef == 0) {
    *e = -1074;
  } else {
    *m |= UINT64_C(1) << 52;
    *e = ef - 1075;
  }
  return *m != 0;
}

/* acc += (-1)^neg p 2^s (s the bit position in the accumulator) */
static inline void acc_add(exact_acc *a, u128 p, int s, int neg)
{
  int k = s >> 6, b = s & 63;
  uint64_t lo = (uint64_t)p, hi = (uint64_t)(p >> 64);
  uint64_t w[3] = {lo << b, b ? (lo >> (64 - b)) | (hi << b) : hi, b ? hi >> (64 - b) : 0};
  uint64_t c = 0;
  for (int j = 0; j < 3; j++) {
    uint64_t old = a->w[k + j];
    if (!neg) {
      uint64_t t = old + w[j];
      uint64_t c1 = t < old;
      a->w[k + j] = t + c;
      c = c1 | (a->w[k + j] < t);
    } else {
      uint64_t t = old - w[j];
      uint64_t c1 = old < w[j];
      a->w[k + j] = t - c;
      c = c1 | (t < c);
    }
  }
  for (int j = k + 3; c && j < ACC_LIMBS; j++) {
    uint64_t old = a->w[j];
    a->w[j] = neg ? old - 1 : old + 1;
    c = neg ? old == 0 : a->w[j] == 0;
  }
}

/* acc += x y exactly; returns 0 when x or y is Inf or NaN (acc then unusable) */
static inline int acc_fma(exact_acc *a, double x, double y)
{
  uint64_t mx, my;
  int ex, ey, nx, ny;
  int fx = dbl_split(x, &mx, &ex, &nx), fy = dbl_split(y, &my, &ey, &ny);
  if (fx < 0 || fy < 0)
    return 0;
  if (fx && fy)
    acc_add(a, (u128)mx * my, ex + ey + ACC_OFF, nx ^ ny);
  return 1;
}

/* r = the accumulated sum, rounded once */
static void acc_get(mpfr_ptr r, const exact_acc *a)
{
  uint64_t w[ACC_LIMBS];
  int neg = (int)(a->w[ACC_LIMBS - 1] >> 63);
  uint64_t c = 1;
  for (int j = 0; j < ACC_LIMBS; j++) {
    w[j] = neg ? ~a->w[j] + c : a->w[j];
    c = neg && c && w[j] == 0;
  }
  mpz_t z;
  mpz_init(z);
  mpz_import(z, ACC_LIMBS, -1, sizeof w[0], 0, 0, w);
  if (neg)
    mpz_neg(z, z);
  mpfr_set_z_2exp(r, z, -ACC_OFF, MPFR_RNDN);
  mpz_clear(z);
}

/* x . y with IEEE semantics for Inf and NaN (only reached when one is present) */
static double dbl_dot_naive(const double *x, const double *y, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += x[i] * y[i];
  return s;
}

static void dbl_dot(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y)
{
  exact_acc a;
  memset(&a, 0, sizeof a);
  int finite = 1;
  for (size_t i = 0; i < x->n; i++)
    finite &= acc_fma(&a, CD(x)[i], CD(y)[i]);
  if (finite)
    acc_get(r, &a);
  else
    mpfr_set_d(r, dbl_dot_naive(CD(x), CD(y), x->n), MPFR_RNDN);
}

/* k exact dot products in one pass over x (each x_i split once) */
static void dbl_mdot(mpfr_ptr r, const adeis_vec *x, size_t k, const adeis_vec *const y[])
{
  exact_acc *a = calloc(k ? k : 1, sizeof *a);
  if (!a) {
    for (size_t j = 0; j < k; j++)
      dbl_dot(r + j, x, y[j]);
    return;
  }
  int finite = 1;
  for (size_t i = 0; i < x->n && finite; i++) {
    uint64_t mx = 0, my = 0;
    int ex = 0, ey = 0, nx = 0, ny = 0;
    int fx = dbl_split(CD(x)[i], &mx, &ex, &nx);
    for (size_t j = 0; j < k; j++) {
      int fy = dbl_split(CD(y[j])[i], &my, &ey, &ny);
      finite &= fx >= 0 && fy >= 0;
      if (fx > 0 && fy > 0)
        acc_add(a + j, (u128)mx * my, ex + ey + ACC_OFF, nx ^ ny);
    }
  }
  for (size_t j = 0; j < k; j++) {
    if (finite)
      acc_get(r + j, a + j);
    else
      mpfr_set_d(r + j, dbl_dot_naive(CD(x), CD(y[j]), x->n), MPFR_RNDN);
  }
  free(a);
}

/* ---- compensated dot products (Ogita, Rump and Oishi's Dot2) ----
 * Each product is split exactly into p + e (p = fl(x y), e = fma(x, y, -p)); the p are summed
 * with TwoSum, whose rounding errors are added to e in a second double accumulator: the pair
 * (s, c) is the sum as if accumulated in twice the working precision. Four interleaved lanes
 * keep the dependency chains short; their eight doubles are summed exactly by mpfr_sum and
 * rounded once into r. Error (no overflow, before that rounding): at most
 * gamma_n^2 sum |x_i y_i| + n 2^-1073 (the second term only when products underflow), with
 * gamma_n = n u / (1 - n u), u = 2^-53 (Ogita, Rump, Oishi, SIAM J. Sci. Comput. 26(6), 2005).
 * A result that is not finite (overflow, or Inf or NaN in x or y) is redone by the exact dot. */
#define DOT2_LANES 4

static inline void two_sum(double a, double b, double *s, double *e)
{
  double x = a + b, z = x - a;
  *e = (a - (x - z)) + (b - z);
  *s = x;
}

__attribute__((target_clones("fma", "default")))
static void dot2_lanes(const double *x, const double *y, size_t n, double s[DOT2_LANES],
                       double c[DOT2_LANES])
{
  for (int l = 0; l < DOT2_LANES; l++)
    s[l] = c[l] = 0.0;
  size_t i = 0;
  for (; i + DOT2_LANES <= n; i += DOT2_LANES)
    for (int l = 0; l < DOT2_LANES; l++) {
      double p = x[i + l] * y[i + l], ep = fma(x[i + l], y[i + l], -p), es;
      two_sum(s[l], p, &s[l], &es);
      c[l] += es + ep;
    }
  for (int l = 0; i < n; i++, l++) {
    double p = x[i] * y[i], ep = fma(x[i], y[i], -p), es;
    two_sum(s[l], p, &s[l], &es);
    c[l] += es + ep;
  }
}

static void dbl_dot2(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y)
{
  double s[DOT2_LANES], c[DOT2_LANES];
  dot2_lanes(CD(x), CD(y), x->n, s, c);
  mpfr_t t[2 * DOT2_LANES];
  mpfr_ptr tp[2 * DOT2_LANES];
  int finite = 1;
  for (int l = 0; l < 2 * DOT2_LANES; l++) {
    double v = l < DOT2_LANES ? s[l] : c[l - DOT2_LANES];
    finite &= v - v == 0;
    mpfr_init2(t[l], 53);
    mpfr_set_d(t[l], v, MPFR_RNDN);
    tp[l] = t[l];
  }
  if (finite)
    mpfr_sum(r, tp, 2 * DOT2_LANES, MPFR_RNDN);
  else
    dbl_dot(r, x, y);
  for (int l = 0; l < 2 * DOT2_LANES; l++)
    mpfr_clear(t[l]);
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
  .dot2 = dbl_dot2,
  .nrm_max = dbl_nrm_max,
  .get = dbl_get,
  .set = dbl_set,
  .isfinite = dbl_isfinite,
  .raw = dbl_raw,
};

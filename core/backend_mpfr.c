/* MPFR storage at any precision. Sums are accumulated with guard bits and
 * rounded once into the stored precision.
 *
 * Layout (the mpfr_custom_* interface): a vector of n elements is one allocation holding
 * n codes (int64: exponent and kind of each element) followed by n significands of
 * L = ceil(prec / 64) limbs each: 8 (L + 1) bytes per element, against 32 + 8 L + malloc
 * overhead for an array of mpfr_t. The ops build an mpfr_t around one element on the stack
 * (mp_in / mp_out), let MPFR work on it in place, and store the code back (mp_store).
 * All-zero bytes mean +0, so calloc'd storage is a vector of zeros.
 *
 * Ops accept y equal to one of the inputs (same vector, or a view of the same elements);
 * partially overlapping views are not supported. */
#include "backend.h"
#include "status.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LIMBS(v) ((mp_limb_t *)(v)->data)
#define CODES(v) ((int64_t *)(v)->aux)
#define EXP_BOUND ((mpfr_exp_t)1 << 59) /* |exponent| * 8 must fit in an int64 */

static size_t n_limbs(mpfr_prec_t prec) { return (size_t)mpfr_custom_get_size(prec) / sizeof(mp_limb_t); }

/* code = 8 e + t, t = (kind - 2) mod 8, so that +0 (kind 2, e = 0) is the code 0 */
static inline int64_t mp_code(mpfr_srcptr w)
{
  int k = (int)mpfr_custom_get_kind(w);
  int64_t e = (k == MPFR_REGULAR_KIND || k == -MPFR_REGULAR_KIND) ? (int64_t)mpfr_custom_get_exp(w) : 0;
  return e * 8 + ((k + 6) & 7);
}

static inline void mp_decode(int64_t code, int *kind, mpfr_exp_t *e)
{
  int64_t t = code & 7;
  *kind = (int)((t + 5) & 7) - 3;
  *e = (mpfr_exp_t)((code - t) / 8);
}

/* w = element i of v, for reading or writing in place */
static inline void mp_in(mpfr_ptr w, const adeis_vec *v, size_t i, size_t nl)
{
  int kind;
  mpfr_exp_t e;
  mp_decode(CODES(v)[i], &kind, &e);
  mpfr_custom_init_set(w, kind, e, v->be->prec, LIMBS(v) + i * nl);
}

/* w = element i of v, for writing only (its old value is not read) */
static inline void mp_out(mpfr_ptr w, adeis_vec *v, size_t i, size_t nl)
{
  mpfr_custom_init_set(w, MPFR_ZERO_KIND, 0, v->be->prec, LIMBS(v) + i * nl);
}

static inline void mp_store(adeis_vec *v, size_t i, mpfr_srcptr w) { CODES(v)[i] = mp_code(w); }

/* the destination wrapper: the input's own when z holds the same elements (MPFR then sees
 * one variable used twice, which it supports), else a fresh one */
static inline mpfr_ptr mp_dest(mpfr_ptr zw, adeis_vec *z, size_t i, size_t nl, mpfr_ptr xw,
                               const adeis_vec *x, mpfr_ptr yw, const adeis_vec *y)
{
  if (z->data == x->data)
    return xw;
  if (y && z->data == y->data)
    return yw;
  mp_out(zw, z, i, nl);
  return zw;
}

static int mp_alloc(adeis_vec *v)
{
  size_t nl = n_limbs(v->be->prec), per = (nl + 1) * sizeof(mp_limb_t);
  if (mpfr_get_emax() > EXP_BOUND || mpfr_get_emin() < -EXP_BOUND)
    return -1;
  if (v->n > SIZE_MAX / per)
    return -1;
  int64_t *codes = calloc(v->n ? v->n : 1, per);
  if (!codes)
    return -1;
  v->aux = codes;
  v->data = codes + v->n;
  return 0;
}

static void mp_free(adeis_vec *v) { free(v->aux); }

static void mp_view(adeis_vec *v, const adeis_vec *parent, size_t off)
{
  v->aux = CODES(parent) + off;
  v->data = LIMBS(parent) + off * n_limbs(parent->be->prec);
}

static void mp_copy(adeis_vec *y, const adeis_vec *x)
{
  memmove(y->aux, x->aux, x->n * sizeof(int64_t));
  memmove(y->data, x->data, x->n * n_limbs(x->be->prec) * sizeof(mp_limb_t));
}

static void mp_fill(adeis_vec *y, mpfr_srcptr c)
{
  size_t nl = n_limbs(y->be->prec);
  if (mpfr_zero_p(c) && mpfr_signbit(c) == 0) {
    memset(y->aux, 0, y->n * sizeof(int64_t));
    memset(y->data, 0, y->n * nl * sizeof(mp_limb_t));
    return;
  }
  if (y->n == 0)
    return;
  mpfr_t w;
  mp_out(w, y, 0, nl);
  mpfr_set(w, c, MPFR_RNDN);
  mp_store(y, 0, w);
  for (size_t i = 1; i < y->n; i++) {
    CODES(y)[i] = CODES(y)[0];
    memcpy(LIMBS(y) + i * nl, LIMBS(y), nl * sizeof(mp_limb_t));
  }
}

static void mp_import_d(adeis_vec *v, size_t off, const double *a, size_t n)
{
  size_t nl = n_limbs(v->be->prec);
  mpfr_t w;
  for (size_t i = off; i < off + n; i++) {
    mp_out(w, v, i, nl);
    mpfr_set_d(w, a[i - off], MPFR_RNDN);
    mp_store(v, i, w);
  }
}

static void mp_export_d(const adeis_vec *v, size_t off, double *a, size_t n)
{
  size_t nl = n_limbs(v->be->prec);
  mpfr_t w;
  for (size_t i = off; i < off + n; i++) {
    mp_in(w, v, i, nl);
    a[i - off] = mpfr_get_d(w, MPFR_RNDN);
  }
}

static void mp_import_f(adeis_vec *v, size_t off, const float *a, size_t n)
{
  size_t nl = n_limbs(v->be->prec);
  mpfr_t w;
  for (size_t i = off; i < off + n; i++) {
    mp_out(w, v, i, nl);
    mpfr_set_flt(w, a[i - off], MPFR_RNDN);
    mp_store(v, i, w);
  }
}

static void mp_export_f(const adeis_vec *v, size_t off, float *a, size_t n)
{
  size_t nl = n_limbs(v->be->prec);
  mpfr_t w;
  for (size_t i = off; i < off + n; i++) {
    mp_in(w, v, i, nl);
    a[i - off] = mpfr_get_flt(w, MPFR_RNDN);
  }
}

static void mp_import_mpfr(adeis_vec *v, size_t off, mpfr_srcptr a, size_t n)
{
  size_t nl = n_limbs(v->be->prec);
  mpfr_t w;
  for (size_t i = off; i < off + n; i++) {
    mp_out(w, v, i, nl);
    mpfr_set(w, a + (i - off), MPFR_RNDN);
    mp_store(v, i, w);
  }
}

static void mp_export_mpfr(const adeis_vec *v, size_t off, mpfr_ptr a, size_t n)
{
  size_t nl = n_limbs(v->be->prec);
  mpfr_t w;
  for (size_t i = off; i < off + n; i++) {
    mp_in(w, v, i, nl);
    mpfr_set(a + (i - off), w, MPFR_RNDN);
  }
}

/* t = c w, where unit is +1 or -1 when c is (then a copy, not a product) and 0 otherwise */
static inline void mp_term(mpfr_ptr t, mpfr_srcptr c, int unit, mpfr_srcptr w)
{
  if (unit > 0)
    mpfr_set(t, w, MPFR_RNDN);
  else if (unit < 0)
    mpfr_neg(t, w, MPFR_RNDN);
  else
    mpfr_mul(t, c, w, MPFR_RNDN);
}

#define LINCOMB_UNITS 16

static int mp_lincomb(adeis_vec *y, size_t k, mpfr_srcptr const c[], const adeis_vec *const x[])
{
  size_t nl = n_limbs(y->be->prec);
  int finite = 1, unit[LINCOMB_UNITS] = {0};
  /* storage values are exact at the accumulator's precision, so +-1 x is a copy */
  for (size_t j = 0; j < k && j < LINCOMB_UNITS; j++)
    unit[j] = mpfr_number_p(c[j]) && mpfr_cmpabs_ui(c[j], 1) == 0 ? mpfr_sgn(c[j]) : 0;
  mpfr_t acc, t, w;
  mpfr_prec_t p = y->be->prec + ADEIS_GUARD_BITS;
  mpfr_inits2(p, acc, t, (mpfr_ptr)0);
  for (size_t i = 0; i < y->n; i++) {
    mp_in(w, x[0], i, nl);
    mp_term(acc, c[0], unit[0], w);
    for (size_t j = 1; j < k; j++) {
      mp_in(w, x[j], i, nl);
      mp_term(t, c[j], j < LINCOMB_UNITS ? unit[j] : 0, w);
      mpfr_add(acc, acc, t, MPFR_RNDN);
    }
    mp_out(w, y, i, nl);
    mpfr_set(w, acc, MPFR_RNDN);
    mp_store(y, i, w);
    finite &= mpfr_number_p(w) != 0;
  }
  mpfr_clears(acc, t, (mpfr_ptr)0);
  return finite;
}

static void mp_axpb(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x, mpfr_srcptr b)
{
  size_t nl = n_limbs(y->be->prec);
  mpfr_t acc, w;
  mpfr_init2(acc, y->be->prec + ADEIS_GUARD_BITS);
  for (size_t i = 0; i < y->n; i++) {
    mp_in(w, x, i, nl);
    mpfr_mul(acc, a, w, MPFR_RNDN);
    mp_out(w, y, i, nl);
    mpfr_add(w, acc, b, MPFR_RNDN);
    mp_store(y, i, w);
  }
  mpfr_clear(acc);
}

typedef int (*mp_binary)(mpfr_ptr, mpfr_srcptr, mpfr_srcptr, mpfr_rnd_t);

static void mp_elementwise(mp_binary f, adeis_vec *z, const adeis_vec *x, const adeis_vec *y)
{
  size_t nl = n_limbs(z->be->prec);
  mpfr_t xw, yw, zw;
  for (size_t i = 0; i < z->n; i++) {
    mp_in(xw, x, i, nl);
    mp_in(yw, y, i, nl);
    mpfr_ptr d = mp_dest(zw, z, i, nl, xw, x, yw, y);
    f(d, xw, yw, MPFR_RNDN);
    mp_store(z, i, d);
  }
}

static void mp_prod(adeis_vec *z, const adeis_vec *x, const adeis_vec *y) { mp_elementwise(mpfr_mul, z, x, y); }
static void mp_div(adeis_vec *z, const adeis_vec *x, const adeis_vec *y) { mp_elementwise(mpfr_div, z, x, y); }

static void mp_sqrt(adeis_vec *z, const adeis_vec *x)
{
  size_t nl = n_limbs(z->be->prec);
  mpfr_t xw, zw;
  for (size_t i = 0; i < z->n; i++) {
    mp_in(xw, x, i, nl);
    mpfr_ptr d = mp_dest(zw, z, i, nl, xw, x, NULL, NULL);
    mpfr_sqrt(d, xw, MPFR_RNDN);
    mp_store(z, i, d);
  }
}

static void mp_dot(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y)
{
  size_t nl = n_limbs(x->be->prec);
  mpfr_t acc, xw, yw;
  mpfr_init2(acc, mpfr_get_prec(r) + ADEIS_GUARD_BITS);
  mpfr_set_zero(acc, 1);
  for (size_t i = 0; i < x->n; i++) {
    mp_in(xw, x, i, nl);
    mp_in(yw, y, i, nl);
    mpfr_fma(acc, xw, yw, acc, MPFR_RNDN);
  }
  mpfr_set(r, acc, MPFR_RNDN);
  mpfr_clear(acc);
}

/* k accumulators with guard bits over each result's precision, one pass over x */
static void mp_mdot(mpfr_ptr r, const adeis_vec *x, size_t k, const adeis_vec *const y[])
{
  if (k == 0)
    return;
  size_t nl = n_limbs(x->be->prec);
  __mpfr_struct *acc = malloc(k * sizeof *acc);
  if (!acc) {
    for (size_t j = 0; j < k; j++)
      mp_dot(r + j, x, y[j]);
    return;
  }
  for (size_t j = 0; j < k; j++) {
    mpfr_init2(acc + j, mpfr_get_prec(r + j) + ADEIS_GUARD_BITS);
    mpfr_set_zero(acc + j, 1);
  }
  mpfr_t xw, yw;
  for (size_t i = 0; i < x->n; i++) {
    mp_in(xw, x, i, nl);
    for (size_t j = 0; j < k; j++) {
      mp_in(yw, y[j], i, nl);
      mpfr_fma(acc + j, xw, yw, acc + j, MPFR_RNDN);
    }
  }
  for (size_t j = 0; j < k; j++) {
    mpfr_set(r + j, acc + j, MPFR_RNDN);
    mpfr_clear(acc + j);
  }
  free(acc);
}

static void mp_nrm_max(mpfr_ptr r, const adeis_vec *x)
{
  size_t nl = n_limbs(x->be->prec);
  mpfr_t w, best;
  mpfr_set_zero(r, 1);
  if (x->n == 0)
    return;
  size_t ib = 0;
  mp_in(best, x, 0, nl);
  for (size_t i = 0; i < x->n && !mpfr_nan_p(best); i++) {
    mp_in(w, x, i, nl);
    if (mpfr_nan_p(w) || mpfr_cmpabs(w, best) > 0) {
      ib = i;
      mp_in(best, x, ib, nl);
    }
  }
  mpfr_abs(r, best, MPFR_RNDN);
}

static void mp_get(mpfr_ptr r, const adeis_vec *x, size_t i)
{
  mpfr_t w;
  mp_in(w, x, i, n_limbs(x->be->prec));
  mpfr_set(r, w, MPFR_RNDN);
}

static void mp_set(adeis_vec *x, size_t i, mpfr_srcptr r)
{
  mpfr_t w;
  mp_out(w, x, i, n_limbs(x->be->prec));
  mpfr_set(w, r, MPFR_RNDN);
  mp_store(x, i, w);
}

/* from the codes alone: the kinds NaN (0) and Inf (+-1) are the non-finite ones */
static int mp_isfinite(const adeis_vec *x)
{
  for (size_t i = 0; i < x->n; i++) {
    int kind;
    mpfr_exp_t e;
    mp_decode(CODES(x)[i], &kind, &e);
    if (kind == MPFR_NAN_KIND || kind == MPFR_INF_KIND || kind == -MPFR_INF_KIND)
      return 0;
  }
  return 1;
}

static void *mp_raw(adeis_vec *x)
{
  (void)x;
  return NULL;
}

const adeis_backend_ops adeis_backend_mpfr_ops = {
  .name = "mpfr",
  .alloc = mp_alloc,
  .free = mp_free,
  .view = mp_view,
  .copy = mp_copy,
  .fill = mp_fill,
  .import_d = mp_import_d,
  .export_d = mp_export_d,
  .import_f = mp_import_f,
  .export_f = mp_export_f,
  .import_mpfr = mp_import_mpfr,
  .export_mpfr = mp_export_mpfr,
  .lincomb = mp_lincomb,
  .axpb = mp_axpb,
  .prod = mp_prod,
  .div = mp_div,
  .sqrt = mp_sqrt,
  .dot = mp_dot,
  .mdot = mp_mdot,
  .dot2 = mp_dot,           /* already accumulated with guard bits over r's precision */
  .nrm_max = mp_nrm_max,
  .get = mp_get,
  .set = mp_set,
  .isfinite = mp_isfinite,
  .raw = mp_raw,
};

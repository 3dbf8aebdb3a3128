/* MPFR storage at any precision. Sums are accumulated with guard bits and
 * rounded once into the stored precision. */
#include "backend.h"

#include <stdlib.h>

#define M(v) ((mpfr_t *)(v)->data)
#define CM(v) ((mpfr_t const *)(v)->data)

static int mp_alloc(adeis_vec *v)
{
  mpfr_t *d = malloc((v->n ? v->n : 1) * sizeof(mpfr_t));
  if (!d)
    return -1;
  for (size_t i = 0; i < v->n; i++) {
    mpfr_init2(d[i], v->be->prec);
    mpfr_set_zero(d[i], 1);
  }
  v->data = d;
  return 0;
}

static void mp_free(adeis_vec *v)
{
  for (size_t i = 0; i < v->n; i++)
    mpfr_clear(M(v)[i]);
  free(v->data);
}

static void mp_copy(adeis_vec *y, const adeis_vec *x)
{
  mpfr_t r;
  mpfr_init2(r, x->be->prec);
  for (size_t i = 0; i < x->n; i++) {
    x->be->ops->get(r, x, i);
    mpfr_set(M(y)[i], r, MPFR_RNDN);
  }
  mpfr_clear(r);
}

static int mp_lincomb(adeis_vec *y, size_t k, mpfr_srcptr const c[], const adeis_vec *const x[])
{
  int finite = 1;
  mpfr_t acc, t;
  mpfr_prec_t p = y->be->prec + ADEIS_GUARD_BITS;
  mpfr_inits2(p, acc, t, (mpfr_ptr)0);
  for (size_t i = 0; i < y->n; i++) {
    mpfr_mul(acc, c[0], CM(x[0])[i], MPFR_RNDN);
    for (size_t j = 1; j < k; j++) {
      mpfr_mul(t, c[j], CM(x[j])[i], MPFR_RNDN);
      mpfr_add(acc, acc, t, MPFR_RNDN);
    }
    mpfr_set(M(y)[i], acc, MPFR_RNDN);
    finite &= mpfr_number_p(M(y)[i]) != 0;
  }
  mpfr_clears(acc, t, (mpfr_ptr)0);
  return finite;
}

static void mp_axpb(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x, mpfr_srcptr b)
{
  mpfr_t acc;
  mpfr_init2(acc, y->be->prec + ADEIS_GUARD_BITS);
  for (size_t i = 0; i < y->n; i++) {
    mpfr_mul(acc, a, CM(x)[i], MPFR_RNDN);
    mpfr_add(M(y)[i], acc, b, MPFR_RNDN);
  }
  mpfr_clear(acc);
}

static void mp_prod(adeis_vec *z, const adeis_vec *x, const adeis_vec *y)
{
  for (size_t i = 0; i < z->n; i++)
    mpfr_mul(M(z)[i], CM(x)[i], CM(y)[i], MPFR_RNDN);
}

static void mp_div(adeis_vec *z, const adeis_vec *x, const adeis_vec *y)
{
  for (size_t i = 0; i < z->n; i++)
    mpfr_div(M(z)[i], CM(x)[i], CM(y)[i], MPFR_RNDN);
}

static void mp_sqrt(adeis_vec *z, const adeis_vec *x)
{
  for (size_t i = 0; i < z->n; i++)
    mpfr_sqrt(M(z)[i], CM(x)[i], MPFR_RNDN);
}

static void mp_dot(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y)
{
  mpfr_t acc;
  mpfr_init2(acc, mpfr_get_prec(r) + ADEIS_GUARD_BITS);
  mpfr_set_zero(acc, 1);
  for (size_t i = 0; i < x->n; i++)
    mpfr_fma(acc, CM(x)[i], CM(y)[i], acc, MPFR_RNDN);
  mpfr_set(r, acc, MPFR_RNDN);
  mpfr_clear(acc);
}

static void mp_get(mpfr_ptr r, const adeis_vec *x, size_t i) { mpfr_set(r, CM(x)[i], MPFR_RNDN); }
static void mp_set(adeis_vec *x, size_t i, mpfr_srcptr r) { mpfr_set(M(x)[i], r, MPFR_RNDN); }

static int mp_isfinite(const adeis_vec *x)
{
  for (size_t i = 0; i < x->n; i++)
    if (!mpfr_number_p(CM(x)[i]))
      return 0;
  return 1;
}

const adeis_backend_ops adeis_backend_mpfr_ops = {
  .name = "mpfr",
  .alloc_data = mp_alloc,
  .free_data = mp_free,
  .copy = mp_copy,
  .lincomb = mp_lincomb,
  .axpb = mp_axpb,
  .prod = mp_prod,
  .div = mp_div,
  .sqrt = mp_sqrt,
  .dot = mp_dot,
  .get = mp_get,
  .set = mp_set,
  .isfinite = mp_isfinite,
};

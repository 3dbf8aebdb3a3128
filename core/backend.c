/* Backend-independent front end of the vector ops table. */
#include "backend.h"
#include "status.h"

#include <stdlib.h>

int adeis_backend_init(adeis_backend *be, long prec)
{
  if (prec < ADEIS_PREC_MIN || prec > ADEIS_PREC_MAX) {
    adeis_set_error("precision %ld outside %d..%d", prec, ADEIS_PREC_MIN, ADEIS_PREC_MAX);
    return ADEIS_EINPUT;
  }
  be->ops = prec == 53 ? &adeis_backend_double_ops : &adeis_backend_mpfr_ops;
  be->prec = (mpfr_prec_t)prec;
  return ADEIS_OK;
}

void adeis_backend_init_mpfr(adeis_backend *be, mpfr_prec_t prec)
{
  be->ops = &adeis_backend_mpfr_ops;
  be->prec = prec;
}

double adeis_scalar_bytes(mpfr_prec_t prec)
{
  return (double)sizeof(mpfr_t) + 8.0 * (double)((prec + 63) / 64);
}

double adeis_backend_bytes_per_value(const adeis_backend *be)
{
  return be->ops == &adeis_backend_double_ops ? 8.0 : adeis_scalar_bytes(be->prec);
}

mpfr_prec_t adeis_backend_scalar_prec(const adeis_backend *be)
{
  return be->prec + ADEIS_GUARD_BITS;
}

adeis_vec *adeis_vec_alloc(const adeis_backend *be, size_t n)
{
  adeis_vec *v = malloc(sizeof *v);
  if (!v)
    return NULL;
  v->be = be;
  v->n = n;
  v->data = NULL;
  if (be->ops->alloc_data(v) != 0) {
    free(v);
    return NULL;
  }
  return v;
}

void adeis_vec_free(adeis_vec *v)
{
  if (!v)
    return;
  v->be->ops->free_data(v);
  free(v);
}

void adeis_vec_copy(adeis_vec *y, const adeis_vec *x)
{
  if (y != x)
    y->be->ops->copy(y, x);
}

int adeis_vec_lincomb(adeis_vec *y, size_t k, mpfr_srcptr const c[], const adeis_vec *const x[])
{
  return y->be->ops->lincomb(y, k, c, x);
}

void adeis_vec_axpb(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x, mpfr_srcptr b)
{
  y->be->ops->axpb(y, a, x, b);
}

void adeis_vec_scale(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x)
{
  mpfr_srcptr c[1] = {a};
  const adeis_vec *xs[1] = {x};
  y->be->ops->lincomb(y, 1, c, xs);
}

void adeis_vec_set_zero(adeis_vec *y)
{
  /* component by component, so that an Inf or NaN already there is cleared too */
  double *d = adeis_vec_double_data(y);
  if (d) {
    for (size_t i = 0; i < y->n; i++)
      d[i] = 0.0;
    return;
  }
  mpfr_t zero;
  mpfr_init2(zero, 8);
  mpfr_set_zero(zero, 1);
  for (size_t i = 0; i < y->n; i++)
    y->be->ops->set(y, i, zero);
  mpfr_clear(zero);
}

void adeis_vec_prod(adeis_vec *z, const adeis_vec *x, const adeis_vec *y) { z->be->ops->prod(z, x, y); }
void adeis_vec_div(adeis_vec *z, const adeis_vec *x, const adeis_vec *y) { z->be->ops->div(z, x, y); }
void adeis_vec_sqrt(adeis_vec *z, const adeis_vec *x) { z->be->ops->sqrt(z, x); }
void adeis_vec_dot(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y) { x->be->ops->dot(r, x, y); }

void adeis_vec_nrm2(mpfr_ptr r, const adeis_vec *x)
{
  x->be->ops->dot(r, x, x);
  mpfr_sqrt(r, r, MPFR_RNDN);
}

void adeis_vec_get(mpfr_ptr r, const adeis_vec *x, size_t i) { x->be->ops->get(r, x, i); }
void adeis_vec_set(adeis_vec *x, size_t i, mpfr_srcptr r) { x->be->ops->set(x, i, r); }

double adeis_vec_get_d(const adeis_vec *x, size_t i)
{
  mpfr_t r;
  mpfr_init2(r, x->be->prec);
  x->be->ops->get(r, x, i);
  double d = mpfr_get_d(r, MPFR_RNDN);
  mpfr_clear(r);
  return d;
}

void adeis_vec_set_d(adeis_vec *x, size_t i, double d)
{
  mpfr_t r;
  mpfr_init2(r, 53);
  mpfr_set_d(r, d, MPFR_RNDN);
  x->be->ops->set(x, i, r);
  mpfr_clear(r);
}

int adeis_vec_isfinite(const adeis_vec *x) { return x->be->ops->isfinite(x); }

void adeis_vec_rel_dist(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y)
{
  /* differences need the vectors' own precision, whatever precision r has */
  mpfr_prec_t p = adeis_backend_scalar_prec(x->be);
  if (mpfr_get_prec(r) > p)
    p = mpfr_get_prec(r);
  mpfr_t a, b, d, s;
  mpfr_inits2(p, a, b, d, s, (mpfr_ptr)0);
  mpfr_set_zero(d, 1);
  mpfr_set_zero(s, 1);
  for (size_t i = 0; i < x->n; i++) {
    x->be->ops->get(a, x, i);
    y->be->ops->get(b, y, i);
    mpfr_fma(s, b, b, s, MPFR_RNDN);
    mpfr_sub(a, a, b, MPFR_RNDN);
    mpfr_fma(d, a, a, d, MPFR_RNDN);
  }
  if (mpfr_zero_p(s)) {
    mpfr_sqrt(r, d, MPFR_RNDN);
  } else {
    mpfr_div(r, d, s, MPFR_RNDN);
    mpfr_sqrt(r, r, MPFR_RNDN);
  }
  mpfr_clears(a, b, d, s, (mpfr_ptr)0);
}

double *adeis_vec_double_data(adeis_vec *x)
{
  return x->be->ops == &adeis_backend_double_ops ? (double *)x->data : NULL;
}

const double *adeis_vec_double_cdata(const adeis_vec *x)
{
  return x->be->ops == &adeis_backend_double_ops ? (const double *)x->data : NULL;
}

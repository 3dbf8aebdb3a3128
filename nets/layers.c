/* Layers on the tensor-ops table: forward maps and VJPs (see layers.h). */
#include "layers.h"
#include "../core/backend.h"

#include <math.h>

void adeis_linear_fwd(adeis_tbe_p be, void *y, const void *x, const void *w, const void *b,
                      size_t batch, size_t in, size_t out)
{
  be->ops->gemm(be, 0, 1, batch, out, in, NULL, x, in, w, in, NULL, y, out);
  be->ops->bias_add(be, y, b, 0, batch, out, 1);
}

void adeis_linear_vjp(adeis_tbe_p be, void *gx, mpfr_srcptr ax, int acc, void *gw, void *gb,
                      mpfr_srcptr s, const void *gy, const void *x, const void *w, size_t batch,
                      size_t in, size_t out)
{
  mpfr_t one;
  mpfr_init2(one, 2);
  mpfr_set_ui(one, 1, MPFR_RNDN);
  if (gx)
    be->ops->gemm(be, 0, 0, batch, in, out, ax, gy, out, w, in, acc ? one : NULL, gx, in);
  if (gw) {
    be->ops->gemm(be, 1, 0, out, in, batch, s, gy, out, x, in, one, gw, in);
    be->ops->bias_grad(be, gb, s, 0, gy, batch, out, 1);
  }
  mpfr_clear(one);
}

static size_t out_size(size_t n, int stride) { return (n - 1) / (size_t)stride + 1; }

void adeis_conv3_fwd(adeis_tbe_p be, void *y, const void *x, const void *w, const void *b,
                     void *col, size_t batch, size_t cin, size_t cout, size_t h, size_t wd,
                     int stride)
{
  size_t hw = h * wd, ohw = out_size(h, stride) * out_size(wd, stride), k = cin * 9;
  for (size_t n = 0; n < batch; n++) {
    be->ops->im2col(be, col, adeis_tcat(be, x, n * cin * hw), cin, h, wd, stride);
    be->ops->gemm(be, 0, 0, cout, ohw, k, NULL, w, k, col, ohw, NULL,
                  adeis_tat(be, y, n * cout * ohw), ohw);
  }
  be->ops->bias_add(be, y, b, 0, batch, cout, ohw);
}

void adeis_conv3_vjp(adeis_tbe_p be, void *gx, int acc, void *gw, void *gb, mpfr_srcptr s,
                     const void *gy, const void *x, const void *w, void *col, size_t batch,
                     size_t cin, size_t cout, size_t h, size_t wd, int stride)
{
  size_t hw = h * wd, ohw = out_size(h, stride) * out_size(wd, stride), k = cin * 9;
  mpfr_t one;
  mpfr_init2(one, 2);
  mpfr_set_ui(one, 1, MPFR_RNDN);
  if (gx && !acc)
    be->ops->zero(be, gx, batch * cin * hw);
  for (size_t n = 0; n < batch; n++) {
    const void *gyn = adeis_tcat(be, gy, n * cout * ohw);
    if (gw) {
      be->ops->im2col(be, col, adeis_tcat(be, x, n * cin * hw), cin, h, wd, stride);
      be->ops->gemm(be, 0, 1, cout, k, ohw, s, gyn, ohw, col, ohw, one, gw, k);
    }
    if (gx) {
      be->ops->gemm(be, 1, 0, k, ohw, cout, NULL, w, k, gyn, ohw, NULL, col, ohw);
      be->ops->col2im(be, adeis_tat(be, gx, n * cin * hw), col, cin, h, wd, stride);
    }
  }
  if (gb)
    be->ops->bias_grad(be, gb, s, 0, gy, batch, cout, ohw);
  mpfr_clear(one);
}

void adeis_conv1_fwd(adeis_tbe_p be, void *y, const void *x, const void *w, const void *b,
                     size_t batch, size_t cin, size_t cout, size_t hw)
{
  for (size_t n = 0; n < batch; n++)
    be->ops->gemm(be, 0, 0, cout, hw, cin, NULL, w, cin, adeis_tcat(be, x, n * cin * hw), hw,
                  NULL, adeis_tat(be, y, n * cout * hw), hw);
  be->ops->bias_add(be, y, b, 0, batch, cout, hw);
}

void adeis_conv1_vjp(adeis_tbe_p be, void *gx, int acc, void *gw, void *gb, mpfr_srcptr s,
                     const void *gy, const void *x, const void *w, size_t batch, size_t cin,
                     size_t cout, size_t hw)
{
  mpfr_t one;
  mpfr_init2(one, 2);
  mpfr_set_ui(one, 1, MPFR_RNDN);
  for (size_t n = 0; n < batch; n++) {
    const void *gyn = adeis_tcat(be, gy, n * cout * hw);
    if (gw)
      be->ops->gemm(be, 0, 1, cout, cin, hw, s, gyn, hw, adeis_tcat(be, x, n * cin * hw), hw, one,
                    gw, cin);
    if (gx)
      be->ops->gemm(be, 1, 0, cin, hw, cout, NULL, w, cin, gyn, hw, acc ? one : NULL,
                    adeis_tat(be, gx, n * cin * hw), hw);
  }
  if (gb)
    be->ops->bias_grad(be, gb, s, 0, gy, batch, cout, hw);
  mpfr_clear(one);
}

void adeis_gnorm_fwd(adeis_tbe_p be, void *y, void *mean, void *rstd, const void *x,
                     const void *w, const void *b, size_t batch, size_t ch, size_t hw,
                     size_t groups)
{
  mpfr_t eps;
  mpfr_init2(eps, be->prec + ADEIS_GUARD_BITS);
  mpfr_set_str(eps, "1e-5", 10, MPFR_RNDN);
  mpfr_prec_round(eps, be->prec, MPFR_RNDN);
  be->ops->gn_fwd(be, y, mean, rstd, x, w, b, batch, ch, hw, groups, eps);
  mpfr_clear(eps);
}

void adeis_gnorm_vjp(adeis_tbe_p be, void *gx, void *gw, void *gb, mpfr_srcptr s, const void *gy,
                     const void *x, const void *mean, const void *rstd, const void *w,
                     size_t batch, size_t ch, size_t hw, size_t groups)
{
  be->ops->gn_vjp(be, gx, gw, gb, s, gy, x, mean, rstd, w, batch, ch, hw, groups);
}

void adeis_concat_fwd(adeis_tbe_p be, void *y, const void *a, size_t ca, const void *b, size_t cb,
                      size_t batch, size_t hw)
{
  be->ops->concat(be, y, a, ca, b, cb, batch, hw);
}

void adeis_concat_vjp(adeis_tbe_p be, void *ga, int acca, void *gb, int accb, const void *gy,
                      size_t ca, size_t cb, size_t batch, size_t hw)
{
  be->ops->split(be, ga, acca, gb, accb, gy, ca, cb, batch, hw);
}

static void time_embed_mpfr(adeis_tbe_p be, void *e, mpfr_srcptr t, size_t half)
{
  mpfr_t c, w, a, r;
  mpfr_inits2(be->prec + ADEIS_GUARD_BITS, c, w, a, r, (mpfr_ptr)0);
  mpfr_mul_ui(c, t, 1000, MPFR_RNDN);
  for (size_t k = 0; k < half; k++) {
    mpfr_set_ui(w, 10000, MPFR_RNDN);
    mpfr_log(w, w, MPFR_RNDN);
    mpfr_mul_ui(w, w, (unsigned long)k, MPFR_RNDN);
    mpfr_div_ui(w, w, (unsigned long)half, MPFR_RNDN);
    mpfr_neg(w, w, MPFR_RNDN);
    mpfr_exp(w, w, MPFR_RNDN);
    mpfr_mul(a, c, w, MPFR_RNDN);
    mpfr_cos(r, a, MPFR_RNDN);
    be->ops->set_mpfr(be, e, k, r);
    mpfr_sin(r, a, MPFR_RNDN);
    be->ops->set_mpfr(be, e, half + k, r);
  }
  mpfr_clears(c, w, a, r, (mpfr_ptr)0);
}

void adeis_time_embed(adeis_tbe_p be, void *e, mpfr_srcptr t, size_t e_dim)
{
  size_t half = e_dim / 2;
  if (be->ops->fixed_prec == 0) {
    time_embed_mpfr(be, e, t, half);
    return;
  }
  double c = 1000.0 * mpfr_get_d(t, MPFR_RNDN), v[2];
  for (size_t k = 0; k < half; k++) {
    double w = exp(-log(10000.0) * (double)k / (double)half);
    v[0] = cos(c * w);
    v[1] = sin(c * w);
    be->ops->from_double(be, adeis_tat(be, e, k), &v[0], 1);
    be->ops->from_double(be, adeis_tat(be, e, half + k), &v[1], 1);
  }
}

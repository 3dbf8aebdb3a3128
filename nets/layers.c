/* Layers on the tensor-ops table: forward maps and VJPs (see layers.h). */
#include "layers.h"
#include "../core/backend.h"

#include <string.h>
#include <math.h>
#include <stdlib.h>

#define EMBED_STACK 256 /* half-sizes of the time embedding built on the stack */

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

/* ---- 3x3 convolutions at stride 1 without im2col (float and double tables) ----
 * Each of the nine taps is one GEMM on a zero-padded copy of the input: with the output
 * computed at the padded width wp = w + 2 (two columns per row then dropped), tap (ky, kx)
 * reads the padded planes shifted by ky wp + kx, a plain strided matrix of cin rows. This
 * copies the input once instead of nine times. Used where the scratch `col` holds the padded
 * planes and the repacked weights; MPFR keeps im2col (one rounding per output) and so does
 * stride 2. */

typedef struct conv_pad {
  size_t hp, wp, plane, cols; /* padded sizes, plane = hp wp, cols = h wp */
  size_t wt, xp, yp, gwt, gxp; /* offsets into col (elements) */
  size_t need;
} conv_pad;

static int conv3_direct(adeis_tbe_p be, conv_pad *c, size_t cin, size_t cout, size_t h,
                        size_t wd, int stride, int vjp)
{
  const char *n = be->ops->name;
  if (stride != 1 || (strcmp(n, "float") && strcmp(n, "double")))
    return 0;
  c->hp = h + 2, c->wp = wd + 2, c->plane = c->hp * c->wp, c->cols = h * c->wp;
  size_t nw = 9 * cout * cin, nx = cin * c->plane + 2; /* 2: the last tap's overrun */
  c->wt = 0, c->xp = nw, c->yp = c->xp + nx;
  c->gwt = c->yp + cout * c->cols, c->gxp = c->gwt + (vjp ? nw : 0);
  c->need = c->gxp + (vjp ? nx : 0);
  return c->need <= 9 * cin * h * wd;
}

/* y[r ldy + i] = x[r ldx + i] (acc: +=) for r < rows, i < cols: the table's copy2d, or row
 * by row */
static void block_copy(adeis_tbe_p be, void *y, size_t ldy, const void *x, size_t ldx,
                       size_t rows, size_t cols, int acc)
{
  if (be->ops->copy2d) {
    be->ops->copy2d(be, y, ldy, x, ldx, rows, cols, acc);
    return;
  }
  for (size_t r = 0; r < rows; r++)
    if (acc)
      be->ops->axpy(be, adeis_tat(be, y, r * ldy), NULL, adeis_tcat(be, x, r * ldx), cols);
    else
      be->ops->copy(be, adeis_tat(be, y, r * ldy), adeis_tcat(be, x, r * ldx), cols);
}

/* wt[t][o][c] = w[o][c][t] */
static void conv3_repack(adeis_tbe_p be, void *wt, const void *w, size_t cin, size_t cout)
{
  for (size_t t = 0; t < 9; t++)
    block_copy(be, adeis_tat(be, wt, t * cout * cin), 1, adeis_tcat(be, w, t), 9, cout * cin, 1,
               0);
}

/* planes x[ch][h][wd] into y at row pitch `pitch`, plane pitch `plane`, from `off` */
static void rows_copy(adeis_tbe_p be, void *y, size_t off, size_t pitch, size_t plane,
                      const void *x, size_t ch, size_t h, size_t wd)
{
  if (plane == h * pitch) {
    block_copy(be, adeis_tat(be, y, off), pitch, x, wd, ch * h, wd, 0);
    return;
  }
  for (size_t c = 0; c < ch; c++)
    block_copy(be, adeis_tat(be, y, off + c * plane), pitch, adeis_tcat(be, x, c * h * wd), wd, h,
               wd, 0);
}

static void conv3_fwd_direct(adeis_tbe_p be, const conv_pad *p, void *y, const void *x,
                             const void *w, void *col, size_t batch, size_t cin, size_t cout,
                             size_t h, size_t wd, mpfr_srcptr one)
{
  void *wt = adeis_tat(be, col, p->wt), *xp = adeis_tat(be, col, p->xp);
  void *yp = adeis_tat(be, col, p->yp);
  conv3_repack(be, wt, w, cin, cout);
  be->ops->zero(be, xp, cin * p->plane + 2);
  for (size_t n = 0; n < batch; n++) {
    rows_copy(be, xp, p->wp + 1, p->wp, p->plane, adeis_tcat(be, x, n * cin * h * wd), cin, h,
              wd);
    for (size_t t = 0; t < 9; t++)
      be->ops->gemm(be, 0, 0, cout, p->cols, cin, NULL, adeis_tat(be, wt, t * cout * cin), cin,
                    adeis_tat(be, xp, (t / 3) * p->wp + t % 3), p->plane, t ? one : NULL, yp,
                    p->cols);
    block_copy(be, adeis_tat(be, y, n * cout * h * wd), wd, yp, p->wp, cout * h, wd, 0);
  }
}

static void conv3_vjp_direct(adeis_tbe_p be, const conv_pad *p, void *gx, void *gw,
                             mpfr_srcptr s, const void *gy, const void *x, const void *w,
                             void *col, size_t batch, size_t cin, size_t cout, size_t h,
                             size_t wd, mpfr_srcptr one)
{
  void *wt = adeis_tat(be, col, p->wt), *xp = adeis_tat(be, col, p->xp);
  void *gyp = adeis_tat(be, col, p->yp), *gwt = adeis_tat(be, col, p->gwt);
  void *gxp = adeis_tat(be, col, p->gxp);
  size_t nw = 9 * cout * cin, hw = h * wd;
  if (gx)
    conv3_repack(be, wt, w, cin, cout);
  if (gw) {
    be->ops->zero(be, gwt, nw);
    be->ops->zero(be, xp, cin * p->plane + 2);
  }
  be->ops->zero(be, gyp, cout * p->cols); /* the two extra columns stay zero */
  for (size_t n = 0; n < batch; n++) {
    rows_copy(be, gyp, 0, p->wp, p->cols, adeis_tcat(be, gy, n * cout * hw), cout, h, wd);
    if (gw) {
      rows_copy(be, xp, p->wp + 1, p->wp, p->plane, adeis_tcat(be, x, n * cin * hw), cin, h,
                wd);
      for (size_t t = 0; t < 9; t++)
        be->ops->gemm(be, 0, 1, cout, cin, p->cols, s, gyp, p->cols,
                      adeis_tat(be, xp, (t / 3) * p->wp + t % 3), p->plane, one,
                      adeis_tat(be, gwt, t * cout * cin), cin);
    }
    if (gx) {
      be->ops->zero(be, gxp, cin * p->plane + 2);
      for (size_t t = 0; t < 9; t++)
        be->ops->gemm(be, 1, 0, cin, p->cols, cout, NULL, adeis_tat(be, wt, t * cout * cin), cin,
                      gyp, p->cols, one, adeis_tat(be, gxp, (t / 3) * p->wp + t % 3), p->plane);
      void *gxn = adeis_tat(be, gx, n * cin * hw);
      for (size_t c = 0; c < cin; c++)
        block_copy(be, adeis_tat(be, gxn, c * hw), wd, adeis_tat(be, gxp, c * p->plane + p->wp + 1),
                   p->wp, h, wd, 1);
    }
  }
  if (gw)
    for (size_t t = 0; t < 9; t++)
      block_copy(be, adeis_tat(be, gw, t), 9, adeis_tat(be, gwt, t * cout * cin), 1, cout * cin, 1,
                 1);
}

void adeis_conv3_fwd(adeis_tbe_p be, void *y, const void *x, const void *w, const void *b,
                     void *col, size_t batch, size_t cin, size_t cout, size_t h, size_t wd,
                     int stride)
{
  size_t hw = h * wd, ohw = out_size(h, stride) * out_size(wd, stride), k = cin * 9;
  conv_pad p;
  if (conv3_direct(be, &p, cin, cout, h, wd, stride, 0)) {
    mpfr_t one;
    mpfr_init2(one, 2);
    mpfr_set_ui(one, 1, MPFR_RNDN);
    conv3_fwd_direct(be, &p, y, x, w, col, batch, cin, cout, h, wd, one);
    mpfr_clear(one);
  } else
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
  conv_pad p;
  if (conv3_direct(be, &p, cin, cout, h, wd, stride, 1))
    conv3_vjp_direct(be, &p, gx, gw, s, gy, x, w, col, batch, cin, cout, h, wd, one);
  else
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

/* the group norm's eps = 1e-5 at the table's precision (initialised here; clear after use) */
static void gnorm_eps(adeis_tbe_p be, mpfr_ptr eps)
{
  mpfr_init2(eps, be->prec + ADEIS_GUARD_BITS);
  mpfr_set_str(eps, "1e-5", 10, MPFR_RNDN);
  mpfr_prec_round(eps, be->prec, MPFR_RNDN);
}

void adeis_gnorm_fwd(adeis_tbe_p be, void *y, void *mean, void *rstd, const void *x,
                     const void *w, const void *b, size_t batch, size_t ch, size_t hw,
                     size_t groups)
{
  mpfr_t eps;
  gnorm_eps(be, eps);
  be->ops->gn_fwd(be, y, mean, rstd, x, w, b, batch, ch, hw, groups, eps);
  mpfr_clear(eps);
}

void adeis_gnorm_vjp(adeis_tbe_p be, void *gx, void *gw, void *gb, mpfr_srcptr s, const void *gy,
                     const void *x, const void *mean, const void *rstd, const void *w,
                     size_t batch, size_t ch, size_t hw, size_t groups)
{
  be->ops->gn_vjp(be, gx, gw, gb, s, gy, x, mean, rstd, w, batch, ch, hw, groups);
}

void adeis_gnorm_silu_fwd(adeis_tbe_p be, void *y, void *save, void *mean, void *rstd,
                          const void *x, const void *w, const void *b, size_t batch, size_t ch,
                          size_t hw, size_t groups)
{
  mpfr_t eps;
  gnorm_eps(be, eps);
  if (be->ops->gn_silu_fwd) {
    be->ops->gn_silu_fwd(be, y, save, mean, rstd, x, w, b, batch, ch, hw, groups, eps);
  } else {
    be->ops->gn_fwd(be, save, mean, rstd, x, w, b, batch, ch, hw, groups, eps);
    be->ops->silu(be, y, save, batch * ch * hw);
  }
  mpfr_clear(eps);
}

void adeis_gnorm_silu_vjp(adeis_tbe_p be, void *gx, void *gw, void *gb, mpfr_srcptr s, void *gy,
                          const void *x, const void *save, const void *mean, const void *rstd,
                          const void *w, const void *b, size_t batch, size_t ch, size_t hw,
                          size_t groups)
{
  if (be->ops->gn_silu_vjp) {
    be->ops->gn_silu_vjp(be, gx, gw, gb, s, gy, x, save, mean, rstd, w, b, batch, ch, hw, groups);
    return;
  }
  be->ops->silu_vjp(be, gy, save, gy, batch * ch * hw, 0);
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
  double c = 1000.0 * mpfr_get_d(t, MPFR_RNDN), v[2 * EMBED_STACK];
  if (be->ops->time_embed) { /* computed where the array lives (the CUDA tables) */
    be->ops->time_embed(be, e, c, e_dim);
    return;
  }
  /* built on the host and stored with one from_double */
  double *buf = e_dim <= 2 * EMBED_STACK ? v : malloc(e_dim * sizeof *buf);
  for (size_t k = 0; k < half; k++) {
    double w = exp(-log(10000.0) * (double)k / (double)half), a = c * w;
    if (buf) {
      buf[k] = cos(a);
      buf[half + k] = sin(a);
    } else { /* out of memory for a large embedding: element by element */
      double ck = cos(a), sk = sin(a);
      be->ops->from_double(be, adeis_tat(be, e, k), &ck, 1);
      be->ops->from_double(be, adeis_tat(be, e, half + k), &sk, 1);
    }
  }
  if (buf)
    be->ops->from_double(be, e, buf, 2 * half);
  if (buf != v)
    free(buf);
}

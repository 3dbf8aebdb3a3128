/* MPFR tensor ops: arrays of mpfr_t at the table's precision p. Every sum and product chain
 * is computed at p + ADEIS_GUARD_BITS and rounded once into its p-bit result. Arrays made
 * here hold their limbs in the same block (mpfr custom interface); arrays from mpfr_init2
 * work the same way, since elements are only ever written with mpfr_set-like calls. */
#include "tops.h"
#include "../core/backend.h"

#include <stdint.h>
#include <stdlib.h>

#define R MPFR_RNDN
#define EL(x, i) (((mpfr_ptr)(x)) + (i))
#define CEL(x, i) (((mpfr_srcptr)(x)) + (i))

static mpfr_prec_t wp(adeis_tbe_p be) { return be->prec + ADEIS_GUARD_BITS; }

static void *mp_alloc(adeis_tbe_p be, size_t n)
{
  size_t limbs = mpfr_custom_get_size(be->prec);
  limbs = (limbs + sizeof(mp_limb_t) - 1) / sizeof(mp_limb_t) * sizeof(mp_limb_t);
  size_t per = sizeof(__mpfr_struct) + limbs;
  if (n > SIZE_MAX / per - 1)
    return NULL;
  char *blk = malloc(n ? n * per : per);
  if (!blk)
    return NULL;
  char *sig = blk + n * sizeof(__mpfr_struct);
  for (size_t i = 0; i < n; i++) {
    void *s = sig + i * limbs;
    mpfr_custom_init(s, be->prec);
    mpfr_custom_init_set(EL(blk, i), MPFR_ZERO_KIND, 0, be->prec, s);
  }
  return blk;
}

static void mp_free(adeis_tbe_p be, void *x, size_t n)
{
  (void)be;
  (void)n;
  free(x);
}

static void mp_zero(adeis_tbe_p be, void *x, size_t n)
{
  (void)be;
  for (size_t i = 0; i < n; i++)
    mpfr_set_zero(EL(x, i), 1);
}

static void mp_copy(adeis_tbe_p be, void *y, const void *x, size_t n)
{
  (void)be;
  if (y == x)
    return;
  for (size_t i = 0; i < n; i++)
    mpfr_set(EL(y, i), CEL(x, i), R);
}

static void mp_from_double(adeis_tbe_p be, void *y, const double *x, size_t n)
{
  (void)be;
  for (size_t i = 0; i < n; i++)
    mpfr_set_d(EL(y, i), x[i], R);
}

static void mp_from_float(adeis_tbe_p be, void *y, const float *x, size_t n)
{
  (void)be;
  for (size_t i = 0; i < n; i++)
    mpfr_set_flt(EL(y, i), x[i], R);
}

static void mp_to_double(adeis_tbe_p be, double *y, const void *x, size_t n)
{
  (void)be;
  for (size_t i = 0; i < n; i++)
    y[i] = mpfr_get_d(CEL(x, i), R);
}

static void mp_set_mpfr(adeis_tbe_p be, void *x, size_t i, mpfr_srcptr r)
{
  (void)be;
  mpfr_set(EL(x, i), r, R);
}

static void mp_get_mpfr(adeis_tbe_p be, mpfr_ptr r, const void *x, size_t i)
{
  (void)be;
  mpfr_set(r, CEL(x, i), R);
}

static void mp_axpy(adeis_tbe_p be, void *y, mpfr_srcptr a, const void *x, size_t n)
{
  mpfr_t t;
  mpfr_init2(t, wp(be));
  for (size_t i = 0; i < n; i++) {
    if (a)
      mpfr_fma(t, a, CEL(x, i), EL(y, i), R);
    else
      mpfr_add(t, EL(y, i), CEL(x, i), R);
    mpfr_set(EL(y, i), t, R);
  }
  mpfr_clear(t);
}

static void mp_scale(adeis_tbe_p be, void *x, mpfr_srcptr a, size_t n)
{
  (void)be;
  if (!a)
    return;
  for (size_t i = 0; i < n; i++)
    mpfr_mul(EL(x, i), EL(x, i), a, R);
}

static void mp_gemm(adeis_tbe_p be, int ta, int tb, size_t m, size_t n, size_t k, mpfr_srcptr alpha,
                    const void *a, size_t lda, const void *b, size_t ldb, mpfr_srcptr beta, void *c,
                    size_t ldc)
{
  mpfr_prec_t p = wp(be);
  size_t sai = ta ? 1 : lda, sak = ta ? lda : 1; /* A(i, l) = a[i sai + l sak] */
  size_t sbk = tb ? 1 : ldb, sbj = tb ? ldb : 1; /* B(l, j) = b[l sbk + j sbj] */
#pragma omp parallel if (m * n * k > 200000 && m > 1)
  {
    mpfr_t acc;
    mpfr_init2(acc, p);
#pragma omp for schedule(static)
    for (size_t i = 0; i < m; i++)
      for (size_t j = 0; j < n; j++) {
        mpfr_set_zero(acc, 1);
        for (size_t l = 0; l < k; l++)
          mpfr_fma(acc, CEL(a, i * sai + l * sak), CEL(b, l * sbk + j * sbj), acc, R);
        mpfr_ptr cij = EL(c, i * ldc + j);
        if (alpha)
          mpfr_mul(acc, acc, alpha, R);
        if (beta)
          mpfr_fma(acc, beta, cij, acc, R);
        mpfr_set(cij, acc, R);
      }
    mpfr_clear(acc);
  }
}

static void mp_bias_add(adeis_tbe_p be, void *y, const void *b, size_t bstride, size_t rows,
                        size_t ch, size_t inner)
{
  mpfr_t t;
  mpfr_init2(t, wp(be));
  mpfr_ptr py = EL(y, 0);
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < ch; c++) {
      mpfr_srcptr bias = CEL(b, r * bstride + c);
      for (size_t i = 0; i < inner; i++, py++) {
        mpfr_add(t, py, bias, R);
        mpfr_set(py, t, R);
      }
    }
  mpfr_clear(t);
}

static void mp_bias_grad(adeis_tbe_p be, void *gb, mpfr_srcptr s, size_t bstride, const void *gy,
                         size_t rows, size_t ch, size_t inner)
{
  mpfr_t acc;
  mpfr_init2(acc, wp(be));
  size_t nr = bstride ? rows : 1, inr = bstride ? 1 : rows;
  for (size_t r = 0; r < nr; r++)
    for (size_t c = 0; c < ch; c++) {
      mpfr_set_zero(acc, 1);
      for (size_t q = 0; q < inr; q++) {
        mpfr_srcptr py = CEL(gy, ((r + q) * ch + c) * inner);
        for (size_t i = 0; i < inner; i++)
          mpfr_add(acc, acc, py + i, R);
      }
      mpfr_ptr g = EL(gb, r * bstride + c);
      if (s)
        mpfr_fma(acc, acc, s, g, R);
      else
        mpfr_add(acc, acc, g, R);
      mpfr_set(g, acc, R);
    }
  mpfr_clear(acc);
}

/* sg = 1 / (1 + exp(-u)) */
static void sigmoid(mpfr_ptr sg, mpfr_srcptr u)
{
  mpfr_neg(sg, u, R);
  mpfr_exp(sg, sg, R);
  mpfr_add_ui(sg, sg, 1, R);
  mpfr_ui_div(sg, 1, sg, R);
}

static void mp_silu(adeis_tbe_p be, void *y, const void *x, size_t n)
{
  mpfr_t sg;
  mpfr_init2(sg, wp(be));
  for (size_t i = 0; i < n; i++) {
    sigmoid(sg, CEL(x, i));
    mpfr_mul(EL(y, i), sg, CEL(x, i), R);
  }
  mpfr_clear(sg);
}

static void mp_silu_vjp(adeis_tbe_p be, void *gx, const void *x, const void *gy, size_t n, int acc)
{
  mpfr_t sg, d;
  mpfr_inits2(wp(be), sg, d, (mpfr_ptr)0);
  for (size_t i = 0; i < n; i++) {
    mpfr_srcptr u = CEL(x, i);
    sigmoid(sg, u);
    mpfr_ui_sub(d, 1, sg, R);   /* 1 - sg */
    mpfr_mul(d, d, u, R);       /* u (1 - sg) */
    mpfr_add_ui(d, d, 1, R);
    mpfr_mul(d, d, sg, R);
    if (acc) {
      mpfr_fma(d, d, CEL(gy, i), EL(gx, i), R);
      mpfr_set(EL(gx, i), d, R);
    } else {
      mpfr_mul(EL(gx, i), d, CEL(gy, i), R);
    }
  }
  mpfr_clears(sg, d, (mpfr_ptr)0);
}

static void mp_gn_fwd(adeis_tbe_p be, void *y, void *mean, void *rstd, const void *x, const void *w,
                      const void *b, size_t batch, size_t ch, size_t inner, size_t groups,
                      mpfr_srcptr eps)
{
  size_t cg = ch / groups, m = cg * inner;
  mpfr_t s, d, t;
  mpfr_inits2(wp(be), s, d, t, (mpfr_ptr)0);
  for (size_t n = 0; n < batch; n++)
    for (size_t g = 0; g < groups; g++) {
      size_t off = (n * ch + g * cg) * inner;
      mpfr_ptr mu = EL(mean, n * groups + g), rs = EL(rstd, n * groups + g);
      mpfr_set_zero(s, 1);
      for (size_t i = 0; i < m; i++)
        mpfr_add(s, s, CEL(x, off + i), R);
      mpfr_div_ui(mu, s, (unsigned long)m, R);
      mpfr_set_zero(s, 1);
      for (size_t i = 0; i < m; i++) {
        mpfr_sub(d, CEL(x, off + i), mu, R);
        mpfr_fma(s, d, d, s, R);
      }
      mpfr_div_ui(s, s, (unsigned long)m, R);
      mpfr_add(s, s, eps, R);
      mpfr_rec_sqrt(rs, s, R);
      for (size_t c = 0; c < cg; c++)
        for (size_t i = 0; i < inner; i++) {
          size_t q = off + c * inner + i;
          mpfr_sub(t, CEL(x, q), mu, R);
          mpfr_mul(t, t, rs, R);
          mpfr_fma(t, t, CEL(w, g * cg + c), CEL(b, g * cg + c), R);
          mpfr_set(EL(y, q), t, R);
        }
    }
  mpfr_clears(s, d, t, (mpfr_ptr)0);
}

static void mp_gn_vjp(adeis_tbe_p be, void *gx, void *gw, void *gb, mpfr_srcptr s, const void *gy,
                      const void *x, const void *mean, const void *rstd, const void *w,
                      size_t batch, size_t ch, size_t inner, size_t groups)
{
  size_t cg = ch / groups, m = cg * inner;
  mpfr_t aw, ab, xh, gi, s1, s2;
  mpfr_inits2(wp(be), aw, ab, xh, gi, s1, s2, (mpfr_ptr)0);
  for (size_t c = 0; gw && c < ch; c++) {
    mpfr_set_zero(aw, 1);
    mpfr_set_zero(ab, 1);
    for (size_t n = 0; n < batch; n++) {
      size_t g = c / cg, off = (n * ch + c) * inner;
      for (size_t i = 0; i < inner; i++) {
        mpfr_sub(xh, CEL(x, off + i), CEL(mean, n * groups + g), R);
        mpfr_mul(xh, xh, CEL(rstd, n * groups + g), R);
        mpfr_fma(aw, CEL(gy, off + i), xh, aw, R);
        mpfr_add(ab, ab, CEL(gy, off + i), R);
      }
    }
    if (s) {
      mpfr_fma(aw, aw, s, EL(gw, c), R);
      mpfr_fma(ab, ab, s, EL(gb, c), R);
    } else {
      mpfr_add(aw, aw, EL(gw, c), R);
      mpfr_add(ab, ab, EL(gb, c), R);
    }
    mpfr_set(EL(gw, c), aw, R);
    mpfr_set(EL(gb, c), ab, R);
  }
  for (size_t n = 0; gx && n < batch; n++)
    for (size_t g = 0; g < groups; g++) {
      mpfr_srcptr mu = CEL(mean, n * groups + g), rs = CEL(rstd, n * groups + g);
      size_t off = (n * ch + g * cg) * inner;
      mpfr_set_zero(s1, 1);
      mpfr_set_zero(s2, 1);
      for (size_t c = 0; c < cg; c++)
        for (size_t i = 0; i < inner; i++) {
          size_t q = off + c * inner + i;
          mpfr_mul(gi, CEL(gy, q), CEL(w, g * cg + c), R);
          mpfr_add(s1, s1, gi, R);
          mpfr_sub(xh, CEL(x, q), mu, R);
          mpfr_mul(xh, xh, rs, R);
          mpfr_fma(s2, gi, xh, s2, R);
        }
      mpfr_div_ui(s1, s1, (unsigned long)m, R);
      mpfr_div_ui(s2, s2, (unsigned long)m, R);
      for (size_t c = 0; c < cg; c++)
        for (size_t i = 0; i < inner; i++) {
          size_t q = off + c * inner + i;
          mpfr_sub(xh, CEL(x, q), mu, R);
          mpfr_mul(xh, xh, rs, R);
          mpfr_mul(xh, xh, s2, R);                  /* xhat m2 */
          mpfr_fms(gi, CEL(gy, q), CEL(w, g * cg + c), s1, R); /* gy w - m1 */
          mpfr_sub(gi, gi, xh, R);
          mpfr_mul(EL(gx, q), gi, rs, R);
        }
    }
  mpfr_clears(aw, ab, xh, gi, s1, s2, (mpfr_ptr)0);
}

static void mp_im2col(adeis_tbe_p be, void *col, const void *x, size_t ch, size_t h, size_t w,
                      int stride)
{
  (void)be;
  size_t st = (size_t)stride, ho = (h - 1) / st + 1, wo = (w - 1) / st + 1;
  mpfr_ptr pc = EL(col, 0);
  for (size_t c = 0; c < ch; c++)
    for (size_t ky = 0; ky < 3; ky++)
      for (size_t kx = 0; kx < 3; kx++)
        for (size_t oy = 0; oy < ho; oy++) {
          size_t iy = st * oy + ky;
          for (size_t ox = 0; ox < wo; ox++, pc++) {
            size_t ix = st * ox + kx;
            if (iy >= 1 && iy <= h && ix >= 1 && ix <= w)
              mpfr_set(pc, CEL(x, (c * h + iy - 1) * w + ix - 1), R);
            else
              mpfr_set_zero(pc, 1);
          }
        }
}

static void mp_col2im(adeis_tbe_p be, void *x, const void *col, size_t ch, size_t h, size_t w,
                      int stride)
{
  (void)be;
  size_t st = (size_t)stride, ho = (h - 1) / st + 1, wo = (w - 1) / st + 1;
  mpfr_srcptr pc = CEL(col, 0);
  for (size_t c = 0; c < ch; c++)
    for (size_t ky = 0; ky < 3; ky++)
      for (size_t kx = 0; kx < 3; kx++)
        for (size_t oy = 0; oy < ho; oy++) {
          size_t iy = st * oy + ky;
          for (size_t ox = 0; ox < wo; ox++, pc++) {
            size_t ix = st * ox + kx;
            if (iy >= 1 && iy <= h && ix >= 1 && ix <= w) {
              mpfr_ptr q = EL(x, (c * h + iy - 1) * w + ix - 1);
              mpfr_add(q, q, pc, R);
            }
          }
        }
}

static void mp_up2(adeis_tbe_p be, void *y, const void *x, size_t planes, size_t h, size_t w)
{
  (void)be;
  for (size_t p = 0; p < planes; p++)
    for (size_t oy = 0; oy < 2 * h; oy++)
      for (size_t ox = 0; ox < 2 * w; ox++)
        mpfr_set(EL(y, (p * 2 * h + oy) * 2 * w + ox), CEL(x, (p * h + oy / 2) * w + ox / 2), R);
}

static void mp_up2_vjp(adeis_tbe_p be, void *gx, const void *gy, size_t planes, size_t h, size_t w,
                       int acc)
{
  mpfr_t s;
  mpfr_init2(s, wp(be));
  for (size_t p = 0; p < planes; p++)
    for (size_t iy = 0; iy < h; iy++)
      for (size_t ix = 0; ix < w; ix++) {
        mpfr_srcptr g = CEL(gy, (p * 2 * h + 2 * iy) * 2 * w + 2 * ix);
        mpfr_ptr o = EL(gx, (p * h + iy) * w + ix);
        mpfr_add(s, g, g + 1, R);
        mpfr_add(s, s, g + 2 * w, R);
        mpfr_add(s, s, g + 2 * w + 1, R);
        if (acc)
          mpfr_add(s, s, o, R);
        mpfr_set(o, s, R);
      }
  mpfr_clear(s);
}

static void mp_concat(adeis_tbe_p be, void *y, const void *a, size_t ca, const void *b, size_t cb,
                      size_t batch, size_t inner)
{
  (void)be;
  size_t na = ca * inner, nb = cb * inner;
  for (size_t n = 0; n < batch; n++) {
    for (size_t i = 0; i < na; i++)
      mpfr_set(EL(y, n * (na + nb) + i), CEL(a, n * na + i), R);
    for (size_t i = 0; i < nb; i++)
      mpfr_set(EL(y, n * (na + nb) + na + i), CEL(b, n * nb + i), R);
  }
}

static void mp_part(mpfr_ptr g, int acc, mpfr_srcptr gy, size_t off, size_t np, size_t nt,
                    size_t batch)
{
  for (size_t n = 0; n < batch; n++)
    for (size_t i = 0; i < np; i++) {
      mpfr_ptr o = g + n * np + i;
      if (acc)
        mpfr_add(o, o, gy + n * nt + off + i, R);
      else
        mpfr_set(o, gy + n * nt + off + i, R);
    }
}

static void mp_split(adeis_tbe_p be, void *ga, int acca, void *gb, int accb, const void *gy,
                     size_t ca, size_t cb, size_t batch, size_t inner)
{
  (void)be;
  size_t na = ca * inner, nb = cb * inner;
  if (ga)
    mp_part(ga, acca, gy, 0, na, na + nb, batch);
  if (gb)
    mp_part(gb, accb, gy, na, nb, na + nb, batch);
}

const adeis_tops adeis_tops_mpfr = {
    .name = "mpfr",
    .esize = sizeof(__mpfr_struct),
    .fixed_prec = 0,
    .alloc = mp_alloc,
    .free = mp_free,
    .zero = mp_zero,
    .copy = mp_copy,
    .from_double = mp_from_double,
    .from_float = mp_from_float,
    .to_double = mp_to_double,
    .set_mpfr = mp_set_mpfr,
    .get_mpfr = mp_get_mpfr,
    .axpy = mp_axpy,
    .scale = mp_scale,
    .gemm = mp_gemm,
    .bias_add = mp_bias_add,
    .bias_grad = mp_bias_grad,
    .silu = mp_silu,
    .silu_vjp = mp_silu_vjp,
    .gn_fwd = mp_gn_fwd,
    .gn_vjp = mp_gn_vjp,
    .im2col = mp_im2col,
    .col2im = mp_col2im,
    .up2 = mp_up2,
    .up2_vjp = mp_up2_vjp,
    .concat = mp_concat,
    .split = mp_split,
};

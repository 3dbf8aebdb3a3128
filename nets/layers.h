/* Network layers written once against the tensor-ops table (nets/tops.h), each with its
 * forward map and its vector-Jacobian product. Arrays are of the table's element type;
 * activations are row-major [batch][channels][h][w] (or [batch][features]).
 * VJPs: input gradients are overwritten, or added to when `acc` is nonzero; parameter
 * gradients (gw, gb; NULL: skipped) are ACCUMULATED with the scale s (NULL: 1). */
#ifndef ADEIS_NETS_LAYERS_H
#define ADEIS_NETS_LAYERS_H

#include "tops.h"

/* Linear: y[n][o] = sum_i w[o][i] x[n][i] + b[o]   (w: [out][in], as PyTorch) */
void adeis_linear_fwd(adeis_tbe_p be, void *y, const void *x, const void *w, const void *b,
                      size_t batch, size_t in, size_t out);
/* gx = ax (gy w) + (acc ? gx : 0) (ax NULL: 1; gx NULL: skipped); gw += s gy^T x; gb += s sum gy */
void adeis_linear_vjp(adeis_tbe_p be, void *gx, mpfr_srcptr ax, int acc, void *gw, void *gb,
                      mpfr_srcptr s, const void *gy, const void *x, const void *w, size_t batch,
                      size_t in, size_t out);

/* 3x3 convolution, padding 1, stride 1 or 2 (w: [cout][cin][3][3]); col is scratch of
 * cin * 9 * ho * wo elements, ho = (h - 1) / stride + 1. */
void adeis_conv3_fwd(adeis_tbe_p be, void *y, const void *x, const void *w, const void *b,
                     void *col, size_t batch, size_t cin, size_t cout, size_t h, size_t wd,
                     int stride);
void adeis_conv3_vjp(adeis_tbe_p be, void *gx, int acc, void *gw, void *gb, mpfr_srcptr s,
                     const void *gy, const void *x, const void *w, void *col, size_t batch,
                     size_t cin, size_t cout, size_t h, size_t wd, int stride);

/* 1x1 convolution over hw pixels (w: [cout][cin][1][1]) */
void adeis_conv1_fwd(adeis_tbe_p be, void *y, const void *x, const void *w, const void *b,
                     size_t batch, size_t cin, size_t cout, size_t hw);
void adeis_conv1_vjp(adeis_tbe_p be, void *gx, int acc, void *gw, void *gb, mpfr_srcptr s,
                     const void *gy, const void *x, const void *w, size_t batch, size_t cin,
                     size_t cout, size_t hw);

/* Group norm with eps = 1e-5 (the decimal number, rounded to the working precision). */
void adeis_gnorm_fwd(adeis_tbe_p be, void *y, void *mean, void *rstd, const void *x,
                     const void *w, const void *b, size_t batch, size_t ch, size_t hw,
                     size_t groups);
void adeis_gnorm_vjp(adeis_tbe_p be, void *gx, void *gw, void *gb, mpfr_srcptr s, const void *gy,
                     const void *x, const void *mean, const void *rstd, const void *w,
                     size_t batch, size_t ch, size_t hw, size_t groups);

/* y = silu(group norm of x) (eps as above). `save` (batch ch hw elements), mean and rstd
 * (batch groups) are kept for the VJP; what `save` holds depends on the table (the group
 * norm's output, or its sigmoid where the table fuses the two: gn_silu_fwd): pass it back
 * unchanged. */
void adeis_gnorm_silu_fwd(adeis_tbe_p be, void *y, void *save, void *mean, void *rstd,
                          const void *x, const void *w, const void *b, size_t batch, size_t ch,
                          size_t hw, size_t groups);
/* gx = d/dx (overwritten, distinct from gy), gw, gb accumulated as adeis_gnorm_vjp; gy = d/dy
 * is scratch: it may be overwritten. */
void adeis_gnorm_silu_vjp(adeis_tbe_p be, void *gx, void *gw, void *gb, mpfr_srcptr s, void *gy,
                          const void *x, const void *save, const void *mean, const void *rstd,
                          const void *w, const void *b, size_t batch, size_t ch, size_t hw,
                          size_t groups);

/* concat along channels: y[n] = (a[n], b[n]) with ca then cb channels of hw pixels */
void adeis_concat_fwd(adeis_tbe_p be, void *y, const void *a, size_t ca, const void *b, size_t cb,
                      size_t batch, size_t hw);
/* ga, gb: the two parts of gy (each NULL: skipped; acc: added to) */
void adeis_concat_vjp(adeis_tbe_p be, void *ga, int acca, void *gb, int accb, const void *gy,
                      size_t ca, size_t cb, size_t batch, size_t hw);

/* Sinusoidal time embedding of even size e_dim at c = 1000 t: e[k] = cos(c w_k),
 * e[e_dim/2 + k] = sin(c w_k), w_k = exp(-ln(10000) k / (e_dim / 2)). MPFR tables compute
 * it at the working precision plus guard bits; float and double in double arithmetic. */
void adeis_time_embed(adeis_tbe_p be, void *e, mpfr_srcptr t, size_t e_dim);

#endif

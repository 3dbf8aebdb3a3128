/* Tensor ops: the small table the network layers are written against, once, for every
 * element type. Three implementations: float and double on OpenBLAS, and MPFR (arrays of
 * mpfr_t at the table's precision, sums accumulated with ADEIS_GUARD_BITS extra bits and
 * rounded once). A CUDA implementation provides the same functions.
 *
 * Element arrays are untyped (void *): float[n], double[n] or mpfr_t[n] (__mpfr_struct[n],
 * whether allocated here or with mpfr_init2 by the caller). Matrices are row-major.
 * Scalars (scales, alpha, beta) always arrive as MPFR numbers and are rounded once per call
 * in float and double; a NULL scale means 1 (NULL beta means 0).
 * Parameter-gradient ops ACCUMULATE: grad += s * (...), so that a caller can add
 * s v^T d eps/d theta into a long vector without theta-sized temporaries. */
#ifndef ADEIS_NETS_TOPS_H
#define ADEIS_NETS_TOPS_H

#include <stddef.h>
#include <mpfr.h>

typedef struct adeis_tops adeis_tops;

/* A table and the precision of its elements (24 for float, 53 for double). */
typedef struct adeis_tbe {
  const adeis_tops *ops;
  mpfr_prec_t prec;
} adeis_tbe;

typedef const adeis_tbe *adeis_tbe_p;

struct adeis_tops {
  const char *name;           /* "float", "double", "mpfr" */
  size_t esize;               /* bytes per element */
  mpfr_prec_t fixed_prec;     /* 24 or 53; 0 for MPFR (any precision) */

  /* storage: alloc returns n zeros (NULL when out of memory); free(NULL) does nothing */
  void *(*alloc)(adeis_tbe_p be, size_t n);
  void (*free)(adeis_tbe_p be, void *x, size_t n);
  void (*zero)(adeis_tbe_p be, void *x, size_t n);
  void (*copy)(adeis_tbe_p be, void *y, const void *x, size_t n);
  /* host import / export (rounded to nearest) */
  void (*from_double)(adeis_tbe_p be, void *y, const double *x, size_t n);
  void (*from_float)(adeis_tbe_p be, void *y, const float *x, size_t n);
  void (*to_double)(adeis_tbe_p be, double *y, const void *x, size_t n);
  void (*set_mpfr)(adeis_tbe_p be, void *x, size_t i, mpfr_srcptr r);
  void (*get_mpfr)(adeis_tbe_p be, mpfr_ptr r, const void *x, size_t i);

  /* Optional (NULL: row by row with copy or axpy): a strided block of rows x cols,
   * y[r ldy + i] = x[r ldx + i], or += when acc is nonzero. */
  void (*copy2d)(adeis_tbe_p be, void *y, size_t ldy, const void *x, size_t ldx, size_t rows,
                 size_t cols, int acc);

  /* y += a x ;  x *= a */
  void (*axpy)(adeis_tbe_p be, void *y, mpfr_srcptr a, const void *x, size_t n);
  void (*scale)(adeis_tbe_p be, void *x, mpfr_srcptr a, size_t n);

  /* C (m x n) = alpha op(A) op(B) + beta C, op(A) m x k, op(B) k x n; ta/tb nonzero:
   * transposed. alpha NULL: 1; beta NULL: 0 (C is then not read). */
  void (*gemm)(adeis_tbe_p be, int ta, int tb, size_t m, size_t n, size_t k, mpfr_srcptr alpha,
               const void *a, size_t lda, const void *b, size_t ldb, mpfr_srcptr beta, void *c,
               size_t ldc);

  /* y[r][c][i] += b[r * bstride + c] for r < rows, c < ch, i < inner
   * (bstride 0: one bias for every row; bstride ch: a bias per row). */
  void (*bias_add)(adeis_tbe_p be, void *y, const void *b, size_t bstride, size_t rows, size_t ch,
                   size_t inner);
  /* gb[r * bstride + c] += s * sum_i gy[r][c][i] (bstride 0: summed over rows too). */
  void (*bias_grad)(adeis_tbe_p be, void *gb, mpfr_srcptr s, size_t bstride, const void *gy,
                    size_t rows, size_t ch, size_t inner);

  /* y = silu(x) = x / (1 + exp(-x));  gx = (acc ? gx : 0) + gy silu'(x) */
  void (*silu)(adeis_tbe_p be, void *y, const void *x, size_t n);
  void (*silu_vjp)(adeis_tbe_p be, void *gx, const void *x, const void *gy, size_t n, int acc);

  /* Group norm of x[batch][ch][inner] over `groups` groups of ch / groups channels:
   * y = (x - mean) rstd w[c] + b[c], rstd = 1 / sqrt(var + eps) (biased variance);
   * mean and rstd [batch][groups] are saved for the VJP. */
  void (*gn_fwd)(adeis_tbe_p be, void *y, void *mean, void *rstd, const void *x, const void *w,
                 const void *b, size_t batch, size_t ch, size_t inner, size_t groups,
                 mpfr_srcptr eps);
  /* gx = d/dx (overwritten; NULL: skipped); gw += s sum gy xhat, gb += s sum gy (NULL:
   * skipped). */
  void (*gn_vjp)(adeis_tbe_p be, void *gx, void *gw, void *gb, mpfr_srcptr s, const void *gy,
                 const void *x, const void *mean, const void *rstd, const void *w, size_t batch,
                 size_t ch, size_t inner, size_t groups);

  /* Optional, both or neither (NULL: the layers compose gn_fwd and silu): y = silu(a), a the
   * group norm of x as in gn_fwd, in one pass after the statistics; sig = sigmoid(a) is saved
   * with mean and rstd (a is recomputed from them in the VJP). */
  void (*gn_silu_fwd)(adeis_tbe_p be, void *y, void *sig, void *mean, void *rstd, const void *x,
                      const void *w, const void *b, size_t batch, size_t ch, size_t inner,
                      size_t groups, mpfr_srcptr eps);
  /* its VJP from gy = d/dy: gx overwritten (not NULL; may be gy), gw and gb as in gn_vjp;
   * the same numbers as silu_vjp followed by gn_vjp. */
  void (*gn_silu_vjp)(adeis_tbe_p be, void *gx, void *gw, void *gb, mpfr_srcptr s, const void *gy,
                      const void *x, const void *sig, const void *mean, const void *rstd,
                      const void *w, const void *b, size_t batch, size_t ch, size_t inner,
                      size_t groups);

  /* 3x3 patches, padding 1, stride 1 or 2, of x[ch][h][w]:
   * col[(c * 9 + ky * 3 + kx)][oy * wo + ox] = x[c][stride oy + ky - 1][stride ox + kx - 1]
   * (0 outside), ho = (h - 1) / stride + 1, wo likewise. col2im adds col back into x. */
  void (*im2col)(adeis_tbe_p be, void *col, const void *x, size_t ch, size_t h, size_t w,
                 int stride);
  void (*col2im)(adeis_tbe_p be, void *x, const void *col, size_t ch, size_t h, size_t w,
                 int stride);

  /* nearest-neighbour x2 of planes x[planes][h][w] into y[planes][2h][2w];
   * the VJP sums the four copies: gx = (acc ? gx : 0) + sum. */
  void (*up2)(adeis_tbe_p be, void *y, const void *x, size_t planes, size_t h, size_t w);
  void (*up2_vjp)(adeis_tbe_p be, void *gx, const void *gy, size_t planes, size_t h, size_t w,
                  int acc);

  /* concatenation along channels: y[n] = (a[n], b[n]), a[n] of ca x inner elements, b[n] of
   * cb x inner; split is its VJP: ga, gb = the two parts of gy (NULL: skipped; acc: added) */
  void (*concat)(adeis_tbe_p be, void *y, const void *a, size_t ca, const void *b, size_t cb,
                 size_t batch, size_t inner);
  void (*split)(adeis_tbe_p be, void *ga, int acca, void *gb, int accb, const void *gy, size_t ca,
                size_t cb, size_t batch, size_t inner);

  /* Optional (NULL: adeis_time_embed builds it on the host and stores it with from_double):
   * the sinusoidal time embedding of even size e_dim at c = 1000 t (c in double) computed
   * where the array lives, so that a device table evaluates a network without a transfer. */
  void (*time_embed)(adeis_tbe_p be, void *e, double c, size_t e_dim);
};

extern const adeis_tops adeis_tops_float;
extern const adeis_tops adeis_tops_double;
extern const adeis_tops adeis_tops_mpfr;

/* y[i] = exp(x[i]) as the float table's sigmoids compute it (tops_blas.c: vectorised, at most
 * 2 ulp where the result is normal; 0 below -103.98, +inf above 88.73, NaN for NaN). */
void adeis_tops_expf(float *y, const float *x, size_t n);
/* the same for the double table (at most 1.17 ulp measured; 0 below -745.14, +inf above
 * 709.79) */
void adeis_tops_exp(double *y, const double *x, size_t n);

/* Element i of an array of the table's type. */
static inline void *adeis_tat(adeis_tbe_p be, void *x, size_t i)
{
  return (char *)x + i * be->ops->esize;
}
static inline const void *adeis_tcat(adeis_tbe_p be, const void *x, size_t i)
{
  return (const char *)x + i * be->ops->esize;
}

/* Table by name ("float", "double", "mpfr") at a precision (ignored for float and double).
 * Returns 0, or ADEIS_EINPUT (unknown name, precision outside ADEIS_PREC_MIN..MAX). */
int adeis_tbe_init(adeis_tbe *be, const char *name, long prec);

#endif

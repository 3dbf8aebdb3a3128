/* float and double tensor ops on OpenBLAS (one template, two element types). */
#include "tops.h"
#include "../core/backend.h"
#include "../core/status.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The element-wise ops (and the exponential below) are compiled twice, for AVX2 (vectors of 8
 * floats or 4 doubles) and for the baseline x86-64 (SSE2, 4 or 2), and the loader picks one for
 * the processor (gcc's target_clones, an ifunc). Both clones do the same IEEE operations in the
 * same order (ISO C mode does not contract a * b + c into an fma, the AVX2 target does not
 * enable FMA, and the sums have their order fixed in the source), so they give the same bits.
 * Not under clang (the fuzz build) nor off x86-64, where the baseline alone is compiled. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VEC_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VEC_CLONES
#endif

/* exp(x) in float without a library call, so that gcc vectorises the loops of the sigmoids
 * (glibc's expf is one call per element: it is vectorised only under -ffast-math).
 *   x = k ln2 + r, k = nearest integer to x / ln2, |r| <= ln2 / 2 (plus rounding): Cody-Waite,
 *     ln2 = LN2_HI + LN2_LO with LN2_HI of 9 significant bits, so k LN2_HI (|k| <= 150) and
 *     x - k LN2_HI are exact;
 *   e^r by its Taylor polynomial of degree 7 in Horner form (truncation r^8 / 8! < 5.2e-9,
 *     0.04 ulp at 1);
 *   2^k from exponent bits, as 2^k1 2^(k - k1) with k1 = floor(k / 2) (both normal), so that
 *     results below FLT_MIN round once into the subnormals and results past FLT_MAX overflow
 *     to +inf, as expf does.
 * |x| is clamped to 104 first (expf is 0 below -103.98 and +inf above 88.73; the clamp keeps k
 * in range): on the bits, because a float comparison blocks the vectoriser (it may trap);
 * NaN passes the clamp and gives NaN, -inf gives 0, +inf gives +inf. k is read from the bits
 * of x / ln2 + 1.5 2^23 and all integer arithmetic is unsigned, so nothing here is undefined
 * for any input. Error: at most 1.22 ulp against the exact exponential where the result is
 * normal (every float of [-104, 104] checked against exp in double), subnormal results within
 * 0.78 of their ulp; tests/test_nets_tops.c checks 2 ulp on a sweep and against MPFR. */
#define ADEIS_EXPF_SHIFT 12582912.0f /* 1.5 2^23: adding it rounds |v| < 2^22 to an integer */
#define ADEIS_EXPF_CLAMP 0x42D00000u /* the bits of 104.0f */
static inline float adeis_expf_fast(float x)
{
  const float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
  union { float f; uint32_t u; } xb = {.f = x}, kb, s1, s2;
  uint32_t mag = xb.u & 0x7FFFFFFFu;
  mag = mag > ADEIS_EXPF_CLAMP && mag <= 0x7F800000u ? ADEIS_EXPF_CLAMP : mag; /* not NaN */
  xb.u = (xb.u & 0x80000000u) | mag;
  kb.f = xb.f * log2e + ADEIS_EXPF_SHIFT;
  float kf = kb.f - ADEIS_EXPF_SHIFT;
  uint32_t k = kb.u - 0x4B400000u; /* the bits of 1.5 2^23 + k, |k| < 2^22, minus 1.5 2^23 */
  uint32_t k1 = (uint32_t)((int32_t)k >> 1);
  float r = (xb.f - kf * ln2_hi) - kf * ln2_lo;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  s1.u = (k1 + 127u) << 23;
  s2.u = (k - k1 + 127u) << 23;
  return (p * s1.f) * s2.f;
}

VEC_CLONES void adeis_tops_expf(float *y, const float *x, size_t n)
{
#pragma omp simd
  for (size_t i = 0; i < n; i++)
    y[i] = adeis_expf_fast(x[i]);
}

/* exp(x) in double, the same construction: ln2 split as fdlibm does (LN2_HI with 32
 * significant bits, so k LN2_HI is exact for |k| < 2^21), the Taylor polynomial of degree 13
 * (truncation r^14 / 14! < 4.3e-18 relative, 0.02 ulp), |x| clamped to 746 (exp is 0 below
 * -745.14 and +inf above 709.79), 2^k as 2^k1 2^(k - k1). Error: at most 1.17 ulp where the
 * result is normal (5 10^7 random points of [-750, 750] and [-20, 20] against expl), within
 * 0.83 of the subnormal ulp below DBL_MIN; tests/test_nets_expf.c checks 2 ulp against MPFR. */
#define ADEIS_EXP_SHIFT 6755399441055744.0 /* 1.5 2^52 */
#define ADEIS_EXP_CLAMP 0x4087500000000000ull /* the bits of 746.0 */
static inline double adeis_exp_fast(double x)
{
  const double log2e = 1.4426950408889634074, ln2_hi = 6.93147180369123816490e-01,
               ln2_lo = 1.90821492927058770002e-10;
  union { double f; uint64_t u; } xb = {.f = x}, kb, s1, s2;
  uint64_t mag = xb.u & 0x7FFFFFFFFFFFFFFFull;
  mag = mag > ADEIS_EXP_CLAMP && mag <= 0x7FF0000000000000ull ? ADEIS_EXP_CLAMP : mag;
  xb.u = (xb.u & 0x8000000000000000ull) | mag;
  kb.f = xb.f * log2e + ADEIS_EXP_SHIFT;
  double kf = kb.f - ADEIS_EXP_SHIFT;
  uint64_t k = kb.u - 0x4338000000000000ull;
  uint64_t k1 = (uint64_t)((int64_t)k >> 1);
  double r = (xb.f - kf * ln2_hi) - kf * ln2_lo;
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  s1.u = (k1 + 1023u) << 52;
  s2.u = (k - k1 + 1023u) << 52;
  return (p * s1.f) * s2.f;
}

VEC_CLONES void adeis_tops_exp(double *y, const double *x, size_t n)
{
#pragma omp simd
  for (size_t i = 0; i < n; i++)
    y[i] = adeis_exp_fast(x[i]);
}

#define T float
#define F(x) x##_float
#define CBLAS_GEMM cblas_sgemm
#define FIXED_PREC 24
#define NAME "float"
#define GET_MPFR(r) mpfr_get_flt((r), MPFR_RNDN)
#define EXP adeis_expf_fast
#include "tops_real.inc"
#undef T
#undef F
#undef CBLAS_GEMM
#undef FIXED_PREC
#undef NAME
#undef GET_MPFR
#undef EXP

#define T double
#define F(x) x##_double
#define CBLAS_GEMM cblas_dgemm
#define FIXED_PREC 53
#define NAME "double"
#define GET_MPFR(r) mpfr_get_d((r), MPFR_RNDN)
#define EXP adeis_exp_fast
#include "tops_real.inc"

int adeis_tbe_init(adeis_tbe *be, const char *name, long prec)
{
  if (strcmp(name, "float") == 0) {
    be->ops = &adeis_tops_float;
    be->prec = 24;
  } else if (strcmp(name, "double") == 0) {
    be->ops = &adeis_tops_double;
    be->prec = 53;
  } else if (strcmp(name, "mpfr") == 0) {
    if (prec < ADEIS_PREC_MIN || prec > ADEIS_PREC_MAX) {
      adeis_set_error("mpfr tensor precision %ld outside %d..%d", prec, ADEIS_PREC_MIN,
                      ADEIS_PREC_MAX);
      return ADEIS_EINPUT;
    }
    be->ops = &adeis_tops_mpfr;
    be->prec = (mpfr_prec_t)prec;
  } else {
    adeis_set_error("tensor type '%s' (expected float, double or mpfr)", name);
    return ADEIS_EINPUT;
  }
  return ADEIS_OK;
}

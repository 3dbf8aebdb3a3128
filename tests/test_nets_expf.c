/* The float and double tables' exponentials (adeis_tops_expf and adeis_tops_exp,
 * nets/tops_blas.c: the sigmoids of silu and of the fused group norm + silu) against exp in
 * double on a sweep of the float range and against MPFR, with their edges: at most 2 ulp where
 * the result is normal, within one ulp of the subnormals below that, +inf exactly where exp(x)
 * overflows, 0 for -inf, NaN for NaN. (Measured maxima: 1.22 ulp in float over every float of
 * [-104, 104], 1.17 in double on random points: docs/networks.md.) */
#include <criterion/criterion.h>

#include "../nets/tops.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define CHUNK 4093 /* not a multiple of the vector length: the loop's tail is exercised too */

/* |y - e| in ulps of the float binade of e (in units of 2^-149 below FLT_MIN) */
static double ulps(float y, double e)
{
  int ex;
  if (e < FLT_MIN)
    return fabs((double)y - e) / ldexp(1.0, -149);
  frexp(e, &ex);
  return fabs((double)y - e) / ldexp(1.0, ex - 24);
}

/* y against e = exp(x) from an independent evaluation: the error bound, or the overflow */
static void check_one(float x, float y, double e, double *worst)
{
  if (e >= ldexp(1.0, 128)) {
    cr_assert(isinf(y) && y > 0, "exp(%a) = %a, expected +inf", (double)x, (double)y);
    return;
  }
  if (e > FLT_MAX) { /* between FLT_MAX and 2^128: rounds to FLT_MAX or to +inf */
    cr_assert(y == FLT_MAX || (isinf(y) && y > 0), "exp(%a) = %a", (double)x, (double)y);
    return;
  }
  double u = ulps(y, e), tol = e < FLT_MIN ? 1.0 : 2.0;
  cr_assert(u <= tol, "exp(%a) = %a, exact %a: %.3f ulp > %.0f", (double)x, (double)y, e, u, tol);
  if (e >= FLT_MIN && u > *worst)
    *worst = u;
}

/* Every 211th float of [-104, 104] (10.6 million points), in chunks through the vector loop,
 * against exp in double (whose error, 2^-53 relative, is below 2^-29 float ulp). */
Test(nets_expf, float_sweep_within_2_ulp_of_exp_in_double)
{
  static float x[CHUNK], y[CHUNK];
  const uint32_t top = 0x42D00000u; /* the bits of 104.0f */
  double worst = 0;
  for (uint32_t sign = 0; sign < 2; sign++) {
    uint32_t b = 0;
    while (b <= top) {
      size_t n = 0;
      for (; n < CHUNK && b <= top; n++, b += 211) {
        uint32_t bits = b | (sign << 31);
        memcpy(&x[n], &bits, sizeof bits);
      }
      adeis_tops_expf(y, x, n);
      for (size_t i = 0; i < n; i++)
        check_one(x[i], y[i], exp((double)x[i]), &worst);
    }
  }
  cr_assert(worst > 0.5, "the sweep saw no rounding error at all (%.3f ulp): not exercised", worst);
}

/* 20000 pseudo-random floats of [-88, 88] against mpfr_exp at 80 bits */
Test(nets_expf, float_random_within_2_ulp_of_mpfr)
{
  enum { N = 20000 };
  static float x[N], y[N];
  uint64_t s = 88172645463325252ull;
  for (size_t i = 0; i < N; i++) { /* xorshift64: a fixed, portable sequence */
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    x[i] = (float)(176.0 * (double)(s >> 11) / 9007199254740992.0 - 88.0);
  }
  adeis_tops_expf(y, x, N);
  mpfr_t e;
  mpfr_init2(e, 80);
  double worst = 0;
  for (size_t i = 0; i < N; i++) {
    mpfr_set_flt(e, x[i], MPFR_RNDN);
    mpfr_exp(e, e, MPFR_RNDN);
    check_one(x[i], y[i], mpfr_get_d(e, MPFR_RNDN), &worst);
  }
  mpfr_clear(e);
}

Test(nets_expf, edges_infinities_nan_and_overflow)
{
  float x[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e30f, -1e30f, 88.72f, 88.73f,
               -103.0f, -103.97f, -104.0f, -105.0f, FLT_MAX, -FLT_MAX, 1e-30f};
  enum { N = sizeof x / sizeof x[0] };
  float y[N];
  adeis_tops_expf(y, x, N);
  cr_assert(y[0] == 1.0f && y[1] == 1.0f, "exp(+-0) = %a, %a", (double)y[0], (double)y[1]);
  cr_assert(isinf(y[2]) && y[2] > 0, "exp(inf) = %a", (double)y[2]);
  cr_assert(y[3] == 0.0f, "exp(-inf) = %a", (double)y[3]);
  cr_assert(isnan(y[4]), "exp(nan) = %a", (double)y[4]);
  cr_assert(isinf(y[5]) && isinf(y[13]), "exp(1e30), exp(FLT_MAX): %a %a", (double)y[5],
            (double)y[13]);
  cr_assert(y[6] == 0.0f && y[12] == 0.0f && y[14] == 0.0f, "exp(-1e30), exp(-105): %a %a",
            (double)y[6], (double)y[12]);
  cr_assert(y[15] == 1.0f, "exp(1e-30) = %a", (double)y[15]);
  double worst = 0;
  for (size_t i = 7; i <= 11; i++) /* both sides of the overflow and underflow thresholds */
    check_one(x[i], y[i], exp((double)x[i]), &worst);
}

/* |y - e| in ulps of the double binade of e (in units of 2^-1074 below DBL_MIN), e in MPFR */
static double ulps_d(double y, mpfr_srcptr e)
{
  mpfr_t d;
  mpfr_init2(d, 200);
  mpfr_sub_d(d, e, y, MPFR_RNDN);
  mpfr_abs(d, d, MPFR_RNDN);
  double ed = mpfr_get_d(e, MPFR_RNDN), u;
  if (ed < DBL_MIN)
    u = mpfr_get_d(d, MPFR_RNDN) / ldexp(1.0, -1074);
  else {
    int ex;
    frexp(ed, &ex);
    mpfr_mul_2si(d, d, 53 - ex, MPFR_RNDN);
    u = mpfr_get_d(d, MPFR_RNDN);
  }
  mpfr_clear(d);
  return u;
}

/* 40000 pseudo-random doubles, half of [-750, 750] (overflow, underflow and subnormals
 * included) and half of [-20, 20], against mpfr_exp at 160 bits */
Test(nets_expf, double_random_within_2_ulp_of_mpfr)
{
  enum { N = 40000 };
  static double x[N], y[N];
  uint64_t s = 2463534242ull;
  for (size_t i = 0; i < N; i++) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    double u = (double)(s >> 11) / 9007199254740992.0;
    x[i] = i % 2 ? 1500.0 * u - 750.0 : 40.0 * u - 20.0;
  }
  adeis_tops_exp(y, x, N);
  mpfr_t e;
  mpfr_init2(e, 160);
  double worst = 0;
  for (size_t i = 0; i < N; i++) {
    mpfr_set_d(e, x[i], MPFR_RNDN);
    mpfr_exp(e, e, MPFR_RNDN);
    if (mpfr_cmp_d(e, DBL_MAX) > 0) { /* past DBL_MAX (by more than half an ulp: inf) */
      cr_assert(y[i] == DBL_MAX || (isinf(y[i]) && y[i] > 0), "exp(%a) = %a", x[i], y[i]);
      continue;
    }
    double u = ulps_d(y[i], e), tol = mpfr_cmp_d(e, DBL_MIN) < 0 ? 1.0 : 2.0;
    cr_assert(u <= tol, "exp(%a) = %a: %.3f ulp > %.0f", x[i], y[i], u, tol);
    if (tol == 2.0 && u > worst)
      worst = u;
  }
  mpfr_clear(e);
  cr_assert(worst > 0.5, "no rounding error seen (%.3f ulp): not exercised", worst);
}

Test(nets_expf, double_edges_infinities_nan_and_overflow)
{
  double x[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1e300, -1e300, 709.79, -745.14, 1e-300};
  enum { N = sizeof x / sizeof x[0] };
  double y[N];
  adeis_tops_exp(y, x, N);
  cr_assert(y[0] == 1.0 && y[1] == 1.0, "exp(+-0) = %a, %a", y[0], y[1]);
  cr_assert(isinf(y[2]) && y[2] > 0 && isinf(y[5]) && isinf(y[7]), "exp(inf, 1e300, 709.79)");
  cr_assert(y[3] == 0.0 && y[6] == 0.0 && y[8] == 0.0, "exp(-inf, -1e300, -745.14)");
  cr_assert(isnan(y[4]), "exp(nan) = %a", y[4]);
  cr_assert(y[9] == 1.0, "exp(1e-300) = %a", y[9]);
}

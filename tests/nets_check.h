/* Helpers for the network tests: random arrays, inner products at high precision, and
 * directional derivatives by a 5-point central difference. Header-only. */
#ifndef ADEIS_TEST_NETS_CHECK_H
#define ADEIS_TEST_NETS_CHECK_H

#include "../nets/tops.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define NC_PREC 256            /* precision of the finite-difference checks */
#define NC_ACC_PREC 512        /* precision of the inner products compared */

static inline void nc_note(const char *fmt, ...)
{
  if (!getenv("ADEIS_TEST_VERBOSE"))
    return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

/* x[i] = uniform(lo, hi) rounded to float (the same numbers in every element type) */
static inline void nc_fill(adeis_tbe_p be, void *x, size_t n, gsl_rng *r, double lo, double hi)
{
  for (size_t i = 0; i < n; i++) {
    double d = (double)(float)(lo + (hi - lo) * gsl_rng_uniform(r));
    be->ops->from_double(be, adeis_tat(be, x, i), &d, 1);
  }
}

/* r = sum x_i y_i computed at NC_ACC_PREC bits */
static inline void nc_dot(adeis_tbe_p be, mpfr_ptr r, const void *x, const void *y, size_t n)
{
  mpfr_t a, b, s;
  mpfr_inits2(NC_ACC_PREC, a, b, s, (mpfr_ptr)0);
  mpfr_set_zero(s, 1);
  for (size_t i = 0; i < n; i++) {
    be->ops->get_mpfr(be, a, x, i);
    be->ops->get_mpfr(be, b, y, i);
    mpfr_fma(s, a, b, s, MPFR_RNDN);
  }
  mpfr_set(r, s, MPFR_RNDN);
  mpfr_clears(a, b, s, (mpfr_ptr)0);
}

/* y = x + h d (element by element, rounded to the table's precision) */
static inline void nc_shift(adeis_tbe_p be, void *y, const void *x, const void *d, size_t n,
                            mpfr_srcptr h)
{
  be->ops->copy(be, y, x, n);
  be->ops->axpy(be, y, h, d, n);
}

/* Decimal digits of agreement of a with b: -log10(|a - b| / |b|). */
static inline double nc_digits(mpfr_srcptr a, mpfr_srcptr b)
{
  mpfr_t d;
  mpfr_init2(d, NC_ACC_PREC);
  mpfr_sub(d, a, b, MPFR_RNDN);
  if (mpfr_zero_p(d)) {
    mpfr_clear(d);
    return 1000.0;
  }
  mpfr_div(d, d, b, MPFR_RNDN);
  mpfr_abs(d, d, MPFR_RNDN);
  mpfr_log10(d, d, MPFR_RNDN);
  double r = -mpfr_get_d(d, MPFR_RNDN);
  mpfr_clear(d);
  return r;
}

/* Derivative at 0 of phi by the 5-point central difference with step h = 2^-40:
 * (phi(-2h) - 8 phi(-h) + 8 phi(h) - phi(2h)) / (12 h), truncation h^4 phi^(5) / 30
 * (~1e-48 relative), rounding ~2^-256 / h (~1e-65). */
typedef void (*nc_phi_fn)(mpfr_ptr out, mpfr_srcptr h, void *ctx);

static inline void nc_fd5(mpfr_ptr der, nc_phi_fn phi, void *ctx)
{
  static const int k[4] = {-2, -1, 1, 2};
  static const int c[4] = {1, -8, 8, -1};
  mpfr_t h, f, s;
  mpfr_inits2(NC_ACC_PREC, h, f, s, (mpfr_ptr)0);
  mpfr_set_zero(s, 1);
  for (int i = 0; i < 4; i++) {
    mpfr_set_si_2exp(h, k[i], -40, MPFR_RNDN);
    phi(f, h, ctx);
    mpfr_mul_si(f, f, c[i], MPFR_RNDN);
    mpfr_add(s, s, f, MPFR_RNDN);
  }
  mpfr_set_si_2exp(h, 12, -40, MPFR_RNDN);
  mpfr_div(der, s, h, MPFR_RNDN);
  mpfr_clears(h, f, s, (mpfr_ptr)0);
}

/* max_i |x_i - y_i| and max_i |y_i| (as doubles) */
static inline void nc_maxdiff(adeis_tbe_p bx, const void *x, adeis_tbe_p by, const void *y,
                              size_t n, double *diff, double *scale)
{
  mpfr_t a, b;
  mpfr_inits2(NC_ACC_PREC, a, b, (mpfr_ptr)0);
  *diff = 0;
  *scale = 0;
  for (size_t i = 0; i < n; i++) {
    bx->ops->get_mpfr(bx, a, x, i);
    by->ops->get_mpfr(by, b, y, i);
    mpfr_sub(a, a, b, MPFR_RNDN);
    double d = fabs(mpfr_get_d(a, MPFR_RNDN)), s = fabs(mpfr_get_d(b, MPFR_RNDN));
    *diff = d > *diff ? d : *diff;
    *scale = s > *scale ? s : *scale;
  }
  mpfr_clears(a, b, (mpfr_ptr)0);
}

#endif

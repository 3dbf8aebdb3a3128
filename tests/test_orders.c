/* The order estimator (studies/orders.h) on synthetic error sequences: exact slopes,
 * precision floors, roundoff plateaus, pre-asymptotic leading points, NaN and zero errors. */
#include <criterion/criterion.h>

#include "../core/status.h"
#include "../studies/orders.h"

#include <math.h>

#define NMAX 16

/* N = 8, 16, ..., 8 * 2^(n-1). */
static size_t doubling(double *N, size_t n)
{
  for (size_t i = 0; i < n; i++)
    N[i] = ldexp(8, (int)i);
  return n;
}

static void estimate(const double *N, const double *e, size_t n, long bits, adeis_order_fit *fit)
{
  cr_assert_eq(adeis_order_estimate(N, e, n, bits, 1.0, ADEIS_ORDER_PRE_TOL, fit), 0);
}

Test(orders, exact_slopes)
{
  const double p[] = {1, 2, 4};
  double N[NMAX], e[NMAX];
  size_t n = doubling(N, 10);
  for (size_t k = 0; k < 3; k++) {
    for (size_t i = 0; i < n; i++)
      e[i] = 3.7 * pow(N[i], -p[k]);
    adeis_order_fit fit;
    estimate(N, e, n, 256, &fit);
    cr_expect_eq(fit.used, n, "p=%g: used %zu", p[k], fit.used);
    cr_expect(fabs(fit.fitted - p[k]) < 1e-12, "p=%g: fitted %.17g", p[k], fit.fitted);
    cr_expect(fit.se < 1e-10, "p=%g: stderr %g", p[k], fit.se);
    for (size_t i = 0; i + 1 < n; i++)
      cr_expect(fabs(fit.local[i] - p[k]) < 1e-12, "local %zu: %g", i, fit.local[i]);
    cr_expect(isnan(fit.local[n - 1]));
    adeis_order_fit_clear(&fit);
  }
}

/* Not a doubling list: local orders use log(N_{i+1}/N_i). */
Test(orders, uneven_steps)
{
  const double N[] = {10, 30, 45, 200, 1000};
  double e[5];
  for (size_t i = 0; i < 5; i++)
    e[i] = 0.5 * pow(N[i], -2);
  adeis_order_fit fit;
  estimate(N, e, 5, 113, &fit);
  cr_expect(fabs(fit.fitted - 2) < 1e-12);
  for (size_t i = 0; i < 4; i++)
    cr_expect(fabs(fit.local[i] - 2) < 1e-12);
  adeis_order_fit_clear(&fit);
}

/* Errors that stop at 1e-70 (a roundoff plateau at 256 bits): left out and marked floor. */
Test(orders, plateau_floor_256)
{
  double N[NMAX], e[NMAX];
  size_t n = doubling(N, 12);
  for (size_t i = 0; i < n; i++)
    e[i] = fmax(1e-60 * pow(N[i], -4), 1e-70 * (1 + 0.01 * (double)(i % 3)));
  adeis_order_fit fit;
  estimate(N, e, n, 256, &fit);
  size_t floors = 0;
  for (size_t i = 0; i < n; i++) {
    if (e[i] < 1.1e-68)
      cr_expect_eq(fit.mark[i], ADEIS_ORDER_FLOOR, "N=%g e=%g: %s", N[i], e[i],
                   adeis_order_mark_name(fit.mark[i]));
    floors += fit.mark[i] == ADEIS_ORDER_FLOOR;
  }
  cr_expect(floors >= 3);
  cr_expect(fabs(fit.fitted - 4) < 1e-12, "fitted %.17g", fit.fitted);
  cr_expect_str_eq(adeis_order_mark_name(ADEIS_ORDER_FLOOR), "floor");
  adeis_order_fit_clear(&fit);
}

/* A smooth transition C N^-2 + 1e-70: points within a factor 100 of the plateau go too. */
Test(orders, plateau_sum_256)
{
  double N[NMAX], e[NMAX];
  size_t n = doubling(N, 14);
  for (size_t i = 0; i < n; i++)
    e[i] = 1e-62 * pow(N[i], -2) + 1e-70;
  adeis_order_fit fit;
  estimate(N, e, n, 256, &fit);
  for (size_t i = 0; i < n; i++)
    if (e[i] < 1e-68)
      cr_expect_eq(fit.mark[i], ADEIS_ORDER_FLOOR, "N=%g", N[i]);
  cr_expect(fabs(fit.fitted - 2) < 0.02, "fitted %g", fit.fitted);
  adeis_order_fit_clear(&fit);
}

/* Under the hard floor 1e3 * 2^-bits: left out even without a plateau; zero errors too. */
Test(orders, hard_floor)
{
  double N[NMAX], e[NMAX];
  size_t n = doubling(N, 8);
  for (size_t i = 0; i < n; i++)
    e[i] = 1e-8 * pow(N[i], -2);
  e[n - 1] = 0;
  adeis_order_fit fit;
  estimate(N, e, n, 53, &fit);
  /* 1e3 * 2^-53 = 1.1e-13: N >= 512 (e <= 3.8e-14) is under it */
  for (size_t i = 0; i < n; i++)
    cr_expect_eq(fit.mark[i], e[i] <= 1.2e-13 ? ADEIS_ORDER_FLOOR : ADEIS_ORDER_USED, "N=%g", N[i]);
  cr_expect(fabs(fit.fitted - 2) < 1e-12);
  adeis_order_fit_clear(&fit);
}

/* Under the reference floor (10x a reference's error estimate): left out and marked
 * reference-floor, the precision floor still taking precedence; the fit uses the rest. */
Test(orders, reference_floor)
{
  double N[NMAX], e[NMAX];
  size_t n = doubling(N, 10);
  for (size_t i = 0; i < n; i++)
    e[i] = 1e-2 * pow(N[i], -1);    /* 1.25e-3 at N = 8 ... 2.4e-6 at N = 4096 */
  e[n - 1] = 0;
  adeis_order_fit fit;
  cr_assert_eq(adeis_order_estimate_ref(N, e, n, 256, 1.0, ADEIS_ORDER_PRE_TOL, 1e-5, &fit), 0);
  for (size_t i = 0; i < n; i++) {
    adeis_order_mark want = i == n - 1 ? ADEIS_ORDER_FLOOR
                            : e[i] <= 1e-5 ? ADEIS_ORDER_REF_FLOOR : ADEIS_ORDER_USED;
    cr_expect_eq(fit.mark[i], want, "N=%g e=%g: %s", N[i], e[i], adeis_order_mark_name(fit.mark[i]));
  }
  cr_expect_eq(fit.used, 7);      /* N = 8 ... 512 (e(1024) = 9.8e-6 is under 1e-5) */
  cr_expect(fabs(fit.fitted - 1) < 1e-12, "fitted %.17g", fit.fitted);
  cr_expect_str_eq(adeis_order_mark_name(ADEIS_ORDER_REF_FLOOR), "reference-floor");
  adeis_order_fit_clear(&fit);
}

/* The same sequence far above the floor at 256 bits is used whole. */
Test(orders, no_floor_at_high_precision)
{
  double N[NMAX], e[NMAX];
  size_t n = doubling(N, 8);
  for (size_t i = 0; i < n; i++)
    e[i] = 1e-8 * pow(N[i], -2);
  adeis_order_fit fit;
  estimate(N, e, n, 256, &fit);
  cr_expect_eq(fit.used, n);
  adeis_order_fit_clear(&fit);
}

Test(orders, pre_asymptotic)
{
  double N[NMAX], e[NMAX];
  size_t n = doubling(N, 10);
  for (size_t i = 0; i < n; i++)
    e[i] = 2.0 * pow(N[i], -2) * (1 + 50 / N[i]);
  adeis_order_fit fit;
  estimate(N, e, n, 256, &fit);
  for (size_t i = 0; i < 4; i++) /* N = 8..64: local orders 2.8 .. 2.36 */
    cr_expect_eq(fit.mark[i], ADEIS_ORDER_PRE, "N=%g: %s", N[i], adeis_order_mark_name(fit.mark[i]));
  cr_expect_eq(fit.mark[n - 1], ADEIS_ORDER_USED);
  cr_expect(fit.used >= 3);
  cr_expect(fabs(fit.fitted - 2) < 0.1, "fitted %g", fit.fitted);
  cr_expect_str_eq(adeis_order_mark_name(ADEIS_ORDER_PRE), "pre-asymptotic");
  adeis_order_fit_clear(&fit);
}

/* A method that never reaches its order keeps its points: the rule cannot hide a wrong order. */
Test(orders, wrong_order_not_hidden)
{
  double N[NMAX], e[NMAX];
  size_t n = doubling(N, 8);
  for (size_t i = 0; i < n; i++)
    e[i] = 0.3 * pow(N[i], -1.0);
  adeis_order_fit fit;
  estimate(N, e, n, 256, &fit);
  cr_expect_eq(fit.used, n);
  cr_expect(fabs(fit.fitted - 1) < 1e-12);
  adeis_order_fit_clear(&fit);
}

/* Local orders that cross the asymptotic value on their way (1.0, 2.03, 2.4, ..., 2.0):
 * the fit starts after the last local order off the tail's, not at the first one near it. */
Test(orders, crossing_local_orders)
{
  const double q[] = {1.0, 2.03, 2.4, 2.4, 2.2, 2.1, 2.04, 2.01, 2.0};
  double N[NMAX], e[NMAX];
  size_t n = doubling(N, 10);
  e[0] = 1;
  for (size_t i = 1; i < n; i++)
    e[i] = e[i - 1] * pow(2, -q[i - 1]);
  adeis_order_fit fit;
  estimate(N, e, n, 256, &fit);
  for (size_t i = 0; i < n; i++)
    cr_expect_eq(fit.mark[i], i < 6 ? ADEIS_ORDER_PRE : ADEIS_ORDER_USED, "N=%g: %s", N[i],
                 adeis_order_mark_name(fit.mark[i]));
  cr_expect(fabs(fit.fitted - 2.017) < 0.01, "fitted %g", fit.fitted);
  adeis_order_fit_clear(&fit);
}

Test(orders, at_least_three_points_kept)
{
  const double N[] = {8, 16, 32, 64};
  const double e[] = {1, 0.1, 0.05, 0.025}; /* local orders 3.3, 1, 1 */
  adeis_order_fit fit;
  estimate(N, e, 4, 256, &fit);
  cr_expect_eq(fit.mark[0], ADEIS_ORDER_PRE);
  cr_expect_eq(fit.used, 3);
  adeis_order_fit_clear(&fit);
  estimate(N, e, 3, 256, &fit); /* three points: nothing dropped */
  cr_expect_eq(fit.used, 3);
  adeis_order_fit_clear(&fit);
}

Test(orders, nan_and_few_points)
{
  const double N[] = {8, 16, 32};
  const double e[] = {NAN, 0.25, INFINITY};
  adeis_order_fit fit;
  estimate(N, e, 3, 256, &fit);
  cr_expect_eq(fit.mark[0], ADEIS_ORDER_NAN);
  cr_expect_eq(fit.mark[2], ADEIS_ORDER_NAN);
  cr_expect_eq(fit.used, 1);
  cr_expect(isnan(fit.fitted) && isnan(fit.se));
  cr_expect(isnan(fit.local[0]) && isnan(fit.local[1]));
  cr_expect_str_eq(adeis_order_mark_name(ADEIS_ORDER_NAN), "nan");
  adeis_order_fit_clear(&fit);
  const double e2[] = {0.25, 0.0625, NAN};
  estimate(N, e2, 3, 256, &fit);
  cr_expect_eq(fit.used, 2);
  cr_expect(fabs(fit.fitted - 2) < 1e-12);
  cr_expect(isnan(fit.se));
  adeis_order_fit_clear(&fit);
}

Test(orders, bad_steps)
{
  const double N[] = {8, 8, 32};
  const double e[] = {1, 0.5, 0.25};
  adeis_order_fit fit;
  cr_expect_eq(adeis_order_estimate(N, e, 3, 256, 1.0, 0.1, &fit), ADEIS_EINPUT);
  adeis_order_fit_clear(&fit);
  adeis_order_estimate(N, e, 0, 256, 1.0, 0.1, &fit); /* empty: nothing to fit */
  cr_expect_eq(fit.used, 0);
  adeis_order_fit_clear(&fit);
}

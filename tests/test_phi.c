/* phi_k(h) (docs/math.md section 4) against its defining series sum_{j>=0} h^j/(j+k)!
 * summed in MPFR with many more bits than the target, and against the closed
 * forms phi_1 = expm1(h)/h, phi_2 = (expm1(h) - h)/h^2 and the recurrence. */
#include <criterion/criterion.h>

#include "../core/phi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define RND MPFR_RNDN

static const long precs[] = {53, 113, 256, 1024};
static const char *const hs[] = {"1e-30", "-1e-30", "1e-8", "0.1", "-0.5", "1", "-1",
                                 "-3",    "7",      "-40",  "0.999", "1.001", "-1.001"};
#define N_PRECS (sizeof precs / sizeof *precs)
#define N_HS (sizeof hs / sizeof *hs)
#define K_MAX 6u

static void note(const char *fmt, ...)
{
  if (!getenv("ADEIS_TEST_VERBOSE"))
    return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

/* r = sum_{j>=0} h^j/(j+k)! at precision P, summed until j > 2|h| + k and |term| < 2^-P.
 * The terms grow at most to e^|h|, so cancellation costs at most |h|/log 2 + a few bits. */
static void phi_series_ref(mpfr_ptr r, unsigned k, mpfr_srcptr h, mpfr_prec_t P)
{
  mpfr_t term, sum;
  mpfr_inits2(P, term, sum, (mpfr_ptr)0);
  mpfr_set_ui(term, 1, RND);
  for (unsigned j = 2; j <= k; j++)
    mpfr_div_ui(term, term, j, RND);
  mpfr_set(sum, term, RND);
  double bound = 2.0 * mpfr_get_d(h, RND);
  bound = (bound < 0 ? -bound : bound) + k;
  for (unsigned long j = 1;; j++) {
    mpfr_mul(term, term, h, RND);
    mpfr_div_ui(term, term, j + k, RND);
    mpfr_add(sum, sum, term, RND);
    if ((double)j > bound && (mpfr_zero_p(term) || mpfr_get_exp(term) < -(mpfr_exp_t)P))
      break;
  }
  mpfr_set(r, sum, RND);
  mpfr_clears(term, sum, (mpfr_ptr)0);
}

/* |got - ref| / |ref| in units of 2^-prec */
static double rel_err_ulps(mpfr_srcptr got, mpfr_srcptr ref, mpfr_prec_t prec)
{
  mpfr_t d;
  mpfr_init2(d, mpfr_get_prec(ref));
  mpfr_sub(d, got, ref, RND);
  mpfr_div(d, d, ref, RND);
  mpfr_abs(d, d, RND);
  mpfr_mul_2si(d, d, (long)prec, RND);
  double e = mpfr_get_d(d, RND);
  mpfr_clear(d);
  return e;
}

/* phi_k(h) at precision p, within 2 units of 2^-p of the series, for every k, h, p */
Test(phi, against_series_all_k_h_precisions)
{
  for (size_t ip = 0; ip < N_PRECS; ip++) {
    mpfr_prec_t p = precs[ip], P = 4 * p + 200;
    mpfr_t h, got, ref;
    mpfr_init2(h, p);
    mpfr_init2(got, p);
    mpfr_init2(ref, P);
    double worst = 0.0;
    for (size_t ih = 0; ih < N_HS; ih++) {
      mpfr_set_str(h, hs[ih], 10, RND); /* the same h, exactly, for both sides */
      for (unsigned k = 0; k <= K_MAX; k++) {
        adeis_phi(got, k, h);
        phi_series_ref(ref, k, h, P);
        double e = rel_err_ulps(got, ref, p);
        worst = e > worst ? e : worst;
        cr_assert(e <= 2.0, "phi_%u(%s) at %ld bits: error %.3g ulps (> 2)", k, hs[ih], (long)p, e);
      }
    }
    note("phi vs series, %ld bits: worst %.3g ulps\n", (long)p, worst);
    mpfr_clears(h, got, ref, (mpfr_ptr)0);
  }
}

/* phi_k(0) = 1/k! */
Test(phi, at_zero_is_inverse_factorial)
{
  mpfr_t h, got, ref;
  mpfr_inits2(256, h, got, (mpfr_ptr)0);
  mpfr_init2(ref, 512);
  mpfr_set_zero(h, 1);
  for (unsigned k = 0; k <= K_MAX; k++) {
    adeis_phi(got, k, h);
    mpfr_set_ui(ref, 1, RND);
    for (unsigned j = 2; j <= k; j++)
      mpfr_div_ui(ref, ref, j, RND);
    double e = rel_err_ulps(got, ref, 256);
    cr_assert(e <= 1.0, "phi_%u(0): %.3g ulps from 1/%u!", k, e, k);
  }
  mpfr_clears(h, got, ref, (mpfr_ptr)0);
}

/* phi_1 = expm1(h)/h and phi_2 = (expm1(h) - h)/h^2, evaluated with enough bits that
 * the cancellation in expm1(h) - h (about 2 log2(1/|h|) bits for small h) is covered. */
static void phi1_closed(mpfr_ptr r, mpfr_srcptr h)
{
  mpfr_expm1(r, h, RND);
  mpfr_div(r, r, h, RND);
}

static void phi2_closed(mpfr_ptr r, mpfr_srcptr h)
{
  mpfr_expm1(r, h, RND);
  mpfr_sub(r, r, h, RND);
  mpfr_div(r, r, h, RND);
  mpfr_div(r, r, h, RND);
}

Test(phi, phi1_phi2_closed_forms)
{
  for (size_t ip = 0; ip < N_PRECS; ip++) {
    mpfr_prec_t p = precs[ip], P = 2 * p + 400;
    mpfr_t h, got, ref;
    mpfr_init2(h, p);
    mpfr_init2(got, p);
    mpfr_init2(ref, P);
    for (size_t ih = 0; ih < N_HS; ih++) {
      mpfr_set_str(h, hs[ih], 10, RND);
      adeis_phi(got, 1, h);
      phi1_closed(ref, h);
      double e1 = rel_err_ulps(got, ref, p);
      adeis_phi(got, 2, h);
      phi2_closed(ref, h);
      double e2 = rel_err_ulps(got, ref, p);
      cr_assert(e1 <= 2.0 && e2 <= 2.0, "h=%s, %ld bits: phi_1 %.3g ulps, phi_2 %.3g ulps", hs[ih],
                (long)p, e1, e2);
    }
    mpfr_clears(h, got, ref, (mpfr_ptr)0);
  }
}

/* phi_{k+1}(h) = (phi_k(h) - 1/k!)/h, with phi_k from adeis_phi at many more bits */
Test(phi, recurrence_holds)
{
  const mpfr_prec_t p = 113, P = 1024;
  mpfr_t h, got, a, f;
  mpfr_init2(h, p);
  mpfr_init2(got, p);
  mpfr_inits2(P, a, f, (mpfr_ptr)0);
  for (size_t ih = 0; ih < N_HS; ih++) {
    mpfr_set_str(h, hs[ih], 10, RND);
    mpfr_set_ui(f, 1, RND);
    for (unsigned k = 0; k < K_MAX; k++) {
      if (k > 1)
        mpfr_div_ui(f, f, k, RND); /* 1/k! */
      adeis_phi(a, k, h);
      mpfr_sub(a, a, f, RND);
      mpfr_div(a, a, h, RND);
      adeis_phi(got, k + 1, h);
      double e = rel_err_ulps(got, a, p);
      cr_assert(e <= 2.0, "phi_%u(%s) vs recurrence: %.3g ulps", k + 1, hs[ih], e);
    }
  }
  mpfr_clears(h, got, a, f, (mpfr_ptr)0);
}

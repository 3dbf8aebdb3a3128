#include "phi.h"

#define RND MPFR_RNDN

/* Taylor series sum_j h^j/(j+k)!, used for |h| <= 1 where every term is smaller than the last. */
static void phi_series(mpfr_ptr r, unsigned k, mpfr_srcptr h, mpfr_prec_t p)
{
  mpfr_t term, sum, fact;
  mpfr_inits2(p, term, sum, fact, (mpfr_ptr)0);
  mpfr_set_ui(fact, 1, RND);
  for (unsigned j = 2; j <= k; j++)
    mpfr_mul_ui(fact, fact, j, RND);
  mpfr_ui_div(term, 1, fact, RND);      /* 1/k! */
  mpfr_set(sum, term, RND);
  for (unsigned long j = 1;; j++) {
    mpfr_mul(term, term, h, RND);
    mpfr_div_ui(term, term, j + k, RND);
    if (mpfr_zero_p(term) ||
        (!mpfr_zero_p(sum) && mpfr_get_exp(term) < mpfr_get_exp(sum) - (mpfr_exp_t)p - 2))
      break;
    mpfr_add(sum, sum, term, RND);
  }
  mpfr_set(r, sum, RND);
  mpfr_clears(term, sum, fact, (mpfr_ptr)0);
}

/* Recurrence from expm1 for |h| > 1; each step loses at most a few bits, covered by guard bits. */
static void phi_recurrence(mpfr_ptr r, unsigned k, mpfr_srcptr h, mpfr_prec_t p)
{
  mpfr_t v, inv_fact;
  mpfr_inits2(p, v, inv_fact, (mpfr_ptr)0);
  if (k == 0) {
    mpfr_exp(r, h, RND);
    mpfr_clears(v, inv_fact, (mpfr_ptr)0);
    return;
  }
  mpfr_expm1(v, h, RND);
  mpfr_div(v, v, h, RND);               /* phi_1 */
  mpfr_set_ui(inv_fact, 1, RND);
  for (unsigned j = 1; j < k; j++) {
    mpfr_div_ui(inv_fact, inv_fact, j, RND); /* 1/j! */
    mpfr_sub(v, v, inv_fact, RND);
    mpfr_div(v, v, h, RND);
  }
  mpfr_set(r, v, RND);
  mpfr_clears(v, inv_fact, (mpfr_ptr)0);
}

void adeis_phi(mpfr_ptr r, unsigned k, mpfr_srcptr h)
{
  mpfr_prec_t p = mpfr_get_prec(r) + 32 + 4 * (mpfr_prec_t)k;
  if (mpfr_zero_p(h) || mpfr_cmpabs_ui(h, 1) <= 0)
    phi_series(r, k, h, p);
  else
    phi_recurrence(r, k, h, p);
}

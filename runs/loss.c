/* Losses of the registry (registry.h). */
#include "registry.h"

static void quadratic_grad(adeis_vec *G, const adeis_vec *x0, const adeis_vec *target)
{
  mpfr_t one, minus_one;
  mpfr_inits2(8, one, minus_one, (mpfr_ptr)0);
  mpfr_set_si(one, 1, MPFR_RNDN);
  mpfr_set_si(minus_one, -1, MPFR_RNDN);
  adeis_vec_lincomb(G, 2, (mpfr_srcptr[]){one, minus_one}, (const adeis_vec *[]){x0, target});
  mpfr_clears(one, minus_one, (mpfr_ptr)0);
}

const adeis_loss_type adeis_loss_quadratic = {
  .name = "quadratic",
  .summary = "L = |x_0 - target|^2 / 2",
  .grad = quadratic_grad,
};

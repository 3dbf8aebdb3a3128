/* phi functions of exponential integrators (docs/math.md section 4):
 * phi_0(h) = e^h, phi_1(h) = expm1(h)/h, phi_{k+1}(h) = (phi_k(h) - 1/k!)/h,
 * i.e. phi_k(h) = sum_{j>=0} h^j/(j+k)!. Evaluated without cancellation. */
#ifndef ADEIS_PHI_H
#define ADEIS_PHI_H

#include <mpfr.h>

/* r = phi_k(h), correct to about the precision of r. */
void adeis_phi(mpfr_ptr r, unsigned k, mpfr_srcptr h);

#endif

/* A reproducible Brownian path for the reverse SDE, the same for every grid.
 *
 * The noise of one sde-dpm-1 step s -> t is n = Integral (alpha_t/alpha_tau) g dw
 * (docs/math.md sections 3 and 8). With g^2 dtau -> 2 sigma^2 dlambda this is
 * n = alpha_t (B(e^{-2 lambda_s}) - B(e^{-2 lambda_t})) for one standard Brownian motion B
 * indexed by the noise level v = e^{-2 lambda} (sigma^2/alpha^2): Var n = sigma_t^2 expm1(2h).
 * B is a virtual Brownian tree: B(v_max) = 0, B(v_min) drawn from the seed, and midpoints (in
 * lambda) drawn by Brownian bridges, each from a GSL generator (taus2) seeded with a hash of
 * (seed, component, level, index),
 * down to cells of width 2^-depth in lambda; inside a cell B is linear in v. Any query at
 * any time therefore sees one fixed path, so runs with different N share it. */
#ifndef ADEIS_BROWNIAN_H
#define ADEIS_BROWNIAN_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

typedef struct adeis_brownian {
  unsigned long seed;
  size_t dim;
  double lambda_lo, lambda_hi; /* lambda(T) and lambda(t_end) */
  unsigned depth;
  gsl_rng *rng;                /* re-seeded for every tree node; one path object per thread */
} adeis_brownian;

/* Returns 0, or ADEIS_ENOMEM. */
int adeis_brownian_init(adeis_brownian *b, unsigned long seed, size_t dim, double lambda_T,
                        double lambda_end);
void adeis_brownian_clear(adeis_brownian *b);
/* B_i at noise level v = e^{-2 lambda}, for component i. */
double adeis_brownian_at(const adeis_brownian *b, size_t i, double lambda);

#endif

#include "brownian.h"
#include "../core/status.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdint.h>

int adeis_brownian_init(adeis_brownian *b, unsigned long seed, size_t dim, double lambda_T,
                        double lambda_end)
{
  b->seed = seed;
  b->dim = dim;
  b->lambda_lo = lambda_T;
  b->lambda_hi = lambda_end;
  b->depth = 40;
  b->rng = gsl_rng_alloc(gsl_rng_taus2);
  return b->rng ? ADEIS_OK : ADEIS_ENOMEM;
}

void adeis_brownian_clear(adeis_brownian *b)
{
  gsl_rng_free(b->rng);
  b->rng = NULL;
}

static uint64_t splitmix64(uint64_t x)
{
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/* A standard normal draw determined by (seed, component, level, index): GSL's taus2 seeded
 * with a splitmix64 hash of the four (cheap to seed, so every node has its own stream). */
static double node_normal(const adeis_brownian *b, size_t i, unsigned level, uint64_t index)
{
  uint64_t h = splitmix64(b->seed ^ splitmix64((uint64_t)i * 0x100000001B3ULL + level));
  h = splitmix64(h ^ index);
  gsl_rng_set(b->rng, (unsigned long)(h ^ (h >> 32)));
  return gsl_ran_gaussian_ziggurat(b->rng, 1.0);
}

static double noise_level(double lambda) { return exp(-2.0 * lambda); }

double adeis_brownian_at(const adeis_brownian *b, size_t i, double lambda)
{
  double la = b->lambda_lo, lb = b->lambda_hi;          /* v(la) = v_max: B = 0 */
  double va = noise_level(la), vb = noise_level(lb);
  double Ba = 0.0, Bb = sqrt(va - vb) * node_normal(b, i, 0, 0);
  if (lambda <= la)
    return Ba;
  if (lambda >= lb)
    return Bb;
  uint64_t index = 0;
  for (unsigned level = 1; level <= b->depth; level++) {
    double lm = 0.5 * (la + lb), vm = noise_level(lm);
    /* bridge: mean linear in v, variance (va - vm)(vm - vb)/(va - vb) */
    double w = (va - vm) / (va - vb);
    double Bm = Ba + w * (Bb - Ba) + sqrt((va - vm) * (vm - vb) / (va - vb)) *
                                         node_normal(b, i, level, index);
    index = 2 * index;
    if (lambda < lm) {
      lb = lm, vb = vm, Bb = Bm;
    } else {
      la = lm, va = vm, Ba = Bm;
      index += 1;
    }
  }
  double v = noise_level(lambda);
  return Ba + (va - v) / (va - vb) * (Bb - Ba);
}

/* Forward samplers (MATH.md section 3), noise prediction, stepping from pts[i] to pts[i+1].
 * The same step formulas with h < 0 integrate the PF-ODE noise-ward (backsolve). */
#ifndef ADEIS_FORWARD_H
#define ADEIS_FORWARD_H

#include "adjoint.h"
#include "brownian.h"

typedef enum adeis_forward_kind {
  ADEIS_FWD_DPM1,
  ADEIS_FWD_DPM2M,
  ADEIS_FWD_DPM2S,
  ADEIS_FWD_SDE_DPM1
} adeis_forward_kind;

typedef struct adeis_forward {
  const char *name;
  unsigned order;       /* global order on the PF-ODE (strong order 1/2... for the SDE: 1 here is nominal) */
  adeis_forward_kind kind;
  int stochastic;
} adeis_forward;

extern const adeis_forward *const adeis_forwards[]; /* NULL-terminated */
const adeis_forward *adeis_forward_lookup(const char *name);

/* Midpoint in lambda of two points, computed the same way whichever is given first. */
void adeis_midpoint_lambda(const adeis_schedule *s, adeis_tpoint *u, const adeis_tpoint *a,
                           const adeis_tpoint *b);

/* out = (alpha_to/alpha_from) x - c sigma_to expm1(h) [(1 + w) e - w e_p], h = lambda_to - lambda_from;
 * e_p may be NULL when w = 0. out may be x. */
void adeis_dpm_step(adeis_vec *out, const adeis_vec *x, const adeis_vec *e, const adeis_vec *e_p,
                    mpfr_srcptr w, const adeis_tpoint *from, const adeis_tpoint *to, unsigned c);

/* Sample from pts[0] to pts[n]: x holds x(pts[0]) on entry and x(pts[n]) on return.
 * cache (may be NULL) receives every state: each grid point, and dpm-2s midpoints.
 * bm drives sde-dpm-1: the noise of a step s -> t is alpha_t (B(lambda_s) - B(lambda_t)),
 * which is sigma_t sqrt(expm1(2h)) xi in law, on one path shared by every grid. */
int adeis_forward_run(const adeis_forward *f, const adeis_model *m, void *ws,
                      const adeis_schedule *s,
                      const adeis_tpoint *pts, size_t n, adeis_vec *x, adeis_cache *cache,
                      const adeis_brownian *bm, adeis_counts *counts);

#endif

/* References where there is no closed form (docs/math.md section 12, docs/solvers.md
 * "References"): a converged high-precision solve of the same continuous adjoint, with an
 * error estimate, cached on disk; and oracle-quality states from an equally converged forward
 * solve, for models without a closed-form flow.
 *
 * The reference solve is rk4-lambda on levels of N0, 2 N0, 4 N0, ... steps of the run's grid
 * kind, at the run's precision + 64 bits. PF-ODE: the states of a level come from RK4 in
 * lambda on the PF-ODE over the same grid with every step split at its lambda midpoint (so
 * every stage point of the adjoint is a stored state); the value is the Richardson value
 * R_k = g_k + (g_k - g_{k-1})/15 of the two finest levels, and its error estimate is
 * |R_k - R_{k-1}| / 15 (relative). Reverse SDE: the states are the sde-dpm-1 path over the
 * stage times on the same Brownian path, which limits the convergence to order <= 1 and makes
 * it irregular in N: the value is g_k of the finest level and the estimate the larger of
 * |g_k - g_{k-1}| and |g_{k-1} - g_{k-2}| (relative). Levels double until
 * every estimate is at or below the target, or until the finest level would exceed the bound. */
#ifndef ADEIS_REFERENCE_H
#define ADEIS_REFERENCE_H

#include "grad.h"

#define ADEIS_REF_METHOD "rk4-lambda"
#define ADEIS_REF_GUARD_BITS 64       /* reference precision = run precision + this */
#define ADEIS_REF_START_STEPS 64      /* N0, the coarsest level */
/* Default bounds on the finest level: the PF-ODE reference converges at order 5 and reaches
 * 1e-19 .. 1e-21 by 16384 steps; the SDE one is limited by the path (order 1) and needs more. */
#define ADEIS_REF_MAX_STEPS 16384
#define ADEIS_REF_MAX_STEPS_SDE 65536
#define ADEIS_REF_TOL 1e-20           /* default target, raised to 2^-precision when larger */
#define ADEIS_REFERENCE_FLOOR_FACTOR 10.0 /* errors under this x the estimate are not measured */

typedef struct adeis_reference_request {
  const adeis_problem_spec *spec;  /* the problem, rebuilt at the reference precision */
  size_t dims[ADEIS_Q_COUNT];      /* dimensions of x_T, z, theta (the run's model) */
  adeis_grid_kind grid;
  long precision;                  /* the run's precision */
  int sde;
  double tol;                      /* target relative error estimate; 0: the default */
  size_t max_steps;                /* bound on the finest level; 0: the default (ODE 16384,
                                    * SDE 65536) */
  const char *cache_dir;           /* NULL: ADEIS_CACHE_DIR, XDG_CACHE_HOME/adeis or
                                    * ~/.cache/adeis; "": no cache */
} adeis_reference_request;

typedef struct adeis_reference {
  mpfr_prec_t prec;                        /* precision of the values */
  size_t n[ADEIS_Q_COUNT];
  mpfr_t *value[ADEIS_Q_COUNT];            /* n[q] numbers (NULL when n[q] = 0) */
  mpfr_t error[ADEIS_Q_COUNT];             /* relative error estimate of value[q] */
  size_t steps;                            /* steps of the finest level (2 N_ref) */
  unsigned levels;                         /* levels solved */
  int from_cache;                          /* 1 when read from the disk cache */
  int initialised;
} adeis_reference;

/* The reference precision for a run precision (the default guard bits). */
long adeis_reference_precision(long precision);
/* The precision a request resolves to: the run's precision plus the problem file's
 * [reference] guard_bits, or plus ADEIS_REF_GUARD_BITS when the file gives none (53 is the
 * double backend: guard_bits = 0 in a double run solves the reference in double). */
long adeis_reference_request_precision(const adeis_reference_request *rq);
/* The bound a request resolves to: max_steps, else the problem file's [reference]
 * max_steps, else the default of its equation. */
size_t adeis_reference_max_steps(const adeis_reference_request *rq);
/* The target a request resolves to: tol, or max(ADEIS_REF_TOL, 2^-precision) when 0. */
double adeis_reference_target(const adeis_reference_request *rq);

/* Compute (or read from the cache) the reference of dL/dx_T, dL/dz and dL/dtheta.
 * Returns 0, ADEIS_EINPUT, ADEIS_ENUMERIC or ADEIS_ENOMEM; ref is always safe to clear. */
int adeis_reference_compute(const adeis_reference_request *rq, adeis_reference *ref);
void adeis_reference_clear(adeis_reference *ref);

/* The cache folder a request uses (empty string: no cache), written into buf. */
void adeis_reference_cache_dir(const adeis_reference_request *rq, char *buf, size_t size);
/* The cache file of a request (for tests), written into buf. Returns 0, or -1 without a cache. */
int adeis_reference_cache_path(const adeis_reference_request *rq, char *buf, size_t size);

/* ---- oracle states without a flow ---- */

/* A converged forward solve serving as a state provider: RK4 in lambda on the PF-ODE from x_T
 * on a uniform-lambda grid (levels doubled like the reference until the states' estimate
 * |x_2N - x_N|/15, relative, max over the grid, is at or below the target), at the reference
 * precision; x at any other time is one RK4 step from the nearest stored state, then rounded
 * to the caller's vector. rq->sde is ignored. */
typedef struct adeis_ref_states adeis_ref_states;

/* Returns 0 or an error status; *out is NULL on failure. */
int adeis_ref_states_new(const adeis_reference_request *rq, adeis_ref_states **out);
void adeis_ref_states_free(adeis_ref_states *rs);
/* The provider (it borrows rs, which must outlive it; not for concurrent use). */
void adeis_states_reference(adeis_states *st, adeis_ref_states *rs);
/* The solve's relative error estimate and the steps of its finest level. */
double adeis_ref_states_error(const adeis_ref_states *rs);
size_t adeis_ref_states_steps(const adeis_ref_states *rs);

#endif

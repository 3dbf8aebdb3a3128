/* One gradient computation: a problem, a method, a grid, a precision, a state mode,
 * ODE or SDE; the result with the exact values and relative errors. This is the
 * entry point the CLI and the study runner use. */
#ifndef ADEIS_GRAD_H
#define ADEIS_GRAD_H

#include "problem.h"
#include "../solvers/adjoint.h"

enum { ADEIS_Q_X_T, ADEIS_Q_Z, ADEIS_Q_THETA, ADEIS_Q_COUNT };
extern const char *const adeis_quantity_names[ADEIS_Q_COUNT]; /* "x_T", "z", "theta" */

#define ADEIS_STEPS_MAX 10000000UL

typedef struct adeis_grad_request {
  const char *method;
  size_t steps;
  adeis_grid_kind grid;
  long precision;
  adeis_state_mode state;
  int sde;
  double tol;                    /* adaptive methods: relative and absolute tolerance */
  unsigned quantities;           /* bits 1 << ADEIS_Q_*: what to compute (0 = all); x_T always */
  const char *backend;           /* double | float | mpfr (NULL: precision 53 is double, any
                                  * other MPFR); precision is then the storage precision */
  adeis_store store;             /* dto-* methods: storage policy (NONE there means all) */
  double zeta;                   /* dto-* with store reversible: coupling constant, default 0.999 */
  int discrete_error;            /* also compute rel_error_discrete (one more run) */
  /* References (runs/reference.h): computed from the problem's source for the quantities
   * without an exact value; want_reference 1 computes them for every quantity (tests),
   * -1 never. spec NULL: no reference, and no oracle states for a model without a flow. */
  const adeis_problem_spec *spec;
  int want_reference;
  double ref_tol;                /* target of the reference's error estimate (0: default) */
  size_t ref_max_steps;          /* bound on its finest level (0: default) */
} adeis_grad_request;

/* Smallest tolerance the adaptive (double) methods accept: below it they only grind. */
#define ADEIS_TOL_MIN 1e-14

typedef struct adeis_grad_result {
  adeis_vec *grad[ADEIS_Q_COUNT];    /* NULL for quantities not requested */
  adeis_vec *exact[ADEIS_Q_COUNT];   /* NULL where no exact value exists */
  adeis_vec *reference[ADEIS_Q_COUNT];   /* NULL where no reference was computed */
  mpfr_t reference_error[ADEIS_Q_COUNT]; /* its relative error estimate; NaN where none */
  size_t reference_steps;            /* steps of the reference's finest level (0: none) */
  double states_error;               /* oracle states from a forward solve: its estimate, else NaN */
  mpfr_t rel_error[ADEIS_Q_COUNT];   /* against exact, else against reference; NaN where neither */
  adeis_vec *x0;                     /* the x(t_end) the loss was taken at */
  adeis_vec *x_T_backsolved;         /* backsolve mode: the reconstructed x_T, else NULL */
  unsigned long nfe, nvjp;
  size_t peak_vectors;               /* state-sized vectors held at once (docs/solvers.md) */
  double peak_bytes;                 /* those, plus the z and theta accumulators, in bytes */
  /* against the discrete gradient of the sampler the method differentiates (dto-*) or reads
   * its states from (others), store-all at the same N; NaN where there is none */
  mpfr_t rel_error_discrete[ADEIS_Q_COUNT];
  double reconstruction_error;       /* reversible: |x_T rebuilt - x_T|/|x_T|; else NaN */
  double seconds;                    /* wall time of the solve */
  int initialised;
} adeis_grad_result;

/* Defaults: uniform-lambda, 256 bits, oracle, ODE, tol 1e-8, zeta 0.999. */
void adeis_grad_request_init(adeis_grad_request *rq);

/* Validate a request (method name, steps, precision, state/SDE/method compatibility).
 * Method rules (backend, SDE, state modes) are the method's flags (adeis_method_check).
 * Returns 0 or ADEIS_EINPUT with adeis_errmsg() naming the option. */
int adeis_grad_check(const adeis_grad_request *rq);

/* The backend a request runs on (its precision rule). Returns 0 or ADEIS_EINPUT. */
int adeis_grad_request_backend(const adeis_grad_request *rq, adeis_backend *be);

/* Run it. pb must be built at rq->precision. Returns 0, ADEIS_EINPUT,
 * ADEIS_ENUMERIC (adeis_errmsg() names the step and time) or ADEIS_ENOMEM.
 * res is always safe to adeis_grad_result_clear afterwards. */
int adeis_grad_compute(const adeis_problem *pb, const adeis_grad_request *rq,
                       adeis_grad_result *res);
void adeis_grad_result_clear(adeis_grad_result *res);

/* The storage policy a request runs with: its own, or "all" for a dto-* method without one
 * (kind NONE for other methods). */
adeis_store adeis_grad_store(const adeis_grad_request *rq);
/* The discrete adjoint a request is compared with for rel_error_discrete (NULL: none):
 * dto-* methods their own sampler's store-all run (the coupled sampler for reversible),
 * other ODE methods dto-<their forward sampler>. */
const adeis_method *adeis_grad_discrete_method(const adeis_grad_request *rq);
/* 1 when the model gives quantity q an exact value (ODE: a flow and exact ODE gradients; SDE:
 * exact SDE gradients, for x_T and z only); the other quantities are measured against a
 * reference (runs/reference.h). */
int adeis_grad_has_exact(const adeis_model *m, int sde, int q);

/* The reference floor of quantity q for runs of this problem on this grid, precision,
 * equation and state mode: 10x the reference's relative error estimate (read from the disk
 * cache, or computed), and in oracle mode for a model without a flow at least 10x the
 * estimate of the forward solve its states come from; 0 where q has an exact value.
 * Returns 0 or an error status. */
int adeis_grad_reference_floor(const adeis_problem_spec *spec, adeis_grid_kind grid,
                               long precision, int sde, adeis_state_mode state, int q,
                               double *floor);

#endif

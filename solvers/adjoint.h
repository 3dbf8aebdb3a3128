/* The adjoint problem every backward solver works on (MATH.md sections 4-7),
 * the state providers (oracle, cached) and the method registry (DESIGN.md). */
#ifndef ADEIS_ADJOINT_H
#define ADEIS_ADJOINT_H

#include "../core/grid.h"
#include "../core/model.h"
#include <gsl/gsl_rng.h>

typedef enum adeis_state_mode {
  ADEIS_STATE_ORACLE,
  ADEIS_STATE_CACHED,
  ADEIS_STATE_BACKSOLVE,
  ADEIS_STATE_COUNT
} adeis_state_mode;

const char *adeis_state_name(adeis_state_mode mode);
int adeis_state_lookup(const char *name, adeis_state_mode *mode);

typedef struct adeis_counts {
  unsigned long nfe;   /* model evaluations (each VJP point counts its forward pass once) */
  unsigned long nvjp;  /* vector-Jacobian products */
} adeis_counts;

/* A stage node inside a step, as an exact rational fraction num/den of the step,
 * measured in t or in lambda. */
typedef struct adeis_node {
  long num, den;
} adeis_node;

/* tp = the point a fraction c of the way from `from` to `to`, in lambda or in t.
 * Solvers and caches both call this, so the same node gives the same numbers. */
void adeis_stage_point(const adeis_schedule *s, adeis_tpoint *tp, const adeis_tpoint *from,
                       const adeis_tpoint *to, adeis_node c, int in_lambda);

/* ---- state providers: x at a requested time (oracle and cached modes) ---- */

typedef struct adeis_states adeis_states;
struct adeis_states {
  int (*at)(const adeis_states *st, adeis_vec *x, const adeis_tpoint *tp);
  /* Optional: the stored x at tp without a copy, or NULL (then use `at`). */
  const adeis_vec *(*peek)(const adeis_states *st, const adeis_tpoint *tp);
  void *impl;
  int owns_impl;
};

/* Release what a provider allocated (safe on any provider). */
void adeis_states_clear(adeis_states *st);

/* Oracle: the model's exact flow from (x_T, T), computed in workspace ws. x_T, tT and ws
 * must outlive the provider. */
void adeis_states_oracle(adeis_states *st, const adeis_model *m, void *ws, const adeis_vec *x_T,
                         const adeis_tpoint *tT);

/* Cache of states written by a forward sampler, looked up by exact time. */
typedef struct adeis_cache {
  size_t n, cap;
  adeis_tpoint *tp;  /* decreasing t, as sampled */
  adeis_vec **x;
  mpfr_prec_t prec;
} adeis_cache;

void adeis_cache_init(adeis_cache *c, mpfr_prec_t prec);
int adeis_cache_push(adeis_cache *c, const adeis_tpoint *tp, const adeis_vec *x);
void adeis_cache_clear(adeis_cache *c);
void adeis_states_cached(adeis_states *st, const adeis_cache *c);

/* ---- the adjoint problem ---- */

typedef struct adeis_adjoint_problem {
  const adeis_model *model;
  void *ws;                      /* the model's workspace for this thread */
  const adeis_schedule *sched;
  const adeis_grid *grid;        /* pts[0] = T ... pts[n] = t_end */
  unsigned c;                    /* 1 for the PF-ODE, 2 for the reverse SDE */
  adeis_state_mode state;
  const adeis_states *states;    /* oracle and cached modes */
  adeis_vec *x;                  /* backsolve: in x(t_end), out the reconstructed x(T) */
  adeis_vec *a_x, *a_z, *a_theta; /* in: values at t_end (a_z, a_theta zero); out: at T.
                                  * a_z, a_theta NULL when not wanted (never computed) */
  double tol;                    /* adaptive methods: relative and absolute tolerance */
  adeis_counts counts;
  /* where a numerical failure happened (set with ADEIS_ENUMERIC) */
  size_t fail_step;
  double fail_t;
} adeis_adjoint_problem;

/* ---- the method registry ---- */

typedef enum adeis_method_family {
  ADEIS_FAMILY_ADJDEIS,   /* exponential integrators of the adjoint */
  ADEIS_FAMILY_RK,        /* fixed-step Runge-Kutta on the augmented system */
  ADEIS_FAMILY_ADAPTIVE   /* GSL adaptive steppers, double only */
} adeis_method_family;

/* Method rules, checked in one place (adeis_method_check). */
enum adeis_method_flags {
  ADEIS_METHOD_DOUBLE_ONLY = 1u,  /* runs on the double backend only */
  ADEIS_METHOD_TOL = 2u           /* adaptive: takes a tolerance instead of steps */
};

#define ADEIS_STATES_ALL ((1u << ADEIS_STATE_ORACLE) | (1u << ADEIS_STATE_CACHED) | \
                          (1u << ADEIS_STATE_BACKSOLVE))

typedef struct adeis_method {
  const char *name;
  unsigned order;               /* theoretical global order */
  adeis_method_family family;
  unsigned flags;               /* ADEIS_METHOD_* */
  unsigned ode_states;          /* state modes allowed for the PF-ODE (bit 1 << mode) */
  unsigned sde_states;          /* ... for the SDE (0: no SDE) */
  const char *forward;          /* sampler that produces cached / backsolve states */
  int in_lambda;                /* stage nodes measured in lambda (else t) */
  size_t n_nodes;               /* nodes within a step where x is needed (0 always included) */
  const adeis_node *nodes;
  const char *summary;
  int (*solve)(const struct adeis_method *m, adeis_adjoint_problem *p);
  const void *data;             /* method-specific (tableau, GSL step type) */
} adeis_method;

/* NULL-terminated registry, in the order `adeis list` prints it. */
extern const adeis_method *const adeis_methods[];
const adeis_method *adeis_method_lookup(const char *name);

/* The rules of m for a backend, equation and state mode: 0, or ADEIS_EINPUT with a message
 * naming the option at fault (--backend, --state, --sde). */
int adeis_method_check(const adeis_method *m, const adeis_backend *be, int sde,
                       adeis_state_mode state);

/* Shared by solvers: one fused model evaluation at (x, tp), counting one model evaluation
 * and, when a product is wanted, one VJP. */
int adeis_adjoint_eval(adeis_adjoint_problem *p, const adeis_tpoint *tp, const adeis_vec *x,
                       const adeis_eval *io);
/* x at tp from the problem's state provider. */
int adeis_adjoint_state(adeis_adjoint_problem *p, adeis_vec *x, const adeis_tpoint *tp);
/* x at tp: the provider's own storage when it can lend it, else buf filled by `at`.
 * Returns NULL (with the provider's status in *rc) on failure. */
const adeis_vec *adeis_adjoint_state_ref(adeis_adjoint_problem *p, adeis_vec *buf,
                                         const adeis_tpoint *tp, int *rc);
/* Record a numerical failure at adjoint step k (time tp) and return ADEIS_ENUMERIC. */
int adeis_adjoint_fail(adeis_adjoint_problem *p, size_t k, const adeis_tpoint *tp, const char *what);

#endif

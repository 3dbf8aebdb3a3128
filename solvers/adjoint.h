/* The adjoint problem every backward solver works on (docs/math.md sections 4-7 and 13-14),
 * the state providers (oracle, cached), the vector meter and the method registry. */
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

/* ---- memory accounting: state-sized vectors held at once (docs/solvers.md) ---- */

typedef struct adeis_vecmeter {
  size_t now, peak;
} adeis_vecmeter;

/* adeis_vec_alloc / adeis_vec_free that count one state-sized vector in mt (mt may be NULL). */
adeis_vec *adeis_meter_alloc(adeis_vecmeter *mt, const adeis_backend *be, size_t n);
void adeis_meter_free(adeis_vecmeter *mt, adeis_vec *v);
/* Count k vectors held elsewhere (k < 0: released). */
void adeis_meter_add(adeis_vecmeter *mt, long k);

/* ---- storage policies of the discrete adjoints (docs/math.md section 14) ---- */

typedef enum adeis_store_kind {
  ADEIS_STORE_NONE,        /* not a discrete adjoint */
  ADEIS_STORE_ALL,         /* every state and stage state kept */
  ADEIS_STORE_CHECKPOINT,  /* binomial checkpointing with s snapshots */
  ADEIS_STORE_REVERSIBLE,  /* McCallum-Foster coupling, states reconstructed backwards */
  ADEIS_STORE_COUPLED_ALL  /* the same coupled sampler with its states stored (its reference) */
} adeis_store_kind;

#define ADEIS_SNAPSHOTS_MAX 1000000UL

typedef struct adeis_store {
  adeis_store_kind kind;
  size_t snapshots;        /* checkpoint: s (0 = the default, ceil(log2 N), at least 1) */
} adeis_store;

/* "all", "checkpoint", "checkpoint:S", "reversible" -> st; -1 when not one of these. */
int adeis_store_parse(const char *text, adeis_store *st);
/* The name as the CLI spells it ("checkpoint:S" with the s in use for n steps). */
void adeis_store_format(char *buf, size_t len, const adeis_store *st, size_t n);
/* The snapshots a checkpointed run of n steps uses. */
size_t adeis_store_snapshots(const adeis_store *st, size_t n);

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
  adeis_vecmeter *meter;  /* counts the stored states (NULL after init) */
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
  adeis_vecmeter *meter;         /* state-sized vectors held (may be NULL) */
  /* discrete adjoints (ADEIS_FAMILY_DTO): they sample x_T themselves */
  const adeis_vec *x_T;
  adeis_vec *x_end;              /* out: the sample x_N the loss is taken at */
  int (*loss_grad)(void *ctx, adeis_vec *g, const adeis_vec *x_end);
  void *loss_ctx;
  adeis_store store;
  double zeta;                   /* reversible coupling constant, (0, 1] */
  double recon_error;            /* out, reversible: |x_T reconstructed - x_T| / |x_T| */
  /* where a numerical failure happened (set with ADEIS_ENUMERIC) */
  size_t fail_step;
  double fail_t;
} adeis_adjoint_problem;

/* ---- the method registry ---- */

typedef enum adeis_method_family {
  ADEIS_FAMILY_ADJDEIS,   /* exponential integrators of the adjoint */
  ADEIS_FAMILY_RK,        /* fixed-step Runge-Kutta on the augmented system */
  ADEIS_FAMILY_ADAPTIVE,  /* GSL adaptive steppers, double only */
  ADEIS_FAMILY_DTO        /* discrete adjoints of a forward sampler */
} adeis_method_family;

/* Method rules, checked in one place (adeis_method_check). */
enum adeis_method_flags {
  ADEIS_METHOD_DOUBLE_ONLY = 1u,  /* runs on the double backend only */
  ADEIS_METHOD_TOL = 2u,          /* adaptive: takes a tolerance instead of steps */
  ADEIS_METHOD_DISCRETE = 4u,     /* discrete adjoint: takes a storage policy and --zeta */
  ADEIS_METHOD_REVERSIBLE = 8u    /* discrete adjoint with a reversible coupling */
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

/* The storage policy and coupling constant for m: 0, or ADEIS_EINPUT naming --store/--zeta. */
int adeis_method_check_store(const adeis_method *m, const adeis_store *st, double zeta);

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

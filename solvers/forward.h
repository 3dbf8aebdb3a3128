/* Forward samplers (docs/math.md section 3) as step types, in the manner of GSL's
 * gsl_odeiv2_step_type: a const struct with a name, an order, alloc/free of the sampler's own
 * state, save/restore of that state (the previous eps of dpm-2m, for checkpoints) and one step.
 * Every deterministic step is described by its linear combinations (a "plan", docs/math.md
 * section 13): stage j is evaluated at y_j = c[j][0] x + sum_{i<j} c[j][i+1] eps_i, and
 * x_t = out[0] x + sum_j out[j+1] eps_j (+ out[s+1] eps_prev). One executor runs every plan,
 * and the discrete adjoints reverse the same plans. The same step formulas with h < 0 integrate
 * the PF-ODE noise-ward (backsolve). */
#ifndef ADEIS_FORWARD_H
#define ADEIS_FORWARD_H

#include "adjoint.h"
#include "brownian.h"

#define ADEIS_PLAN_MAX 4

typedef struct adeis_plan {
  unsigned stages;
  const adeis_tpoint *at[ADEIS_PLAN_MAX];     /* stage times (at[0] = from) */
  adeis_tpoint own[ADEIS_PLAN_MAX];           /* storage for interior stage times */
  mpfr_t c[ADEIS_PLAN_MAX][ADEIS_PLAN_MAX];   /* stage state coefficients (row j: j + 1 used) */
  mpfr_t out[ADEIS_PLAN_MAX + 2];             /* x, eps_0.., then eps_prev at out[stages + 1] */
  int init;
} adeis_plan;

void adeis_plan_init(adeis_plan *pl, mpfr_prec_t prec);
void adeis_plan_clear(adeis_plan *pl);

typedef struct adeis_stepper adeis_stepper;

typedef struct adeis_forward {
  const char *name;
  unsigned order;        /* global order on the PF-ODE (1 is nominal for the SDE sampler) */
  int stochastic;
  unsigned evals;        /* model evaluations per step */
  unsigned state_vecs;   /* state-sized vectors of the sampler's own state (saved with x), <= 1 */
  int cache_stages;      /* cached mode stores its interior stage states (dpm-2s midpoints) */
  int exponential;       /* x_t = (alpha_t/alpha_s) x_s + sum b_j eps_j: a reversible coupling */
  /* The step's linear combinations from `from` to `to`; prev = the grid point before `from`,
   * NULL on the first step. */
  void (*plan)(adeis_plan *pl, const adeis_schedule *s, const adeis_tpoint *prev,
               const adeis_tpoint *from, const adeis_tpoint *to);
  int (*alloc)(adeis_stepper *st);
  /* x(from) -> x(to) in place; stages (may be NULL) receive the stage states 1.. */
  int (*step)(adeis_stepper *st, const adeis_tpoint *prev, const adeis_tpoint *from,
              const adeis_tpoint *to, adeis_vec *x, adeis_vec *const *stages);
  void (*save)(const adeis_stepper *st, adeis_vec *const *dst);
  void (*restore)(adeis_stepper *st, adeis_vec *const *src);
  void (*free)(adeis_stepper *st);
} adeis_forward;

struct adeis_stepper {
  const adeis_forward *type;
  const adeis_model *m;
  void *ws;
  const adeis_schedule *s;
  const adeis_brownian *bm;
  adeis_counts *counts;
  adeis_vecmeter *meter;
  adeis_plan plan;
  adeis_vec *eps[ADEIS_PLAN_MAX];  /* the current step's evaluations */
  adeis_vec *y;                    /* a stage state */
  adeis_vec *prev;                 /* dpm-2m: eps at the previous grid point */
  adeis_vec *xi;                   /* sde-dpm-1: the step's noise */
};

extern const adeis_forward *const adeis_forwards[]; /* NULL-terminated */
const adeis_forward *adeis_forward_lookup(const char *name);

/* A stepper of type f; counts and meter may be NULL. Returns 0 or ADEIS_ENOMEM. */
int adeis_stepper_init(adeis_stepper *st, const adeis_forward *f, const adeis_model *m, void *ws,
                       const adeis_schedule *s, const adeis_brownian *bm, adeis_counts *counts,
                       adeis_vecmeter *meter);
void adeis_stepper_clear(adeis_stepper *st);

/* Run a plan at x: every stage evaluated (stage states into stages[j] when given), then
 * out = out[0] x + sum out[j+1] eps_j (+ eps_prev's term when prev_eps is given). out may be x. */
int adeis_plan_run(adeis_stepper *st, const adeis_plan *pl, adeis_vec *out, const adeis_vec *x,
                   const adeis_vec *prev_eps, adeis_vec *const *stages);

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
/* The same with a vector meter (may be NULL). */
int adeis_forward_run_metered(const adeis_forward *f, const adeis_model *m, void *ws,
                              const adeis_schedule *s, const adeis_tpoint *pts, size_t n,
                              adeis_vec *x, adeis_cache *cache, const adeis_brownian *bm,
                              adeis_counts *counts, adeis_vecmeter *meter);

#endif

/* Reference gradients and states where there is no closed form (docs/math.md section 12). */
#include <stdio.h> /* before mpfr.h, for mpfr_fprintf */

#include "reference.h"
#include "reference_cache.h"
#include "../core/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RND MPFR_RNDN

long adeis_reference_precision(long precision)
{
  long p = precision + ADEIS_REF_GUARD_BITS;
  return p > ADEIS_PREC_MAX ? ADEIS_PREC_MAX : p;
}

long adeis_reference_request_precision(const adeis_reference_request *rq)
{
  if (!rq->spec || !rq->spec->has_ref_guard_bits)
    return adeis_reference_precision(rq->precision);
  long p = rq->precision + rq->spec->ref_guard_bits;
  return p > ADEIS_PREC_MAX ? ADEIS_PREC_MAX : p;
}

double adeis_reference_target(const adeis_reference_request *rq)
{
  if (rq->tol > 0)
    return rq->tol;
  double floor = ldexp(1.0, -(int)rq->precision);
  return floor > ADEIS_REF_TOL ? floor : ADEIS_REF_TOL;
}

size_t adeis_reference_max_steps(const adeis_reference_request *rq)
{
  if (rq->max_steps)
    return rq->max_steps;
  if (rq->spec && rq->spec->ref_max_steps)
    return rq->spec->ref_max_steps;
  return rq->sde ? ADEIS_REF_MAX_STEPS_SDE : ADEIS_REF_MAX_STEPS;
}

/* ---- RK4 in lambda on the PF-ODE: dx/dlambda = (d log alpha/d lambda) x - sigma eps ---- */

typedef struct rk4_fwd {
  const adeis_model *m;
  void *ws;
  const adeis_schedule *s;
  adeis_vec *k[4], *y;
  adeis_tpoint mid;
  mpfr_t h, A, c, w[5], one;
  unsigned long nfe;
} rk4_fwd;

static int rk4_fwd_init(rk4_fwd *f, const adeis_model *m, void *ws, const adeis_schedule *s)
{
  memset(f, 0, sizeof *f);
  f->m = m;
  f->ws = ws;
  f->s = s;
  int ok = (f->y = adeis_vec_alloc(m->be, m->dim)) != NULL;
  for (int i = 0; i < 4; i++)
    ok &= (f->k[i] = adeis_vec_alloc(m->be, m->dim)) != NULL;
  adeis_tpoint_init(&f->mid, s->prec);
  mpfr_inits2(s->prec, f->h, f->A, f->c, f->w[0], f->w[1], f->w[2], f->w[3], f->w[4], f->one,
              (mpfr_ptr)0);
  mpfr_set_ui(f->one, 1, RND);
  return ok ? ADEIS_OK : ADEIS_ENOMEM;
}

static void rk4_fwd_clear(rk4_fwd *f)
{
  adeis_vec_free(f->y);
  for (int i = 0; i < 4; i++)
    adeis_vec_free(f->k[i]);
  adeis_tpoint_clear(&f->mid);
  mpfr_clears(f->h, f->A, f->c, f->w[0], f->w[1], f->w[2], f->w[3], f->w[4], f->one, (mpfr_ptr)0);
}

/* k = (d log alpha/d lambda) x - sigma eps(x, tp) */
static int pf_rhs(rk4_fwd *f, adeis_vec *k, const adeis_vec *x, const adeis_tpoint *tp)
{
  int rc = adeis_model_eps(f->m, f->ws, k, x, tp);
  f->nfe++;
  if (rc)
    return rc;
  adeis_schedule_dlogalpha_dlambda(f->A, f->s, tp);
  mpfr_neg(f->c, tp->sigma, RND);
  adeis_vec_lincomb(k, 2, (mpfr_srcptr[]){f->A, f->c}, (const adeis_vec *[]){x, k});
  return ADEIS_OK;
}

/* y = x + a k */
static void rk4_stage(rk4_fwd *f, const adeis_vec *x, const adeis_vec *k, mpfr_srcptr a)
{
  adeis_vec_lincomb(f->y, 2, (mpfr_srcptr[]){f->one, a}, (const adeis_vec *[]){x, k});
}

/* One classic RK4 step in lambda from `from` to `to` (either direction), x in place. */
static int rk4_fwd_step(rk4_fwd *f, adeis_vec *x, const adeis_tpoint *from, const adeis_tpoint *to)
{
  mpfr_sub(f->h, to->lambda, from->lambda, RND);
  mpfr_div_2ui(f->w[0], f->h, 1, RND);             /* h/2 */
  adeis_stage_point(f->s, &f->mid, from, to, (adeis_node){1, 2}, 1);
  int rc = pf_rhs(f, f->k[0], x, from);
  if (!rc) {
    rk4_stage(f, x, f->k[0], f->w[0]);
    rc = pf_rhs(f, f->k[1], f->y, &f->mid);
  }
  if (!rc) {
    rk4_stage(f, x, f->k[1], f->w[0]);
    rc = pf_rhs(f, f->k[2], f->y, &f->mid);
  }
  if (!rc) {
    rk4_stage(f, x, f->k[2], f->h);
    rc = pf_rhs(f, f->k[3], f->y, to);
  }
  if (rc)
    return rc;
  mpfr_div_ui(f->w[1], f->h, 6, RND);
  mpfr_div_ui(f->w[2], f->h, 3, RND);
  adeis_vec_lincomb(x, 5, (mpfr_srcptr[]){f->one, f->w[1], f->w[2], f->w[2], f->w[1]},
                    (const adeis_vec *[]){x, f->k[0], f->k[1], f->k[2], f->k[3]});
  if (!adeis_vec_isfinite(x)) {
    adeis_set_error("reference: x is not finite after the RK4 step to t = %.17g",
                    mpfr_get_d(to->t, RND));
    return ADEIS_ENUMERIC;
  }
  return ADEIS_OK;
}

/* x from pts[0] to pts[n], every point pushed into cache. */
static int rk4_forward(rk4_fwd *f, const adeis_tpoint *pts, size_t n, adeis_vec *x,
                       adeis_cache *cache)
{
  int rc = adeis_cache_push(cache, &pts[0], x);
  for (size_t i = 0; i < n && !rc; i++) {
    rc = rk4_fwd_step(f, x, &pts[i], &pts[i + 1]);
    if (!rc)
      rc = adeis_cache_push(cache, &pts[i + 1], x);
  }
  return rc;
}

/* ---- one level of the reference solve ---- */

typedef struct level {
  adeis_vec *g[ADEIS_Q_COUNT];
} level;

static void level_clear(level *l)
{
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    adeis_vec_free(l->g[q]);
    l->g[q] = NULL;
  }
}

static int level_alloc(level *l, const adeis_model *m)
{
  size_t dims[ADEIS_Q_COUNT] = {m->dim, m->cond_dim, m->theta_dim};
  int ok = 1;
  for (int q = 0; q < ADEIS_Q_COUNT; q++) /* a quantity of dimension 0 stays NULL */
    ok &= !dims[q] || (l->g[q] = adeis_vec_alloc(m->be, dims[q])) != NULL;
  return ok ? ADEIS_OK : ADEIS_ENOMEM;
}

/* The grid of n steps with every step split at its lambda midpoint (the rk4-lambda stage
 * node, computed as the adjoint computes it: from the larger lambda). */
static int refined_points(const adeis_grid *g, const adeis_schedule *s, adeis_tpoint **out)
{
  size_t np = 2 * g->n + 1;
  adeis_tpoint *pts = malloc(np * sizeof *pts);
  if (!pts)
    return ADEIS_ENOMEM;
  for (size_t i = 0; i < np; i++)
    adeis_tpoint_init(&pts[i], s->prec);
  for (size_t i = 0; i <= g->n; i++)
    adeis_tpoint_copy(&pts[2 * i], &g->pts[i]);
  for (size_t i = 0; i < g->n; i++)
    adeis_stage_point(s, &pts[2 * i + 1], &g->pts[i + 1], &g->pts[i], (adeis_node){1, 2}, 1);
  *out = pts;
  return ADEIS_OK;
}

static void free_points(adeis_tpoint *pts, size_t n)
{
  if (!pts)
    return;
  for (size_t i = 0; i < n; i++)
    adeis_tpoint_clear(&pts[i]);
  free(pts);
}

/* rk4-lambda on the adjoint with the states of the forward RK4 solve on the refined grid. */
static int ode_adjoint(const adeis_problem *pb, void *ws, const adeis_grid *grid,
                       const adeis_cache *cache, const adeis_vec *x0, level *l)
{
  const adeis_method *m = adeis_method_lookup(ADEIS_REF_METHOD);
  adeis_states st;
  adeis_states_cached(&st, cache);
  adeis_adjoint_problem ap;
  memset(&ap, 0, sizeof ap);
  ap.model = &pb->model;
  ap.ws = ws;
  ap.sched = &pb->sched;
  ap.grid = grid;
  ap.c = 1;
  ap.state = ADEIS_STATE_CACHED;
  ap.states = &st;
  ap.a_x = l->g[ADEIS_Q_X_T];
  ap.a_z = l->g[ADEIS_Q_Z];
  ap.a_theta = l->g[ADEIS_Q_THETA];
  adeis_problem_loss_grad(pb, ap.a_x, x0);
  if (ap.a_z)
    adeis_vec_set_zero(ap.a_z);
  if (ap.a_theta)
    adeis_vec_set_zero(ap.a_theta);
  int rc = m->solve(m, &ap);
  adeis_states_clear(&st);
  return rc;
}

static int ode_level(const adeis_problem *pb, void *ws, adeis_grid_kind kind, size_t n, level *l)
{
  adeis_grid grid;
  adeis_tpoint *pts = NULL;
  adeis_cache cache;
  rk4_fwd f;
  adeis_cache_init(&cache, pb->sched.prec);
  adeis_vec *x = adeis_vec_alloc(pb->model.be, pb->model.dim);
  int rc = x ? rk4_fwd_init(&f, &pb->model, ws, &pb->sched) : ADEIS_ENOMEM;
  int have_f = x != NULL, have_grid = 0;
  if (!rc && !(rc = adeis_grid_init(&grid, kind, &pb->sched, n)))
    have_grid = 1;
  if (!rc)
    rc = refined_points(&grid, &pb->sched, &pts);
  if (!rc) {
    adeis_vec_copy(x, pb->x_T);
    rc = rk4_forward(&f, pts, 2 * n, x, &cache);
  }
  if (!rc)
    rc = ode_adjoint(pb, ws, &grid, &cache, x, l);
  free_points(pts, 2 * n + 1);
  if (have_grid)
    adeis_grid_clear(&grid);
  if (have_f)
    rk4_fwd_clear(&f);
  adeis_cache_clear(&cache);
  adeis_vec_free(x);
  return rc;
}

/* SDE: the driver's own run of rk4-lambda along the sde-dpm-1 path (cached states over the
 * stage times, one Brownian path for every grid), at the reference precision. */
static int sde_level(const adeis_problem *pb, adeis_grid_kind kind, size_t n, level *l)
{
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = ADEIS_REF_METHOD;
  rq.steps = n;
  rq.grid = kind;
  rq.precision = pb->be.prec;
  rq.state = ADEIS_STATE_CACHED;
  rq.sde = 1;
  rq.want_reference = -1;
  adeis_grad_result res;
  int rc = adeis_grad_compute(pb, &rq, &res);
  for (int q = 0; q < ADEIS_Q_COUNT && !rc; q++)
    if (l->g[q])
      adeis_vec_copy(l->g[q], res.grad[q]);
  adeis_grad_result_clear(&res);
  return rc;
}

/* ---- levels to a value and an estimate ---- */

typedef struct solve_ctx {
  const adeis_reference_request *rq;
  adeis_problem pb;
  void *ws;
  level lv[3];      /* g of the last three levels, oldest first */
  level rich[2];    /* Richardson values of the last two pairs (ODE) */
  unsigned order;   /* 4 (ODE) or 1 (SDE, limited by the path) */
} solve_ctx;

/* r = g1 + (g1 - g0)/(2^p - 1) */
static void richardson(adeis_vec *r, const adeis_vec *g0, const adeis_vec *g1, unsigned p,
                       mpfr_prec_t prec)
{
  mpfr_t a, b;
  mpfr_inits2(prec, a, b, (mpfr_ptr)0);
  mpfr_set_ui(b, (1u << p) - 1, RND);
  mpfr_ui_div(b, 1, b, RND);
  mpfr_add_ui(a, b, 1, RND);
  mpfr_neg(b, b, RND);
  adeis_vec_lincomb(r, 2, (mpfr_srcptr[]){a, b}, (const adeis_vec *[]){g1, g0});
  mpfr_clears(a, b, (mpfr_ptr)0);
}

/* err = |x1 - x0| / |x1| / (2^p - 1) */
static void estimate(mpfr_ptr err, const adeis_vec *x0, const adeis_vec *x1, unsigned p)
{
  adeis_vec_rel_dist(err, x0, x1);
  mpfr_div_ui(err, err, (1u << p) - 1, RND);
}

static void rotate_levels(solve_ctx *c)
{
  level t = c->lv[0];
  c->lv[0] = c->lv[1];
  c->lv[1] = c->lv[2];
  c->lv[2] = t;
  t = c->rich[0];
  c->rich[0] = c->rich[1];
  c->rich[1] = t;
}

/* Fill ref from the last levels; returns 1 when every estimate is within the target. */
static int take_values(solve_ctx *c, adeis_reference *ref)
{
  const level *best = c->order == 1 ? &c->lv[2] : &c->rich[1];
  const level *prev = c->order == 1 ? &c->lv[1] : &c->rich[0];
  double target = adeis_reference_target(c->rq);
  int done = 1;
  mpfr_t older;
  mpfr_init2(older, 64);
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    const adeis_vec *v = best->g[q];
    if (!v) { /* nothing to measure */
      mpfr_set_zero(ref->error[q], 1);
      continue;
    }
    /* the Richardson values converge at order >= 5; their estimate assumes order 4 */
    estimate(ref->error[q], prev->g[q], v, c->order == 1 ? 1 : 4);
    if (c->order == 1) { /* the path's convergence is not smooth in N: the larger of two */
      estimate(older, c->lv[0].g[q], c->lv[1].g[q], 1);
      mpfr_max(ref->error[q], ref->error[q], older, RND);
    }
    done &= mpfr_cmp_d(ref->error[q], target) <= 0;
    for (size_t i = 0; i < ref->n[q]; i++)
      adeis_vec_get(ref->value[q][i], v, i);
  }
  mpfr_clear(older);
  return done;
}

static int solve_level(solve_ctx *c, size_t n)
{
  level *l = &c->lv[2];
  int rc = c->rq->sde ? sde_level(&c->pb, c->rq->grid, n, l)
                      : ode_level(&c->pb, c->ws, c->rq->grid, n, l);
  if (rc || c->order == 1)
    return rc;
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    if (l->g[q])
      richardson(c->rich[1].g[q], c->lv[1].g[q], l->g[q], c->order,
                 adeis_backend_scalar_prec(&c->pb.be));
  return ADEIS_OK;
}

/* Double the levels from N0 until the estimate meets the target or the bound is reached;
 * an estimate needs three levels (ODE: two Richardson values; SDE: two differences). */
static int solve_levels(solve_ctx *c, adeis_reference *ref)
{
  size_t n = ADEIS_REF_START_STEPS, bound = adeis_reference_max_steps(c->rq);
  unsigned need = 3;
  for (unsigned k = 0;; k++, n *= 2) {
    rotate_levels(c);
    int rc = solve_level(c, n);
    if (rc)
      return rc;
    ref->levels = k + 1;
    ref->steps = n;
    if (k + 1 >= need && (take_values(c, ref) || 2 * n > bound))
      return ADEIS_OK;
  }
}

static int reference_solve(const adeis_reference_request *rq, adeis_reference *ref)
{
  solve_ctx c;
  memset(&c, 0, sizeof c);
  c.rq = rq;
  c.order = rq->sde ? 1 : 4;
  int rc = adeis_problem_build(rq->spec, ref->prec, &c.pb);
  if (rc)
    return rc;
  size_t dims[ADEIS_Q_COUNT] = {c.pb.model.dim, c.pb.model.cond_dim, c.pb.model.theta_dim};
  if (memcmp(dims, rq->dims, sizeof dims)) {
    adeis_set_error("reference: the problem rebuilt at %ld bits has other dimensions",
                    (long)ref->prec);
    rc = ADEIS_EINPUT;
  }
  if (!rc && !(c.ws = adeis_model_ws_alloc(&c.pb.model)))
    rc = ADEIS_ENOMEM;
  for (int k = 0; k < 3 && !rc; k++)
    rc = level_alloc(&c.lv[k], &c.pb.model);
  for (int k = 0; k < 2 && !rc; k++)
    rc = level_alloc(&c.rich[k], &c.pb.model);
  if (!rc)
    rc = solve_levels(&c, ref);
  for (int k = 0; k < 3; k++)
    level_clear(&c.lv[k]);
  for (int k = 0; k < 2; k++)
    level_clear(&c.rich[k]);
  adeis_model_ws_free(&c.pb.model, c.ws);
  adeis_problem_clear(&c.pb);
  return rc;
}

/* ---- entry points ---- */

static int reference_compute(const adeis_reference_request *rq, adeis_reference *ref);

static int reference_init(adeis_reference *ref, const adeis_reference_request *rq)
{
  memset(ref, 0, sizeof *ref);
  ref->initialised = 1;
  ref->prec = (mpfr_prec_t)adeis_reference_request_precision(rq);
  memcpy(ref->n, rq->dims, sizeof ref->n);
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    mpfr_init2(ref->error[q], 64);
    mpfr_set_nan(ref->error[q]);
    if (!ref->n[q])
      continue;
    if (!(ref->value[q] = malloc(ref->n[q] * sizeof(mpfr_t))))
      return ADEIS_ENOMEM;
    for (size_t i = 0; i < ref->n[q]; i++)
      mpfr_init2(ref->value[q][i], ref->prec);
  }
  return ADEIS_OK;
}

void adeis_reference_clear(adeis_reference *ref)
{
  if (!ref->initialised)
    return;
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    mpfr_clear(ref->error[q]);
    if (ref->value[q])
      for (size_t i = 0; i < ref->n[q]; i++)
        mpfr_clear(ref->value[q][i]);
    free(ref->value[q]);
  }
  memset(ref, 0, sizeof *ref);
}

/* One reference at a time in a process: threads of a study that need the same reference wait
 * for the first one and then read it from the cache instead of solving it again. */
int adeis_reference_compute(const adeis_reference_request *rq, adeis_reference *ref)
{
  int rc;
#pragma omp critical(adeis_reference)
  rc = reference_compute(rq, ref);
  return rc;
}

static int reference_compute(const adeis_reference_request *rq, adeis_reference *ref)
{
  int rc = reference_init(ref, rq);
  if (rc)
    return rc;
  char dir[2048], path[2200], key[1024];
  adeis_reference_cache_dir(rq, dir, sizeof dir);
  int cached = dir[0] && !adeis_reference_key(rq, key, sizeof key) &&
               !adeis_reference_cache_path(rq, path, sizeof path);
  if (cached && adeis_reference_cache_load(path, key, ref) == 0) {
    ref->from_cache = 1;
    return ADEIS_OK;
  }
  if ((rc = reference_solve(rq, ref)))
    return rc;
  if (cached)
    adeis_reference_cache_store(path, dir, key, ref);
  return ADEIS_OK;
}

/* ---- oracle states from a converged forward solve ---- */

/* A converged forward solution, shared read-only by every run of the process that needs it
 * (the points of a study): the problem at the reference precision (models are immutable and
 * evaluate in per-thread workspaces) and the stored states. Kept for the process's life. */
typedef struct states_solution {
  char key[1024];
  adeis_problem pb;
  adeis_cache cache;      /* the finest solve, increasing lambda */
  double error;
  size_t steps;
  struct states_solution *next;
} states_solution;

static states_solution *solutions; /* guarded by the critical section adeis_ref_states */

/* What one run holds: the shared solution and its own scratch. */
struct adeis_ref_states {
  const states_solution *sol;
  void *ws;
  rk4_fwd f;
  int have_f;
  adeis_tpoint tp;        /* a requested point at the reference precision */
  adeis_vec *x;
};

/* RK4 from x_T over a uniform-lambda grid of n steps into cache. */
static int states_level(states_solution *sol, rk4_fwd *f, adeis_vec *x, size_t n,
                        adeis_cache *cache)
{
  adeis_grid g;
  adeis_cache_init(cache, sol->pb.sched.prec);
  int rc = adeis_grid_init(&g, ADEIS_GRID_UNIFORM_LAMBDA, &sol->pb.sched, n);
  if (rc)
    return rc;
  adeis_vec_copy(x, sol->pb.x_T);
  rc = rk4_forward(f, g.pts, n, x, cache);
  adeis_grid_clear(&g);
  return rc;
}

/* max over the coarse points of |x_2N - x_N| / |x_2N| / 15 */
static double states_estimate(const adeis_cache *coarse, const adeis_cache *fine)
{
  mpfr_t d;
  mpfr_init2(d, 64);
  double worst = 0;
  for (size_t i = 0; i < coarse->n; i++) {
    adeis_vec_rel_dist(d, coarse->x[i], fine->x[2 * i]);
    double v = mpfr_get_d(d, RND) / 15.0;
    if (!(v <= worst))
      worst = v;
  }
  mpfr_clear(d);
  return worst;
}

/* Levels doubled from N0 until the estimate meets the target or the bound is reached. */
static int states_levels(states_solution *sol, rk4_fwd *f, adeis_vec *x,
                         const adeis_reference_request *rq)
{
  size_t n = ADEIS_REF_START_STEPS, bound = adeis_reference_max_steps(rq);
  double target = adeis_reference_target(rq);
  adeis_cache coarse;
  int rc = states_level(sol, f, x, n, &coarse);
  while (!rc) {
    rc = states_level(sol, f, x, 2 * n, &sol->cache);
    if (rc)
      break;
    sol->error = states_estimate(&coarse, &sol->cache);
    sol->steps = 2 * n;
    adeis_cache_clear(&coarse);
    if (sol->error <= target || 4 * n > bound)
      return ADEIS_OK;
    coarse = sol->cache;
    memset(&sol->cache, 0, sizeof sol->cache);
    n *= 2;
  }
  adeis_cache_clear(&coarse);
  return rc;
}

static void solution_free(states_solution *sol)
{
  adeis_cache_clear(&sol->cache);
  adeis_problem_clear(&sol->pb);
  free(sol);
}

static int solution_build(const adeis_reference_request *rq, const char *key,
                          states_solution **out)
{
  states_solution *sol = calloc(1, sizeof *sol);
  if (!sol)
    return ADEIS_ENOMEM;
  snprintf(sol->key, sizeof sol->key, "%s", key);
  int rc = adeis_problem_build(rq->spec, adeis_reference_request_precision(rq), &sol->pb);
  if (rc) {
    free(sol);
    return rc;
  }
  void *ws = adeis_model_ws_alloc(&sol->pb.model);
  adeis_vec *x = adeis_vec_alloc(sol->pb.model.be, sol->pb.model.dim);
  rk4_fwd f;
  rc = ws && x ? rk4_fwd_init(&f, &sol->pb.model, ws, &sol->pb.sched) : ADEIS_ENOMEM;
  if (ws && x) {
    if (!rc)
      rc = states_levels(sol, &f, x, rq);
    rk4_fwd_clear(&f);
  }
  adeis_vec_free(x);
  adeis_model_ws_free(&sol->pb.model, ws);
  if (rc)
    solution_free(sol);
  else
    *out = sol;
  return rc;
}

/* The shared solution for a request: found, or solved and registered. */
static int solution_get(const adeis_reference_request *rq, const states_solution **out)
{
  char key[1024];
  adeis_reference_request k = *rq;
  k.sde = 0;
  k.grid = ADEIS_GRID_UNIFORM_LAMBDA;
  if (adeis_reference_key(&k, key, sizeof key)) {
    adeis_set_error("reference states: cannot read the problem file '%s'", rq->spec->path);
    return ADEIS_EINPUT;
  }
  int rc = ADEIS_OK;
#pragma omp critical(adeis_ref_states)
  {
    const states_solution *sol = solutions;
    while (sol && strcmp(sol->key, key) != 0)
      sol = sol->next;
    if (!sol) {
      states_solution *made = NULL;
      if (!(rc = solution_build(rq, key, &made))) {
        made->next = solutions;
        solutions = made;
        sol = made;
      }
    }
    *out = sol;
  }
  return rc;
}

int adeis_ref_states_new(const adeis_reference_request *rq, adeis_ref_states **out)
{
  *out = NULL;
  const states_solution *sol;
  int rc = solution_get(rq, &sol);
  if (rc)
    return rc;
  adeis_ref_states *rs = calloc(1, sizeof *rs);
  if (!rs)
    return ADEIS_ENOMEM;
  rs->sol = sol;
  adeis_tpoint_init(&rs->tp, sol->pb.sched.prec);
  if (!(rs->ws = adeis_model_ws_alloc(&sol->pb.model)) ||
      !(rs->x = adeis_vec_alloc(sol->pb.model.be, sol->pb.model.dim)))
    rc = ADEIS_ENOMEM;
  if (!rc && !(rc = rk4_fwd_init(&rs->f, &sol->pb.model, rs->ws, &sol->pb.sched)))
    rs->have_f = 1;
  if (rc)
    adeis_ref_states_free(rs);
  else
    *out = rs;
  return rc;
}

void adeis_ref_states_free(adeis_ref_states *rs)
{
  if (!rs)
    return;
  if (rs->have_f)
    rk4_fwd_clear(&rs->f);
  adeis_tpoint_clear(&rs->tp);
  adeis_vec_free(rs->x);
  adeis_model_ws_free(&rs->sol->pb.model, rs->ws);
  free(rs);
}

double adeis_ref_states_error(const adeis_ref_states *rs) { return rs->sol->error; }
size_t adeis_ref_states_steps(const adeis_ref_states *rs) { return rs->sol->steps; }

/* Index of the stored point nearest in lambda to rs->tp (stored lambdas increase). */
static size_t nearest_state(const adeis_ref_states *rs)
{
  const adeis_cache *c = &rs->sol->cache;
  size_t lo = 0, hi = c->n - 1;
  if (mpfr_cmp(rs->tp.lambda, c->tp[lo].lambda) <= 0)
    return lo;
  if (mpfr_cmp(rs->tp.lambda, c->tp[hi].lambda) >= 0)
    return hi;
  while (hi - lo > 1) {          /* lambda[lo] < target < lambda[hi] */
    size_t mid = lo + (hi - lo) / 2;
    if (mpfr_cmp(c->tp[mid].lambda, rs->tp.lambda) <= 0)
      lo = mid;
    else
      hi = mid;
  }
  mpfr_t a, b;
  mpfr_inits2(mpfr_get_prec(rs->tp.lambda), a, b, (mpfr_ptr)0);
  mpfr_sub(a, rs->tp.lambda, c->tp[lo].lambda, RND);
  mpfr_sub(b, c->tp[hi].lambda, rs->tp.lambda, RND);
  size_t j = mpfr_cmp(a, b) <= 0 ? lo : hi;
  mpfr_clears(a, b, (mpfr_ptr)0);
  return j;
}

static int ref_states_at(const adeis_states *st, adeis_vec *x, const adeis_tpoint *tp)
{
  adeis_ref_states *rs = st->impl;
  const adeis_cache *c = &rs->sol->cache;
  adeis_schedule_point_lambda(&rs->sol->pb.sched, &rs->tp, tp->lambda);
  size_t j = nearest_state(rs);
  adeis_vec_copy(rs->x, c->x[j]);
  if (!mpfr_equal_p(c->tp[j].lambda, rs->tp.lambda)) {
    int rc = rk4_fwd_step(&rs->f, rs->x, &c->tp[j], &rs->tp);
    if (rc)
      return rc;
  }
  return adeis_vec_convert(x, rs->x);        /* rounded once to the working storage */
}

void adeis_states_reference(adeis_states *st, adeis_ref_states *rs)
{
  st->at = ref_states_at;
  st->peek = NULL;
  st->impl = rs;
  st->owns_impl = 0;
}

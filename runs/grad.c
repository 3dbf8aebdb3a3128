/* One gradient run: states, loss gradient, the adjoint solve, exact values, errors.
 * The driver layer: it sits above solvers/ and the models, and reads a model's capabilities
 * (flow, exact gradients) instead of knowing its type. */
#include "grad.h"
#include "reference.h"
#include "../core/status.h"
#include "../solvers/forward.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RND MPFR_RNDN

const char *const adeis_quantity_names[ADEIS_Q_COUNT] = {"x_T", "z", "theta"};

void adeis_grad_request_init(adeis_grad_request *rq)
{
  memset(rq, 0, sizeof *rq);
  rq->grid = ADEIS_GRID_UNIFORM_LAMBDA;
  rq->precision = 256;
  rq->state = ADEIS_STATE_ORACLE;
  rq->tol = 1e-8;
  rq->zeta = 0.999;
}

int adeis_grad_check(const adeis_grad_request *rq)
{
  const adeis_method *m = rq->method ? adeis_method_lookup(rq->method) : NULL;
  if (!m) {
    adeis_set_error("--method: unknown method '%s' (adeis list shows them)",
                    rq->method ? rq->method : "");
    return ADEIS_EINPUT;
  }
  if (rq->steps < 1 || rq->steps > ADEIS_STEPS_MAX) {
    adeis_set_error("--steps: expected an integer in 1..%lu, got %zu", ADEIS_STEPS_MAX, rq->steps);
    return ADEIS_EINPUT;
  }
  adeis_backend be;
  int rc = adeis_grad_request_backend(rq, &be);
  if (rc)
    return rc;
  if ((unsigned)rq->grid >= ADEIS_GRID_COUNT || (unsigned)rq->state >= ADEIS_STATE_COUNT) {
    adeis_set_error("--grid/--state: out of range");
    return ADEIS_EINPUT;
  }
  if ((rc = adeis_method_check(m, &be, rq->sde, rq->state)))
    return rc;
  if ((rc = adeis_method_check_store(m, &rq->store, rq->zeta)))
    return rc;
  if ((m->flags & ADEIS_METHOD_TOL) && !(rq->tol >= ADEIS_TOL_MIN && rq->tol < 1)) {
    adeis_set_error("--tol: expected a tolerance in [%g, 1) (double cannot resolve less), got %g",
                    ADEIS_TOL_MIN, rq->tol);
    return ADEIS_EINPUT;
  }
  return ADEIS_OK;
}

int adeis_grad_request_backend(const adeis_grad_request *rq, adeis_backend *be)
{
  int rc = rq->backend ? adeis_backend_init_named(be, rq->backend, rq->precision)
                       : adeis_backend_init(be, rq->precision);
  if (rc && rq->backend)
    return rc; /* the message names --backend or --precision */
  if (rc)
    adeis_set_error("--precision: expected bits in %d..%d, got %ld", ADEIS_PREC_MIN,
                    ADEIS_PREC_MAX, rq->precision);
  return rc;
}

/* ---- result storage ---- */

/* Quantity q is wanted by the request (x_T always: it is the adjoint state itself). */
static int wants(const adeis_grad_request *rq, int q)
{
  return q == ADEIS_Q_X_T || !rq->quantities || (rq->quantities & (1u << q));
}

static int result_init(adeis_grad_result *res, const adeis_model *m, const adeis_grad_request *rq)
{
  memset(res, 0, sizeof *res);
  size_t dims[ADEIS_Q_COUNT] = {m->dim, m->cond_dim, m->theta_dim};
  int ok = 1;
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    mpfr_init2(res->rel_error[q], m->be->prec < 64 ? 64 : m->be->prec); /* working precision */
    mpfr_set_nan(res->rel_error[q]);
    mpfr_init2(res->rel_error_discrete[q], m->be->prec < 64 ? 64 : m->be->prec);
    mpfr_set_nan(res->rel_error_discrete[q]);
    mpfr_init2(res->reference_error[q], 64);
    mpfr_set_nan(res->reference_error[q]);
    if (!wants(rq, q))
      continue;
    ok &= (res->grad[q] = adeis_vec_alloc(m->be, dims[q])) != NULL;
    ok &= (res->exact[q] = adeis_vec_alloc(m->be, dims[q])) != NULL;
  }
  ok &= (res->x0 = adeis_vec_alloc(m->be, m->dim)) != NULL;
  res->reconstruction_error = NAN;
  res->states_error = NAN;
  res->initialised = 1;
  return ok ? ADEIS_OK : ADEIS_ENOMEM;
}

void adeis_grad_result_clear(adeis_grad_result *res)
{
  if (!res->initialised)
    return;
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    mpfr_clear(res->rel_error[q]);
    mpfr_clear(res->rel_error_discrete[q]);
    mpfr_clear(res->reference_error[q]);
    adeis_vec_free(res->reference[q]);
    adeis_vec_free(res->grad[q]);
    adeis_vec_free(res->exact[q]);
  }
  adeis_vec_free(res->x0);
  adeis_vec_free(res->x_T_backsolved);
  memset(res, 0, sizeof *res);
}

/* ---- the times at which the adjoint needs x: grid points and interior stage nodes ---- */

static int node_cmp(const void *a, const void *b)
{
  const adeis_node *x = a, *y = b;
  long double l = (long double)x->num / x->den, r = (long double)y->num / y->den;
  return (l > r) - (l < r);
}

/* Sampling-order list (decreasing t) of every grid point and every interior node of m. */
static int stage_times(const adeis_method *m, const adeis_grid *g, const adeis_schedule *s,
                       adeis_tpoint **out, size_t *count)
{
  adeis_node inner[16];
  size_t ni = 0;
  for (size_t j = 0; j < m->n_nodes && ni < 16; j++)
    if (m->nodes[j].num > 0 && m->nodes[j].num < m->nodes[j].den)
      inner[ni++] = m->nodes[j];
  qsort(inner, ni, sizeof *inner, node_cmp);
  size_t n = g->n * (ni + 1) + 1, pos = n;
  adeis_tpoint *pts = malloc(n * sizeof *pts);
  if (!pts)
    return ADEIS_ENOMEM;
  for (size_t i = 0; i < n; i++)
    adeis_tpoint_init(&pts[i], s->prec);
  /* fill from the end (t_end) backwards, walking the adjoint steps */
  adeis_tpoint_copy(&pts[--pos], &g->pts[g->n]);
  for (size_t k = 0; k < g->n; k++) {
    const adeis_tpoint *t = &g->pts[g->n - k], *u = &g->pts[g->n - k - 1];
    for (size_t j = 0; j < ni; j++)
      adeis_stage_point(s, &pts[--pos], t, u, inner[j], m->in_lambda);
    adeis_tpoint_copy(&pts[--pos], u);
  }
  *out = pts;
  *count = n;
  return ADEIS_OK;
}

static void free_times(adeis_tpoint *pts, size_t n)
{
  if (!pts)
    return;
  for (size_t i = 0; i < n; i++)
    adeis_tpoint_clear(&pts[i]);
  free(pts);
}

/* State vectors a discrete adjoint keeps: every state and stage state (all), the snapshots
 * (checkpoint), both coupled sequences (coupled-all), or none (reversible). */
static double discrete_vectors(const adeis_grad_request *rq, const adeis_method *m)
{
  const adeis_forward *f = adeis_forward_lookup(m->forward);
  adeis_store st = adeis_grad_store(rq);
  double n = (double)rq->steps, evals = f ? f->evals : 1, own = f ? f->state_vecs : 0;
  switch (st.kind) {
  case ADEIS_STORE_CHECKPOINT: {
    double s = (double)adeis_store_snapshots(&st, rq->steps);
    return (s < n ? s : n) * (1 + own);
  }
  case ADEIS_STORE_COUPLED_ALL: return 2 * n;
  case ADEIS_STORE_REVERSIBLE: return 0;
  default: return n * evals;
  }
}

/* Working memory a run plans for: the grid's time points, and in cached mode (or for the
 * SDE) every stored state with its time point. Refused up front beyond the limit. */
static int check_memory(const adeis_problem *pb, const adeis_grad_request *rq,
                        const adeis_method *m)
{
  double scalar = 4.0 * adeis_scalar_bytes(pb->sched.prec), n = (double)rq->steps;
  double bytes = (n + 1) * scalar;
  if (m->family == ADEIS_FAMILY_DTO) {
    bytes += discrete_vectors(rq, m) * (double)pb->model.dim * adeis_backend_bytes_per_value(&pb->be);
  } else if (rq->state == ADEIS_STATE_CACHED ||
             (rq->state == ADEIS_STATE_ORACLE && !adeis_model_has(&pb->model, ADEIS_CAP_FLOW))) {
    double per_step = 1.0;
    for (size_t j = 0; j < m->n_nodes; j++)
      per_step += m->nodes[j].num > 0 && m->nodes[j].num < m->nodes[j].den;
    double states = n * per_step + 1;
    bytes += states * ((double)pb->model.dim * adeis_backend_bytes_per_value(&pb->be) + scalar);
  }
  if (bytes <= ADEIS_MEMORY_LIMIT_BYTES)
    return ADEIS_OK;
  adeis_set_error("--steps: %zu steps of %s%s with dimension %zu at %ld bits need about %.3g GiB, "
                  "more than the %.0f GiB limit",
                  rq->steps, m->name,
                  m->family == ADEIS_FAMILY_DTO ? " with its stored states"
                  : rq->state == ADEIS_STATE_CACHED ? " with cached states" : "",
                  pb->model.dim, rq->precision, bytes / 1073741824.0,
                  ADEIS_MEMORY_LIMIT_BYTES / 1073741824.0);
  return ADEIS_EINPUT;
}

/* ---- one run ---- */

typedef struct run {
  const adeis_problem *pb;
  const adeis_grad_request *rq;
  const adeis_method *m;
  void *ws;                      /* the model's workspace */
  adeis_schedule sched;          /* the problem's schedule (shallow copy), with need_t set */
  adeis_grid grid;
  adeis_cache cache;
  adeis_states states;
  adeis_adjoint_problem ap;
  adeis_vec *G;
  adeis_counts fwd;
  adeis_vecmeter meter;          /* state-sized vectors held */
  adeis_ref_states *rs;          /* oracle states of a model without a flow */
  adeis_states solved, stored;   /* ... the solve's provider and the states stored from it */
  double states_seconds;         /* time spent storing them (not the adjoint's) */
} run;

/* Sample the path the adjoint reads: the SDE sampler over every stage time, or the method's
 * forward sampler (on the grid for exponential integrators, which store their own midpoints). */
static int sample_states(run *r, adeis_vec *x0, int keep)
{
  const adeis_problem *pb = r->pb;
  const adeis_forward *f = adeis_forward_lookup(r->rq->sde ? "sde-dpm-1" : r->m->forward);
  adeis_tpoint *pts = r->grid.pts;
  size_t n = r->grid.n, npts = 0;
  adeis_tpoint *refined = NULL;
  int rc = ADEIS_OK;
  int refine = r->rq->sde ? 1 : r->m->family != ADEIS_FAMILY_ADJDEIS;
  if (keep && refine) {
    rc = stage_times(r->m, &r->grid, &r->sched, &refined, &npts);
    pts = refined;
    n = npts - 1;
  }
  adeis_brownian bm = {.rng = NULL};
  if (!rc && adeis_brownian_init(&bm, pb->noise_seed, pb->model.dim,
                                 mpfr_get_d(r->grid.pts[0].lambda, RND),
                                 mpfr_get_d(r->grid.pts[r->grid.n].lambda, RND)))
    rc = ADEIS_ENOMEM;
  adeis_vec_copy(x0, pb->x_T);
  if (!rc)
    rc = adeis_forward_run_metered(f, &pb->model, r->ws, &r->sched, pts, n, x0,
                                   keep ? &r->cache : NULL, f->stochastic ? &bm : NULL, &r->fwd,
                                   &r->meter);
  adeis_brownian_clear(&bm);
  free_times(refined, npts);
  return rc;
}

/* ---- references (runs/reference.h) ---- */

static void reference_request(const run *r, adeis_reference_request *q)
{
  const adeis_model *m = &r->pb->model;
  memset(q, 0, sizeof *q);
  q->spec = r->rq->spec;
  q->dims[ADEIS_Q_X_T] = m->dim;
  q->dims[ADEIS_Q_Z] = m->cond_dim;
  q->dims[ADEIS_Q_THETA] = m->theta_dim;
  q->grid = r->rq->grid;
  q->precision = r->rq->precision;
  q->sde = r->rq->sde;
  q->tol = r->rq->ref_tol;
  q->max_steps = r->rq->ref_max_steps;
}

/* Oracle mode for a model without a flow: the converged forward solve its states come from,
 * solved (or found, once per process) before the run's clock starts, like a closed form. */
static int solve_reference_states(run *r)
{
  if (r->rq->state != ADEIS_STATE_ORACLE || adeis_model_has(&r->pb->model, ADEIS_CAP_FLOW))
    return ADEIS_OK;
  if (!r->rq->spec) {
    adeis_set_error("--state: oracle states of the %s model need a flow or the problem file "
                    "(for a converged forward solve)", r->pb->model.ops->name);
    return ADEIS_EINPUT;
  }
  adeis_reference_request q;
  reference_request(r, &q);
  return adeis_ref_states_new(&q, &r->rs);
}

static double now_seconds(void);

/* x at tp: stored when the time was known in advance, else from the solve (adaptive methods). */
static int mixed_at(const adeis_states *st, adeis_vec *x, const adeis_tpoint *tp)
{
  const run *r = st->impl;
  const adeis_vec *v = r->stored.peek(&r->stored, tp);
  if (!v)
    return r->solved.at(&r->solved, x, tp);
  adeis_vec_copy(x, v);
  return ADEIS_OK;
}

static const adeis_vec *mixed_peek(const adeis_states *st, const adeis_tpoint *tp)
{
  const run *r = st->impl;
  return r->stored.peek(&r->stored, tp);
}

/* Store x at every time the method will ask for (grid points and stage nodes; none for the
 * adaptive methods, whose times are not known in advance), so that reading a state costs what
 * a closed-form flow costs; the time this takes is not the adjoint's. */
static int store_reference_states(run *r)
{
  adeis_tpoint *pts = NULL;
  size_t n = 0;
  double t0 = now_seconds();
  int rc = ADEIS_OK;
  if (!(r->m->flags & ADEIS_METHOD_TOL))
    rc = stage_times(r->m, &r->grid, &r->pb->sched, &pts, &n);
  adeis_vec *x = rc ? NULL : adeis_vec_alloc(r->pb->model.be, r->pb->model.dim);
  if (!rc && !x)
    rc = ADEIS_ENOMEM;
  for (size_t i = 0; i < n && !rc; i++)
    if (!(rc = r->solved.at(&r->solved, x, &pts[i])))
      rc = adeis_cache_push(&r->cache, &pts[i], x);
  adeis_vec_free(x);
  free_times(pts, n);
  r->states_seconds = now_seconds() - t0;
  return rc;
}

static int reference_states(run *r, adeis_grad_result *res)
{
  adeis_states_reference(&r->solved, r->rs);
  adeis_states_cached(&r->stored, &r->cache);
  r->states = (adeis_states){.at = mixed_at, .peek = mixed_peek, .impl = r};
  res->states_error = adeis_ref_states_error(r->rs);
  int rc = store_reference_states(r);
  return rc ? rc : r->states.at(&r->states, res->x0, &r->grid.pts[r->grid.n]);
}

int adeis_grad_has_exact(const adeis_model *m, int sde, int q)
{
  if (sde)
    return q != ADEIS_Q_THETA && adeis_model_has(m, ADEIS_CAP_EXACT_SDE);
  return adeis_model_has(m, ADEIS_CAP_EXACT_ODE | ADEIS_CAP_FLOW);
}

/* 10x the estimate of the forward solve oracle states come from (shared in the process) */
static int states_floor(const adeis_reference_request *rq, double *floor)
{
  adeis_ref_states *rs;
  int rc = adeis_ref_states_new(rq, &rs);
  if (!rc)
    *floor = ADEIS_REFERENCE_FLOOR_FACTOR * adeis_ref_states_error(rs);
  adeis_ref_states_free(rs);
  return rc;
}

int adeis_grad_reference_floor(const adeis_problem_spec *spec, adeis_grid_kind grid,
                               long precision, int sde, adeis_state_mode state, int q,
                               double *floor)
{
  adeis_problem pb;
  *floor = 0;
  int rc = adeis_problem_build(spec, precision, &pb);
  if (rc || adeis_grad_has_exact(&pb.model, sde, q)) {
    if (!rc)
      adeis_problem_clear(&pb);
    return rc;
  }
  int solved_states = !sde && state == ADEIS_STATE_ORACLE && !adeis_model_has(&pb.model,
                                                                               ADEIS_CAP_FLOW);
  adeis_reference_request rq = {.spec = spec, .grid = grid, .precision = precision, .sde = sde,
                                .dims = {pb.model.dim, pb.model.cond_dim, pb.model.theta_dim}};
  adeis_problem_clear(&pb);
  adeis_reference ref;
  rc = adeis_reference_compute(&rq, &ref);
  if (!rc)
    *floor = ADEIS_REFERENCE_FLOOR_FACTOR * mpfr_get_d(ref.error[q], RND);
  adeis_reference_clear(&ref);
  double sf = 0;
  if (!rc && solved_states && !(rc = states_floor(&rq, &sf)))
    *floor = fmax(*floor, sf);
  return rc;
}

/* Quantity q gets a reference: wanted, no exact value (or forced), references not refused. */
static int needs_reference(const run *r, const adeis_grad_result *res, int q)
{
  if (!res->grad[q] || !res->grad[q]->n || r->rq->want_reference < 0 || !r->rq->spec)
    return 0;
  return r->rq->want_reference > 0 || !res->exact[q];
}

/* References for the quantities that need one, rounded to the run's backend. */
static int reference_values(run *r, adeis_grad_result *res)
{
  int any = 0;
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    any |= needs_reference(r, res, q);
  if (!any)
    return ADEIS_OK;
  adeis_reference_request q;
  adeis_reference ref;
  reference_request(r, &q);
  int rc = adeis_reference_compute(&q, &ref);
  for (int k = 0; k < ADEIS_Q_COUNT && !rc; k++) {
    if (!needs_reference(r, res, k))
      continue;
    if (!(res->reference[k] = adeis_vec_alloc(r->pb->model.be, ref.n[k]))) {
      rc = ADEIS_ENOMEM;
      break;
    }
    for (size_t i = 0; i < ref.n[k]; i++)
      adeis_vec_set(res->reference[k], i, ref.value[k][i]);
    mpfr_set(res->reference_error[k], ref.error[k], RND);
  }
  res->reference_steps = rc ? 0 : ref.steps;
  adeis_reference_clear(&ref);
  return rc;
}

static int prepare_states(run *r, adeis_grad_result *res)
{
  const adeis_problem *pb = r->pb;
  const adeis_tpoint *tT = &r->grid.pts[0], *t0 = &r->grid.pts[r->grid.n];
  adeis_cache_init(&r->cache, pb->sched.prec);
  r->cache.meter = &r->meter;
  if (r->m->family == ADEIS_FAMILY_DTO)
    return ADEIS_OK; /* a discrete adjoint samples its own states */
  if (r->rq->state == ADEIS_STATE_CACHED) {
    int rc = sample_states(r, res->x0, 1);
    adeis_states_cached(&r->states, &r->cache);
    return rc;
  }
  if (r->rq->state == ADEIS_STATE_BACKSOLVE) {
    adeis_states_oracle(&r->states, &pb->model, r->ws, pb->x_T, tT);
    return sample_states(r, res->x0, 0);
  }
  if (!adeis_model_has(&pb->model, ADEIS_CAP_FLOW))
    return reference_states(r, res);
  adeis_states_oracle(&r->states, &pb->model, r->ws, pb->x_T, tT);
  return adeis_model_flow(&pb->model, r->ws, res->x0, t0, pb->x_T, tT);
}

/* ---- discrete adjoints ---- */

static int loss_grad(void *ctx, adeis_vec *g, const adeis_vec *x_end)
{
  adeis_problem_loss_grad(ctx, g, x_end);
  return ADEIS_OK;
}

adeis_store adeis_grad_store(const adeis_grad_request *rq)
{
  const adeis_method *m = rq->method ? adeis_method_lookup(rq->method) : NULL;
  adeis_store st = rq->store;
  if (m && (m->flags & ADEIS_METHOD_DISCRETE) && st.kind == ADEIS_STORE_NONE)
    st.kind = ADEIS_STORE_ALL;
  return st;
}

/* A dto-* method samples x_T itself with its storage policy and takes the loss at its own
 * sample x_N (written to res->x0). */
static int run_discrete(run *r, adeis_grad_result *res)
{
  adeis_adjoint_problem *ap = &r->ap;
  ap->x_T = r->pb->x_T;
  ap->x_end = res->x0;
  ap->loss_grad = loss_grad;
  ap->loss_ctx = (void *)r->pb;
  ap->store = adeis_grad_store(r->rq);
  ap->zeta = r->rq->zeta;
  int rc = r->m->solve(r->m, ap);
  if (!rc && ap->store.kind == ADEIS_STORE_REVERSIBLE)
    res->reconstruction_error = ap->recon_error;
  return rc;
}

const adeis_method *adeis_grad_discrete_method(const adeis_grad_request *rq)
{
  const adeis_method *m = rq->method ? adeis_method_lookup(rq->method) : NULL;
  if (!m || rq->sde)
    return NULL;
  if (m->flags & ADEIS_METHOD_DISCRETE)
    return m;
  for (size_t i = 0; adeis_methods[i]; i++)
    if ((adeis_methods[i]->flags & ADEIS_METHOD_DISCRETE) &&
        strcmp(adeis_methods[i]->forward, m->forward) == 0)
      return adeis_methods[i];
  return NULL;
}

/* rel_error_discrete: against the store-all discrete gradient of the same sampler at the same N
 * (0 for a store-all dto-* run, which is that gradient). */
static int discrete_errors(const adeis_problem *pb, const adeis_grad_request *rq,
                           adeis_grad_result *res)
{
  const adeis_method *d = adeis_grad_discrete_method(rq);
  if (!d)
    return ADEIS_OK;
  adeis_store st = adeis_grad_store(rq);
  if (d == adeis_method_lookup(rq->method) && st.kind == ADEIS_STORE_ALL) {
    for (int q = 0; q < ADEIS_Q_COUNT; q++)
      if (res->grad[q])
        mpfr_set_zero(res->rel_error_discrete[q], 1);
    return ADEIS_OK;
  }
  adeis_grad_request sub = *rq;
  sub.method = d->name;
  sub.state = ADEIS_STATE_CACHED;
  sub.discrete_error = 0;
  sub.store.kind = st.kind == ADEIS_STORE_REVERSIBLE ? ADEIS_STORE_COUPLED_ALL : ADEIS_STORE_ALL;
  sub.store.snapshots = 0;
  adeis_grad_result ref;
  int rc = adeis_grad_compute(pb, &sub, &ref);
  for (int q = 0; q < ADEIS_Q_COUNT && !rc; q++)
    if (res->grad[q] && ref.grad[q])
      adeis_vec_rel_dist(res->rel_error_discrete[q], res->grad[q], ref.grad[q]);
  adeis_grad_result_clear(&ref);
  /* no discrete gradient (e.g. too many steps to store): rel_error_discrete stays NaN */
  (void)rc;
  return ADEIS_OK;
}

/* peak_bytes: the state-sized vectors and the z, theta accumulators */
static void memory_totals(const run *r, adeis_grad_result *res)
{
  const adeis_model *m = &r->pb->model;
  double bpv = adeis_backend_bytes_per_value(m->be), acc = 0;
  if (res->grad[ADEIS_Q_Z])
    acc += (double)m->cond_dim;
  if (res->grad[ADEIS_Q_THETA])
    acc += (double)m->theta_dim;
  res->peak_vectors = r->meter.peak;
  res->peak_bytes = ((double)r->meter.peak * (double)m->dim + acc) * bpv;
}

static int run_adjoint(run *r, adeis_grad_result *res)
{
  const adeis_problem *pb = r->pb;
  adeis_adjoint_problem *ap = &r->ap;
  memset(ap, 0, sizeof *ap);
  ap->model = &pb->model;
  ap->ws = r->ws;
  ap->sched = &r->sched;
  ap->grid = &r->grid;
  ap->c = r->rq->sde ? 2 : 1;
  ap->state = r->rq->state;
  ap->states = &r->states;
  ap->tol = r->rq->tol;
  ap->a_x = res->grad[ADEIS_Q_X_T];
  ap->a_z = res->grad[ADEIS_Q_Z];
  ap->a_theta = res->grad[ADEIS_Q_THETA];
  ap->meter = &r->meter;
  if (ap->a_z)
    adeis_vec_set_zero(ap->a_z);
  if (ap->a_theta)
    adeis_vec_set_zero(ap->a_theta);
  if (r->m->family == ADEIS_FAMILY_DTO)
    return run_discrete(r, res);
  adeis_problem_loss_grad(pb, ap->a_x, res->x0);
  if (ap->state == ADEIS_STATE_BACKSOLVE) {
    res->x_T_backsolved = adeis_meter_alloc(&r->meter, pb->model.be, pb->model.dim);
    if (!res->x_T_backsolved)
      return ADEIS_ENOMEM;
    adeis_vec_copy(res->x_T_backsolved, res->x0);
    ap->x = res->x_T_backsolved;
  }
  return r->m->solve(r->m, ap);
}

static void drop_exact(adeis_grad_result *res, int q)
{
  adeis_vec_free(res->exact[q]);
  res->exact[q] = NULL;
}

/* Exact gradients where the model declares them: ODE (x_T, z, theta at the exact x_0), or SDE
 * (x_T and z at the path's own x_0; dL/dtheta depends on the path between grid points). */
static int exact_values(run *r, adeis_grad_result *res)
{
  const adeis_problem *pb = r->pb;
  const adeis_model *m = &pb->model;
  const adeis_tpoint *tT = &r->grid.pts[0], *t0 = &r->grid.pts[r->grid.n];
  if (!adeis_grad_has_exact(m, r->rq->sde, ADEIS_Q_X_T)) {
    for (int q = 0; q < ADEIS_Q_COUNT; q++)
      drop_exact(res, q);
    return ADEIS_OK;
  }
  if (r->rq->sde) {
    drop_exact(res, ADEIS_Q_THETA);
    adeis_problem_loss_grad(pb, r->G, res->x0);
    return adeis_model_exact_sde(m, r->ws, t0, tT, r->G, res->exact[ADEIS_Q_X_T],
                                 res->exact[ADEIS_Q_Z]);
  }
  adeis_vec *x0 = adeis_vec_alloc(m->be, m->dim);
  if (!x0)
    return ADEIS_ENOMEM;
  int rc = adeis_model_flow(m, r->ws, x0, t0, pb->x_T, tT);
  if (!rc) {
    adeis_problem_loss_grad(pb, r->G, x0);
    rc = adeis_model_exact_ode(m, r->ws, t0, tT, pb->x_T, r->G, res->exact[ADEIS_Q_X_T],
                               res->exact[ADEIS_Q_Z], res->exact[ADEIS_Q_THETA]);
  }
  adeis_vec_free(x0);
  return rc;
}

/* Catch-all after the solve: every gradient finite (solvers check a_x at every step). */
static int check_finite(run *r, const adeis_grad_result *res)
{
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    if (res->grad[q] && !adeis_vec_isfinite(res->grad[q]))
      return adeis_adjoint_fail(&r->ap, r->grid.n - 1, &r->grid.pts[0],
                                q == ADEIS_Q_Z ? "dL/dz" : q == ADEIS_Q_THETA ? "dL/dtheta" : "dL/dx_T");
  return ADEIS_OK;
}

static double now_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int adeis_grad_compute(const adeis_problem *pb, const adeis_grad_request *rq,
                       adeis_grad_result *res)
{
  memset(res, 0, sizeof *res);
  int rc = adeis_grad_check(rq);
  if (rc)
    return rc;
  adeis_backend want;
  if (adeis_grad_request_backend(rq, &want) || !adeis_backend_same(&pb->be, &want)) {
    adeis_set_error("problem built on %s at %ld bits, request for %s at %ld", pb->be.type->name,
                    (long)pb->be.prec, rq->backend ? rq->backend : "(by precision)", rq->precision);
    return ADEIS_EINPUT;
  }
  run r;
  memset(&r, 0, sizeof r);
  r.pb = pb;
  r.rq = rq;
  r.m = adeis_method_lookup(rq->method);
  if ((rc = check_memory(pb, rq, r.m)))
    return rc;
  if ((rc = result_init(res, &pb->model, rq)))
    return rc;
  if (!(r.G = adeis_vec_alloc(pb->model.be, pb->model.dim)) ||
      !(r.ws = adeis_model_ws_alloc(&pb->model))) {
    adeis_vec_free(r.G);
    return ADEIS_ENOMEM;
  }
  rc = solve_reference_states(&r);
  double t_start = now_seconds();
  /* t is computed only where the method steps or places stages in t, or the model reads it */
  r.sched = pb->sched;
  r.sched.need_t = !r.m->in_lambda || !adeis_model_has(&pb->model, ADEIS_CAP_NO_T);
  adeis_meter_add(&r.meter, 2); /* the adjoint state a_x and the sample x(t_end) */
  if (!rc)
    rc = adeis_grid_init(&r.grid, rq->grid, &r.sched, rq->steps);
  if (!rc)
    rc = prepare_states(&r, res);
  if (!rc)
    rc = run_adjoint(&r, res);
  res->seconds = now_seconds() - t_start - r.states_seconds;
  res->nfe = r.fwd.nfe + r.ap.counts.nfe;
  res->nvjp = r.fwd.nvjp + r.ap.counts.nvjp;
  memory_totals(&r, res);
  if (!rc)
    rc = check_finite(&r, res);
  if (!rc)
    rc = exact_values(&r, res);
  if (!rc)
    rc = reference_values(&r, res);
  for (int q = 0; q < ADEIS_Q_COUNT && !rc; q++)
    if (res->exact[q] || res->reference[q])
      adeis_vec_rel_dist(res->rel_error[q], res->grad[q],
                         res->exact[q] ? res->exact[q] : res->reference[q]);
  adeis_ref_states_free(r.rs);
  adeis_states_clear(&r.states);
  if (!rc && rq->discrete_error)
    rc = discrete_errors(pb, rq, res);
  adeis_cache_clear(&r.cache);
  adeis_grid_clear(&r.grid);
  adeis_vec_free(r.G);
  adeis_model_ws_free(&pb->model, r.ws);
  return rc;
}

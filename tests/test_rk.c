/* Runge-Kutta and GSL adaptive adjoint baselines (docs/math.md section 6) on the Gaussian
 * worked example (section 11), against the closed-form gradients of section 8:
 * fitted orders at 256 bits over ranges shown to be asymptotic, the SDE variant,
 * backsolve reconstruction of x_T, cached states, counts, failures and GSL in double. */
#include <criterion/criterion.h>

#include "../analytic/gaussian.h"
#include "../core/status.h"
#include "../solvers/adjoint.h"

#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RND MPFR_RNDN
#define ORDER_TOL 0.1

static void note(const char *fmt, ...)
{
  if (!getenv("ADEIS_TEST_VERBOSE"))
    return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

/* ---- the worked example: model, schedule, x_T, G = x_0 - target, exact gradients ---- */

enum { Q_X, Q_Z, Q_THETA, Q_BACKSOLVED_X_T, Q_COUNT };
static const char *const q_names[Q_COUNT] = {"x_T", "z", "theta", "backsolved x_T"};

typedef struct example {
  adeis_backend be;
  adeis_schedule sched;
  adeis_model model;
  adeis_tpoint tT, t0;
  adeis_vec *x_T, *x0, *G;
  adeis_vec *ode[3];  /* exact ODE dL/dx_T, dL/dz, dL/dtheta */
  adeis_vec *sde[2];  /* exact SDE dL/dx_T, dL/dz */
  adeis_states oracle;
} example;

static adeis_vec *vec_from_text(const adeis_backend *be, const char *const s[3])
{
  adeis_vec *v = adeis_vec_alloc(be, 3);
  mpfr_t r;
  mpfr_init2(r, adeis_backend_scalar_prec(be));
  for (size_t i = 0; i < 3; i++) {
    mpfr_set_str(r, s[i], 10, RND);
    adeis_vec_set(v, i, r);
  }
  mpfr_clear(r);
  return v;
}

/* with cond: a 3x2 W = (1 0; 0 1; 0.5 0.5) and z = (0.2, -0.1) */
static void gaussian_model(example *e, int cond, unsigned long rotation_seed)
{
  static const char *const text[] = {"0.5", "-1", "2", "0.04", "1", "0.25",
                                     "1",   "0",  "0", "1",    "0.5", "0.5", "0.2", "-0.1"};
  enum { N_TEXT = sizeof text / sizeof *text };
  mpfr_t v[N_TEXT];
  for (int i = 0; i < N_TEXT; i++) {
    mpfr_init2(v[i], adeis_backend_scalar_prec(&e->be));
    mpfr_set_str(v[i], text[i], 10, RND);
  }
  mpfr_srcptr m[] = {v[0], v[1], v[2]}, s2[] = {v[3], v[4], v[5]};
  mpfr_srcptr W[] = {v[6], v[7], v[8], v[9], v[10], v[11]}, z[] = {v[12], v[13]};
  int rc = adeis_gaussian_init(&e->model, &e->be, 3, cond ? 2 : 0, m, s2, cond ? W : NULL,
                               cond ? z : NULL, rotation_seed);
  cr_assert_eq(rc, ADEIS_OK);
  for (int i = 0; i < N_TEXT; i++)
    mpfr_clear(v[i]);
}

/* G = x_0 - target with x_0 the exact flow of x_T */
static void loss_gradient(example *e)
{
  static const char *const xs[] = {"0.7", "-0.4", "1.1"}, *const ts[] = {"0.3", "0.1", "-0.2"};
  e->x_T = vec_from_text(&e->be, xs);
  e->G = vec_from_text(&e->be, ts);
  e->x0 = adeis_vec_alloc(&e->be, 3);
  cr_assert_eq(adeis_model_flow(&e->model, NULL, e->x0, &e->t0, e->x_T, &e->tT), ADEIS_OK);
  mpfr_t one, mone;
  mpfr_inits2(32, one, mone, (mpfr_ptr)0);
  mpfr_set_si(one, 1, RND);
  mpfr_set_si(mone, -1, RND);
  adeis_vec_lincomb(e->G, 2, (mpfr_srcptr[]){one, mone}, (const adeis_vec *[]){e->x0, e->G});
  mpfr_clears(one, mone, (mpfr_ptr)0);
}

static void example_init_with(example *e, long bits, int cond, unsigned long rotation_seed)
{
  cr_assert_eq(adeis_backend_init(&e->be, bits), ADEIS_OK);
  mpfr_prec_t sp = adeis_backend_scalar_prec(&e->be);
  gaussian_model(e, cond, rotation_seed);
  adeis_schedule_init(&e->sched, &adeis_schedule_vp_linear, sp);
  adeis_tpoint_init(&e->tT, sp);
  adeis_tpoint_init(&e->t0, sp);
  adeis_schedule_point_t(&e->sched, &e->tT, e->sched.T);
  adeis_schedule_point_t(&e->sched, &e->t0, e->sched.t_end);
  loss_gradient(e);
  size_t dz = e->model.cond_dim;
  for (int q = 0; q < 3; q++)
    e->ode[q] = adeis_vec_alloc(&e->be, q == 1 ? dz : 3);
  for (int q = 0; q < 2; q++)
    e->sde[q] = adeis_vec_alloc(&e->be, q == 1 ? dz : 3);
  cr_assert_eq(adeis_gaussian_exact_ode_grad(&e->model, &e->t0, &e->tT, e->x_T, e->G, e->ode[0],
                                             e->ode[1], e->ode[2]),
               ADEIS_OK);
  cr_assert_eq(adeis_gaussian_exact_sde_grad(&e->model, &e->t0, &e->tT, e->G, e->sde[0], e->sde[1]),
               ADEIS_OK);
  adeis_states_oracle(&e->oracle, &e->model, NULL, e->x_T, &e->tT);
}

static void example_init(example *e, long bits)
{
  example_init_with(e, bits, 0, 0);
}

static void example_clear(example *e)
{
  adeis_states_clear(&e->oracle);
  for (int q = 0; q < 3; q++)
    adeis_vec_free(e->ode[q]);
  for (int q = 0; q < 2; q++)
    adeis_vec_free(e->sde[q]);
  adeis_vec_free(e->x_T);
  adeis_vec_free(e->x0);
  adeis_vec_free(e->G);
  adeis_tpoint_clear(&e->tT);
  adeis_tpoint_clear(&e->t0);
  adeis_schedule_clear(&e->sched);
  adeis_gaussian_clear(&e->model);
}

/* ---- one adjoint solve ---- */

typedef struct run {
  adeis_grid grid;
  adeis_adjoint_problem p;
} run;

/* a_x(t_end) = G, a_z = a_theta = 0, x = x(t_end) (used by backsolve) */
static void run_init(run *r, example *e, size_t n, unsigned c, adeis_state_mode mode,
                     const adeis_states *states)
{
  cr_assert_eq(adeis_grid_init(&r->grid, ADEIS_GRID_UNIFORM_LAMBDA, &e->sched, n), ADEIS_OK);
  memset(&r->p, 0, sizeof r->p);
  r->p.model = &e->model;
  r->p.sched = &e->sched;
  r->p.grid = &r->grid;
  r->p.c = c;
  r->p.state = mode;
  r->p.states = states ? states : &e->oracle;
  r->p.tol = 1e-10;
  r->p.a_x = adeis_vec_alloc(&e->be, 3);
  r->p.a_z = adeis_vec_alloc(&e->be, e->model.cond_dim);
  r->p.a_theta = adeis_vec_alloc(&e->be, 3);
  r->p.x = adeis_vec_alloc(&e->be, 3);
  adeis_vec_copy(r->p.a_x, e->G);
  adeis_vec_set_zero(r->p.a_z);
  adeis_vec_set_zero(r->p.a_theta);
  adeis_vec_copy(r->p.x, e->x0);
}

static void run_clear(run *r)
{
  adeis_vec_free(r->p.a_x);
  adeis_vec_free(r->p.a_z);
  adeis_vec_free(r->p.a_theta);
  adeis_vec_free(r->p.x);
  adeis_grid_clear(&r->grid);
}

static int run_solve(run *r, const char *method)
{
  const adeis_method *m = adeis_method_lookup(method);
  cr_assert_not_null(m, "method %s is not registered", method);
  return m->solve(m, &r->p);
}

static double rel_error(const example *e, const adeis_vec *x, const adeis_vec *ref)
{
  mpfr_t d;
  mpfr_init2(d, adeis_backend_scalar_prec(&e->be));
  adeis_vec_rel_dist(d, x, ref);
  double v = mpfr_get_d(d, RND);
  mpfr_clear(d);
  return v;
}

/* relative errors of every quantity after a solve with n steps */
static void solve_errors(example *e, const char *method, size_t n, unsigned c,
                         adeis_state_mode mode, double err[Q_COUNT])
{
  run r;
  run_init(&r, e, n, c, mode, NULL);
  int rc = run_solve(&r, method);
  cr_assert_eq(rc, ADEIS_OK, "%s N=%zu: %s", method, n, adeis_errmsg());
  const adeis_vec *out[3] = {r.p.a_x, r.p.a_z, r.p.a_theta};
  for (int q = 0; q < 3; q++)
    err[q] = rel_error(e, out[q], c == 1 ? e->ode[q] : q < 2 ? e->sde[q] : e->ode[q]);
  err[Q_BACKSOLVED_X_T] = rel_error(e, r.p.x, e->x_T);
  run_clear(&r);
}

/* ---- fitted orders ---- */

/* least-squares slope of -log e on log N */
static double fitted_order(const size_t *ns, const double *errs, size_t k)
{
  double x[8], y[8], c0, c1, cov00, cov01, cov11, sumsq;
  for (size_t i = 0; i < k; i++) {
    x[i] = log((double)ns[i]);
    y[i] = log(errs[i]);
  }
  gsl_fit_linear(x, 1, y, 1, k, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
  return -c1;
}

#define QBIT(q) (1u << (q))
#define GRADS (QBIT(Q_X) | QBIT(Q_Z) | QBIT(Q_THETA))

/* Solve with N = n0, 2 n0, ..., 2^(k-1) n0 and check the fitted order of every quantity in
 * `which`. The errors stay far above the 256-bit floor (about 1e3 * 2^-256). */
static void check_order_on(example *e, const char *method, unsigned c, adeis_state_mode mode,
                           size_t n0, size_t k, unsigned which, double order)
{
  size_t ns[8];
  double err[8][Q_COUNT];
  for (size_t i = 0; i < k; i++) {
    ns[i] = n0 << i;
    solve_errors(e, method, ns[i], c, mode, err[i]);
  }
  for (int q = 0; q < Q_COUNT; q++) {
    if (!(which & QBIT(q)))
      continue;
    double eq[8];
    for (size_t i = 0; i < k; i++) {
      eq[i] = err[i][q];
      cr_assert(eq[i] > 1e-60 && eq[i] < 1, "%s %s N=%zu: error %g", method, q_names[q], ns[i],
                eq[i]);
      note("%s c=%u %s %s N=%zu: %.4e\n", method, c, adeis_state_name(mode), q_names[q], ns[i],
           eq[i]);
    }
    double p = fitted_order(ns, eq, k);
    note("%s c=%u %s %s: fitted order %.4f over N=%zu..%zu\n", method, c,
         adeis_state_name(mode), q_names[q], p, ns[0], ns[k - 1]);
    cr_assert(fabs(p - order) < ORDER_TOL, "%s (c=%u, %s) %s: fitted order %.4f, expected %g",
              method, c, adeis_state_name(mode), q_names[q], p, order);
  }
}

static void check_order(const char *method, unsigned c, adeis_state_mode mode, size_t n0,
                        size_t k, unsigned which, double order)
{
  example e;
  example_init(&e, 256);
  check_order_on(&e, method, c, mode, n0, k, which, order);
  example_clear(&e);
}

/* ---- the example itself against docs/math.md section 11 (an independent check of the fixture) ---- */

Test(rk, worked_example_exact_gradients)
{
  static const char *const gx[] = {"0.067991326192542021852", "-1.4933734400161680065",
                                   "1.371956857198929974"};
  static const char *const gmu[] = {"0.33903649020189920614", "-1.4834775113376393397",
                                    "2.7342501330920999634"};
  example e;
  example_init(&e, 256);
  adeis_vec *rx = vec_from_text(&e.be, gx), *rmu = vec_from_text(&e.be, gmu);
  cr_assert_lt(rel_error(&e, e.ode[0], rx), 1e-18);
  cr_assert_lt(rel_error(&e, e.ode[1], rmu), 1e-18);
  adeis_vec_free(rx);
  adeis_vec_free(rmu);
  example_clear(&e);
}

/* ---- registry entries ---- */

static void check_entry(const char *name, unsigned order, const char *forward, int in_lambda,
                        size_t n_nodes)
{
  const adeis_method *m = adeis_method_lookup(name);
  cr_assert_not_null(m, "%s", name);
  cr_assert_str_eq(m->name, name);
  cr_assert_eq(m->order, order, "%s", name);
  cr_assert_eq(m->family, ADEIS_FAMILY_RK, "%s", name);
  cr_assert_str_eq(m->forward, forward);
  cr_assert_eq(m->in_lambda, in_lambda, "%s", name);
  cr_assert_eq(m->n_nodes, n_nodes, "%s", name);
  cr_assert_eq(m->nodes[0].num, 0, "%s: node 0 first", name);
  for (size_t j = 1; j < m->n_nodes; j++) /* distinct and increasing, within [0, 1] */
    cr_assert(m->nodes[j - 1].num * m->nodes[j].den < m->nodes[j].num * m->nodes[j - 1].den &&
                m->nodes[j].num <= m->nodes[j].den,
              "%s: node %zu", name, j);
  cr_assert_not_null(m->summary);
  cr_assert_not_null(m->data);
}

Test(rk, registry_entries)
{
  static const struct {
    const char *base;
    unsigned order;
    const char *forward;
    size_t n_nodes;
  } rk[] = {{"euler", 1, "dpm-1", 1}, {"heun", 2, "dpm-2m", 2}, {"rk3", 3, "dpm-2m", 3},
            {"rk4", 4, "dpm-2m", 3},  {"dopri5", 5, "dpm-2m", 6}};
  char name[32];
  for (size_t i = 0; i < sizeof rk / sizeof *rk; i++)
    for (int lam = 0; lam < 2; lam++) {
      snprintf(name, sizeof name, "%s-%s", rk[i].base, lam ? "lambda" : "t");
      check_entry(name, rk[i].order, rk[i].forward, lam, rk[i].n_nodes);
    }
  const adeis_method *a = adeis_method_lookup("gsl-rkf45"), *b = adeis_method_lookup("gsl-rk8pd");
  cr_assert(a && b);
  cr_assert_eq(a->family, ADEIS_FAMILY_ADAPTIVE);
  cr_assert_eq(b->family, ADEIS_FAMILY_ADAPTIVE);
  cr_assert_eq(a->order, 4);
  cr_assert_eq(b->order, 8);
  cr_assert_eq(a->n_nodes + b->n_nodes, 0);
}

/* ---- orders in oracle mode (ranges chosen from the pairwise orders, see the commit log) ---- */

Test(rk, order_euler) { check_order("euler-t", 1, ADEIS_STATE_ORACLE, 256, 3, GRADS, 1); }
Test(rk, order_euler_lambda) { check_order("euler-lambda", 1, ADEIS_STATE_ORACLE, 256, 3, GRADS, 1); }
Test(rk, order_heun) { check_order("heun-t", 1, ADEIS_STATE_ORACLE, 512, 3, GRADS, 2); }
/* heun-lambda's theta error is pre-asymptotic below N = 512 (pairwise 1.49, 1.80 from N = 128) */
Test(rk, order_heun_lambda) { check_order("heun-lambda", 1, ADEIS_STATE_ORACLE, 512, 3, GRADS, 2); }
Test(rk, order_rk3) { check_order("rk3-t", 1, ADEIS_STATE_ORACLE, 256, 3, GRADS, 3); }
Test(rk, order_rk3_lambda) { check_order("rk3-lambda", 1, ADEIS_STATE_ORACLE, 256, 3, GRADS, 3); }
Test(rk, order_rk4) { check_order("rk4-t", 1, ADEIS_STATE_ORACLE, 256, 4, GRADS, 4); }
Test(rk, order_rk4_lambda) { check_order("rk4-lambda", 1, ADEIS_STATE_ORACLE, 256, 4, GRADS, 4); }
Test(rk, order_dopri5) { check_order("dopri5-t", 1, ADEIS_STATE_ORACLE, 256, 3, GRADS, 5); }
/* dopri5-lambda reaches its order late: pairwise 4.58, 4.83, 4.93, 4.96 from N = 256 */
Test(rk, order_dopri5_lambda, .timeout = 60)
{
  check_order("dopri5-lambda", 1, ADEIS_STATE_ORACLE, 1024, 3, GRADS, 5);
}

/* ---- reverse SDE (c = 2): the Gaussian a_x and a_z do not depend on the path ---- */

Test(rk, order_sde)
{
  check_order("euler-lambda", 2, ADEIS_STATE_ORACLE, 256, 3, QBIT(Q_X) | QBIT(Q_Z), 1);
  check_order("rk4-t", 2, ADEIS_STATE_ORACLE, 256, 3, QBIT(Q_X) | QBIT(Q_Z), 4);
  check_order("rk4-lambda", 2, ADEIS_STATE_ORACLE, 256, 3, QBIT(Q_X) | QBIT(Q_Z), 4);
}

/* ---- backsolve: x_T reconstructed at the method's order, gradients too ---- */

Test(rk, backsolve_orders)
{
  unsigned all = GRADS | QBIT(Q_BACKSOLVED_X_T);
  check_order("euler-t", 1, ADEIS_STATE_BACKSOLVE, 256, 3, all, 1);
  check_order("heun-lambda", 1, ADEIS_STATE_BACKSOLVE, 256, 3, all, 2);
  check_order("rk3-t", 1, ADEIS_STATE_BACKSOLVE, 256, 3, all, 3);
  check_order("rk4-lambda", 1, ADEIS_STATE_BACKSOLVE, 256, 3, all, 4);
  check_order("dopri5-t", 1, ADEIS_STATE_BACKSOLVE, 256, 3, all, 5);
}

/* a rotated basis (Householder product) and a 3x2 conditioning matrix: a_z has 2 components */
Test(rk, order_rotated_conditioned)
{
  example e;
  example_init_with(&e, 256, 1, 7);
  cr_assert_eq(e.model.cond_dim, 2);
  unsigned all = GRADS | QBIT(Q_BACKSOLVED_X_T);
  check_order_on(&e, "rk4-lambda", 1, ADEIS_STATE_BACKSOLVE, 256, 3, all, 4);
  check_order_on(&e, "dopri5-t", 1, ADEIS_STATE_ORACLE, 256, 3, GRADS, 5);
  check_order_on(&e, "rk4-t", 2, ADEIS_STATE_ORACLE, 256, 3, QBIT(Q_X) | QBIT(Q_Z), 4);
  example_clear(&e);
}

Test(rk, backsolve_rejects_sde)
{
  adeis_backend be;
  adeis_backend_init(&be, 128);
  cr_assert_eq(adeis_method_check(adeis_method_lookup("rk4-t"), &be, 1, ADEIS_STATE_BACKSOLVE),
               ADEIS_EINPUT);
  cr_assert_not_null(strstr(adeis_errmsg(), "--state"), "%s", adeis_errmsg());
  cr_assert_eq(adeis_method_check(adeis_method_lookup("rk4-t"), &be, 1, ADEIS_STATE_CACHED), 0);
  cr_assert_eq(adeis_method_check(adeis_method_lookup("rk4-t"), &be, 0, ADEIS_STATE_BACKSOLVE), 0);
}

/* ---- cached states: a cache holding exactly the oracle states at the method's nodes
 * gives bit for bit the oracle answer; without the interior nodes the lookup fails ---- */

static int tpoint_later_first(const void *a, const void *b)
{
  return -mpfr_cmp(((const adeis_tpoint *)a)->t, ((const adeis_tpoint *)b)->t);
}

static void fill_cache(example *e, adeis_cache *cache, const adeis_grid *g, const adeis_method *m,
                       int interior)
{
  mpfr_prec_t sp = e->sched.prec;
  size_t cap = g->n * m->n_nodes + 1, k = 0;
  adeis_tpoint *pts = malloc(cap * sizeof *pts);
  for (size_t i = 0; i < g->n; i++) /* adjoint step from pts[i+1] to pts[i] */
    for (size_t j = 0; j < m->n_nodes; j++) {
      adeis_node c = m->nodes[j];
      if (c.num == c.den || (!interior && c.num != 0))
        continue;
      adeis_tpoint_init(&pts[k], sp);
      adeis_stage_point(&e->sched, &pts[k++], &g->pts[i + 1], &g->pts[i], c, m->in_lambda);
    }
  adeis_tpoint_init(&pts[k], sp);
  adeis_tpoint_copy(&pts[k++], &g->pts[0]);
  qsort(pts, k, sizeof *pts, tpoint_later_first);
  adeis_vec *x = adeis_vec_alloc(&e->be, 3);
  for (size_t i = 0; i < k; i++) {
    cr_assert_eq(e->oracle.at(&e->oracle, x, &pts[i]), ADEIS_OK);
    cr_assert_eq(adeis_cache_push(cache, &pts[i], x), ADEIS_OK);
    adeis_tpoint_clear(&pts[i]);
  }
  adeis_vec_free(x);
  free(pts);
}

static void check_cached(example *e, const char *method)
{
  const adeis_method *m = adeis_method_lookup(method);
  run ro, rc, rmiss;
  run_init(&ro, e, 16, 1, ADEIS_STATE_ORACLE, NULL);
  cr_assert_eq(run_solve(&ro, method), ADEIS_OK);
  adeis_cache cache, sparse;
  adeis_cache_init(&cache, e->sched.prec);
  adeis_cache_init(&sparse, e->sched.prec);
  fill_cache(e, &cache, &ro.grid, m, 1);
  fill_cache(e, &sparse, &ro.grid, m, 0);
  adeis_states st, st_sparse;
  adeis_states_cached(&st, &cache);
  adeis_states_cached(&st_sparse, &sparse);
  run_init(&rc, e, 16, 1, ADEIS_STATE_CACHED, &st);
  cr_assert_eq(run_solve(&rc, method), ADEIS_OK, "%s: %s", method, adeis_errmsg());
  cr_assert_eq(rel_error(e, rc.p.a_x, ro.p.a_x), 0.0, "%s", method);
  cr_assert_eq(rel_error(e, rc.p.a_z, ro.p.a_z), 0.0, "%s", method);
  cr_assert_eq(rel_error(e, rc.p.a_theta, ro.p.a_theta), 0.0, "%s", method);
  cr_assert_eq(rc.p.counts.nfe, ro.p.counts.nfe);
  if (m->n_nodes > 2) {
    run_init(&rmiss, e, 16, 1, ADEIS_STATE_CACHED, &st_sparse);
    cr_assert_eq(run_solve(&rmiss, method), ADEIS_EINPUT, "%s", method);
    run_clear(&rmiss);
  }
  adeis_states_clear(&st);
  adeis_states_clear(&st_sparse);
  adeis_cache_clear(&cache);
  adeis_cache_clear(&sparse);
  run_clear(&ro);
  run_clear(&rc);
}

Test(rk, cached_states_at_nodes)
{
  example e;
  example_init(&e, 256);
  static const char *const ms[] = {"euler-t", "heun-lambda", "rk3-t", "rk4-lambda", "dopri5-t",
                                   "dopri5-lambda"};
  for (size_t i = 0; i < sizeof ms / sizeof *ms; i++)
    check_cached(&e, ms[i]);
  example_clear(&e);
}

/* ---- counts: one model evaluation and one VJP per stage ---- */

Test(rk, counts_per_stage)
{
  static const struct {
    const char *name;
    unsigned stages;
  } ms[] = {{"euler-t", 1}, {"heun-t", 2}, {"rk3-lambda", 3}, {"rk4-t", 4}, {"dopri5-lambda", 6}};
  example e;
  example_init(&e, 128);
  for (size_t i = 0; i < sizeof ms / sizeof *ms; i++)
    for (int mode = ADEIS_STATE_ORACLE; mode <= ADEIS_STATE_BACKSOLVE; mode += 2) {
      run r;
      run_init(&r, &e, 10, 1, (adeis_state_mode)mode, NULL);
      cr_assert_eq(run_solve(&r, ms[i].name), ADEIS_OK);
      cr_assert_eq(r.p.counts.nfe, 10ul * ms[i].stages, "%s", ms[i].name);
      cr_assert_eq(r.p.counts.nvjp, 10ul * ms[i].stages, "%s", ms[i].name);
      run_clear(&r);
    }
  example_clear(&e);
}

/* ---- failures ---- */

Test(rk, non_finite_adjoint_is_reported)
{
  example e;
  example_init(&e, 53);
  run r;
  run_init(&r, &e, 8, 1, ADEIS_STATE_ORACLE, NULL);
  adeis_vec_set_d(r.p.a_x, 1, NAN);
  cr_assert_eq(run_solve(&r, "rk4-lambda"), ADEIS_ENUMERIC);
  cr_assert_eq(r.p.fail_step, 0);
  cr_assert_not_null(strstr(adeis_errmsg(), "a_x"));
  run_clear(&r);
  example_clear(&e);
}

/* ---- the double-precision runs: RK in double agrees, GSL adaptive to its tolerance ---- */

Test(rk, rk4_in_double)
{
  example e;
  example_init(&e, 53);
  double err[Q_COUNT];
  solve_errors(&e, "rk4-lambda", 2048, 1, ADEIS_STATE_ORACLE, err);
  cr_assert_lt(err[Q_X], 1e-12);
  cr_assert_lt(err[Q_Z], 1e-12);
  example_clear(&e);
}

Test(rk, gsl_adaptive_in_double)
{
  example e;
  example_init(&e, 53);
  static const char *const ms[] = {"gsl-rkf45", "gsl-rk8pd"};
  for (size_t i = 0; i < 2; i++) {
    double err[Q_COUNT];
    solve_errors(&e, ms[i], 1, 1, ADEIS_STATE_ORACLE, err);
    note("%s oracle: x_T %.3e z %.3e theta %.3e\n", ms[i], err[Q_X], err[Q_Z], err[Q_THETA]);
    cr_assert_lt(err[Q_X], 1e-8, "%s", ms[i]);
    cr_assert_lt(err[Q_Z], 1e-8, "%s", ms[i]);
    cr_assert_lt(err[Q_THETA], 1e-8, "%s", ms[i]);
    solve_errors(&e, ms[i], 1, 1, ADEIS_STATE_BACKSOLVE, err);
    note("%s backsolve: x_T %.3e, x_T reconstructed %.3e\n", ms[i], err[Q_X],
         err[Q_BACKSOLVED_X_T]);
    cr_assert_lt(err[Q_X], 1e-8, "%s", ms[i]);
    cr_assert_lt(err[Q_BACKSOLVED_X_T], 1e-8, "%s", ms[i]);
    solve_errors(&e, ms[i], 1, 2, ADEIS_STATE_ORACLE, err);
    note("%s SDE: x_T %.3e z %.3e\n", ms[i], err[Q_X], err[Q_Z]);
    cr_assert_lt(err[Q_X], 1e-7, "%s", ms[i]);
    cr_assert_lt(err[Q_Z], 1e-7, "%s", ms[i]);
  }
  example_clear(&e);
}

Test(rk, gsl_adaptive_counts_evaluations)
{
  example e;
  example_init(&e, 53);
  run r;
  run_init(&r, &e, 4, 1, ADEIS_STATE_ORACLE, NULL);
  cr_assert_eq(run_solve(&r, "gsl-rkf45"), ADEIS_OK);
  cr_assert_gt(r.p.counts.nfe, 6); /* at least one six-stage step */
  cr_assert_eq(r.p.counts.nfe, r.p.counts.nvjp);
  run_clear(&r);
  example_clear(&e);
}

Test(rk, gsl_adaptive_rejects_multiprecision)
{
  example e;
  example_init(&e, 256);
  static const char *const ms[] = {"gsl-rkf45", "gsl-rk8pd"};
  for (size_t i = 0; i < 2; i++) {
    const adeis_method *m = adeis_method_lookup(ms[i]);
    cr_assert_eq(adeis_method_check(m, e.model.be, 0, ADEIS_STATE_ORACLE), ADEIS_EINPUT);
    cr_assert_not_null(strstr(adeis_errmsg(), "double backend only"), "%s", adeis_errmsg());
    cr_assert_eq(adeis_method_check(m, e.model.be, 0, ADEIS_STATE_CACHED), ADEIS_EINPUT);
  }
  example_clear(&e);
}

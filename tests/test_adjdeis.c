/* AdjointDEIS solvers, forward samplers and the gradient driver against exact answers:
 * docs/math.md section 11 numbers, fitted global orders at 256 bits, double vs MPFR,
 * cached vs oracle, backsolve, counts, bad requests, numerical failure. */
#include "../core/status.h"
#include "../solvers/forward.h"
#include "fixture.h"

#include <criterion/criterion.h>
#include <gsl/gsl_fit.h>
#include <math.h>
#include <string.h>

#define RND MPFR_RNDN

typedef struct run_out {
  double err[ADEIS_Q_COUNT];
  double grad[ADEIS_Q_COUNT][3];
  double xT_back_err;  /* backsolve: |x_T reconstructed - x_T| / |x_T| */
  unsigned long nfe, nvjp;
} run_out;

static int run(const char *method, size_t n, long prec, adeis_state_mode state, int sde, int cond,
               run_out *out)
{
  adeis_problem pb;
  fixture_worked(&pb, prec, cond ? 3 : 0, cond);
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = method;
  rq.steps = n;
  rq.precision = prec;
  rq.state = state;
  rq.sde = sde;
  adeis_grad_result res;
  int rc = adeis_grad_compute(&pb, &rq, &res);
  if (!rc) {
    for (int q = 0; q < ADEIS_Q_COUNT; q++) {
      out->err[q] = mpfr_get_d(res.rel_error[q], RND);
      for (size_t i = 0; i < res.grad[q]->n && i < 3; i++)
        out->grad[q][i] = adeis_vec_get_d(res.grad[q], i);
    }
    out->nfe = res.nfe;
    out->nvjp = res.nvjp;
    out->xT_back_err = NAN;
    if (res.x_T_backsolved) {
      mpfr_t d;
      mpfr_init2(d, 64);
      adeis_vec_rel_dist(d, res.x_T_backsolved, pb.x_T);
      out->xT_back_err = mpfr_get_d(d, RND);
      mpfr_clear(d);
    }
  }
  adeis_grad_result_clear(&res);
  fixture_clear(&pb);
  return rc;
}

/* least-squares order over the points, and every consecutive pairwise order */
static double fitted_order(const size_t *ns, const double *e, size_t k, double *pair_min,
                           double *pair_max)
{
  double x[16], y[16], c0, c1, v00, v01, v11, ss;
  *pair_min = INFINITY;
  *pair_max = -INFINITY;
  for (size_t i = 0; i < k; i++) {
    x[i] = log((double)ns[i]);
    y[i] = log(e[i]);
    if (i > 0) {
      double p = (y[i - 1] - y[i]) / (x[i] - x[i - 1]);
      *pair_min = fmin(*pair_min, p);
      *pair_max = fmax(*pair_max, p);
    }
  }
  gsl_fit_linear(x, 1, y, 1, k, &c0, &c1, &v00, &v01, &v11, &ss);
  return -c1;
}

/* Fitted and pairwise orders of every requested quantity within tol of theory. */
static void assert_orders(const char *method, unsigned order, const size_t *ns, size_t k, int sde,
                          adeis_state_mode state, int nq)
{
  double e[ADEIS_Q_COUNT][16];
  for (size_t i = 0; i < k; i++) {
    run_out o;
    cr_assert_eq(run(method, ns[i], 256, sde ? ADEIS_STATE_CACHED : state, sde, 0, &o), 0,
                 "%s N=%zu: %s", method, ns[i],
                 adeis_errmsg());
    for (int q = 0; q < nq; q++)
      e[q][i] = o.err[q];
  }
  for (int q = 0; q < nq; q++) {
    double lo, hi, p = fitted_order(ns, e[q], k, &lo, &hi);
    cr_expect(fabs(p - order) <= 0.1 && fabs(lo - order) <= 0.1 && fabs(hi - order) <= 0.1,
              "%s %s %s: fitted %.4f, pairwise %.4f..%.4f over N=%zu..%zu, theory %u", method,
              sde ? "SDE" : "ODE", adeis_quantity_names[q], p, lo, hi, ns[0], ns[k - 1], order);
  }
}

static double rel(double got, double want) { return fabs(got - want) / fabs(want); }

Test(worked_example, exact_values_match_math_md)
{
  /* docs/math.md section 11, exact ODE dL/dx_T and dL/dmu (= dL/dz with W = I) */
  static const char *gx[] = {"0.067991326192542021852", "-1.4933734400161680065",
                             "1.371956857198929974"};
  static const char *gmu[] = {"0.33903649020189920614", "-1.4834775113376393397",
                              "2.7342501330920999634"};
  adeis_problem pb;
  fixture_worked(&pb, 256, 0, 0);
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = "adjdeis-1";
  rq.steps = 1;
  adeis_grad_result res;
  cr_assert_eq(adeis_grad_compute(&pb, &rq, &res), 0);
  mpfr_t got, want;
  mpfr_inits2(256, got, want, (mpfr_ptr)0);
  for (size_t i = 0; i < 3; i++) {
    const char *const *vals[2] = {gx, gmu};
    const adeis_vec *ex[2] = {res.exact[ADEIS_Q_X_T], res.exact[ADEIS_Q_Z]};
    for (int k = 0; k < 2; k++) {
      adeis_vec_get(got, ex[k], i);
      mpfr_set_str(want, vals[k][i], 10, RND);
      mpfr_sub(got, got, want, RND);
      mpfr_div(got, got, want, RND);
      /* the printed values carry 20 significant digits */
      cr_expect(fabs(mpfr_get_d(got, RND)) < 1e-19, "component %zu of %s: rel diff %.3e", i,
                k ? "dL/dmu" : "dL/dx_T", mpfr_get_d(got, RND));
    }
  }
  mpfr_clears(got, want, (mpfr_ptr)0);
  adeis_grad_result_clear(&res);
  fixture_clear(&pb);
}

Test(worked_example, exact_values_stable_to_30_digits)
{
  /* the exact gradients at 256 and 512 bits agree to far beyond 30 digits */
  adeis_problem a, b;
  fixture_worked(&a, 256, 0, 1);
  fixture_worked(&b, 512, 0, 1);
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = "adjdeis-1";
  rq.steps = 1;
  adeis_grad_result ra, rb;
  cr_assert_eq(adeis_grad_compute(&a, &rq, &ra), 0);
  rq.precision = 512;
  cr_assert_eq(adeis_grad_compute(&b, &rq, &rb), 0);
  mpfr_t d;
  mpfr_init2(d, 64);
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    adeis_vec_rel_dist(d, ra.exact[q], rb.exact[q]);
    cr_expect(mpfr_cmp_d(d, 1e-30) < 0, "%s: %.3e", adeis_quantity_names[q], mpfr_get_d(d, RND));
  }
  mpfr_clear(d);
  adeis_grad_result_clear(&ra);
  adeis_grad_result_clear(&rb);
  fixture_clear(&a);
  fixture_clear(&b);
}

Test(worked_example, n64_rows_to_14_digits)
{
  static const double a1[] = {0.0242363980899237, -0.707336227152799, 0.574974394220439};
  static const double a2[] = {0.0833999376151573, -1.71924211530062, 1.62318685589127};
  run_out o;
  cr_assert_eq(run("adjdeis-1", 64, 256, ADEIS_STATE_ORACLE, 0, 0, &o), 0);
  for (int i = 0; i < 3; i++)
    cr_expect(rel(o.grad[ADEIS_Q_X_T][i], a1[i]) < 1e-14, "adjdeis-1 [%d] %.17g", i,
              o.grad[ADEIS_Q_X_T][i]);
  cr_assert_eq(run("adjdeis-2m", 64, 256, ADEIS_STATE_ORACLE, 0, 0, &o), 0);
  for (int i = 0; i < 3; i++)
    cr_expect(rel(o.grad[ADEIS_Q_X_T][i], a2[i]) < 1e-14, "adjdeis-2m [%d] %.17g", i,
              o.grad[ADEIS_Q_X_T][i]);
}

/* Pairwise orders (docs/math.md section 11 example, 256 bits) are within 0.1 of theory from these N on:
 * adjdeis-1 reaches 0.96, 0.98, 0.99, 0.995 for N = 256..4096 (x_T), the second-order
 * methods 2.04, 2.02, 2.01 from N = 256. */
static const size_t N_FIRST[] = {512, 1024, 2048, 4096};
static const size_t N_SECOND[] = {256, 512, 1024, 2048};

Test(orders, adjdeis_1_ode, .timeout = 60) { assert_orders("adjdeis-1", 1, N_FIRST, 4, 0, ADEIS_STATE_ORACLE, 3); }
Test(orders, adjdeis_2m_ode, .timeout = 60) { assert_orders("adjdeis-2m", 2, N_SECOND, 4, 0, ADEIS_STATE_ORACLE, 3); }
Test(orders, adjdeis_2m_phi_ode, .timeout = 60) { assert_orders("adjdeis-2m-phi", 2, N_SECOND, 4, 0, ADEIS_STATE_ORACLE, 3); }
Test(orders, adjdeis_2s_ode, .timeout = 60) { assert_orders("adjdeis-2s", 2, N_SECOND, 4, 0, ADEIS_STATE_ORACLE, 3); }

/* SDE (c = 2): x_T and z (theta has no closed form along a Brownian path). adjdeis-1's
 * pairwise orders are 0.86, 0.93, 0.97, 0.98, 0.99 for N = 256..8192: asymptotic from 1024. */
static const size_t N_SDE_FIRST[] = {1024, 2048, 4096, 8192};
Test(orders, adjdeis_1_sde, .timeout = 120) { assert_orders("adjdeis-1", 1, N_SDE_FIRST, 4, 1, ADEIS_STATE_ORACLE, 2); }
Test(orders, adjdeis_2m_sde, .timeout = 60) { assert_orders("adjdeis-2m", 2, N_SECOND, 4, 1, ADEIS_STATE_ORACLE, 2); }
Test(orders, adjdeis_2m_phi_sde, .timeout = 60) { assert_orders("adjdeis-2m-phi", 2, N_SECOND, 4, 1, ADEIS_STATE_ORACLE, 2); }
Test(orders, adjdeis_2s_sde, .timeout = 60) { assert_orders("adjdeis-2s", 2, N_SECOND, 4, 1, ADEIS_STATE_ORACLE, 2); }

Test(orders, rotated_conditioned_second_order, .timeout = 60)
{
  /* a full covariance (rotation seed 3) and a 3x2 conditioning matrix */
  double e[2][ADEIS_Q_COUNT];
  size_t ns[2] = {512, 1024};
  for (int i = 0; i < 2; i++) {
    run_out o;
    cr_assert_eq(run("adjdeis-2m", ns[i], 256, ADEIS_STATE_ORACLE, 0, 1, &o), 0);
    memcpy(e[i], o.err, sizeof o.err);
  }
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    double p = log2(e[0][q] / e[1][q]);
    cr_expect(fabs(p - 2) < 0.1, "%s: order %.3f", adeis_quantity_names[q], p);
  }
}

Test(backends, double_agrees_with_mpfr)
{
  /* errors here are far above the double floor; the two backends agree to 1e-12 */
  const char *methods[] = {"adjdeis-1", "adjdeis-2m", "adjdeis-2m-phi", "adjdeis-2s"};
  for (int m = 0; m < 4; m++)
    for (int sde = 0; sde < 2; sde++) {
      run_out a, b;
      adeis_state_mode st = sde ? ADEIS_STATE_CACHED : ADEIS_STATE_ORACLE;
      cr_assert_eq(run(methods[m], 1024, 53, st, sde, 1, &a), 0);
      cr_assert_eq(run(methods[m], 1024, 256, st, sde, 1, &b), 0);
      for (int q = 0; q < ADEIS_Q_COUNT; q++)
        for (int i = 0; i < (q == ADEIS_Q_Z ? 2 : 3); i++)
          cr_expect(rel(a.grad[q][i], b.grad[q][i]) < 1e-12, "%s sde=%d %s[%d]: %.17g vs %.17g",
                    methods[m], sde, adeis_quantity_names[q], i, a.grad[q][i], b.grad[q][i]);
    }
}

static double vec_rel(const double *a, const double *b, int n)
{
  double d = 0, s = 0;
  for (int i = 0; i < n; i++) {
    d += (a[i] - b[i]) * (a[i] - b[i]);
    s += b[i] * b[i];
  }
  return sqrt(d / s);
}

Test(state_modes, cached_tends_to_oracle, .timeout = 60)
{
  /* |g_cached - g_oracle| / |g_oracle| falls at the forward sampler's order */
  const char *methods[] = {"adjdeis-1", "adjdeis-2m", "adjdeis-2s"};
  const unsigned order[] = {1, 2, 2};
  for (int m = 0; m < 3; m++) {
    double d[2];
    for (int i = 0; i < 2; i++) {
      run_out oc, oo;
      size_t n = i ? 2048 : 1024;
      cr_assert_eq(run(methods[m], n, 256, ADEIS_STATE_CACHED, 0, 0, &oc), 0);
      cr_assert_eq(run(methods[m], n, 256, ADEIS_STATE_ORACLE, 0, 0, &oo), 0);
      d[i] = vec_rel(oc.grad[ADEIS_Q_THETA], oo.grad[ADEIS_Q_THETA], 3);
    }
    double p = log2(d[0] / d[1]);
    cr_expect(d[1] < 1e-3 && fabs(p - order[m]) < 0.15, "%s: diff %.3e -> %.3e, order %.3f",
              methods[m], d[0], d[1], p);
  }
}

/* x(t_end) from a forward sampler against the exact flow */
static double forward_error(const char *name, size_t n)
{
  adeis_problem pb;
  fixture_worked(&pb, 256, 0, 0);
  adeis_grid g;
  adeis_grid_init(&g, ADEIS_GRID_UNIFORM_LAMBDA, &pb.sched, n);
  adeis_vec *x = adeis_vec_alloc(&pb.be, 3), *ex = adeis_vec_alloc(&pb.be, 3);
  adeis_vec_copy(x, pb.x_T);
  adeis_counts c = {0, 0};
  cr_assert_eq(adeis_forward_run(adeis_forward_lookup(name), &pb.model, NULL, &pb.sched, g.pts, n, x,
                                 NULL, NULL, &c), 0);
  adeis_model_flow(&pb.model, NULL, ex, &g.pts[n], pb.x_T, &g.pts[0]);
  mpfr_t d;
  mpfr_init2(d, 64);
  adeis_vec_rel_dist(d, x, ex);
  double e = mpfr_get_d(d, RND);
  cr_expect_eq(c.nfe, strcmp(name, "dpm-2s") ? n : 2 * n);
  mpfr_clear(d);
  adeis_vec_free(x);
  adeis_vec_free(ex);
  adeis_grid_clear(&g);
  fixture_clear(&pb);
  return e;
}

Test(forward, samplers_reach_their_orders)
{
  const char *names[] = {"dpm-1", "dpm-2m", "dpm-2s"};
  const unsigned order[] = {1, 2, 2};
  for (int k = 0; k < 3; k++) {
    double e1 = forward_error(names[k], 512), e2 = forward_error(names[k], 1024);
    double p = log2(e1 / e2);
    cr_expect(fabs(p - order[k]) < 0.1, "%s: %.3e -> %.3e, order %.3f", names[k], e1, e2, p);
  }
}

Test(state_modes, backsolve_reproduces_x_T, .timeout = 60)
{
  /* The reconstructed x_T converges at least at the forward sampler's order, with an error of
   * the forward sampler's size: dpm-1 there and back gives 4.6e-3 against a one-way error of
   * 5.4e-4 at N = 1024 (the noise-ward flow expands differences); for dpm-2s the forward and
   * backward local errors cancel at leading order and the round trip is O(h^3). */
  const char *methods[] = {"adjdeis-1", "adjdeis-2m", "adjdeis-2s"};
  const char *fwd[] = {"dpm-1", "dpm-2m", "dpm-2s"};
  const unsigned order[] = {1, 2, 2};
  for (int m = 0; m < 3; m++) {
    run_out a, b;
    cr_assert_eq(run(methods[m], 512, 256, ADEIS_STATE_BACKSOLVE, 0, 0, &a), 0);
    cr_assert_eq(run(methods[m], 1024, 256, ADEIS_STATE_BACKSOLVE, 0, 0, &b), 0);
    double p = log2(a.xT_back_err / b.xT_back_err);
    double fe = forward_error(fwd[m], 1024);
    cr_expect(p > order[m] - 0.15, "%s: x_T error %.3e -> %.3e, order %.3f", methods[m],
              a.xT_back_err, b.xT_back_err, p);
    cr_expect(b.xT_back_err < 10 * fe, "%s: backsolved x_T error %.3e vs forward error %.3e",
              methods[m], b.xT_back_err, fe);
  }
}

Test(counts, model_and_vjp_calls)
{
  run_out o;
  cr_assert_eq(run("adjdeis-1", 10, 256, ADEIS_STATE_ORACLE, 0, 0, &o), 0);
  cr_expect(o.nfe == 10 && o.nvjp == 10, "adjdeis-1 oracle: %lu %lu", o.nfe, o.nvjp);
  cr_assert_eq(run("adjdeis-2s", 10, 256, ADEIS_STATE_ORACLE, 0, 0, &o), 0);
  cr_expect(o.nfe == 20 && o.nvjp == 20, "adjdeis-2s oracle: %lu %lu", o.nfe, o.nvjp);
  cr_assert_eq(run("adjdeis-2m", 10, 256, ADEIS_STATE_CACHED, 0, 0, &o), 0);
  cr_expect(o.nfe == 20 && o.nvjp == 10, "adjdeis-2m cached (dpm-2m + adjoint): %lu %lu", o.nfe,
            o.nvjp);
  cr_assert_eq(run("adjdeis-2s", 10, 256, ADEIS_STATE_CACHED, 0, 0, &o), 0);
  cr_expect(o.nfe == 40 && o.nvjp == 20, "adjdeis-2s cached: %lu %lu", o.nfe, o.nvjp);
  cr_assert_eq(run("adjdeis-2m", 10, 256, ADEIS_STATE_BACKSOLVE, 0, 0, &o), 0);
  cr_expect(o.nfe == 20 && o.nvjp == 10, "adjdeis-2m backsolve: %lu %lu", o.nfe, o.nvjp);
}

Test(requests, bad_requests_are_rejected)
{
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.steps = 10;
  rq.method = "adjdeis-7";
  cr_expect_eq(adeis_grad_check(&rq), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "--method") != NULL);
  rq.method = "adjdeis-2m";
  cr_expect_eq(adeis_grad_check(&rq), 0);
  rq.steps = 0;
  cr_expect_eq(adeis_grad_check(&rq), ADEIS_EINPUT);
  rq.steps = ADEIS_STEPS_MAX + 1;
  cr_expect_eq(adeis_grad_check(&rq), ADEIS_EINPUT);
  rq.steps = 10;
  rq.precision = 23;
  cr_expect_eq(adeis_grad_check(&rq), ADEIS_EINPUT);
  rq.precision = 65537;
  cr_expect_eq(adeis_grad_check(&rq), ADEIS_EINPUT);
  rq.precision = 256;
  rq.sde = 1;
  rq.state = ADEIS_STATE_BACKSOLVE;
  cr_expect_eq(adeis_grad_check(&rq), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "backsolve") != NULL);
}

Test(failures, overflow_reports_step_and_time)
{
  /* in double, x_T = 1.7e308 and target -1.7e308 overflow the loss gradient, hence the
   * adjoint; the run stops with the step and time */
  adeis_problem pb;
  fixture_worked(&pb, 53, 0, 0);
  for (size_t i = 0; i < 3; i++) {
    adeis_vec_set_d(pb.x_T, i, 1.7e308);
    adeis_vec_set_d(pb.target, i, -1.7e308);
  }
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = "adjdeis-2m";
  rq.steps = 50;
  rq.precision = 53;
  adeis_grad_result res;
  cr_expect_eq(adeis_grad_compute(&pb, &rq, &res), ADEIS_ENUMERIC, "%s", adeis_errmsg());
  cr_expect(strstr(adeis_errmsg(), "step") && strstr(adeis_errmsg(), "t = "), "%s",
            adeis_errmsg());
  adeis_grad_result_clear(&res);
  fixture_clear(&pb);
}

Test(requests, runs_beyond_the_memory_limit_are_refused_up_front)
{
  /* rk4-t with cached states, 10^7 steps, 4096 bits: about 92 GiB of states */
  adeis_problem pb;
  fixture_worked(&pb, 4096, 0, 0);
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = "rk4-t";
  rq.steps = ADEIS_STEPS_MAX;
  rq.precision = 4096;
  rq.state = ADEIS_STATE_CACHED;
  adeis_grad_result res;
  cr_expect_eq(adeis_grad_compute(&pb, &rq, &res), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "GiB") && strstr(adeis_errmsg(), "--steps"), "%s",
            adeis_errmsg());
  adeis_grad_result_clear(&res);
  fixture_clear(&pb);
  /* a rotation of dimension 10^5 would hold 10^10 values */
  const size_t d = 100000;
  adeis_backend be;
  adeis_backend_init(&be, 53);
  mpfr_t one;
  mpfr_init2(one, 53);
  mpfr_set_ui(one, 1, RND);
  mpfr_srcptr *v = malloc(d * sizeof *v);
  for (size_t i = 0; i < d; i++)
    v[i] = one;
  adeis_model m;
  cr_expect_eq(adeis_gaussian_init(&m, &be, d, 0, v, v, NULL, NULL, 3), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "rotation of dimension 100000") != NULL, "%s", adeis_errmsg());
  free(v);
  mpfr_clear(one);
}

/* Discrete adjoints (docs/math.md sections 13-14) against independent answers: central finite
 * differences of the sampler at 256 bits, the diagonal-Gaussian closed form of dpm-1, store-all
 * against checkpointing (bit for bit) and the reversible sweep against the same coupled sampler
 * with stored states, revolve's recomputation count against a brute-force optimum, memory
 * growth in N, and orders against the continuous exact gradient. */
#include "../core/status.h"
#include "../solvers/forward.h"
#include "../solvers/revolve.h"
#include "fixture.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#define RND MPFR_RNDN
#define PREC 256

static const char *const dto_methods[] = {"dto-dpm-1", "dto-dpm-2m", "dto-dpm-2s", "dto-rk4-lambda"};

/* The worked example with conditioning (z in R^2, theta = log s2 in R^3), one parameter moved:
 * which = 0: x_T[i] += d; 1: z[i] += d; 2: theta[i] += d (s2[i] *= exp(d)). */
static void build(adeis_problem *pb, int which, int i, mpfr_srcptr d)
{
  static const char *m[] = {"0.5", "-1", "2"}, *s2[] = {"0.04", "1", "0.25"};
  static const char *xt[] = {"0.7", "-0.4", "1.1"}, *tg[] = {"0.3", "0.1", "-0.2"};
  static const char *W[] = {"1", "0", "0", "1", "0.5", "0.5"}, *z[] = {"0.2", "-0.1"};
  memset(pb, 0, sizeof *pb);             /* loss NULL: quadratic */
  adeis_backend_init(&pb->be, PREC);
  mpfr_prec_t sp = adeis_backend_scalar_prec(&pb->be);
  adeis_schedule_init(&pb->sched, &adeis_schedule_vp_linear, sp);
  mpfr_t pm[3], ps[3], pw[6], pz[2], v;
  mpfr_srcptr cm[3], cs[3], cw[6], cz[2];
  mpfr_init2(v, sp);
  for (int k = 0; k < 3; k++) {
    mpfr_inits2(sp, pm[k], ps[k], (mpfr_ptr)0);
    mpfr_set_str(pm[k], m[k], 10, RND);
    mpfr_set_str(ps[k], s2[k], 10, RND);
    if (which == 2 && k == i) {
      mpfr_exp(v, d, RND);
      mpfr_mul(ps[k], ps[k], v, RND);
    }
    cm[k] = pm[k];
    cs[k] = ps[k];
  }
  for (int k = 0; k < 6; k++) {
    mpfr_init2(pw[k], sp);
    mpfr_set_str(pw[k], W[k], 10, RND);
    cw[k] = pw[k];
  }
  for (int k = 0; k < 2; k++) {
    mpfr_init2(pz[k], sp);
    mpfr_set_str(pz[k], z[k], 10, RND);
    if (which == 1 && k == i)
      mpfr_add(pz[k], pz[k], d, RND);
    cz[k] = pz[k];
  }
  adeis_gaussian_init(&pb->model, &pb->be, 3, 2, cm, cs, cw, cz, 0);
  pb->x_T = adeis_vec_alloc(&pb->be, 3);
  pb->target = adeis_vec_alloc(&pb->be, 3);
  for (int k = 0; k < 3; k++) {
    mpfr_set_str(v, xt[k], 10, RND);
    if (which == 0 && k == i)
      mpfr_add(v, v, d, RND);
    adeis_vec_set(pb->x_T, k, v);
    mpfr_set_str(v, tg[k], 10, RND);
    adeis_vec_set(pb->target, k, v);
  }
  pb->noise_seed = 7;
  for (int k = 0; k < 3; k++)
    mpfr_clears(pm[k], ps[k], (mpfr_ptr)0);
  for (int k = 0; k < 6; k++)
    mpfr_clear(pw[k]);
  mpfr_clears(pz[0], pz[1], v, (mpfr_ptr)0);
}

static void request(adeis_grad_request *rq, const char *method, size_t n, const char *store)
{
  adeis_grad_request_init(rq);
  rq->method = method;
  rq->steps = n;
  rq->precision = PREC;
  rq->state = ADEIS_STATE_CACHED;
  if (store)
    cr_assert_eq(adeis_store_parse(store, &rq->store), 0, "%s", store);
}

/* L(x_N) of the sampler behind a dto request, on the problem moved by (which, i, d) */
static void loss_at(const adeis_grad_request *rq, int which, int i, mpfr_srcptr d, mpfr_ptr L)
{
  adeis_problem pb;
  build(&pb, which, i, d);
  adeis_grad_request r = *rq;
  r.quantities = 1u << ADEIS_Q_X_T;
  adeis_grad_result res;
  cr_assert_eq(adeis_grad_compute(&pb, &r, &res), 0, "%s", adeis_errmsg());
  adeis_vec *g = adeis_vec_alloc(&pb.be, 3);
  mpfr_t one, mone;
  mpfr_inits2(PREC, one, mone, (mpfr_ptr)0);
  mpfr_set_ui(one, 1, RND);
  mpfr_set_si(mone, -1, RND);
  adeis_vec_lincomb(g, 2, (mpfr_srcptr[]){one, mone}, (const adeis_vec *[]){res.x0, pb.target});
  adeis_vec_dot(L, g, g);
  mpfr_div_2ui(L, L, 1, RND);
  mpfr_clears(one, mone, (mpfr_ptr)0);
  adeis_vec_free(g);
  adeis_grad_result_clear(&res);
  fixture_clear(&pb);
}

/* 6th-order central difference: (-f(-3h) + 9 f(-2h) - 45 f(-h) + 45 f(h) - 9 f(2h) + f(3h))/(60h) */
static void fd_derivative(const adeis_grad_request *rq, int which, int i, mpfr_ptr out)
{
  static const int w[] = {-1, 9, -45, 45, -9, 1}, off[] = {-3, -2, -1, 1, 2, 3};
  mpfr_t h, d, L;
  mpfr_inits2(PREC, h, d, L, (mpfr_ptr)0);
  mpfr_set_str(h, "1e-12", 10, RND);
  mpfr_set_zero(out, 1);
  for (int k = 0; k < 6; k++) {
    mpfr_mul_si(d, h, off[k], RND);
    mpfr_set_ui(L, 0, RND);
    loss_at(rq, which, i, d, L);
    mpfr_mul_si(L, L, w[k], RND);
    mpfr_add(out, out, L, RND);
  }
  mpfr_mul_ui(h, h, 60, RND);
  mpfr_div(out, out, h, RND);
  mpfr_clears(h, d, L, (mpfr_ptr)0);
}

/* digits of agreement of every component of every quantity with the finite differences */
static double fd_digits(const char *method, const char *store, size_t n)
{
  adeis_grad_request rq;
  request(&rq, method, n, store);
  adeis_problem pb;
  mpfr_t zero, fd, g, e;
  mpfr_inits2(PREC, zero, fd, g, e, (mpfr_ptr)0);
  mpfr_set_zero(zero, 1);
  build(&pb, 0, 0, zero);
  adeis_grad_result res;
  cr_assert_eq(adeis_grad_compute(&pb, &rq, &res), 0, "%s: %s", method, adeis_errmsg());
  double worst = 1e300;
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    for (size_t i = 0; i < res.grad[q]->n; i++) {
      fd_derivative(&rq, q, (int)i, fd);
      adeis_vec_get(g, res.grad[q], i);
      mpfr_sub(e, g, fd, RND);
      mpfr_div(e, e, fd, RND);
      double dig = -log10(fabs(mpfr_get_d(e, RND)) + 1e-300);
      if (dig < worst)
        worst = dig;
    }
  adeis_grad_result_clear(&res);
  fixture_clear(&pb);
  mpfr_clears(zero, fd, g, e, (mpfr_ptr)0);
  return worst;
}

Test(dto, gradients_equal_finite_differences_of_the_sampler, .timeout = 120)
{
  for (size_t k = 0; k < sizeof dto_methods / sizeof *dto_methods; k++) {
    double dig = fd_digits(dto_methods[k], "all", 6);
    cr_expect(dig >= 30, "%s: %.1f digits", dto_methods[k], dig);
  }
  /* the reversible coupled samplers: their own discrete gradient */
  cr_expect(fd_digits("dto-dpm-1", "reversible", 6) >= 30);
  cr_expect(fd_digits("dto-dpm-2s", "reversible", 6) >= 30);
}

/* dpm-1 on the diagonal Gaussian: dL/dx_T = G prod_k (alpha_{k+1}/alpha_k - sigma_{k+1} E_k sigma_k / v_k) */
static void closed_form_check(long prec, double tol)
{
  adeis_problem pb;
  fixture_worked(&pb, prec, 0, 0);
  adeis_grad_request rq;
  request(&rq, "dto-dpm-1", 16, "all");
  rq.precision = prec;
  adeis_grad_result res;
  cr_assert_eq(adeis_grad_compute(&pb, &rq, &res), 0, "%s", adeis_errmsg());
  adeis_grid g;
  adeis_grid_init(&g, ADEIS_GRID_UNIFORM_LAMBDA, &pb.sched, 16);
  static const char *s2[] = {"0.04", "1", "0.25"};
  mpfr_prec_t p = pb.sched.prec;
  mpfr_t prod, f, v, s, E, G, x, e, worst;
  mpfr_inits2(p, prod, f, v, s, E, G, x, e, worst, (mpfr_ptr)0);
  mpfr_set_zero(worst, 1);
  for (int i = 0; i < 3; i++) {
    mpfr_set_str(s, s2[i], 10, RND);
    mpfr_set_ui(prod, 1, RND);
    for (size_t k = 0; k < 16; k++) {
      const adeis_tpoint *a = &g.pts[k], *b = &g.pts[k + 1];
      mpfr_sqr(v, a->alpha, RND);
      mpfr_mul(v, v, s, RND);
      mpfr_sqr(f, a->sigma, RND);
      mpfr_add(v, v, f, RND);                   /* v_k */
      mpfr_sub(E, b->lambda, a->lambda, RND);
      mpfr_expm1(E, E, RND);
      mpfr_mul(f, b->sigma, E, RND);
      mpfr_mul(f, f, a->sigma, RND);
      mpfr_div(f, f, v, RND);
      mpfr_div(E, b->alpha, a->alpha, RND);
      mpfr_sub(f, E, f, RND);
      mpfr_mul(prod, prod, f, RND);
    }
    adeis_vec_get(x, res.x0, i);
    adeis_vec_get(G, pb.target, i);
    mpfr_sub(G, x, G, RND);                     /* G = x_N - target */
    mpfr_mul(prod, prod, G, RND);
    adeis_vec_get(x, res.grad[ADEIS_Q_X_T], i);
    mpfr_sub(e, x, prod, RND);
    mpfr_div(e, e, prod, RND);
    mpfr_abs(e, e, RND);
    mpfr_max(worst, worst, e, RND);
  }
  cr_expect(mpfr_get_d(worst, RND) < tol, "%ld bits: closed form off by %.3e", prec,
            mpfr_get_d(worst, RND));
  mpfr_clears(prod, f, v, s, E, G, x, e, worst, (mpfr_ptr)0);
  adeis_grid_clear(&g);
  adeis_grad_result_clear(&res);
  fixture_clear(&pb);
}

Test(dto, dpm1_matches_the_diagonal_gaussian_closed_form)
{
  closed_form_check(256, 1e-72);  /* 2^-256 = 8.6e-78, times 16 steps */
  closed_form_check(53, 1e-13);
}

static void run_store(const char *method, size_t n, const char *store, adeis_grad_result *res,
                      adeis_problem *pb)
{
  fixture_worked(pb, PREC, 3, 1);
  adeis_grad_request rq;
  request(&rq, method, n, store);
  cr_assert_eq(adeis_grad_compute(pb, &rq, res), 0, "%s %s: %s", method, store, adeis_errmsg());
}

static int bit_identical(const adeis_grad_result *a, const adeis_grad_result *b)
{
  mpfr_t x, y;
  mpfr_inits2(PREC, x, y, (mpfr_ptr)0);
  int same = 1;
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    for (size_t i = 0; i < a->grad[q]->n; i++) {
      adeis_vec_get(x, a->grad[q], i);
      adeis_vec_get(y, b->grad[q], i);
      same &= mpfr_equal_p(x, y) != 0;
    }
  mpfr_clears(x, y, (mpfr_ptr)0);
  return same;
}

/* T(n, s) by brute force: min over the first snapshot */
static unsigned long long brute_cost(size_t n, size_t s, unsigned long long memo[41][8])
{
  if (n <= 1)
    return 0;
  if (s == 0)
    return ULLONG_MAX / 4;
  if (memo[n][s])
    return memo[n][s] - 1;
  unsigned long long best = ULLONG_MAX / 4;
  for (size_t m = 1; m < n; m++) {
    unsigned long long c = m + brute_cost(n - m, s - 1, memo) + brute_cost(m, s, memo);
    if (c < best)
      best = c;
  }
  memo[n][s] = best + 1;
  return best;
}

Test(revolve, cost_and_split_are_optimal)
{
  static unsigned long long memo[41][8];
  for (size_t s = 1; s < 8; s++)
    for (size_t n = 1; n <= 40; n++) {
      unsigned long long want = brute_cost(n, s, memo);
      cr_expect_eq(adeis_revolve_cost(n, s), want, "n %zu s %zu", n, s);
      if (n > 1 && s > 1) {
        size_t m = adeis_revolve_split(n, s);
        cr_expect_eq(m + adeis_revolve_cost(n - m, s - 1) + adeis_revolve_cost(m, s), want,
                     "split n %zu s %zu", n, s);
      }
    }
}

Test(dto, checkpointing_is_bit_identical_and_within_the_revolve_count, .timeout = 120)
{
  static const size_t snaps[] = {1, 2, 3, 5, 40};
  const size_t n = 40;
  for (size_t k = 0; k < sizeof dto_methods / sizeof *dto_methods; k++) {
    adeis_problem pa;
    adeis_grad_result all;
    run_store(dto_methods[k], n, "all", &all, &pa);
    const adeis_forward *f = adeis_forward_lookup(adeis_method_lookup(dto_methods[k])->forward);
    for (size_t j = 0; j < sizeof snaps / sizeof *snaps; j++) {
      char name[32];
      snprintf(name, sizeof name, "checkpoint:%zu", snaps[j]);
      adeis_problem pb;
      adeis_grad_result ck;
      run_store(dto_methods[k], n, name, &ck, &pb);
      cr_expect(bit_identical(&all, &ck), "%s %s: not bit-identical", dto_methods[k], name);
      /* extra forward steps: T(n, s) + 1 - n, plus the stage states of n - 1 steps rebuilt */
      size_t s = snaps[j] < n ? snaps[j] : n;
      unsigned long long extra = f->evals * (adeis_revolve_cost(n, s) + 1 - n) +
                                 (f->evals - 1) * (n - 1);
      cr_expect_eq(ck.nfe, all.nfe + extra, "%s %s: nfe %lu, store-all %lu", dto_methods[k],
                   name, ck.nfe, all.nfe);
      cr_expect_eq(ck.nvjp, all.nvjp);
      cr_expect(ck.peak_vectors < all.peak_vectors || s == n, "%s %s: %zu vectors", dto_methods[k],
                name, ck.peak_vectors);
      adeis_grad_result_clear(&ck);
      fixture_clear(&pb);
    }
    adeis_grad_result_clear(&all);
    fixture_clear(&pa);
  }
}

Test(dto, reversible_equals_the_coupled_sampler_to_its_reconstruction_error)
{
  const char *methods[] = {"dto-dpm-1", "dto-dpm-2s"};
  for (int k = 0; k < 2; k++) {
    adeis_problem pa, pb;
    adeis_grad_result rev, ref;
    run_store(methods[k], 32, "reversible", &rev, &pa);
    fixture_worked(&pb, PREC, 3, 1);
    adeis_grad_request rq;
    request(&rq, methods[k], 32, NULL);
    rq.store.kind = ADEIS_STORE_COUPLED_ALL;
    cr_assert_eq(adeis_grad_compute(&pb, &rq, &ref), 0);
    cr_expect(rev.reconstruction_error < 1e-70, "%s: reconstruction %.3e", methods[k],
              rev.reconstruction_error);
    mpfr_t d;
    mpfr_init2(d, 64);
    for (int q = 0; q < ADEIS_Q_COUNT; q++) {
      adeis_vec_rel_dist(d, rev.grad[q], ref.grad[q]);
      cr_expect(mpfr_get_d(d, RND) < 1e-70, "%s q %d: %.3e", methods[k], q, mpfr_get_d(d, RND));
    }
    mpfr_clear(d);
    adeis_grad_result_clear(&rev);
    adeis_grad_result_clear(&ref);
    fixture_clear(&pa);
    fixture_clear(&pb);
  }
}

static size_t peak(const char *method, size_t n, const char *store)
{
  adeis_problem pb;
  adeis_grad_result res;
  run_store(method, n, store, &res, &pb);
  size_t v = res.peak_vectors;
  adeis_grad_result_clear(&res);
  fixture_clear(&pb);
  return v;
}

Test(dto, memory_is_flat_for_reversible_and_linear_for_store_all)
{
  for (size_t k = 0; k < sizeof dto_methods / sizeof *dto_methods; k++) {
    const adeis_forward *f = adeis_forward_lookup(adeis_method_lookup(dto_methods[k])->forward);
    size_t a = peak(dto_methods[k], 16, "all"), b = peak(dto_methods[k], 32, "all"),
           c = peak(dto_methods[k], 64, "all");
    cr_expect_eq(b - a, 16 * f->evals, "%s: %zu %zu", dto_methods[k], a, b);
    cr_expect_eq(c - b, 32 * f->evals, "%s: %zu %zu", dto_methods[k], b, c);
  }
  cr_expect_eq(peak("dto-dpm-1", 16, "reversible"), peak("dto-dpm-1", 256, "reversible"));
  cr_expect_eq(peak("dto-dpm-2s", 16, "reversible"), peak("dto-dpm-2s", 256, "reversible"));
  /* binomial checkpointing with s snapshots: flat in N too */
  cr_expect_eq(peak("dto-dpm-2m", 16, "checkpoint:3"), peak("dto-dpm-2m", 256, "checkpoint:3"));
}

/* relative error of dL/dx_T against the continuous exact gradient */
static double cont_error(const char *method, size_t n)
{
  adeis_problem pb;
  adeis_grad_result res;
  run_store(method, n, "all", &res, &pb);
  double e = mpfr_get_d(res.rel_error[ADEIS_Q_X_T], RND);
  adeis_grad_result_clear(&res);
  fixture_clear(&pb);
  return e;
}

Test(dto, orders_against_the_continuous_gradient_are_the_samplers, .timeout = 120)
{
  static const size_t n1[] = {512, 512, 512, 128};
  for (size_t k = 0; k < sizeof dto_methods / sizeof *dto_methods; k++) {
    const adeis_method *m = adeis_method_lookup(dto_methods[k]);
    double e1 = cont_error(m->name, n1[k]), e2 = cont_error(m->name, 2 * n1[k]);
    double p = log2(e1 / e2);
    cr_expect(fabs(p - m->order) < 0.1, "%s: %.3e -> %.3e, order %.3f", m->name, e1, e2, p);
  }
}

Test(dto, rules_and_bad_requests)
{
  adeis_problem pb;
  fixture_worked(&pb, PREC, 0, 0);
  adeis_grad_request rq;
  adeis_grad_result res;
  request(&rq, "dto-dpm-2m", 8, "reversible");
  cr_expect_eq(adeis_grad_compute(&pb, &rq, &res), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "--store") != NULL, "%s", adeis_errmsg());
  request(&rq, "adjdeis-1", 8, "all");
  cr_expect_eq(adeis_grad_compute(&pb, &rq, &res), ADEIS_EINPUT);
  request(&rq, "dto-dpm-1", 8, "reversible");
  rq.zeta = 0;
  cr_expect_eq(adeis_grad_compute(&pb, &rq, &res), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "--zeta") != NULL, "%s", adeis_errmsg());
  request(&rq, "dto-dpm-1", 8, NULL);
  rq.sde = 1;
  cr_expect_eq(adeis_grad_compute(&pb, &rq, &res), ADEIS_EINPUT);
  /* store-all of 10^7 steps at 65536 bits would need about 536 GiB: refused up front */
  fixture_clear(&pb);
  fixture_worked(&pb, 65536, 0, 0);
  request(&rq, "dto-dpm-1", 10000000, NULL);
  rq.precision = 65536;
  cr_expect_eq(adeis_grad_compute(&pb, &rq, &res), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "--steps") != NULL, "%s", adeis_errmsg());
  adeis_store st;
  cr_expect_eq(adeis_store_parse("checkpoint:0", &st), -1);
  cr_expect_eq(adeis_store_parse("checkpoint:x", &st), -1);
  cr_expect_eq(adeis_store_parse("revers", &st), -1);
  cr_expect_eq(adeis_store_parse("checkpoint:7", &st), 0);
  cr_expect_eq(st.snapshots, 7);
  fixture_clear(&pb);
}

/* The step types reproduce the samplers as written before them (adeis_dpm_step on eps), bit
 * for bit: dpm-1, dpm-2m (weight 1/(2r)) and dpm-2s (midpoint in lambda). */
Test(step_types, samplers_are_bit_identical_to_the_step_formula)
{
  adeis_problem pb;
  fixture_worked(&pb, PREC, 3, 1);
  adeis_grid g;
  adeis_grid_init(&g, ADEIS_GRID_UNIFORM_T, &pb.sched, 12);
  const char *names[] = {"dpm-1", "dpm-2m", "dpm-2s"};
  adeis_vec *x = adeis_vec_alloc(&pb.be, 3), *y = adeis_vec_alloc(&pb.be, 3),
            *e = adeis_vec_alloc(&pb.be, 3), *ep = adeis_vec_alloc(&pb.be, 3),
            *xu = adeis_vec_alloc(&pb.be, 3);
  adeis_tpoint u;
  adeis_tpoint_init(&u, pb.sched.prec);
  mpfr_t w, a, b;
  mpfr_inits2(pb.sched.prec, w, a, b, (mpfr_ptr)0);
  for (int k = 0; k < 3; k++) {
    adeis_counts c = {0, 0};
    adeis_vec_copy(x, pb.x_T);
    cr_assert_eq(adeis_forward_run(adeis_forward_lookup(names[k]), &pb.model, NULL, &pb.sched,
                                   g.pts, 12, x, NULL, NULL, &c), 0);
    adeis_vec_copy(y, pb.x_T);
    for (size_t i = 0; i < 12; i++) {
      const adeis_tpoint *s = &g.pts[i], *t = &g.pts[i + 1];
      adeis_model_eps(&pb.model, NULL, e, y, s);
      mpfr_set_zero(w, 1);
      if (k == 1 && i > 0) {  /* w = (h / h_prev) / 2 */
        mpfr_sub(a, t->lambda, s->lambda, RND);
        mpfr_sub(b, s->lambda, g.pts[i - 1].lambda, RND);
        mpfr_div(w, a, b, RND);
        mpfr_div_2ui(w, w, 1, RND);
      }
      if (k == 2) {
        adeis_midpoint_lambda(&pb.sched, &u, s, t);
        adeis_dpm_step(xu, y, e, NULL, w, s, &u, 1);
        adeis_model_eps(&pb.model, NULL, e, xu, &u);
      }
      adeis_dpm_step(y, y, e, k == 1 && i > 0 ? ep : NULL, w, s, t, 1);
      if (k == 1)
        adeis_vec_copy(ep, e);
    }
    for (size_t i = 0; i < 3; i++) {
      adeis_vec_get(a, x, i);
      adeis_vec_get(b, y, i);
      cr_expect(mpfr_equal_p(a, b), "%s component %zu", names[k], i);
    }
    cr_expect_eq(c.nfe, k == 2 ? 24 : 12);
  }
  mpfr_clears(w, a, b, (mpfr_ptr)0);
  adeis_tpoint_clear(&u);
  adeis_vec_free(x);
  adeis_vec_free(y);
  adeis_vec_free(e);
  adeis_vec_free(ep);
  adeis_vec_free(xu);
  adeis_grid_clear(&g);
  fixture_clear(&pb);
}

static double rk4_forward_error(size_t n)
{
  adeis_problem pb;
  fixture_worked(&pb, PREC, 0, 0);
  adeis_grid g;
  adeis_grid_init(&g, ADEIS_GRID_UNIFORM_LAMBDA, &pb.sched, n);
  adeis_vec *x = adeis_vec_alloc(&pb.be, 3), *ex = adeis_vec_alloc(&pb.be, 3);
  adeis_vec_copy(x, pb.x_T);
  adeis_counts c = {0, 0};
  cr_assert_eq(adeis_forward_run(adeis_forward_lookup("rk4-lambda"), &pb.model, NULL, &pb.sched,
                                 g.pts, n, x, NULL, NULL, &c), 0);
  cr_expect_eq(c.nfe, 4 * n);
  adeis_model_flow(&pb.model, NULL, ex, &g.pts[n], pb.x_T, &g.pts[0]);
  mpfr_t d;
  mpfr_init2(d, 64);
  adeis_vec_rel_dist(d, x, ex);
  double e = mpfr_get_d(d, RND);
  mpfr_clear(d);
  adeis_vec_free(x);
  adeis_vec_free(ex);
  adeis_grid_clear(&g);
  fixture_clear(&pb);
  return e;
}

Test(step_types, rk4_lambda_sampler_has_order_4)
{
  double e1 = rk4_forward_error(128), e2 = rk4_forward_error(256);
  cr_expect(fabs(log2(e1 / e2) - 4) < 0.1, "%.3e -> %.3e", e1, e2);
}

/* The solver layer's small public pieces: registry, state names, stage points, caches,
 * the dpm step formula, the Brownian tree and the SDE sampler on one shared path. */
#include "../core/status.h"
#include "../solvers/forward.h"
#include "fixture.h"

#include <criterion/criterion.h>
#include <gsl/gsl_fit.h>
#include <math.h>
#include <string.h>

#define RND MPFR_RNDN

Test(registry, every_method_is_consistent)
{
  size_t n = 0;
  for (; adeis_methods[n]; n++) {
    const adeis_method *m = adeis_methods[n];
    cr_expect(m->order >= 1 && m->order <= 8, "%s", m->name);
    cr_expect_eq(adeis_method_lookup(m->name), m);
    cr_expect(adeis_forward_lookup(m->forward) != NULL, "%s: forward %s", m->name, m->forward);
    for (size_t j = 0; j < m->n_nodes; j++)
      cr_expect(m->nodes[j].den > 0 && m->nodes[j].num >= 0 && m->nodes[j].num <= m->nodes[j].den,
                "%s node %zu", m->name, j);
  }
  cr_expect_eq(n, 20);
  cr_expect_null(adeis_method_lookup("adjdeis-3"));
  cr_expect_null(adeis_forward_lookup("dpm-3"));
  cr_expect_eq(adeis_forward_lookup("sde-dpm-1")->stochastic, 1);
}

Test(registry, state_names_round_trip)
{
  for (int k = 0; k < ADEIS_STATE_COUNT; k++) {
    adeis_state_mode m;
    cr_expect_eq(adeis_state_lookup(adeis_state_name((adeis_state_mode)k), &m), 0);
    cr_expect_eq((int)m, k);
  }
  adeis_state_mode m = ADEIS_STATE_CACHED;
  cr_expect_eq(adeis_state_lookup("checkpoint", &m), -1);
  cr_expect_eq(m, ADEIS_STATE_CACHED);
}

Test(stages, stage_points_and_midpoints)
{
  adeis_schedule s;
  adeis_schedule_init(&s, &adeis_schedule_vp_linear, 320);
  adeis_grid g;
  adeis_grid_init(&g, ADEIS_GRID_UNIFORM_T, &s, 4);
  adeis_tpoint u, v;
  adeis_tpoint_init(&u, 320);
  adeis_tpoint_init(&v, 320);
  const adeis_tpoint *a = &g.pts[3], *b = &g.pts[2];
  adeis_stage_point(&s, &u, a, b, (adeis_node){0, 1}, 1);
  cr_expect(mpfr_equal_p(u.t, a->t));
  adeis_stage_point(&s, &u, a, b, (adeis_node){3, 3}, 0);
  cr_expect(mpfr_equal_p(u.t, b->t));
  /* a third of the way in t, and half way in lambda, to the working precision */
  mpfr_t w;
  mpfr_init2(w, 320);
  adeis_stage_point(&s, &u, a, b, (adeis_node){1, 3}, 0);
  mpfr_sub(w, b->t, a->t, RND);
  mpfr_div_ui(w, w, 3, RND);
  mpfr_add(w, w, a->t, RND);
  mpfr_sub(w, w, u.t, RND);
  cr_expect(mpfr_cmpabs_ui(w, 0) == 0 || mpfr_get_exp(w) < -300);
  adeis_midpoint_lambda(&s, &u, a, b);
  adeis_midpoint_lambda(&s, &v, b, a);
  cr_expect(mpfr_equal_p(u.t, v.t), "the midpoint does not depend on the order of its ends");
  mpfr_add(w, a->lambda, b->lambda, RND);
  mpfr_div_2ui(w, w, 1, RND);
  mpfr_sub(w, w, u.lambda, RND);
  cr_expect(mpfr_zero_p(w) || mpfr_get_exp(w) < -300);
  mpfr_clear(w);
  adeis_tpoint_clear(&u);
  adeis_tpoint_clear(&v);
  adeis_grid_clear(&g);
  adeis_schedule_clear(&s);
}

Test(states, cache_lookup_by_time)
{
  adeis_problem pb;
  fixture_worked(&pb, 256, 0, 0);
  adeis_grid g;
  adeis_grid_init(&g, ADEIS_GRID_UNIFORM_LAMBDA, &pb.sched, 8);
  adeis_cache c;
  adeis_cache_init(&c, pb.sched.prec);
  adeis_vec *x = adeis_vec_alloc(&pb.be, 3), *y = adeis_vec_alloc(&pb.be, 3);
  for (size_t i = 0; i <= 8; i++) {
    adeis_vec_set_d(x, 0, (double)i);
    cr_assert_eq(adeis_cache_push(&c, &g.pts[i], x), 0);
  }
  adeis_states st;
  adeis_states_cached(&st, &c);
  for (size_t i = 0; i <= 8; i++) {
    cr_assert_eq(st.at(&st, y, &g.pts[i]), 0);
    cr_expect_eq(adeis_vec_get_d(y, 0), (double)i);
    cr_expect_eq(adeis_vec_get_d(st.peek(&st, &g.pts[i]), 0), (double)i);
  }
  adeis_tpoint u;
  adeis_tpoint_init(&u, pb.sched.prec);
  adeis_midpoint_lambda(&pb.sched, &u, &g.pts[0], &g.pts[1]);
  cr_expect_eq(st.at(&st, y, &u), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "no cached state") != NULL);
  cr_expect_null(st.peek(&st, &u));
  adeis_states_clear(&st);
  adeis_tpoint_clear(&u);
  adeis_cache_clear(&c);
  adeis_vec_free(x);
  adeis_vec_free(y);
  adeis_grid_clear(&g);
  fixture_clear(&pb);
}

Test(forward, dpm_step_formula)
{
  /* out = (alpha_to/alpha_from) x - c sigma_to expm1(h) [(1 + w) e - w e_p] */
  adeis_problem pb;
  fixture_worked(&pb, 256, 0, 0);
  adeis_grid g;
  adeis_grid_init(&g, ADEIS_GRID_UNIFORM_T, &pb.sched, 5);
  const adeis_tpoint *f = &g.pts[1], *t = &g.pts[2];
  adeis_vec *x = adeis_vec_alloc(&pb.be, 3), *e = adeis_vec_alloc(&pb.be, 3),
            *ep = adeis_vec_alloc(&pb.be, 3), *out = adeis_vec_alloc(&pb.be, 3);
  for (size_t i = 0; i < 3; i++) {
    adeis_vec_set_d(x, i, 0.5 + (double)i);
    adeis_vec_set_d(e, i, -0.25 * (double)i + 0.125);
    adeis_vec_set_d(ep, i, 0.75);
  }
  mpfr_t w, want, k, got;
  mpfr_inits2(400, w, want, k, got, (mpfr_ptr)0);
  mpfr_set_d(w, 0.375, RND);
  adeis_dpm_step(out, x, e, ep, w, f, t, 2);
  for (size_t i = 0; i < 3; i++) {
    mpfr_sub(k, t->lambda, f->lambda, RND);
    mpfr_expm1(k, k, RND);
    mpfr_mul(k, k, t->sigma, RND);
    mpfr_mul_ui(k, k, 2, RND);
    mpfr_set_d(want, 1.375 * (-0.25 * (double)i + 0.125) - 0.375 * 0.75, RND);
    mpfr_mul(k, k, want, RND);
    mpfr_div(want, t->alpha, f->alpha, RND);
    mpfr_mul_d(want, want, 0.5 + (double)i, RND);
    mpfr_sub(want, want, k, RND);
    adeis_vec_get(got, out, i);
    mpfr_sub(got, got, want, RND);
    cr_expect(mpfr_zero_p(got) || mpfr_get_exp(got) < -250, "component %zu", i);
  }
  mpfr_clears(w, want, k, got, (mpfr_ptr)0);
  adeis_vec_free(x), adeis_vec_free(e), adeis_vec_free(ep), adeis_vec_free(out);
  adeis_grid_clear(&g);
  fixture_clear(&pb);
}

Test(brownian, a_fixed_path_with_brownian_increments)
{
  /* B(v(T)) = 0; the same query gives the same value; over 4000 seeds the increments over two
   * disjoint intervals have variances v_a - v_b (within 4 standard errors) and are uncorrelated */
  const double lT = -5.0, lend = 4.5, l1 = -1.0, l2 = 0.5, l3 = 2.0;
  const int n = 4000;
  double s11 = 0, s22 = 0, s12 = 0;
  for (int k = 0; k < n; k++) {
    adeis_brownian b;
    cr_assert_eq(adeis_brownian_init(&b, (unsigned long)k + 1, 2, lT, lend), 0);
    cr_assert_eq(adeis_brownian_at(&b, 1, lT), 0.0);
    cr_assert_eq(adeis_brownian_at(&b, 1, l2), adeis_brownian_at(&b, 1, l2));
    double d1 = adeis_brownian_at(&b, 1, l2) - adeis_brownian_at(&b, 1, l1);
    double d2 = adeis_brownian_at(&b, 1, l3) - adeis_brownian_at(&b, 1, l2);
    s11 += d1 * d1, s22 += d2 * d2, s12 += d1 * d2;
    adeis_brownian_clear(&b);
  }
  double v1 = exp(-2 * l1) - exp(-2 * l2), v2 = exp(-2 * l2) - exp(-2 * l3);
  double se = sqrt(2.0 / n);
  cr_expect(fabs(s11 / n / v1 - 1) < 4 * se, "var 1: %.4f", s11 / n / v1);
  cr_expect(fabs(s22 / n / v2 - 1) < 4 * se, "var 2: %.4f", s22 / n / v2);
  cr_expect(fabs(s12 / n / sqrt(v1 * v2)) < 4 / sqrt((double)n), "corr %.4f", s12 / n / sqrt(v1 * v2));
}

/* x_0 of sde-dpm-1 with N steps on one Brownian path */
static void sde_x0(size_t n, double out[3])
{
  adeis_problem pb;
  fixture_worked(&pb, 53, 0, 0);
  adeis_grid g;
  adeis_grid_init(&g, ADEIS_GRID_UNIFORM_LAMBDA, &pb.sched, n);
  adeis_brownian b;
  cr_assert_eq(adeis_brownian_init(&b, 7, 3, mpfr_get_d(g.pts[0].lambda, RND),
                                   mpfr_get_d(g.pts[n].lambda, RND)), 0);
  adeis_vec *x = adeis_vec_alloc(&pb.be, 3);
  adeis_vec_copy(x, pb.x_T);
  adeis_counts c = {0, 0};
  cr_assert_eq(adeis_forward_run(adeis_forward_lookup("sde-dpm-1"), &pb.model, NULL, &pb.sched, g.pts,
                                 n, x, NULL, &b, &c), 0);
  for (int i = 0; i < 3; i++)
    out[i] = adeis_vec_get_d(x, (size_t)i);
  adeis_brownian_clear(&b);
  adeis_vec_free(x);
  adeis_grid_clear(&g);
  fixture_clear(&pb);
}

Test(forward, sde_sampler_converges_on_one_path)
{
  /* With additive noise the exponential Euler-Maruyama step is strongly first order. On one
   * shared path the successive differences |x_0(N) - x_0(2N)| fluctuate (pairwise ratios from
   * 1.2 to 3.3 were seen) but fall like 1/N overall: least-squares slope over N = 512..32768.
   * With a fresh path per N they would not fall at all. */
  enum { K = 7 };
  double x[K][3], lx[K - 1], ly[K - 1];
  for (int k = 0; k < K; k++)
    sde_x0((size_t)512 << k, x[k]);
  for (int k = 0; k + 1 < K; k++) {
    lx[k] = log(512.0 * (1 << k));
    ly[k] = 0.5 * log(pow(x[k][0] - x[k + 1][0], 2) + pow(x[k][1] - x[k + 1][1], 2) +
                      pow(x[k][2] - x[k + 1][2], 2));
  }
  double c0, c1, v00, v01, v11, ss;
  gsl_fit_linear(lx, 1, ly, 1, K - 1, &c0, &c1, &v00, &v01, &v11, &ss);
  cr_expect(fabs(-c1 - 1) < 0.25, "strong order of sde-dpm-1 on one path: %.3f", -c1);
  adeis_counts c = {0, 0};
  adeis_problem pb;
  fixture_worked(&pb, 53, 0, 0);
  adeis_vec *xv = adeis_vec_alloc(&pb.be, 3);
  adeis_grid g;
  adeis_grid_init(&g, ADEIS_GRID_UNIFORM_LAMBDA, &pb.sched, 4);
  cr_expect_eq(adeis_forward_run(adeis_forward_lookup("sde-dpm-1"), &pb.model, NULL, &pb.sched, g.pts, 4,
                                 xv, NULL, NULL, &c), ADEIS_EINPUT, "no Brownian path");
  adeis_grid_clear(&g);
  adeis_vec_free(xv);
  fixture_clear(&pb);
}

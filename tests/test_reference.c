/* Reference solves (runs/reference.h) on the Gaussian, whose closed form is the independent
 * answer: the reference agrees with the exact gradients within its error estimate, and the
 * estimate is not more than 100x pessimistic; the forward-solve state provider agrees with
 * the exact flow within its estimate; the disk cache returns identical bits and recomputes
 * corrupt or foreign entries; a model without capabilities gets a reference and states. */
#include "../core/status.h"
#include "../runs/reference.h"
#include "../analytic/gaussian.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RND MPFR_RNDN
#define PREC 128
#define TOL 1e-14

static char tmpdir[256];

/* A temporary folder holding the worked example as a problem file and an empty cache. */
static void setup(void)
{
  snprintf(tmpdir, sizeof tmpdir, "/tmp/adeis-ref-XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
  char path[512];
  snprintf(path, sizeof path, "%s/cache", tmpdir);
  setenv("ADEIS_CACHE_DIR", path, 1);
  snprintf(path, sizeof path, "%s/worked.ini", tmpdir);
  FILE *fp = fopen(path, "w");
  cr_assert_not_null(fp);
  fputs("[problem]\ntype = gaussian\ndim = 3\nmean = 0.5 -1 2\nvar = 0.04 1 0.25\n"
        "[schedule]\nname = vp-linear\nt_end = 1e-3\nT = 1\n"
        "[loss]\ntype = quadratic\ntarget = 0.3 0.1 -0.2\n"
        "[start]\nx_T = 0.7 -0.4 1.1\nnoise_seed = 7\n", fp);
  fclose(fp);
}

static void teardown(void)
{
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(reference, .init = setup, .fini = teardown);

static void load(adeis_problem_spec *spec, adeis_problem *pb)
{
  char path[512];
  snprintf(path, sizeof path, "%s/worked.ini", tmpdir);
  cr_assert_eq(adeis_problem_load(path, spec), 0, "%s", adeis_errmsg());
  cr_assert_eq(adeis_problem_build(spec, PREC, pb), 0, "%s", adeis_errmsg());
}

static void request(adeis_grad_request *rq, const adeis_problem_spec *spec, const char *method,
                    size_t steps)
{
  adeis_grad_request_init(rq);
  rq->method = method;
  rq->steps = steps;
  rq->precision = PREC;
  rq->spec = spec;
  rq->ref_tol = TOL;
}

static double rel_dist(const adeis_vec *x, const adeis_vec *y)
{
  mpfr_t d;
  mpfr_init2(d, 64);
  adeis_vec_rel_dist(d, x, y);
  double v = mpfr_get_d(d, RND);
  mpfr_clear(d);
  return v;
}

Test(reference, agrees_with_closed_form_within_its_estimate)
{
  adeis_problem_spec spec;
  adeis_problem pb;
  load(&spec, &pb);
  adeis_grad_request rq;
  request(&rq, &spec, "adjdeis-2m", 16);
  rq.want_reference = 1;
  adeis_grad_result res;
  cr_assert_eq(adeis_grad_compute(&pb, &rq, &res), 0, "%s", adeis_errmsg());
  cr_assert_gt(res.reference_steps, 0);
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    cr_assert_not_null(res.exact[q]);
    cr_assert_not_null(res.reference[q]);
    double actual = rel_dist(res.reference[q], res.exact[q]);
    double est = mpfr_get_d(res.reference_error[q], RND);
    cr_log_info("%s: reference vs closed form %g, estimate %g (%zu steps)",
                adeis_quantity_names[q], actual, est, res.reference_steps);
    cr_expect_leq(est, TOL, "%s: estimate %g above the target", adeis_quantity_names[q], est);
    cr_expect_leq(actual, est, "%s: actual %g > estimate %g", adeis_quantity_names[q], actual, est);
    cr_expect_leq(est, 100 * actual, "%s: estimate %g more than 100x the actual %g",
                  adeis_quantity_names[q], est, actual);
  }
  adeis_grad_result_clear(&res);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&spec);
}

/* The states of a converged forward solve against the exact flow at grid points and stage
 * nodes of a uniform-t grid (none of them stored by the provider). */
Test(reference, states_agree_with_flow_within_their_estimate)
{
  adeis_problem_spec spec;
  adeis_problem pb;
  load(&spec, &pb);
  adeis_reference_request q;
  memset(&q, 0, sizeof q);
  q.spec = &spec;
  q.precision = PREC;
  q.tol = TOL;
  adeis_ref_states *rs;
  cr_assert_eq(adeis_ref_states_new(&q, &rs), 0, "%s", adeis_errmsg());
  adeis_states st;
  adeis_states_reference(&st, rs);
  double est = adeis_ref_states_error(rs), worst = 0;
  cr_expect_leq(est, TOL);
  adeis_grid g;
  cr_assert_eq(adeis_grid_init(&g, ADEIS_GRID_UNIFORM_T, &pb.sched, 7), 0);
  adeis_vec *x = adeis_vec_alloc(&pb.be, 3), *y = adeis_vec_alloc(&pb.be, 3);
  adeis_tpoint u;
  adeis_tpoint_init(&u, pb.sched.prec);
  for (size_t i = 0; i <= g.n; i++) {
    for (int k = 0; k < 2 && (k == 0 || i < g.n); k++) {
      const adeis_tpoint *tp = &g.pts[i];
      if (k) {
        adeis_stage_point(&pb.sched, &u, &g.pts[i + 1], &g.pts[i], (adeis_node){1, 3}, 0);
        tp = &u;
      }
      cr_assert_eq(st.at(&st, x, tp), 0);
      cr_assert_eq(adeis_model_flow(&pb.model, NULL, y, tp, pb.x_T, &g.pts[0]), 0);
      double d = rel_dist(x, y);
      cr_expect_leq(d, est, "t = %g: %g > estimate %g", mpfr_get_d(tp->t, RND), d, est);
      worst = d > worst ? d : worst;
    }
  }
  cr_log_info("states: worst error %g, estimate %g (%zu steps)", worst, est,
              adeis_ref_states_steps(rs));
  cr_expect_leq(est, 100 * worst, "estimate %g more than 100x the worst error %g", est, worst);
  adeis_tpoint_clear(&u);
  adeis_vec_free(x);
  adeis_vec_free(y);
  adeis_grid_clear(&g);
  adeis_states_clear(&st);
  adeis_ref_states_free(rs);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&spec);
}

/* ---- the disk cache ---- */

static void reference_of(const adeis_problem_spec *spec, adeis_reference *ref)
{
  adeis_reference_request q;
  memset(&q, 0, sizeof q);
  q.spec = spec;
  q.dims[0] = q.dims[1] = q.dims[2] = 3;
  q.precision = PREC;
  q.tol = 1e-8;
  q.grid = ADEIS_GRID_UNIFORM_LAMBDA;
  cr_assert_eq(adeis_reference_compute(&q, ref), 0, "%s", adeis_errmsg());
}

static void cache_file(const adeis_problem_spec *spec, char *path, size_t size)
{
  adeis_reference_request q;
  memset(&q, 0, sizeof q);
  q.spec = spec;
  q.precision = PREC;
  q.tol = 1e-8;
  q.grid = ADEIS_GRID_UNIFORM_LAMBDA;
  cr_assert_eq(adeis_reference_cache_path(&q, path, size), 0);
  cr_assert_eq(strncmp(path, tmpdir, strlen(tmpdir)), 0, "cache outside ADEIS_CACHE_DIR: %s", path);
}

static void expect_identical(const adeis_reference *a, const adeis_reference *b)
{
  cr_expect_eq(a->steps, b->steps);
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    cr_expect(mpfr_equal_p(a->error[q], b->error[q]));
    for (size_t i = 0; i < a->n[q]; i++) {
      cr_expect_eq(mpfr_get_prec(a->value[q][i]), mpfr_get_prec(b->value[q][i]));
      cr_expect(mpfr_equal_p(a->value[q][i], b->value[q][i]), "%s[%zu] differs",
                adeis_quantity_names[q], i);
    }
  }
}

/* Replace the first occurrence of `from` in the file by `to` (same length). */
static void edit_file(const char *path, const char *from, const char *to)
{
  FILE *fp = fopen(path, "r+b");
  cr_assert_not_null(fp);
  char buf[65536];
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  buf[n] = '\0';
  char *p = strstr(buf, from);
  cr_assert_not_null(p, "'%s' not in the cache file", from);
  memcpy(p, to, strlen(to));
  rewind(fp);
  cr_assert_eq(fwrite(buf, 1, n, fp), n);
  fclose(fp);
}

Test(reference, cache_hit_is_bit_identical_and_corruption_is_recomputed)
{
  adeis_problem_spec spec;
  adeis_problem pb;
  load(&spec, &pb);
  adeis_reference fresh, hit, again;
  reference_of(&spec, &fresh);
  cr_expect_eq(fresh.from_cache, 0);
  reference_of(&spec, &hit);
  cr_expect_eq(hit.from_cache, 1);
  expect_identical(&fresh, &hit);
  adeis_reference_clear(&hit);

  char path[2200];
  cache_file(&spec, path, sizeof path);
  /* a changed digit in a value: the checksum fails, the entry is recomputed and rewritten */
  edit_file(path, "\n0x1.", "\n0x2.");
  reference_of(&spec, &again);
  cr_expect_eq(again.from_cache, 0);
  expect_identical(&fresh, &again);
  adeis_reference_clear(&again);
  reference_of(&spec, &again);
  cr_expect_eq(again.from_cache, 1, "the recomputed entry was not written back");
  adeis_reference_clear(&again);

  /* a truncated file */
  cr_assert_eq(truncate(path, 100), 0);
  reference_of(&spec, &again);
  cr_expect_eq(again.from_cache, 0);
  expect_identical(&fresh, &again);
  adeis_reference_clear(&again);
  adeis_reference_clear(&fresh);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&spec);
}

/* The key is checked, not only the file name: an entry for other settings is not trusted. */
Test(reference, entry_of_another_key_is_recomputed)
{
  adeis_problem_spec spec;
  adeis_problem pb;
  load(&spec, &pb);
  adeis_reference fresh, again;
  reference_of(&spec, &fresh);
  char path[2200];
  cache_file(&spec, path, sizeof path);
  /* a consistent file (checksum recomputed by the program itself) for another grid, moved in */
  adeis_reference_request q;
  memset(&q, 0, sizeof q);
  q.spec = &spec;
  q.dims[0] = q.dims[1] = q.dims[2] = 3;
  q.precision = PREC;
  q.tol = 1e-8;
  q.grid = ADEIS_GRID_UNIFORM_T;
  cr_assert_eq(adeis_reference_compute(&q, &again), 0);
  char other[2200];
  cr_assert_eq(adeis_reference_cache_path(&q, other, sizeof other), 0);
  cr_assert_eq(rename(other, path), 0);
  adeis_reference_clear(&again);
  reference_of(&spec, &again);
  cr_expect_eq(again.from_cache, 0);
  expect_identical(&fresh, &again);
  adeis_reference_clear(&again);
  adeis_reference_clear(&fresh);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&spec);
}

/* ---- a model without capabilities ---- */

static adeis_model_ops masked_ops;

/* The Gaussian seen through eval only: no flow, no exact gradients. */
static void mask_capabilities(adeis_problem *pb)
{
  masked_ops = *pb->model.ops;
  masked_ops.name = "masked-gaussian";
  masked_ops.caps = 0;
  masked_ops.flow = NULL;
  masked_ops.exact_ode = NULL;
  masked_ops.exact_sde = NULL;
  pb->model.ops = &masked_ops;
}

Test(reference, model_without_capabilities_gets_reference_and_states)
{
  adeis_problem_spec spec;
  adeis_problem pb, plain;
  load(&spec, &pb);
  cr_assert_eq(adeis_problem_build(&spec, PREC, &plain), 0);
  mask_capabilities(&pb);
  adeis_grad_request rq;
  request(&rq, &spec, "adjdeis-2m", 32);
  adeis_grad_result masked, exact;
  cr_assert_eq(adeis_grad_compute(&pb, &rq, &masked), 0, "%s", adeis_errmsg());
  cr_assert_eq(adeis_grad_compute(&plain, &rq, &exact), 0, "%s", adeis_errmsg());
  cr_expect_leq(masked.states_error, TOL);
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    cr_expect_null(masked.exact[q]);
    cr_assert_not_null(masked.reference[q]);
    cr_expect_null(exact.reference[q], "a reference was computed beside an exact value");
    double e = mpfr_get_d(masked.rel_error[q], RND), e0 = mpfr_get_d(exact.rel_error[q], RND);
    cr_log_info("%s: rel_error against the reference %.12g, against the closed form %.12g",
                adeis_quantity_names[q], e, e0);
    cr_expect(isfinite(e) && e > 0);
    /* the error against the reference is the error against the closed form, to the
     * reference's and the states' accuracy */
    cr_expect_leq(fabs(e - e0), 1e-12 * e0 + 1e-12, "%s: %g vs %g", adeis_quantity_names[q], e,
                  e0);
    /* the gradient itself: the oracle states of the forward solve equal the flow's */
    cr_expect_leq(rel_dist(masked.grad[q], exact.grad[q]), 1e-12);
  }
  adeis_grad_result_clear(&masked);
  adeis_grad_result_clear(&exact);
  adeis_problem_clear(&pb);
  adeis_problem_clear(&plain);
  adeis_problem_spec_clear(&spec);
}

/* Without the problem's source a model without a flow has no oracle states: bad input. */
Test(reference, oracle_without_flow_or_source_is_refused)
{
  adeis_problem_spec spec;
  adeis_problem pb;
  load(&spec, &pb);
  mask_capabilities(&pb);
  adeis_grad_request rq;
  request(&rq, NULL, "adjdeis-1", 8);
  adeis_grad_result res;
  cr_expect_eq(adeis_grad_compute(&pb, &rq, &res), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "oracle") != NULL, "%s", adeis_errmsg());
  adeis_grad_result_clear(&res);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&spec);
}

/* SDE: the reference runs at the reference precision on the same Brownian path. A run on the
 * reference's finest grid (rk4-lambda, 256 steps) repeats the reference's finest level at a
 * lower precision: the two agree to the run's precision, which they could not if the path
 * differed between precisions or grids. dL/dx_T has an exact value along any path (G at the
 * path's own x_0): on the finest grid it differs from the reference by the adjoint's own
 * error only, on a 64-step grid by the path's O(h) error in x_0 as well. */
static void sde_run(const adeis_problem_spec *spec, const adeis_problem *pb, size_t steps,
                    double *vs_grad, double *vs_exact)
{
  adeis_grad_request rq;
  request(&rq, spec, "rk4-lambda", steps);
  rq.sde = 1;
  rq.state = ADEIS_STATE_CACHED;
  rq.want_reference = 1;
  rq.ref_max_steps = 256;
  adeis_grad_result res;
  cr_assert_eq(adeis_grad_compute(pb, &rq, &res), 0, "%s", adeis_errmsg());
  cr_assert_eq(res.reference_steps, 256);
  cr_assert_not_null(res.exact[ADEIS_Q_X_T]);
  cr_assert_null(res.exact[ADEIS_Q_THETA]);
  cr_assert_not_null(res.reference[ADEIS_Q_THETA]);
  *vs_grad = 0;
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    *vs_grad = fmax(*vs_grad, rel_dist(res.reference[q], res.grad[q]));
  *vs_exact = rel_dist(res.reference[ADEIS_Q_X_T], res.exact[ADEIS_Q_X_T]);
  adeis_grad_result_clear(&res);
}

Test(reference, sde_reference_reads_the_same_brownian_path)
{
  adeis_problem_spec spec;
  adeis_problem pb;
  load(&spec, &pb);
  double same_grad, same_exact, coarse_grad, coarse_exact;
  sde_run(&spec, &pb, 256, &same_grad, &same_exact);
  sde_run(&spec, &pb, 64, &coarse_grad, &coarse_exact);
  cr_log_info("SDE: reference vs run on the finest grid %g (x_T vs exact %g); on 64 steps %g "
              "(x_T vs exact %g)", same_grad, same_exact, coarse_grad, coarse_exact);
  cr_expect_leq(same_grad, 1e-30, "finest grid: reference vs run %g", same_grad);
  cr_expect_leq(same_exact, 1e-6, "finest grid: x_T reference vs exact %g", same_exact);
  cr_expect_geq(coarse_exact, 1e3 * same_exact, "64 steps: %g vs %g", coarse_exact, same_exact);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&spec);
}

/* The cache key covers the files a problem file reads vectors from (`key = @FILE`): another
 * content is another entry, and an unreadable one means no cache (never a stale entry). */
Test(reference, cache_key_covers_vector_files)
{
  char problem[512], vec[512], a[2200], b[2200], c[2200];
  snprintf(problem, sizeof problem, "%s/vec.ini", tmpdir);
  snprintf(vec, sizeof vec, "%s/x.f64", tmpdir);
  FILE *fp = fopen(problem, "w");
  cr_assert_not_null(fp);
  fputs("[start]\nx_T = @x.f64   ; from a file\n", fp);
  fclose(fp);
  adeis_problem_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.path = problem;
  adeis_reference_request q;
  memset(&q, 0, sizeof q);
  q.spec = &spec;
  q.precision = PREC;
  double v[2] = {0.7, -0.4};
  for (int k = 0; k < 2; k++) {
    fp = fopen(vec, "wb");
    cr_assert_not_null(fp);
    cr_assert_eq(fwrite(v, sizeof v, 1, fp), 1);
    fclose(fp);
    cr_assert_eq(adeis_reference_cache_path(&q, k ? b : a, sizeof a), 0);
    v[1] = -0.5;
  }
  cr_expect_str_neq(a, b, "the vector file's bytes are not in the key");
  cr_assert_eq(adeis_reference_cache_path(&q, c, sizeof c), 0);
  cr_expect_str_eq(b, c, "the key is not a function of the bytes");
  cr_assert_eq(remove(vec), 0);
  cr_expect_eq(adeis_reference_cache_path(&q, c, sizeof c), -1);
}

/* Oracle states of a model without a flow at every kind of time a method asks for: stage
 * nodes in lambda (adjdeis-2s, dopri5-lambda), in t (rk4-t), and the adaptive GSL steppers'
 * times, unknown in advance (double): the gradient equals the one with the exact flow. */
Test(reference, solved_states_serve_every_method)
{
  static const struct {
    const char *method;
    long prec;
  } cases[] = {{"adjdeis-2s", PREC}, {"dopri5-lambda", PREC}, {"rk4-t", PREC}, {"gsl-rkf45", 53}};
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    adeis_problem_spec spec;
    adeis_problem pb, plain;
    char path[512];
    snprintf(path, sizeof path, "%s/worked.ini", tmpdir);
    cr_assert_eq(adeis_problem_load(path, &spec), 0);
    cr_assert_eq(adeis_problem_build(&spec, cases[k].prec, &pb), 0);
    cr_assert_eq(adeis_problem_build(&spec, cases[k].prec, &plain), 0);
    mask_capabilities(&pb);
    adeis_grad_request rq;
    request(&rq, &spec, cases[k].method, 16);
    rq.precision = cases[k].prec;
    rq.ref_max_steps = 4096;
    adeis_grad_result masked, exact;
    cr_assert_eq(adeis_grad_compute(&pb, &rq, &masked), 0, "%s: %s", cases[k].method,
                 adeis_errmsg());
    cr_assert_eq(adeis_grad_compute(&plain, &rq, &exact), 0, "%s", adeis_errmsg());
    double tol = cases[k].prec == 53 ? 1e-12 : 1e-11;
    for (int q = 0; q < ADEIS_Q_COUNT; q++) {
      double d = rel_dist(masked.grad[q], exact.grad[q]);
      cr_expect_leq(d, tol, "%s %s: %g", cases[k].method, adeis_quantity_names[q], d);
    }
    adeis_grad_result_clear(&masked);
    adeis_grad_result_clear(&exact);
    adeis_problem_clear(&pb);
    adeis_problem_clear(&plain);
    adeis_problem_spec_clear(&spec);
  }
}

/* The problem file's [reference] section: guard_bits = 0 in a double run solves the reference
 * in double (53-bit values, the double backend), max_steps bounds its finest level; the double
 * reference agrees with the closed form within its own estimate. Without the section the
 * reference of a double run is at 53 + 64 bits. */
Test(reference, problem_file_sets_double_reference_and_bound)
{
  char path[512];
  snprintf(path, sizeof path, "%s/double-ref.ini", tmpdir);
  FILE *fp = fopen(path, "w");
  cr_assert_not_null(fp);
  fputs("[problem]\ntype = gaussian\ndim = 3\nmean = 0.5 -1 2\nvar = 0.04 1 0.25\n"
        "[schedule]\nname = vp-linear\nt_end = 1e-3\nT = 1\n"
        "[loss]\ntype = quadratic\ntarget = 0.3 0.1 -0.2\n"
        "[start]\nx_T = 0.7 -0.4 1.1\n"
        "[reference]\nguard_bits = 0\nmax_steps = 256\n", fp);
  fclose(fp);
  adeis_problem_spec spec, plain;
  adeis_problem pb;
  cr_assert_eq(adeis_problem_load(path, &spec), 0, "%s", adeis_errmsg());
  cr_assert_eq(adeis_problem_build(&spec, 53, &pb), 0, "%s", adeis_errmsg());
  adeis_reference_request q = {.spec = &spec, .precision = 53, .grid = ADEIS_GRID_UNIFORM_LAMBDA};
  cr_expect_eq(adeis_reference_request_precision(&q), 53);
  cr_expect_eq(adeis_reference_max_steps(&q), 256);
  snprintf(path, sizeof path, "%s/worked.ini", tmpdir);
  cr_assert_eq(adeis_problem_load(path, &plain), 0, "%s", adeis_errmsg());
  q.spec = &plain;
  cr_expect_eq(adeis_reference_request_precision(&q), 53 + ADEIS_REF_GUARD_BITS);
  cr_expect_eq(adeis_reference_max_steps(&q), ADEIS_REF_MAX_STEPS);
  adeis_grad_request rq;
  request(&rq, &spec, "adjdeis-2m", 16);
  rq.precision = 53;
  rq.ref_tol = 1e-30; /* unreachable in double: the bound stops the levels */
  rq.want_reference = 1;
  adeis_grad_result res;
  cr_assert_eq(adeis_grad_compute(&pb, &rq, &res), 0, "%s", adeis_errmsg());
  cr_expect_eq(res.reference_steps, 256);
  for (int q2 = 0; q2 < ADEIS_Q_COUNT; q2++) {
    cr_assert_not_null(res.reference[q2]);
    double actual = rel_dist(res.reference[q2], res.exact[q2]);
    double est = mpfr_get_d(res.reference_error[q2], RND);
    cr_log_info("%s: double reference vs closed form %g, estimate %g", adeis_quantity_names[q2],
                actual, est);
    cr_expect_leq(actual, est, "%s: actual %g > estimate %g", adeis_quantity_names[q2], actual,
                  est);
    cr_expect_leq(est, 1e-6, "%s: estimate %g: not converged", adeis_quantity_names[q2], est);
  }
  adeis_grad_result_clear(&res);
  adeis_reference ref;
  q.spec = &spec;
  q.tol = 1e-30;
  q.dims[0] = q.dims[1] = q.dims[2] = 3;
  cr_assert_eq(adeis_reference_compute(&q, &ref), 0, "%s", adeis_errmsg());
  cr_expect_eq(ref.prec, 53);
  cr_expect_eq(mpfr_get_prec(ref.value[ADEIS_Q_X_T][0]), 53);
  adeis_reference_clear(&ref);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&spec);
  adeis_problem_spec_clear(&plain);
}

/* The cache key covers the files the model's [problem] keys name (a network's `weights`):
 * other weights under the same file name are another entry, never the old weights' reference. */
Test(reference, cache_key_covers_weights_files)
{
  char problem[512], weights[512], a[2200], b[2200];
  snprintf(problem, sizeof problem, "%s/net.ini", tmpdir);
  snprintf(weights, sizeof weights, "%s/w.safetensors", tmpdir);
  FILE *fp = fopen(problem, "w");
  cr_assert_not_null(fp);
  fputs("[problem]\ntype = network\nweights = w.safetensors\n", fp);
  fclose(fp);
  static const adeis_key keys[] = {{"weights", ADEIS_KEY_PATH, 0, NULL}};
  adeis_param v[1];
  memset(v, 0, sizeof v);
  v[0].word = weights;
  v[0].line = 3;
  adeis_problem_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.path = problem;
  spec.model.keys = keys;
  spec.model.n_keys = 1;
  spec.model.v = v;
  adeis_reference_request q;
  memset(&q, 0, sizeof q);
  q.spec = &spec;
  q.precision = PREC;
  for (int k = 0; k < 2; k++) {
    fp = fopen(weights, "wb");
    cr_assert_not_null(fp);
    fputs(k ? "weights, trained further" : "weights as first shipped", fp);
    fclose(fp);
    cr_assert_eq(adeis_reference_cache_path(&q, k ? b : a, sizeof a), 0);
  }
  cr_expect_str_neq(a, b, "the weights file's bytes are not in the key");
  cr_assert_eq(remove(weights), 0);
  cr_expect_eq(adeis_reference_cache_path(&q, a, sizeof a), -1, "unreadable weights: no cache");
}

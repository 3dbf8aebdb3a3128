#define _XOPEN_SOURCE 700 /* nftw */
/* Studies with a truth (studies/truth.h, docs/studies.md "Model against solver"): the
 * study-file checks, and the total, model and solver errors against independent answers:
 * a problem measured against itself (model error 0, total = solver exactly, both equal to the
 * driver's own relative error) and two Gaussians with exact gradients (the three errors from
 * the driver's gradients, computed here in double). */
#include "../core/status.h"
#include "../plots/report.h"
#include "../studies/files.h"
#include "../studies/runner.h"
#include "../studies/study.h"
#include "../studies/truth.h"

#include "scratch.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The worked example (docs/math.md section 11), and a second Gaussian with the same state,
 * schedule, loss and x_T but another mean and variance. */
#define GAUSS_TAIL                                                                               \
  "[schedule]\nname = vp-linear\nt_end = 1e-3\nT = 1\n[loss]\ntype = quadratic\n"            \
  "target = 0.3 0.1 -0.2\n[start]\nx_T = 0.7 -0.4 1.1\nnoise_seed = 7\n"
static const char gauss_a[] = "[problem]\ntype = gaussian\ndim = 3\nmean = 0.5 -1 2\n"
                              "var = 0.04 1 0.25\n" GAUSS_TAIL;
static const char gauss_b[] = "[problem]\ntype = gaussian\ndim = 3\nmean = 0.45 -1 2.1\n"
                              "var = 0.05 1 0.25\n" GAUSS_TAIL;

/* A 2-d Gaussian and a 2-d mixture sharing schedule, loss and x_T. */
#define TAIL_2D                                                                                  \
  "[schedule]\nname = vp-linear\nt_end = 1e-3\nT = 1\n[loss]\ntype = quadratic\n"            \
  "target = 0.5 0.5\n[start]\nx_T = 0.3 -0.8\n"
static const char gauss_2d[] = "[problem]\ntype = gaussian\ndim = 2\nmean = 0 0\nvar = 1 1\n"
                               TAIL_2D;
static const char gmm_2d[] = "[problem]\ntype = gmm\ndim = 2\ncomponents = 2\nmeans = -1 0\n"
                             " 1 1\nvar = 0.3 0.2\n 0.25 0.4\nlogits = 0 0.5\n" TAIL_2D;

static void scratch_make(void)
{
  scratch_make_tagged("truth");
}

static void put(const char *rel, const char *text)
{
  char *p = path_of(rel), *slash = strrchr(p, '/');
  *slash = '\0';
  cr_assert_eq(adeis_mkdir_p(p), 0);
  *slash = '/';
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f, "%s", p);
  fputs(text, f);
  fclose(f);
  free(p);
}

static char *slurp_rel(const char *rel)
{
  char *p = path_of(rel), *t = NULL;
  size_t n;
  if (adeis_file_read(p, &t, &n))
    t = NULL;
  free(p);
  return t;
}

TestSuite(truth, .init = scratch_make, .fini = scratch_remove);

/* ---- the study file ---- */


#define HEAD "[study]\nproblem = p/a.ini\nprecision = 53\n"
#define REST "steps = 8 16\n[methods]\nadjdeis-1 = 1\n"

Test(truth, study_file_errors)
{
  put("p/a.ini", gauss_a);
  put("p/b.ini", gauss_b);
  put("p/g2.ini", gauss_2d);
  put("p/m2.ini", gmm_2d);
  put("q/a.ini", gauss_a);
  char t[1024];
  load_fails(HEAD "truth = p/b.ini p/a.ini\n" REST, "s.ini:4: study.truth: expected one problem "
             "file", NULL);
  load_fails(HEAD "truth =\n" REST, "s.ini:4: study.truth: expected one problem file", NULL);
  load_fails(HEAD "truth = p/none.ini\n" REST, "s.ini:4: study.truth: cannot use 'p/none.ini'",
             "none.ini:0: file: cannot open");
  load_fails(HEAD "truth = p/b.txt\n" REST, "s.ini:4: study.truth: 'p/b.txt': expected a file "
             "named NAME.ini", NULL);
  load_fails(HEAD "truth = q/a.ini\n" REST, "s.ini:4: study.truth: ", "another file of the "
             "problem's name a.ini");
  load_fails(HEAD "reference_steps = 1024\n" REST, "s.ini:4: study.reference_steps: only with "
             "study.truth", NULL);
  load_fails(HEAD "truth = p/b.ini\nreference_steps = 100\n" REST,
             "s.ini:5: study.reference_steps: expected the bound", "'100'");
  load_fails(HEAD "truth = p/b.ini\nreference_steps = lots\n" REST,
             "s.ini:5: study.reference_steps:", "'lots'");
  load_fails(HEAD "truth = p/b.ini\ntruth = p/a.ini\n" REST, "s.ini:5: study.truth: given twice",
             NULL);
  load_fails("[study]\nproblem = p/a.ini p/b.ini\nprecision = 53\ntruth = p/b.ini\n" REST,
             "s.ini:2: study.problem: a study with a truth measures one problem, got 2", NULL);
  load_fails("[study]\nproblem = p/a.ini\nprecision = 53 256\ntruth = p/b.ini\n" REST,
             "s.ini:3: study.precision: a study with a truth measures one precision, got 2",
             NULL);
  load_fails(HEAD "grid = uniform-t uniform-lambda\ntruth = p/b.ini\n" REST,
             "s.ini:4: study.grid: a study with a truth measures one grid, got 2", NULL);
  /* what the gradients depend on must agree */
  load_fails(HEAD "truth = p/g2.ini\n" REST, "s.ini:4: study.truth: g2.ini has state dimension 2, "
             "the problem a.ini 3; expected the same dimension", NULL);
  snprintf(t, sizeof t, "%.*s", (int)(strstr(gauss_b, "x_T") - gauss_b), gauss_b);
  put("p/x.ini", strcat(t, "x_T = 0.7 -0.4 1.2\nnoise_seed = 7\n"));
  load_fails(HEAD "truth = p/x.ini\n" REST, "s.ini:4: study.truth: x.ini and the problem a.ini "
             "differ in their x_T; expected the same", NULL);
  snprintf(t, sizeof t, "%s", gauss_b);
  memcpy(strstr(t, "0.3 0.1"), "0.4 0.1", 7);
  put("p/l.ini", t);
  load_fails(HEAD "truth = p/l.ini\n" REST, "s.ini:4: study.truth: l.ini and the problem a.ini "
             "differ in their loss (type and target)", NULL);
  snprintf(t, sizeof t, "%s", gauss_b);
  memcpy(strstr(t, "t_end = 1e-3"), "t_end = 2e-3", 12);
  put("p/e.ini", t);
  load_fails(HEAD "truth = p/e.ini\n" REST, "s.ini:4: study.truth: e.ini and the problem a.ini "
             "differ in their schedule", NULL);
  snprintf(t, sizeof t, "%s", gauss_b);
  memcpy(strstr(t, "T = 1\n"), "T = 2\n", 6);
  put("p/c.ini", t);
  load_fails(HEAD "truth = p/c.ini\n" REST, "differ in their schedule", NULL);
  /* a Gaussian's z and theta are not a mixture's */
  load_fails("[study]\nproblem = p/g2.ini\nprecision = 53\ntruth = p/m2.ini\nquantities = x_T z\n"
             REST, "s.ini:5: study.quantities: z is not comparable between g2.ini (a gaussian "
             "model, ", "and the truth m2.ini (a gmm model, 2 numbers); expected x_T only");
  load_fails("[study]\nproblem = p/g2.ini\nprecision = 53\ntruth = p/m2.ini\n" REST,
             "s.ini:4: study.quantities: z is not comparable", NULL);
}

Test(truth, study_file_accepted)
{
  put("p/g2.ini", gauss_2d);
  put("p/m2.ini", gmm_2d);
  put("s.ini", "[study]\nproblem = p/g2.ini\nprecision = 53\ntruth = p/m2.ini\n"
               "reference_steps = 256\nquantities = x_T\n" REST);
  char *path = path_of("s.ini");
  adeis_study s;
  cr_assert_eq(adeis_study_load(path, &s), 0, "%s", adeis_errmsg());
  cr_expect_str_eq(s.truth->name, "m2");
  cr_expect_str_eq(s.truth_name, "vs-m2");
  cr_expect_eq(s.reference_steps, 256);
  adeis_study_clear(&s);
  free(path);
}

Test(truth, cli_mismatch_exits_2)
{
  const char *bin = getenv("ADEIS_BIN");
  if (!bin || !*bin)
    cr_skip_test("ADEIS_BIN is not set (run the CLI tests with make check)");
  put("p/a.ini", gauss_a);
  put("p/g2.ini", gauss_2d);
  put("s.ini", HEAD "truth = p/g2.ini\n" REST);
  char *study = path_of("s.ini"), *out = path_of("out"), *err = path_of("err.txt");
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (e < 0)
      _exit(126);
    dup2(e, 2);
    execl(bin, bin, "study", study, "-o", out, "--quiet", (char *)NULL);
    _exit(127);
  }
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 2);
  char *msg = slurp_rel("err.txt");
  cr_assert_not_null(msg);
  cr_expect(strstr(msg, "s.ini:4: study.truth: g2.ini has state dimension 2") != NULL, "%s", msg);
  cr_expect(access(out, F_OK) != 0, "an output folder was made for a refused study");
  free(msg);
  free(study);
  free(out);
  free(err);
}

/* ---- the three errors ---- */

static void run_study(const char *text, int render)
{
  put("s.ini", text);
  char *path = path_of("s.ini"), *dir = path_of("out");
  adeis_study s;
  cr_assert_eq(adeis_study_load(path, &s), 0, "%s", adeis_errmsg());
  adeis_run_opts o;
  adeis_run_opts_init(&o);
  o.dir = dir;
  o.threads = 2;
  o.quiet = 1;
  o.render = render;
  adeis_study_outcome out;
  cr_assert_eq(adeis_study_run(&s, &o, &out), 0, "%s", adeis_errmsg());
  adeis_study_outcome_clear(&out);
  adeis_study_clear(&s);
  free(path);
  free(dir);
}

static size_t rows_of(const char *text)
{
  size_t n = 0;
  for (const char *p = strchr(text, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
    n++;
  return n;
}

/* The gradient of a problem file (rel) at N steps of adjdeis-1 in double, and its exact value. */
static void gradients(const char *rel, size_t steps, int q, double *g, double *exact, size_t *n)
{
  char *path = path_of(rel);
  adeis_problem_spec spec;
  cr_assert_eq(adeis_problem_load(path, &spec), 0, "%s", adeis_errmsg());
  adeis_problem pb;
  cr_assert_eq(adeis_problem_build(&spec, 53, &pb), 0);
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = "adjdeis-1";
  rq.precision = 53;
  rq.steps = steps;
  rq.state = ADEIS_STATE_CACHED;
  adeis_grad_result res;
  cr_assert_eq(adeis_grad_compute(&pb, &rq, &res), 0, "%s", adeis_errmsg());
  cr_assert_not_null(res.exact[q]);
  *n = res.grad[q]->n;
  for (size_t i = 0; i < *n; i++) {
    g[i] = adeis_vec_get_d(res.grad[q], i);
    exact[i] = adeis_vec_get_d(res.exact[q], i);
  }
  adeis_grad_result_clear(&res);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&spec);
  free(path);
}

static double dist(const double *x, const double *y, size_t n)
{
  long double s = 0;
  for (size_t i = 0; i < n; i++) {
    long double d = (long double)x[i] - (y ? y[i] : 0);
    s += d * d;
  }
  return (double)sqrtl(s);
}

#define STUDY_OPEN "[study]\nname = t\nprecision = 53\nstate = cached\nsteps = 8 16 32\n"

/* Measured against itself: the model error is 0 and total = solver to the last bit, each the
 * driver's own |g_N - g_exact| / |g_exact|. */
Test(truth, a_problem_against_itself)
{
  put("p/a.ini", gauss_a);
  run_study(STUDY_OPEN "problem = p/a.ini\ntruth = p/a.ini\n[methods]\nadjdeis-1 = 1\n", 0);
  char *split = slurp_rel("out/split.csv"), *errors = slurp_rel("out/errors.csv");
  cr_assert_not_null(split);
  cr_assert_not_null(errors);
  cr_expect(strncmp(split, "problem,truth,method,grid,state,precision,sde,steps,quantity,total,"
                           "model,solver\n", 78) == 0);
  cr_assert_eq(rows_of(split), 3 * 3);
  cr_assert_eq(rows_of(errors), 3 * 2 * 3);
  const size_t steps[] = {8, 16, 32};
  for (size_t row = 0; row < 9; row++) {
    char total[64], model[64], solver[64], key[64];
    csv_field(split, row, 9, total, sizeof total);
    csv_field(split, row, 10, model, sizeof model);
    csv_field(split, row, 11, solver, sizeof solver);
    csv_field(split, row, 0, key, sizeof key);
    cr_expect_str_eq(key, "a");
    cr_expect_str_eq(model, "0.00000000000000000e+00", "row %zu", row);
    cr_expect_str_eq(total, solver, "row %zu", row);
    /* errors.csv: the solver row, then the total row "vs-a", of the same point */
    size_t point = row / 3, qi = row % 3;
    char e1[64], e2[64], name[64];
    csv_field(errors, point * 6 + qi, 8, e1, sizeof e1);
    csv_field(errors, point * 6 + 3 + qi, 8, e2, sizeof e2);
    csv_field(errors, point * 6 + 3 + qi, 0, name, sizeof name);
    cr_expect_str_eq(e1, solver);
    cr_expect_str_eq(e2, total);
    cr_expect_str_eq(name, "vs-a");
    double g[8], ex[8];
    size_t n;
    gradients("p/a.ini", steps[point], (int)qi, g, ex, &n);
    double want = dist(g, ex, n) / dist(ex, NULL, n);
    cr_expect(fabs(strtod(solver, NULL) - want) <= 1e-13 * want, "row %zu: %s, want %.17e", row,
              solver, want);
  }
  char *md = slurp_rel("out/split.md");
  cr_assert_not_null(md);
  cr_expect(strstr(md, "| adjdeis-1 | cached | not for N <= 32 | not for N <= 32 |") != NULL, "%s", md);
  char *lines = slurp_rel("out/hlines.csv");
  cr_expect(strstr(lines, "quantity,value,label\nx_T,0.00000000000000000e+00,model error "
                          "(converged a against a)\n") == lines, "%s", lines);
  free(lines);
  free(md);
  free(split);
  free(errors);
}

/* Two Gaussians: every error from the exact gradients and the computed one, here in double;
 * the figure draws the model error as a line. */
Test(truth, two_gaussians)
{
  put("p/a.ini", gauss_a);
  put("p/b.ini", gauss_b);
  run_study(STUDY_OPEN "problem = p/a.ini\ntruth = p/b.ini\n[methods]\nadjdeis-1 = 1\n", 1);
  char *split = slurp_rel("out/split.csv");
  cr_assert_not_null(split);
  const size_t steps[] = {8, 16, 32};
  double model_x = 0;
  for (size_t row = 0; row < 9; row++) {
    size_t point = row / 3;
    int q = (int)(row % 3);
    double g[8], ea[8], gb[8], eb[8];
    size_t n, nb;
    gradients("p/a.ini", steps[point], q, g, ea, &n);
    gradients("p/b.ini", 8, q, gb, eb, &nb);
    cr_assert_eq(n, nb);
    double norm = dist(eb, NULL, n);
    double want[3] = {dist(g, eb, n) / norm, dist(ea, eb, n) / norm, dist(g, ea, n) / norm};
    char buf[64];
    for (int k = 0; k < 3; k++) {
      double got = csv_field(split, row, 9 + (size_t)k, buf, sizeof buf);
      cr_expect(fabs(got - want[k]) <= 1e-12 * want[k], "row %zu column %d: %.17e, want %.17e",
                row, 9 + k, got, want[k]);
    }
    cr_expect_gt(want[1], 1e-3); /* the two models do differ */
    if (q == ADEIS_Q_X_T)
      model_x = want[1];
  }
  /* the figure: the line at the model error, and its legend entry */
  char *gp = slurp_rel("out/convergence.gp"), want[64];
  cr_assert_not_null(gp);
  snprintf(want, sizeof want, "%.6e with lines lc rgb '#000000' dt 2", model_x);
  cr_expect(strstr(gp, want) != NULL, "no line '%s' in convergence.gp", want);
  cr_expect(strstr(gp, "title (tex ? 'model error (converged a against b)'") != NULL);
  free(gp);
  free(split);
}

/* The N where the solver stops mattering: from there on every solver error is below the
 * model error. */
Test(truth, crossing)
{
  const double e[] = {1, 0.5, 0.05, 0.2, 0.01, 0.001};
  cr_expect_eq(adeis_truth_crossing(e, 6, 0.1), 4);
  cr_expect_eq(adeis_truth_crossing(e, 6, 2), 0);
  cr_expect_eq(adeis_truth_crossing(e, 6, 1e-4), 6);
  cr_expect_eq(adeis_truth_crossing(e, 6, 0.01), 5); /* below, not equal */
  cr_expect_eq(adeis_truth_crossing(e, 6, 0), 6);
}

/* hlines.csv as the plots read it. */
Test(truth, hlines_file)
{
  adeis_report_series_set none = {0};
  adeis_report_study st;
  put("d/hlines.csv", "quantity,value,label\nx_T,1.5e-2,model error\ntheta,2,other, with comma\n");
  char *dir = path_of("d");
  cr_assert_eq(adeis_report_study_read(&st, dir, &none), 0, "%s", adeis_errmsg());
  cr_assert_eq(st.n_hlines, 2);
  cr_expect_eq(st.hline_q[0], ADEIS_REPORT_X_T);
  cr_expect_eq(st.hline_value[0], 1.5e-2);
  cr_expect_str_eq(st.hline_label[1], "other, with comma");
  adeis_report_study_free(&st);
  put("d/hlines.csv", "quantity,value\n");
  cr_expect_eq(adeis_report_study_read(&st, dir, &none), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "hlines.csv:1: header: expected 'quantity,value,label'"),
            "%s", adeis_errmsg());
  adeis_report_study_free(&st);
  put("d/hlines.csv", "quantity,value,label\nx,1,a\n");
  cr_expect_eq(adeis_report_study_read(&st, dir, &none), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "hlines.csv:2: quantity: expected x_T, z or theta"), "%s",
            adeis_errmsg());
  adeis_report_study_free(&st);
  put("d/hlines.csv", "quantity,value,label\nz,lots,a\n");
  cr_expect_eq(adeis_report_study_read(&st, dir, &none), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "hlines.csv:2: value: expected a number"), "%s",
            adeis_errmsg());
  adeis_report_study_free(&st);
  free(dir);
}

/* Study files and the study runner: parser errors with file:line: key, errors.csv against
 * adeis_grad_compute, resume (after deleted, corrupt or stale points and after a kill),
 * -j independence, adeis check's exit codes, nothing written outside DIR, unwritable DIR.
 * make check sets ADEIS_BIN (the built program) and ADEIS_ROOT (the repository). */
#define _XOPEN_SOURCE 700 /* nftw */
#define _DEFAULT_SOURCE   /* flock */
#include "../core/status.h"
#include "../studies/files.h"
#include "../studies/runner.h"
#include "../studies/study.h"

#include "scratch.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The worked example (docs/math.md section 11) as a problem file, independent of problems/. */
static const char problem_ini[] = "[problem]\ntype = gaussian\ndim = 3\nmean = 0.5 -1 2\n"
                                  "var = 0.04 1 0.25\n[schedule]\nname = vp-linear\n"
                                  "t_end = 1e-3\nT = 1\n[loss]\ntype = quadratic\n"
                                  "target = 0.3 0.1 -0.2\n[start]\nx_T = 0.7 -0.4 1.1\n"
                                  "noise_seed = 7\n";

/* ---- a scratch folder per test ---- */

static void scratch_make(void)
{
  scratch_make_tagged("study");
}

/* scratch/rel, written with text (folders made as needed). */
static const char *put(const char *rel, const char *text)
{
  static char path[4][512];
  static int k;
  char *p = path[k++ % 4];
  snprintf(p, 512, "%s/%s", scratch, rel);
  char *slash = strrchr(p, '/');
  *slash = '\0';
  cr_assert_eq(adeis_mkdir_p(p), 0);
  *slash = '/';
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f, "%s", p);
  fputs(text, f);
  fclose(f);
  return p;
}

static char *slurp(const char *path)
{
  char *t;
  size_t n;
  if (adeis_file_read(path, &t, &n))
    return NULL;
  return t;
}

static char *slurp_rel(const char *rel)
{
  char *p = path_of(rel), *t = slurp(p);
  free(p);
  return t;
}

/* Drop the last field of every line (the seconds column). */
static char *mask_seconds(const char *text)
{
  char *m = malloc(strlen(text) + 1), *o = m;
  const char *line = text;
  while (*line) {
    const char *nl = strchr(line, '\n'), *end = nl ? nl : line + strlen(line);
    const char *comma = end;
    while (comma > line && *comma != ',')
      comma--;
    const char *cut = comma > line ? comma : end;
    memcpy(o, line, (size_t)(cut - line));
    o += cut - line;
    if (nl)
      *o++ = '\n';
    line = nl ? nl + 1 : end;
  }
  *o = '\0';
  return m;
}

static void expect_same_masked(const char *a, const char *b, const char *what)
{
  char *ma = mask_seconds(a), *mb = mask_seconds(b);
  cr_expect_str_eq(ma, mb, "%s differ (seconds masked)", what);
  free(ma);
  free(mb);
}

/* ---- running the program ---- */

static const char *adeis_bin(void)
{
  const char *bin = getenv("ADEIS_BIN");
  if (!bin || !*bin)
    cr_skip_test("ADEIS_BIN is not set (run the CLI tests with make check)");
  return bin;
}

static pid_t spawn(const char *cwd, const char *const args[], const char *out, const char *err)
{
  const char *bin = adeis_bin();
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    const char *argv[32] = {bin};
    for (size_t i = 0; args[i] && i < 30; i++)
      argv[i + 1] = args[i];
    int in = open("/dev/null", O_RDONLY), o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
        e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || o < 0 || e < 0 || (cwd && chdir(cwd)))
      _exit(126);
    dup2(in, 0);
    dup2(o, 1);
    dup2(e, 2);
    alarm(120);
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  return pid;
}

typedef struct run_result {
  int code;
  char *out, *err;
} run_result;

/* Run adeis with args in cwd (NULL = here); stdout and stderr go to /tmp files outside scratch. */
static run_result run_in(const char *cwd, const char *const args[])
{
  char out[] = "/tmp/adeis-study-out-XXXXXX", err[] = "/tmp/adeis-study-err-XXXXXX";
  close(mkstemp(out));
  close(mkstemp(err));
  pid_t pid = spawn(cwd, args, out, err);
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  run_result r = {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(out),
                  slurp(err)};
  unlink(out);
  unlink(err);
  cr_expect(strstr(r.err, "Sanitizer") == NULL && strstr(r.err, "runtime error") == NULL,
            "sanitizer report:\n%s", r.err);
  return r;
}

static void run_free(run_result *r)
{
  free(r->out);
  free(r->err);
}

/* ---- parser errors ---- */


#define HEAD "[study]\nproblem = p/g.ini\n"
#define STEPS "steps = 8 16\n"
#define METHODS "[methods]\nadjdeis-1 = 1\n"

TestSuite(study, .init = scratch_make, .fini = scratch_remove);

Test(study, parser_errors)
{
  put("p/g.ini", problem_ini);
  put("p/bad.ini", "[problem]\ndim = x\n");
  load_fails("[study]\nproblem = p/g.ini\nsteps = 8 16\n[method]\nadjdeis-1 = 1\n",
             "s.ini:4: file: unknown section [method]", NULL);
  load_fails(HEAD "step = 8 16\n" METHODS, "s.ini:3: study.step: unknown key", NULL);
  load_fails(HEAD STEPS "[methods]\nadjdeis-9 = 1\n", "s.ini:5: methods.adjdeis-9: unknown method",
             NULL);
  load_fails(HEAD "steps =\n" METHODS, "s.ini:3: study.steps: expected at least one value", NULL);
  load_fails(HEAD "steps = 16 8\n" METHODS, "s.ini:3: study.steps: expected strictly increasing",
             NULL);
  load_fails(HEAD "steps = 8 8\n" METHODS, "s.ini:3: study.steps:", NULL);
  load_fails(HEAD "steps = 0 8\n" METHODS, "s.ini:3: study.steps: expected step counts", NULL);
  load_fails(HEAD "steps = 8 10000001\n" METHODS, "s.ini:3: study.steps: expected step counts",
             "10000001");
  load_fails(HEAD "steps = 8 1e3\n" METHODS, "s.ini:3: study.steps:", NULL);
  load_fails("[study]\nproblem = p/none.ini\n" STEPS METHODS,
             "s.ini:2: study.problem: cannot use 'p/none.ini'", "none.ini:0: file: cannot open");
  load_fails("[study]\nproblem = p/bad.ini\n" STEPS METHODS, "s.ini:2: study.problem:",
             "bad.ini:2: problem.dim");
  load_fails("[study]\n" STEPS METHODS, "s.ini:1: study.problem: missing", NULL);
  load_fails(HEAD "precision = 23\n" STEPS METHODS, "s.ini:3: study.precision: expected", NULL);
  load_fails(HEAD "precision = 256 65537\n" STEPS METHODS, "s.ini:3: study.precision:", "65537");
  load_fails(HEAD "precision = 256 256\n" STEPS METHODS, "s.ini:3: study.precision: '256' listed "
                                                         "twice", NULL);
  load_fails(HEAD "grid = uniform-x\n" STEPS METHODS, "s.ini:3: study.grid: unknown grid 'uniform-x'",
             NULL);
  load_fails(HEAD "state = exact\n" STEPS METHODS, "s.ini:3: study.state: unknown state mode",
             NULL);
  load_fails(HEAD "quantities = x_T mu\n" STEPS METHODS,
             "s.ini:3: study.quantities: unknown quantity 'mu'", NULL);
  load_fails(HEAD STEPS METHODS "[check]\ntolerance = -1\n", "s.ini:7: check.tolerance: expected",
             NULL);
  load_fails(HEAD STEPS METHODS "[check]\ntolerance = abc\n", "s.ini:7: check.tolerance:", NULL);
  load_fails(HEAD STEPS METHODS "[check]\ntolerance = 0\n", "s.ini:7: check.tolerance:", NULL);
  load_fails(HEAD STEPS METHODS "[check]\ntol = 0.1\n", "s.ini:7: check.tol: unknown key", NULL);
  load_fails(HEAD "sde = true\nstate = cached backsolve\nquantities = x_T\n" STEPS METHODS,
             "s.ini:4: study.state: backsolve is not defined for the SDE", NULL);
  load_fails(HEAD "sde = true\nstate = oracle\nquantities = x_T\n" STEPS METHODS,
             "s.ini:4: study.state: oracle is not defined for the SDE", NULL);
  load_fails(HEAD "sde = true\nquantities = x_T\n" STEPS METHODS,
             "s.ini:3: study.sde: the default state oracle", "state = cached");
  put("p/errors.csv", problem_ini);
  load_fails("[study]\nproblem = p/errors.csv\n" STEPS METHODS,
             "s.ini:2: study.problem: 'p/errors.csv': expected a file named NAME.ini", NULL);
  load_fails(HEAD "sde = true\n" STEPS METHODS, "s.ini:3: study.sde: the default state oracle",
             NULL);
  load_fails(HEAD "sde = maybe\n" STEPS METHODS, "s.ini:3: study.sde: expected true or false",
             NULL);
  load_fails(HEAD STEPS "steps = 8\n" METHODS, "s.ini:4: study.steps: given twice (first on line 3)",
             NULL);
  load_fails(HEAD STEPS "[methods]\nadjdeis-1 = one\n", "s.ini:5: methods.adjdeis-1: expected the "
                                                        "expected order", NULL);
  load_fails(HEAD STEPS "[methods]\nadjdeis-1 = 1\nadjdeis-1 = 2\n",
             "s.ini:6: methods: method 'adjdeis-1' given twice", NULL);
  load_fails(HEAD STEPS "[methods]\ngsl-rkf45 = 5\n", "s.ini:5: methods.gsl-rkf45: cannot run", NULL);
  load_fails(HEAD STEPS, "methods: expected at least one", NULL);
  load_fails("[study]\nname = a/b\nproblem = p/g.ini\n" STEPS METHODS,
             "s.ini:2: study.name: expected a folder name", NULL);
  load_fails(HEAD "this is not a key\n" STEPS METHODS, "s.ini:3: file: expected 'key = value'", NULL);
  load_fails("x = 1\n" HEAD STEPS METHODS, "s.ini:1: file: 'x' before any section", NULL);
  load_fails("[methods]\nadjdeis-1 = 1\n", "s.ini:1: study: missing section [study]", NULL);
  load_fails(HEAD "problem = p/g.ini\n" STEPS METHODS, "s.ini:3: study.problem: given twice", NULL);
  load_fails("[study]\nproblem = p/g.ini p/g.ini\n" STEPS METHODS,
             "s.ini:2: study.problem: two problem files named 'g.ini'", NULL);
  adeis_study s;
  cr_expect_eq(adeis_study_load("/nonexistent/s.ini", &s), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "/nonexistent/s.ini:0: file: cannot open") != NULL);
}

Test(study, parse_defaults_and_continuations)
{
  put("p/g.ini", problem_ini);
  const char *path = put("sub/s.ini", "; a study\n[study]\nproblem = ../p/g.ini ; relative to "
                                      "the study file\nsteps = 8 16\n   32 64\n"
                                      "precision = 53 113\n[methods]\nadjdeis-2m = 2\n"
                                      "euler-t=1\n");
  adeis_study s;
  cr_assert_eq(adeis_study_load(path, &s), 0, "%s", adeis_errmsg());
  cr_expect_str_eq(s.name, "s");
  cr_expect_eq(s.n_steps, 4);
  cr_expect_eq(s.steps[3], 64);
  cr_expect_eq(s.n_precisions, 2);
  cr_expect_eq(s.precisions[1], 113);
  cr_expect_eq(s.n_grids, 1);
  cr_expect_eq(s.grids[0], ADEIS_GRID_UNIFORM_LAMBDA);
  cr_expect_eq(s.states[0], ADEIS_STATE_ORACLE);
  cr_expect_eq(s.n_quantities, 3);
  cr_expect_eq(s.sde, 0);
  cr_expect_eq(s.n_methods, 2);
  cr_expect_str_eq(s.methods[1].method->name, "euler-t");
  cr_expect_eq(s.methods[0].expected, 2);
  cr_expect_eq(s.methods[1].line, 9);
  cr_expect(s.tolerance == 0.1);
  cr_expect_str_eq(s.problems[0].name, "g");
  cr_expect_str_eq(s.problems[0].file, "g.ini");
  adeis_study_clear(&s);
}

Test(study, cli_bad_study_exits_2)
{
  put("p/g.ini", problem_ini);
  const char *path = put("s.ini", HEAD "steps = 16 8\n" METHODS);
  run_result r = run_in(NULL, (const char *[]){"study", path, "--quiet", NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  cr_expect(strstr(r.err, "s.ini:3: study.steps:") != NULL, "%s", r.err);
  run_free(&r);
  r = run_in(NULL, (const char *[]){"check", path, NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  run_free(&r);
}

/* ---- running ---- */

static const char small_study[] = "[study]\nname = small\nproblem = p/g.ini\nprecision = 53 256\n"
                                  "steps = 8 16 32 64\n[methods]\nadjdeis-1 = 1\nadjdeis-2m = 2\n";

static void run_small(const char *study_rel, const char *dir_rel, int threads,
                      adeis_study_outcome *out)
{
  char *path = path_of(study_rel), *dir = path_of(dir_rel);
  adeis_study s;
  cr_assert_eq(adeis_study_load(path, &s), 0, "%s", adeis_errmsg());
  adeis_run_opts o;
  adeis_run_opts_init(&o);
  o.dir = dir;
  o.threads = threads;
  o.quiet = 1;
  o.render = 0;
  cr_assert_eq(adeis_study_run(&s, &o, out), 0, "%s", adeis_errmsg());
  adeis_study_clear(&s);
  free(path);
  free(dir);
}

Test(study, errors_match_grad_compute)
{
  put("p/g.ini", problem_ini);
  put("s.ini", small_study);
  adeis_study_outcome out;
  run_small("s.ini", "out", 2, &out);
  cr_expect_eq(out.n_points, 16);
  cr_expect_eq(out.computed, 16);
  cr_expect_eq(out.n_orders, 2 * 2 * 3);
  adeis_study_outcome_clear(&out);
  char *csv = slurp_rel("out/errors.csv");
  cr_assert_not_null(csv);
  cr_expect(strncmp(csv, ADEIS_ERRORS_HEADER "\n", strlen(ADEIS_ERRORS_HEADER) + 1) == 0);
  adeis_problem_spec spec;
  char *pp = path_of("p/g.ini");
  cr_assert_eq(adeis_problem_load(pp, &spec), 0);
  const char *methods[] = {"adjdeis-1", "adjdeis-2m"};
  const long precs[] = {53, 256};
  const size_t steps[] = {8, 16, 32, 64};
  size_t row = 0;
  for (int m = 0; m < 2; m++)
    for (int p = 0; p < 2; p++)
      for (int n = 0; n < 4; n++) {
        adeis_problem pb;
        cr_assert_eq(adeis_problem_build(&spec, precs[p], &pb), 0);
        adeis_grad_request rq;
        adeis_grad_request_init(&rq);
        rq.method = methods[m];
        rq.precision = precs[p];
        rq.steps = steps[n];
        adeis_grad_result res;
        cr_assert_eq(adeis_grad_compute(&pb, &rq, &res), 0);
        for (int q = 0; q < ADEIS_Q_COUNT; q++, row++) {
          char want[64], got[64], key[160], wkey[160];
          snprintf(want, sizeof want, "%.17e", mpfr_get_d(res.rel_error[q], MPFR_RNDN));
          csv_field(csv, row, 8, got, sizeof got);
          cr_expect_str_eq(got, want, "row %zu", row);
          snprintf(wkey, sizeof wkey, "g,%s,uniform-lambda,oracle,%ld,0,%zu,%s,", methods[m],
                   precs[p], steps[n], adeis_quantity_names[q]);
          const char *line = csv;
          for (size_t k = 0; k <= row; k++)
            line = strchr(line, '\n') + 1;
          snprintf(key, sizeof key, "%.*s", (int)strlen(wkey), line);
          cr_expect_str_eq(key, wkey);
          csv_field(csv, row, 9, got, sizeof got);
          cr_expect_eq(strtoul(got, NULL, 10), res.nfe);
          csv_field(csv, row, 10, got, sizeof got);
          cr_expect_eq(strtoul(got, NULL, 10), res.nvjp);
        }
        adeis_grad_result_clear(&res);
        adeis_problem_clear(&pb);
      }
  cr_expect_eq(strchr(csv, '\0') - csv > 0, 1);
  char *ord = slurp_rel("out/orders.csv");
  cr_expect(strncmp(ord, ADEIS_ORDERS_HEADER "\n", strlen(ADEIS_ORDERS_HEADER) + 1) == 0);
  cr_expect(strstr(ord, "\ng,adjdeis-1,uniform-lambda,oracle,53,0,x_T,1,") != NULL, "%s", ord);
  char *copy = slurp_rel("out/g.ini"), *study = slurp_rel("out/study.ini");
  cr_expect_str_eq(copy, problem_ini);
  cr_expect_str_eq(study, small_study);
  free(copy);
  free(study);
  free(ord);
  free(csv);
  free(pp);
  adeis_problem_spec_clear(&spec);
}

/* The file names in dir (sorted, newline-separated). */
static char *listing(const char *rel)
{
  char *p = path_of(rel);
  struct dirent **names;
  int n = scandir(p, &names, NULL, alphasort);
  free(p);
  adeis_sbuf b = {0};
  adeis_sbuf_append(&b, "", 0);
  for (int i = 0; i < n; i++) {
    if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
      adeis_sbuf_printf(&b, "%s\n", names[i]->d_name);
    free(names[i]);
  }
  if (n >= 0)
    free(names);
  return b.s;
}

/* Every point file of a and b, and errors.csv, equal with seconds masked; orders.csv equal. */
static void expect_same_results(const char *a, const char *b)
{
  char pa[256], pb[256];
  snprintf(pa, sizeof pa, "%s/points", a);
  snprintf(pb, sizeof pb, "%s/points", b);
  char *la = listing(pa), *lb = listing(pb);
  cr_expect_str_eq(la, lb);
  for (char *name = la, *nl; (nl = strchr(name, '\n')); name = nl + 1) {
    *nl = '\0';
    char fa[512], fb[512];
    snprintf(fa, sizeof fa, "%s/%s", pa, name);
    snprintf(fb, sizeof fb, "%s/%s", pb, name);
    char *ta = slurp_rel(fa), *tb = slurp_rel(fb);
    expect_same_masked(ta, tb, name);
    free(ta);
    free(tb);
  }
  snprintf(pa, sizeof pa, "%s/errors.csv", a);
  snprintf(pb, sizeof pb, "%s/errors.csv", b);
  char *ea = slurp_rel(pa), *eb = slurp_rel(pb);
  cr_assert(ea && eb);
  expect_same_masked(ea, eb, "errors.csv");
  snprintf(pa, sizeof pa, "%s/orders.csv", a);
  snprintf(pb, sizeof pb, "%s/orders.csv", b);
  char *oa = slurp_rel(pa), *ob = slurp_rel(pb);
  cr_assert(oa && ob);
  cr_expect_str_eq(oa, ob, "orders.csv differ");
  free(la);
  free(lb);
  free(ea);
  free(eb);
  free(oa);
  free(ob);
}

Test(study, threads_do_not_change_results)
{
  put("p/g.ini", problem_ini);
  put("s.ini", small_study);
  adeis_study_outcome o1, o2;
  run_small("s.ini", "j1", 1, &o1);
  run_small("s.ini", "j2", 2, &o2);
  expect_same_results("j1", "j2");
  adeis_study_outcome_clear(&o1);
  adeis_study_outcome_clear(&o2);
}

static void remove_rel(const char *rel)
{
  char *p = path_of(rel);
  cr_expect_eq(unlink(p), 0, "%s", p);
  free(p);
}

Test(study, resume_after_deleted_and_corrupt_points)
{
  put("p/g.ini", problem_ini);
  put("s.ini", small_study);
  adeis_study_outcome out;
  run_small("s.ini", "clean", 2, &out);
  adeis_study_outcome_clear(&out);
  run_small("s.ini", "resumed", 2, &out);
  adeis_study_outcome_clear(&out);
  char *before = slurp_rel("resumed/errors.csv");
  const char *pdir = "resumed/points/";
  remove_rel("resumed/points/g.adjdeis-1.uniform-lambda.oracle.256.ode.32.csv");
  remove_rel("resumed/points/g.adjdeis-2m.uniform-lambda.oracle.53.ode.8.csv");
  remove_rel("resumed/errors.csv");
  char corrupt[256];
  snprintf(corrupt, sizeof corrupt, "%sg.adjdeis-2m.uniform-lambda.oracle.256.ode.64.csv", pdir);
  char *text = slurp_rel(corrupt);
  text[strlen(text) - 20] = '\0'; /* cut the last row short */
  put(corrupt, text);
  free(text);
  /* a temporary file of a run that was killed (its PID has ended) is removed; a user's own
   * .tmp. file and one of a live run are not */
  pid_t dead = fork();
  if (dead == 0)
    _exit(0);
  cr_assert_eq(waitpid(dead, NULL, 0), dead);
  char stale[256], live[256];
  snprintf(stale, sizeof stale, "resumed/points/.tmp.g.x.csv.%ld.0", (long)dead);
  snprintf(live, sizeof live, "resumed/points/.tmp.g.y.csv.%ld.0", (long)getpid());
  put(stale, "half a file");
  put(live, "a concurrent run's file");
  put("resumed/points/.tmp.notes", "the user's");
  run_small("s.ini", "resumed", 1, &out);
  char *l = listing("resumed/points");
  cr_expect(strstr(l, ".tmp.g.x.csv") == NULL, "stale temporary file left: %s", l);
  cr_expect(strstr(l, ".tmp.g.y.csv") != NULL && strstr(l, ".tmp.notes") != NULL,
            "a file that is not stale was removed: %s", l);
  free(l);
  remove_rel(live);
  remove_rel("resumed/points/.tmp.notes");
  cr_expect_eq(out.computed, 3);
  cr_expect_eq(out.reused, 13);
  adeis_study_outcome_clear(&out);
  expect_same_results("clean", "resumed");
  /* the reused rows keep their stored seconds: only the 3 recomputed points may differ */
  char *after = slurp_rel("resumed/errors.csv");
  size_t differ = 0;
  for (const char *a = after, *b = before; *a && *b;) {
    size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
    differ += la != lb || strncmp(a, b, la) != 0;
    a += la + (a[la] != 0);
    b += lb + (b[lb] != 0);
  }
  cr_expect_leq(differ, 3 * 3);
  free(before);
  free(after);
}

Test(study, edited_problem_file_makes_points_stale)
{
  put("p/g.ini", problem_ini);
  put("s.ini", small_study);
  adeis_study_outcome out;
  run_small("s.ini", "out", 2, &out);
  adeis_study_outcome_clear(&out);
  char *edited = strdup(problem_ini);
  memcpy(strstr(edited, "x_T = 0.7"), "x_T = 0.6", 9);
  put("p/g.ini", edited);
  run_small("s.ini", "out", 2, &out);
  cr_expect_eq(out.computed, out.n_points);
  adeis_study_outcome_clear(&out);
  char *copy = slurp_rel("out/g.ini");
  cr_expect_str_eq(copy, edited);
  free(copy);
  free(edited);
}

/* x_T from a .f64 file (three little-endian doubles) in the problem's folder */
static void put_f64(const char *rel, const double *v, size_t n)
{
  char *p = path_of(rel);
  FILE *f = fopen(p, "wb");
  cr_assert_not_null(f, "%s", p);
  cr_assert_eq(fwrite(v, sizeof *v, n, f), n);
  cr_assert_eq(fclose(f), 0);
  free(p);
}

Test(study, edited_vector_file_makes_points_stale)
{
  char *ini = strdup(problem_ini);
  char *x = strstr(ini, "x_T = 0.7 -0.4 1.1");
  memcpy(x, "x_T = @xt.f64     ", 18);
  put("p/g.ini", ini);
  put_f64("p/xt.f64", (const double[]){0.7, -0.4, 1.1}, 3);
  put("s.ini", small_study);
  adeis_study_outcome out;
  run_small("s.ini", "out", 2, &out);
  cr_expect_eq(out.computed, out.n_points);
  adeis_study_outcome_clear(&out);
  run_small("s.ini", "out", 2, &out); /* nothing changed: every point reused */
  cr_expect_eq(out.computed, 0);
  adeis_study_outcome_clear(&out);
  put_f64("p/xt.f64", (const double[]){0.6, -0.4, 1.1}, 3); /* same problem file bytes */
  run_small("s.ini", "out", 2, &out);
  cr_expect_eq(out.computed, out.n_points, "points of the old x_T reused: %zu computed of %zu",
               (size_t)out.computed, (size_t)out.n_points);
  adeis_study_outcome_clear(&out);
  free(ini);
}

static size_t count_points(const char *rel)
{
  char *l = listing(rel);
  size_t n = 0;
  for (const char *p = l; (p = strstr(p, ".csv\n")); p++)
    n++;
  free(l);
  return n;
}

Test(study, resume_after_kill, .timeout = 60)
{
  put("p/g.ini", problem_ini);
  const char *path = put("k.ini", "[study]\nname = k\nproblem = p/g.ini\nprecision = 256\n"
                                  "steps = 64 128 256 512 1024 2048 4096\nquantities = x_T\n"
                                  "[methods]\nadjdeis-1 = 1\neuler-t = 1\n");
  char *dir = path_of("killed"), *pdir = path_of("killed/points");
  char *clean = path_of("clean"), *log = path_of("log");
  pid_t pid = spawn(NULL, (const char *[]){"study", path, "-o", dir, "-j", "1", "--no-plots",
                                           "--quiet", NULL}, log, log);
  struct timespec nap = {0, 2000000};
  for (int i = 0; i < 20000 && count_points("killed/points") < 2; i++)
    nanosleep(&nap, NULL);
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  size_t kept = count_points("killed/points");
  if (WIFSIGNALED(status) && kept < 14) {
    char *e = slurp_rel("killed/errors.csv");
    cr_expect_null(e, "a killed run left errors.csv");
    free(e);
  }
  run_result r = run_in(NULL, (const char *[]){"study", path, "-o", dir, "-j", "2", "--no-plots",
                                               "--quiet", NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  run_free(&r);
  r = run_in(NULL, (const char *[]){"study", path, "-o", clean, "--no-plots", "--quiet", NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  run_free(&r);
  expect_same_results("killed", "clean");
  cr_expect_eq(count_points("killed/points"), 14);
  free(dir);
  free(pdir);
  free(clean);
  free(log);
}

static const char check_study[] = "[study]\nname = %s\nproblem = p/g.ini\nprecision = 53\n"
                                  "quantities = x_T theta\nsteps = 256 512 1024 2048\n"
                                  "[methods]\nadjdeis-2m = %d\neuler-t = 1\n[check]\n"
                                  "tolerance = 0.1\n";

Test(study, check_exit_codes)
{
  put("p/g.ini", problem_ini);
  char text[512];
  snprintf(text, sizeof text, check_study, "chk", 2);
  const char *good = put("good.ini", text);
  char *cwd = path_of("");
  run_result r = run_in(cwd, (const char *[]){"check", good, "--quiet", NULL});
  cr_expect_eq(r.code, 0, "out:\n%s\nerr:\n%s", r.out, r.err);
  cr_expect(strstr(r.out, "ok   chk g adjdeis-2m uniform-lambda oracle 53 x_T fitted 2.") != NULL,
            "%s", r.out);
  cr_expect(strstr(r.out, "FAIL") == NULL, "%s", r.out);
  run_free(&r);
  char *csv = slurp_rel("results/chk/orders.csv");
  cr_expect_not_null(csv, "adeis check writes results/<name>/ under the working folder");
  free(csv);
  snprintf(text, sizeof text, check_study, "chk3", 3);
  const char *bad = put("bad.ini", text);
  r = run_in(cwd, (const char *[]){"check", good, bad, "--quiet", NULL});
  cr_expect_eq(r.code, 1, "out:\n%s\nerr:\n%s", r.out, r.err);
  cr_expect(strstr(r.out, "FAIL chk3 g adjdeis-2m uniform-lambda oracle 53 x_T fitted 2.") != NULL,
            "%s", r.out);
  cr_expect(strstr(r.out, "expected 3 tol 0.1") != NULL, "%s", r.out);
  cr_expect(strstr(r.out, "ok   chk g euler-t") != NULL, "%s", r.out);
  cr_expect(strstr(r.out, "ok   chk3 g euler-t") != NULL, "%s", r.out);
  /* one line per method and quantity, the lines after a FAIL included: 2 studies x 2 x 2 */
  cr_expect(strstr(r.out, "FAIL chk3 g adjdeis-2m uniform-lambda oracle 53 theta") != NULL, "%s",
            r.out);
  size_t lines = 0;
  for (const char *p = r.out; *p; p++)
    lines += *p == '\n';
  cr_expect_eq(lines, 8, "%s", r.out);
  run_free(&r);
  free(cwd);
}

Test(study, nothing_written_outside_dir)
{
  put("in/p/g.ini", problem_ini);
  const char *path = put("in/s.ini", small_study);
  char *cwd = path_of("cwd"), *out = path_of("out/deeper");
  cr_assert_eq(adeis_mkdir_p(cwd), 0);
  char *before = listing("in");
  run_result r = run_in(cwd, (const char *[]){"study", path, "-o", out, "--no-plots", "--quiet",
                                              NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  run_free(&r);
  char *top = listing(""), *in = listing("in"), *here = listing("cwd"), *res = listing("out/deeper");
  cr_expect_str_eq(top, "cwd\nin\nout\n");
  cr_expect_str_eq(in, before);
  cr_expect_str_eq(here, "");
  cr_expect_str_eq(res, ".adeis.lock\nerrors.csv\ng.ini\norders.csv\npoints\nstudy.ini\n");
  free(top);
  free(in);
  free(here);
  free(res);
  free(before);
  free(cwd);
  free(out);
}

Test(study, unwritable_dir_exits_2)
{
  put("p/g.ini", problem_ini);
  const char *path = put("s.ini", small_study);
  put("afile", "not a folder\n");
  char *out = path_of("afile/out");
  run_result r = run_in(NULL, (const char *[]){"study", path, "-o", out, "--quiet", NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  cr_expect(strstr(r.err, out) != NULL, "%s", r.err);
  run_free(&r);
  if (geteuid() != 0) { /* root ignores permissions */
    char *ro = path_of("ro");
    cr_assert_eq(mkdir(ro, 0500), 0);
    char *sub = path_of("ro/out");
    r = run_in(NULL, (const char *[]){"study", path, "-o", sub, "--quiet", NULL});
    cr_expect_eq(r.code, 2, "%s", r.err);
    run_free(&r);
    free(sub);
    free(ro);
  }
  free(out);
}

/* ---- results folders: one study per folder, locks, shards and collect ---- */

TestSuite(folders, .init = scratch_make, .fini = scratch_remove);

/* Hold a lock on scratch/rel/.adeis.lock ourselves (flock, as another runner would). */
static int hold_lock(const char *rel, int op)
{
  char *dir = path_of(rel);
  cr_assert_eq(adeis_mkdir_p(dir), 0);
  char path[600];
  snprintf(path, sizeof path, "%s/.adeis.lock", dir);
  free(dir);
  int fd = open(path, O_RDWR | O_CREAT, 0600);
  cr_assert_geq(fd, 0);
  cr_assert_eq(flock(fd, op | LOCK_NB), 0);
  return fd;
}

static run_result run_args(const char *const args[])
{
  return run_in(NULL, args);
}

static void expect_refused(run_result r, const char *want, const char *what)
{
  cr_expect_eq(r.code, 2, "%s: exit %d\n%s", what, r.code, r.err);
  cr_expect(strstr(r.err, want) != NULL, "%s: message lacks '%s':\n%s", what, want, r.err);
  run_free(&r);
}

Test(folders, a_locked_folder_is_refused)
{
  put("p/g.ini", problem_ini);
  const char *study = put("s.ini", small_study);
  char *dir = path_of("out");
  int fd = hold_lock("out", LOCK_EX);
  const char *busy = "the folder is in use by another adeis run";
  expect_refused(run_args((const char *[]){"study", study, "-o", dir, "-q", NULL}), busy, "study");
  expect_refused(run_args((const char *[]){"study", study, "-o", dir, "--shard", "0/2", "-q",
                                           NULL}), busy, "shard");
  expect_refused(run_args((const char *[]){"study", study, "-o", dir, "--collect", "-q", NULL}),
                 busy, "collect");
  expect_refused(run_args((const char *[]){"check", study, "-o", dir, "-q", NULL}), busy, "check");
  close(fd);
  /* a shared lock (a shard running) lets other shards in, and keeps whole runs out */
  fd = hold_lock("out", LOCK_SH);
  run_result r = run_args((const char *[]){"study", study, "-o", dir, "--shard", "1/2", "-q", NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  run_free(&r);
  expect_refused(run_args((const char *[]){"study", study, "-o", dir, "-q", "--no-plots", NULL}),
                 busy, "study beside a shard");
  expect_refused(run_args((const char *[]){"study", study, "-o", dir, "--collect", "-q", NULL}),
                 busy, "collect beside a shard");
  close(fd);
  char *e = slurp_rel("out/errors.csv");
  cr_expect_null(e, "a refused run wrote errors.csv");
  free(e);
  r = run_args((const char *[]){"study", study, "-o", dir, "-q", "--no-plots", NULL});
  cr_expect_eq(r.code, 0, "after the lock was released: %s", r.err);
  run_free(&r);
  free(dir);
}

/* While a run works, it holds the lock: exclusive for a whole run, shared for a shard. */
static void expect_lock_held(const char *const args[], int shared)
{
  char *log = path_of("log");
  pid_t pid = spawn(NULL, args, log, log);
  struct timespec nap = {0, 2000000};
  for (int i = 0; i < 20000 && count_points("slow/points") < 1; i++)
    nanosleep(&nap, NULL);
  char *lock = path_of("slow/.adeis.lock");
  int fd = open(lock, O_RDWR);
  cr_assert_geq(fd, 0);
  int sh = flock(fd, LOCK_SH | LOCK_NB);
  if (sh == 0)
    flock(fd, LOCK_UN);
  int ex = flock(fd, LOCK_EX | LOCK_NB);
  int going = waitpid(pid, NULL, WNOHANG) == 0; /* the run was still going when we looked */
  close(fd);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  cr_assert(going, "the run ended before its lock was looked at");
  cr_expect_eq(sh == 0, shared, "a shared lock was %s during the run",
               sh == 0 ? "granted" : "refused");
  cr_expect_neq(ex, 0, "an exclusive lock was granted during the run");
  free(lock);
  free(log);
}

Test(folders, runs_hold_the_lock, .timeout = 60)
{
  put("p/g.ini", problem_ini);
  const char *path = put("k.ini", "[study]\nname = k\nproblem = p/g.ini\nprecision = 256\n"
                                  "steps = 64 128 256 512 1024 2048 4096 8192\nquantities = x_T\n"
                                  "[methods]\nadjdeis-1 = 1\neuler-t = 1\n");
  char *dir = path_of("slow");
  expect_lock_held((const char *[]){"study", path, "-o", dir, "-j", "1", "--no-plots", "-q", NULL},
                   0);
  char *pts = path_of("slow/points");
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", pts);
  cr_assert_eq(system(cmd), 0);
  expect_lock_held((const char *[]){"study", path, "-o", dir, "-j", "1", "--shard", "0/1", "-q",
                                    NULL}, 1);
  free(pts);
  free(dir);
}

Test(folders, another_study_is_refused)
{
  put("p/g.ini", problem_ini);
  const char *study = put("s.ini", small_study);
  char *dir = path_of("out");
  run_result r = run_args((const char *[]){"study", study, "-o", dir, "-q", "--no-plots", NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  run_free(&r);
  char *errors = slurp_rel("out/errors.csv");
  /* the same name, other steps: a copy of the study that was edited */
  char other[512];
  snprintf(other, sizeof other, "%s", small_study);
  memcpy(strstr(other, "steps = 8 16 32 64"), "steps = 8 16 32 99", 18);
  const char *copy = put("copy/s.ini", other);
  put("copy/p/g.ini", problem_ini);
  for (int k = 0; k < 4; k++) {
    const char *const args[4][9] = {
      {"study", copy, "-o", dir, "-q", "--no-plots", NULL},
      {"check", copy, "-o", dir, "-q", NULL},
      {"study", copy, "-o", dir, "--shard", "0/3", "-q", NULL},
      {"study", copy, "-o", dir, "--collect", "-q", NULL}};
    r = run_args(args[k]);
    cr_expect_eq(r.code, 2, "%s: exit %d\n%s", args[k][0], r.code, r.err);
    cr_expect(strstr(r.err, "out/study.ini: the folder holds the results of another study file")
              != NULL, "%s", r.err);
    cr_expect(strstr(r.err, "differs from") != NULL && strstr(r.err, "copy/s.ini at line 5") != NULL,
              "%s", r.err);
    cr_expect(strstr(r.err, "'steps = 8 16 32 64' there, 'steps = 8 16 32 99' here") != NULL,
              "%s", r.err);
    run_free(&r);
  }
  char *study_after = slurp_rel("out/study.ini"), *errors_after = slurp_rel("out/errors.csv");
  cr_expect_str_eq(study_after, small_study, "a refused run changed study.ini");
  cr_expect_str_eq(errors_after, errors, "a refused run changed errors.csv");
  free(study_after);
  free(errors_after);
  /* adeis check with -o writes there; --force replaces the folder's study */
  r = run_args((const char *[]){"check", copy, "-o", dir, "-q", "--force", NULL});
  cr_expect_neq(r.code, 2, "%s", r.err);
  run_free(&r);
  study_after = slurp_rel("out/study.ini");
  cr_expect_str_eq(study_after, other);
  char *orders = slurp_rel("out/orders.csv");
  cr_expect(orders && strstr(orders, "used") && strstr(orders, "99") != NULL,
            "orders.csv of the forced study: %s", orders);
  char *cwd_results = slurp_rel("results/small/orders.csv");
  cr_expect_null(cwd_results);
  /* the first-use case: adeis check on an edited copy, default folder results/<name>/ */
  char *cwd = path_of("");
  r = run_in(cwd, (const char *[]){"check", study, "-q", NULL});
  cr_expect_neq(r.code, 2, "%s", r.err);
  run_free(&r);
  char *orig = slurp_rel("results/small/orders.csv");
  r = run_in(cwd, (const char *[]){"check", copy, "-q", NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  cr_expect(strstr(r.err, "results/small/study.ini: the folder holds the results of another "
                          "study file") != NULL, "%s", r.err);
  run_free(&r);
  char *orig_after = slurp_rel("results/small/orders.csv");
  cr_expect(orig && orig_after && strcmp(orig, orig_after) == 0,
            "the original study's orders.csv was changed");
  free(orig);
  free(orig_after);
  free(cwd);
  /* check -o takes one study */
  r = run_args((const char *[]){"check", study, copy, "-o", dir, "-q", NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  run_free(&r);
  free(orders);
  free(study_after);
  free(errors);
  free(dir);
}

/* The point files of scratch/rel/points (names only, sorted). */
static char **point_names(const char *rel, size_t *n)
{
  char *l = listing(rel);
  char **names = malloc(64 * sizeof *names);
  *n = 0;
  for (char *p = l, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
    *nl = '\0';
    if (p[0] != '.' && *n < 64)
      names[(*n)++] = strdup(p);
  }
  free(l);
  return names;
}

static void free_names(char **names, size_t n)
{
  for (size_t k = 0; k < n; k++)
    free(names[k]);
  free(names);
}

static int has_name(char **names, size_t n, const char *name)
{
  for (size_t k = 0; k < n; k++)
    if (!strcmp(names[k], name))
      return 1;
  return 0;
}

/* Mask the seconds: the last column of errors.csv, column 6 of the .dat files. */
static char *mask_file(const char *name, const char *text)
{
  size_t len = strlen(name);
  if (!strcmp(name, "errors.csv"))
    return mask_seconds(text);
  char *m = strdup(text);
  if (len > 4 && !strcmp(name + len - 4, ".dat")) {
    for (char *line = m; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
      if (*line == '#' || *line == '\n')
        continue;
      char *f = line;
      for (int k = 0; k < 5 && f; k++)
        f = strpbrk(f, " \t") ? strpbrk(f, " \t") + strspn(strpbrk(f, " \t"), " \t") : NULL;
      for (; f && *f && *f != ' ' && *f != '\t' && *f != '\n'; f++)
        *f = 'S';
    }
  }
  return m;
}

/* Every file of a and b but points/ and the lock, equal after mask_file; b may hold slurm/
 * (adeis slurm's scripts) and the shard runs' mark besides. */
/* A listing without its lines that start with prefix. */
static void drop_lines(char *list, const char *prefix)
{
  char *out = list;
  for (char *line = list, *nl; (nl = strchr(line, '\n')); line = nl + 1)
    if (strncmp(line, prefix, strlen(prefix)) != 0) {
      memmove(out, line, (size_t)(nl - line) + 1);
      out += nl - line + 1;
    }
  *out = '\0';
}

static void expect_same_folder(const char *a, const char *b)
{
  char *la = listing(a), *lb = listing(b);
  drop_lines(lb, "slurm\n");          /* adeis slurm's scripts */
  drop_lines(lb, ADEIS_SHARDS_MARK); /* the shard runs' mark of their count */
  cr_expect_str_eq(la, lb);
  size_t files = 0;
  for (char *name = la, *nl; (nl = strchr(name, '\n')); name = nl + 1) {
    *nl = '\0';
    if (!strcmp(name, "points") || !strcmp(name, ".adeis.lock"))
      continue;
    char fa[512], fb[512];
    snprintf(fa, sizeof fa, "%s/%s", a, name);
    snprintf(fb, sizeof fb, "%s/%s", b, name);
    char *pa = path_of(fa), *pb = path_of(fb), *ta, *tb;
    size_t na, nb;
    cr_assert_eq(adeis_file_read(pa, &ta, &na), 0, "%s", pa);
    cr_assert_eq(adeis_file_read(pb, &tb, &nb), 0, "%s", pb);
    cr_expect_eq(na, nb, "%s: %zu and %zu bytes", name, na, nb);
    if (na == nb && na == strlen(ta) && nb == strlen(tb)) {
      char *ma = mask_file(name, ta), *mb = mask_file(name, tb);
      cr_expect_str_eq(ma, mb, "%s differs", name);
      free(ma);
      free(mb);
    } else if (na == nb) { /* binary (PNG, PDF): byte for byte (SOURCE_DATE_EPOCH set) */
      cr_expect_eq(memcmp(ta, tb, na), 0, "%s differs", name);
    }
    files++;
    free(ta);
    free(tb);
    free(pa);
    free(pb);
  }
  cr_expect_geq(files, 10, "only %zu files compared", files);
  free(la);
  free(lb);
}

Test(folders, shards_then_collect_equal_one_run, .timeout = 120)
{
  setenv("SOURCE_DATE_EPOCH", "1700000000", 1); /* PDFs dated alike (plots/report.h) */
  put("p/g.ini", problem_ini);
  const char *study = put("s.ini", small_study);
  char *one = path_of("one/r"), *sh = path_of("sharded/r");
  run_result r = run_args((const char *[]){"study", study, "-o", one, "-q", NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  run_free(&r);
  /* each shard computes a disjoint quarter of the 16 points: 2 x 2 x 4, largest N dealt first */
  size_t before = 0;
  char **seen = malloc(16 * sizeof *seen);
  for (int k = 0; k < 4; k++) {
    char shard[16];
    snprintf(shard, sizeof shard, "%d/4", k);
    r = run_args((const char *[]){"study", study, "-o", sh, "--shard", shard, "-j", "1", NULL});
    cr_expect_eq(r.code, 0, "%s", r.err);
    char want[128];
    snprintf(want, sizeof want, "shard %d/4: 4 points (4 computed, 0 reused)", k);
    cr_expect(strstr(r.err, want) != NULL, "%s", r.err);
    run_free(&r);
    size_t n;
    char **names = point_names("sharded/r/points", &n);
    cr_expect_eq(n, before + 4, "shard %d added %zu points", k, n - before);
    /* a shard's points have one N each of the 4 (the 4 points of one N go to 4 shards) */
    size_t per_steps[4] = {0};
    for (size_t j = 0; j < n; j++)
      if (!has_name(seen, before, names[j])) {
        const char *steps = strrchr(names[j], '.') - 1;
        while (steps[-1] != '.')
          steps--;
        long N = strtol(steps, NULL, 10);
        per_steps[N == 8 ? 0 : N == 16 ? 1 : N == 32 ? 2 : 3]++;
        if (before < 16)
          seen[before++] = strdup(names[j]);
        else
          cr_expect_fail("more than 16 points");
      }
    for (int j = 0; j < 4; j++)
      cr_expect_eq(per_steps[j], 1, "shard %d: %zu points with the %d-th N", k, per_steps[j], j);
    free_names(names, n);
    before = n;
    /* the shard's own files only: no errors.csv before collect */
    char *e = slurp_rel("sharded/r/errors.csv");
    cr_expect_null(e);
    free(e);
  }
  free_names(seen, before);
  /* a shard run again reuses its points */
  r = run_args((const char *[]){"study", study, "-o", sh, "--shard", "2/4", NULL});
  cr_expect(strstr(r.err, "shard 2/4: 4 points (0 computed, 4 reused)") != NULL, "%s", r.err);
  run_free(&r);
  r = run_args((const char *[]){"study", study, "-o", sh, "--collect", NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  cr_expect(strstr(r.err, "collected 16 points") != NULL, "%s", r.err);
  run_free(&r);
  expect_same_folder("one/r", "sharded/r");
  expect_same_results("one/r", "sharded/r");
  free(one);
  free(sh);
}

Test(folders, collect_names_the_missing_shards)
{
  put("p/g.ini", problem_ini);
  const char *study = put("s.ini", small_study);
  char *sh = path_of("sh");
  for (int k = 0; k < 4; k += 2) {
    char shard[16];
    snprintf(shard, sizeof shard, "%d/4", k);
    run_result r = run_args((const char *[]){"study", study, "-o", sh, "--shard", shard, "-q",
                                             NULL});
    cr_expect_eq(r.code, 0, "%s", r.err);
    run_free(&r);
  }
  run_result r = run_args((const char *[]){"study", study, "-o", sh, "--collect", "--shards", "4",
                                           NULL});
  cr_expect_eq(r.code, 1, "%s", r.err);
  cr_expect(strstr(r.err, "8 of 16 points missing") != NULL, "%s", r.err);
  cr_expect(strstr(r.err, "they belong to shards 1 and 3 of 4") != NULL, "%s", r.err);
  run_free(&r);
  char *e = slurp_rel("sh/errors.csv"), *o = slurp_rel("sh/orders.csv");
  cr_expect(e == NULL && o == NULL, "collect wrote results with points missing");
  free(e);
  free(o);
  r = run_args((const char *[]){"study", study, "-o", sh, "--shard", "3/4", "-q", NULL});
  run_free(&r);
  r = run_args((const char *[]){"study", study, "-o", sh, "--collect", "--shards", "4", NULL});
  cr_expect_eq(r.code, 1, "%s", r.err);
  cr_expect(strstr(r.err, "4 of 16 points missing") != NULL, "%s", r.err);
  cr_expect(strstr(r.err, "they belong to shard 1 of 4: run adeis study") != NULL, "%s", r.err);
  cr_expect(strstr(r.err, "--shard 1/4, then collect again") != NULL, "%s", r.err);
  run_free(&r);
  /* without --shards: the count and the first missing point, and the shards by the count
   * the shard runs marked (names that are not a shard count are no marks) */
  char *mark = slurp_rel("sh/.adeis.shards-4");
  cr_expect_not_null(mark, "the shard runs left no mark of their count");
  free(mark);
  static const char *const not_marks[] = {"sh/.adeis.shards-0", "sh/.adeis.shards-04",
                                          "sh/.adeis.shards-x", "sh/.adeis.shards-",
                                          "sh/.adeis.shards-100001"};
  for (size_t k = 0; k < sizeof not_marks / sizeof *not_marks; k++) {
    char *p = path_of(not_marks[k]); /* not put(): its four paths would recycle `study` */
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f, "%s", p);
    fclose(f);
    free(p);
  }
  r = run_args((const char *[]){"study", study, "-o", sh, "--collect", NULL});
  cr_expect_eq(r.code, 1, "%s", r.err);
  cr_expect(strstr(r.err, "4 of 16 points missing (the first: problem g, method") != NULL, "%s",
            r.err);
  cr_expect(strstr(r.err, "they belong to shard 1 of 4: run adeis study") != NULL, "%s", r.err);
  run_free(&r);
  /* shard runs of two counts: which one is meant is not known */
  r = run_args((const char *[]){"study", study, "-o", sh, "--shard", "0/3", "-q", NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  run_free(&r);
  r = run_args((const char *[]){"study", study, "-o", sh, "--collect", NULL});
  cr_expect_eq(r.code, 1, "%s", r.err);
  cr_expect(strstr(r.err, "shard runs used 2 different shard counts here: give --shards N") !=
                NULL, "%s", r.err);
  run_free(&r);
  r = run_args((const char *[]){"study", study, "-o", sh, "--collect", "--shards", "4", NULL});
  cr_expect(strstr(r.err, "they belong to shard 1 of 4") != NULL, "%s", r.err);
  run_free(&r);
  free(sh);
}

Test(folders, shard_options_are_checked)
{
  put("p/g.ini", problem_ini);
  const char *study = put("s.ini", small_study);
  char *dir = path_of("out");
  static const char *const bad[][3] = {
    {"--shard", "4/4", "--shard: expected K/N with 0 <= K < N"},
    {"--shard", "1", "--shard: expected K/N"},
    {"--shard", "-1/4", "--shard: expected K/N"},
    {"--shard", "0/0", "--shard: expected K/N"},
    {"--shard", "1/2x", "--shard: expected K/N"},
    {"--shards", "3", "--shards: goes with --collect"},
    {"--shards", "0", "--shards: expected a shard count"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    run_result r = run_args((const char *[]){"study", study, "-o", dir, bad[k][0], bad[k][1], NULL});
    cr_expect_eq(r.code, 2, "%s %s: %s", bad[k][0], bad[k][1], r.err);
    cr_expect(strstr(r.err, bad[k][2]) != NULL, "%s", r.err);
    run_free(&r);
  }
  run_result r = run_args((const char *[]){"study", study, "-o", dir, "--collect", "--shard", "0/2",
                                           NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  run_free(&r);
  r = run_args((const char *[]){"check", study, "-o", dir, "--shard", "0/2", NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  run_free(&r);
  r = run_args((const char *[]){"study", study, "-o", "", NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  run_free(&r);
  char *l = listing("");
  cr_expect_str_eq(l, "p\ns.ini\n", "a refused run wrote something");
  free(l);
  free(dir);
}

/* Temporary files: another host's are removed only under the exclusive lock. */
Test(folders, other_hosts_temporary_files)
{
  put("p/g.ini", problem_ini);
  const char *study = put("s.ini", small_study);
  char *dir = path_of("out");
  const char *other = "out/points/.tmp.g.x.csv.1.0@another-host.example";
  const char *mine_live = NULL;
  char live[256], host[64] = {0};
  gethostname(host, sizeof host - 1);
  for (char *p = host; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '.' || *p == '-'))
      *p = '_';
  snprintf(live, sizeof live, "out/points/.tmp.g.y.csv.%ld.0@%s", (long)getpid(), host);
  mine_live = live;
  put(other, "a shard's half-written point on another node");
  put(mine_live, "a live run's file");
  run_result r = run_args((const char *[]){"study", study, "-o", dir, "--shard", "0/2", "-q", NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  run_free(&r);
  char *l = listing("out/points");
  cr_expect(strstr(l, "another-host") != NULL, "a shard removed another host's file: %s", l);
  free(l);
  r = run_args((const char *[]){"study", study, "-o", dir, "-q", "--no-plots", NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  run_free(&r);
  l = listing("out/points");
  cr_expect(strstr(l, "another-host") == NULL, "another host's file outlived the exclusive lock");
  cr_expect(strstr(l, ".tmp.g.y.csv") != NULL, "a live run's file on this host was removed");
  free(l);
  free(dir);
}

/* adeis slurm without a cluster: a stand-in sbatch on PATH records its arguments and runs the
 * batch script as Slurm would (array tasks one after another with SLURM_ARRAY_TASK_ID). */
static const char fake_sbatch[] =
  "#!/bin/sh\n"
  "echo \"$@\" >>\"$FAKE_SBATCH_LOG\"\n"
  "n=$(cat \"$FAKE_SBATCH_LOG.id\" 2>/dev/null || echo 100); n=$((n + 1)); echo $n >\"$FAKE_SBATCH_LOG.id\"\n"
  "array=; script=\n"
  "for a; do case $a in --array=*) array=${a#--array=} ;; -*) ;; *) script=$a ;; esac; done\n"
  "if [ -n \"$array\" ]; then\n"
  "  i=${array%-*}\n"
  "  while [ $i -le ${array#*-} ]; do\n"
  "    SLURM_ARRAY_TASK_ID=$i SLURM_CPUS_PER_TASK=1 sh \"$script\" >>\"$FAKE_SBATCH_LOG.out\" 2>&1 || exit 1\n"
  "    i=$((i + 1))\n"
  "  done\n"
  "else\n"
  "  SLURM_CPUS_PER_TASK=1 sh \"$script\" >>\"$FAKE_SBATCH_LOG.out\" 2>&1 || exit 1\n"
  "fi\n"
  "echo \"$n\"\n";

Test(folders, slurm_scripts_run_the_shards_and_collect, .timeout = 120)
{
  setenv("SOURCE_DATE_EPOCH", "1700000000", 1); /* PDFs dated alike (plots/report.h) */
  put("p/g.ini", problem_ini);
  const char *study = put("s.ini", small_study);
  const char *sbatch = put("bin/sbatch", fake_sbatch);
  cr_assert_eq(chmod(sbatch, 0755), 0);
  char *bin = path_of("bin"), *log = path_of("sbatch.log"), *one = path_of("one/r");
  char *dir = path_of("cluster/r");
  char path[1024];
  snprintf(path, sizeof path, "%s:%s", bin, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
  setenv("PATH", path, 1);
  setenv("FAKE_SBATCH_LOG", log, 1);
  run_result r = run_args((const char *[]){"study", study, "-o", one, "-q", NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  run_free(&r);
  /* without --submit: the scripts only, nothing submitted */
  r = run_args((const char *[]){"slurm", study, "-o", dir, "--shards", "3", "--time", "0:30:00",
                                "--partition", "it's", NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  cr_expect(strstr(r.out, "cluster/r/slurm/submit.sh\n") != NULL, "%s", r.out);
  run_free(&r);
  char *l = listing("cluster/r/slurm"), *sent = slurp(log);
  cr_expect_str_eq(l, "collect.sh\nshard.sh\nsubmit.sh\n");
  cr_expect_null(sent, "sbatch ran without --submit");
  free(l);
  free(sent);
  r = run_args((const char *[]){"slurm", study, "-o", dir, "--shards", "3", "--time", "0:30:00",
                                "--partition", "it's", "--submit", NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  cr_expect_str_eq(r.out, "array job 101 (3 shards), collect job 102\n");
  run_free(&r);
  sent = slurp(log);
  cr_assert_not_null(sent);
  /* the array: 3 tasks; the collect job: after every task succeeded, cancelled otherwise */
  cr_expect(strstr(sent, "--array=0-2 --cpus-per-task=1 --time=0:30:00 --partition=it's ") != NULL,
            "%s", sent);
  cr_expect(strstr(sent, "--dependency=afterok:101 --kill-on-invalid-dep=yes") != NULL, "%s", sent);
  cr_expect(strstr(sent, "/slurm/shard.sh\n") && strstr(sent, "/slurm/collect.sh\n"), "%s", sent);
  free(sent);
  expect_same_folder("one/r", "cluster/r");
  /* the shards ran: each computed a third of the points (16 = 6 + 5 + 5) */
  char *out = malloc(strlen(log) + 8);
  sprintf(out, "%s.out", log);
  char *jobs = slurp(out);
  cr_expect(jobs && strstr(jobs, "shard 0/3: 6 points (6 computed, 0 reused)") &&
            strstr(jobs, "shard 1/3: 5 points (5 computed") &&
            strstr(jobs, "shard 2/3: 5 points (5 computed") && strstr(jobs, "collected 16 points"),
            "%s", jobs);
  free(jobs);
  free(out);
  /* a failed submission is exit 2 with sbatch's words */
  put("bin/sbatch", "#!/bin/sh\necho 'sbatch: error: Invalid partition name specified' >&2\nexit 1\n");
  r = run_args((const char *[]){"slurm", study, "-o", dir, "--shards", "3", "--submit", NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  cr_expect(strstr(r.err, "Invalid partition name") && strstr(r.err, "submitting failed"), "%s",
            r.err);
  run_free(&r);
  /* bad options */
  r = run_args((const char *[]){"slurm", study, "-o", dir, NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  cr_expect(strstr(r.err, "--shards") != NULL, "%s", r.err);
  run_free(&r);
  r = run_args((const char *[]){"slurm", study, "-o", dir, "--shards", "17", NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  cr_expect(strstr(r.err, "at most the study's 16 points") != NULL, "%s", r.err);
  run_free(&r);
  r = run_args((const char *[]){"slurm", study, "-o", dir, "--shards", "2", "--time", "1\n2", NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  run_free(&r);
  free(bin);
  free(log);
  free(one);
  free(dir);
}

Test(folders, create_once_keeps_the_first)
{
  char *dir = path_of("d");
  cr_assert_eq(adeis_mkdir_p(dir), 0);
  cr_expect_eq(adeis_file_create_once(dir, "f", "first\n", 6), 0);
  cr_expect_eq(adeis_file_create_once(dir, "f", "second\n", 7), 1);
  char *t = slurp_rel("d/f"), *l = listing("d");
  cr_expect_str_eq(t, "first\n");
  cr_expect_str_eq(l, "f\n", "temporary files left: %s", l);
  free(t);
  free(l);
  free(dir);
}

/* NAME@VARIANT method lines: a state mode of their own, or a dto-* storage policy; results
 * carry the label and match adeis_grad_compute with the same request. */
Test(study, method_variants)
{
  put("p/g.ini", problem_ini);
  load_fails(HEAD STEPS "[methods]\nadjdeis-1@checkpoint-3 = 1\n",
             "s.ini:5: methods.adjdeis-1@checkpoint-3: unknown variant 'checkpoint-3'", NULL);
  load_fails(HEAD STEPS "[methods]\ndto-dpm-1@sometimes = 1\n", "unknown variant 'sometimes'",
             NULL);
  load_fails(HEAD STEPS "state = cached\n[methods]\ndto-dpm-2m@reversible = 2\n",
             "s.ini:6: methods.dto-dpm-2m@reversible: cannot run", "--store");
  load_fails(HEAD STEPS "[methods]\ndto-dpm-1 = 1\n", "s.ini:5: methods.dto-dpm-1: cannot run "
                                                      "with state oracle", NULL);
  put("v.ini", HEAD "steps = 8 16\nstate = cached\nquantities = x_T theta\n[methods]\n"
               "adjdeis-1@backsolve = 1\ndto-dpm-1@checkpoint-3 = 1\ndto-dpm-2s@reversible = 2\n");
  adeis_study s;
  char *path = path_of("v.ini");
  cr_assert_eq(adeis_study_load(path, &s), 0, "%s", adeis_errmsg());
  cr_expect_str_eq(s.methods[0].label, "adjdeis-1@backsolve");
  cr_expect_eq(adeis_study_state(&s, 0, 0), ADEIS_STATE_BACKSOLVE);
  cr_expect_eq(adeis_study_state(&s, 1, 0), ADEIS_STATE_CACHED);
  cr_expect_eq(s.methods[1].store.kind, ADEIS_STORE_CHECKPOINT);
  cr_expect_eq(s.methods[1].store.snapshots, 3);
  cr_expect_eq(s.methods[2].store.kind, ADEIS_STORE_REVERSIBLE);
  adeis_study_clear(&s);
  free(path);
  adeis_study_outcome out;
  run_small("v.ini", "vout", 1, &out);
  adeis_study_outcome_clear(&out);
  char *csv = slurp_rel("vout/errors.csv");
  cr_assert_not_null(csv);
  /* row 4 (0-based: method 1, N = 8, x_T) against the library with --store checkpoint:3 */
  char got[64], want[64];
  csv_field(csv, 4, 1, got, sizeof got);
  cr_expect_str_eq(got, "dto-dpm-1@checkpoint-3");
  csv_field(csv, 4, 3, got, sizeof got);
  cr_expect_str_eq(got, "cached");
  csv_field(csv, 0, 3, got, sizeof got);
  cr_expect_str_eq(got, "backsolve");
  adeis_problem_spec spec;
  char *pp = path_of("p/g.ini");
  cr_assert_eq(adeis_problem_load(pp, &spec), 0);
  adeis_problem pb;
  cr_assert_eq(adeis_problem_build(&spec, 256, &pb), 0);
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = "dto-dpm-1";
  rq.steps = 8;
  rq.state = ADEIS_STATE_CACHED;
  cr_assert_eq(adeis_store_parse("checkpoint:3", &rq.store), 0);
  adeis_grad_result res;
  cr_assert_eq(adeis_grad_compute(&pb, &rq, &res), 0);
  snprintf(want, sizeof want, "%.17e", mpfr_get_d(res.rel_error[ADEIS_Q_X_T], MPFR_RNDN));
  csv_field(csv, 4, 8, got, sizeof got);
  cr_expect_str_eq(got, want);
  csv_field(csv, 4, 9, got, sizeof got);
  cr_expect_eq(strtoul(got, NULL, 10), res.nfe);
  adeis_grad_result_clear(&res);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&spec);
  free(pp);
  free(csv);
}

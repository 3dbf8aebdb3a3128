/* Sharp edges found on first use and by fuzzing: option errors without control characters,
 * messages that keep their reason past long paths, problem paths relative to the study file
 * (and to the current folder for a piped study), a piped study copied byte for byte, an
 * empty output folder name, '#' comments of any length and lines without a key name.
 * make check sets ADEIS_BIN (the built program) and ADEIS_ROOT (the repository). */
#define _XOPEN_SOURCE 700 /* nftw */
#include "../core/status.h"
#include "../studies/files.h"
#include "../studies/study.h"

#include "scratch.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The worked example (docs/math.md section 11) as a problem file, independent of problems/. */
static const char problem_ini[] = "[problem]\ntype = gaussian\ndim = 3\nmean = 0.5 -1 2\n"
                                  "var = 0.04 1 0.25\n[schedule]\nname = vp-linear\n"
                                  "t_end = 1e-3\nT = 1\n[loss]\ntype = quadratic\n"
                                  "target = 0.3 0.1 -0.2\n[start]\nx_T = 0.7 -0.4 1.1\n"
                                  "noise_seed = 7\n";

/* A study of a few cheap points; %s is the problem path. */
static const char study_fmt[] = "; a small study\n[study]\nname = tiny\nproblem = %s\n"
                                "precision = 53\nsteps = 8 16 32\n[methods]\nadjdeis-1 = 1\n";

/* ---- a scratch folder per test ---- */

static void scratch_make(void)
{
  scratch_make_tagged("hostile");
}

/* scratch/rel written with text, folders made as needed; returns the path (allocated). */
static char *put(const char *rel, const char *text)
{
  char *p = path_of(rel);
  char *slash = strrchr(p, '/');
  *slash = '\0';
  cr_assert_eq(adeis_mkdir_p(p), 0, "%s", strerror(errno));
  *slash = '/';
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f, "%s", p);
  fputs(text, f);
  cr_assert_eq(fclose(f), 0);
  return p;
}

static char *slurp(const char *path)
{
  char *t;
  size_t n;
  return adeis_file_read(path, &t, &n) ? NULL : t;
}

/* ---- running the program ---- */

typedef struct run_result {
  int code;
  char *out, *err;
} run_result;

static const char *adeis_bin(void)
{
  const char *bin = getenv("ADEIS_BIN");
  if (!bin || !*bin)
    cr_skip_test("ADEIS_BIN is not set (run the CLI tests with make check)");
  return bin;
}

/* argv[0] is the program: ADEIS_BIN, or "sh" for a shell line ($ADEIS is ADEIS_BIN). */
static run_result run_argv(const char *cwd, const char *const argv[])
{
  const char *bin = adeis_bin();
  char out[] = "/tmp/adeis-hostile-out-XXXXXX", err[] = "/tmp/adeis-hostile-err-XXXXXX";
  close(mkstemp(out));
  close(mkstemp(err));
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY), o = open(out, O_WRONLY | O_TRUNC),
        e = open(err, O_WRONLY | O_TRUNC);
    if (in < 0 || o < 0 || e < 0 || (cwd && chdir(cwd)) || setenv("ADEIS", bin, 1))
      _exit(126);
    dup2(in, 0);
    dup2(o, 1);
    dup2(e, 2);
    alarm(120);
    if (strcmp(argv[0], "sh") == 0)
      execv("/bin/sh", (char *const *)argv);
    else
      execv(bin, (char *const *)argv);
    _exit(127);
  }
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  run_result r = {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(out),
                  slurp(err)};
  unlink(out);
  unlink(err);
  cr_assert(r.out && r.err);
  cr_expect(strstr(r.err, "Sanitizer") == NULL && strstr(r.err, "runtime error") == NULL,
            "sanitizer report:\n%s", r.err);
  return r;
}

/* adeis args... (NULL-terminated) in cwd (NULL = here). */
static run_result run_in(const char *cwd, const char *const args[])
{
  const char *argv[32] = {adeis_bin()};
  for (size_t i = 0; args[i] && i < 30; i++)
    argv[i + 1] = args[i];
  return run_argv(cwd, argv);
}

static run_result run_sh(const char *cwd, const char *line)
{
  return run_argv(cwd, (const char *[]){"sh", "-c", line, NULL});
}

static void run_free(run_result *r)
{
  free(r->out);
  free(r->err);
}

/* Printable ASCII and newlines only. */
static int plain_text(const char *s)
{
  for (; *s; s++)
    if (*s != '\n' && ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f))
      return 0;
  return 1;
}

TestSuite(hostile, .init = scratch_make, .fini = scratch_remove);

/* ---- option errors ---- */

Test(hostile, option_given_a_value_it_does_not_take)
{
  /* getopt_long reports "--sde=1" with optopt = the option's code (a control character) */
  run_result r = run_in(NULL, (const char *[]){"grad", "--sde=1", NULL});
  cr_expect_eq(r.code, 2);
  cr_expect_str_eq(r.err, "adeis grad: --sde: takes no value (adeis grad --help)\n");
  run_free(&r);
  r = run_in(NULL, (const char *[]){"study", "--quiet=yes", "x.ini", NULL});
  cr_expect_eq(r.code, 2);
  cr_expect_str_eq(r.err, "adeis study: --quiet: takes no value (adeis study --help)\n");
  run_free(&r);
}

Test(hostile, option_errors_print_no_control_characters)
{
  const char *words[] = {"--no-such=1", "--\x01\x1b[2J", "-\x07", "--steps"};
  const char *want[] = {"adeis grad: --no-such: unknown option (adeis grad --help)\n",
                        "adeis grad: --\\x01\\x1B[2J: unknown option (adeis grad --help)\n",
                        "adeis grad: -\\x07: unknown option (adeis grad --help)\n",
                        "adeis grad: --steps: missing its argument (adeis grad --help)\n"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
    run_result r = run_in(NULL, (const char *[]){"grad", words[i], NULL});
    cr_expect_eq(r.code, 2, "%s", r.err);
    cr_expect(plain_text(r.err), "control characters in '%s'", r.err);
    cr_expect_str_eq(r.err, want[i]);
    run_free(&r);
  }
}

/* ---- -o '' ---- */

Test(hostile, empty_output_folder_is_a_usage_error)
{
  errno = 0;
  cr_expect_eq(adeis_mkdir_p(""), -1);
  cr_expect_eq(errno, EINVAL);
  char *problem = put("p/g.ini", problem_ini);
  char text[512];
  snprintf(text, sizeof text, study_fmt, "p/g.ini");
  char *study = put("s.ini", text);
  run_result r = run_in(scratch, (const char *[]){"study", study, "-o", "", "--quiet", NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  cr_expect_str_eq(r.err, "adeis study: --output: expected a folder name, got an empty string\n");
  run_free(&r);
  r = run_in(scratch, (const char *[]){"study", study, "--output=", "--quiet", NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  run_free(&r);
  char *results = path_of("results");
  cr_expect_neq(access(results, F_OK), 0, "nothing was run");
  free(results);
  free(problem);
  free(study);
}

/* ---- long paths ---- */

/* scratch/ddd.../ddd.../... (folders of 200 characters) at least len characters long. */
static char *long_folder(size_t len)
{
  char name[201];
  memset(name, 'd', 200);
  name[200] = '\0';
  size_t cap = strlen(scratch) + len + 256;
  char *p = malloc(cap);
  cr_assert_not_null(p);
  strcpy(p, scratch);
  while (strlen(p) < len) {
    strcat(p, "/");
    strcat(p, name);
  }
  cr_assert_eq(adeis_mkdir_p(p), 0, "%s", strerror(errno));
  return p;
}

Test(hostile, set_error_keeps_a_4000_character_path_whole)
{
  char *dir = long_folder(4000);
  adeis_set_error("%s/s.ini:0: file: cannot open (%s)", dir, strerror(ENOENT));
  char want[8192];
  snprintf(want, sizeof want, "%s/s.ini:0: file: cannot open (%s)", dir, strerror(ENOENT));
  cr_expect_str_eq(adeis_errmsg(), want);
  /* the message may name itself (a cause wrapped in its context) */
  adeis_set_error("context: %s", adeis_errmsg());
  cr_expect_eq(strncmp(adeis_errmsg(), "context: ", 9), 0);
  cr_expect_str_eq(adeis_errmsg() + 9, want);
  free(dir);
}

Test(hostile, set_error_abbreviates_the_middle_of_a_too_long_message)
{
  size_t n = 3 * ADEIS_ERRMSG_MAX;
  char *path = malloc(n + 1);
  cr_assert_not_null(path);
  for (size_t i = 0; i < n; i++)
    path[i] = "abcdefghijklmnopqrstuvwxyz/"[i % 27];
  path[n] = '\0';
  adeis_set_error("%s:3: study.steps: expected step counts, got 'x'", path);
  const char *m = adeis_errmsg(), *end = ":3: study.steps: expected step counts, got 'x'";
  size_t len = strlen(m);
  cr_expect_eq(len, ADEIS_ERRMSG_MAX - 1, "the room is used");
  cr_expect_str_eq(m + len - strlen(end), end, "the reason is kept");
  cr_expect_eq(strncmp(m, path, 1000), 0, "the start is kept");
  cr_expect_not_null(strstr(m, " [...] "));
  free(path);
}

Test(hostile, abbreviation_cuts_between_utf8_characters)
{
  /* "é" is 2 bytes: no cut may split one */
  char src[400] = "";
  for (int i = 0; i < 150; i++)
    strcat(src, "\xC3\xA9");
  char dst[64];
  cr_expect_eq(adeis_abbreviate_middle(dst, sizeof dst, src), 300);
  const char *gap = strstr(dst, " [...] ");
  cr_assert_not_null(gap);
  cr_expect_eq((gap - dst) % 2, 0, "the start ends on a whole character");
  cr_expect_eq(strlen(gap + 7) % 2, 0, "the end starts on a whole character");
  cr_expect_lt(strlen(dst), sizeof dst);
  cr_expect_eq(adeis_abbreviate_middle(dst, sizeof dst, "short"), 5);
  cr_expect_str_eq(dst, "short");
}

Test(hostile, cli_message_with_a_4000_character_path_keeps_its_reason)
{
  char *dir = long_folder(4000);
  size_t n = strlen(dir) + 32;
  char *rel = malloc(n), *study = malloc(n);
  cr_assert(rel && study);
  snprintf(study, n, "%s/s.ini", dir);
  char text[512];
  snprintf(text, sizeof text, study_fmt, "missing.ini");
  FILE *f = fopen(study, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  run_result r = run_in(NULL, (const char *[]){"study", study, "--quiet", NULL});
  cr_expect_eq(r.code, 2, "%s", r.err);
  /* the study's path and line, the key, the path tried, and the reason at the end */
  char *head = malloc(n + 64);
  snprintf(head, n + 64, "adeis study: %s:4: study.problem: cannot use 'missing.ini'", study);
  cr_expect_eq(strncmp(r.err, head, strlen(head)), 0, "%.200s...", r.err);
  snprintf(head, n + 64, "%s/missing.ini:0: file: cannot open (%s)\n", dir, strerror(ENOENT));
  size_t le = strlen(r.err), lh = strlen(head);
  cr_expect(le > lh && strcmp(r.err + le - lh, head) == 0, "...%s", r.err + (le > 300 ? le - 300 : 0));
  run_free(&r);
  free(head);
  free(rel);
  free(study);
  free(dir);
}

/* ---- problem paths relative to the study file ---- */

Test(hostile, problem_paths_are_relative_to_the_study_file)
{
  char *problem = put("a/p/g.ini", problem_ini);
  char text[512];
  snprintf(text, sizeof text, study_fmt, "../p/g.ini");
  char *study = put("a/b/s.ini", text);
  adeis_study s;
  cr_assert_eq(adeis_study_load(study, &s), 0, "%s", adeis_errmsg());
  char *want = path_of("a/b/../p/g.ini");
  cr_expect_str_eq(s.problems[0].path, want);
  cr_expect_eq(s.text_len, strlen(text), "the bytes are kept");
  cr_expect_str_eq(s.text, text);
  adeis_study_clear(&s);
  /* the same study copied elsewhere: the error says which path was tried and why */
  char *copy = put("elsewhere/s.ini", text);
  cr_expect_eq(adeis_study_load(copy, &s), ADEIS_EINPUT);
  char *tried = path_of("elsewhere/../p/g.ini:0: file: cannot open");
  cr_expect_not_null(strstr(adeis_errmsg(), "s.ini:4: study.problem: cannot use '../p/g.ini' "
                                            "(relative paths are read from the study file's "
                                            "folder)"), "%s", adeis_errmsg());
  cr_expect_not_null(strstr(adeis_errmsg(), tried), "%s", adeis_errmsg());
  adeis_study_clear(&s);
  /* run from another working folder, the copy in place works */
  run_result r = run_in("/", (const char *[]){"study", study, "-o", scratch, "--no-plots",
                                              "--quiet", NULL});
  cr_expect_eq(r.code, 0, "%s", r.err);
  run_free(&r);
  free(tried);
  free(copy);
  free(want);
  free(problem);
  free(study);
}

/* ---- a study read from a pipe ---- */

Test(hostile, piped_study_is_read_once_and_copied_whole)
{
  char *problem = put("p/g.ini", problem_ini);
  char text[512];
  snprintf(text, sizeof text, study_fmt, "p/g.ini");
  char *study = put("s.ini", text);
  /* through a pipe (cat |), a shell's <(...) when there is one, and a redirected file; problem
   * paths are then relative to the working folder */
  const char *lines[] = {"cat s.ini | \"$ADEIS\" study /dev/stdin -o out1 --no-plots --quiet",
                         "\"$ADEIS\" study /dev/stdin -o out2 --no-plots --quiet < s.ini"};
  const char *dirs[] = {"out1", "out2"};
  for (int i = 0; i < 2; i++) {
    run_result r = run_sh(scratch, lines[i]);
    cr_expect_eq(r.code, 0, "%s: %s", lines[i], r.err);
    run_free(&r);
    char rel[64];
    snprintf(rel, sizeof rel, "%s/study.ini", dirs[i]);
    char *copy_path = path_of(rel), *copy = slurp(copy_path);
    cr_expect_not_null(copy, "%s", rel);
    if (copy)
      cr_expect_str_eq(copy, text, "%s holds the study's bytes", rel);
    free(copy);
    free(copy_path);
  }
  /* a piped study naming a problem relative to nothing else says so */
  char line[1024];
  snprintf(line, sizeof line, "cd / && cat '%s' | \"$ADEIS\" study /dev/stdin --quiet", study);
  run_result r = run_sh("/", line);
  cr_expect_eq(r.code, 2, "%s", r.err);
  cr_expect_not_null(strstr(r.err, "/dev/stdin:4: study.problem: cannot use 'p/g.ini' (the study "
                                   "file is a pipe or device: relative paths are read from the "
                                   "current folder)"), "%s", r.err);
  run_free(&r);
  free(problem);
  free(study);
}

/* ---- lines of the study file ---- */

Test(hostile, study_comments_of_any_length_and_empty_keys)
{
  char *problem = put("p/g.ini", problem_ini);
  char body[512];
  snprintf(body, sizeof body, study_fmt, "p/g.ini");
  size_t n = 1000;
  char *text = malloc(n + sizeof body + 16);
  cr_assert_not_null(text);
  strcpy(text, "# ");
  memset(text + 2, '#', n);
  strcpy(text + 2 + n, "\n");
  strcat(text, body);
  char *study = put("s.ini", text);
  adeis_study s;
  cr_expect_eq(adeis_study_load(study, &s), 0, "a long '#' comment: %s", adeis_errmsg());
  adeis_study_clear(&s);
  text[0] = ';';
  free(study);
  study = put("s.ini", text);
  cr_expect_eq(adeis_study_load(study, &s), 0, "a long ';' comment: %s", adeis_errmsg());
  adeis_study_clear(&s);
  free(study);
  study = put("s.ini", "[study]\n = 3\n");
  cr_expect_eq(adeis_study_load(study, &s), ADEIS_EINPUT);
  cr_expect_not_null(strstr(adeis_errmsg(), "s.ini:2: file: expected a key name before '=', "
                                            "got '= 3'"), "%s", adeis_errmsg());
  adeis_study_clear(&s);
  free(text);
  free(study);
  free(problem);
}

/* ---- [check] expect lines ---- */

static const char expect_study[] = "[study]\nname = chk\nproblem = p/g.ini\nprecision = 53\n"
                                   "grid = uniform-lambda uniform-t\nquantities = x_T theta\n"
                                   "steps = 256 512 1024 2048\n[methods]\nadjdeis-2m = 2\n"
                                   "euler-t = 1\n[check]\ntolerance = 0.1\n";

static int load_with(const char *extra, adeis_study *s)
{
  char text[1024];
  snprintf(text, sizeof text, "%s%s", expect_study, extra);
  free(put("p/g.ini", problem_ini));
  char *path = put("s.ini", text);
  int rc = adeis_study_load(path, s);
  free(path);
  return rc;
}

Test(hostile, expect_lines_parse_and_select_series)
{
  adeis_study s;
  cr_assert_eq(load_with("expect euler-t uniform-t = 0.9\nexpect  g  theta 53 = 1.5 0.3\n", &s), 0,
               "%s", adeis_errmsg());
  cr_assert_eq(s.n_expects, 2);
  const adeis_study_expect *e = &s.expects[0];
  cr_expect_eq(e->line, 13);
  cr_expect_eq(e->index[ADEIS_STUDY_DIM_METHOD], 1);
  cr_expect_eq(e->index[ADEIS_STUDY_DIM_GRID], 1);
  cr_expect_eq(e->index[ADEIS_STUDY_DIM_PROBLEM], -1);
  cr_expect_eq(e->index[ADEIS_STUDY_DIM_QUANTITY], -1);
  cr_expect(e->order == 0.9 && e->tolerance == 0.1, "the study's tolerance by default");
  e = &s.expects[1];
  cr_expect_eq(e->index[ADEIS_STUDY_DIM_PROBLEM], 0);
  cr_expect_eq(e->index[ADEIS_STUDY_DIM_PRECISION], 0);
  cr_expect_eq(e->index[ADEIS_STUDY_DIM_QUANTITY], ADEIS_Q_THETA);
  cr_expect(e->order == 1.5 && e->tolerance == 0.3);
  /* problem, method, grid, state, precision, quantity */
  double order, tol;
  adeis_study_expectation(&s, (size_t[]){0, 1, 1, 0, 0, ADEIS_Q_X_T}, &order, &tol);
  cr_expect(order == 0.9 && tol == 0.1, "euler-t uniform-t x_T: %g %g", order, tol);
  adeis_study_expectation(&s, (size_t[]){0, 1, 1, 0, 0, ADEIS_Q_THETA}, &order, &tol);
  cr_expect(order == 1.5 && tol == 0.3, "the last matching line wins: %g %g", order, tol);
  adeis_study_expectation(&s, (size_t[]){0, 0, 0, 0, 0, ADEIS_Q_X_T}, &order, &tol);
  cr_expect(order == 2 && tol == 0.1, "no line matches: the method's order: %g %g", order, tol);
  adeis_study_expectation(&s, (size_t[]){0, 1, 0, 0, 0, ADEIS_Q_X_T}, &order, &tol);
  cr_expect(order == 1 && tol == 0.1, "%g %g", order, tol);
  adeis_study_clear(&s);
}

Test(hostile, expect_lines_name_a_method_line_by_its_label)
{
  /* adjdeis-2m twice, once with its own state: each expect word names one [methods] line */
  static const char text[] = "[study]\nproblem = p/g.ini\nprecision = 53\n"
                             "steps = 256 512 1024\n[methods]\nadjdeis-2m = 2\n"
                             "adjdeis-2m@cached = 2\n[check]\nexpect adjdeis-2m@cached = 1.5\n"
                             "expect adjdeis-2m = 1.8\n";
  adeis_study s;
  free(put("p/g.ini", problem_ini));
  char *path = put("s.ini", text);
  int rc = adeis_study_load(path, &s);
  free(path);
  cr_assert_eq(rc, 0, "%s", adeis_errmsg());
  cr_assert_eq(s.n_methods, 2);
  cr_assert_str_eq(s.methods[1].label, "adjdeis-2m@cached");
  cr_expect_eq(s.expects[0].index[ADEIS_STUDY_DIM_METHOD], 1);
  cr_expect_eq(s.expects[1].index[ADEIS_STUDY_DIM_METHOD], 0);
  double order, tol;
  adeis_study_expectation(&s, (size_t[]){0, 1, 0, 0, 0, ADEIS_Q_X_T}, &order, &tol);
  cr_expect(order == 1.5, "adjdeis-2m@cached: %g", order);
  adeis_study_expectation(&s, (size_t[]){0, 0, 0, 0, 0, ADEIS_Q_X_T}, &order, &tol);
  cr_expect(order == 1.8, "adjdeis-2m: %g", order);
  adeis_study_clear(&s);
}

Test(hostile, expect_lines_errors_name_the_line)
{
  const char *extra[] = {"expect rk4 = 2\n", "expect uniform-t uniform-lambda = 2\n",
                         "expect = 2\n", "expect g = two\n", "expect g = 2 0\n",
                         "expect g = 2 0.1 7\n", "expect g = 1\nexpect g = 2\n",
                         "expected g = 2\n"};
  const char *want[] = {
    "s.ini:13: check.expect: 'rk4' is no problem, method, grid, state, precision or quantity",
    "s.ini:13: check.expect: two grids named ('uniform-lambda')",
    "s.ini:13: check.expect: expected 'expect WORDS = ORDER'",
    "s.ini:13: check.expect: expected 'ORDER [TOLERANCE]'",
    "s.ini:13: check.expect: expected 'ORDER [TOLERANCE]'",
    "s.ini:13: check.expect: expected 'ORDER [TOLERANCE]'",
    "s.ini:14: check.expect: expect line for 'g' given twice (first on line 13)",
    "s.ini:13: check.expected g: unknown key; expected tolerance or 'expect SERIES"};
  for (size_t i = 0; i < sizeof extra / sizeof *extra; i++) {
    adeis_study s;
    cr_expect_eq(load_with(extra[i], &s), ADEIS_EINPUT, "accepted: %s", extra[i]);
    cr_expect_not_null(strstr(adeis_errmsg(), want[i]), "%s: '%s' lacks '%s'", extra[i],
                       adeis_errmsg(), want[i]);
    adeis_study_clear(&s);
  }
}

Test(hostile, expect_line_decides_the_check)
{
  /* adjdeis-2m claimed order 3: FAIL; an expect line for it, order 2: ok, and orders.csv and
   * the check line show the expectation used */
  char text[1024];
  snprintf(text, sizeof text, "%s", expect_study);
  char *at = strstr(text, "adjdeis-2m = 2");
  at[13] = '3';
  at = strstr(text, " uniform-t\n");   /* uniform-lambda only: asymptotic from N = 256 */
  memmove(at, at + 10, strlen(at + 10) + 1);
  free(put("p/g.ini", problem_ini));
  char *bad = put("bad.ini", text);
  strcat(text, "; the method's order is 2: the study states it here\nexpect adjdeis-2m = 2\n");
  char *good = put("good.ini", text);
  run_result r = run_in(scratch, (const char *[]){"check", bad, "--quiet", NULL});
  cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
  cr_expect_not_null(strstr(r.out, "FAIL chk g adjdeis-2m uniform-lambda oracle 53 x_T fitted 2."),
                     "%s", r.out);
  run_free(&r);
  /* the same results folder: the edited study replaces the first one's (--force) */
  r = run_in(scratch, (const char *[]){"check", good, "--quiet", "--force", NULL});
  cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
  cr_expect_null(strstr(r.out, "FAIL"), "%s", r.out);
  cr_expect_not_null(strstr(r.out, "ok   chk g adjdeis-2m uniform-lambda oracle 53 theta fitted 2."),
                     "%s", r.out);
  cr_expect_not_null(strstr(r.out, "expected 2 tol 0.1"), "%s", r.out);
  run_free(&r);
  char *orders_path = path_of("results/chk/orders.csv"), *orders = slurp(orders_path);
  cr_assert_not_null(orders);
  cr_expect_not_null(strstr(orders, "\ng,adjdeis-2m,uniform-lambda,oracle,53,0,x_T,2,2."), "%s",
                     orders);
  cr_expect_not_null(strstr(orders, "\ng,euler-t,uniform-lambda,oracle,53,0,x_T,1,"), "%s", orders);
  free(orders);
  free(orders_path);
  free(bad);
  free(good);
}

/* ---- a full disk under stdout ---- */

Test(hostile, full_stdout_is_a_failure)
{
  /* /dev/full: every write fails with ENOSPC, as on a full disk */
  if (access("/dev/full", W_OK) != 0)
    cr_skip_test("/dev/full is not writable here");
  const char *root = getenv("ADEIS_ROOT");
  char line[2048];
  snprintf(line, sizeof line, "\"$ADEIS\" grad --problem '%s/problems/worked.ini' --method "
           "adjdeis-1 --steps 8 >/dev/full", root && *root ? root : ".");
  run_result r = run_sh(NULL, line);
  cr_expect_eq(r.code, 3, "%s", r.err);
  cr_expect_str_eq(r.err, "adeis: error writing the output\n");
  run_free(&r);
  r = run_sh(NULL, "\"$ADEIS\" list >/dev/full");
  cr_expect_eq(r.code, 3, "%s", r.err);
  run_free(&r);
}

/* ---- endless and huge study files ---- */

Test(hostile, study_file_size_is_bounded, .timeout = 60)
{
  adeis_study s;
  /* /dev/zero: reading stops at the first NUL byte, reported with its line */
  cr_expect_eq(adeis_study_load("/dev/zero", &s), ADEIS_EINPUT);
  cr_expect_str_eq(adeis_errmsg(), "/dev/zero:1: file: expected text, found a NUL byte (a binary "
                                   "file?)");
  adeis_study_clear(&s);
  /* a file one byte over ADEIS_STUDY_FILE_MAX, of comment lines */
  char *path = path_of("huge.ini");
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  static char line[1024];
  memset(line, ';', sizeof line - 1);
  line[sizeof line - 2] = '\n';
  for (size_t n = 0; n < ADEIS_STUDY_FILE_MAX; n += sizeof line - 1)
    fputs(line, f);
  fputc('\n', f);
  cr_assert_eq(fclose(f), 0);
  cr_expect_eq(adeis_study_load(path, &s), ADEIS_EINPUT);
  char want[600];
  snprintf(want, sizeof want, "%s:0: file: larger than 16 MiB; expected a study file", path);
  cr_expect_str_eq(adeis_errmsg(), want);
  adeis_study_clear(&s);
  free(path);
}

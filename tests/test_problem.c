/* Problem files (runs/problem.h): parsing, diagnostics with file:line: key, and
 * building at a precision. Files are written to a fresh temporary directory. */
#include "../analytic/gaussian.h"
#include "../runs/problem.h"
#include "../runs/registry.h"
#include "../core/status.h"

#include <criterion/criterion.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- temporary files ---- */

static char tmpdir[64];
static char tmppath[128];

static void make_tmpdir(void)
{
  strcpy(tmpdir, "/tmp/adeis-problem-XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
  if (tmppath[0])
    remove(tmppath);
  rmdir(tmpdir);
}

TestSuite(problem, .init = make_tmpdir, .fini = remove_tmpdir);

/* Write text to TMPDIR/name and return its path. */
static const char *write_file(const char *name, const char *text)
{
  snprintf(tmppath, sizeof tmppath, "%s/%s", tmpdir, name);
  FILE *f = fopen(tmppath, "wb");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  return tmppath;
}

/* The worked example, one line per entry (line numbers 1..15). */
static const char *const worked[] = {
  "[problem]",          "type = gaussian",        "dim = 3",
  "mean = 0.5 -1 2",    "var = 0.04 1 0.25",      "[schedule]",
  "name = vp-linear",   "t_end = 1e-3",           "T = 1",
  "[loss]",             "type = quadratic",       "target = 0.3 0.1 -0.2",
  "[start]",            "x_T = 0.7 -0.4 1.1",     "noise_seed = 7",
};
#define N_WORKED (sizeof worked / sizeof *worked)

/* The worked example with lines l1 and l2 (1-based, 0 = none) replaced. */
static char *worked_with(int l1, const char *r1, int l2, const char *r2)
{
  size_t cap = 4096, len = 0;
  char *s = malloc(cap);
  cr_assert_not_null(s);
  s[0] = '\0';
  for (int i = 1; i <= (int)N_WORKED; i++) {
    const char *line = i == l1 ? r1 : i == l2 ? r2 : worked[i - 1];
    len += (size_t)snprintf(s + len, cap - len, "%s\n", line);
    cr_assert_lt(len, cap);
  }
  return s;
}

static int load_text(const char *text, adeis_problem_spec *spec)
{
  return adeis_problem_load(write_file("p.ini", text), spec);
}

static void assert_vec_is_text(const adeis_vec *v, const char *const text[], mpfr_prec_t prec);

/* The value of a [problem] key of the model type. */
#define PARAM(sp, name) adeis_problem_param(&(sp), (name))

/* ---- a good file ---- */

Test(problem, worked_example_spec)
{
  adeis_problem_spec sp;
  char *text = worked_with(0, NULL, 0, NULL);
  cr_assert_eq(load_text(text, &sp), ADEIS_OK, "%s", adeis_errmsg());
  free(text);
  cr_assert_str_eq(sp.path, tmppath);
  cr_assert_str_eq(sp.type->name, "gaussian");
  cr_assert_str_eq(sp.loss->name, "quadratic");
  cr_assert_eq(sp.dim, 3);
  cr_assert_eq(PARAM(sp, "cond_dim")->u, 0);
  cr_assert_eq(sp.schedule, &adeis_schedule_vp_linear);
  cr_assert_str_eq(sp.T, "1");
  cr_assert_str_eq(sp.t_end, "1e-3");
  cr_assert_eq(PARAM(sp, "mean")->list.n, 3);
  cr_assert_eq(PARAM(sp, "mean")->list.line, 4);
  cr_assert_str_eq(PARAM(sp, "mean")->list.text[0], "0.5");
  cr_assert_str_eq(PARAM(sp, "mean")->list.text[1], "-1");
  cr_assert_str_eq(PARAM(sp, "mean")->list.text[2], "2");
  cr_assert_eq(PARAM(sp, "var")->list.n, 3);
  cr_assert_str_eq(PARAM(sp, "var")->list.text[0], "0.04");
  cr_assert_eq(PARAM(sp, "var")->list.line, 5);
  cr_assert_eq(sp.target.n, 3);
  cr_assert_str_eq(sp.target.text[2], "-0.2");
  cr_assert_eq(sp.x_T.n, 3);
  cr_assert_str_eq(sp.x_T.text[1], "-0.4");
  cr_assert_eq(sp.x_T.line, 14);
  cr_assert_eq(PARAM(sp, "W")->list.n, 0);
  cr_assert_eq(PARAM(sp, "z")->list.n, 0);
  cr_assert_eq(sp.has_x_T_seed, 0);
  cr_assert_eq(sp.noise_seed, 7);
  cr_assert_eq(PARAM(sp, "rotation_seed")->u, 0);
  adeis_problem_spec_clear(&sp);
  adeis_problem_spec_clear(&sp);
}

Test(problem, optional_keys_comments_continuations)
{
  const char *text = "\xEF\xBB\xBF; a comment line\r\n"
                     "# another\r\n"
                     "[ problem ]   ; section with blanks\r\n"
                     "  type = gaussian\r\n"
                     "  dim: 3\r\n"
                     "mean = 0.5 -1 2   ; m\r\n"
                     "var = 0.04 1\r\n"
                     "      0.25\r\n"
                     "cond_dim = 2\r\n"
                     "W = 1 0\r\n"
                     "    0 1\r\n"
                     "\r\n"
                     "    0.5 0.5\r\n"
                     "z = 0 -0.5\r\n"
                     "rotation_seed = 3\r\n"
                     "[schedule]\r\n"
                     "name = ve-edm\r\n"
                     "[loss]\r\n"
                     "type = quadratic\r\n"
                     "target = 0.3 0.1 -0.2\r\n"
                     "[start]\r\n"
                     "seed = 18446744073709551615\r\n";
  adeis_problem_spec sp;
  cr_assert_eq(load_text(text, &sp), ADEIS_OK, "%s", adeis_errmsg());
  cr_assert_eq(sp.dim, 3);
  cr_assert_eq(PARAM(sp, "var")->list.n, 3);
  cr_assert_str_eq(PARAM(sp, "var")->list.text[2], "0.25");
  cr_assert_eq(PARAM(sp, "cond_dim")->u, 2);
  cr_assert_eq(PARAM(sp, "W")->list.n, 6);
  cr_assert_eq(PARAM(sp, "W")->list.line, 10);
  cr_assert_str_eq(PARAM(sp, "W")->list.text[5], "0.5");
  cr_assert_eq(PARAM(sp, "z")->list.n, 2);
  cr_assert_str_eq(PARAM(sp, "z")->list.text[1], "-0.5");
  cr_assert_eq(PARAM(sp, "rotation_seed")->u, 3);
  cr_assert_eq(sp.schedule, &adeis_schedule_ve_edm);
  cr_assert_null(sp.T);
  cr_assert_null(sp.t_end);
  cr_assert_eq(sp.has_x_T_seed, 1);
  cr_assert_eq(sp.x_T_seed, 18446744073709551615UL);
  cr_assert_eq(sp.x_T.n, 0);
  cr_assert_eq(sp.noise_seed, 0);
  adeis_problem_spec_clear(&sp);
}

/* Lists longer than inih's 200-character lines, on one line. */
Test(problem, long_lines)
{
  size_t dim = 120, cap = 64 * dim + 512, len = 0;
  char *text = malloc(cap);
  len += (size_t)snprintf(text + len, cap - len, "[problem]\ntype = gaussian\ndim = %zu\nmean =", dim);
  for (size_t i = 0; i < dim; i++)
    len += (size_t)snprintf(text + len, cap - len, " %zu.125", i);
  len += (size_t)snprintf(text + len, cap - len, " ; a comment that must not become numbers 1 2\nvar =");
  for (size_t i = 0; i < dim; i++)
    len += (size_t)snprintf(text + len, cap - len, " 1");
  len += (size_t)snprintf(text + len, cap - len, "\n[schedule]\nname = vp-linear\n[loss]\n"
                                                 "type = quadratic\ntarget =");
  for (size_t i = 0; i < dim; i++)
    len += (size_t)snprintf(text + len, cap - len, " -0.5");
  snprintf(text + len, cap - len, "\n[start]\nseed = 1\nnoise_seed = 2\n");
  adeis_problem_spec sp;
  cr_assert_eq(load_text(text, &sp), ADEIS_OK, "%s", adeis_errmsg());
  cr_assert_eq(PARAM(sp, "mean")->list.n, dim);
  cr_assert_str_eq(PARAM(sp, "mean")->list.text[dim - 1], "119.125");
  cr_assert_eq(PARAM(sp, "var")->list.n, dim);
  cr_assert_eq(sp.target.n, dim);
  cr_assert_eq(sp.noise_seed, 2);
  adeis_problem_spec_clear(&sp);
  free(text);
}

/* Numbers with hundreds of digits, for high working precisions. */
Test(problem, long_numbers)
{
  char third[352] = "0.", text[8192];
  memset(third + 2, '3', 340);
  third[342] = '\0';
  snprintf(text, sizeof text,
           "[problem]\ntype = gaussian\ndim = 3\nmean = %s -1 %s\nvar = 1 %s 1\n"
           "[schedule]\nname = vp-linear\nt_end = 0.00%s\n[loss]\ntype = quadratic\n"
           "target = 0 0 0\n[start]\nx_T = %s\n  %s\n %s\n",
           third, third, third, third + 2, third, third, third);
  adeis_problem_spec sp;
  cr_assert_eq(load_text(text, &sp), ADEIS_OK, "%s", adeis_errmsg());
  cr_assert_str_eq(PARAM(sp, "mean")->list.text[0], third);
  cr_assert_str_eq(PARAM(sp, "mean")->list.text[1], "-1");
  cr_assert_str_eq(PARAM(sp, "var")->list.text[1], third);
  cr_assert_eq(strlen(sp.t_end), 344);
  cr_assert_eq(sp.x_T.n, 3);
  cr_assert_str_eq(sp.x_T.text[2], third);
  adeis_problem pb;
  cr_assert_eq(adeis_problem_build(&sp, 1100, &pb), ADEIS_OK, "%s", adeis_errmsg());
  assert_vec_is_text(pb.x_T, (const char *const *)sp.x_T.text, 1100);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&sp);

  snprintf(text, sizeof text, "[problem]\ntype = gaussian\ndim = 3\nmean = 1 %sx 2\n", third);
  cr_assert_eq(load_text(text, &sp), ADEIS_EINPUT);
  char expect[256];
  snprintf(expect, sizeof expect, "%s:4: problem.mean: expected a finite decimal number, got '0.333",
           tmppath);
  cr_assert(strncmp(adeis_errmsg(), expect, strlen(expect)) == 0, "%s", adeis_errmsg());
  snprintf(text, sizeof text, "[problem]\ntype = gaussian %s\n", third);
  cr_assert_eq(load_text(text, &sp), ADEIS_EINPUT);
  snprintf(expect, sizeof expect, "%s:2: problem.type: expected a model type, got 'gaussian 0.333",
           tmppath);
  cr_assert(strncmp(adeis_errmsg(), expect, strlen(expect)) == 0, "%s", adeis_errmsg());
  cr_assert_eq(load_text("[problem]\ntype = gaussian\x1f" "0\n", &sp), ADEIS_EINPUT);
  cr_assert(strstr(adeis_errmsg(), ":2: file: control character") != NULL, "%s", adeis_errmsg());
}

/* ---- bad files: ADEIS_EINPUT and "FILE:LINE: section.key: what" ---- */

typedef struct bad_case {
  int l1;
  const char *r1;
  int l2;
  const char *r2;
  const char *expect;   /* what follows "PATH:" */
} bad_case;

static const bad_case bad_cases[] = {
  {5, "", 0, NULL, "1: problem.var: missing; expected 3 positive numbers"},
  {2, "", 0, NULL, "1: problem.type: missing"},
  {3, "", 0, NULL, "1: problem.dim: missing"},
  {4, "mean = 0.5 -1", 0, NULL, "4: problem.mean: expected 3 numbers, got 2"},
  {4, "mean = 0.5 -1 2 3", 0, NULL, "4: problem.mean: expected 3 numbers, got 4"},
  {4, "mean =", 0, NULL, "4: problem.mean: expected 3 numbers, got 0"},
  {5, "var = 0.04 0 0.25", 0, NULL, "5: problem.var: expected a positive"},
  {5, "var = 0.04 -1 0.25", 0, NULL, "5: problem.var: expected a positive"},
  {5, "var = 1e-999999999999 1 1", 0, NULL, "5: problem.var:"},
  {4, "mean = 0.5 abc 2", 0, NULL, "4: problem.mean: expected a finite decimal number, got 'abc'"},
  {4, "mean = 0.5 nan 2", 0, NULL, "4: problem.mean: expected a finite"},
  {4, "mean = 0.5 inf 2", 0, NULL, "4: problem.mean: expected a finite"},
  {4, "mean = 0.5 -inf 2", 0, NULL, "4: problem.mean: expected a finite"},
  {4, "mean = 0.5 1e 2", 0, NULL, "4: problem.mean: expected a finite"},
  {4, "mean = 0.5 0x10 2", 0, NULL, "4: problem.mean: expected a finite"},
  {4, "mean = 0.5, -1, 2", 0, NULL, "4: problem.mean: expected a finite"},
  {4, "mean = 0.5 1e99999999999999999999 2", 0, NULL, "4: problem.mean: expected a finite"},
  {3, "dim = 0", 0, NULL, "3: problem.dim: expected an integer in 1..100000000, got '0'"},
  {3, "dim = -3", 0, NULL, "3: problem.dim: expected an integer"},
  {3, "dim = 3.0", 0, NULL, "3: problem.dim: expected an integer"},
  {3, "dim = 3 4", 0, NULL, "3: problem.dim: expected an integer"},
  {3, "dim = 100000001", 0, NULL, "3: problem.dim: expected an integer"},
  {3, "dim = 99999999999999999999999", 0, NULL, "3: problem.dim: expected an integer"},
  {3, "dim = x", 0, NULL, "3: problem.dim: expected an integer"},
  {3, "dim =", 0, NULL, "3: problem.dim: expected an integer"},
  {3, "dim = 4", 0, NULL, "4: problem.mean: expected 4 numbers, got 3"},
  {2, "type = mixture", 0, NULL, "2: problem.type: unknown problem type 'mixture'"},
  {7, "name = vp-square", 0, NULL, "7: schedule.name: unknown schedule 'vp-square'"},
  {7, "name =", 0, NULL, "7: schedule.name: expected a schedule name"},
  {11, "type = l1", 0, NULL, "11: loss.type: unknown loss type 'l1'"},
  {8, "t_end = 1", 0, NULL, "8: schedule.t_end: expected t_end < T"},
  {8, "t_end = 2", 0, NULL, "8: schedule.t_end: expected t_end < T"},
  {8, "t_end = 0", 0, NULL, "8: schedule.t_end: expected one positive number"},
  {8, "t_end = -1e-3", 0, NULL, "8: schedule.t_end: expected one positive number"},
  {8, "t_end = 1e-3 2e-3", 0, NULL, "8: schedule.t_end: expected one positive number"},
  {9, "T = -1", 0, NULL, "9: schedule.T: expected one positive number"},
  {9, "T = abc", 0, NULL, "9: schedule.T: expected one positive number"},
  {9, "T = 1e-4", 0, NULL, "8: schedule.t_end: expected t_end < T"},
  {8, "", 9, "T = 1e-4", "9: schedule.T: expected t_end < T"},
  {7, "name = vp-cosine", 9, "T = 1.5", "9: schedule.T: schedule vp-cosine is not defined"},
  /* lambda(T) finite at 256 bits, but t(lambda) overflows MPFR's exponent range */
  {9, "T = 1e6", 0, NULL, "9: schedule.T: schedule vp-linear is not defined"},
  {15, "seed = 3", 0, NULL, "15: start.seed: expected either start.x_T or start.seed, not both"},
  {14, "", 0, NULL, "13: start.x_T: missing; expected 3 numbers (or start.seed = N)"},
  {14, "seed = -1", 0, NULL, "14: start.seed: expected an integer"},
  {15, "noise_seed = -1", 0, NULL, "15: start.noise_seed: expected an integer in 0.."},
  {15, "noise_seed = +7", 0, NULL, "15: start.noise_seed: expected an integer"},
  {15, "noise_seed = 18446744073709551616", 0, NULL, "15: start.noise_seed: expected an integer"},
  {15, "noise_seed = 7\nnoise_seed = 8", 0, NULL,
   "16: start.noise_seed: duplicate key (first given on line 15)"},
  {4, "mean = 1 2 3", 5, "mean = 1 2 3", "5: problem.mean: duplicate key (first given on line 4)"},
  {5, "var = 0.04 1 0.25\nW = 1 0 0", 0, NULL, "6: problem.W: given without problem.cond_dim"},
  {5, "var = 0.04 1 0.25\nz = 1", 0, NULL, "6: problem.z: given without problem.cond_dim"},
  {5, "var = 0.04 1 0.25\ncond_dim = 2\nW = 1 0 0 1 0.5\nz = 0 0", 0, NULL,
   "7: problem.W: expected 6 numbers, got 5"},
  {5, "var = 0.04 1 0.25\ncond_dim = 2\nW = 1 0 0 1 0.5 0.5", 0, NULL, "1: problem.z: missing"},
  {5, "var = 0.04 1 0.25\ncond_dim = 2\nW = 1 0 0 1 0.5 0.5\nz = 1", 0, NULL,
   "8: problem.z: expected 2 numbers, got 1"},
  {5, "var = 0.04 1 0.25\ncond_dim = -1", 0, NULL, "6: problem.cond_dim: expected an integer"},
  {5, "var = 0.04 1 0.25\nrotation_seed = x", 0, NULL, "6: problem.rotation_seed: expected an integer"},
  {1, "dim = 3\n[problem]", 0, NULL, "1: dim: key outside a known section"},
  {6, "[scheduler]", 0, NULL, "6: file: unknown section [scheduler]"},
  {6, "[schedule", 0, NULL, "6: file: expected '[section]' alone"},
  {6, "[schedule] x", 0, NULL, "6: file: expected '[section]' alone"},
  {2, "type = gaussian\ncolour = red", 0, NULL, "3: problem.colour: unknown key"},
  {9, "t = 1", 0, NULL, "9: schedule.t: unknown key; expected one of name, T, t_end"},
  {2, "type = gaussian\nthis is not ini", 0, NULL, "3: file: expected 'key = value'"},
  {2, "type = gaussian\n  extra", 0, NULL, "3: problem.type: expected one value on one line"},
  {7, "name = vp-linear vp-cosine", 0, NULL, "7: schedule.name: expected a schedule name"},
  {10, "", 0, NULL, "11: schedule.type: unknown key"},
  {15, "noise_seed = 7\n[reference]\nmax_steps = 32", 0, NULL,
   "17: reference.max_steps: expected an integer in 64..100000000, got '32'"},
  {15, "noise_seed = 7\n[reference]\nguard_bits = -1", 0, NULL,
   "17: reference.guard_bits: expected an integer in 0.."},
  {15, "noise_seed = 7\n[reference]\nprecision = 53", 0, NULL,
   "17: reference.precision: unknown key; expected one of max_steps, guard_bits"},
};

Test(problem, bad_inputs)
{
  for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
    const bad_case *bc = &bad_cases[i];
    char *text = worked_with(bc->l1, bc->r1, bc->l2, bc->r2);
    adeis_problem_spec sp;
    int rc = load_text(text, &sp);
    char expect[256];
    snprintf(expect, sizeof expect, "%s:%s", tmppath, bc->expect);
    cr_expect_eq(rc, ADEIS_EINPUT, "case %zu (%s): rc %d", i, bc->expect, rc);
    cr_expect(strncmp(adeis_errmsg(), expect, strlen(expect)) == 0,
              "case %zu: got\n  %s\nexpected it to start with\n  %s", i, adeis_errmsg(), expect);
    cr_expect_eq(sp.dim, 0, "a failed load leaves the spec cleared");
    adeis_problem_spec_clear(&sp);
    free(text);
  }
}

/* [reference]: absent, the defaults (no bound of its own, guard bits not given); given, the
 * values as written. */
Test(problem, reference_section)
{
  adeis_problem_spec sp;
  char *text = worked_with(0, NULL, 0, NULL);
  cr_assert_eq(load_text(text, &sp), 0, "%s", adeis_errmsg());
  cr_expect_eq(sp.ref_max_steps, 0);
  cr_expect_eq(sp.has_ref_guard_bits, 0);
  adeis_problem_spec_clear(&sp);
  free(text);
  text = worked_with(15, "noise_seed = 7\n[reference]\nmax_steps = 2048\nguard_bits = 0", 0, NULL);
  cr_assert_eq(load_text(text, &sp), 0, "%s", adeis_errmsg());
  cr_expect_eq(sp.ref_max_steps, 2048);
  cr_expect_eq(sp.has_ref_guard_bits, 1);
  cr_expect_eq(sp.ref_guard_bits, 0);
  adeis_problem_spec_clear(&sp);
  free(text);
}

Test(problem, missing_section_reported_at_last_line)
{
  char text[1024] = "";
  for (size_t i = 0; i < N_WORKED; i++)
    if (i < 9 || i > 11) {   /* drop [loss] and its keys: 12 lines remain */
      strcat(text, worked[i]);
      strcat(text, "\n");
    }
  adeis_problem_spec sp;
  cr_assert_eq(load_text(text, &sp), ADEIS_EINPUT);
  char expect[256];
  snprintf(expect, sizeof expect, "%s:12: loss.type: missing", tmppath);
  cr_assert(strncmp(adeis_errmsg(), expect, strlen(expect)) == 0, "%s", adeis_errmsg());
}

Test(problem, empty_and_missing_files)
{
  adeis_problem_spec sp;
  cr_assert_eq(load_text("", &sp), ADEIS_EINPUT);
  char expect[256];
  snprintf(expect, sizeof expect, "%s:1: problem.type: missing", tmppath);
  cr_assert(strncmp(adeis_errmsg(), expect, strlen(expect)) == 0, "%s", adeis_errmsg());

  char missing[160];
  snprintf(missing, sizeof missing, "%s/does-not-exist.ini", tmpdir);
  cr_assert_eq(adeis_problem_load(missing, &sp), ADEIS_EINPUT);
  snprintf(expect, sizeof expect, "%s:0: file: cannot open (", missing);
  cr_assert(strncmp(adeis_errmsg(), expect, strlen(expect)) == 0, "%s", adeis_errmsg());

  cr_assert_eq(adeis_problem_load(tmpdir, &sp), ADEIS_EINPUT);
  cr_assert(strstr(adeis_errmsg(), "file: cannot") != NULL, "%s", adeis_errmsg());
  adeis_problem_spec_clear(&sp);
}

Test(problem, binary_garbage_is_an_error_not_a_crash)
{
  char text[600];
  for (size_t i = 0; i < sizeof text - 1; i++)
    text[i] = (char)(1 + (i * 37 + 11) % 254);
  text[sizeof text - 1] = '\0';
  adeis_problem_spec sp;
  cr_assert_eq(load_text(text, &sp), ADEIS_EINPUT);
  cr_assert(strncmp(adeis_errmsg(), tmppath, strlen(tmppath)) == 0, "%s", adeis_errmsg());
}

/* ---- building at a precision ---- */

static void assert_vec_is_text(const adeis_vec *v, const char *const text[], mpfr_prec_t prec)
{
  mpfr_t got, want;
  mpfr_inits2(prec, got, want, (mpfr_ptr)0);
  for (size_t i = 0; i < v->n; i++) {
    adeis_vec_get(got, v, i);
    mpfr_set_str(want, text[i], 10, MPFR_RNDN);
    cr_assert(mpfr_equal_p(got, want), "component %zu of '%s' at %ld bits", i, text[i], (long)prec);
  }
  mpfr_clears(got, want, (mpfr_ptr)0);
}

static const char tenths[] = "[problem]\ntype = gaussian\ndim = 3\nmean = 0.1 -0.7 1.3\n"
                             "var = 0.3 1 0.2\n[schedule]\nname = vp-linear\nt_end = 0.0011\n"
                             "T = 0.9\n[loss]\ntype = quadratic\ntarget = 0.1 0.2 -0.3\n"
                             "[start]\nx_T = 0.7 -0.4 1.1\nnoise_seed = 9\n";

static void check_build_at(long prec)
{
  adeis_problem_spec sp;
  cr_assert_eq(load_text(tenths, &sp), ADEIS_OK, "%s", adeis_errmsg());
  adeis_problem pb;
  cr_assert_eq(adeis_problem_build(&sp, prec, &pb), ADEIS_OK, "%s", adeis_errmsg());
  cr_assert_eq(pb.be.prec, prec);
  cr_assert_eq(pb.noise_seed, 9);
  cr_assert_eq(pb.sched.type, &adeis_schedule_vp_linear);
  assert_vec_is_text(pb.x_T, (const char *const *)sp.x_T.text, (mpfr_prec_t)prec);
  assert_vec_is_text(pb.target, (const char *const *)sp.target.text, (mpfr_prec_t)prec);
  assert_vec_is_text(adeis_gaussian_mu(&pb.model), (const char *const *)PARAM(sp, "mean")->list.text,
                     (mpfr_prec_t)prec);
  mpfr_t want;
  mpfr_init2(want, pb.sched.prec);
  cr_assert_eq(pb.sched.prec, adeis_backend_scalar_prec(&pb.be));
  mpfr_set_str(want, "0.0011", 10, MPFR_RNDN);
  cr_assert(mpfr_equal_p(pb.sched.t_end, want));
  mpfr_set_str(want, "0.9", 10, MPFR_RNDN);
  cr_assert(mpfr_equal_p(pb.sched.T, want));
  mpfr_clear(want);
  /* 0.1 is the correctly rounded 0.1 at this precision: above 53 bits, not the double */
  mpfr_t x;
  mpfr_init2(x, (mpfr_prec_t)prec);
  adeis_vec_get(x, pb.target, 0);
  cr_assert_eq(mpfr_cmp_d(x, 0.1) == 0, prec == 53);
  mpfr_clear(x);
  cr_assert_eq(pb.model.dim, 3);
  adeis_problem_clear(&pb);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&sp);
}

Test(problem, build_53_bits) { check_build_at(53); }
Test(problem, build_256_bits) { check_build_at(256); }
Test(problem, build_1000_bits) { check_build_at(1000); }

Test(problem, build_rejects_precision_out_of_range)
{
  adeis_problem_spec sp;
  cr_assert_eq(load_text(tenths, &sp), ADEIS_OK);
  adeis_problem pb;
  cr_assert_eq(adeis_problem_build(&sp, 23, &pb), ADEIS_EINPUT);
  adeis_problem_clear(&pb);
  cr_assert_eq(adeis_problem_build(&sp, 65537, &pb), ADEIS_EINPUT);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&sp);
}

Test(problem, build_checks_the_double_range)
{
  char *text = worked_with(5, "var = 1e-400 1 0.25", 0, NULL);
  adeis_problem_spec sp;
  cr_assert_eq(load_text(text, &sp), ADEIS_OK, "%s", adeis_errmsg());
  adeis_problem pb;
  cr_assert_eq(adeis_problem_build(&sp, 53, &pb), ADEIS_EINPUT);
  char expect[256];
  snprintf(expect, sizeof expect, "%s:5: problem.var: '1e-400' is outside", tmppath);
  cr_assert(strncmp(adeis_errmsg(), expect, strlen(expect)) == 0, "%s", adeis_errmsg());
  adeis_problem_clear(&pb);
  cr_assert_eq(adeis_problem_build(&sp, 128, &pb), ADEIS_OK, "%s", adeis_errmsg());
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&sp);
  free(text);
}

Test(problem, x_T_drawn_from_seed)
{
  char *text = worked_with(14, "seed = 42", 0, NULL);
  adeis_problem_spec sp;
  cr_assert_eq(load_text(text, &sp), ADEIS_OK, "%s", adeis_errmsg());
  cr_assert_eq(sp.has_x_T_seed, 1);
  cr_assert_eq(sp.x_T_seed, 42);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 42);
  double want[3];
  for (int i = 0; i < 3; i++)
    want[i] = gsl_ran_gaussian(r, 1.0);
  gsl_rng_free(r);
  long precs[] = {53, 256};
  for (int k = 0; k < 2; k++) {
    adeis_problem pb;
    cr_assert_eq(adeis_problem_build(&sp, precs[k], &pb), ADEIS_OK, "%s", adeis_errmsg());
    mpfr_t x;
    mpfr_init2(x, (mpfr_prec_t)precs[k]);
    for (size_t i = 0; i < 3; i++) {
      adeis_vec_get(x, pb.x_T, i);
      cr_assert_eq(mpfr_cmp_d(x, want[i]), 0, "x_T[%zu] at %ld bits", i, precs[k]);
    }
    mpfr_clear(x);
    adeis_problem_clear(&pb);
  }
  adeis_problem_spec_clear(&sp);
  free(text);
}

Test(problem, conditioned_rotated_build)
{
  char *text = worked_with(5, "var = 0.04 1 0.25\ncond_dim = 2\nW = 1 0 0 1 0.5 0.5\nz = 0.2 -0.1\n"
                              "rotation_seed = 3", 0, NULL);
  adeis_problem_spec sp;
  cr_assert_eq(load_text(text, &sp), ADEIS_OK, "%s", adeis_errmsg());
  adeis_problem pb;
  cr_assert_eq(adeis_problem_build(&sp, 256, &pb), ADEIS_OK, "%s", adeis_errmsg());
  cr_assert_eq(pb.model.cond_dim, 2);
  /* mu = m + W z = (0.7, -1.1, 2.05) */
  const adeis_vec *mu = adeis_gaussian_mu(&pb.model);
  double want[3] = {0.7, -1.1, 2.05};
  for (size_t i = 0; i < 3; i++)
    cr_assert_float_eq(adeis_vec_get_d(mu, i), want[i], 1e-15);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&sp);
  free(text);
}

Test(problem, loss_gradient_is_x0_minus_target)
{
  adeis_problem_spec sp;
  cr_assert_eq(load_text(tenths, &sp), ADEIS_OK, "%s", adeis_errmsg());
  long precs[] = {53, 256};
  for (int k = 0; k < 2; k++) {
    adeis_problem pb;
    cr_assert_eq(adeis_problem_build(&sp, precs[k], &pb), ADEIS_OK, "%s", adeis_errmsg());
    adeis_vec *x0 = adeis_vec_alloc(&pb.be, 3), *G = adeis_vec_alloc(&pb.be, 3);
    const char *x0s[] = {"0.35", "-1.25", "2.5"};
    mpfr_t a, b, want;
    mpfr_inits2((mpfr_prec_t)precs[k], a, b, want, (mpfr_ptr)0);
    for (size_t i = 0; i < 3; i++) {
      mpfr_set_str(a, x0s[i], 10, MPFR_RNDN);
      adeis_vec_set(x0, i, a);
    }
    adeis_problem_loss_grad(&pb, G, x0);
    for (size_t i = 0; i < 3; i++) {
      adeis_vec_get(a, x0, i);
      adeis_vec_get(b, pb.target, i);
      mpfr_sub(want, a, b, MPFR_RNDN);
      adeis_vec_get(a, G, i);
      cr_assert(mpfr_equal_p(a, want), "G[%zu] at %ld bits", i, precs[k]);
    }
    mpfr_clears(a, b, want, (mpfr_ptr)0);
    adeis_vec_free(x0);
    adeis_vec_free(G);
    adeis_problem_clear(&pb);
  }
  adeis_problem_spec_clear(&sp);
}

/* The adeis program, run as a user runs it: exit codes, stdout, stderr, JSON output.
 * make check sets ADEIS_BIN (the built program) and ADEIS_ROOT (the repository). */
#include "../core/grid.h"
#include "../core/schedule.h"
#include "../solvers/adjoint.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- running the program ---- */

typedef struct run_result {
  int code;        /* exit status, or 128 + signal */
  char *out, *err;
} run_result;

static const char *adeis_bin(void)
{
  const char *bin = getenv("ADEIS_BIN");
  if (!bin || !*bin)
    cr_skip_test("ADEIS_BIN is not set (run the CLI tests with make check)");
  return bin;
}

static char *read_all(FILE *f)
{
  fflush(f);
  rewind(f);
  size_t cap = 4096, n = 0, k;
  char *s = malloc(cap);
  cr_assert_not_null(s);
  while ((k = fread(s + n, 1, cap - n - 1, f)) > 0) {
    n += k;
    if (cap - n < 2) {
      cap *= 2;
      s = realloc(s, cap);
      cr_assert_not_null(s);
    }
  }
  s[n] = '\0';
  return s;
}

static void exec_child(const char *bin, const char *const args[], int out_fd, int err_fd)
{
  const char *argv[64];
  size_t n = 0;
  argv[n++] = bin;
  for (size_t i = 0; args[i] && n < 63; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  int in_fd = open("/dev/null", O_RDONLY);
  if (in_fd >= 0)
    dup2(in_fd, 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  alarm(300); /* survives exec: a hung program dies with SIGALRM instead of hanging the test */
  execv(bin, (char *const *)argv);
  _exit(127);
}

/* Run ADEIS_BIN with args (NULL-terminated), capturing stdout, stderr and the exit code. */
static run_result run(const char *const args[])
{
  const char *bin = adeis_bin();
  FILE *out = tmpfile(), *err = tmpfile();
  cr_assert(out && err);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0)
    exec_child(bin, args, fileno(out), fileno(err));
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  run_result r = {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), read_all(out),
                  read_all(err)};
  fclose(out);
  fclose(err);
  cr_expect(strstr(r.err, "Sanitizer") == NULL, "sanitizer report:\n%s", r.err);
  cr_expect(strstr(r.err, "runtime error") == NULL, "sanitizer report:\n%s", r.err);
  return r;
}

static void run_free(run_result *r)
{
  free(r->out);
  free(r->err);
}

static char worked_path[1024];

static const char *worked_ini(void)
{
  const char *root = getenv("ADEIS_ROOT");
  snprintf(worked_path, sizeof worked_path, "%s/problems/worked.ini", root && *root ? root : ".");
  return worked_path;
}

/* ---- a small JSON reader, enough to check the output is well formed ---- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
  jtype t;
  int b;
  double num;
  char *str;
  size_t n;
  struct jval *items;
  char **keys;
} jval;

static void json_free(jval *v)
{
  free(v->str);
  for (size_t i = 0; i < v->n; i++) {
    json_free(&v->items[i]);
    if (v->keys)
      free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  memset(v, 0, sizeof *v);
}

static int json_value(const char **p, jval *v);

static void skip_ws(const char **p)
{
  while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r')
    (*p)++;
}

static int json_string(const char **p, char **out)
{
  if (**p != '"')
    return -1;
  const char *s = ++*p;
  size_t n = 0;
  char *buf = malloc(strlen(s) + 1);
  while (*s && *s != '"') {
    if ((unsigned char)*s < 0x20) {
      free(buf);
      return -1;
    }
    if (*s == '\\') {
      s++;
      if (!strchr("\"\\/bfnrtu", *s) || !*s) {
        free(buf);
        return -1;
      }
    }
    buf[n++] = *s++;
  }
  if (*s != '"') {
    free(buf);
    return -1;
  }
  buf[n] = '\0';
  *out = buf;
  *p = s + 1;
  return 0;
}

static int json_number(const char **p, jval *v)
{
  const char *s = *p;
  if (*s == '-')
    s++;
  if (!isdigit((unsigned char)*s))
    return -1;
  char *end;
  v->t = J_NUM;
  v->num = strtod(*p, &end);
  if (end == *p)
    return -1;
  *p = end;
  return 0;
}

static int json_push(jval *v, jval *item, char *key)
{
  v->items = realloc(v->items, (v->n + 1) * sizeof *v->items);
  if (v->t == J_OBJ)
    v->keys = realloc(v->keys, (v->n + 1) * sizeof *v->keys);
  v->items[v->n] = *item;
  if (v->t == J_OBJ)
    v->keys[v->n] = key;
  v->n++;
  return 0;
}

static int json_members(const char **p, jval *v, char close)
{
  (*p)++;
  skip_ws(p);
  if (**p == close) {
    (*p)++;
    return 0;
  }
  for (;;) {
    char *key = NULL;
    jval item = {0};
    skip_ws(p);
    if (v->t == J_OBJ) {
      if (json_string(p, &key))
        return -1;
      skip_ws(p);
      if (**p != ':') {
        free(key);
        return -1;
      }
      (*p)++;
    }
    if (json_value(p, &item)) {
      free(key);
      json_free(&item);
      return -1;
    }
    json_push(v, &item, key);
    skip_ws(p);
    if (**p == close) {
      (*p)++;
      return 0;
    }
    if (**p != ',')
      return -1;
    (*p)++;
  }
}

static int json_value(const char **p, jval *v)
{
  skip_ws(p);
  memset(v, 0, sizeof *v);
  if (**p == '{') {
    v->t = J_OBJ;
    return json_members(p, v, '}');
  }
  if (**p == '[') {
    v->t = J_ARR;
    return json_members(p, v, ']');
  }
  if (**p == '"') {
    v->t = J_STR;
    return json_string(p, &v->str);
  }
  static const struct { const char *word; jtype t; int b; } words[] = {
    {"null", J_NULL, 0}, {"true", J_BOOL, 1}, {"false", J_BOOL, 0}};
  for (size_t i = 0; i < 3; i++)
    if (strncmp(*p, words[i].word, strlen(words[i].word)) == 0) {
      *p += strlen(words[i].word);
      v->t = words[i].t;
      v->b = words[i].b;
      return 0;
    }
  return json_number(p, v);
}

/* Parse a whole document (nothing but blanks after the value). */
static int json_parse(const char *text, jval *v)
{
  const char *p = text;
  if (json_value(&p, v))
    return -1;
  skip_ws(&p);
  return *p ? -1 : 0;
}

static const jval *jget(const jval *obj, const char *key)
{
  cr_assert_eq(obj->t, J_OBJ, "expected an object around '%s'", key);
  for (size_t i = 0; i < obj->n; i++)
    if (strcmp(obj->keys[i], key) == 0)
      return &obj->items[i];
  cr_assert_fail("JSON key '%s' missing", key);
  return NULL;
}

/* ---- version, help, usage ---- */

Test(cli, version)
{
  run_result r = run((const char *[]){"--version", NULL});
  cr_assert_eq(r.code, 0);
  cr_assert_str_eq(r.out, "adeis 0.1.0\n");
  run_free(&r);
}

Test(cli, help_for_the_program_and_every_subcommand)
{
  run_result r = run((const char *[]){"--help", NULL});
  cr_assert_eq(r.code, 0);
  cr_assert(strstr(r.out, "usage: adeis") != NULL, "%s", r.out);
  run_free(&r);
  const char *subs[] = {"list", "grad", "study", "check", "plot"};
  for (size_t i = 0; i < 5; i++) {
    r = run((const char *[]){subs[i], "--help", NULL});
    cr_expect_eq(r.code, 0, "adeis %s --help: exit %d, stderr %s", subs[i], r.code, r.err);
    cr_expect(strlen(r.out) > 0, "adeis %s --help printed nothing", subs[i]);
    run_free(&r);
  }
}

Test(cli, usage_errors_exit_2)
{
  run_result r = run((const char *[]){NULL});
  cr_assert_eq(r.code, 2);
  cr_assert(strstr(r.err, "usage") != NULL);
  run_free(&r);
  r = run((const char *[]){"frobnicate", NULL});
  cr_assert_eq(r.code, 2);
  cr_assert(strstr(r.err, "frobnicate") != NULL, "%s", r.err);
  cr_assert_str_empty(r.out);
  run_free(&r);
  r = run((const char *[]){"list", "--bogus", NULL});
  cr_assert_eq(r.code, 2);
  cr_assert(strstr(r.err, "--bogus") != NULL, "%s", r.err);
  run_free(&r);
}

/* ---- list ---- */

/* A line of text "  NAME  ORDER ..." for this method. */
static int lists_method(const char *out, const char *name, unsigned order)
{
  for (const char *line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    char word[128];
    unsigned o;
    if (sscanf(line, "%127s %u", word, &o) == 2 && strcmp(word, name) == 0 && o == order)
      return 1;
  }
  return 0;
}

Test(cli, list_prints_every_registry_name_with_its_order)
{
  run_result r = run((const char *[]){"list", NULL});
  cr_assert_eq(r.code, 0, "%s", r.err);
  for (size_t i = 0; adeis_methods[i]; i++)
    cr_expect(lists_method(r.out, adeis_methods[i]->name, adeis_methods[i]->order),
              "method %s (order %u) not listed", adeis_methods[i]->name, adeis_methods[i]->order);
  for (size_t i = 0; adeis_schedule_types[i]; i++)
    cr_expect(strstr(r.out, adeis_schedule_types[i]->name) != NULL);
  for (int k = 0; k < ADEIS_GRID_COUNT; k++)
    cr_expect(strstr(r.out, adeis_grid_name((adeis_grid_kind)k)) != NULL);
  for (int k = 0; k < ADEIS_STATE_COUNT; k++)
    cr_expect(strstr(r.out, adeis_state_name((adeis_state_mode)k)) != NULL);
  cr_expect(strstr(r.out, "gaussian") != NULL);
  run_free(&r);
}

/* ---- grad --json ---- */

static jval grad_json(const char *const extra[], run_result *r)
{
  const char *args[32] = {"grad", "--problem", worked_ini(), "--method", "adjdeis-1",
                          "--steps", "64", "--json"};
  size_t n = 8;
  for (size_t i = 0; extra && extra[i]; i++)
    args[n++] = extra[i];
  args[n] = NULL;
  *r = run(args);
  cr_assert_eq(r->code, 0, "exit %d: %s", r->code, r->err);
  jval doc;
  cr_assert_eq(json_parse(r->out, &doc), 0, "not JSON:\n%s", r->out);
  return doc;
}

/* Every entry of arr (decimal strings) within rel_tol of the decimal refs. */
static void expect_close(const jval *arr, const char *const refs[], size_t n, double rel_tol)
{
  cr_assert_eq(arr->t, J_ARR);
  cr_assert_eq(arr->n, n);
  mpfr_t a, b;
  mpfr_inits2(512, a, b, (mpfr_ptr)0);
  for (size_t i = 0; i < n; i++) {
    cr_assert_eq(arr->items[i].t, J_STR);
    cr_assert_eq(mpfr_set_str(a, arr->items[i].str, 10, MPFR_RNDN), 0, "'%s'", arr->items[i].str);
    mpfr_set_str(b, refs[i], 10, MPFR_RNDN);
    mpfr_sub(a, a, b, MPFR_RNDN);
    mpfr_div(a, a, b, MPFR_RNDN);
    cr_expect_lt(fabs(mpfr_get_d(a, MPFR_RNDN)), rel_tol, "entry %zu: %s vs %s", i,
                 arr->items[i].str, refs[i]);
  }
  mpfr_clears(a, b, (mpfr_ptr)0);
}

static size_t significant_digits(const char *s)
{
  size_t n = 0;
  for (; *s && *s != 'e' && *s != 'E'; s++)
    n += isdigit((unsigned char)*s) != 0;
  return n;
}

static const char *const keys_expected[] = {"method", "steps", "precision", "grid", "state", "sde",
                                            "nfe", "nvjp", "seconds", "grad", "exact",
                                            "rel_error", "store", "peak_vectors", "peak_bytes",
                                            "rel_error_discrete", "reconstruction_error",
                                            "backend", "reference", "reference_error",
                                            "reference_steps"};
#define N_KEYS (sizeof keys_expected / sizeof *keys_expected)

/* |g - e| / |e| from two JSON arrays of decimal strings, in double */
static double rel_error_of(const jval *g, const jval *e)
{
  double d = 0, n = 0;
  for (size_t i = 0; i < g->n; i++) {
    double a = strtod(g->items[i].str, NULL), b = strtod(e->items[i].str, NULL);
    d += (a - b) * (a - b);
    n += b * b;
  }
  return sqrt(d / n);
}

Test(cli, grad_json_matches_the_worked_example)
{
  run_result r;
  jval doc = grad_json((const char *[]){"--precision", "256", NULL}, &r);
  cr_assert_eq(doc.t, J_OBJ);
  cr_assert_eq(doc.n, N_KEYS, "keys: exactly %zu expected", N_KEYS);
  for (size_t i = 0; i < N_KEYS; i++)
    jget(&doc, keys_expected[i]);
  cr_assert_eq(jget(&doc, "seconds")->t, J_NUM);
  cr_assert_geq(jget(&doc, "seconds")->num, 0);
  cr_assert_str_eq(jget(&doc, "method")->str, "adjdeis-1");
  cr_assert_eq(jget(&doc, "steps")->num, 64);
  cr_assert_eq(jget(&doc, "precision")->num, 256);
  cr_assert_str_eq(jget(&doc, "grid")->str, "uniform-lambda");
  cr_assert_str_eq(jget(&doc, "state")->str, "oracle");
  cr_assert_eq(jget(&doc, "sde")->t, J_BOOL);
  cr_assert_eq(jget(&doc, "sde")->b, 0);
  cr_assert_eq(jget(&doc, "nfe")->num, 64);
  cr_assert_eq(jget(&doc, "nvjp")->num, 64);

  static const char *const grad_ref[] = {"0.0242363980899237", "-0.707336227152799",
                                         "0.574974394220439"};
  static const char *const exact_ref[] = {"0.067991326192542021852", "-1.4933734400161680065",
                                          "1.371956857198929974"};
  static const char *const exact_mu_ref[] = {"0.33903649020189920614", "-1.4834775113376393397",
                                             "2.7342501330920999634"};
  const jval *grad = jget(&doc, "grad"), *exact = jget(&doc, "exact");
  expect_close(jget(grad, "x_T"), grad_ref, 3, 1e-14);
  expect_close(jget(exact, "x_T"), exact_ref, 3, 1e-19);
  expect_close(jget(exact, "z"), exact_mu_ref, 3, 1e-19);
  cr_assert_eq(jget(grad, "theta")->n, 3);
  cr_assert_eq(jget(exact, "theta")->n, 3);
  const jval *x = jget(grad, "x_T");
  for (size_t i = 0; i < 3; i++)
    cr_expect_eq(significant_digits(x->items[i].str), 79, "'%s'", x->items[i].str);
  const jval *rel = jget(&doc, "rel_error");
  for (size_t q = 0; q < 3; q++) {
    /* full working precision, like the gradients, and equal to the error of the arrays */
    const char *names[] = {"x_T", "z", "theta"};
    const jval *e = jget(rel, names[q]);
    cr_assert_eq(e->t, J_STR);
    cr_expect_eq(significant_digits(e->str), 79, "'%s'", e->str);
    double want = rel_error_of(jget(grad, names[q]), jget(exact, names[q]));
    cr_expect(fabs(strtod(e->str, NULL) - want) <= 1e-12 * want, "%s: %s vs %.17g", names[q],
              e->str, want);
  }
  cr_assert_float_eq(strtod(jget(rel, "x_T")->str, NULL), 0.5521029, 1e-6);
  json_free(&doc);
  run_free(&r);
}

Test(cli, grad_json_double_precision)
{
  run_result r;
  jval doc = grad_json((const char *[]){"--precision", "53", NULL}, &r);
  cr_assert_eq(jget(&doc, "precision")->num, 53);
  const jval *x = jget(jget(&doc, "grad"), "x_T");
  for (size_t i = 0; i < 3; i++)
    cr_expect_eq(significant_digits(x->items[i].str), 17, "'%s'", x->items[i].str);
  static const char *const grad_ref[] = {"0.0242363980899237", "-0.707336227152799",
                                         "0.574974394220439"};
  expect_close(x, grad_ref, 3, 1e-12);
  json_free(&doc);
  run_free(&r);
}

/* SDE dL/dtheta has no exact value: it gets a reference (on the same Brownian path), and its
 * rel_error is taken against it; x_T and z keep their exact values and no reference. */
Test(cli, grad_json_sde_theta_has_a_reference)
{
  run_result r;
  jval doc = grad_json((const char *[]){"--sde", "--precision", "128", "--ref-max-steps", "256",
                                        NULL}, &r);
  cr_assert_eq(jget(&doc, "sde")->b, 1);
  cr_expect_str_eq(jget(&doc, "state")->str, "cached", "the SDE reads the sampled path");
  cr_assert_eq(jget(jget(&doc, "exact"), "theta")->t, J_NULL);
  cr_assert_eq(jget(jget(&doc, "exact"), "x_T")->t, J_ARR);
  cr_assert_eq(jget(jget(&doc, "rel_error"), "x_T")->t, J_STR);
  const jval *ref = jget(&doc, "reference"), *ref_err = jget(&doc, "reference_error");
  cr_assert_eq(jget(ref, "x_T")->t, J_NULL);
  cr_assert_eq(jget(ref_err, "x_T")->t, J_NULL);
  cr_assert_eq(jget(ref, "theta")->t, J_ARR);
  cr_assert_eq(jget(ref_err, "theta")->t, J_STR);
  cr_expect_eq(jget(&doc, "reference_steps")->num, 256);
  const jval *rel = jget(jget(&doc, "rel_error"), "theta");
  cr_assert_eq(rel->t, J_STR);
  double want = rel_error_of(jget(jget(&doc, "grad"), "theta"), jget(ref, "theta"));
  cr_expect(fabs(strtod(rel->str, NULL) - want) <= 1e-12 * want, "%s vs %.17g", rel->str, want);
  json_free(&doc);
  run_free(&r);
}

/* Where exact values exist the reference is null unless asked for. */
Test(cli, grad_json_reference_null_beside_exact)
{
  run_result r;
  jval doc = grad_json((const char *[]){"--precision", "128", NULL}, &r);
  cr_expect_eq(jget(&doc, "reference")->t, J_NULL);
  cr_expect_eq(jget(&doc, "reference_error")->t, J_NULL);
  cr_expect_eq(jget(&doc, "reference_steps")->t, J_NULL);
  json_free(&doc);
  run_free(&r);
}

Test(cli, grad_table)
{
  run_result r = run((const char *[]){"grad", "--problem", worked_ini(), "--method", "adjdeis-2m",
                                      "--steps", "64", NULL});
  cr_assert_eq(r.code, 0, "%s", r.err);
  cr_assert(strstr(r.out, "adjdeis-2m") && strstr(r.out, "x_T") && strstr(r.out, "theta"));
  cr_assert(strstr(r.out, "8.3399937615157") != NULL, "a_x(T)[0] of docs/math.md section 11:\n%s", r.out);
  cr_assert(strstr(r.out, "relative error") != NULL);
  cr_assert_str_empty(r.err);
  run_free(&r);
}

/* backsolve: the reconstructed x_T error is printed; dpm-1 there and back is first order */
static double backsolve_error(const char *steps)
{
  run_result r = run((const char *[]){"grad", "--problem", worked_ini(), "--method", "adjdeis-1",
                                      "--steps", steps, "--state", "backsolve", NULL});
  cr_assert_eq(r.code, 0, "%s", r.err);
  const char *p = strstr(r.out, "x_T back   relative error ");
  cr_assert_not_null(p, "%s", r.out);
  double e = strtod(p + strlen("x_T back   relative error "), NULL);
  run_free(&r);
  return e;
}

Test(cli, grad_backsolve_reports_the_reconstructed_x_T)
{
  double e1 = backsolve_error("256"), e2 = backsolve_error("512");
  cr_expect(e1 > 0 && e2 > 0 && e1 < 1e-1, "%.3e %.3e", e1, e2);
  cr_expect(fabs(log2(e1 / e2) - 1) < 0.15, "order %.3f (%.3e -> %.3e)", log2(e1 / e2), e1, e2);
}

/* ---- bad input: exit 2, the culprit named on stderr, nothing on stdout ---- */

static char tmpdir[64];
static char badpath[128];

static void make_tmpdir(void)
{
  strcpy(tmpdir, "/tmp/adeis-cli-XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
  snprintf(badpath, sizeof badpath, "%s/bad.ini", tmpdir);
}

static void remove_tmpdir(void)
{
  remove(badpath);
  rmdir(tmpdir);
}

/* worked.ini with line l (1-based) replaced by text */
static void write_bad(int l, const char *text)
{
  FILE *in = fopen(worked_ini(), "r");
  cr_assert_not_null(in, "cannot read %s", worked_ini());
  FILE *out = fopen(badpath, "w");
  cr_assert_not_null(out);
  char line[512];
  for (int i = 1; fgets(line, sizeof line, in); i++)
    fputs(i == l ? text : line, out);
  fclose(in);
  fclose(out);
}

static void expect_bad(const char *const args[], const char *needle)
{
  run_result r = run(args);
  cr_expect_eq(r.code, 2, "exit %d for '%s': %s", r.code, needle, r.err);
  cr_expect_str_empty(r.out, "stdout not empty for '%s'", needle);
  cr_expect(strstr(r.err, needle) != NULL, "stderr lacks '%s':\n%s", needle, r.err);
  run_free(&r);
}

typedef struct bad_file {
  int line;
  const char *text, *needle;
} bad_file;

Test(cli, bad_problem_files_exit_2, .init = make_tmpdir, .fini = remove_tmpdir)
{
  static const bad_file cases[] = {
    {5, "\n", "bad.ini:1: problem.var: missing"},
    {4, "mean = 0.5 -1\n", "bad.ini:4: problem.mean: expected 3 numbers, got 2"},
    {5, "var = 0.04 0 0.25\n", "bad.ini:5: problem.var:"},
    {8, "t_end = 1\n", "bad.ini:8: schedule.t_end:"},
    {4, "mean = 0.5 one 2\n", "bad.ini:4: problem.mean:"},
    {7, "name = vp-quartic\n", "bad.ini:7: schedule.name:"},
    {3, "dim = three\n", "bad.ini:3: problem.dim:"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    write_bad(cases[i].line, cases[i].text);
    expect_bad((const char *[]){"grad", "--problem", badpath, "--method", "adjdeis-1", "--steps",
                                "8", NULL},
               cases[i].needle);
  }
  expect_bad((const char *[]){"grad", "--problem", "/nonexistent/x.ini", "--method", "adjdeis-1",
                              "--steps", "8", NULL},
             "/nonexistent/x.ini:0: file: cannot open");
}

Test(cli, bad_options_exit_2)
{
  const char *p = worked_ini();
  typedef struct { const char *opt, *value, *needle; } bad_opt;
  static const bad_opt cases[] = {
    {"--method", "adjdeis-9", "--method"},   {"--grid", "uniform-x", "--grid"},
    {"--state", "telepathic", "--state"},    {"--precision", "23", "--precision"},
    {"--precision", "65537", "--precision"}, {"--precision", "256bits", "--precision"},
    {"--steps", "0", "--steps"},             {"--steps", "10000001", "--steps"},
    {"--steps", "x", "--steps: expected an integer in 1..10000000, got 'x'"},
    {"--steps", "-5", "--steps"},            {"--steps", "1e3", "--steps"},
    {"--tol", "abc", "--tol"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *args[16] = {"grad", "--problem", p, "--method", "adjdeis-1", "--steps", "8",
                            cases[i].opt, cases[i].value, NULL};
    expect_bad(args, cases[i].needle);
  }
  expect_bad((const char *[]){"grad", "--method", "adjdeis-1", "--steps", "8", NULL}, "--problem");
  expect_bad((const char *[]){"grad", "--problem", p, "--steps", "8", NULL}, "--method");
  expect_bad((const char *[]){"grad", "--problem", p, "--method", "adjdeis-1", NULL}, "--steps");
  expect_bad((const char *[]){"grad", "--problem", p, "--method", "adjdeis-1", "--steps", NULL},
             "--steps");
  expect_bad((const char *[]){"grad", "--problem", p, "--method", "adjdeis-1", "--steps", "8",
                              "--frobnicate", NULL},
             "--frobnicate");
  expect_bad((const char *[]){"grad", "--problem", p, "--method", "adjdeis-1", "--steps", "8",
                              "stray", NULL},
             "stray");
  expect_bad((const char *[]){"grad", "--problem", p, "--method", "adjdeis-1", "--steps", "8",
                              "--sde", "--state", "backsolve", NULL},
             "--state");
}

/* ---- nothing crashes ---- */

Test(cli, no_input_crashes, .init = make_tmpdir, .fini = remove_tmpdir)
{
  static const char *const texts[] = {
    "",
    "\n\n\n",
    "[problem]\ntype = gaussian\ndim = 100000000\nmean = 1\n",
    "[problem]\n=\n",
    "[]\n",
    "[problem\n",
    "\xff\xfe\x01\x02 = \x03\n[\x80]\n",
  };
  const char *grad[] = {"grad", "--problem", badpath, "--method", "adjdeis-2s", "--steps", "4", NULL};
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
    FILE *f = fopen(badpath, "w");
    fputs(texts[i], f);
    fclose(f);
    run_result r = run(grad);
    cr_expect(r.code < 128, "text %zu: killed by signal %d", i, r.code - 128);
    cr_expect_eq(r.code, 2, "text %zu: exit %d", i, r.code);
    run_free(&r);
  }
  const char *weird[][10] = {
    {"grad", "--problem", tmpdir, "--method", "adjdeis-1", "--steps", "4", NULL},
    {"grad", "--problem", "", "--method", "", "--steps", "", NULL},
    {"grad", "--problem=", NULL},
    {"grad", "--json", "--sde", NULL},
    {"grad", "-", NULL},
    {"grad", "--", "--help", NULL},
    {"list", "extra", NULL},
    {"help", "grad", NULL},
    {"help", "nothing", NULL},
  };
  for (size_t i = 0; i < sizeof weird / sizeof *weird; i++) {
    run_result r = run(weird[i]);
    cr_expect(r.code < 128, "args %zu: killed by signal %d", i, r.code - 128);
    run_free(&r);
  }
}

Test(cli, every_method_runs_on_the_worked_example)
{
  for (size_t i = 0; adeis_methods[i]; i++) {
    const adeis_method *m = adeis_methods[i];
    const char *prec = m->family == ADEIS_FAMILY_ADAPTIVE ? "53" : "128";
    run_result r = run((const char *[]){"grad", "--problem", worked_ini(), "--method", m->name,
                                        "--steps", "16", "--precision", prec, "--json", NULL});
    cr_expect_eq(r.code, 0, "%s: exit %d: %s", m->name, r.code, r.err);
    jval doc;
    cr_expect_eq(json_parse(r.out, &doc), 0, "%s: not JSON", m->name);
    json_free(&doc);
    run_free(&r);
  }
}

/* ---- discrete adjoints: --store, --zeta and their JSON keys ---- */

static double jnum_str(const jval *obj, const char *key, const char *q)
{
  const jval *v = jget(obj, key);
  if (q)
    v = jget(v, q);
  cr_assert_eq(v->t, J_STR, "%s.%s not a string", key, q ? q : "");
  return strtod(v->str, NULL);
}

Test(cli, grad_store_options_and_keys)
{
  const char *p = worked_ini();
  const char *bad[][4] = {
    {"adjdeis-1", "--store", "all", "--store"},
    {"adjdeis-1", "--zeta", "0.5", "--zeta"},
    {"dto-dpm-1", "--store", "checkpoint:0", "--store"},
    {"dto-dpm-1", "--store", "sometimes", "--store"},
    {"dto-dpm-2m", "--store", "reversible", "--store"},
    {"dto-dpm-1", "--zeta", "0.5", "--zeta"},  /* without --store reversible */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    expect_bad((const char *[]){"grad", "--problem", p, "--method", bad[i][0], "--steps", "8",
                                bad[i][1], bad[i][2], NULL},
               bad[i][3]);
  expect_bad((const char *[]){"grad", "--problem", p, "--method", "dto-dpm-1", "--steps", "8",
                              "--store", "reversible", "--zeta", "1.5", NULL},
             "--zeta");
  run_result r;
  /* checkpointing: the store-all gradient (rel_error_discrete exactly 0), counted recomputation */
  jval doc = grad_json((const char *[]){"--method", "dto-dpm-1", "--store", "checkpoint:4", NULL}, &r);
  cr_expect_str_eq(jget(&doc, "store")->str, "checkpoint:4");
  cr_expect_str_eq(jget(&doc, "state")->str, "cached");
  cr_expect_eq(jnum_str(&doc, "rel_error_discrete", "x_T"), 0);
  cr_expect_eq(jget(&doc, "reconstruction_error")->t, J_NULL);
  cr_expect_gt(jget(&doc, "nfe")->num, 128);
  /* dpm-1's discrete gradient at N = 64 is 4.5% from the continuous one (docs/studies.md) */
  cr_expect(fabs(jnum_str(&doc, "rel_error", "x_T") - 0.04502) < 1e-4);
  /* 3 components a vector, plus dL/dz and dL/dtheta (3 each); packed 256-bit MPFR: 8 bytes of
   * exponent and kind + 32 of limbs */
  cr_expect_eq(jget(&doc, "peak_bytes")->num, (jget(&doc, "peak_vectors")->num * 3 + 6) * 40);
  json_free(&doc);
  run_free(&r);
  /* reversible: O(1) vectors and x_T rebuilt to the working precision */
  doc = grad_json((const char *[]){"--method", "dto-dpm-1", "--store", "reversible", "--zeta",
                                   "0.9", NULL}, &r);
  cr_expect_str_eq(jget(&doc, "store")->str, "reversible");
  cr_expect_lt(jnum_str(&doc, "reconstruction_error", NULL), 1e-70);
  cr_expect_lt(jget(&doc, "peak_vectors")->num, 20);
  json_free(&doc);
  run_free(&r);
  /* a continuous adjoint: store null, and no discrete error (the keys' meaning: dto-* only) */
  doc = grad_json(NULL, &r);
  cr_expect_eq(jget(&doc, "store")->t, J_NULL);
  cr_expect_eq(jget(&doc, "rel_error_discrete")->t, J_NULL);
  json_free(&doc);
  run_free(&r);
  /* SDE: no discrete adjoint */
  doc = grad_json((const char *[]){"--sde", NULL}, &r);
  cr_expect_eq(jget(&doc, "rel_error_discrete")->t, J_NULL);
  json_free(&doc);
  run_free(&r);
}

/* --reference: the reference beside the exact values, within its estimate of them; rel_error
 * stays against the exact values. */
Test(cli, grad_reference_flag_beside_exact)
{
  run_result r;
  jval doc = grad_json((const char *[]){"--precision", "128", "--reference", "--ref-max-steps",
                                        "256", NULL}, &r);
  const char *names[] = {"x_T", "z", "theta"};
  const jval *ref = jget(&doc, "reference"), *est = jget(&doc, "reference_error");
  cr_expect_eq(jget(&doc, "reference_steps")->num, 256);
  for (size_t q = 0; q < 3; q++) {
    const jval *g = jget(jget(&doc, "grad"), names[q]), *e = jget(jget(&doc, "exact"), names[q]);
    const jval *rv = jget(ref, names[q]), *re = jget(est, names[q]);
    cr_assert_eq(rv->t, J_ARR);
    cr_assert_eq(re->t, J_STR);
    double bound = strtod(re->str, NULL), actual = rel_error_of(rv, e);
    cr_expect(bound > 0 && actual <= bound, "%s: reference off by %g, estimate %g", names[q],
              actual, bound);
    double want = rel_error_of(g, e), got = strtod(jget(jget(&doc, "rel_error"), names[q])->str, NULL);
    cr_expect(fabs(got - want) <= 1e-12 * want, "%s: rel_error %g, against exact %g", names[q],
              got, want);
  }
  json_free(&doc);
  run_free(&r);
}

Test(cli, grad_ref_max_steps_bad_input)
{
  const char *p = worked_ini();
  expect_bad((const char *[]){"grad", "--problem", p, "--method", "adjdeis-1", "--steps", "8",
                              "--ref-max-steps", "100", NULL},
             "--ref-max-steps");
  expect_bad((const char *[]){"grad", "--problem", p, "--method", "adjdeis-1", "--steps", "8",
                              "--ref-max-steps", "lots", NULL},
             "--ref-max-steps");
}

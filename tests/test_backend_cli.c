/* --backend on adeis grad and `backend =` in study files: the float and double backends give
 * the gradient the 256-bit MPFR run gives, to their precision; wrong combinations exit 2. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* stdout and stderr of `adeis ARGS` run in the source tree; *code its exit status */
static char *adeis(const char *args, int *code)
{
  const char *bin = getenv("ADEIS_BIN"), *root = getenv("ADEIS_ROOT");
  cr_assert(bin && root, "ADEIS_BIN and ADEIS_ROOT must be set (make check does)");
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s 2>&1", root, bin, args);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  size_t cap = 1 << 16, len = 0, k;
  char *out = malloc(cap);
  while ((k = fread(out + len, 1, cap - 1 - len, p)) > 0)
    len += k;
  out[len] = '\0';
  int st = pclose(p);
  *code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

/* the first component of "grad": {"x_T": [...]} */
static double grad_x0(const char *json)
{
  const char *p = strstr(json, "\"grad\": {\"x_T\": [\"");
  cr_assert_not_null(p, "%s", json);
  return strtod(p + strlen("\"grad\": {\"x_T\": [\""), NULL);
}

Test(backend_cli, float_and_double_agree_with_mpfr)
{
  const char *run = "grad --problem problems/worked.ini --method adjdeis-2m --steps 256 --json";
  char args[512];
  int code;
  char *mp = adeis(run, &code);
  cr_assert_eq(code, 0, "%s", mp);
  double want = grad_x0(mp);
  struct { const char *name, *prec; double tol; } b[] = {{"float", "24", 1e-5}, {"double", "53", 1e-13}};
  for (int i = 0; i < 2; i++) {
    snprintf(args, sizeof args, "%s --backend %s", run, b[i].name);
    char *out = adeis(args, &code);
    cr_assert_eq(code, 0, "%s", out);
    char key[64];
    snprintf(key, sizeof key, "\"backend\": \"%s\"", b[i].name);
    cr_expect_not_null(strstr(out, key), "%s", out);
    snprintf(key, sizeof key, "\"precision\": %s,", b[i].prec);
    cr_expect_not_null(strstr(out, key), "%s", out);
    double got = grad_x0(out);
    cr_expect(fabs(got - want) <= b[i].tol * fabs(want), "%s: %.17g vs %.17g", b[i].name, got, want);
    free(out);
  }
  free(mp);
}

Test(backend_cli, wrong_backend_or_precision_is_exit_2)
{
  const char *cases[][2] = {
    {"--backend float --precision 53", "--precision"},
    {"--backend double --precision 256", "--precision"},
    {"--backend mpfr --precision 23", "--precision"},
    {"--backend quad", "--backend"},
  };
  for (int i = 0; i < 4; i++) {
    char args[512];
    snprintf(args, sizeof args,
             "grad --problem problems/worked.ini --method adjdeis-1 --steps 8 %s", cases[i][0]);
    int code;
    char *out = adeis(args, &code);
    cr_expect_eq(code, 2, "%s: exit %d\n%s", cases[i][0], code, out);
    cr_expect_not_null(strstr(out, cases[i][1]), "%s: %s", cases[i][0], out);
    free(out);
  }
}

Test(backend_cli, study_on_the_float_backend)
{
  char dir[] = "/tmp/adeis-bcli-XXXXXX", path[128], args[512];
  cr_assert_not_null(mkdtemp(dir));
  const char *root = getenv("ADEIS_ROOT");
  snprintf(path, sizeof path, "%s/f.ini", dir);
  FILE *f = fopen(path, "w");
  fprintf(f, "[study]\nname = f\nproblem = %s/problems/gaussian-3d.ini\nbackend = float\n"
             "quantities = x_T\nsteps = 64 128 256 512\n[methods]\nadjdeis-2m = 2\n", root);
  fclose(f);
  int code;
  snprintf(args, sizeof args, "study %s -o %s/out -q --no-plots", path, dir);
  char *out = adeis(args, &code);
  cr_assert_eq(code, 0, "%s", out);
  free(out);
  snprintf(path, sizeof path, "cut -d, -f5 %s/out/errors.csv | sort -u | tr '\\n' ' '", dir);
  FILE *p = popen(path, "r");
  char col[128] = "";
  cr_assert_not_null(fgets(col, sizeof col, p));
  pclose(p);
  cr_expect_str_eq(col, "24 precision ", "the precision column of a float study");
  /* a precision the backend does not store is an error at its line */
  snprintf(path, sizeof path, "%s/g.ini", dir);
  f = fopen(path, "w");
  fprintf(f, "[study]\nname = g\nproblem = %s/problems/gaussian-3d.ini\nbackend = float\n"
             "precision = 53\nsteps = 64 128\n[methods]\nadjdeis-2m = 2\n", root);
  fclose(f);
  snprintf(args, sizeof args, "study %s -o %s/out2 -q", path, dir);
  out = adeis(args, &code);
  cr_expect_eq(code, 2, "%s", out);
  cr_expect_not_null(strstr(out, "g.ini:5: study.precision: backend float stores 24..24 bits"),
                     "%s", out);
  free(out);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

/* The report renderer (plots/report.h): CSV reading and its errors, series labels, number
 * formats, atomic writes, the gnuplot runner, and a full render of a small fixed study
 * (2 series, 4 step counts, 3 quantities, one NaN) against the golden files in
 * tests/golden/report/. ADEIS_UPDATE_GOLDEN=1 rewrites the golden files instead. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>

#include "../core/status.h"
#include "../plots/publish.h"
#include "../plots/report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

static const char errors_csv[] =
    "problem,method,grid,state,precision,sde,steps,quantity,rel_error,nfe,nvjp,seconds\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,8,x_T,1.29687500000000011e-02,8,8,0.000800\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,8,z,4.79843749999999975e-03,8,8,0.000800\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,8,theta,3.76093750000000004e-02,8,8,0.000800\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,16,x_T,6.36718750000000045e-03,16,16,0.001600\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,16,z,2.35585937499999988e-03,16,16,0.001600\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,16,theta,1.84648437500000012e-02,16,16,0.001600\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,32,x_T,3.15429687499999998e-03,32,32,0.003200\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,32,z,1.16708984374999983e-03,32,32,0.003200\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,32,theta,9.14746093749999913e-03,32,32,0.003200\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,64,x_T,1.56982421874999993e-03,64,64,0.006400\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,64,z,5.80834960937499944e-04,64,64,0.006400\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,64,theta,4.55249023437499963e-03,64,64,0.006400\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,8,x_T,2.10742187500000035e-03,8,8,0.000800\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,8,z,7.79746093750000166e-04,8,8,0.000800\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,8,theta,nan,8,8,0.000800\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,16,x_T,5.17333984375000053e-04,16,16,0.001600\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,16,z,1.91413574218750028e-04,16,16,0.001600\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,16,theta,1.50026855468750006e-03,16,16,0.001600\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,32,x_T,1.28143310546874995e-04,32,32,0.003200\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,32,z,4.74130249023437520e-05,32,32,0.003200\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,32,theta,3.71615600585937481e-04,32,32,0.003200\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,64,x_T,3.18870544433593749e-05,64,64,0.006400\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,64,z,1.17982101440429695e-05,64,64,0.006400\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,64,theta,9.24724578857421853e-05,64,64,0.006400\n";

static const char orders_csv[] =
    "problem,method,grid,state,precision,sde,quantity,expected,fitted,stderr,status,used,pairwise,excluded\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,x_T,1,1.0121,0.0043,ok,16;32;64,8:1.071;16:1.019;32:1.012,8:pre-asymptotic\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,z,1,1.0121,0.0043,ok,16;32;64,8:1.071;16:1.019;32:1.012,8:pre-asymptotic\n"
    "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,theta,1,1.0121,0.0043,ok,16;32;64,8:1.071;16:1.019;32:1.012,8:pre-asymptotic\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,x_T,2,2.0121,0.0043,ok,16;32;64,8:2.071;16:2.019;32:2.012,8:pre-asymptotic\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,z,2,2.0120,0.0011,ok,32;64,8:2.071;16:2.019;32:2.012,8:pre-asymptotic;16:pre-asymptotic\n"
    "gaussian-3d,adjdeis-2m,uniform-lambda,oracle,256,0,theta,3,2.0140,nan,FAIL,32;64,16:2.019;32:2.012,8:nan;16:pre-asymptotic\n";

static const char errors_header[] =
    "problem,method,grid,state,precision,sde,steps,quantity,rel_error,nfe,nvjp,seconds\n";
static const char orders_header[] = "problem,method,grid,state,precision,sde,quantity,expected,"
                                    "fitted,stderr,status,used,pairwise,excluded\n";

/* ---- helpers: a temporary study folder ---- */

static char root[64];   /* /tmp/adeis-report-XXXXXX */
static char study[128]; /* root/demo-study */

static void make_study(void)
{
  strcpy(root, "/tmp/adeis-report-XXXXXX");
  cr_assert_not_null(mkdtemp(root));
  snprintf(study, sizeof study, "%s/demo-study", root);
  cr_assert_eq(mkdir(study, 0755), 0);
}

static void remove_tree(const char *dir)
{
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    char *p = malloc(strlen(dir) + strlen(e->d_name) + 2);
    sprintf(p, "%s/%s", dir, e->d_name);
    struct stat sb;
    if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
      remove_tree(p);
    else
      remove(p);
    free(p);
  }
  closedir(d);
  rmdir(dir);
}

static void drop_study(void) { remove_tree(root); }

static char *path_in(const char *dir, const char *name)
{
  char *p = malloc(strlen(dir) + strlen(name) + 2);
  sprintf(p, "%s/%s", dir, name);
  return p;
}

static void put_file(const char *dir, const char *name, const char *text)
{
  char *p = path_in(dir, name);
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f, "cannot write %s", p);
  fputs(text, f);
  fclose(f);
  free(p);
}

/* The file's bytes (NUL-terminated; *len without it), NULL when missing. */
static char *get_file(const char *dir, const char *name, size_t *len)
{
  char *p = path_in(dir, name);
  FILE *f = fopen(p, "rb");
  free(p);
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap)
      buf = realloc(buf, (cap *= 2) + 1);
  }
  fclose(f);
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

static void put_fixture(void)
{
  put_file(study, "errors.csv", errors_csv);
  put_file(study, "orders.csv", orders_csv);
}

static int has_tmp_files(const char *dir)
{
  DIR *d = opendir(dir);
  int found = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    found |= strncmp(e->d_name, ".tmp.", 5) == 0;
  if (d)
    closedir(d);
  return found;
}

/* ---- numbers ---- */

Test(report_format, error_three_significant_digits)
{
  char b[ADEIS_REPORT_NUM_BUF];
  cr_assert_str_eq(adeis_report_format_error(b, 1.234567e-4), "1.23e-04");
  cr_assert_str_eq(adeis_report_format_error(b, 0.0129687500000000011), "1.30e-02");
  cr_assert_str_eq(adeis_report_format_error(b, 1e-120), "1.00e-120");
  cr_assert_str_eq(adeis_report_format_error(b, 0), "0.00e+00");
  cr_assert_str_eq(adeis_report_format_error(b, NAN), "n/a");
  cr_assert_str_eq(adeis_report_format_error(b, INFINITY), "inf");
}

Test(report_format, error_tex)
{
  char b[ADEIS_REPORT_NUM_BUF];
  cr_assert_str_eq(adeis_report_format_error_tex(b, 1.234567e-4), "$1.23\\times10^{-4}$");
  cr_assert_str_eq(adeis_report_format_error_tex(b, 5.5e12), "$5.50\\times10^{12}$");
  cr_assert_str_eq(adeis_report_format_error_tex(b, 2.5), "$2.50$");
  cr_assert_str_eq(adeis_report_format_error_tex(b, NAN), "n/a");
  cr_assert_str_eq(adeis_report_format_error_tex(b, INFINITY), "$\\infty$");
}

Test(report_format, observed_order)
{
  cr_assert_float_eq(adeis_report_observed_order(8, 1e-2, 16, 2.5e-3), 2.0, 1e-12);
  cr_assert_float_eq(adeis_report_observed_order(10, 1e-3, 30, 1e-3 / 27), 3.0, 1e-12);
  cr_assert(isnan(adeis_report_observed_order(8, NAN, 16, 1e-3)));
  cr_assert(isnan(adeis_report_observed_order(8, 1e-3, 16, 0)));
  cr_assert(isnan(adeis_report_observed_order(8, 1e-3, 8, 1e-4)));
}

Test(report_format, names)
{
  cr_assert_str_eq(adeis_report_quantity_name(ADEIS_REPORT_X_T), "x_T");
  cr_assert_str_eq(adeis_report_quantity_name(ADEIS_REPORT_Z), "z");
  cr_assert_str_eq(adeis_report_quantity_name(ADEIS_REPORT_THETA), "theta");
  cr_assert_str_eq(adeis_report_figure_name(ADEIS_REPORT_CONVERGENCE), "convergence");
  cr_assert_str_eq(adeis_report_figure_name(ADEIS_REPORT_WORK_PRECISION), "work-precision");
}

/* ---- reading ---- */

static int read_study(adeis_report_results *r)
{
  char *e = path_in(study, "errors.csv"), *o = path_in(study, "orders.csv");
  int st = adeis_report_read(r, e, o);
  free(e);
  free(o);
  return st;
}

Test(report_read, fixture_rows, .init = make_study, .fini = drop_study)
{
  put_fixture();
  adeis_report_results r;
  cr_assert_eq(read_study(&r), 0, "%s", adeis_errmsg());
  cr_assert_eq(r.n_errors, 24);
  cr_assert_eq(r.n_orders, 6);
  const adeis_report_error_row *e = &r.errors[0];
  cr_assert_str_eq(e->key.method, "adjdeis-1");
  cr_assert_str_eq(e->key.grid, "uniform-lambda");
  cr_assert_eq(e->key.precision, 256);
  cr_assert_eq(e->steps, 8);
  cr_assert_eq(e->quantity, ADEIS_REPORT_X_T);
  cr_assert_float_eq(e->rel_error, 1.29687500000000011e-02, 1e-18);
  cr_assert_eq(e->line, 2);
  int nans = 0;
  for (size_t i = 0; i < r.n_errors; i++)
    nans += isnan(r.errors[i].rel_error);
  cr_assert_eq(nans, 1);
  const adeis_report_order_row *o = &r.orders[5];
  cr_assert_eq(o->quantity, ADEIS_REPORT_THETA);
  cr_assert_eq(o->ok, 0);
  cr_assert(isnan(o->se));
  cr_assert_eq(o->n_used, 2);
  cr_assert_eq(o->used[0], 32);
  cr_assert_eq(o->n_pairwise, 2);
  cr_assert_eq(o->pairwise[1].n, 32);
  cr_assert_float_eq(o->pairwise[1].order, 2.012, 1e-12);
  cr_assert_eq(o->n_excluded, 2);
  cr_assert_eq(o->excluded[1].n, 16);
  cr_assert_str_eq(o->excluded[1].reason, "pre-asymptotic");
  adeis_report_results_free(&r);
}

Test(report_read, empty_lists_and_crlf, .init = make_study, .fini = drop_study)
{
  put_file(study, "errors.csv",
           "problem,method,grid,state,precision,sde,steps,quantity,rel_error,nfe,nvjp,"
           "seconds\r\np,m,g,s,53,1,4,z,inf,4,0,0.5\r\n\r\n");
  put_file(study, "orders.csv",
           "problem,method,grid,state,precision,sde,quantity,expected,fitted,stderr,status,"
           "used,pairwise,excluded\np,m,g,s,53,1,z,0.5,nan,nan,FAIL,,,\n");
  adeis_report_results r;
  cr_assert_eq(read_study(&r), 0, "%s", adeis_errmsg());
  cr_assert_eq(r.n_errors, 1);
  cr_assert_eq(r.errors[0].key.sde, 1);
  cr_assert(isinf(r.errors[0].rel_error));
  cr_assert_eq(r.orders[0].n_used + r.orders[0].n_pairwise + r.orders[0].n_excluded, 0);
  cr_assert(isnan(r.orders[0].fitted));
  adeis_report_results_free(&r);
}

/* errors.csv with line 3 replaced by bad_line (or the header by it when line == 1). */
static void expect_bad_errors(long line, const char *bad_line, const char *where)
{
  char *text = malloc(strlen(errors_csv) + strlen(bad_line) + 2);
  const char *p = errors_csv;
  char *q = text;
  for (long l = 1; *p; l++) {
    const char *nl = strchr(p, '\n');
    if (l == line)
      q += sprintf(q, "%s\n", bad_line);
    else {
      memcpy(q, p, (size_t)(nl - p) + 1);
      q += nl - p + 1;
    }
    p = nl + 1;
  }
  *q = '\0';
  put_file(study, "errors.csv", text);
  put_file(study, "orders.csv", orders_csv);
  free(text);
  cr_assert_eq(adeis_report_render(study, 0), ADEIS_EINPUT, "line: %s", bad_line);
  cr_assert_not_null(strstr(adeis_errmsg(), where), "'%s' lacks '%s'", adeis_errmsg(), where);
  cr_assert_null(get_file(study, "table.md", NULL), "a table was written from bad input");
}

Test(report_read, malformed_errors_csv, .init = make_study, .fini = drop_study)
{
  expect_bad_errors(3, "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,8,z,4.8e-03,8,8",
                    "errors.csv:3: seconds: expected 12 columns, found 11");
  expect_bad_errors(3, "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,8,z,4.8e-03,8,8,0.1,9",
                    "errors.csv:3: seconds: expected 12 columns, found 13");
  expect_bad_errors(3, "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,eight,z,4.8e-03,8,8,0.1",
                    "errors.csv:3: steps: expected a step count");
  expect_bad_errors(4, "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,8,z,small,8,8,0.1",
                    "errors.csv:4: rel_error: expected a relative error");
  expect_bad_errors(3, "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,2,8,z,4.8e-03,8,8,0.1",
                    "errors.csv:3: sde: expected 0 or 1, found '2'");
  expect_bad_errors(3, "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,8,w,4.8e-03,8,8,0.1",
                    "errors.csv:3: quantity: expected x_T, z or theta, found 'w'");
  expect_bad_errors(1,
                    "problem,method,grid,state,precision,sde,N,quantity,rel_error,nfe,nvjp,"
                    "seconds",
                    "errors.csv:1: steps: expected header column 7 'steps', found 'N'");
  expect_bad_errors(1,
                    "problem,method,grid,state,precision,sde,steps,quantity,rel_error,nfe,"
                    "nvjp",
                    "errors.csv:1: seconds: expected header column 12");
  /* a repeated (series, quantity, N) */
  expect_bad_errors(3, "gaussian-3d,adjdeis-1,uniform-lambda,oracle,256,0,8,x_T,4.8e-03,8,8,0.1",
                    "errors.csv:3: steps: expected one row per N");
}

Test(report_read, malformed_orders_csv, .init = make_study, .fini = drop_study)
{
  static const char *const bad[][2] = {
      {"p,m,g,s,53,0,z,1,1.0,0.1,maybe,8;16,,", "orders.csv:2: status: expected ok or FAIL"},
      {"p,m,g,s,53,0,z,1,1.0,0.1,ok,8;;16,,", "orders.csv:2: used: expected step counts"},
      {"p,m,g,s,53,0,z,1,1.0,0.1,ok,8,8=1.0,", "orders.csv:2: pairwise: expected N:order"},
      {"p,m,g,s,53,0,z,1,1.0,0.1,ok,8,8:x,", "found 'x'"},
      {"p,m,g,s,53,0,z,1,1.0,0.1,ok,8,,4:", "orders.csv:2: excluded: expected N:reason"},
      {"p,m,g,s,53,0,z,one,1.0,0.1,ok,8,,", "orders.csv:2: expected: expected an expected"},
      {"p,m,g,s,53,0,z,1,1.0", "orders.csv:2: stderr: expected 14 columns, found 9"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char *text = malloc(strlen(orders_header) + strlen(bad[i][0]) + 2);
    sprintf(text, "%s%s\n", orders_header, bad[i][0]);
    put_file(study, "errors.csv", errors_csv);
    put_file(study, "orders.csv", text);
    free(text);
    adeis_report_results r;
    cr_assert_eq(read_study(&r), ADEIS_EINPUT, "row: %s", bad[i][0]);
    cr_assert_not_null(strstr(adeis_errmsg(), bad[i][1]), "'%s' lacks '%s'", adeis_errmsg(),
                       bad[i][1]);
    adeis_report_results_free(&r);
  }
}

Test(report_read, missing_or_empty_files, .init = make_study, .fini = drop_study)
{
  cr_assert_eq(adeis_report_render(study, 0), ADEIS_EINPUT);
  cr_assert_not_null(strstr(adeis_errmsg(), "errors.csv: cannot open"), "%s", adeis_errmsg());
  put_file(study, "errors.csv", errors_csv);
  cr_assert_eq(adeis_report_render(study, 0), ADEIS_EINPUT);
  cr_assert_not_null(strstr(adeis_errmsg(), "orders.csv: cannot open"), "%s", adeis_errmsg());
  put_file(study, "errors.csv", "");
  put_file(study, "orders.csv", orders_csv);
  cr_assert_eq(adeis_report_render(study, 0), ADEIS_EINPUT);
  cr_assert_not_null(strstr(adeis_errmsg(), "errors.csv:1: problem: expected the header"), "%s",
                     adeis_errmsg());
  put_file(study, "errors.csv", errors_header);
  cr_assert_eq(adeis_report_render(study, 0), ADEIS_EINPUT);
  cr_assert_not_null(strstr(adeis_errmsg(), "errors.csv:2: problem: expected a data row"), "%s",
                     adeis_errmsg());
}

Test(report_read, missing_folder)
{
  cr_assert_eq(adeis_report_render("/nonexistent/adeis-study", 0), ADEIS_EINPUT);
  cr_assert_not_null(strstr(adeis_errmsg(), "/nonexistent/adeis-study"), "%s", adeis_errmsg());
  cr_assert_eq(adeis_report_render("", 0), ADEIS_EINPUT);
}

/* ---- series ---- */

Test(report_series, labels_name_only_what_varies, .init = make_study, .fini = drop_study)
{
  put_file(study, "errors.csv",
           "problem,method,grid,state,precision,sde,steps,quantity,rel_error,nfe,nvjp,seconds\n"
           "p,adjdeis-2m,uniform-t,oracle,256,0,16,x_T,1e-3,16,16,0.1\n"
           "p,adjdeis-2m,uniform-t,cached,256,0,16,x_T,1e-3,16,16,0.1\n"
           "p,rk4-lambda,uniform-t,oracle,113,0,16,x_T,1e-3,16,16,0.1\n"
           "p,adjdeis-2m,uniform-t,cached,256,0,8,x_T,4e-3,8,8,0.1\n");
  put_file(study, "orders.csv",
           "problem,method,grid,state,precision,sde,quantity,expected,fitted,stderr,status,"
           "used,pairwise,excluded\n"
           "p,adjdeis-2m,uniform-t,cached,256,0,x_T,2,2.0,nan,ok,8;16,8:2.0,\n");
  adeis_report_results r;
  adeis_report_series_set s;
  cr_assert_eq(read_study(&r), 0, "%s", adeis_errmsg());
  cr_assert_eq(adeis_report_series_build(&s, &r), 0, "%s", adeis_errmsg());
  cr_assert_eq(s.n_series, 3);
  cr_assert_str_eq(s.series[0].label, "adjdeis-2m oracle 256 bits");
  cr_assert_str_eq(s.series[1].label, "adjdeis-2m cached 256 bits");
  cr_assert_str_eq(s.series[2].label, "rk4-lambda oracle 113 bits");
  const adeis_report_curve *c = &s.series[1].curve[ADEIS_REPORT_X_T];
  cr_assert_eq(c->n_points, 2);
  cr_assert_eq(r.errors[c->points[0]].steps, 8, "points sorted by N");
  cr_assert_eq(r.errors[c->points[1]].steps, 16);
  cr_assert_not_null(c->order);
  cr_assert_null(s.series[0].curve[ADEIS_REPORT_X_T].order);
  cr_assert(s.has[ADEIS_REPORT_X_T] && !s.has[ADEIS_REPORT_Z] && !s.has[ADEIS_REPORT_THETA]);
  adeis_report_series_free(&s);
  adeis_report_results_free(&r);
}

Test(report_series, labels_grid_problem_sde, .init = make_study, .fini = drop_study)
{
  put_file(study, "errors.csv",
           "problem,method,grid,state,precision,sde,steps,quantity,rel_error,nfe,nvjp,seconds\n"
           "vp-linear,adjdeis-2m,uniform-t,oracle,256,0,16,z,1e-3,16,16,0.1\n"
           "vp-cosine,adjdeis-2m,uniform-lambda,oracle,256,1,16,z,1e-3,16,16,0.1\n"
           "vp-cosine,adjdeis-2m,uniform-lambda,oracle,256,1,16,theta,1e-3,16,16,0.1\n");
  put_file(study, "orders.csv",
           "problem,method,grid,state,precision,sde,quantity,expected,fitted,stderr,status,"
           "used,pairwise,excluded\n"
           "vp-cosine,adjdeis-2m,uniform-lambda,oracle,256,1,z,2,nan,nan,FAIL,,,\n"
           "vp-cosine,adjdeis-2m,uniform-lambda,oracle,256,1,z,2,nan,nan,FAIL,,,\n");
  adeis_report_results r;
  adeis_report_series_set s;
  cr_assert_eq(read_study(&r), 0, "%s", adeis_errmsg());
  cr_assert_eq(adeis_report_series_build(&s, &r), ADEIS_EINPUT, "a repeated orders.csv row");
  cr_assert_not_null(strstr(adeis_errmsg(), "orders.csv:3: quantity: expected one row"), "%s",
                     adeis_errmsg());
  cr_assert_str_eq(s.series[0].label, "adjdeis-2m vp-linear uniform-t ode");
  cr_assert_str_eq(s.series[1].label, "adjdeis-2m vp-cosine uniform-lambda sde");
  cr_assert_eq(s.series[1].curve[ADEIS_REPORT_THETA].n_points, 1);
  adeis_report_series_free(&s);
  adeis_report_results_free(&r);
}

/* ---- files and gnuplot ---- */

static int fill_text(FILE *f, const void *ctx)
{
  fputs(ctx, f);
  return 0;
}

static int fill_fails(FILE *f, const void *ctx)
{
  (void)ctx;
  fputs("half a ta", f);
  return ADEIS_ENUMERIC;
}

Test(report_files, write_atomic, .init = make_study, .fini = drop_study)
{
  char *p = path_in(study, "out.txt");
  cr_assert_eq(adeis_report_write_atomic(p, fill_text, "first\n"), 0, "%s", adeis_errmsg());
  cr_assert_eq(adeis_report_write_atomic(p, fill_fails, NULL), ADEIS_ENUMERIC);
  char *text = get_file(study, "out.txt", NULL);
  cr_assert_str_eq(text, "first\n", "a failed write left the old file alone");
  cr_assert(!has_tmp_files(study), "no temporary file is left");
  free(text);
  char *q = path_in(study, "no/such/dir.txt");
  cr_assert_eq(adeis_report_write_atomic(q, fill_text, "x"), ADEIS_EINPUT);
  cr_assert_not_null(strstr(adeis_errmsg(), "cannot create"), "%s", adeis_errmsg());
  /* a planted symbolic link at the final name is replaced, its target left alone */
  char *target = path_in(root, "target.txt"), *link_path = path_in(study, "link.txt");
  put_file(root, "target.txt", "precious\n");
  cr_assert_eq(symlink(target, link_path), 0);
  cr_assert_eq(adeis_report_write_atomic(link_path, fill_text, "new\n"), 0, "%s", adeis_errmsg());
  char *kept = get_file(root, "target.txt", NULL);
  cr_assert_str_eq(kept, "precious\n");
  free(kept);
  free(target);
  free(link_path);
  free(q);
  free(p);
}

Test(report_files, gnuplot_run, .init = make_study, .fini = drop_study)
{
  put_file(study, "ok.gp", "set terminal svg\nset output 'ok.svg'\nplot x*x title v\n");
  cr_assert_eq(adeis_report_gnuplot_run(study, "ok.gp", "v='setup seen'"), 0, "%s", adeis_errmsg());
  char *svg = get_file(study, "ok.svg", NULL);
  cr_assert_not_null(svg);
  cr_assert_not_null(strstr(svg, "setup seen"));
  free(svg);
  put_file(study, "bad.gp", "plot no_such_function(x)\n");
  cr_assert_eq(adeis_report_gnuplot_run(study, "bad.gp", NULL), ADEIS_ENUMERIC);
  cr_assert_not_null(strstr(adeis_errmsg(), "undefined function"), "%s", adeis_errmsg());
  cr_assert_not_null(strstr(adeis_errmsg(), "bad.gp"), "%s", adeis_errmsg());
}

Test(report_files, gnuplot_missing, .init = make_study, .fini = drop_study)
{
  setenv("ADEIS_GNUPLOT", "/nonexistent/gnuplot", 1);
  cr_assert_eq(adeis_report_gnuplot_run(study, "x.gp", NULL), ADEIS_ENUMERIC);
  cr_assert_not_null(strstr(adeis_errmsg(), "cannot run /nonexistent/gnuplot"), "%s",
                     adeis_errmsg());
  put_fixture();
  cr_assert_eq(adeis_report_render(study, 0), ADEIS_ENUMERIC);
  cr_assert_null(get_file(study, "convergence.png", NULL), "no figure without gnuplot");
  cr_assert(!has_tmp_files(study));
}

/* ---- the whole render ---- */

static const char *const golden_files[] = {"table.md",         "table.tex",
                                           "errors-theta.dat", "guides-theta.dat",
                                           "convergence.gp",   "work-precision.gp"};
#define N_GOLDEN (sizeof golden_files / sizeof *golden_files)

static void check_against_golden(const char *name)
{
  const char *root_dir = getenv("ADEIS_ROOT");
  cr_assert_not_null(root_dir, "ADEIS_ROOT (the repository root) is not set");
  char *golden_dir = path_in(root_dir, "tests/golden/report");
  size_t n_got, n_want;
  char *got = get_file(study, name, &n_got);
  cr_assert_not_null(got, "%s was not written", name);
  if (getenv("ADEIS_UPDATE_GOLDEN"))
    put_file(golden_dir, name, got);
  char *want = get_file(golden_dir, name, &n_want);
  cr_assert_not_null(want, "no golden file %s/%s", golden_dir, name);
  cr_assert(n_got == n_want && memcmp(got, want, n_got) == 0,
            "%s differs from tests/golden/report/%s", name, name);
  free(got);
  free(want);
  free(golden_dir);
}

static void check_magic(const char *name, const char *magic, size_t magic_len, size_t min_size)
{
  size_t n;
  char *data = get_file(study, name, &n);
  cr_assert_not_null(data, "%s was not written", name);
  cr_assert_geq(n, min_size, "%s has %zu bytes", name, n);
  cr_assert(memcmp(data, magic, magic_len) == 0, "%s does not start as it should", name);
  free(data);
}

Test(report_render, golden_files_and_figures, .init = make_study, .fini = drop_study)
{
  put_fixture();
  cr_assert_eq(adeis_report_render(study, 1), 0, "%s", adeis_errmsg());
  for (size_t i = 0; i < N_GOLDEN; i++)
    check_against_golden(golden_files[i]);
  check_magic("convergence.png", "\x89PNG\r\n\x1a\n", 8, 10000);
  check_magic("work-precision.png", "\x89PNG\r\n\x1a\n", 8, 10000);
  check_magic("convergence.pdf", "%PDF", 4, 5000);
  check_magic("work-precision.pdf", "%PDF", 4, 5000);
  check_magic("convergence-latex.pdf", "%PDF", 4, 1000);
  check_magic("work-precision-latex.pdf", "%PDF", 4, 1000);
  char *wp_tex = get_file(study, "work-precision-latex.tex", NULL);
  cr_assert_not_null(wp_tex);
  cr_assert_not_null(strstr(wp_tex, "{\\adeisgraphicsdir work-precision-latex}"),
                     "the .tex names its final .pdf");
  free(wp_tex);
  char *svg = get_file(study, "convergence.svg", NULL);
  cr_assert_not_null(svg);
  cr_assert_not_null(strstr(svg, "<svg"));
  free(svg);
  char *tex = get_file(study, "convergence-latex.tex", NULL);
  cr_assert_not_null(tex);
  cr_assert_not_null(strstr(tex, "{\\adeisgraphicsdir convergence-latex}"), "the .tex names its final .pdf");
  cr_assert_null(strstr(tex, ".tmp."));
  cr_assert_null(strstr(tex, "/dev/fd"));
  free(tex);
  cr_assert(!has_tmp_files(study), "no temporary file is left");
}

Test(report_render, twice_gives_identical_files, .init = make_study, .fini = drop_study)
{
  put_fixture();
  cr_assert_eq(adeis_report_render(study, 0), 0, "%s", adeis_errmsg());
  static const char *const names[] = {"table.md",       "table.tex",        "errors-x_T.dat",
                                      "errors-z.dat",   "errors-theta.dat", "guides-x_T.dat",
                                      "convergence.gp", "work-precision.gp"};
  char *first[sizeof names / sizeof *names];
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    first[i] = get_file(study, names[i], NULL);
  cr_assert_eq(adeis_report_render(study, 0), 0, "%s", adeis_errmsg());
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    char *again = get_file(study, names[i], NULL);
    cr_assert_not_null(first[i]);
    cr_assert_str_eq(again, first[i], "%s changed", names[i]);
    free(again);
    free(first[i]);
  }
  cr_assert_null(get_file(study, "convergence-latex.tex", NULL), "latex only when asked");
}

Test(report_render, failing_gnuplot_keeps_old_figures, .init = make_study, .fini = drop_study)
{
  put_fixture();
  cr_assert_eq(adeis_report_render(study, 0), 0, "%s", adeis_errmsg());
  size_t n_before, n_after;
  char *before = get_file(study, "convergence.png", &n_before);
  /* a gnuplot that writes half a figure where it is told to, then fails */
  put_file(root, "fake-gnuplot",
           "#!/bin/sh\nprintf 'half' > \"$(echo \"$2\" | sed \"s/.*out_png='\\([^']*\\)'.*/\\1/\")\"\n"
           "echo 'fake gnuplot: out of ink' >&2\nexit 1\n");
  char *fake = path_in(root, "fake-gnuplot");
  chmod(fake, 0755);
  setenv("ADEIS_GNUPLOT", fake, 1);
  cr_assert_eq(adeis_report_render(study, 0), ADEIS_ENUMERIC);
  cr_assert_not_null(strstr(adeis_errmsg(), "out of ink"), "%s", adeis_errmsg());
  char *after = get_file(study, "convergence.png", &n_after);
  cr_assert(n_before == n_after && memcmp(before, after, n_before) == 0,
            "the old figure is untouched");
  cr_assert(!has_tmp_files(study), "the half-written figure is removed");
  free(before);
  free(after);
  free(fake);
}

Test(report_render, one_panel_of_nan_and_a_missing_fit, .init = make_study, .fini = drop_study)
{
  put_file(study, "errors.csv",
           "problem,method,grid,state,precision,sde,steps,quantity,rel_error,nfe,nvjp,seconds\n"
           "p,m|1,g,s,53,0,8,x_T,1e-2,8,8,0.1\n"
           "p,m|1,g,s,53,0,16,x_T,2.5e-3,16,16,0.1\n"
           "p,m|1,g,s,53,0,8,z,nan,8,8,0.1\n"
           "p,m|1,g,s,53,0,16,z,nan,16,16,0.1\n");
  put_file(study, "orders.csv", orders_header);
  cr_assert_eq(adeis_report_render(study, 0), 0, "%s", adeis_errmsg());
  check_magic("convergence.png", "\x89PNG\r\n\x1a\n", 8, 10000);
  char *md = get_file(study, "table.md", NULL);
  cr_assert_not_null(strstr(md, "| 16 | 2.50e-03 | 2.00 |"), "%s", md);
  cr_assert_not_null(strstr(md, "| 16 | n/a | n/a |"), "%s", md);
  cr_assert_not_null(strstr(md, "- m\\|1: no fitted order in orders.csv"), "%s", md);
  cr_assert_null(strstr(md, "dL/dtheta"));
  free(md);
}

/* The fixture's orders.csv with the adjdeis-1 rows' N = 8 left out for `reason`. */
static void put_fixture_left_out(const char *reason_xT, const char *reason_z)
{
  put_file(study, "errors.csv", errors_csv);
  char *text = strdup(orders_csv);
  char *at = text;
  const char *reasons[] = {reason_xT, reason_z};
  size_t len = strlen(text) + 64;
  char *out = malloc(len);
  out[0] = '\0';
  for (int k = 0; k < 2; k++) { /* the x_T and z rows of adjdeis-1 end in 8:pre-asymptotic */
    char *hit = strstr(at, "8:pre-asymptotic\n");
    cr_assert_not_null(hit);
    strncat(out, at, (size_t)(hit - at));
    strcat(out, "8:");
    strcat(out, reasons[k]);
    strcat(out, "\n");
    at = hit + strlen("8:pre-asymptotic\n");
  }
  strcat(out, at);
  put_file(study, "orders.csv", out);
  free(out);
  free(text);
}

Test(report_render, the_cross_names_the_floors_that_left_points_out, .init = make_study,
     .fini = drop_study)
{
  /* a reference floor only, then both floors: the legend of the cross says which */
  put_fixture_left_out("reference-floor", "pre-asymptotic");
  cr_assert_eq(adeis_report_render(study, 0), 0, "%s", adeis_errmsg());
  char *gp = get_file(study, "convergence.gp", NULL);
  cr_assert_not_null(strstr(gp, "title 'left out: reference floor'"), "%s", gp);
  free(gp);
  put_fixture_left_out("reference-floor", "floor");
  cr_assert_eq(adeis_report_render(study, 0), 0, "%s", adeis_errmsg());
  gp = get_file(study, "convergence.gp", NULL);
  cr_assert_not_null(strstr(gp, "title 'left out: precision or reference floor'"), "%s", gp);
  free(gp);
  put_fixture_left_out("floor", "floor");
  cr_assert_eq(adeis_report_render(study, 0), 0, "%s", adeis_errmsg());
  gp = get_file(study, "work-precision.gp", NULL);
  cr_assert_not_null(strstr(gp, "title 'left out: precision floor'"), "%s", gp);
  free(gp);
}

/* ---- faults: incomplete figures, planted links, full disks, killed renders ---- */


/* A file holding the first n bytes of data. */
static int fd_with(const char *name, const char *data, size_t n)
{
  char *p = path_in(study, name);
  int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, data, n), (ssize_t)n);
  free(p);
  return fd;
}

Test(report_faults, incomplete_formats_are_recognised, .init = make_study, .fini = drop_study)
{
  static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR....\0\0\0\0IEND\xae\x42\x60\x82";
  static const char pdf[] = "%PDF-1.5\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n";
  static const char svg[] = "<?xml version=\"1.0\"?>\n<svg width=\"1\">\n</svg>\n\n";
  static const struct {
    const char *data;
    size_t n;
    adeis_publish_format fmt;
  } cases[] = {{png, sizeof png - 1, ADEIS_FMT_PNG},
               {pdf, sizeof pdf - 1, ADEIS_FMT_PDF},
               {svg, sizeof svg - 1, ADEIS_FMT_SVG},
               {"\\begingroup x \\endgroup\n", 24, ADEIS_FMT_TEX}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int whole = fd_with("whole", cases[i].data, cases[i].n);
    cr_assert_null(adeis_publish_incomplete(whole, cases[i].fmt), "case %zu whole", i);
    close(whole);
    /* every proper prefix is incomplete (what a full disk leaves) */
    for (size_t cut = 0; cut + 2 < cases[i].n; cut++) {
      int part = fd_with("part", cases[i].data, cut);
      cr_assert_not_null(adeis_publish_incomplete(part, cases[i].fmt), "case %zu cut %zu", i,
                         cut);
      close(part);
    }
  }
}

/* The byte pattern of a complete file of format fmt, checked here by hand. */
static int complete_by_hand(const char *name)
{
  size_t n;
  char *d = get_file(study, name, &n);
  if (!d)
    return 1; /* absent is fine: nothing published */
  int ok = 0;
  size_t m = n;
  while (m > 0 && strchr(" \n\r\t", d[m - 1]))
    m--;
  if (strstr(name, ".png"))
    ok = n >= 12 && memcmp(d + n - 8, "IEND\xae\x42\x60\x82", 8) == 0;
  else if (strstr(name, ".pdf"))
    ok = m >= 5 && memcmp(d + m - 5, "%%EOF", 5) == 0;
  else if (strstr(name, ".svg"))
    ok = m >= 6 && memcmp(d + m - 6, "</svg>", 6) == 0;
  free(d);
  return ok;
}

static const char *const figure_names[] = {"convergence.png", "convergence.pdf",
                                           "convergence.svg", "work-precision.png",
                                           "work-precision.pdf", "convergence-latex.pdf"};

/* Render the fixture on a 1 MiB tmpfs filled up to free_kib KiB: exit 3 naming the cause,
 * no figure published incomplete, no temporary file left. Returns the message. */
static void disk_full_case(long free_kib, char *msg, size_t msg_len)
{
  char *mnt = path_in(root, "small");
  cr_assert_eq(mkdir(mnt, 0755), 0);
  if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") != 0) {
    int err = errno;
    free(mnt);
    cr_skip_test("cannot mount a small tmpfs to fill (%s; needs root and CAP_SYS_ADMIN)",
                 strerror(err));
  }
  put_file(mnt, "errors.csv", errors_csv);
  put_file(mnt, "orders.csv", orders_csv);
  struct statvfs sv;
  cr_assert_eq(statvfs(mnt, &sv), 0);
  long long fill = (long long)sv.f_bavail * (long long)sv.f_bsize - free_kib * 1024;
  char *filler = path_in(mnt, "filler");
  int fd = open(filler, O_WRONLY | O_CREAT, 0600);
  static char zeros[4096];
  for (long long k = 0; fd >= 0 && k < fill; k += (long long)sizeof zeros)
    if (write(fd, zeros, sizeof zeros) < 0)
      break;
  close(fd);
  int st = adeis_report_render(mnt, 1);
  snprintf(msg, msg_len, "%s", adeis_errmsg());
  char *saved = strdup(study);
  snprintf(study, sizeof study, "%s", mnt);
  for (size_t i = 0; i < sizeof figure_names / sizeof *figure_names; i++)
    cr_expect(complete_by_hand(figure_names[i]), "%s is published incomplete", figure_names[i]);
  snprintf(study, sizeof study, "%s", saved);
  free(saved);
  int tmp_left = has_tmp_files(mnt);
  umount2(mnt, MNT_DETACH);
  cr_assert_eq(st, ADEIS_ENUMERIC, "a full disk is a failed write (exit 3): %d %s", st, msg);
  cr_assert_not_null(strstr(msg, "No space left on device"), "%s", msg);
  cr_assert(!tmp_left, "no temporary file is left");
  free(filler);
  free(mnt);
}

/* About 100 KiB free: the tables and data files fit, the figures do not. */
Test(report_faults, disk_full_while_drawing, .init = make_study, .fini = drop_study)
{
  char msg[1024];
  disk_full_case(100, msg, sizeof msg);
  cr_assert_not_null(strstr(msg, "gnuplot's output"), "a figure failed: %s", msg);
}

/* About 8 KiB free: the tables fail already. */
Test(report_faults, disk_full_while_writing_tables, .init = make_study, .fini = drop_study)
{
  char msg[1024];
  disk_full_case(8, msg, sizeof msg);
  cr_assert_not_null(strstr(msg, ": cannot write: "), "a table or data file failed: %s", msg);
}

/* Links planted at the names a counter would give are never followed. */
Test(report_faults, planted_links_at_temporary_names, .init = make_study, .fini = drop_study)
{
  put_fixture();
  char *victim = path_in(root, "victim.txt");
  put_file(root, "victim.txt", "precious\n");
  static const char *const finals[] = {"convergence.png", "convergence.pdf", "convergence.svg",
                                       "work-precision.png", "work-precision.pdf", "table.md",
                                       "table.tex"};
  for (size_t i = 0; i < sizeof finals / sizeof *finals; i++)
    for (int k = 0; k < 40; k++) {
      char name[128];
      snprintf(name, sizeof name, ".tmp.%s.%ld.%d", finals[i], (long)getpid(), k);
      char *p = path_in(study, name);
      cr_assert_eq(symlink(victim, p), 0);
      free(p);
    }
  cr_assert_eq(adeis_report_render(study, 0), 0, "%s", adeis_errmsg());
  char *kept = get_file(root, "victim.txt", NULL);
  cr_assert_str_eq(kept, "precious\n", "a planted link was followed");
  for (size_t i = 0; i < 5; i++)
    cr_assert(complete_by_hand(finals[i]) && get_file(study, finals[i], NULL), "%s", finals[i]);
  free(kept);
  free(victim);
}

Test(report_faults, stale_temporaries_of_ended_runs_are_removed, .init = make_study,
     .fini = drop_study)
{
  put_fixture();
  pid_t child = fork();
  if (child == 0)
    _exit(0);
  cr_assert_gt(child, 0);
  waitpid(child, NULL, 0);
  char dead_file[128], dead_dir[128], live_file[128];
  snprintf(dead_file, sizeof dead_file, ".tmp.convergence.png.%ld.3", (long)child);
  snprintf(dead_dir, sizeof dead_dir, ".tmp.convergence-latex.%ld.4", (long)child);
  snprintf(live_file, sizeof live_file, ".tmp.table.md.%ld.999", (long)getppid());
  put_file(study, dead_file, "half");
  char legacy_a[128], legacy_b[128];
  snprintf(legacy_a, sizeof legacy_a, "table.md.tmp-%ld-2", (long)child);
  snprintf(legacy_b, sizeof legacy_b, ".convergence.tmp-%ld-0.png", (long)child);
  put_file(study, legacy_a, "half");
  put_file(study, legacy_b, "half");
  char *d = path_in(study, dead_dir);
  cr_assert_eq(mkdir(d, 0700), 0);
  put_file(d, "convergence-latex.pdf", "half");
  put_file(study, live_file, "a running process's");
  cr_assert_eq(adeis_report_render(study, 0), 0, "%s", adeis_errmsg());
  struct stat sb;
  cr_assert_neq(lstat(d, &sb), 0, "the ended run's private folder is removed");
  char *f = path_in(study, dead_file), *g = path_in(study, live_file);
  cr_assert_neq(lstat(f, &sb), 0, "the ended run's file is removed");
  char *la = path_in(study, legacy_a), *lb = path_in(study, legacy_b);
  cr_assert_neq(lstat(la, &sb), 0, "%s (earlier naming) is removed", legacy_a);
  cr_assert_neq(lstat(lb, &sb), 0, "%s (earlier naming) is removed", legacy_b);
  free(la);
  free(lb);
  cr_assert_eq(lstat(g, &sb), 0, "a running process's file is kept");
  free(f);
  free(g);
  free(d);
}

/* ---- the study's name and display labels; a paper that takes the LaTeX output ---- */

static const char study_ini[] = "; a study file as the runner copies it\n"
                                "[study]\n"
                                "name = fixture-paper\n"
                                "problem = gaussian-3d.ini\n"
                                "[methods]\n"
                                "adjdeis-1 = 1\n"
                                "adjdeis-2m = 2\n"
                                "[labels]\n"
                                "adjdeis-1 = AdjointDEIS-1 & co\n";

Test(report_render, name_and_labels_from_study_ini, .init = make_study, .fini = drop_study)
{
  put_fixture();
  put_file(study, "study.ini", study_ini);
  cr_assert_eq(adeis_report_render(study, 0), 0, "%s", adeis_errmsg());
  char *md = get_file(study, "table.md", NULL), *tex = get_file(study, "table.tex", NULL);
  char *gp = get_file(study, "convergence.gp", NULL);
  cr_assert_not_null(strstr(md, "## Convergence study: fixture-paper"), "%s", md);
  cr_assert_null(strstr(md, "demo-study"), "the folder's name is not the study's");
  cr_assert_not_null(strstr(md, "| AdjointDEIS-1 & co error |"), "%s", md);
  cr_assert_not_null(strstr(tex, "\\label{tab:fixture-paper-xT}"), "%s", tex);
  cr_assert_not_null(strstr(tex, "AdjointDEIS-1 \\& co"), "escaped for LaTeX");
  cr_assert_not_null(strstr(gp, "titles[1] = 'AdjointDEIS-1 & co'"), "%s", gp);
  cr_assert_not_null(strstr(gp, "adjdeis-2m"), "a method without a label keeps its name");
  free(md);
  free(tex);
  free(gp);
  put_file(study, "study.ini", "[study]\nname = x\n[labels]\nadjdeis-1 =\n");
  cr_assert_eq(adeis_report_render(study, 0), ADEIS_EINPUT);
  cr_assert_not_null(strstr(adeis_errmsg(), "study.ini:4: labels: 'adjdeis-1': expected a display"),
                     "%s", adeis_errmsg());
}

/* The guides: each has exactly the expected slope and keeps clear of every data point. */
Test(report_render, guides_have_the_expected_slope_beside_the_data, .init = make_study,
     .fini = drop_study)
{
  put_fixture();
  cr_assert_eq(adeis_report_render(study, 0), 0, "%s", adeis_errmsg());
  static const struct {
    const char *q;
    double orders[2];
  } panels[] = {{"x_T", {1, 2}}, {"z", {1, 2}}, {"theta", {1, 3}}};
  adeis_report_results r;
  char *e = path_in(study, "errors.csv"), *o = path_in(study, "orders.csv");
  cr_assert_eq(adeis_report_read(&r, e, o), 0, "%s", adeis_errmsg());
  /* every panel spans the same decades: a gap of 2.5 % of them is a few pixels */
  char *gp = get_file(study, "convergence.gp", NULL);
  int lo = 0, hi = 0;
  char *yr = gp ? strstr(gp, "set yrange [1e") : NULL;
  cr_assert(yr && sscanf(yr, "set yrange [1e%d:1e%d]", &lo, &hi) == 2 && hi > lo);
  double gap = 0.025 * (hi - lo);
  free(gp);
  for (size_t p = 0; p < 3; p++) {
    char name[64];
    snprintf(name, sizeof name, "guides-%s.dat", panels[p].q);
    char *text = get_file(study, name, NULL), *line = text;
    cr_assert_not_null(text);
    double v[2][4];
    size_t got = 0, block = 0;
    while (line && *line) {
      if (*line != '#' && *line != '\n' &&
          sscanf(line, "%lf %lf %lf %lf", &v[got][0], &v[got][1], &v[got][2], &v[got][3]) == 4 &&
          ++got == 2) {
        double slope = -log(v[1][2] / v[0][2]) / log(v[1][0] / v[0][0]);
        cr_assert_float_eq(slope, panels[p].orders[block], 1e-4, "%s block %zu", name, block);
        /* no error of this gradient within the gap of the guide over its span */
        for (size_t i = 0; i < r.n_errors; i++) {
          const adeis_report_error_row *row = &r.errors[i];
          if (strcmp(adeis_report_quantity_name(row->quantity), panels[p].q) != 0 ||
              !(row->rel_error > 0) || row->steps < v[0][0] || row->steps > v[1][0])
            continue;
          double g = v[0][2] * pow(row->steps / v[0][0], -panels[p].orders[block]);
          cr_assert_gt(fabs(log10(row->rel_error / g)), gap, "%s: N = %ld is on the guide",
                       name, row->steps);
        }
        got = 0;
        block++;
      }
      line = strchr(line, '\n');
      line = line ? line + 1 : NULL;
    }
    cr_assert_eq(block, 2, "%s has one guide per expected order", name);
    free(text);
  }
  adeis_report_results_free(&r);
  free(e);
  free(o);
}

static int have_program(const char *name)
{
  char cmd[256];
  snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
  return system(cmd) == 0;
}

/* A minimal paper in another folder \input's the study's table.tex and cairolatex figures:
 * it compiles (the figures find their PDF parts without \graphicspath), has one page per
 * float (the floats are set as pages of their own) and no overfull box. */
Test(report_latex, a_paper_takes_the_table_and_figure, .init = make_study, .fini = drop_study)
{
  if (!have_program("pdflatex"))
    cr_skip_test("pdflatex is not installed (scripts/install-deps.sh installs "
                 "texlive-latex-recommended)");
  put_fixture();
  put_file(study, "study.ini", study_ini);
  cr_assert_eq(adeis_report_render(study, 1), 0, "%s", adeis_errmsg());
  char *paper = path_in(root, "paper");
  cr_assert_eq(mkdir(paper, 0755), 0);
  put_file(paper, "paper.tex",
           "\\documentclass{article}\n"
           "\\usepackage{booktabs,graphicx,color}\n"
           "\\makeatletter %% every float a page of its own\n"
           "\\renewenvironment{table}[1][]{\\clearpage\\def\\@captype{table}\\centering}{\\par}\n"
           "\\renewenvironment{figure}[1][]{\\clearpage\\def\\@captype{figure}\\centering}{\\par}\n"
           "\\makeatother\n"
           "\\begin{document}\n"
           "\\begin{figure}\\input{../demo-study/convergence-latex.tex}\n"
           "\\caption{Convergence: \\adeissetting.}\\end{figure}\n"
           "\\begin{figure}\\input{../demo-study/work-precision-latex.tex}\n"
           "\\caption{Work against precision: \\adeissetting.}\\end{figure}\n"
           "\\input{../demo-study/table.tex}\n"
           "\\end{document}\n");
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && pdflatex -interaction=nonstopmode -halt-on-error paper.tex "
           ">/dev/null 2>&1 </dev/null",
           paper);
  int rc = system(cmd);
  char *log = get_file(paper, "paper.log", NULL);
  cr_assert_not_null(log, "pdflatex wrote no log");
  cr_assert_eq(rc, 0, "pdflatex failed:\n%s", log);
  /* the two figures and one table per gradient: 2 series fit one table each */
  cr_assert_not_null(strstr(log, "Output written on paper.pdf (5 pages"), "%s", log);
  cr_assert_null(strstr(log, "Overfull \\hbox"), "%s", log);
  cr_assert_null(strstr(log, "not found"), "%s", log);
  size_t n;
  char *pdf = get_file(paper, "paper.pdf", &n);
  cr_assert(pdf && n > 1000 && memcmp(pdf, "%PDF", 4) == 0);
  free(pdf);
  free(log);
  free(paper);
}

/* The study parser accepts a [labels] section (the plots read it from the copied study). */
#include "../studies/study.h"

Test(report_render, study_files_may_hold_labels, .init = make_study, .fini = drop_study)
{
  const char *root_dir = getenv("ADEIS_ROOT");
  cr_assert_not_null(root_dir);
  char text[1024];
  snprintf(text, sizeof text,
           "[study]\nname = labelled\nproblem = %s/problems/gaussian-3d.ini\nsteps = 8 16\n"
           "[methods]\nadjdeis-1 = 1\n[labels]\nadjdeis-1 = AdjointDEIS-1\n",
           root_dir);
  put_file(study, "s.ini", text);
  char *p = path_in(study, "s.ini");
  adeis_study s;
  cr_assert_eq(adeis_study_load(p, &s), 0, "%s", adeis_errmsg());
  cr_assert_str_eq(s.name, "labelled");
  cr_assert_eq(s.n_methods, 1);
  adeis_study_clear(&s);
  free(p);
}

/* Temporary names are ours, created exclusively, and cannot be guessed from the last one. */
Test(report_faults, temporary_names_are_exclusive_and_unpredictable, .init = make_study,
     .fini = drop_study)
{
  char *final = path_in(study, "figure.png"), *t1 = NULL, *t2 = NULL;
  int a = adeis_publish_create(final, &t1), b = adeis_publish_create(final, &t2);
  cr_assert(a >= 0 && b >= 0, "%s", strerror(errno));
  char prefix[256];
  snprintf(prefix, sizeof prefix, "%s/.tmp.figure.png.%ld.", study, (long)getpid());
  cr_assert(strncmp(t1, prefix, strlen(prefix)) == 0, "%s", t1);
  cr_assert(strncmp(t2, prefix, strlen(prefix)) == 0, "%s", t2);
  unsigned long long k1 = strtoull(t1 + strlen(prefix), NULL, 10);
  unsigned long long k2 = strtoull(t2 + strlen(prefix), NULL, 10);
  cr_assert(k1 > k2 ? k1 - k2 > 1000000 : k2 - k1 > 1000000, "K %llu then %llu", k1, k2);
  struct stat sb;
  cr_assert_eq(lstat(t1, &sb), 0);
  cr_assert(S_ISREG(sb.st_mode) && sb.st_uid == geteuid());
  close(a);
  close(b);
  unlink(t1);
  unlink(t2);
  free(t1);
  free(t2);
  free(final);
}

/* A crowded panel (the shipped net-mlp results: three expected orders, one of them 1.3 from
 * an expect line, among eight curves): every guide's label keeps clear of the other labels
 * (a text line: 6 % of the panel's decades) and of the data right of it. */
Test(report_render, crowded_panels_keep_guide_labels_clear, .init = make_study, .fini = drop_study)
{
  const char *root_dir = getenv("ADEIS_ROOT");
  cr_assert_not_null(root_dir, "ADEIS_ROOT (the repository root) is not set");
  static const char *const files[] = {"errors.csv", "orders.csv", "study.ini"};
  char src[512];
  for (size_t k = 0; k < 3; k++) {
    snprintf(src, sizeof src, "%s/docs/results/net-mlp", root_dir);
    char *text = get_file(src, files[k], NULL);
    cr_assert_not_null(text, "%s/%s", src, files[k]);
    put_file(study, files[k], text);
    free(text);
  }
  cr_assert_eq(adeis_report_render(study, 0), 0, "%s", adeis_errmsg());
  char *gp = get_file(study, "convergence.gp", NULL);
  int lo = 0, hi = 0;
  char *yr = gp ? strstr(gp, "set yrange [1e") : NULL;
  cr_assert(yr && sscanf(yr, "set yrange [1e%d:1e%d]", &lo, &hi) == 2 && hi > lo);
  free(gp);
  double line = 0.06 * (hi - lo);
  adeis_report_results r;
  char *e = path_in(study, "errors.csv"), *o = path_in(study, "orders.csv");
  cr_assert_eq(adeis_report_read(&r, e, o), 0, "%s", adeis_errmsg());
  static const char *const qs[] = {"x_T", "z", "theta"};
  for (size_t p = 0; p < 3; p++) {
    char name[64];
    snprintf(name, sizeof name, "guides-%s.dat", qs[p]);
    char *text = get_file(study, name, NULL), *ln = text;
    cr_assert_not_null(text);
    double end_n[8], end_y[8], v[4];
    size_t n = 0, got = 0;
    for (; ln && *ln; ln = strchr(ln, '\n') ? strchr(ln, '\n') + 1 : NULL)
      if (*ln != '#' && *ln != '\n' &&
          sscanf(ln, "%lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3]) == 4 &&
          ++got == 2) { /* a guide's right end: where its label starts */
        cr_assert_lt(n, 8);
        end_n[n] = v[0];
        end_y[n++] = log10(v[2]);
        got = 0;
      }
    cr_assert_eq(n, 3, "%s: three expected orders", name);
    for (size_t a = 0; a < n; a++) {
      for (size_t b = a + 1; b < n; b++) /* labels side by side must not share a line */
        if (end_n[b] < 4 * end_n[a] && end_n[a] < 4 * end_n[b])
          cr_expect_geq(fabs(end_y[a] - end_y[b]), line, "%s: labels %zu and %zu overlap", name,
                        a, b);
      for (size_t i = 0; i < r.n_errors; i++) { /* nor lie on the data right of the label */
        const adeis_report_error_row *row = &r.errors[i];
        if (strcmp(adeis_report_quantity_name(row->quantity), qs[p]) != 0 ||
            !(row->rel_error > 0) || row->steps < end_n[a] || row->steps > 2 * end_n[a])
          continue;
        cr_expect_geq(fabs(log10(row->rel_error) - end_y[a]), line / 2,
                      "%s: label %zu on the data at N = %ld", name, a, row->steps);
      }
    }
    free(text);
  }
  adeis_report_results_free(&r);
  free(e);
  free(o);
}

/* ---- SOURCE_DATE_EPOCH: reproducible PDF dates ---- */

/* A PDF's tail as cairo 1.16 writes it (the dates are the clock's), with a /ModDate in the
 * zone form "+HH'mm" as other writers use. */
static const char fake_pdf[] = "%PDF-1.5\n%\xb5\xed\xae\xfb\n"
                               "1 0 obj\n<< /Producer (cairo 1.16.0 (https://cairographics.org))\n"
                               "   /CreationDate (D:20261130151911Z)\n"
                               "   /ModDate (D:20261130151911+01'00)\n>>\nendobj\n"
                               "startxref\n17\n%%EOF\n";

/* Publish fake_pdf as study/NAME through adeis_publish_file; the published bytes. */
static char *publish_fake_pdf(const char *name, size_t *len)
{
  char *final = path_in(study, name), *tmp = NULL;
  int fd = adeis_publish_create(final, &tmp);
  cr_assert(fd >= 0, "%s", strerror(errno));
  cr_assert_eq(write(fd, fake_pdf, sizeof fake_pdf - 1), (ssize_t)(sizeof fake_pdf - 1));
  int st = adeis_publish_file(fd, tmp, final, ADEIS_FMT_PDF, NULL);
  cr_assert_eq(st, 0, "%s", adeis_errmsg());
  close(fd);
  free(tmp);
  free(final);
  return get_file(study, name, len);
}

/* fake_pdf with both dates replaced by DATE (14 digits) and the zone by "Z" / "+00'00". */
static char *fake_pdf_dated(const char *date)
{
  char *want = strdup(fake_pdf), *p;
  cr_assert(want && strlen(date) == 14);
  for (p = want; (p = strstr(p, "(D:")) != NULL; p += 3)
    memcpy(p + 3, date, 14);
  memcpy(strstr(want, "+01'00"), "+00'00", 6);
  return want;
}

Test(report_dates, source_date_epoch_sets_both_pdf_dates, .init = make_study, .fini = drop_study)
{
  /* the dates by calendar: 0 is 1970-01-01 00:00:00, 1700000000 is 2023-11-14 22:13:20,
   * 253402300799 is 9999-12-31 23:59:59 */
  static const char *const cases[][2] = {{"0", "19700101000000"},
                                         {"1700000000", "20231114221320"},
                                         {"253402300799", "99991231235959"}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    setenv("SOURCE_DATE_EPOCH", cases[i][0], 1);
    size_t len = 0;
    char *got = publish_fake_pdf("figure.pdf", &len), *want = fake_pdf_dated(cases[i][1]);
    cr_assert_eq(len, sizeof fake_pdf - 1, "the length (so the xref offsets) is kept");
    cr_expect_str_eq(got, want, "SOURCE_DATE_EPOCH=%s", cases[i][0]);
    free(got);
    free(want);
  }
  unsetenv("SOURCE_DATE_EPOCH");
  char *got = publish_fake_pdf("figure.pdf", NULL);
  cr_expect_str_eq(got, fake_pdf, "without SOURCE_DATE_EPOCH the PDF is published as written");
  free(got);
}

Test(report_dates, malformed_source_date_epoch_is_refused_before_rendering, .init = make_study,
     .fini = drop_study)
{
  static const char *const bad[] = {"",    "x",     "-1",         "1.5",          " 1",
                                    "1 ",  "0x10",  "+5",         "253402300800", "9999999999999"};
  put_fixture();
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    setenv("SOURCE_DATE_EPOCH", bad[i], 1);
    cr_expect_eq(adeis_source_date_check(), ADEIS_EINPUT, "'%s' accepted", bad[i]);
    cr_expect(strstr(adeis_errmsg(), "SOURCE_DATE_EPOCH") != NULL, "%s", adeis_errmsg());
    cr_expect_eq(adeis_report_render(study, 0), ADEIS_EINPUT, "'%s' rendered", bad[i]);
    char *table = get_file(study, "table.md", NULL);
    cr_expect_null(table, "'%s': table.md written before the refusal", bad[i]);
    free(table);
  }
  static const char *const good[] = {"0", "1", "1700000000", "000000000042", "253402300799"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    setenv("SOURCE_DATE_EPOCH", good[i], 1);
    cr_expect_eq(adeis_source_date_check(), 0, "'%s' refused: %s", good[i], adeis_errmsg());
  }
}

/* A whole render under SOURCE_DATE_EPOCH: every PDF (the cairolatex one included) carries
 * that date, whenever it is drawn, so two renders are byte-identical. */
Test(report_dates, rendered_pdfs_carry_the_source_date, .init = make_study, .fini = drop_study)
{
  put_fixture();
  setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
  cr_assert_eq(adeis_report_render(study, 1), 0, "%s", adeis_errmsg());
  static const char *const pdfs[] = {"convergence.pdf", "work-precision.pdf",
                                     "convergence-latex.pdf", "work-precision-latex.pdf"};
  for (size_t i = 0; i < sizeof pdfs / sizeof *pdfs; i++) {
    size_t len = 0;
    char *pdf = get_file(study, pdfs[i], &len);
    cr_assert_not_null(pdf, "%s", pdfs[i]);
    cr_expect(memmem(pdf, len, "/CreationDate (D:20231114221320Z)", 33) != NULL,
              "%s carries another date", pdfs[i]);
    free(pdf);
  }
}

/* s with every `from` replaced by `to` (allocated). */
static char *replaced(const char *s, const char *from, const char *to)
{
  size_t n = 0, lf = strlen(from), lt = strlen(to);
  for (const char *p = s; (p = strstr(p, from)); p += lf)
    n++;
  char *out = malloc(strlen(s) + n * lt + 1), *o = out;
  for (const char *p = s, *q; ; p = q + lf) {
    q = strstr(p, from);
    size_t k = q ? (size_t)(q - p) : strlen(p);
    memcpy(o, p, k);
    o += k;
    if (!q)
      break;
    memcpy(o, to, lt);
    o += lt;
  }
  *o = '\0';
  return out;
}

/* The schedule of a problem from the folder's copy PROBLEM.ini; a problem name with a '/'
 * (an edited errors.csv) reads nothing outside the folder, though the file is there. */
Test(report_render, problem_names_with_a_slash_read_no_file_outside, .init = make_study,
     .fini = drop_study)
{
  put_file(root, "outside.ini", "[schedule]\nname = vp-cosine\n");
  put_file(study, "inside.ini", "[schedule]\nname = vp-cosine\n");
  static const char *const names[] = {"inside", "../outside"};
  for (int k = 0; k < 2; k++) {
    char *e = replaced(errors_csv, "gaussian-3d", names[k]),
         *o = replaced(orders_csv, "gaussian-3d", names[k]);
    put_file(study, "errors.csv", e);
    put_file(study, "orders.csv", o);
    char *ep = path_in(study, "errors.csv"), *op = path_in(study, "orders.csv");
    adeis_report_results r;
    adeis_report_series_set s = {0};
    adeis_report_study st = {0};
    cr_assert_eq(adeis_report_read(&r, ep, op), 0, "%s", adeis_errmsg());
    cr_assert_eq(adeis_report_series_build(&s, &r), 0, "%s", adeis_errmsg());
    cr_assert_eq(adeis_report_study_read(&st, study, &s), 0, "%s", adeis_errmsg());
    const char *sched = adeis_report_schedule(&st, names[k]);
    if (k == 0)
      cr_expect(sched && strcmp(sched, "vp-cosine") == 0, "inside: %s", sched ? sched : "none");
    else
      cr_expect_null(sched, "../outside.ini was read: %s", sched);
    adeis_report_study_free(&st);
    adeis_report_series_free(&s);
    adeis_report_results_free(&r);
    free(ep);
    free(op);
    free(e);
    free(o);
  }
}

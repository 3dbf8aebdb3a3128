/* Problem-file input (runs/problem.h): vectors from @FILE (.f64, .npy), the strict number
 * syntax, long words after 'key=', the schedule's rounding message, keys before `type`,
 * the registries, and a line reader linear in the length of a line. */
#define _XOPEN_SOURCE 700 /* nftw (scratch.h) */
#include "../runs/problem.h"
#include "../runs/registry.h"
#include "../core/status.h"
#include "scratch.h"

#include <criterion/criterion.h>
#include <math.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- temporary files: a scratch folder per test, removed with all it holds ---- */

static void make_scratch(void) { scratch_make_tagged("input"); }

TestSuite(input, .init = make_scratch, .fini = scratch_remove);

/* Writes n bytes to SCRATCH/name (name may hold one subfolder, created first) and returns the
 * path (valid until the next call). */
static const char *write_bytes(const char *name, const void *bytes, size_t n)
{
  static char path[320];
  const char *slash = strchr(name, '/');
  if (slash) {
    snprintf(path, sizeof path, "%s/%.*s", scratch, (int)(slash - name), name);
    mkdir(path, 0700); /* or there already */
  }
  snprintf(path, sizeof path, "%s/%s", scratch, name);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(bytes, 1, n, f), n);
  fclose(f);
  return path;
}

static const char *write_text(const char *name, const char *text)
{
  return write_bytes(name, text, strlen(text));
}

/* little-endian bytes of doubles / floats */
static size_t le_f64(unsigned char *out, const double *x, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    uint64_t b;
    memcpy(&b, &x[i], 8);
    for (int j = 0; j < 8; j++)
      out[8 * i + j] = (unsigned char)(b >> (8 * j));
  }
  return 8 * n;
}

static size_t le_f32(unsigned char *out, const float *x, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    uint32_t b;
    memcpy(&b, &x[i], 4);
    for (int j = 0; j < 4; j++)
      out[4 * i + j] = (unsigned char)(b >> (8 * j));
  }
  return 4 * n;
}

/* A .npy file: magic, version major (1 or 2), the header dict padded to 64 bytes, data. */
static size_t npy(unsigned char *out, int major, const char *dict, const void *data, size_t n)
{
  size_t pre = major == 1 ? 10 : 12, len = strlen(dict) + 1;
  size_t hlen = (pre + len + 63) / 64 * 64 - pre;
  memcpy(out, "\x93NUMPY", 6);
  out[6] = (unsigned char)major;
  out[7] = 0;
  for (size_t j = 0; j < pre - 8; j++)
    out[8 + j] = (unsigned char)(hlen >> (8 * j));
  memset(out + pre, ' ', hlen);
  memcpy(out + pre, dict, len - 1);
  out[pre + hlen - 1] = '\n';
  memcpy(out + pre + hlen, data, n);
  return pre + hlen + n;
}

/* The worked example with the [problem] and [start] vectors given as the caller says. */
static char *worked(const char *mean, const char *var, const char *x_T)
{
  char *s = malloc(1024);
  cr_assert_not_null(s);
  snprintf(s, 1024,
           "[problem]\ntype = gaussian\ndim = 3\nmean = %s\nvar = %s\n[schedule]\n"
           "name = vp-linear\nt_end = 1e-3\nT = 1\n[loss]\ntype = quadratic\n"
           "target = 0.3 0.1 -0.2\n[start]\nx_T = %s\nnoise_seed = 7\n",
           mean, var, x_T);
  return s;
}

static int load(const char *name, const char *text, adeis_problem_spec *sp)
{
  return adeis_problem_load(write_text(name, text), sp);
}

/* The error message starts with the problem file's path and then rest. */
static void assert_msg(const char *rest)
{
  char expect[320];
  snprintf(expect, sizeof expect, "%s/", scratch);
  const char *m = adeis_errmsg();
  cr_assert(strncmp(m, expect, strlen(expect)) == 0, "%s", m);
  cr_assert(strstr(m, rest) != NULL, "got\n  %s\nexpected it to hold\n  %s", m, rest);
}

/* Component i of v equals x exactly. */
static void assert_component(const adeis_vec *v, size_t i, double x)
{
  mpfr_t r;
  mpfr_init2(r, v->be->prec);
  adeis_vec_get(r, v, i);
  cr_assert(mpfr_cmp_d(r, x) == 0, "component %zu: %.17g expected", i, x);
  mpfr_clear(r);
}

/* ---- @FILE ---- */

static const double mean3[3] = {0.5, -1.0 / 3.0, 2e-300};
static const float var3[3] = {0.04f, 1.0f, 0.1f};

Test(input, vectors_from_f64_and_npy)
{
  unsigned char b[512], d[64];
  write_bytes("data/mean.f64", b, le_f64(b, mean3, 3));
  size_t n = le_f32(d, var3, 3);
  write_bytes("data/var.npy", b, npy(b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", d, n));
  double x[3] = {0.7, -0.4, 1.1};
  n = le_f64(d, x, 3);
  write_bytes("x.npy", b, npy(b, 2, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3), }", d, n));
  char *text = worked("@mean.f64", "@var.npy", "@../x.npy");
  /* the problem file sits in data/, so x.npy is one folder up */
  adeis_problem_spec sp;
  cr_assert_eq(load("data/p.ini", text, &sp), ADEIS_OK, "%s", adeis_errmsg());
  free(text);
  const adeis_param *mean = adeis_problem_param(&sp, "mean");
  cr_assert_eq(mean->list.n, 3);
  cr_assert_null(mean->list.text);
  cr_assert_eq(mean->list.line, 4);
  long precs[] = {53, 256};
  for (int k = 0; k < 2; k++) {
    adeis_problem pb;
    cr_assert_eq(adeis_problem_build(&sp, precs[k], &pb), ADEIS_OK, "%s", adeis_errmsg());
    for (size_t i = 0; i < 3; i++)
      assert_component(pb.x_T, i, x[i]);
    adeis_problem_clear(&pb);
  }
  adeis_problem_spec_clear(&sp);
}

/* mean, var and x_T from files hold exactly the file's numbers at 53 and 256 bits */
Test(input, file_values_are_exact)
{
  unsigned char b[512], d[64];
  write_bytes("m.f64", b, le_f64(b, mean3, 3));
  size_t n = le_f32(d, var3, 3);
  write_bytes("v.npy", b, npy(b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", d, n));
  char *text = worked("@m.f64", "@v.npy", "0.7 -0.4 1.1");
  adeis_problem_spec sp;
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_OK, "%s", adeis_errmsg());
  free(text);
  const adeis_param *var = adeis_problem_param(&sp, "var");
  for (size_t i = 0; i < 3; i++)
    cr_assert_eq(var->list.data[i], (double)var3[i]);
  adeis_problem pb;
  cr_assert_eq(adeis_problem_build(&sp, 256, &pb), ADEIS_OK, "%s", adeis_errmsg());
  /* the model's mean is the file's: eps at x = alpha mu is 0 would need a schedule; read it
   * back through the spec's numbers instead */
  adeis_numbers a;
  cr_assert_eq(adeis_param_numbers(&a, &sp.model, (size_t)adeis_param_index(&sp.model, "mean"),
                                   &pb.be), ADEIS_OK);
  for (size_t i = 0; i < 3; i++)
    cr_assert(mpfr_cmp_d(a.v[i], mean3[i]) == 0);
  adeis_numbers_clear(&a);
  adeis_problem_clear(&pb);
  /* 2e-300 fits double: no range error at 53 bits */
  cr_assert_eq(adeis_problem_build(&sp, 53, &pb), ADEIS_OK, "%s", adeis_errmsg());
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&sp);
}

typedef struct bad_file {
  const char *name;
  int major;
  const char *dict;        /* NULL: raw bytes of data */
  size_t nbytes;           /* of data to write (from 3 doubles, or cut) */
  const char *expect;
} bad_file;

Test(input, bad_vector_files)
{
  double x[3] = {0.7, -0.4, 1.1};
  unsigned char d[64], b[512];
  le_f64(d, x, 3);
  static const bad_file cases[] = {
    {"a.npy", 1, "{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }", 24,
     "expected dtype '<f8' or '<f4', got '>f8'"},
    {"b.npy", 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", 24,
     "expected dtype '<f8' or '<f4', got '<i8'"},
    {"c.npy", 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (3,), }", 24,
     "expected C order"},
    {"d.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", 24,
     "expected 4 numbers (32 bytes) after the header, got 24 bytes"},
    {"e.npy", 2, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 24,
     "expected 2 numbers (16 bytes) after the header, got 24 bytes"},
    {"f.npy", 1, "{'descr': '<f8', 'shape': (3,), }", 24, "expected a .npy header with"},
    {"g.npy", 0, NULL, 24, "expected a .npy file (magic"},
    {"h.f64", 0, NULL, 20, "expected a multiple of 8 bytes (float64), got 20"},
    {"i.txt", 0, NULL, 24, "expected a file named NAME.f64"},
    {"j.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (-3,), }", 24,
     "expected a shape of non-negative integers"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const bad_file *bc = &cases[i];
    size_t n = bc->dict ? npy(b, bc->major, bc->dict, d, bc->nbytes) : bc->nbytes;
    write_bytes(bc->name, bc->dict ? b : d, n);
    char at[32];
    snprintf(at, sizeof at, "@%s", bc->name);
    char *text = worked("0.5 -1 2", "0.04 1 0.25", at);
    adeis_problem_spec sp;
    cr_expect_eq(load("p.ini", text, &sp), ADEIS_EINPUT, "case %zu", i);
    char expect[640];
    snprintf(expect, sizeof expect, "p.ini:14: start.x_T: %s/%s: %s", scratch, bc->name, bc->expect);
    cr_expect(strstr(adeis_errmsg(), expect) != NULL, "case %zu: got\n  %s\nexpected\n  %s", i,
              adeis_errmsg(), expect);
    free(text);
  }
}

Test(input, bad_vector_values_and_usage)
{
  unsigned char b[64];
  double nan_in[3] = {1, NAN, 2}, neg[3] = {0.04, -1, 0.25};
  write_bytes("nan.f64", b, le_f64(b, nan_in, 3));
  write_bytes("neg.f64", b, le_f64(b, neg, 3));
  adeis_problem_spec sp;
  char *text = worked("@nan.f64", "0.04 1 0.25", "0.7 -0.4 1.1");
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_EINPUT);
  assert_msg("p.ini:4: problem.mean: ");
  assert_msg("nan.f64: expected finite numbers, got nan (item 2)");
  free(text);
  text = worked("0.5 -1 2", "@neg.f64", "0.7 -0.4 1.1");
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_EINPUT);
  assert_msg("p.ini:5: problem.var: ");
  assert_msg("neg.f64: expected a positive variance, got -1 (item 2)");
  free(text);
  text = worked("0.5 -1 2", "0.04 1 0.25", "@missing.f64");
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_EINPUT);
  assert_msg("p.ini:14: start.x_T: ");
  assert_msg("missing.f64: cannot open (");
  free(text);
  text = worked("0.5 -1 2", "0.04 1 0.25", "@neg.f64 1");
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_EINPUT);
  assert_msg("p.ini:14: start.x_T: expected @FILE alone, got '@neg.f64 1'");
  free(text);
  text = worked("0.5 -1 2", "0.04 1 0.25", "@neg.f64\n  1");
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_EINPUT);
  assert_msg("p.ini:15: start.x_T: expected @FILE alone, got a continuation '1'");
  free(text);
  /* two numbers where three are needed: the usual length check, at the key's line */
  write_bytes("two.f64", b, le_f64(b, neg, 2));
  text = worked("@two.f64", "0.04 1 0.25", "0.7 -0.4 1.1");
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_EINPUT);
  assert_msg("p.ini:4: problem.mean: expected 3 numbers, got 2");
  free(text);
}

/* ---- numbers ---- */

Test(input, decimal_syntax)
{
  mpfr_t r;
  mpfr_init2(r, 128);
  static const char *const good[] = {"1", "-1", "+1", "1.", ".5", "-.5e3", "1e5", "1E-5",
                                     "0.000", "0e-999999999999", "12.5e+2"};
  static const double value[] = {1, -1, 1, 1, 0.5, -500, 1e5, 1e-5, 0, 0, 1250};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    cr_assert_eq(adeis_parse_decimal(r, good[i]), 0, "'%s'", good[i]);
    cr_assert(mpfr_cmp_d(r, value[i]) == 0 || i == 7, "'%s'", good[i]);
  }
  static const char *const bad[] = {"1@2", "@1", "1e", "e5", ".", "-", "1.2.3", "0x10", "inf",
                                    "nan", "1e+", "1,5", "1 2", "", "1e5x", "--1", "1d5"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    cr_assert_eq(adeis_parse_decimal(r, bad[i]), -1, "'%s'", bad[i]);
  cr_assert_eq(adeis_parse_decimal(r, "1e-999999999999"), -2);
  cr_assert_eq(adeis_parse_decimal(r, "-3e99999999999999999999"), -2);
  mpfr_clear(r);
}

Test(input, numbers_rejected_in_files)
{
  adeis_problem_spec sp;
  char *text = worked("0.5 1@2 2", "0.04 1 0.25", "0.7 -0.4 1.1");
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_EINPUT);
  assert_msg("p.ini:4: problem.mean: expected a finite decimal number, got '1@2' (item 2)");
  free(text);
  text = worked("0.5 -1 2", "0.04 1 0.25", "0.7 1e-999999999999 1.1");
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_EINPUT);
  assert_msg("p.ini:14: start.x_T: expected a finite decimal number, got '1e-999999999999' "
             "(item 2), outside MPFR's exponent range");
  free(text);
  /* a zero written with a huge exponent is still zero */
  text = worked("0.5 -1 2", "0.04 1 0.25", "0.7 0e-999999999999 1.1");
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_OK, "%s", adeis_errmsg());
  adeis_problem_spec_clear(&sp);
  free(text);
  text = worked("0.5 -1 2", "0.04 1 0.25", "0.7 -0.4 1.1");
  char *t_end = strstr(text, "t_end = 1e-3");
  memcpy(t_end, "t_end = 1@-3", 12);
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_EINPUT);
  assert_msg("p.ini:8: schedule.t_end: expected one positive number, got '1@-3'");
  free(text);
}

/* `key=<long number>` without blanks keeps its key (the number is the value). */
Test(input, long_number_right_after_equals)
{
  char third[200] = "0.";
  memset(third + 2, '3', 150);
  third[152] = '\0';
  char mean[256];
  snprintf(mean, sizeof mean, "%s -1 2", third);
  char *text = worked(mean, "0.04 1 0.25", "0.7 -0.4 1.1");
  char *m = strstr(text, "mean = ");
  m[4] = '=';
  memmove(m + 5, m + 7, strlen(m + 7) + 1);   /* "mean=0.333..." */
  cr_assert_not_null(strstr(text, "mean=0.333"));
  adeis_problem_spec sp;
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_OK, "%s", adeis_errmsg());
  const adeis_param *p = adeis_problem_param(&sp, "mean");
  cr_assert_eq(p->list.n, 3);
  cr_assert_str_eq(p->list.text[0], third);
  cr_assert_str_eq(p->list.text[2], "2");
  adeis_problem_spec_clear(&sp);
  free(text);
  /* the same with ':' */
  text = worked(mean, "0.04 1 0.25", "0.7 -0.4 1.1");
  m = strstr(text, "mean = ");
  m[4] = ':';
  memmove(m + 5, m + 7, strlen(m + 7) + 1);
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_OK, "%s", adeis_errmsg());
  cr_assert_str_eq(adeis_problem_param(&sp, "mean")->list.text[0], third);
  adeis_problem_spec_clear(&sp);
  free(text);
}

/* t_end and T 1e-47 apart: distinct at the load-time check's 256 bits, equal at the 117 bits
 * of the double backend's scalars (53 + 64 guard bits). */
Test(input, rounding_error_names_file_and_line)
{
  char *text = worked("0.5 -1 2", "0.04 1 0.25", "0.7 -0.4 1.1");
  char *t = strstr(text, "t_end = 1e-3\nT = 1\n");
  const char *repl = "T = 0.99999999999999999999999999999999999999999999999\n"
                     "t_end = 0.99999999999999999999999999999999999999999999998\n";
  char *out = malloc(strlen(text) + 128);
  snprintf(out, strlen(text) + 128, "%.*s%s%s", (int)(t - text), text, repl, t + strlen("t_end = 1e-3\nT = 1\n"));
  adeis_problem_spec sp;
  cr_assert_eq(load("p.ini", out, &sp), ADEIS_OK, "%s", adeis_errmsg());
  adeis_problem pb;
  cr_assert_eq(adeis_problem_build(&sp, 53, &pb), ADEIS_EINPUT);
  assert_msg("p.ini:9: schedule.t_end: t_end and T round to t_end >= T at precision 53");
  cr_assert_eq(adeis_problem_build(&sp, 256, &pb), ADEIS_OK, "%s", adeis_errmsg());
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&sp);
  free(out);
  free(text);
}

/* ---- [problem] keys before `type`, the registries ---- */

Test(input, keys_before_type)
{
  const char *text = "[problem]\ndim = 3\nmean = 0.5\n  -1 2\nvar = 0.04 1 0.25\ntype = gaussian\n"
                     "[schedule]\nname = vp-linear\n[loss]\ntype = quadratic\ntarget = 0 0 0\n"
                     "[start]\nseed = 1\n";
  adeis_problem_spec sp;
  cr_assert_eq(load("p.ini", text, &sp), ADEIS_OK, "%s", adeis_errmsg());
  cr_assert_str_eq(sp.type->name, "gaussian");
  cr_assert_eq(adeis_problem_param(&sp, "dim")->u, 3);
  cr_assert_eq(adeis_problem_param(&sp, "mean")->list.n, 3);
  cr_assert_eq(adeis_problem_param(&sp, "mean")->list.line, 3);
  cr_assert_str_eq(adeis_problem_param(&sp, "mean")->list.text[2], "2");
  adeis_problem_spec_clear(&sp);
  /* checked when read, by the kind any registered type gives the key */
  cr_assert_eq(load("p.ini", "[problem]\ndim = x\ntype = gaussian\n", &sp), ADEIS_EINPUT);
  assert_msg("p.ini:2: problem.dim: expected an integer");
  cr_assert_eq(load("p.ini", "[problem]\ncolour = red\ntype = gaussian\n", &sp), ADEIS_EINPUT);
  assert_msg("p.ini:2: problem.colour: unknown key");
  cr_assert_eq(load("p.ini", "[problem]\ndim = 3\ndim = 4\ntype = gaussian\n", &sp), ADEIS_EINPUT);
  assert_msg("p.ini:3: problem.dim: duplicate key (first given on line 2)");
  cr_assert_eq(load("p.ini", "[problem]\ntype = gaussian\ntype = gaussian\n", &sp), ADEIS_EINPUT);
  assert_msg("p.ini:3: problem.type: duplicate key (first given on line 2)");
}

/* Keys of the same name mean the same in every registered type (so a key given before
 * `type` is checked the same way whatever the type turns out to be). */
Test(input, registry_is_consistent)
{
  cr_assert_not_null(adeis_model_type_lookup("gaussian"));
  cr_assert_eq(adeis_loss_type_lookup("quadratic"), &adeis_loss_quadratic);
  cr_assert_null(adeis_model_type_lookup("mixture"));
  for (size_t i = 0; adeis_model_types[i]; i++)
    for (size_t j = 0; adeis_model_types[j]; j++) {
      const adeis_model_type *a = adeis_model_types[i], *b = adeis_model_types[j];
      cr_assert(i == j || strcmp(a->name, b->name) != 0);
      for (size_t p = 0; p < a->n_keys; p++) {
        cr_assert_str_neq(a->keys[p].name, "type");
        for (size_t q = 0; q < b->n_keys; q++)
          if (strcmp(a->keys[p].name, b->keys[q].name) == 0) {
            cr_assert_eq(a->keys[p].kind, b->keys[q].kind, "%s", a->keys[p].name);
            cr_assert_eq(a->keys[p].min, b->keys[q].min, "%s", a->keys[p].name);
            cr_assert_eq(!a->keys[p].positive, !b->keys[q].positive, "%s", a->keys[p].name);
          }
      }
    }
}

/* ---- a long line is read in time linear in its length ---- */

static double cpu_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds to load a problem whose first list is 'x' (an error: nothing after it is
 * parsed as numbers, so only the line reader works) followed by d numbers '1', on one line
 * (one_line) or 10 per indented continuation line. */
static double reader_seconds(size_t d, int one_line)
{
  size_t cap = 3 * d + 4096, len = 0;
  char *text = malloc(cap);
  cr_assert_not_null(text);
  len += (size_t)snprintf(text, cap, "[problem]\ntype = gaussian\ndim = %zu\nmean = x", d);
  for (size_t i = 0; i < d; i++) {
    if (!one_line && i % 10 == 0)
      text[len++] = '\n';
    memcpy(text + len, " 1", 2);
    len += 2;
  }
  snprintf(text + len, cap - len, "\n[start]\nseed = 1\n");
  const char *path = write_text("big.ini", text);
  free(text);
  adeis_problem_spec sp;
  double t0 = cpu_seconds();
  cr_assert_eq(adeis_problem_load(path, &sp), ADEIS_EINPUT);
  double t = cpu_seconds() - t0;
  assert_msg("big.ini:4: problem.mean: expected a finite decimal number, got 'x' (item 1)");
  return t;
}

/* 3 10^6 numbers on one line (6 MB): a reader that rescans the rest of the line for each
 * 200-character piece inih takes reads ~10^11 bytes (over a second); the linear one takes
 * about as long as for the same numbers on short lines (tens of milliseconds). */
Test(input, long_lines_read_in_linear_time, .timeout = 120)
{
  size_t d = 3000000;
  double split = reader_seconds(d, 0), one = reader_seconds(d, 1);
  cr_log_info("d = %zu: %.3f s on short lines, %.3f s on one line", d, split, one);
  cr_assert_lt(one, 3 * split + 0.05, "one line: %.3f s, short lines: %.3f s", one, split);
}

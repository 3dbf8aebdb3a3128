/* Vectors of problem files built by bulk import (core/params.h, analytic/gaussian.h,
 * analytic/gmm.h): `@FILE` numbers land in double, float and MPFR vectors exactly as one
 * rounding of each double would put them; columns of a row-major W; the Gaussian's mean
 * m + W z against the closed form at 1024 bits; the mixture built from files against the same
 * mixture built from MPFR numbers; the positivity scan of adeis_vec_find_nonpositive; and the
 * compensated adeis_vec_dot2 against the exact dot within its stated bound. */
#define _XOPEN_SOURCE 700 /* nftw (scratch.h) */
#include "../analytic/gaussian.h"
#include "../analytic/gmm.h"
#include "../core/params.h"
#include "../core/status.h"
#include "../runs/problem.h"
#include "scratch.h"

#include <criterion/criterion.h>
#include <float.h>
#include <gmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RND MPFR_RNDN

/* ---- temporary problem files: a scratch folder per test, removed with all it holds ---- */

static void make_scratch(void) { scratch_make_tagged("bulk"); }

TestSuite(bulk, .init = make_scratch, .fini = scratch_remove);

/* SCRATCH/name, in one of 8 buffers used in turn (valid for the next 7 calls). */
static const char *tmp_path(const char *name)
{
  static char paths[8][320];
  static int k;
  char *p = paths[k++ % 8];
  snprintf(p, sizeof paths[0], "%s/%s", scratch, name);
  return p;
}

/* n doubles as little-endian float64 into SCRATCH/name */
static void write_f64(const char *name, const double *a, size_t n)
{
  FILE *f = fopen(tmp_path(name), "wb");
  cr_assert_not_null(f);
  for (size_t i = 0; i < n; i++) {
    uint64_t b;
    memcpy(&b, &a[i], 8);
    for (int k = 0; k < 8; k++)
      fputc((int)((b >> (8 * k)) & 0xff), f);
  }
  fclose(f);
}

static void load_text(const char *text, adeis_problem_spec *sp)
{
  const char *path = tmp_path("p.ini");
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  cr_assert_eq(adeis_problem_load(path, sp), ADEIS_OK, "%s", adeis_errmsg());
}

static const char tail_sections[] = "[schedule]\nname = vp-linear\nt_end = 1e-3\nT = 1\n\n"
                                     "[loss]\ntype = quadratic\ntarget = 0.3 0.1 -0.2 0.5\n\n"
                                     "[start]\nx_T = @x.f64\n";

/* values from 2^-1060 (subnormal in double) to 2^1001, of both signs, thirds (not short in
 * binary) */
#define DIM 4
#define CDIM 3
static const double mean4[DIM] = {1.0 / 3.0, -0x1p-1060, 0x1.fffffffffffffp+1000, -7.25};
static const double var4[DIM] = {0.04, 1.0 / 7.0, 0x1p-1000, 3e10};
static const double x4[DIM] = {0.7, -0.4, 1.1, 2.0 / 3.0};
static const double W43[DIM * CDIM] = {1, 2, 3, -1.0 / 3.0, 0.5, 0.25,
                                       1e-5, -2, 1.0 / 9.0, 4, 5, -6};
static const char z3[] = "0.1 -0.7 1e-3";
static const char *const z3s[CDIM] = {"0.1", "-0.7", "1e-3"};

static void write_files(void)
{
  write_f64("m.f64", mean4, DIM);
  write_f64("v.f64", var4, DIM);
  write_f64("x.f64", x4, DIM);
  write_f64("W.f64", W43, DIM * CDIM);
}

static void gaussian_spec(adeis_problem_spec *sp)
{
  write_files();
  char text[1024];
  snprintf(text, sizeof text,
           "[problem]\ntype = gaussian\ndim = %d\ncond_dim = %d\nmean = @m.f64\nvar = @v.f64\n"
           "W = @W.f64\nz = %s\n\n%s",
           DIM, CDIM, z3, tail_sections);
  load_text(text, sp);
}

/* every element of v equals the double a[i] rounded once to v's storage */
static void assert_rounded_once(const adeis_vec *v, const double *a, size_t stride)
{
  mpfr_t want, got;
  mpfr_inits2(v->be->prec, want, got, (mpfr_ptr)0);
  for (size_t i = 0; i < v->n; i++) {
    double x = a[i * stride];
    if (v->be->type->elem == ADEIS_ELEM_F32)
      mpfr_set_flt(want, (float)x, RND);      /* the C conversion: one rounding to float */
    else
      mpfr_set_d(want, x, RND);
    adeis_vec_get(got, v, i);
    cr_assert(mpfr_equal_p(got, want), "%s %ld: element %zu", v->be->ops->name,
              (long)v->be->prec, i);
  }
  mpfr_clears(want, got, (mpfr_ptr)0);
}

Test(bulk, file_numbers_rounded_once_and_columns)
{
  adeis_problem_spec sp;
  gaussian_spec(&sp);
  const adeis_numlist *W = &adeis_problem_param(&sp, "W")->list;
  const adeis_numlist *m = &adeis_problem_param(&sp, "mean")->list;
  cr_assert_not_null(W->data);
  const struct { const char *name; long prec; } cases[] = {
    {"double", 53}, {"float", 24}, {"mpfr", 30}, {"mpfr", 256}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    adeis_backend be;
    cr_assert_eq(adeis_backend_init_named(&be, cases[c].name, cases[c].prec), ADEIS_OK);
    adeis_vec *v = NULL;
    for (size_t j = 0; j < CDIM; j++) {
      cr_assert_eq(adeis_numlist_slice_vec(&v, W, j, CDIM, DIM, &be, "p.ini", "problem.W"),
                   ADEIS_OK, "%s", adeis_errmsg());
      assert_rounded_once(v, W43 + j, CDIM);
      adeis_vec_free(v);
    }
    /* mean holds -2^-1060: outside double's normal range, refused only on a double backend */
    int rc = adeis_numlist_slice_vec(&v, m, 0, 1, DIM, &be, "p.ini", "problem.mean");
    if (be.prec == 53) {
      cr_assert_eq(rc, ADEIS_EINPUT);
      cr_assert_not_null(strstr(adeis_errmsg(), "p.ini:5: problem.mean: '-8.0947715414629834e-320' is outside"),
                         "%s", adeis_errmsg());
    } else {
      cr_assert_eq(rc, ADEIS_OK, "%s", adeis_errmsg());
      if (be.type->elem == ADEIS_ELEM_MPFR)
        assert_rounded_once(v, mean4, 1);
    }
    adeis_vec_free(v);
  }
  adeis_problem_spec_clear(&sp);
}

/* decimal text keeps being parsed at the working precision: 0.1 at 256 bits is not the double */
Test(bulk, text_numbers_parsed_at_the_precision)
{
  write_files();
  char text[1024];
  snprintf(text, sizeof text,
           "[problem]\ntype = gaussian\ndim = %d\nmean = 0.1 0.2 0.3 0.4\nvar = 1 1 1 1\n\n%s", DIM,
           tail_sections);
  adeis_problem_spec sp;
  load_text(text, &sp);
  adeis_backend be;
  adeis_backend_init_mpfr(&be, 256);
  adeis_vec *v = NULL;
  cr_assert_eq(adeis_numlist_slice_vec(&v, &adeis_problem_param(&sp, "mean")->list, 1, 2, 2, &be,
                                       "p.ini", "problem.mean"), ADEIS_OK);
  mpfr_t want, got;
  mpfr_inits2(256, want, got, (mpfr_ptr)0);
  const char *expect[2] = {"0.2", "0.4"};
  for (size_t i = 0; i < 2; i++) {
    mpfr_set_str(want, expect[i], 10, RND);
    adeis_vec_get(got, v, i);
    cr_assert(mpfr_equal_p(got, want), "element %zu", i);
    cr_assert(mpfr_cmp_d(got, i ? 0.4 : 0.2) != 0);
  }
  mpfr_clears(want, got, (mpfr_ptr)0);
  adeis_vec_free(v);
  adeis_problem_spec_clear(&sp);
}

/* mu = m + W z of the model built from the files, against the closed form at 1024 bits:
 * within CDIM + 1 roundings at the storage precision */
Test(bulk, gaussian_mean_from_files)
{
  adeis_problem_spec sp;
  gaussian_spec(&sp);
  long precs[] = {64, 256};
  for (int k = 0; k < 2; k++) {
    adeis_problem pb;
    cr_assert_eq(adeis_problem_build(&sp, precs[k], &pb), ADEIS_OK, "%s", adeis_errmsg());
    const adeis_vec *mu = adeis_gaussian_mu(&pb.model);
    mpfr_t want, t, got;
    mpfr_inits2(1024, want, t, got, (mpfr_ptr)0);
    for (size_t i = 0; i < DIM; i++) {
      mpfr_set_d(want, mean4[i], RND);
      for (size_t j = 0; j < CDIM; j++) {
        mpfr_set_str(t, z3s[j], 10, RND);
        mpfr_prec_round(t, pb.be.prec, RND);  /* z as the model holds it */
        mpfr_mul_d(t, t, W43[i * CDIM + j], RND);
        mpfr_add(want, want, t, RND);
      }
      adeis_vec_get(got, mu, i);
      mpfr_sub(t, got, want, RND);
      double scale = fabs(mean4[i]) + 6.0;    /* bounds |m_i| + sum_j |W_ij z_j| */
      double units = fabs(mpfr_get_d(t, RND)) / scale / ldexp(1.0, -(int)pb.be.prec);
      cr_assert(units <= CDIM + 1, "%ld bits: mu_%zu off by %.3g units", precs[k], i, units);
    }
    mpfr_clears(want, t, got, (mpfr_ptr)0);
    adeis_problem_clear(&pb);
  }
  adeis_problem_spec_clear(&sp);
}

/* the mixture built from @FILE lists (bulk import) and from MPFR numbers (one at a time):
 * the same eps, bit for bit, in double and at 256 bits */
Test(bulk, gmm_from_files_equals_gmm_from_numbers)
{
  enum { GD = 2, GK = 2 };
  const double means[GK * GD] = {-1.5, 1.0 / 3.0, 1, 0.5}, var[GK * GD] = {0.3, 0.2, 0.25, 0.4};
  write_f64("gm.f64", means, GK * GD);
  write_f64("gv.f64", var, GK * GD);
  adeis_problem_spec sp;
  load_text("[problem]\ntype = gmm\ndim = 2\ncomponents = 2\nmeans = @gm.f64\nvar = @gv.f64\n"
            "logits = 0 0.5\n\n[schedule]\nname = vp-linear\n\n[loss]\ntype = quadratic\n"
            "target = 0 0\n\n[start]\nx_T = 0.7 -1.3\n",
            &sp);
  long precs[] = {53, 256};
  for (int k = 0; k < 2; k++) {
    adeis_problem pb;
    cr_assert_eq(adeis_problem_build(&sp, precs[k], &pb), ADEIS_OK, "%s", adeis_errmsg());
    mpfr_t mm[GK * GD], vv[GK * GD], ll[GK];
    mpfr_srcptr pm[GK * GD], pv[GK * GD], pl[GK];
    for (int i = 0; i < GK * GD; i++) {
      mpfr_inits2(pb.be.prec, mm[i], vv[i], (mpfr_ptr)0);
      mpfr_set_d(mm[i], means[i], RND);
      mpfr_set_d(vv[i], var[i], RND);
      pm[i] = mm[i], pv[i] = vv[i];
    }
    for (int i = 0; i < GK; i++) {
      mpfr_init2(ll[i], pb.be.prec);
      mpfr_set_str(ll[i], i ? "0.5" : "0", 10, RND);
      pl[i] = ll[i];
    }
    adeis_model ref;
    cr_assert_eq(adeis_gmm_init(&ref, &pb.be, GD, GK, pm, pv, pl), ADEIS_OK);
    adeis_tpoint tp;
    adeis_tpoint_init(&tp, pb.sched.prec);
    mpfr_t t;
    mpfr_init2(t, pb.sched.prec);
    mpfr_set_str(t, "0.37", 10, RND);
    adeis_schedule_point_t(&pb.sched, &tp, t);
    adeis_vec *e1 = adeis_vec_alloc(&pb.be, GD), *e2 = adeis_vec_alloc(&pb.be, GD);
    cr_assert_eq(adeis_model_eps(&pb.model, NULL, e1, pb.x_T, &tp), ADEIS_OK);
    cr_assert_eq(adeis_model_eps(&ref, NULL, e2, pb.x_T, &tp), ADEIS_OK);
    mpfr_t a, b;
    mpfr_inits2(pb.be.prec, a, b, (mpfr_ptr)0);
    for (size_t i = 0; i < GD; i++) {
      adeis_vec_get(a, e1, i);
      adeis_vec_get(b, e2, i);
      cr_assert(mpfr_equal_p(a, b), "%ld bits: eps_%zu differs", precs[k], i);
    }
    mpfr_clears(a, b, t, (mpfr_ptr)0);
    adeis_vec_free(e1);
    adeis_vec_free(e2);
    adeis_tpoint_clear(&tp);
    adeis_model_clear(&ref);
    for (int i = 0; i < GK * GD; i++)
      mpfr_clears(mm[i], vv[i], (mpfr_ptr)0);
    for (int i = 0; i < GK; i++)
      mpfr_clear(ll[i]);
    adeis_problem_clear(&pb);
  }
  adeis_problem_spec_clear(&sp);
}

/* ---- adeis_vec_find_nonpositive ---- */

Test(bulk, find_nonpositive_on_every_backend)
{
  const struct { const char *name; long prec; } cases[] = {
    {"double", 53}, {"float", 24}, {"mpfr", 53}, {"mpfr", 200}};
  enum { N = 150 };  /* more than one chunk of the MPFR scan */
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    adeis_backend be;
    cr_assert_eq(adeis_backend_init_named(&be, cases[c].name, cases[c].prec), ADEIS_OK);
    adeis_vec *v = adeis_vec_alloc(&be, N);
    double a[N];
    for (size_t i = 0; i < N; i++)
      a[i] = 1.0 + (double)i / 3.0;
    adeis_vec_import_d(v, 0, a, N);
    cr_assert_eq(adeis_vec_find_nonpositive(v), (size_t)N, "%s: all positive", be.ops->name);
    const double bad[] = {0.0, -0.0, -1e-30, HUGE_VAL, -HUGE_VAL, NAN};
    const size_t at[] = {0, 64, 65, 149, 100, 3};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
      adeis_vec_import_d(v, 0, a, N);
      adeis_vec_set_d(v, at[k], bad[k]);
      cr_assert_eq(adeis_vec_find_nonpositive(v), at[k], "%s: %g at %zu", be.ops->name, bad[k],
                   at[k]);
    }
    if (be.type->elem == ADEIS_ELEM_MPFR) {   /* below double's range, still > 0 */
      mpfr_t tiny;
      mpfr_init2(tiny, be.prec);
      mpfr_set_ui_2exp(tiny, 1, -100000, RND);
      adeis_vec_import_d(v, 0, a, N);
      adeis_vec_set(v, 70, tiny);
      cr_assert_eq(adeis_vec_find_nonpositive(v), (size_t)N);
      mpfr_neg(tiny, tiny, RND);
      adeis_vec_set(v, 71, tiny);
      cr_assert_eq(adeis_vec_find_nonpositive(v), (size_t)71);
      mpfr_clear(tiny);
    }
    adeis_vec_free(v);
  }
}

/* ---- adeis_vec_dot2 ---- */

/* gamma_n = n u / (1 - n u) */
static double gamma_n(size_t n, double u) { return (double)n * u / (1.0 - (double)n * u); }

/* x and y with products from 2^-40 to 2^40 in magnitude, and the second half cancelling the
 * first half up to a perturbation of relative size 2^-30: the sum is about 2^-30 of the sum
 * of magnitudes */
static void cancelling_data(double *x, double *y, size_t n, unsigned long seed)
{
  gmp_randstate_t st;
  gmp_randinit_default(st);
  gmp_randseed_ui(st, seed);
  for (size_t i = 0; i < n; i++) {
    if (i >= n / 2) {
      x[i] = -x[i - n / 2] * (1.0 + ldexp((double)gmp_urandomm_ui(st, 1000) - 500.0, -39));
      y[i] = y[i - n / 2];
      continue;
    }
    x[i] = ldexp(1.0 + (double)gmp_urandomm_ui(st, 1UL << 30) / 0x1p30,
                 (int)gmp_urandomm_ui(st, 41) - 20);
    y[i] = ldexp((double)gmp_urandomm_ui(st, 1UL << 30) / 0x1p30 - 0.5,
                 (int)gmp_urandomm_ui(st, 41) - 20);
  }
  gmp_randclear(st);
}

Test(bulk, dot2_within_its_bound_of_the_exact_dot)
{
  enum { N = 100003 };   /* not a multiple of the four lanes */
  double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
  cr_assert(x && y);
  cancelling_data(x, y, N, 7);
  const struct { const char *name; long prec; } cases[] = {
    {"double", 53}, {"float", 24}, {"mpfr", 128}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    adeis_backend be;
    cr_assert_eq(adeis_backend_init_named(&be, cases[c].name, cases[c].prec), ADEIS_OK);
    adeis_vec *vx = adeis_vec_alloc(&be, N), *vy = adeis_vec_alloc(&be, N);
    adeis_vec_import_d(vx, 0, x, N);
    adeis_vec_import_d(vy, 0, y, N);
    /* the exact sum and sum |x_i y_i| of the stored values, at 600 bits (products from 2^-90
     * to 2^80: exact) */
    mpfr_t ref, sabs, p, a, b, got;
    mpfr_inits2(600, ref, sabs, p, a, b, (mpfr_ptr)0);
    mpfr_set_zero(ref, 1);
    mpfr_set_zero(sabs, 1);
    for (size_t i = 0; i < N; i++) {
      adeis_vec_get(a, vx, i);
      adeis_vec_get(b, vy, i);
      mpfr_mul(p, a, b, RND);
      mpfr_add(ref, ref, p, RND);
      mpfr_abs(p, p, RND);
      mpfr_add(sabs, sabs, p, RND);
    }
    cr_assert(mpfr_cmpabs(ref, sabs) < 0 && (be.prec != 53 || !mpfr_zero_p(ref)));
    mpfr_init2(got, 200);
    adeis_vec_dot2(got, vx, vy);
    mpfr_sub(p, got, ref, RND);
    double err = fabs(mpfr_get_d(p, RND)), S = mpfr_get_d(sabs, RND);
    double g = be.prec == 53 ? gamma_n(N, 0x1p-53) : 0;
    double bound = be.prec == 53 ? g * g * S + N * 0x1p-1073
                 : be.prec == 24 ? gamma_n(N, 0x1p-53) * S
                                 : N * ldexp(S, -200 - 64);
    bound += fabs(mpfr_get_d(ref, RND)) * 0x1p-199;   /* the rounding into got */
    cr_assert(err <= bound, "%s: dot2 off by %.3g > %.3g (sum %.3g of magnitudes %.3g)",
              be.ops->name, err, bound, mpfr_get_d(ref, RND), S);
    /* the naive double sum would not meet the double bound here: the data do cancel */
    if (be.prec == 53) {
      double naive = 0;
      for (size_t i = 0; i < N; i++)
        naive += x[i] * y[i];
      mpfr_set_d(p, naive, RND);
      mpfr_sub(p, p, ref, RND);
      cr_assert(fabs(mpfr_get_d(p, RND)) > bound, "the test data do not cancel");
    }
    /* sqrt(x . x) from dot2 (the printed norms of adeis grad): relative error within
     * gamma_n^2 plus two roundings */
    if (be.prec == 53) {
      mpfr_set_zero(ref, 1);
      for (size_t i = 0; i < N; i++) {
        mpfr_set_d(a, x[i], RND);
        mpfr_sqr(a, a, RND);
        mpfr_add(ref, ref, a, RND);
      }
      mpfr_sqrt(ref, ref, RND);
      adeis_vec_dot2(got, vx, vx);
      mpfr_sqrt(got, got, RND);
      mpfr_sub(p, got, ref, RND);
      mpfr_div(p, p, ref, RND);
      cr_assert(fabs(mpfr_get_d(p, RND)) <= g * g + 0x1p-198, "nrm2 relative error %.3g",
                mpfr_get_d(p, RND));
    }
    mpfr_clears(ref, sabs, p, a, b, got, (mpfr_ptr)0);
    adeis_vec_free(vx);
    adeis_vec_free(vy);
  }
  free(x);
  free(y);
}

/* where the compensated sum overflows, the exact dot takes over; Inf and NaN as dot has them */
Test(bulk, dot2_overflow_inf_nan)
{
  adeis_backend be;
  cr_assert_eq(adeis_backend_init_named(&be, "double", 53), ADEIS_OK);
  adeis_vec *a = adeis_vec_alloc(&be, 5), *b = adeis_vec_alloc(&be, 5);
  adeis_vec_import_d(a, 0, (const double[]){1e300, 1e300, 3.0, -1e300, 1.0}, 5);
  adeis_vec_import_d(b, 0, (const double[]){1e300, 1e10, 1.0, 1e10, 0.5}, 5);
  mpfr_t got, want;
  mpfr_inits2(120, got, want, (mpfr_ptr)0);
  adeis_vec_dot2(got, a, b);                /* 1e600 + 3.5, beyond double, within MPFR */
  adeis_vec_dot(want, a, b);
  cr_assert(mpfr_number_p(got) && mpfr_equal_p(got, want), "overflow not handed to the exact dot");
  adeis_vec_import_d(a, 0, (const double[]){1.0, HUGE_VAL, 2.0, 0, 0}, 5);
  adeis_vec_import_d(b, 0, (const double[]){1.0, 1.0, 1.0, 0, 0}, 5);
  adeis_vec_dot2(got, a, b);
  cr_assert(mpfr_inf_p(got) && mpfr_sgn(got) > 0, "Inf lost");
  adeis_vec_set_d(b, 1, 0.0);
  adeis_vec_dot2(got, a, b);
  cr_assert(mpfr_nan_p(got), "Inf * 0 is not NaN");
  mpfr_clears(got, want, (mpfr_ptr)0);
  adeis_vec_free(a);
  adeis_vec_free(b);
}

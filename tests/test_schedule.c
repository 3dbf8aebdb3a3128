/* Schedules (docs/math.md section 1) against independent references: alpha, sigma and lambda
 * from the defining formulas at 3p + 64 bits; f, lambda', g^2 and d log alpha/d lambda
 * against 4th-order central finite differences of those formulas (step 2^-(p/2+8)
 * relative to t, so truncation ~2^-(2p+32) and rounding ~2^-(2.5p+56) are both far
 * below 2^-p); inverses by round trips, within a few units of 2^-p times the condition. */
#include <criterion/criterion.h>

#include "../core/schedule.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define RND MPFR_RNDN

static const mpfr_prec_t precs[] = {53, 113, 256, 1024};
#define N_PRECS (sizeof precs / sizeof *precs)
/* test times t = t_end + frac (T - t_end) */
static const char *const fracs[] = {"0", "1e-3", "0.05", "0.3", "0.7", "0.999", "1"};
#define N_FRACS (sizeof fracs / sizeof *fracs)

static void note(const char *fmt, ...)
{
  if (!getenv("ADEIS_TEST_VERBOSE"))
    return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

/* ---- independent reference formulas at the precision of r ---- */

typedef void (*ref_fn)(mpfr_ptr r, const adeis_schedule_type *type, mpfr_srcptr t);

/* log alpha: vp-linear -(b1-b0) t^2/4 - b0 t/2; vp-cosine log cos(pi/2 (t+s)/(1+s)) - log cos(pi/2 s/(1+s)) */
static void ref_log_alpha(mpfr_ptr r, const adeis_schedule_type *type, mpfr_srcptr t)
{
  mpfr_prec_t P = mpfr_get_prec(r);
  mpfr_t a, b;
  mpfr_inits2(P, a, b, (mpfr_ptr)0);
  if (type == &adeis_schedule_vp_linear) {
    mpfr_set_str(b, "19.9", 10, RND);     /* b1 - b0 */
    mpfr_sqr(a, t, RND);
    mpfr_mul(a, a, b, RND);
    mpfr_div_si(a, a, -4, RND);
    mpfr_set_str(b, "0.05", 10, RND);     /* b0/2 */
    mpfr_mul(b, b, t, RND);
    mpfr_sub(r, a, b, RND);
  } else if (type == &adeis_schedule_vp_cosine) {
    mpfr_set_str(b, "0.008", 10, RND);
    mpfr_add(a, t, b, RND);
    mpfr_add_ui(b, b, 1, RND);
    mpfr_div(a, a, b, RND);               /* (t+s)/(1+s) */
    mpfr_const_pi(b, RND);
    mpfr_mul(a, a, b, RND);
    mpfr_div_2ui(a, a, 1, RND);
    mpfr_cos(a, a, RND);
    mpfr_log(a, a, RND);
    mpfr_set_str(b, "0.008", 10, RND);
    mpfr_t c;
    mpfr_init2(c, P);
    mpfr_set_str(c, "1.008", 10, RND);
    mpfr_div(b, b, c, RND);               /* s/(1+s) */
    mpfr_const_pi(c, RND);
    mpfr_mul(b, b, c, RND);
    mpfr_div_2ui(b, b, 1, RND);
    mpfr_cos(b, b, RND);
    mpfr_log(b, b, RND);
    mpfr_sub(r, a, b, RND);
    mpfr_clear(c);
  } else {
    mpfr_set_zero(r, 1);
  }
  mpfr_clears(a, b, (mpfr_ptr)0);
}

/* sigma^2: 1 - alpha^2 (VP), t^2 (VE) */
static void ref_sigma2(mpfr_ptr r, const adeis_schedule_type *type, mpfr_srcptr t)
{
  if (!type->variance_preserving) {
    mpfr_sqr(r, t, RND);
    return;
  }
  ref_log_alpha(r, type, t);
  mpfr_mul_2ui(r, r, 1, RND);
  mpfr_exp(r, r, RND);
  mpfr_ui_sub(r, 1, r, RND);
}

/* lambda = log alpha - log(sigma^2)/2 */
static void ref_lambda(mpfr_ptr r, const adeis_schedule_type *type, mpfr_srcptr t)
{
  mpfr_t s2;
  mpfr_init2(s2, mpfr_get_prec(r));
  ref_sigma2(s2, type, t);
  mpfr_log(s2, s2, RND);
  mpfr_div_2ui(s2, s2, 1, RND);
  ref_log_alpha(r, type, t);
  mpfr_sub(r, r, s2, RND);
  mpfr_clear(s2);
}

/* r = F'(t) by (-F(t+2h) + 8F(t+h) - 8F(t-h) + F(t-2h)) / (12h), h = 2^-(p/2+8) t */
static void fd_derivative(mpfr_ptr r, ref_fn F, const adeis_schedule_type *type, mpfr_srcptr t,
                          mpfr_prec_t p)
{
  mpfr_prec_t P = mpfr_get_prec(r);
  mpfr_t h, tt, v, acc;
  mpfr_inits2(P, h, tt, v, acc, (mpfr_ptr)0);
  mpfr_mul_2si(h, t, -(long)(p / 2 + 8), RND);
  static const int offs[4] = {2, 1, -1, -2};
  static const int wts[4] = {-1, 8, -8, 1};
  mpfr_set_zero(acc, 1);
  for (int i = 0; i < 4; i++) {
    mpfr_mul_si(tt, h, offs[i], RND);
    mpfr_add(tt, tt, t, RND);
    F(v, type, tt);
    mpfr_mul_si(v, v, wts[i], RND);
    mpfr_add(acc, acc, v, RND);
  }
  mpfr_div(acc, acc, h, RND);
  mpfr_div_ui(r, acc, 12, RND);
  mpfr_clears(h, tt, v, acc, (mpfr_ptr)0);
}

/* |got - ref| / |scale| in units of 2^-p */
static double err_units(mpfr_srcptr got, mpfr_srcptr ref, mpfr_srcptr scale, mpfr_prec_t p)
{
  mpfr_t d;
  mpfr_init2(d, mpfr_get_prec(ref) + 64);
  mpfr_sub(d, got, ref, RND);
  mpfr_div(d, d, scale, RND);
  mpfr_abs(d, d, RND);
  mpfr_mul_2si(d, d, (long)p, RND);
  double e = mpfr_get_d(d, RND);
  mpfr_clear(d);
  return e;
}

static double rel_units(mpfr_srcptr got, mpfr_srcptr ref, mpfr_prec_t p)
{
  return err_units(got, ref, ref, p);
}

/* t = t_end + frac (T - t_end), rounded to the schedule's precision */
static void test_time(mpfr_ptr t, const adeis_schedule *s, const char *frac)
{
  mpfr_t f;
  mpfr_init2(f, mpfr_get_prec(t) + 64);
  mpfr_set_str(f, frac, 10, RND);
  mpfr_sub(t, s->T, s->t_end, RND);
  mpfr_mul(t, t, f, RND);
  mpfr_add(t, t, s->t_end, RND);
  if (mpfr_cmp(t, s->T) > 0)
    mpfr_set(t, s->T, RND);
  mpfr_clear(f);
}

/* Everything the reference knows at one time, at precision P. */
typedef struct refpoint {
  mpfr_t log_alpha, sigma2, lambda, f, dlambda, dsigma2;
} refpoint;

static void refpoint_init(refpoint *rp, const adeis_schedule_type *type, mpfr_srcptr t,
                          mpfr_prec_t p, mpfr_prec_t P)
{
  mpfr_inits2(P, rp->log_alpha, rp->sigma2, rp->lambda, rp->f, rp->dlambda, rp->dsigma2,
              (mpfr_ptr)0);
  ref_log_alpha(rp->log_alpha, type, t);
  ref_sigma2(rp->sigma2, type, t);
  ref_lambda(rp->lambda, type, t);
  fd_derivative(rp->f, ref_log_alpha, type, t, p);
  fd_derivative(rp->dlambda, ref_lambda, type, t, p);
  fd_derivative(rp->dsigma2, ref_sigma2, type, t, p);
}

static void refpoint_clear(refpoint *rp)
{
  mpfr_clears(rp->log_alpha, rp->sigma2, rp->lambda, rp->f, rp->dlambda, rp->dsigma2,
              (mpfr_ptr)0);
}

static double dget(mpfr_srcptr x) { return fabs(mpfr_get_d(x, RND)); }

typedef struct worst_t {
  double alpha, sigma, lambda, f, dlambda, g2, dla;
} worst_t;

static void upd(double *w, double e) { *w = e > *w ? e : *w; }

/* alpha, sigma, lambda at one time against the formulas */
static void check_values(const adeis_schedule *s, mpfr_srcptr t, const refpoint *rp, worst_t *w)
{
  mpfr_prec_t p = s->prec, P = mpfr_get_prec(rp->lambda);
  const char *name = s->type->name;
  mpfr_t got, ref;
  mpfr_init2(got, p);
  mpfr_init2(ref, P);
  double la = dget(rp->log_alpha), lam = dget(rp->lambda);
  /* log alpha is rounded at p bits before exp in the worst case: |la| units of error */
  adeis_schedule_alpha(got, s, t);
  mpfr_exp(ref, rp->log_alpha, RND);
  double e = rel_units(got, ref, p);
  upd(&w->alpha, e / (1 + la));
  cr_assert(e <= 2 * (1 + la), "%s %ld alpha(%g): %.3g ulps", name, (long)p, mpfr_get_d(t, RND), e);
  adeis_schedule_sigma(got, s, t);
  mpfr_sqrt(ref, rp->sigma2, RND);
  e = rel_units(got, ref, p);
  upd(&w->sigma, e);
  cr_assert(e <= 2, "%s %ld sigma(%g): %.3g ulps", name, (long)p, mpfr_get_d(t, RND), e);
  adeis_schedule_lambda(got, s, t);
  mpfr_set_d(ref, 1 + lam, RND);
  e = err_units(got, rp->lambda, ref, p);
  upd(&w->lambda, e);
  cr_assert(e <= 2, "%s %ld lambda(%g): %.3g units of 2^-p (1+|lambda|)", name, (long)p,
            mpfr_get_d(t, RND), e);
  mpfr_clears(got, ref, (mpfr_ptr)0);
}

/* f, lambda', g^2 and d log alpha / d lambda against finite differences */
static void check_derivatives(const adeis_schedule *s, mpfr_srcptr t, const refpoint *rp,
                              worst_t *w)
{
  mpfr_prec_t p = s->prec, P = mpfr_get_prec(rp->lambda);
  const char *name = s->type->name;
  double tt = mpfr_get_d(t, RND);
  mpfr_t got, ref;
  mpfr_init2(got, p);
  mpfr_init2(ref, P);
  adeis_schedule_f(got, s, t);
  if (s->type->variance_preserving) {
    double e = rel_units(got, rp->f, p);
    upd(&w->f, e);
    cr_assert(e <= 2, "%s %ld f(%g): %.3g ulps", name, (long)p, tt, e);
  } else {
    cr_assert(mpfr_zero_p(got), "ve f must be 0");
  }
  adeis_schedule_dlambda_dt(got, s, t);
  double e = rel_units(got, rp->dlambda, p);
  upd(&w->dlambda, e);
  cr_assert(e <= 3, "%s %ld lambda'(%g): %.3g ulps", name, (long)p, tt, e);
  /* independent g^2 = d sigma^2/dt - 2 f sigma^2 */
  mpfr_mul(ref, rp->f, rp->sigma2, RND);
  mpfr_mul_2ui(ref, ref, 1, RND);
  mpfr_sub(ref, rp->dsigma2, ref, RND);
  adeis_schedule_g2(got, s, t);
  e = rel_units(got, ref, p);
  upd(&w->g2, e);
  cr_assert(e <= 4, "%s %ld g2(%g): %.3g ulps", name, (long)p, tt, e);
  mpfr_clears(got, ref, (mpfr_ptr)0);
}

/* d log alpha / d lambda = f / lambda' at a time point */
static void check_dlogalpha_dlambda(const adeis_schedule *s, mpfr_srcptr t, const refpoint *rp,
                                    worst_t *w)
{
  mpfr_prec_t p = s->prec;
  adeis_tpoint tp;
  adeis_tpoint_init(&tp, p);
  adeis_schedule_point_t(s, &tp, t);
  mpfr_t got, ref;
  mpfr_init2(got, p);
  mpfr_init2(ref, mpfr_get_prec(rp->f));
  adeis_schedule_dlogalpha_dlambda(got, s, &tp);
  if (s->type->variance_preserving) {
    mpfr_div(ref, rp->f, rp->dlambda, RND);
    double e = rel_units(got, ref, p);
    upd(&w->dla, e);
    cr_assert(e <= 4, "%s %ld dlogalpha/dlambda(%g): %.3g ulps", s->type->name, (long)p,
              mpfr_get_d(t, RND), e);
  } else {
    cr_assert(mpfr_zero_p(got), "ve dlogalpha/dlambda must be 0");
  }
  mpfr_clears(got, ref, (mpfr_ptr)0);
  adeis_tpoint_clear(&tp);
}

static void sweep_type(const adeis_schedule_type *type)
{
  for (size_t ip = 0; ip < N_PRECS; ip++) {
    mpfr_prec_t p = precs[ip], P = 3 * p + 64;
    adeis_schedule s;
    adeis_schedule_init(&s, type, p);
    worst_t w = {0};
    mpfr_t t;
    mpfr_init2(t, p);
    for (size_t i = 0; i < N_FRACS; i++) {
      test_time(t, &s, fracs[i]);
      refpoint rp;
      refpoint_init(&rp, type, t, p, P);
      check_values(&s, t, &rp, &w);
      check_derivatives(&s, t, &rp, &w);
      check_dlogalpha_dlambda(&s, t, &rp, &w);
      refpoint_clear(&rp);
    }
    note("%s %4ld: alpha %.2f/(1+|la|) sigma %.2f lambda %.2f f %.2f lambda' %.2f g2 %.2f dla %.2f\n",
         type->name, (long)p, w.alpha, w.sigma, w.lambda, w.f, w.dlambda, w.g2, w.dla);
    mpfr_clear(t);
    adeis_schedule_clear(&s);
  }
}

Test(schedule, vp_linear_against_formulas_and_finite_differences) { sweep_type(&adeis_schedule_vp_linear); }
Test(schedule, vp_cosine_against_formulas_and_finite_differences) { sweep_type(&adeis_schedule_vp_cosine); }
Test(schedule, ve_edm_against_formulas_and_finite_differences) { sweep_type(&adeis_schedule_ve_edm); }

/* ---- inverse, time points, VP identity ---- */

/* t -> lambda -> t: lambda is off by up to 2^-p |lambda|, which moves t by that over |lambda'|;
 * lambda -> t -> lambda: t is off by 2^-p |t|, which moves lambda by |lambda'| times that. */
static void check_round_trips(const adeis_schedule *s, mpfr_srcptr t, double *w_t, double *w_l)
{
  mpfr_prec_t p = s->prec;
  mpfr_t lam, t2, lam2, dl, scale;
  mpfr_inits2(p, lam, t2, lam2, dl, (mpfr_ptr)0);
  mpfr_init2(scale, 64);
  adeis_schedule_lambda(lam, s, t);
  adeis_schedule_dlambda_dt(dl, s, t);
  double ad = dget(dl), at = dget(t), al = dget(lam);
  adeis_schedule_t_of_lambda(t2, s, lam);
  mpfr_set_d(scale, at + (1 + al) / ad, RND);
  double e = err_units(t2, t, scale, p);
  upd(w_t, e);
  cr_assert(e <= 4, "%s %ld t->lambda->t at t=%g: %.3g units of 2^-p (|t| + (1+|lambda|)/|lambda'|)",
            s->type->name, (long)p, at, e);
  adeis_schedule_t_of_lambda(t2, s, lam);
  adeis_schedule_lambda(lam2, s, t2);
  mpfr_set_d(scale, 1 + al + at * ad, RND);
  e = err_units(lam2, lam, scale, p);
  upd(w_l, e);
  cr_assert(e <= 4, "%s %ld lambda->t->lambda at t=%g: %.3g units of 2^-p (1+|lambda|+|t lambda'|)",
            s->type->name, (long)p, at, e);
  mpfr_clears(lam, t2, lam2, dl, scale, (mpfr_ptr)0);
}

/* point from t and point from lambda(t): alpha, sigma move by |lambda| ulps at most
 * (d log alpha/d lambda, d log sigma/d lambda in [-1, 1]); t as in the round trip. */
static void check_points_agree(const adeis_schedule *s, mpfr_srcptr t, double *w)
{
  mpfr_prec_t p = s->prec;
  adeis_tpoint a, b;
  adeis_tpoint_init(&a, p);
  adeis_tpoint_init(&b, p);
  adeis_schedule_point_t(s, &a, t);
  adeis_schedule_point_lambda(s, &b, a.lambda);
  mpfr_t dl, scale, one;
  mpfr_init2(dl, p);
  mpfr_inits2(64, scale, one, (mpfr_ptr)0);
  mpfr_set_ui(one, 1, RND);
  adeis_schedule_dlambda_dt(dl, s, t);
  double al = dget(a.lambda), at = dget(t), ad = dget(dl);
  mpfr_set_d(scale, at + (1 + al) / ad, RND);
  double et = err_units(b.t, a.t, scale, p);
  double ea = rel_units(b.alpha, a.alpha, p) / (2 + al);
  double es = rel_units(b.sigma, a.sigma, p) / (2 + al);
  double el = rel_units(b.lambda, a.lambda, p);
  upd(w, et > ea ? (et > es ? et : es) : (ea > es ? ea : es));
  cr_assert(et <= 4 && ea <= 2 && es <= 2 && el <= 1e-9,
            "%s %ld point_t vs point_lambda at t=%g: t %.3g, alpha %.3g, sigma %.3g, lambda %.3g",
            s->type->name, (long)p, at, et, ea, es, el);
  if (s->type->variance_preserving) {
    for (int k = 0; k < 2; k++) {
      adeis_tpoint *q = k ? &b : &a;
      mpfr_t sum;
      mpfr_init2(sum, 2 * p + 64);
      mpfr_sqr(sum, q->alpha, RND);
      mpfr_fma(sum, q->sigma, q->sigma, sum, RND);
      double e = err_units(sum, one, one, p);
      cr_assert(e <= 3, "%s %ld alpha^2 + sigma^2 - 1 = %.3g units at t=%g", s->type->name,
                (long)p, e, at);
      mpfr_clear(sum);
    }
  }
  mpfr_clears(dl, scale, one, (mpfr_ptr)0);
  adeis_tpoint_clear(&a);
  adeis_tpoint_clear(&b);
}

Test(schedule, inverse_round_trips_and_time_points)
{
  for (size_t k = 0; adeis_schedule_types[k]; k++)
    for (size_t ip = 0; ip < N_PRECS; ip++) {
      mpfr_prec_t p = precs[ip];
      adeis_schedule s;
      adeis_schedule_init(&s, adeis_schedule_types[k], p);
      mpfr_t t;
      mpfr_init2(t, p);
      double wt = 0, wl = 0, wp = 0;
      for (size_t i = 0; i < N_FRACS; i++) {
        test_time(t, &s, fracs[i]);
        check_round_trips(&s, t, &wt, &wl);
        check_points_agree(&s, t, &wp);
      }
      note("%s %4ld round trips: t %.2f lambda %.2f points %.2f\n", s.type->name, (long)p, wt, wl,
           wp);
      mpfr_clear(t);
      adeis_schedule_clear(&s);
    }
}

/* ---- docs/math.md section 11 and defaults ---- */

static void check_decimal(mpfr_srcptr got, const char *ref_text, double rel_tol, const char *what)
{
  mpfr_t ref;
  mpfr_init2(ref, mpfr_get_prec(got) + 64);
  mpfr_set_str(ref, ref_text, 10, RND);
  double e = err_units(got, ref, ref, 0);
  cr_assert(e <= rel_tol, "%s: relative error %.3g (> %.3g)", what, e, rel_tol);
  note("%s: relative error %.3g\n", what, e);
  mpfr_clear(ref);
}

Test(schedule, worked_example_lambdas)
{
  adeis_schedule s;
  adeis_schedule_init(&s, &adeis_schedule_vp_linear, 256);
  mpfr_t l;
  mpfr_init2(l, 256);
  adeis_schedule_lambda(l, &s, s.t_end);
  /* 20 significant digits given: half a unit in the last is < 1.1e-20 relative */
  check_decimal(l, "4.5577149327298977382", 2e-20, "lambda(t_end = 1e-3)");
  adeis_schedule_lambda(l, &s, s.T);
  check_decimal(l, "-5.0249784066592041748", 2e-20, "lambda(T = 1)");
  mpfr_clear(l);
  adeis_schedule_clear(&s);
  /* and at 53 bits to a few ulps of double */
  adeis_schedule_init(&s, &adeis_schedule_vp_linear, 53);
  mpfr_init2(l, 53);
  adeis_schedule_lambda(l, &s, s.t_end);
  check_decimal(l, "4.5577149327298977382", 4 * 0x1p-53, "lambda(t_end) at 53 bits");
  adeis_schedule_lambda(l, &s, s.T);
  check_decimal(l, "-5.0249784066592041748", 4 * 0x1p-53, "lambda(T) at 53 bits");
  mpfr_clear(l);
  adeis_schedule_clear(&s);
}

Test(schedule, defaults_of_T_and_t_end)
{
  static const char *const T[] = {"1", "0.9946", "80"}, *const te[] = {"1e-3", "1e-3", "0.002"};
  const adeis_schedule_type *types[] = {&adeis_schedule_vp_linear, &adeis_schedule_vp_cosine,
                                        &adeis_schedule_ve_edm};
  for (size_t k = 0; k < 3; k++) {
    adeis_schedule s;
    adeis_schedule_init(&s, types[k], 256);
    cr_assert_eq(s.type, types[k]);
    check_decimal(s.T, T[k], 0x1p-255, "T");
    check_decimal(s.t_end, te[k], 0x1p-255, "t_end");
    adeis_schedule_clear(&s);
  }
}

Test(schedule, lookup_by_name)
{
  const adeis_schedule_type *types[] = {&adeis_schedule_vp_linear, &adeis_schedule_vp_cosine,
                                        &adeis_schedule_ve_edm};
  const char *names[] = {"vp-linear", "vp-cosine", "ve-edm"};
  size_t n = 0;
  while (adeis_schedule_types[n])
    n++;
  cr_assert_eq(n, 3, "adeis_schedule_types lists %zu types", n);
  for (size_t k = 0; k < 3; k++) {
    cr_assert_eq(adeis_schedule_lookup(names[k]), types[k], "lookup(%s)", names[k]);
    cr_assert_str_eq(types[k]->name, names[k]);
    cr_assert_eq(adeis_schedule_types[k], types[k]);
  }
  cr_assert_null(adeis_schedule_lookup("vp-quadratic"));
  cr_assert_null(adeis_schedule_lookup(""));
  cr_assert_null(adeis_schedule_lookup("VP-LINEAR"));
  cr_assert_eq(adeis_schedule_vp_linear.variance_preserving, 1);
  cr_assert_eq(adeis_schedule_vp_cosine.variance_preserving, 1);
  cr_assert_eq(adeis_schedule_ve_edm.variance_preserving, 0);
}

/* A schedule that need not carry t gives the same alpha, sigma, lambda bits, leaves t NaN, and
 * adeis_tpoint_t_d recovers t from lambda; for every schedule type and a few precisions. */
Test(schedule, points_without_t)
{
  static const long precs[] = {53, 128, 320};
  for (size_t k = 0; adeis_schedule_types[k]; k++)
    for (size_t j = 0; j < sizeof precs / sizeof *precs; j++) {
      adeis_schedule s, s_no_t;
      adeis_schedule_init(&s, adeis_schedule_types[k], precs[j]);
      adeis_schedule_init(&s_no_t, adeis_schedule_types[k], precs[j]);
      s_no_t.need_t = 0;
      adeis_tpoint a, b;
      adeis_tpoint_init(&a, precs[j]);
      adeis_tpoint_init(&b, precs[j]);
      mpfr_t l;
      mpfr_init2(l, precs[j]);
      for (int i = 0; i <= 8; i++) {
        mpfr_set_d(l, -4.0 + i, RND);
        adeis_schedule_point_lambda(&s, &a, l);
        adeis_schedule_point_lambda(&s_no_t, &b, l);
        cr_assert(mpfr_equal_p(a.alpha, b.alpha) && mpfr_equal_p(a.sigma, b.sigma) &&
                  mpfr_equal_p(a.lambda, b.lambda), "%s: a point without t differs",
                  s.type->name);
        if (s.type->variance_preserving)
          cr_assert(mpfr_nan_p(b.t), "%s: t computed though not needed", s.type->name);
        double t = adeis_tpoint_t_d(&s_no_t, &b), want = mpfr_get_d(a.t, RND);
        cr_assert(fabs(t - want) <= 4e-16 * fabs(want), "%s: t %.17g vs %.17g", s.type->name, t,
                  want);
      }
      mpfr_clear(l);
      adeis_tpoint_clear(&a);
      adeis_tpoint_clear(&b);
      adeis_schedule_clear(&s);
      adeis_schedule_clear(&s_no_t);
    }
}

/* The constants a schedule computes once serve outputs up to its precision; a more precise
 * output recomputes them: log alpha at 512 bits from a 64-bit schedule equals the 512-bit
 * schedule's value. */
Test(schedule, constants_follow_the_output_precision)
{
  for (size_t k = 0; adeis_schedule_types[k]; k++) {
    adeis_schedule lo, hi;
    adeis_schedule_init(&lo, adeis_schedule_types[k], 64);
    adeis_schedule_init(&hi, adeis_schedule_types[k], 512);
    mpfr_t t, a, b;
    mpfr_inits2(512, t, a, b, (mpfr_ptr)0);
    mpfr_set_str(t, "0.3", 10, RND);
    lo.type->log_alpha(a, &lo, t);
    hi.type->log_alpha(b, &hi, t);
    cr_assert(mpfr_equal_p(a, b), "%s: log alpha at 512 bits depends on the schedule's precision",
              lo.type->name);
    mpfr_clears(t, a, b, (mpfr_ptr)0);
    adeis_schedule_clear(&lo);
    adeis_schedule_clear(&hi);
  }
}

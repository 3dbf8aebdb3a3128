/* Gaussian mixtures (analytic/gmm.h, docs/math.md section 9): eps against the score of the
 * mixture density evaluated directly at 1024 bits; every product (x, z, means, log-variances)
 * against 8th-order central differences of v.eps at 256 bits; double against MPFR; the
 * accumulation with scales; `type = gmm` problem files; gradients through the driver. */
#include "../analytic/gmm.h"
#include "../core/status.h"
#include "../runs/grad.h"
#include "../runs/registry.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RND MPFR_RNDN
#define D 2
#define K 3
#define FD_PREC 256
#define DIRECT_PREC 1024

/* the mixture of problems/gmm-2d.ini */
static const char *const means_s[K * D] = {"-1.5", "0", "1", "1", "0.5", "-1.2"};
static const char *const var_s[K * D] = {"0.3", "0.2", "0.25", "0.4", "0.5", "0.15"};
static const char *const logits_s[K] = {"0", "0.5", "-0.3"};
static const char *const v_s[D] = {"0.7", "-1.3"};

/* ---- parameters as MPFR numbers ---- */

typedef struct params {
  mpfr_t mean[K * D], var[K * D], logit[K];
  mpfr_srcptr pm[K * D], pv[K * D], pl[K];
} params;

static void params_init(params *p, mpfr_prec_t prec)
{
  for (int i = 0; i < K * D; i++) {
    mpfr_init2(p->mean[i], prec);
    mpfr_init2(p->var[i], prec);
    mpfr_set_str(p->mean[i], means_s[i], 10, RND);
    mpfr_set_str(p->var[i], var_s[i], 10, RND);
    p->pm[i] = p->mean[i];
    p->pv[i] = p->var[i];
  }
  for (int k = 0; k < K; k++) {
    mpfr_init2(p->logit[k], prec);
    mpfr_set_str(p->logit[k], logits_s[k], 10, RND);
    p->pl[k] = p->logit[k];
  }
}

static void params_clear(params *p)
{
  for (int i = 0; i < K * D; i++)
    mpfr_clears(p->mean[i], p->var[i], (mpfr_ptr)0);
  for (int k = 0; k < K; k++)
    mpfr_clear(p->logit[k]);
}

static void build(adeis_model *m, const adeis_backend *be, const params *p)
{
  cr_assert_eq(adeis_gmm_init(m, be, D, K, p->pm, p->pv, p->pl), ADEIS_OK, "%s", adeis_errmsg());
}

static void tpoint_at(adeis_tpoint *tp, const adeis_schedule *s, const char *t)
{
  adeis_tpoint_init(tp, s->prec);
  mpfr_t tt;
  mpfr_init2(tt, s->prec);
  mpfr_set_str(tt, t, 10, RND);
  adeis_schedule_point_t(s, tp, tt);
  mpfr_clear(tt);
}

static adeis_vec *vec_of(const adeis_backend *be, size_t n, const char *const s[])
{
  adeis_vec *v = adeis_vec_alloc(be, n);
  mpfr_t r;
  mpfr_init2(r, be->prec);
  for (size_t i = 0; i < n; i++) {
    mpfr_set_str(r, s[i], 10, RND);
    adeis_vec_set(v, i, r);
  }
  mpfr_clear(r);
  return v;
}

/* max_i |a_i - b_i| / max_i |b_i|, a and b of any backends, at 320 bits */
static double rel_dist(const adeis_vec *a, const adeis_vec *b)
{
  mpfr_t x, y, num, den;
  mpfr_inits2(320, x, y, num, den, (mpfr_ptr)0);
  mpfr_set_zero(num, 1);
  mpfr_set_zero(den, 1);
  for (size_t i = 0; i < b->n; i++) {
    adeis_vec_get(x, a, i);
    adeis_vec_get(y, b, i);
    mpfr_sub(x, x, y, RND);
    mpfr_abs(x, x, RND);
    mpfr_abs(y, y, RND);
    mpfr_max(num, num, x, RND);
    mpfr_max(den, den, y, RND);
  }
  mpfr_div(num, num, den, RND);
  double r = mpfr_get_d(num, RND);
  mpfr_clears(x, y, num, den, (mpfr_ptr)0);
  return r;
}

/* ---- eps against the density's score, evaluated directly ---- */

/* eps = -sigma grad p_t / p_t with p_t = sum_k pi_k N(x; alpha mu_k, C_k), no log-sum-exp,
 * at DIRECT_PREC (MPFR's exponent range holds densities like exp(-10^4)). */
static void direct_eps(mpfr_t out[D], const char *const x_s[D], const char *t)
{
  adeis_schedule s;
  adeis_schedule_init(&s, &adeis_schedule_vp_linear, DIRECT_PREC);
  adeis_tpoint tp;
  tpoint_at(&tp, &s, t);
  params p;
  params_init(&p, DIRECT_PREC);
  mpfr_t x[D], grad[D], dens, Z, pk, C, y, a2, s2, tmp;
  mpfr_inits2(DIRECT_PREC, dens, Z, pk, C, y, a2, s2, tmp, (mpfr_ptr)0);
  for (int i = 0; i < D; i++) {
    mpfr_inits2(DIRECT_PREC, x[i], grad[i], (mpfr_ptr)0);
    mpfr_set_str(x[i], x_s[i], 10, RND);
    mpfr_set_zero(grad[i], 1);
  }
  mpfr_set_zero(dens, 1);
  mpfr_set_zero(Z, 1);
  mpfr_sqr(a2, tp.alpha, RND);
  mpfr_sqr(s2, tp.sigma, RND);
  for (int k = 0; k < K; k++) {
    mpfr_exp(tmp, p.logit[k], RND);
    mpfr_add(Z, Z, tmp, RND);
  }
  for (int k = 0; k < K; k++) {
    mpfr_exp(pk, p.logit[k], RND);
    mpfr_div(pk, pk, Z, RND);                      /* pi_k */
    for (int i = 0; i < D; i++) {                  /* times N(x_i; alpha mu_ki, C_ki) */
      mpfr_fma(C, a2, p.var[k * D + i], s2, RND);
      mpfr_mul(y, tp.alpha, p.mean[k * D + i], RND);
      mpfr_sub(y, x[i], y, RND);
      mpfr_sqr(tmp, y, RND);
      mpfr_div(tmp, tmp, C, RND);
      mpfr_div_2ui(tmp, tmp, 1, RND);
      mpfr_neg(tmp, tmp, RND);
      mpfr_exp(tmp, tmp, RND);
      mpfr_mul(pk, pk, tmp, RND);
      mpfr_const_pi(tmp, RND);
      mpfr_mul_2ui(tmp, tmp, 1, RND);
      mpfr_mul(tmp, tmp, C, RND);
      mpfr_sqrt(tmp, tmp, RND);
      mpfr_div(pk, pk, tmp, RND);
    }
    mpfr_add(dens, dens, pk, RND);
    for (int i = 0; i < D; i++) {                  /* grad of pi_k N_k: -pi_k N_k y_i / C_i */
      mpfr_fma(C, a2, p.var[k * D + i], s2, RND);
      mpfr_mul(y, tp.alpha, p.mean[k * D + i], RND);
      mpfr_sub(y, x[i], y, RND);
      mpfr_mul(tmp, pk, y, RND);
      mpfr_div(tmp, tmp, C, RND);
      mpfr_sub(grad[i], grad[i], tmp, RND);
    }
  }
  for (int i = 0; i < D; i++) {
    mpfr_div(out[i], grad[i], dens, RND);
    mpfr_mul(out[i], out[i], tp.sigma, RND);
    mpfr_neg(out[i], out[i], RND);
    mpfr_clears(x[i], grad[i], (mpfr_ptr)0);
  }
  mpfr_clears(dens, Z, pk, C, y, a2, s2, tmp, (mpfr_ptr)0);
  params_clear(&p);
  adeis_tpoint_clear(&tp);
  adeis_schedule_clear(&s);
}

/* rel distance of the model's eps at prec bits from direct_eps */
static double eps_vs_direct(long prec, const char *const x_s[D], const char *t)
{
  adeis_backend be;
  adeis_backend_init(&be, prec);
  adeis_schedule s;
  adeis_schedule_init(&s, &adeis_schedule_vp_linear, adeis_backend_scalar_prec(&be));
  adeis_tpoint tp;
  tpoint_at(&tp, &s, t);
  params p;
  params_init(&p, be.prec);
  adeis_model m;
  build(&m, &be, &p);
  adeis_vec *x = vec_of(&be, D, x_s), *eps = adeis_vec_alloc(&be, D);
  cr_assert_eq(adeis_model_eps(&m, NULL, eps, x, &tp), ADEIS_OK);
  adeis_backend bd;
  adeis_backend_init_mpfr(&bd, DIRECT_PREC);
  adeis_vec *want = adeis_vec_alloc(&bd, D);
  mpfr_t w[D];
  for (int i = 0; i < D; i++)
    mpfr_init2(w[i], DIRECT_PREC);
  direct_eps(w, x_s, t);
  for (int i = 0; i < D; i++) {
    adeis_vec_set(want, i, w[i]);
    mpfr_clear(w[i]);
  }
  double r = rel_dist(eps, want);
  adeis_vec_free(x);
  adeis_vec_free(eps);
  adeis_vec_free(want);
  adeis_model_clear(&m);
  params_clear(&p);
  adeis_tpoint_clear(&tp);
  adeis_schedule_clear(&s);
  return r;
}

static const char *const x_mid[D] = {"0.1", "-0.35"};
static const char *const x_far[D] = {"30", "-25"};

Test(gmm, eps_is_the_score_of_the_density)
{
  const char *ts[] = {"0.9", "0.4", "0.05", "0.001"};
  for (int i = 0; i < 4; i++) {
    double r = eps_vs_direct(FD_PREC, x_mid, ts[i]);
    cr_log_info("eps at 256 bits, t = %s: %.2e from the direct score at 1024 bits", ts[i], r);
    cr_assert_lt(r, 1e-70, "t = %s: %.3e", ts[i], r);
    r = eps_vs_direct(53, x_mid, ts[i]);
    cr_assert_lt(r, 1e-14, "double, t = %s: %.3e", ts[i], r);
  }
}

/* Far from every component the densities are below double's range (exp(-4000)): the
 * responsibilities by log-sum-exp stay exact in double. */
Test(gmm, log_sum_exp_far_from_the_data)
{
  double r = eps_vs_direct(53, x_far, "0.001");
  cr_log_info("double at x = (30, -25), t = 0.001: %.2e", r);
  cr_assert_lt(r, 1e-11, "%.3e", r);
  cr_assert_lt(eps_vs_direct(FD_PREC, x_far, "0.001"), 1e-60);
}

/* ---- products against central differences ---- */

typedef enum { WRT_X, WRT_Z, WRT_MEAN, WRT_LOGVAR } wrt;

/* f = v . eps at FD_PREC with one input moved by delta: x_i, z_i, mean_i or log var_i */
static void f_at(mpfr_ptr f, const adeis_backend *be, const adeis_tpoint *tp, wrt what, size_t i,
                 mpfr_srcptr delta)
{
  params p;
  params_init(&p, be->prec);
  mpfr_t tau;
  mpfr_init2(tau, 2 * FD_PREC);
  adeis_vec *x = vec_of(be, D, x_mid), *v = vec_of(be, D, v_s), *eps = adeis_vec_alloc(be, D);
  if (what == WRT_X) {
    adeis_vec_get(tau, x, i);
    mpfr_add(tau, tau, delta, RND);
    adeis_vec_set(x, i, tau);
  } else if (what == WRT_Z) {
    mpfr_add(p.logit[i], p.logit[i], delta, RND);
  } else if (what == WRT_MEAN) {
    mpfr_add(p.mean[i], p.mean[i], delta, RND);
  } else {
    mpfr_set_str(tau, var_s[i], 10, RND);
    mpfr_log(tau, tau, RND);
    mpfr_add(tau, tau, delta, RND);
    mpfr_exp(p.var[i], tau, RND);
  }
  adeis_model m;
  build(&m, be, &p);
  cr_assert_eq(adeis_model_eps(&m, NULL, eps, x, tp), ADEIS_OK);
  adeis_vec_dot(f, v, eps);
  adeis_model_clear(&m);
  adeis_vec_free(x);
  adeis_vec_free(v);
  adeis_vec_free(eps);
  mpfr_clear(tau);
  params_clear(&p);
}

/* d f / d input_i by the 8th-order central stencil, step h */
static void central_difference(mpfr_ptr d, const adeis_backend *be, const adeis_tpoint *tp, wrt what,
                               size_t i, const char *h_s)
{
  static const long num[4] = {4, -1, 4, -1};   /* c_j = 4/5, -1/5, 4/105, -1/280 */
  static const unsigned long den[4] = {5, 5, 105, 280};
  mpfr_t h, step, fp, fm, c;
  mpfr_inits2(2 * FD_PREC, h, step, fp, fm, c, (mpfr_ptr)0);
  mpfr_set_str(h, h_s, 10, RND);
  mpfr_set_zero(d, 1);
  for (int j = 1; j <= 4; j++) {
    mpfr_mul_ui(step, h, (unsigned long)j, RND);
    f_at(fp, be, tp, what, i, step);
    mpfr_neg(step, step, RND);
    f_at(fm, be, tp, what, i, step);
    mpfr_sub(fp, fp, fm, RND);
    mpfr_set_si(c, num[j - 1], RND);
    mpfr_div_ui(c, c, den[j - 1], RND);
    mpfr_fma(d, c, fp, d, RND);
  }
  mpfr_div(d, d, h, RND);
  mpfr_clears(h, step, fp, fm, c, (mpfr_ptr)0);
}

/* Relative distance of the model's product (jx, jz or jtheta) from central differences,
 * at time t; the achieved digits are logged. */
static double product_vs_fd(const char *t, wrt what)
{
  adeis_backend be;
  adeis_backend_init(&be, FD_PREC);
  adeis_schedule s;
  adeis_schedule_init(&s, &adeis_schedule_vp_linear, adeis_backend_scalar_prec(&be));
  adeis_tpoint tp;
  tpoint_at(&tp, &s, t);
  params p;
  params_init(&p, be.prec);
  adeis_model m;
  build(&m, &be, &p);
  adeis_vec *x = vec_of(&be, D, x_mid), *v = vec_of(&be, D, v_s);
  adeis_vec *jx = adeis_vec_alloc(&be, D), *jz = adeis_vec_alloc(&be, K);
  adeis_vec *jt = adeis_vec_alloc(&be, 2 * K * D);
  cr_assert_eq(adeis_model_vjp(&m, NULL, x, &tp, v, jx, jz, jt), ADEIS_OK);
  const adeis_vec *got = what == WRT_X ? jx : what == WRT_Z ? jz : jt;
  size_t n = what == WRT_X ? D : what == WRT_Z ? K : K * D, off = what == WRT_LOGVAR ? K * D : 0;
  adeis_vec *fd = adeis_vec_alloc(&be, n), *part = adeis_vec_alloc(&be, n);
  mpfr_t d;
  mpfr_init2(d, 2 * FD_PREC);
  for (size_t i = 0; i < n; i++) {
    central_difference(d, &be, &tp, what, i, "1e-8");
    adeis_vec_set(fd, i, d);
    adeis_vec_get(d, got, off + i);
    adeis_vec_set(part, i, d);
  }
  double r = rel_dist(part, fd);
  static const char *const names[] = {"x", "z", "means", "log-variances"};
  cr_log_info("v^T deps/d%s at t = %s: %.2e from 8th-order differences (h = 1e-8), %.0f digits",
              names[what], t, r, r > 0 ? -log10(r) : 99.0);
  mpfr_clear(d);
  adeis_vec *vs[] = {x, v, jx, jz, jt, fd, part};
  for (size_t i = 0; i < sizeof vs / sizeof *vs; i++)
    adeis_vec_free(vs[i]);
  adeis_model_clear(&m);
  params_clear(&p);
  adeis_tpoint_clear(&tp);
  adeis_schedule_clear(&s);
  return r;
}

/* h = 1e-8, 8th order: truncation ~ h^8 = 1e-64, rounding ~ 2^-256 / h = 1e-69 */
Test(gmm, products_match_central_differences_to_30_digits, .timeout = 120)
{
  const char *ts[] = {"0.4", "0.05"};
  for (int i = 0; i < 2; i++)
    for (int w = WRT_X; w <= WRT_LOGVAR; w++)
      cr_assert_lt(product_vs_fd(ts[i], (wrt)w), 1e-30, "t = %s, input %d", ts[i], w);
}

/* ---- symmetry, accumulation, fused outputs, double against MPFR ---- */

/* all outputs of one eval at backend be, with jz and jtheta starting from given values */
typedef struct outputs {
  adeis_vec *eps, *jx, *jz, *jt;
} outputs;

static void eval_all(outputs *o, const adeis_backend *be, const char *t, const char *const vv[D],
                     const char *sz_s, const char *st_s)
{
  adeis_schedule s;
  adeis_schedule_init(&s, &adeis_schedule_vp_linear, adeis_backend_scalar_prec(be));
  adeis_tpoint tp;
  tpoint_at(&tp, &s, t);
  params p;
  params_init(&p, be->prec);
  adeis_model m;
  build(&m, be, &p);
  cr_assert_eq(m.dim, D);
  cr_assert_eq(m.cond_dim, K);
  cr_assert_eq(m.theta_dim, 2 * K * D);
  cr_assert_eq(adeis_model_has(&m, ADEIS_CAP_FLOW), 0);
  cr_assert_eq(adeis_model_has(&m, ADEIS_CAP_EXACT_ODE), 0);
  cr_assert_eq(adeis_model_has(&m, ADEIS_CAP_EXACT_SDE), 0);
  adeis_vec *x = vec_of(be, D, x_mid), *v = vec_of(be, D, vv);
  o->eps = adeis_vec_alloc(be, D);
  o->jx = adeis_vec_alloc(be, D);
  o->jz = adeis_vec_alloc(be, K);
  o->jt = adeis_vec_alloc(be, 2 * K * D);
  for (size_t i = 0; i < K; i++)
    adeis_vec_set_d(o->jz, i, sz_s ? 1.0 + (double)i : 0.0);
  for (size_t i = 0; i < 2 * K * D; i++)
    adeis_vec_set_d(o->jt, i, st_s ? 0.25 * (double)i - 1.0 : 0.0);
  mpfr_t sz, st;
  mpfr_inits2(adeis_backend_scalar_prec(be), sz, st, (mpfr_ptr)0);
  mpfr_set_str(sz, sz_s ? sz_s : "1", 10, RND);
  mpfr_set_str(st, st_s ? st_s : "1", 10, RND);
  adeis_eval io = {.want = ADEIS_WANT_EPS | ADEIS_WANT_JX | ADEIS_WANT_JZ | ADEIS_WANT_JTHETA,
                   .eps = o->eps, .v = v, .jx = o->jx, .jz = o->jz, .sz = sz, .jtheta = o->jt,
                   .stheta = st};
  void *ws = adeis_model_ws_alloc(&m);
  cr_assert_not_null(ws);
  cr_assert_eq(adeis_model_eval(&m, ws, x, &tp, &io), ADEIS_OK);
  /* the same workspace again gives the same: nothing is kept between calls */
  adeis_vec *again = adeis_vec_alloc(be, D);
  cr_assert_eq(adeis_model_eps(&m, ws, again, x, &tp), ADEIS_OK);
  cr_assert_eq(rel_dist(again, o->eps), 0.0);
  adeis_vec_free(again);
  adeis_model_ws_free(&m, ws);
  mpfr_clears(sz, st, (mpfr_ptr)0);
  adeis_vec_free(x);
  adeis_vec_free(v);
  adeis_model_clear(&m);
  params_clear(&p);
  adeis_tpoint_clear(&tp);
  adeis_schedule_clear(&s);
}

static void outputs_free(outputs *o)
{
  adeis_vec_free(o->eps);
  adeis_vec_free(o->jx);
  adeis_vec_free(o->jz);
  adeis_vec_free(o->jt);
}

/* -sigma H is symmetric: (J v).w = (J w).v */
Test(gmm, x_product_is_symmetric)
{
  adeis_backend be;
  adeis_backend_init(&be, FD_PREC);
  static const char *const w_s[D] = {"-0.4", "0.9"};
  outputs a, b;
  eval_all(&a, &be, "0.3", v_s, NULL, NULL);
  eval_all(&b, &be, "0.3", w_s, NULL, NULL);
  adeis_vec *v = vec_of(&be, D, v_s), *w = vec_of(&be, D, w_s);
  mpfr_t vw, wv;
  mpfr_inits2(320, vw, wv, (mpfr_ptr)0);
  adeis_vec_dot(vw, a.jx, w);
  adeis_vec_dot(wv, b.jx, v);
  mpfr_sub(vw, vw, wv, RND);
  mpfr_div(vw, vw, wv, RND);
  cr_assert_lt(fabs(mpfr_get_d(vw, RND)), 1e-70, "%.3e", mpfr_get_d(vw, RND));
  mpfr_clears(vw, wv, (mpfr_ptr)0);
  adeis_vec_free(v);
  adeis_vec_free(w);
  outputs_free(&a);
  outputs_free(&b);
}

/* jz += sz (...) and jtheta += stheta (...) from nonzero starts; eps and jx as alone */
Test(gmm, products_accumulate_with_scales)
{
  adeis_backend be;
  adeis_backend_init(&be, FD_PREC);
  outputs plain, acc;
  eval_all(&plain, &be, "0.3", v_s, NULL, NULL);
  eval_all(&acc, &be, "0.3", v_s, "2.5", "-0.75");
  cr_assert_eq(rel_dist(acc.eps, plain.eps), 0.0);
  cr_assert_eq(rel_dist(acc.jx, plain.jx), 0.0);
  mpfr_t a, b;
  mpfr_inits2(320, a, b, (mpfr_ptr)0);
  for (size_t i = 0; i < K; i++) {
    adeis_vec_get(a, plain.jz, i);
    mpfr_mul_d(a, a, 2.5, RND);
    mpfr_add_d(a, a, 1.0 + (double)i, RND);
    adeis_vec_get(b, acc.jz, i);
    mpfr_sub(b, b, a, RND);
    cr_assert_lt(fabs(mpfr_get_d(b, RND)), 1e-70, "jz[%zu]", i);
  }
  for (size_t i = 0; i < 2 * K * D; i++) {
    adeis_vec_get(a, plain.jt, i);
    mpfr_mul_d(a, a, -0.75, RND);
    mpfr_add_d(a, a, 0.25 * (double)i - 1.0, RND);
    adeis_vec_get(b, acc.jt, i);
    mpfr_sub(b, b, a, RND);
    cr_assert_lt(fabs(mpfr_get_d(b, RND)), 1e-70, "jtheta[%zu]", i);
  }
  mpfr_clears(a, b, (mpfr_ptr)0);
  outputs_free(&plain);
  outputs_free(&acc);
}

Test(gmm, double_agrees_with_mpfr)
{
  adeis_backend bd, bm;
  adeis_backend_init(&bd, 53);
  adeis_backend_init(&bm, FD_PREC);
  const char *ts[] = {"0.9", "0.3", "0.01"};
  for (int i = 0; i < 3; i++) {
    outputs d, m;
    eval_all(&d, &bd, ts[i], v_s, "2.5", "-0.75");
    eval_all(&m, &bm, ts[i], v_s, "2.5", "-0.75");
    double r[4] = {rel_dist(d.eps, m.eps), rel_dist(d.jx, m.jx), rel_dist(d.jz, m.jz),
                   rel_dist(d.jt, m.jt)};
    for (int q = 0; q < 4; q++)
      cr_assert_lt(r[q], 1e-13, "t = %s, output %d: %.3e", ts[i], q, r[q]);
    outputs_free(&d);
    outputs_free(&m);
  }
}

/* ---- problem files ---- */

static const char *root_path(char *buf, size_t n, const char *rel)
{
  const char *root = getenv("ADEIS_ROOT");
  snprintf(buf, n, "%s/%s", root && *root ? root : ".", rel);
  return buf;
}

/* problems/gmm-2d.ini builds the mixture of these tests: the same eps bit for bit */
Test(gmm, problem_file_builds_the_mixture)
{
  char path[512];
  adeis_problem_spec sp;
  cr_assert_eq(adeis_problem_load(root_path(path, sizeof path, "problems/gmm-2d.ini"), &sp),
               ADEIS_OK, "%s", adeis_errmsg());
  cr_assert_eq(sp.type, &adeis_gmm_type);
  cr_assert_eq(sp.dim, D);
  cr_assert_eq(adeis_problem_param(&sp, "components")->u, K);
  cr_assert_eq(adeis_problem_param(&sp, "means")->list.n, K * D);
  long precs[] = {53, 256};
  for (int k = 0; k < 2; k++) {
    adeis_problem pb;
    cr_assert_eq(adeis_problem_build(&sp, precs[k], &pb), ADEIS_OK, "%s", adeis_errmsg());
    params p;
    params_init(&p, pb.be.prec);
    adeis_model m;
    build(&m, &pb.be, &p);
    adeis_tpoint tp;
    tpoint_at(&tp, &pb.sched, "0.2");
    adeis_vec *a = adeis_vec_alloc(&pb.be, D), *b = adeis_vec_alloc(&pb.be, D);
    cr_assert_eq(adeis_model_eps(&pb.model, NULL, a, pb.x_T, &tp), ADEIS_OK);
    cr_assert_eq(adeis_model_eps(&m, NULL, b, pb.x_T, &tp), ADEIS_OK);
    cr_assert_eq(rel_dist(a, b), 0.0);
    adeis_vec_free(a);
    adeis_vec_free(b);
    adeis_tpoint_clear(&tp);
    adeis_model_clear(&m);
    params_clear(&p);
    adeis_problem_clear(&pb);
  }
  adeis_problem_spec_clear(&sp);
}

Test(gmm, bad_problem_files)
{
  static const struct { const char *problem, *expect; } cases[] = {
    {"dim = 2\ncomponents = 2\nmeans = 0 0 1\nvar = 1 1 1 1\nlogits = 0 0",
     ":5: problem.means: expected 4 numbers, got 3"},
    {"dim = 2\ncomponents = 2\nmeans = 0 0 1 1\nvar = 1 1 1 0\nlogits = 0 0",
     ":6: problem.var: expected a positive variance, got '0' (item 4)"},
    {"dim = 2\ncomponents = 2\nmeans = 0 0 1 1\nvar = 1 1 1 1\nlogits = 0",
     ":7: problem.logits: expected 2 numbers, got 1"},
    {"dim = 2\nmeans = 0 0 1 1\nvar = 1 1 1 1\nlogits = 0 0", ":1: problem.components: missing"},
    {"dim = 2\ncomponents = 0\n", ":4: problem.components: expected an integer in 1..100000000"},
    {"dim = 2\ncomponents = 2\nmean = 0 0", ":5: problem.mean: unknown key; expected one of "
                                            "type, dim, components, means, var, logits"},
  };
  char dir[] = "/tmp/adeis-gmm-XXXXXX", path[128], text[512];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/g.ini", dir);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    snprintf(text, sizeof text,
             "[problem]\ntype = gmm\n%s\n[schedule]\nname = vp-linear\n[loss]\ntype = quadratic\n"
             "target = 0 0\n[start]\nx_T = 1 1\n", cases[i].problem);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    adeis_problem_spec sp;
    cr_expect_eq(adeis_problem_load(path, &sp), ADEIS_EINPUT, "case %zu", i);
    cr_expect(strstr(adeis_errmsg(), cases[i].expect) != NULL, "case %zu: %s", i, adeis_errmsg());
  }
  remove(path);
  rmdir(dir);
}

/* ---- gradients through the driver ---- */

static void grad_of(adeis_grad_result *res, const adeis_problem *pb, const char *method,
                    size_t steps, adeis_state_mode state)
{
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = method;
  rq.steps = steps;
  rq.precision = pb->be.prec;
  rq.state = state;
  cr_assert_eq(adeis_grad_compute(pb, &rq, res), ADEIS_OK, "%s %zu: %s", method, steps,
               adeis_errmsg());
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    cr_assert_null(res->exact[q]);
}

/* The forward samplers are of order 2, so every gradient through the driver converges at
 * order 2 at most. Reference: rk4-lambda with cached states at N = 512 and 1024, Richardson
 * extrapolated; adjdeis-2m (cached and backsolve) must be second order from N = 128 to 256 for
 * every quantity. Oracle states are refused (no flow). */
Test(gmm, driver_second_order_against_rk4, .timeout = 120)
{
  char path[512];
  adeis_problem_spec sp;
  cr_assert_eq(adeis_problem_load(root_path(path, sizeof path, "problems/gmm-2d.ini"), &sp),
               ADEIS_OK, "%s", adeis_errmsg());
  adeis_problem pb;
  cr_assert_eq(adeis_problem_build(&sp, 128, &pb), ADEIS_OK, "%s", adeis_errmsg());
  adeis_grad_result r1, r2, a, b;
  grad_of(&r1, &pb, "rk4-lambda", 512, ADEIS_STATE_CACHED);
  grad_of(&r2, &pb, "rk4-lambda", 1024, ADEIS_STATE_CACHED);
  mpfr_t four, minus_one;
  mpfr_inits2(256, four, minus_one, (mpfr_ptr)0);
  mpfr_set_str(four, "1.3333333333333333333333333333333333333333333333333333333333333", 10, RND);
  mpfr_set_str(minus_one, "-0.3333333333333333333333333333333333333333333333333333333333333", 10, RND);
  for (int q = 0; q < ADEIS_Q_COUNT; q++)   /* r2 = (4 g(1024) - g(512)) / 3 */
    adeis_vec_lincomb(r2.grad[q], 2, (mpfr_srcptr[]){four, minus_one},
                      (const adeis_vec *[]){r2.grad[q], r1.grad[q]});
  mpfr_clears(four, minus_one, (mpfr_ptr)0);
  adeis_state_mode modes[] = {ADEIS_STATE_CACHED, ADEIS_STATE_BACKSOLVE};
  for (int s = 0; s < 2; s++) {
    grad_of(&a, &pb, "adjdeis-2m", 128, modes[s]);
    grad_of(&b, &pb, "adjdeis-2m", 256, modes[s]);
    for (int q = 0; q < ADEIS_Q_COUNT; q++) {
      double ea = rel_dist(a.grad[q], r2.grad[q]), eb = rel_dist(b.grad[q], r2.grad[q]);
      double order = log2(ea / eb);
      cr_log_info("%s, %s: errors %.3e (N = 128), %.3e (N = 256), order %.2f",
                  adeis_state_name(modes[s]), adeis_quantity_names[q], ea, eb, order);
      cr_assert_lt(eb, 1e-2);
      cr_assert(order > 1.7 && order < 2.3, "order %.2f", order);
    }
    adeis_grad_result_clear(&a);
    adeis_grad_result_clear(&b);
  }
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = "adjdeis-2m";
  rq.steps = 8;
  rq.precision = 128;
  adeis_grad_result bad;
  cr_assert_eq(adeis_grad_compute(&pb, &rq, &bad), ADEIS_EINPUT);
  /* without its problem file (rq.spec) there is nothing to solve the oracle states from */
  cr_assert(strstr(adeis_errmsg(), "oracle states of the gmm model need a flow or the problem file")
            != NULL, "%s", adeis_errmsg());
  adeis_grad_result_clear(&bad);
  adeis_grad_result_clear(&r1);
  adeis_grad_result_clear(&r2);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&sp);
}

/* ---- the command line ---- */

/* stdout of ADEIS_BIN with args into buf; returns the exit code */
static int run_adeis(char *buf, size_t n, const char *const args[])
{
  const char *bin = getenv("ADEIS_BIN");
  if (!bin || !*bin)
    cr_skip_test("ADEIS_BIN is not set (run the tests with make check)");
  int out[2];
  cr_assert_eq(pipe(out), 0);
  pid_t pid = fork();
  cr_assert_neq(pid, -1);
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    close(out[0]);
    close(out[1]);
    const char *argv[16] = {bin};
    for (int i = 0; args[i] && i < 14; i++)
      argv[i + 1] = args[i];
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  close(out[1]);
  size_t len = 0;
  ssize_t k;
  while (len + 1 < n && (k = read(out[0], buf + len, n - 1 - len)) > 0)
    len += (size_t)k;
  buf[len] = '\0';
  close(out[0]);
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* adeis grad --json prints the gradient the library computes (checked against references in
 * driver_second_order_against_rk4), every digit; exact values are null and the errors are
 * taken against a reference solve (small here: --ref-max-steps 256). */
Test(gmm, adeis_grad_end_to_end, .timeout = 120)
{
  char path[512], *out = malloc(1 << 16);
  root_path(path, sizeof path, "problems/gmm-2d.ini");
  const char *args[] = {"grad", "--problem", path, "--method", "adjdeis-2m", "--steps", "64",
                        "--state", "backsolve", "--ref-max-steps", "256", "--json", NULL};
  cr_assert_eq(run_adeis(out, 1 << 16, args), 0, "%s", out);
  cr_assert_not_null(strstr(out, "\"exact\": null"), "%s", out);
  cr_assert_not_null(strstr(out, "\"reference\": {\"x_T\": [\""), "%s", out);
  cr_assert_not_null(strstr(out, "\"rel_error\": {\"x_T\": \""), "%s", out);
  adeis_problem_spec sp;
  cr_assert_eq(adeis_problem_load(path, &sp), ADEIS_OK);
  adeis_problem pb;
  cr_assert_eq(adeis_problem_build(&sp, 256, &pb), ADEIS_OK);
  adeis_grad_result lib;
  grad_of(&lib, &pb, "adjdeis-2m", 64, ADEIS_STATE_BACKSOLVE);
  const char *p = strstr(out, "\"grad\": {");
  cr_assert_not_null(p);
  mpfr_t got, want;
  mpfr_inits2(256, got, want, (mpfr_ptr)0);
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    for (size_t i = 0; i < lib.grad[q]->n; i++) {
      p = strchr(p + 1, '"');                  /* skip to the next quoted number */
      while (p && !(p[1] == '-' || (p[1] >= '0' && p[1] <= '9')))
        p = strchr(p + 1, '"');
      cr_assert_not_null(p);
      char *end;
      mpfr_strtofr(got, p + 1, &end, 10, RND);
      p = end;
      adeis_vec_get(want, lib.grad[q], i);
      mpfr_sub(got, got, want, RND);
      mpfr_div(got, got, want, RND);
      cr_assert_lt(fabs(mpfr_get_d(got, RND)), 1e-70, "%s[%zu]", adeis_quantity_names[q], i);
    }
  mpfr_clears(got, want, (mpfr_ptr)0);
  adeis_grad_result_clear(&lib);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&sp);
  /* oracle states of a model without a flow come from a converged forward solve */
  const char *oracle[] = {"grad", "--problem", path, "--method", "adjdeis-2m", "--steps", "64",
                          "--ref-max-steps", "256", NULL};
  cr_assert_eq(run_adeis(out, 1 << 16, oracle), 0, "%s", out);
  cr_assert_not_null(strstr(out, "state      oracle"), "%s", out);
  const char *list[] = {"list", NULL};
  cr_assert_eq(run_adeis(out, 1 << 16, list), 0);
  cr_assert_not_null(strstr(out, "\n  gmm "), "%s", out);
  free(out);
}

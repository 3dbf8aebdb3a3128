#include "schedule.h"

#include <string.h>

#define RND MPFR_RNDN

/* ---- vp-linear: log alpha = -(b1-b0) t^2/4 - b0 t/2, b0 = 0.1, b1 = 20 ---- */

static void linear_betas(mpfr_ptr b0, mpfr_ptr db, mpfr_prec_t p)
{
  mpfr_set_prec(b0, p);
  mpfr_set_prec(db, p);
  mpfr_set_str(b0, "0.1", 10, RND);
  mpfr_set_ui(db, 20, RND);
  mpfr_sub(db, db, b0, RND); /* b1 - b0 */
}

static void linear_log_alpha(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t)
{
  (void)s;
  mpfr_prec_t p = mpfr_get_prec(r) + 16;
  mpfr_t b0, db, a;
  mpfr_inits2(p, b0, db, a, (mpfr_ptr)0);
  linear_betas(b0, db, p);
  mpfr_mul(a, db, t, RND);
  mpfr_div_ui(a, a, 4, RND);
  mpfr_div_ui(b0, b0, 2, RND);
  mpfr_add(a, a, b0, RND);          /* (b1-b0) t/4 + b0/2 */
  mpfr_mul(a, a, t, RND);
  mpfr_neg(r, a, RND);
  mpfr_clears(b0, db, a, (mpfr_ptr)0);
}

static void linear_f(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t)
{
  (void)s;
  mpfr_prec_t p = mpfr_get_prec(r) + 16;
  mpfr_t b0, db;
  mpfr_inits2(p, b0, db, (mpfr_ptr)0);
  linear_betas(b0, db, p);
  mpfr_mul(db, db, t, RND);
  mpfr_add(db, db, b0, RND);
  mpfr_div_si(r, db, -2, RND);      /* -((b1-b0) t + b0)/2 */
  mpfr_clears(b0, db, (mpfr_ptr)0);
}

/* t = -2 la / (b0/2 + sqrt(b0^2/4 - (b1-b0) la)): the quadratic root without cancellation */
static void linear_t_of_log_alpha(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr la)
{
  (void)s;
  mpfr_prec_t p = mpfr_get_prec(r) + 16;
  mpfr_t b0, db, q;
  mpfr_inits2(p, b0, db, q, (mpfr_ptr)0);
  linear_betas(b0, db, p);
  mpfr_div_ui(b0, b0, 2, RND);
  mpfr_mul(db, db, la, RND);
  mpfr_sqr(q, b0, RND);
  mpfr_sub(q, q, db, RND);
  mpfr_sqrt(q, q, RND);
  mpfr_add(q, q, b0, RND);
  mpfr_mul_si(db, la, -2, RND);
  mpfr_div(r, db, q, RND);
  mpfr_clears(b0, db, q, (mpfr_ptr)0);
}

/* ---- vp-cosine: alpha = cos(pi/2 (t+s)/(1+s)) / cos(pi/2 s/(1+s)), s = 0.008 ---- */

static void cosine_angle(mpfr_ptr r, mpfr_srcptr t, mpfr_ptr half_pi_over, mpfr_ptr s_off)
{
  /* r = pi/2 (t + s)/(1 + s); also returns pi/(2(1+s)) and s */
  mpfr_set_str(s_off, "0.008", 10, RND);
  mpfr_const_pi(half_pi_over, RND);
  mpfr_div_ui(half_pi_over, half_pi_over, 2, RND);
  mpfr_t d;
  mpfr_init2(d, mpfr_get_prec(r));
  mpfr_add_ui(d, s_off, 1, RND);
  mpfr_div(half_pi_over, half_pi_over, d, RND);
  mpfr_clear(d);
  if (t) {
    mpfr_add(r, t, s_off, RND);
    mpfr_mul(r, r, half_pi_over, RND);
  }
}

static void cosine_log_alpha(mpfr_ptr r, const adeis_schedule *sc, mpfr_srcptr t)
{
  (void)sc;
  mpfr_prec_t p = mpfr_get_prec(r) + 16;
  mpfr_t ang, k, s, c0;
  mpfr_inits2(p, ang, k, s, c0, (mpfr_ptr)0);
  cosine_angle(ang, t, k, s);
  mpfr_cos(ang, ang, RND);
  mpfr_log(ang, ang, RND);
  mpfr_mul(c0, k, s, RND);
  mpfr_cos(c0, c0, RND);
  mpfr_log(c0, c0, RND);
  mpfr_sub(r, ang, c0, RND);
  mpfr_clears(ang, k, s, c0, (mpfr_ptr)0);
}

static void cosine_f(mpfr_ptr r, const adeis_schedule *sc, mpfr_srcptr t)
{
  (void)sc;
  mpfr_prec_t p = mpfr_get_prec(r) + 16;
  mpfr_t ang, k, s;
  mpfr_inits2(p, ang, k, s, (mpfr_ptr)0);
  cosine_angle(ang, t, k, s);
  mpfr_tan(ang, ang, RND);
  mpfr_mul(ang, ang, k, RND);
  mpfr_neg(r, ang, RND);
  mpfr_clears(ang, k, s, (mpfr_ptr)0);
}

/* t = 2(1+s)/pi acos(exp(la + log cos(pi s/(2(1+s))))) - s */
static void cosine_t_of_log_alpha(mpfr_ptr r, const adeis_schedule *sc, mpfr_srcptr la)
{
  (void)sc;
  mpfr_prec_t p = mpfr_get_prec(r) + 16;
  mpfr_t k, s, c0;
  mpfr_inits2(p, k, s, c0, (mpfr_ptr)0);
  cosine_angle(c0, NULL, k, s);
  mpfr_mul(c0, k, s, RND);
  mpfr_cos(c0, c0, RND);
  mpfr_log(c0, c0, RND);
  mpfr_add(c0, c0, la, RND);
  mpfr_exp(c0, c0, RND);
  mpfr_acos(c0, c0, RND);
  mpfr_div(c0, c0, k, RND);
  mpfr_sub(r, c0, s, RND);
  mpfr_clears(k, s, c0, (mpfr_ptr)0);
}

/* ---- ve-edm: alpha = 1, sigma = t ---- */

static void ve_log_alpha(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t)
{
  (void)s;
  (void)t;
  mpfr_set_zero(r, 1);
}

static void ve_f(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t) { ve_log_alpha(r, s, t); }

const adeis_schedule_type adeis_schedule_vp_linear = {
  "vp-linear", "1", "1e-3", 1, linear_log_alpha, linear_f, linear_t_of_log_alpha};
const adeis_schedule_type adeis_schedule_vp_cosine = {
  "vp-cosine", "0.9946", "1e-3", 1, cosine_log_alpha, cosine_f, cosine_t_of_log_alpha};
const adeis_schedule_type adeis_schedule_ve_edm = {
  "ve-edm", "80", "0.002", 0, ve_log_alpha, ve_f, NULL};

const adeis_schedule_type *const adeis_schedule_types[] = {
  &adeis_schedule_vp_linear, &adeis_schedule_vp_cosine, &adeis_schedule_ve_edm, NULL};

const adeis_schedule_type *adeis_schedule_lookup(const char *name)
{
  for (size_t i = 0; adeis_schedule_types[i]; i++)
    if (strcmp(adeis_schedule_types[i]->name, name) == 0)
      return adeis_schedule_types[i];
  return NULL;
}

void adeis_schedule_init(adeis_schedule *s, const adeis_schedule_type *type, mpfr_prec_t prec)
{
  s->type = type;
  s->prec = prec;
  mpfr_inits2(prec, s->T, s->t_end, (mpfr_ptr)0);
  mpfr_set_str(s->T, type->T_default, 10, RND);
  mpfr_set_str(s->t_end, type->t_end_default, 10, RND);
}

void adeis_schedule_clear(adeis_schedule *s) { mpfr_clears(s->T, s->t_end, (mpfr_ptr)0); }

/* ---- generic quantities ---- */

void adeis_schedule_alpha(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t)
{
  s->type->log_alpha(r, s, t);
  mpfr_exp(r, r, RND);
}

/* log sigma for VP: log(-expm1(2 la))/2 */
static void vp_log_sigma(mpfr_ptr r, mpfr_srcptr la)
{
  mpfr_mul_2ui(r, la, 1, RND);
  mpfr_expm1(r, r, RND);
  mpfr_neg(r, r, RND);
  mpfr_log(r, r, RND);
  mpfr_div_2ui(r, r, 1, RND);
}

void adeis_schedule_sigma(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t)
{
  if (!s->type->variance_preserving) {
    mpfr_set(r, t, RND);
    return;
  }
  mpfr_t la;
  mpfr_init2(la, mpfr_get_prec(r) + 16);
  s->type->log_alpha(la, s, t);
  vp_log_sigma(la, la);
  mpfr_exp(r, la, RND);
  mpfr_clear(la);
}

void adeis_schedule_lambda(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t)
{
  mpfr_prec_t p = mpfr_get_prec(r) + 16;
  if (!s->type->variance_preserving) {
    mpfr_log(r, t, RND);
    mpfr_neg(r, r, RND);
    return;
  }
  mpfr_t la, ls;
  mpfr_inits2(p, la, ls, (mpfr_ptr)0);
  s->type->log_alpha(la, s, t);
  vp_log_sigma(ls, la);
  mpfr_sub(r, la, ls, RND);
  mpfr_clears(la, ls, (mpfr_ptr)0);
}

/* VP: log alpha from lambda, la = -log1p(exp(-2 lambda))/2 */
static void vp_log_alpha_of_lambda(mpfr_ptr la, mpfr_srcptr lambda)
{
  mpfr_mul_si(la, lambda, -2, RND);
  mpfr_exp(la, la, RND);
  mpfr_log1p(la, la, RND);
  mpfr_div_si(la, la, -2, RND);
}

void adeis_schedule_t_of_lambda(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr lambda)
{
  if (!s->type->variance_preserving) {
    mpfr_neg(r, lambda, RND);
    mpfr_exp(r, r, RND);
    return;
  }
  mpfr_t la;
  mpfr_init2(la, mpfr_get_prec(r) + 16);
  vp_log_alpha_of_lambda(la, lambda);
  s->type->t_of_log_alpha(r, s, la);
  mpfr_clear(la);
}

void adeis_schedule_f(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t) { s->type->f(r, s, t); }

/* VP: lambda' = f / sigma^2; VE: lambda' = -1/t */
void adeis_schedule_dlambda_dt(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t)
{
  if (!s->type->variance_preserving) {
    mpfr_si_div(r, -1, t, RND);
    return;
  }
  mpfr_prec_t p = mpfr_get_prec(r) + 16;
  mpfr_t f, s2;
  mpfr_inits2(p, f, s2, (mpfr_ptr)0);
  s->type->f(f, s, t);
  s->type->log_alpha(s2, s, t);
  mpfr_mul_2ui(s2, s2, 1, RND);
  mpfr_expm1(s2, s2, RND);
  mpfr_neg(s2, s2, RND);
  mpfr_div(r, f, s2, RND);
  mpfr_clears(f, s2, (mpfr_ptr)0);
}

void adeis_schedule_g2(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t)
{
  mpfr_prec_t p = mpfr_get_prec(r) + 16;
  mpfr_t dl, sg;
  mpfr_inits2(p, dl, sg, (mpfr_ptr)0);
  adeis_schedule_dlambda_dt(dl, s, t);
  adeis_schedule_sigma(sg, s, t);
  mpfr_sqr(sg, sg, RND);
  mpfr_mul(dl, dl, sg, RND);
  mpfr_mul_si(r, dl, -2, RND);
  mpfr_clears(dl, sg, (mpfr_ptr)0);
}

void adeis_schedule_dlogalpha_dlambda(mpfr_ptr r, const adeis_schedule *s, const adeis_tpoint *tp)
{
  if (s->type->variance_preserving)
    mpfr_sqr(r, tp->sigma, RND);
  else
    mpfr_set_zero(r, 1);
}

void adeis_tpoint_init(adeis_tpoint *tp, mpfr_prec_t prec)
{
  mpfr_inits2(prec, tp->t, tp->lambda, tp->alpha, tp->sigma, (mpfr_ptr)0);
}

void adeis_tpoint_clear(adeis_tpoint *tp)
{
  mpfr_clears(tp->t, tp->lambda, tp->alpha, tp->sigma, (mpfr_ptr)0);
}

void adeis_tpoint_copy(adeis_tpoint *dst, const adeis_tpoint *src)
{
  mpfr_set(dst->t, src->t, RND);
  mpfr_set(dst->lambda, src->lambda, RND);
  mpfr_set(dst->alpha, src->alpha, RND);
  mpfr_set(dst->sigma, src->sigma, RND);
}

void adeis_schedule_point_t(const adeis_schedule *s, adeis_tpoint *tp, mpfr_srcptr t)
{
  mpfr_set(tp->t, t, RND);
  if (!s->type->variance_preserving) {
    mpfr_set_ui(tp->alpha, 1, RND);
    mpfr_set(tp->sigma, t, RND);
    mpfr_log(tp->lambda, t, RND);
    mpfr_neg(tp->lambda, tp->lambda, RND);
    return;
  }
  mpfr_t la, ls;
  mpfr_inits2(mpfr_get_prec(tp->t) + 16, la, ls, (mpfr_ptr)0);
  s->type->log_alpha(la, s, t);
  vp_log_sigma(ls, la);
  mpfr_exp(tp->alpha, la, RND);
  mpfr_exp(tp->sigma, ls, RND);
  mpfr_sub(tp->lambda, la, ls, RND);
  mpfr_clears(la, ls, (mpfr_ptr)0);
}

void adeis_schedule_point_lambda(const adeis_schedule *s, adeis_tpoint *tp, mpfr_srcptr lambda)
{
  mpfr_set(tp->lambda, lambda, RND);
  if (!s->type->variance_preserving) {
    mpfr_neg(tp->t, lambda, RND);
    mpfr_exp(tp->t, tp->t, RND);
    mpfr_set_ui(tp->alpha, 1, RND);
    mpfr_set(tp->sigma, tp->t, RND);
    return;
  }
  mpfr_t la;
  mpfr_init2(la, mpfr_get_prec(tp->t) + 16);
  vp_log_alpha_of_lambda(la, lambda);
  s->type->t_of_log_alpha(tp->t, s, la);
  mpfr_exp(tp->alpha, la, RND);
  mpfr_neg(la, lambda, RND);               /* sigma = alpha exp(-lambda) */
  mpfr_exp(la, la, RND);
  mpfr_mul(tp->sigma, tp->alpha, la, RND);
  mpfr_clear(la);
}

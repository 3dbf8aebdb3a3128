#include "schedule.h"

#include <string.h>

#define RND MPFR_RNDN

/* ---- vp-linear: log alpha = -(b1-b0) t^2/4 - b0 t/2, b0 = 0.1, b1 = 20 ---- */

enum { LIN_B0_HALF, LIN_DB, LIN_B0_HALF_SQ };

/* c = b0/2, b1 - b0, (b0/2)^2 */
static void linear_constants(mpfr_t c[], mpfr_prec_t p)
{
  for (int i = 0; i < 3; i++)
    mpfr_set_prec(c[i], p);
  mpfr_set_str(c[LIN_B0_HALF], "0.1", 10, RND);
  mpfr_ui_sub(c[LIN_DB], 20, c[LIN_B0_HALF], RND);
  mpfr_div_2ui(c[LIN_B0_HALF], c[LIN_B0_HALF], 1, RND);
  mpfr_sqr(c[LIN_B0_HALF_SQ], c[LIN_B0_HALF], RND);
}

/* The schedule's constants when they carry the precision r needs, else k (filled here). */
static mpfr_t *constants_for(const adeis_schedule *s, mpfr_srcptr r, mpfr_t k[])
{
  mpfr_prec_t p = mpfr_get_prec(r) + 16;
  if (mpfr_get_prec(s->c[0]) >= p)
    return (mpfr_t *)s->c;
  for (int i = 0; i < ADEIS_SCHEDULE_NCONST; i++)
    mpfr_init2(k[i], p);
  s->type->constants(k, p);
  return k;
}

static void constants_done(const adeis_schedule *s, mpfr_t *c)
{
  if (c != s->c)
    for (int i = 0; i < ADEIS_SCHEDULE_NCONST; i++)
      mpfr_clear(c[i]);
}

static void linear_log_alpha(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t)
{
  mpfr_t k[ADEIS_SCHEDULE_NCONST], a;
  mpfr_t *c = constants_for(s, r, k);
  mpfr_init2(a, mpfr_get_prec(r) + 16);
  mpfr_mul(a, c[LIN_DB], t, RND);
  mpfr_div_2ui(a, a, 2, RND);
  mpfr_add(a, a, c[LIN_B0_HALF], RND);  /* (b1-b0) t/4 + b0/2 */
  mpfr_mul(a, a, t, RND);
  mpfr_neg(r, a, RND);
  mpfr_clear(a);
  constants_done(s, c);
}

static void linear_f(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t)
{
  mpfr_t k[ADEIS_SCHEDULE_NCONST], a;
  mpfr_t *c = constants_for(s, r, k);
  mpfr_init2(a, mpfr_get_prec(r) + 16);
  mpfr_mul(a, c[LIN_DB], t, RND);
  mpfr_div_2ui(a, a, 1, RND);
  mpfr_add(a, a, c[LIN_B0_HALF], RND);
  mpfr_neg(r, a, RND);              /* -((b1-b0) t + b0)/2 */
  mpfr_clear(a);
  constants_done(s, c);
}

/* t = -2 la / (b0/2 + sqrt(b0^2/4 - (b1-b0) la)): the quadratic root without cancellation */
static void linear_t_of_log_alpha(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr la)
{
  mpfr_t k[ADEIS_SCHEDULE_NCONST], q, n;
  mpfr_t *c = constants_for(s, r, k);
  mpfr_inits2(mpfr_get_prec(r) + 16, q, n, (mpfr_ptr)0);
  mpfr_mul(q, c[LIN_DB], la, RND);
  mpfr_sub(q, c[LIN_B0_HALF_SQ], q, RND);
  mpfr_sqrt(q, q, RND);
  mpfr_add(q, q, c[LIN_B0_HALF], RND);
  mpfr_mul_si(n, la, -2, RND);
  mpfr_div(r, n, q, RND);
  mpfr_clears(q, n, (mpfr_ptr)0);
  constants_done(s, c);
}

/* ---- vp-cosine: alpha = cos(pi/2 (t+s)/(1+s)) / cos(pi/2 s/(1+s)), s = 0.008 ---- */

enum { COS_K, COS_S, COS_LOG_C0 };

/* c = pi/(2(1+s)), s, log cos(pi s/(2(1+s))) */
static void cosine_constants(mpfr_t c[], mpfr_prec_t p)
{
  for (int i = 0; i < 3; i++)
    mpfr_set_prec(c[i], p);
  mpfr_set_str(c[COS_S], "0.008", 10, RND);
  mpfr_const_pi(c[COS_K], RND);
  mpfr_div_2ui(c[COS_K], c[COS_K], 1, RND);
  mpfr_add_ui(c[COS_LOG_C0], c[COS_S], 1, RND);
  mpfr_div(c[COS_K], c[COS_K], c[COS_LOG_C0], RND);
  mpfr_mul(c[COS_LOG_C0], c[COS_K], c[COS_S], RND);
  mpfr_cos(c[COS_LOG_C0], c[COS_LOG_C0], RND);
  mpfr_log(c[COS_LOG_C0], c[COS_LOG_C0], RND);
}

/* r = pi/2 (t + s)/(1 + s) */
static void cosine_angle(mpfr_ptr r, mpfr_srcptr t, mpfr_t const c[])
{
  mpfr_add(r, t, c[COS_S], RND);
  mpfr_mul(r, r, c[COS_K], RND);
}

static void cosine_log_alpha(mpfr_ptr r, const adeis_schedule *sc, mpfr_srcptr t)
{
  mpfr_t k[ADEIS_SCHEDULE_NCONST], ang;
  mpfr_t *c = constants_for(sc, r, k);
  mpfr_init2(ang, mpfr_get_prec(r) + 16);
  cosine_angle(ang, t, c);
  mpfr_cos(ang, ang, RND);
  mpfr_log(ang, ang, RND);
  mpfr_sub(r, ang, c[COS_LOG_C0], RND);
  mpfr_clear(ang);
  constants_done(sc, c);
}

static void cosine_f(mpfr_ptr r, const adeis_schedule *sc, mpfr_srcptr t)
{
  mpfr_t k[ADEIS_SCHEDULE_NCONST], ang;
  mpfr_t *c = constants_for(sc, r, k);
  mpfr_init2(ang, mpfr_get_prec(r) + 16);
  cosine_angle(ang, t, c);
  mpfr_tan(ang, ang, RND);
  mpfr_mul(ang, ang, c[COS_K], RND);
  mpfr_neg(r, ang, RND);
  mpfr_clear(ang);
  constants_done(sc, c);
}

/* t = 2(1+s)/pi acos(exp(la + log cos(pi s/(2(1+s))))) - s */
static void cosine_t_of_log_alpha(mpfr_ptr r, const adeis_schedule *sc, mpfr_srcptr la)
{
  mpfr_t k[ADEIS_SCHEDULE_NCONST], a;
  mpfr_t *c = constants_for(sc, r, k);
  mpfr_init2(a, mpfr_get_prec(r) + 16);
  mpfr_add(a, c[COS_LOG_C0], la, RND);
  mpfr_exp(a, a, RND);
  mpfr_acos(a, a, RND);
  mpfr_div(a, a, c[COS_K], RND);
  mpfr_sub(r, a, c[COS_S], RND);
  mpfr_clear(a);
  constants_done(sc, c);
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
  "vp-linear", "1", "1e-3", 1, linear_log_alpha, linear_f, linear_t_of_log_alpha,
  linear_constants};
const adeis_schedule_type adeis_schedule_vp_cosine = {
  "vp-cosine", "0.9946", "1e-3", 1, cosine_log_alpha, cosine_f, cosine_t_of_log_alpha,
  cosine_constants};
const adeis_schedule_type adeis_schedule_ve_edm = {
  "ve-edm", "80", "0.002", 0, ve_log_alpha, ve_f, NULL, NULL};

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
  for (int i = 0; i < ADEIS_SCHEDULE_NCONST; i++) {
    mpfr_init2(s->c[i], prec + 16);
    mpfr_set_zero(s->c[i], 1);
  }
  if (type->constants)
    type->constants(s->c, prec + 16);
  s->need_t = 1;
}

void adeis_schedule_clear(adeis_schedule *s)
{
  mpfr_clears(s->T, s->t_end, (mpfr_ptr)0);
  for (int i = 0; i < ADEIS_SCHEDULE_NCONST; i++)
    mpfr_clear(s->c[i]);
}

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
  /* one exponential: u = exp(-2 lambda) = sigma^2/alpha^2, alpha = 1/sqrt(1 + u),
   * sigma = alpha sqrt(u), log alpha = -log1p(u)/2 for t (every step relative-accurate) */
  mpfr_t u, q, r;
  mpfr_inits2(mpfr_get_prec(tp->t) + 16, u, q, r, (mpfr_ptr)0);
  mpfr_mul_si(u, lambda, -2, RND);
  mpfr_exp(u, u, RND);
  mpfr_add_ui(q, u, 1, RND);
  mpfr_rec_sqrt(q, q, RND);
  mpfr_set(tp->alpha, q, RND);
  mpfr_sqrt(r, u, RND);
  mpfr_mul(tp->sigma, q, r, RND);
  if (s->need_t) {
    mpfr_log1p(u, u, RND);
    mpfr_div_si(u, u, -2, RND);
    s->type->t_of_log_alpha(tp->t, s, u);
  } else {
    mpfr_set_nan(tp->t);
  }
  mpfr_clears(u, q, r, (mpfr_ptr)0);
}

double adeis_tpoint_t_d(const adeis_schedule *s, const adeis_tpoint *tp)
{
  if (!mpfr_nan_p(tp->t))
    return mpfr_get_d(tp->t, RND);
  mpfr_t t;
  mpfr_init2(t, mpfr_get_prec(tp->t));
  adeis_schedule_t_of_lambda(t, s, tp->lambda);
  double d = mpfr_get_d(t, RND);
  mpfr_clear(t);
  return d;
}

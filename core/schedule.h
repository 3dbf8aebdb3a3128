/* Noise schedules (docs/math.md section 1): alpha, sigma, lambda = log(alpha/sigma),
 * the inverse t(lambda), f = d log alpha/dt, lambda'(t) and g^2 = -2 sigma^2 lambda'.
 * Every value is computed in MPFR at the precision of the output argument. */
#ifndef ADEIS_SCHEDULE_H
#define ADEIS_SCHEDULE_H

#include <mpfr.h>

typedef struct adeis_schedule adeis_schedule;

typedef struct adeis_schedule_type {
  const char *name;
  const char *T_default;      /* decimal strings, parsed at working precision */
  const char *t_end_default;
  int variance_preserving;    /* alpha^2 + sigma^2 = 1 */
  /* log alpha(t), d log alpha/dt, and t from log alpha (VP) or from lambda (VE) */
  void (*log_alpha)(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t);
  void (*f)(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t);
  void (*t_of_log_alpha)(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr la);
  /* the type's constants at precision p into c[] (computed once per schedule; may be NULL) */
  void (*constants)(mpfr_t c[], mpfr_prec_t p);
} adeis_schedule_type;

#define ADEIS_SCHEDULE_NCONST 4

extern const adeis_schedule_type adeis_schedule_vp_linear;
extern const adeis_schedule_type adeis_schedule_vp_cosine;
extern const adeis_schedule_type adeis_schedule_ve_edm;

struct adeis_schedule {
  const adeis_schedule_type *type;
  mpfr_prec_t prec;           /* scalar precision (working + guard bits) */
  mpfr_t T, t_end;
  /* the type's constants (betas, pi/(2(1+s)), log cos(...)) at prec + 16 bits, computed once
   * by adeis_schedule_init instead of at every time point */
  mpfr_t c[ADEIS_SCHEDULE_NCONST];
  /* 1 (the default): time points made from lambda carry t. A run whose method and model
   * never read t sets 0 on its own copy: t (one logarithm and the inverse) is then skipped
   * and left NaN; adeis_tpoint_t_d() recovers it for messages. */
  int need_t;
};

/* A time point with everything the solvers need at it, at the schedule's precision. */
typedef struct adeis_tpoint {
  mpfr_t t, lambda, alpha, sigma;
} adeis_tpoint;

const adeis_schedule_type *adeis_schedule_lookup(const char *name);
/* NULL-terminated list of every schedule type. */
extern const adeis_schedule_type *const adeis_schedule_types[];

/* Initialise with the type's default T and t_end at precision prec. */
void adeis_schedule_init(adeis_schedule *s, const adeis_schedule_type *type, mpfr_prec_t prec);
void adeis_schedule_clear(adeis_schedule *s);

void adeis_schedule_alpha(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t);
void adeis_schedule_sigma(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t);
void adeis_schedule_lambda(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t);
void adeis_schedule_t_of_lambda(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr lambda);
void adeis_schedule_f(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t);
void adeis_schedule_dlambda_dt(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t);
void adeis_schedule_g2(mpfr_ptr r, const adeis_schedule *s, mpfr_srcptr t);
/* d log alpha / d lambda at a time point (sigma^2 for VP, 0 for VE). */
void adeis_schedule_dlogalpha_dlambda(mpfr_ptr r, const adeis_schedule *s, const adeis_tpoint *tp);

void adeis_tpoint_init(adeis_tpoint *tp, mpfr_prec_t prec);
void adeis_tpoint_clear(adeis_tpoint *tp);
void adeis_tpoint_copy(adeis_tpoint *dst, const adeis_tpoint *src);
/* Fill a time point from t, or from lambda. */
void adeis_schedule_point_t(const adeis_schedule *s, adeis_tpoint *tp, mpfr_srcptr t);
void adeis_schedule_point_lambda(const adeis_schedule *s, adeis_tpoint *tp, mpfr_srcptr lambda);
/* t of a time point as a double (computed from lambda when the point does not carry t). */
double adeis_tpoint_t_d(const adeis_schedule *s, const adeis_tpoint *tp);

#endif

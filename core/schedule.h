/* Noise schedules (MATH.md section 1): alpha, sigma, lambda = log(alpha/sigma),
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
} adeis_schedule_type;

extern const adeis_schedule_type adeis_schedule_vp_linear;
extern const adeis_schedule_type adeis_schedule_vp_cosine;
extern const adeis_schedule_type adeis_schedule_ve_edm;

struct adeis_schedule {
  const adeis_schedule_type *type;
  mpfr_prec_t prec;           /* scalar precision (working + guard bits) */
  mpfr_t T, t_end;
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

#endif

/* GSL adaptive steppers on the augmented adjoint system in lambda, double only
 * (docs/math.md section 6): y = (a_x, a_z, a_theta) (plus x in backsolve mode) from
 * lambda(t_end) down to lambda(T), with
 *   a_x' = -(dlog alpha/dlambda) a_x + c sigma a_x^T deps/dx,
 *   a_{z,theta}' = c sigma a_x^T deps/d{z,theta},  x' = (dlog alpha/dlambda) x - sigma eps. */
#include "adjoint.h"
#include "../core/status.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ADAPTIVE_MAX_STEPS 1000000UL

/* The augmented state as parts of one double array: offsets of a_x, a_z, a_theta, x. */
enum { P_AX, P_AZ, P_ATHETA, P_X, P_COUNT };

typedef struct adaptive_sys {
  adeis_adjoint_problem *p;
  int backsolve;
  adeis_vec *part[P_COUNT];  /* the problem's vectors (NULL when absent) */
  adeis_vec *y[P_COUNT];     /* scratch copies of the state, in the same layout */
  adeis_vec *k[P_COUNT];     /* derivatives */
  adeis_vec *x;              /* x at the current lambda (oracle and cached modes) */
  size_t off[P_COUNT + 1];
  adeis_tpoint tp;
  mpfr_t lambda, A, B, mA, mB;
  int status;                /* adeis status of the first failing evaluation */
} adaptive_sys;

static void parts_to_double(adeis_vec *const v[P_COUNT], const size_t off[], double *y)
{
  for (int q = 0; q < P_COUNT; q++)
    if (v[q])
      adeis_vec_export_d(v[q], 0, y + off[q], v[q]->n);
}

static void double_to_parts(adeis_vec *const v[P_COUNT], const size_t off[], const double *y)
{
  for (int q = 0; q < P_COUNT; q++)
    if (v[q])
      adeis_vec_import_d(v[q], 0, y + off[q], v[q]->n);
}

/* A = -dlog alpha/dlambda, B = c sigma at the current time point, and their negatives */
static void rhs_coefficients(adaptive_sys *s)
{
  adeis_schedule_dlogalpha_dlambda(s->A, s->p->sched, &s->tp);
  mpfr_neg(s->A, s->A, MPFR_RNDN);
  mpfr_mul_ui(s->B, s->tp.sigma, s->p->c, MPFR_RNDN);
  mpfr_neg(s->mA, s->A, MPFR_RNDN);
  mpfr_neg(s->mB, s->B, MPFR_RNDN);
}

/* The products for z and theta are set (not accumulated) by zeroing their parts first. */
static int rhs_vectors(adaptive_sys *s)
{
  adeis_adjoint_problem *p = s->p;
  const adeis_vec *x = s->backsolve ? s->y[P_X] : s->x;
  int rc = s->backsolve ? ADEIS_OK : adeis_adjoint_state(p, s->x, &s->tp);
  if (rc)
    return rc;
  rhs_coefficients(s);
  adeis_eval io = {.v = s->y[P_AX], .jx = s->k[P_AX], .jz = s->k[P_AZ], .sz = s->B,
                   .jtheta = s->k[P_ATHETA], .stheta = s->B, .eps = s->k[P_X]};
  io.want = ADEIS_WANT_JX | (io.jz ? ADEIS_WANT_JZ : 0u) | (io.jtheta ? ADEIS_WANT_JTHETA : 0u) |
            (s->backsolve ? ADEIS_WANT_EPS : 0u);
  if (io.jz)
    adeis_vec_set_zero(io.jz);
  if (io.jtheta)
    adeis_vec_set_zero(io.jtheta);
  rc = adeis_adjoint_eval(p, &s->tp, x, &io);
  if (rc)
    return rc;
  adeis_vec_lincomb(s->k[P_AX], 2, (mpfr_srcptr[]){s->A, s->B},
                    (const adeis_vec *[]){s->y[P_AX], s->k[P_AX]});
  if (s->backsolve)
    adeis_vec_lincomb(s->k[P_X], 2, (mpfr_srcptr[]){s->mA, s->mB},
                      (const adeis_vec *[]){x, s->k[P_X]});
  return ADEIS_OK;
}

static int rhs(double lambda, const double y[], double dydl[], void *params)
{
  adaptive_sys *s = params;
  mpfr_set_d(s->lambda, lambda, MPFR_RNDN);
  adeis_schedule_point_lambda(s->p->sched, &s->tp, s->lambda);
  double_to_parts(s->y, s->off, y);
  int rc = rhs_vectors(s);
  if (rc) {
    s->status = rc;
    return GSL_EBADFUNC;
  }
  parts_to_double(s->k, s->off, dydl);
  for (size_t i = 0; i < s->off[P_COUNT]; i++)
    if (!isfinite(dydl[i])) {
      s->status = ADEIS_ENUMERIC;
      adeis_set_error("the adjoint right-hand side is not finite at lambda = %.17g", lambda);
      return GSL_EBADFUNC;
    }
  return GSL_SUCCESS;
}

/* State-sized arrays GSL holds per state-sized part of the augmented system: the double copy
 * y, the stepper's own (rkf45: k1..k6, y0, ytmp; rk8pd: k[13], y0, ytmp) and the evolve
 * object's (y0, yerr, dydt_in, dydt_out). */
static long gsl_arrays(const adeis_method *m)
{
  return 1 + (strcmp(m->name, "gsl-rk8pd") == 0 ? 15 : 8) + 4;
}

static long state_parts(const adaptive_sys *s)
{
  return 1 + (s->part[P_X] != NULL);
}

static void sys_clear(adaptive_sys *s)
{
  for (int q = 0; q < P_COUNT; q++) {
    int state = q == P_AX || q == P_X;
    adeis_meter_free(state ? s->p->meter : NULL, s->y[q]);
    adeis_meter_free(state ? s->p->meter : NULL, s->k[q]);
  }
  adeis_meter_free(s->p->meter, s->x);
  adeis_tpoint_clear(&s->tp);
  mpfr_clears(s->lambda, s->A, s->B, s->mA, s->mB, (mpfr_ptr)0);
}

static int sys_init(adaptive_sys *s, adeis_adjoint_problem *p)
{
  const adeis_backend *be = p->model->be;
  memset(s, 0, sizeof *s);
  s->p = p;
  s->backsolve = p->state == ADEIS_STATE_BACKSOLVE;
  adeis_tpoint_init(&s->tp, p->sched->prec);
  mpfr_inits2(adeis_backend_scalar_prec(be), s->lambda, s->A, s->B, s->mA, s->mB, (mpfr_ptr)0);
  s->part[P_AX] = p->a_x;
  s->part[P_AZ] = p->a_z;
  s->part[P_ATHETA] = p->a_theta;
  s->part[P_X] = s->backsolve ? p->x : NULL;
  int rc = ADEIS_OK;
  for (int q = 0; q < P_COUNT; q++) {
    size_t n = s->part[q] ? s->part[q]->n : 0;
    s->off[q + 1] = s->off[q] + n;
    adeis_vecmeter *mt = q == P_AX || q == P_X ? p->meter : NULL;
    if (n && (!(s->y[q] = adeis_meter_alloc(mt, be, n)) || !(s->k[q] = adeis_meter_alloc(mt, be, n))))
      rc = ADEIS_ENOMEM;
  }
  if (!s->backsolve && !(s->x = adeis_meter_alloc(p->meter, be, p->model->dim)))
    rc = ADEIS_ENOMEM;
  return rc;
}

static int gsl_failure(adaptive_sys *s, const adeis_method *m, int gsl_status, double lambda)
{
  if (s->status) /* the right-hand side said why */
    return s->status;
  mpfr_set_d(s->lambda, lambda, MPFR_RNDN);
  adeis_schedule_point_lambda(s->p->sched, &s->tp, s->lambda);
  s->p->fail_step = 0;
  s->p->fail_t = adeis_tpoint_t_d(s->p->sched, &s->tp);
  adeis_set_error("%s stopped at lambda = %.17g: %s", m->name, lambda, gsl_strerror(gsl_status));
  return ADEIS_ENUMERIC;
}

static int integrate(adaptive_sys *s, const adeis_method *m, double *y)
{
  adeis_adjoint_problem *p = s->p;
  double l0 = mpfr_get_d(p->grid->pts[p->grid->n].lambda, MPFR_RNDN);
  double l1 = mpfr_get_d(p->grid->pts[0].lambda, MPFR_RNDN);
  gsl_odeiv2_system sys = {rhs, NULL, s->off[P_COUNT], s};
  const gsl_odeiv2_step_type *const *type = m->data;
  gsl_odeiv2_driver *d =
    gsl_odeiv2_driver_alloc_y_new(&sys, *type, -1e-3 * fabs(l1 - l0), p->tol, p->tol);
  if (!d)
    return ADEIS_ENOMEM;
  gsl_odeiv2_driver_set_nmax(d, ADAPTIVE_MAX_STEPS);
  double l = l0;
  int st = gsl_odeiv2_driver_apply(d, &l, l1, y);
  gsl_odeiv2_driver_free(d);
  return st == GSL_SUCCESS ? ADEIS_OK : gsl_failure(s, m, st, l);
}

static int adaptive_solve(const adeis_method *m, adeis_adjoint_problem *p)
{
  adaptive_sys s;
  int rc = sys_init(&s, p);
  double *y = rc ? NULL : malloc(s.off[P_COUNT] * sizeof *y);
  if (!rc && !y)
    rc = ADEIS_ENOMEM;
  if (!rc) {
    parts_to_double(s.part, s.off, y);
    adeis_meter_add(p->meter, gsl_arrays(m) * state_parts(&s));
    rc = integrate(&s, m, y);
    adeis_meter_add(p->meter, -gsl_arrays(m) * state_parts(&s));
  }
  if (!rc) {
    double_to_parts(s.part, s.off, y);
    if (!adeis_vec_isfinite(p->a_x))
      rc = adeis_adjoint_fail(p, 0, &p->grid->pts[0], "a_x");
  }
  free(y);
  sys_clear(&s);
  return rc;
}

const adeis_method adeis_method_gsl_rkf45 = {
  .name = "gsl-rkf45",
  .order = 4,
  .family = ADEIS_FAMILY_ADAPTIVE,
  .flags = ADEIS_METHOD_DOUBLE_ONLY | ADEIS_METHOD_TOL,
  .ode_states = (1u << ADEIS_STATE_ORACLE) | (1u << ADEIS_STATE_BACKSOLVE),
  .sde_states = 0,
  .forward = "dpm-2m",
  .in_lambda = 1,
  .n_nodes = 0,
  .nodes = NULL,
  .summary = "GSL adaptive Runge-Kutta-Fehlberg 4(5) in lambda, double only",
  .solve = adaptive_solve,
  .data = &gsl_odeiv2_step_rkf45,
};

const adeis_method adeis_method_gsl_rk8pd = {
  .name = "gsl-rk8pd",
  .order = 8,
  .family = ADEIS_FAMILY_ADAPTIVE,
  .flags = ADEIS_METHOD_DOUBLE_ONLY | ADEIS_METHOD_TOL,
  .ode_states = (1u << ADEIS_STATE_ORACLE) | (1u << ADEIS_STATE_BACKSOLVE),
  .sde_states = 0,
  .forward = "dpm-2m",
  .in_lambda = 1,
  .n_nodes = 0,
  .nodes = NULL,
  .summary = "GSL adaptive Prince-Dormand 8(9) in lambda, double only",
  .solve = adaptive_solve,
  .data = &gsl_odeiv2_step_rk8pd,
};

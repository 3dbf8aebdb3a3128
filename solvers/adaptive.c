/* GSL adaptive steppers on the augmented adjoint system in lambda, double only
 * (MATH.md section 6). */
#include "adjoint.h"
#include "../core/status.h"

#include <gsl/gsl_odeiv2.h>

static int adaptive_solve(const adeis_method *m, adeis_adjoint_problem *p)
{
  (void)p;
  adeis_set_error("%s: not implemented yet", m->name);
  return ADEIS_EINPUT;
}

const adeis_method adeis_method_gsl_rkf45 = {
  .name = "gsl-rkf45",
  .order = 4,
  .family = ADEIS_FAMILY_ADAPTIVE,
  .forward = "dpm-2m",
  .in_lambda = 1,
  .n_nodes = 0,
  .nodes = NULL,
  .summary = "GSL adaptive Runge-Kutta-Fehlberg 4(5) in lambda, double only",
  .solve = adaptive_solve,
  .data = NULL,
};

const adeis_method adeis_method_gsl_rk8pd = {
  .name = "gsl-rk8pd",
  .order = 8,
  .family = ADEIS_FAMILY_ADAPTIVE,
  .forward = "dpm-2m",
  .in_lambda = 1,
  .n_nodes = 0,
  .nodes = NULL,
  .summary = "GSL adaptive Prince-Dormand 8(9) in lambda, double only",
  .solve = adaptive_solve,
  .data = NULL,
};

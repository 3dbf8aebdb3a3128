/* The method registry: adding a solver = one file + one line here. */
#include "adjoint.h"

#include <string.h>

extern const adeis_method adeis_method_adjdeis_1, adeis_method_adjdeis_2m,
  adeis_method_adjdeis_2m_phi, adeis_method_adjdeis_2s;
extern const adeis_method adeis_method_euler_t, adeis_method_euler_lambda, adeis_method_heun_t,
  adeis_method_heun_lambda, adeis_method_rk3_t, adeis_method_rk3_lambda, adeis_method_rk4_t,
  adeis_method_rk4_lambda, adeis_method_dopri5_t, adeis_method_dopri5_lambda;
extern const adeis_method adeis_method_gsl_rkf45, adeis_method_gsl_rk8pd;
extern const adeis_method adeis_method_dto_dpm_1, adeis_method_dto_dpm_2m, adeis_method_dto_dpm_2s,
  adeis_method_dto_rk4_lambda;

const adeis_method *const adeis_methods[] = {
  &adeis_method_adjdeis_1,
  &adeis_method_adjdeis_2m,
  &adeis_method_adjdeis_2m_phi,
  &adeis_method_adjdeis_2s,
  &adeis_method_euler_t,
  &adeis_method_euler_lambda,
  &adeis_method_heun_t,
  &adeis_method_heun_lambda,
  &adeis_method_rk3_t,
  &adeis_method_rk3_lambda,
  &adeis_method_rk4_t,
  &adeis_method_rk4_lambda,
  &adeis_method_dopri5_t,
  &adeis_method_dopri5_lambda,
  &adeis_method_gsl_rkf45,
  &adeis_method_gsl_rk8pd,
  &adeis_method_dto_dpm_1,
  &adeis_method_dto_dpm_2m,
  &adeis_method_dto_dpm_2s,
  &adeis_method_dto_rk4_lambda,
  NULL,
};

const adeis_method *adeis_method_lookup(const char *name)
{
  for (size_t i = 0; adeis_methods[i]; i++)
    if (strcmp(adeis_methods[i]->name, name) == 0)
      return adeis_methods[i];
  return NULL;
}

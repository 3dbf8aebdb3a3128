/* Butcher tableaux with exact rational coefficients (docs/math.md section 6).
 * Coefficients are converted to MPFR at the scalar precision when a solve starts. */
#ifndef ADEIS_TABLEAU_H
#define ADEIS_TABLEAU_H

#include "adjoint.h"

#define ADEIS_RK_MAX_STAGES 7

/* An explicit Runge-Kutta method: a[i][j] for j < i, weights b, nodes c (as fractions). */
typedef struct adeis_tableau {
  unsigned stages;
  adeis_node a[ADEIS_RK_MAX_STAGES][ADEIS_RK_MAX_STAGES];
  adeis_node b[ADEIS_RK_MAX_STAGES];
  adeis_node c[ADEIS_RK_MAX_STAGES];
} adeis_tableau;

extern const adeis_tableau adeis_tableau_euler, adeis_tableau_heun, adeis_tableau_rk3,
  adeis_tableau_rk4, adeis_tableau_dopri5;

#endif

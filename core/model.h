/* Model interface (DESIGN.md): a noise predictor eps(x, z, t) and its
 * vector-Jacobian products. Solvers know a model only through this. */
#ifndef ADEIS_MODEL_H
#define ADEIS_MODEL_H

#include "backend.h"
#include "schedule.h"

typedef struct adeis_model adeis_model;

typedef struct adeis_model_type {
  const char *name;
  /* out = eps(x, z, t). Returns 0 or a status. */
  int (*eps)(const adeis_model *m, adeis_vec *out, const adeis_vec *x, const adeis_tpoint *tp);
  /* jx = v^T deps/dx, jz = v^T deps/dz, jtheta = v^T deps/dtheta at (x, t); any output may be NULL. */
  int (*vjp)(const adeis_model *m, const adeis_vec *x, const adeis_tpoint *tp, const adeis_vec *v,
             adeis_vec *jx, adeis_vec *jz, adeis_vec *jtheta);
  /* Exact PF-ODE flow from (x_s, s) to t; NULL where there is no closed form. */
  int (*flow)(const adeis_model *m, adeis_vec *x_t, const adeis_tpoint *t, const adeis_vec *x_s,
              const adeis_tpoint *s);
} adeis_model_type;

struct adeis_model {
  const adeis_model_type *type;
  const adeis_backend *be;
  size_t dim, cond_dim, theta_dim;
  void *impl;
};

static inline int adeis_model_eps(const adeis_model *m, adeis_vec *out, const adeis_vec *x,
                                  const adeis_tpoint *tp)
{
  return m->type->eps(m, out, x, tp);
}

static inline int adeis_model_vjp(const adeis_model *m, const adeis_vec *x, const adeis_tpoint *tp,
                                  const adeis_vec *v, adeis_vec *jx, adeis_vec *jz, adeis_vec *jtheta)
{
  return m->type->vjp(m, x, tp, v, jx, jz, jtheta);
}

#endif

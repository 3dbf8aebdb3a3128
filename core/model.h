/* Model interface (docs/design.md): a noise predictor eps(x, z, t) with its vector-Jacobian
 * products in ONE fused call, so that a network runs its forward pass once per point.
 * Solvers know a model only through this header.
 *
 * Models are immutable once built; everything a call writes lives in a workspace the caller
 * owns (one per thread: adeis_model_ws_alloc). The products for z and theta are ACCUMULATED
 * with a scale (jz += sz v^T deps/dz, jtheta += stheta v^T deps/dtheta), so solvers fold
 * their coefficients in and keep no theta-sized temporaries. */
#ifndef ADEIS_MODEL_H
#define ADEIS_MODEL_H

#include "backend.h"
#include "schedule.h"

typedef struct adeis_model adeis_model;

/* What one evaluation computes (bits of adeis_eval.want). */
enum adeis_want {
  ADEIS_WANT_EPS = 1u,      /* eps = eps(x, z, t) */
  ADEIS_WANT_JX = 2u,       /* jx = v^T deps/dx (overwritten) */
  ADEIS_WANT_JZ = 4u,       /* jz += sz v^T deps/dz */
  ADEIS_WANT_JTHETA = 8u    /* jtheta += stheta v^T deps/dtheta */
};

typedef struct adeis_eval {
  unsigned want;
  adeis_vec *eps;
  const adeis_vec *v;       /* the cotangent of the products */
  adeis_vec *jx;
  adeis_vec *jz;
  mpfr_srcptr sz;
  adeis_vec *jtheta;
  mpfr_srcptr stheta;
} adeis_eval;

/* Capabilities a model declares; the driver reads these instead of comparing types. */
enum adeis_model_caps {
  ADEIS_CAP_FLOW = 1u,       /* closed-form PF-ODE flow */
  ADEIS_CAP_EXACT_ODE = 2u,  /* exact ODE gradients for x_T, z and theta */
  ADEIS_CAP_EXACT_SDE = 4u,  /* exact SDE gradients for x_T and z along any Brownian path */
  ADEIS_CAP_NO_T = 8u        /* eval and flow read alpha, sigma, lambda of a time point, never t */
};

/* One block of theta (a network's parameter tensor): its name, shape and first element. */
typedef struct adeis_theta_block {
  const char *name;             /* owned by the model */
  int ndim;                     /* 1..4 */
  size_t shape[4];
  size_t offset;                /* into theta; the blocks tile theta in order */
} adeis_theta_block;

typedef struct adeis_model_ops {
  const char *name;
  unsigned caps;
  /* 1 when the model can run on this backend (NULL: every backend) */
  int (*supports)(const adeis_backend *be);
  void *(*ws_alloc)(const adeis_model *m);
  void (*ws_free)(const adeis_model *m, void *ws);
  int (*eval)(const adeis_model *m, void *ws, const adeis_vec *x, const adeis_tpoint *tp,
              const adeis_eval *io);
  /* ADEIS_CAP_FLOW: x_t from (x_s, s) */
  int (*flow)(const adeis_model *m, void *ws, adeis_vec *x_t, const adeis_tpoint *t,
              const adeis_vec *x_s, const adeis_tpoint *s);
  /* ADEIS_CAP_EXACT_ODE: with G = grad L(x_0), x_0 = flow(x_T); outputs may be NULL */
  int (*exact_ode)(const adeis_model *m, void *ws, const adeis_tpoint *t0, const adeis_tpoint *tT,
                   const adeis_vec *x_T, const adeis_vec *G, adeis_vec *gx, adeis_vec *gz,
                   adeis_vec *gtheta);
  /* ADEIS_CAP_EXACT_SDE: G at the path's own x_0; outputs may be NULL */
  int (*exact_sde)(const adeis_model *m, void *ws, const adeis_tpoint *t0, const adeis_tpoint *tT,
                   const adeis_vec *G, adeis_vec *gx, adeis_vec *gz);
  void (*clear)(adeis_model *m);
  /* Optional (NULL: theta is one block): the number of blocks theta is made of; block k
   * (k below that number) is written to *out when out is not NULL. */
  size_t (*theta_blocks)(const adeis_model *m, size_t k, adeis_theta_block *out);
} adeis_model_ops;

struct adeis_model {
  const adeis_model_ops *ops;
  const adeis_backend *be;
  size_t dim, cond_dim, theta_dim;
  size_t batch;                 /* samples the state holds (networks: B blocks); 0 or 1: one */
  void *impl;
};

/* A workspace for one thread (NULL when out of memory). */
void *adeis_model_ws_alloc(const adeis_model *m);
void adeis_model_ws_free(const adeis_model *m, void *ws);

/* The fused evaluation. ws may be NULL (a workspace is then made for this call only). */
int adeis_model_eval(const adeis_model *m, void *ws, const adeis_vec *x, const adeis_tpoint *tp,
                     const adeis_eval *io);

/* Conveniences on adeis_model_eval: out = eps; and jx, jz, jtheta SET (not accumulated) to
 * v^T deps/d(x, z, theta) (any of them NULL). */
int adeis_model_eps(const adeis_model *m, void *ws, adeis_vec *out, const adeis_vec *x,
                    const adeis_tpoint *tp);
int adeis_model_vjp(const adeis_model *m, void *ws, const adeis_vec *x, const adeis_tpoint *tp,
                    const adeis_vec *v, adeis_vec *jx, adeis_vec *jz, adeis_vec *jtheta);

/* Capability-checked entries: ADEIS_EINPUT naming the model when it lacks the capability. */
int adeis_model_flow(const adeis_model *m, void *ws, adeis_vec *x_t, const adeis_tpoint *t,
                     const adeis_vec *x_s, const adeis_tpoint *s);
int adeis_model_exact_ode(const adeis_model *m, void *ws, const adeis_tpoint *t0,
                          const adeis_tpoint *tT, const adeis_vec *x_T, const adeis_vec *G,
                          adeis_vec *gx, adeis_vec *gz, adeis_vec *gtheta);
int adeis_model_exact_sde(const adeis_model *m, void *ws, const adeis_tpoint *t0,
                          const adeis_tpoint *tT, const adeis_vec *G, adeis_vec *gx,
                          adeis_vec *gz);

static inline int adeis_model_has(const adeis_model *m, unsigned caps)
{
  return (m->ops->caps & caps) == caps;
}

/* Releases what the model owns (safe on a zeroed model). */
void adeis_model_clear(adeis_model *m);

#endif

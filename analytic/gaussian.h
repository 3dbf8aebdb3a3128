/* Gaussian data N(mu, Q diag(s2) Q^T) with mu = m + W z and theta = log s2
 * (docs/math.md section 8): the noise predictor, its VJPs, the exact PF-ODE flow,
 * exact ODE gradients and the exact SDE Jacobian, at any precision.
 * Q is the identity (rotation_seed = 0) or an exactly orthogonal product of
 * `dim` Householder reflections I - beta u u^T, beta = 2/(u.u), built in the
 * working precision from a seeded GSL generator.
 * The model is immutable once built; scratch vectors live in per-thread workspaces
 * (adeis_model_ws_alloc). */
#ifndef ADEIS_GAUSSIAN_H
#define ADEIS_GAUSSIAN_H

#include "../core/model.h"

extern const adeis_model_ops adeis_gaussian_ops;

/* m[dim], s2[dim] (> 0), W[dim*cond_dim] row-major, z[cond_dim]. cond_dim = 0 means
 * W = I and z = 0 (then dL/dz = dL/dmu). Returns 0, ADEIS_EINPUT or ADEIS_ENOMEM. */
int adeis_gaussian_init(adeis_model *model, const adeis_backend *be, size_t dim, size_t cond_dim,
                        mpfr_srcptr const m[], mpfr_srcptr const s2[], mpfr_srcptr const W[],
                        mpfr_srcptr const z[], unsigned long rotation_seed);
/* The same from vectors on be (copied; the caller keeps them): m and s2 of dim components,
 * W_cols the cond_dim columns of W (each of dim components; ignored when cond_dim = 0), z
 * cond_dim numbers. Problem files build through this, so no number passes through an MPFR
 * scalar on the way to a double vector. */
int adeis_gaussian_init_vecs(adeis_model *model, const adeis_backend *be, size_t dim,
                             size_t cond_dim, const adeis_vec *m, const adeis_vec *s2,
                             const adeis_vec *const W_cols[], mpfr_srcptr const z[],
                             unsigned long rotation_seed);
void adeis_gaussian_clear(adeis_model *model);

/* y = Q x and y = Q^T x (y may equal x). */
void adeis_gaussian_rotate(const adeis_model *model, adeis_vec *y, const adeis_vec *x);
void adeis_gaussian_rotate_t(const adeis_model *model, adeis_vec *y, const adeis_vec *x);

/* The data mean mu = m + W z (original coordinates). */
const adeis_vec *adeis_gaussian_mu(const adeis_model *model);

/* Exact ODE gradients (adeis_model_exact_ode with a workspace of its own): with G = grad L(x_0) at x_0 = flow(x_T), fills
 * gx = dL/dx_T, gz = dL/dz, gtheta = dL/dtheta (any may be NULL). */
int adeis_gaussian_exact_ode_grad(const adeis_model *model, const adeis_tpoint *t0,
                                  const adeis_tpoint *tT, const adeis_vec *x_T, const adeis_vec *G,
                                  adeis_vec *gx, adeis_vec *gz, adeis_vec *gtheta);

/* Exact SDE gradients for any Brownian path: gx = Phi G, gz = W^T (alpha_0 G - alpha_T Phi G),
 * Phi = Q diag(v_0 alpha_T / (v_T alpha_0)) Q^T, G at the path's own x_0. */
int adeis_gaussian_exact_sde_grad(const adeis_model *model, const adeis_tpoint *t0,
                                  const adeis_tpoint *tT, const adeis_vec *G, adeis_vec *gx,
                                  adeis_vec *gz);

/* Diagonal of Phi in the rotated basis. */
void adeis_gaussian_sde_phi(const adeis_model *model, adeis_vec *phi, const adeis_tpoint *t0,
                            const adeis_tpoint *tT);

#endif

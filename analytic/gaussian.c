#include "gaussian.h"
#include "../core/status.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>

#define RND MPFR_RNDN

typedef struct gaussian {
  size_t dim, cond_dim, n_refl;
  adeis_vec *mu, *mu_r, *s2;  /* mu_r = Q^T mu */
  adeis_vec **W_cols;          /* cond_dim columns of W; NULL when W = I */
  adeis_vec **u;               /* Householder vectors */
  mpfr_t *beta;                /* 2/(u.u) */
  adeis_vec *w1, *w2, *w3, *w4; /* scratch */
  mpfr_prec_t sprec;
} gaussian;

static gaussian *G_(const adeis_model *m) { return (gaussian *)m->impl; }

static void reflect(const gaussian *g, size_t j, adeis_vec *y, const adeis_vec *x, mpfr_ptr c)
{
  /* y = x - beta (u.x) u */
  adeis_vec_dot(c, g->u[j], x);
  mpfr_mul(c, c, g->beta[j], RND);
  mpfr_neg(c, c, RND);
  mpfr_t one;
  mpfr_init2(one, 8);
  mpfr_set_ui(one, 1, RND);
  adeis_vec_lincomb(y, 2, (mpfr_srcptr[]){one, c}, (const adeis_vec *[]){x, g->u[j]});
  mpfr_clear(one);
}

void adeis_gaussian_rotate(const adeis_model *model, adeis_vec *y, const adeis_vec *x)
{
  const gaussian *g = G_(model);
  adeis_vec_copy(y, x);
  if (!g->n_refl)
    return;
  mpfr_t c;
  mpfr_init2(c, g->sprec);
  for (size_t j = g->n_refl; j-- > 0;)
    reflect(g, j, y, y, c);
  mpfr_clear(c);
}

void adeis_gaussian_rotate_t(const adeis_model *model, adeis_vec *y, const adeis_vec *x)
{
  const gaussian *g = G_(model);
  adeis_vec_copy(y, x);
  if (!g->n_refl)
    return;
  mpfr_t c;
  mpfr_init2(c, g->sprec);
  for (size_t j = 0; j < g->n_refl; j++)
    reflect(g, j, y, y, c);
  mpfr_clear(c);
}

const adeis_vec *adeis_gaussian_mu(const adeis_model *model) { return G_(model)->mu; }

/* v = alpha^2 s2 + sigma^2, componentwise (rotated basis) */
static void variance_t(const gaussian *g, adeis_vec *v, const adeis_tpoint *tp)
{
  mpfr_t a2, s2;
  mpfr_inits2(g->sprec, a2, s2, (mpfr_ptr)0);
  mpfr_sqr(a2, tp->alpha, RND);
  mpfr_sqr(s2, tp->sigma, RND);
  adeis_vec_axpb(v, a2, g->s2, s2);
  mpfr_clears(a2, s2, (mpfr_ptr)0);
}

/* yr = Q^T x - alpha mu_r */
static void centred_rotated(const gaussian *g, const adeis_model *m, adeis_vec *yr,
                            const adeis_vec *x, mpfr_srcptr alpha)
{
  mpfr_t one, na;
  mpfr_inits2(g->sprec, one, na, (mpfr_ptr)0);
  mpfr_set_ui(one, 1, RND);
  mpfr_neg(na, alpha, RND);
  adeis_gaussian_rotate_t(m, yr, x);
  adeis_vec_lincomb(yr, 2, (mpfr_srcptr[]){one, na}, (const adeis_vec *[]){yr, g->mu_r});
  mpfr_clears(one, na, (mpfr_ptr)0);
}

/* eps = Q [sigma yr / v] */
static int gaussian_eps(const adeis_model *m, adeis_vec *out, const adeis_vec *x,
                        const adeis_tpoint *tp)
{
  gaussian *g = G_(m);
  centred_rotated(g, m, g->w1, x, tp->alpha);
  variance_t(g, g->w2, tp);
  adeis_vec_div(g->w1, g->w1, g->w2);
  adeis_vec_scale(g->w1, tp->sigma, g->w1);
  adeis_gaussian_rotate(m, out, g->w1);
  return ADEIS_OK;
}

/* jmu -> jz = W^T jmu (W = I when there is no conditioning matrix) */
static void mu_to_z(const gaussian *g, adeis_vec *jz, const adeis_vec *jmu)
{
  if (!g->W_cols) {
    adeis_vec_copy(jz, jmu);
    return;
  }
  mpfr_t c;
  mpfr_init2(c, g->sprec);
  for (size_t j = 0; j < g->cond_dim; j++) {
    adeis_vec_dot(c, g->W_cols[j], jmu);
    adeis_vec_set(jz, j, c);
  }
  mpfr_clear(c);
}

/* v^T deps/dtheta_i = -vr_i sigma yr_i alpha^2 s2_i / v_i^2 (rotated basis) */
static void vjp_theta(const gaussian *g, const adeis_model *m, adeis_vec *jtheta,
                      const adeis_vec *x, const adeis_tpoint *tp)
{
  /* on entry w2 = v, w3 = vr */
  mpfr_t c;
  mpfr_init2(c, g->sprec);
  centred_rotated(g, m, g->w4, x, tp->alpha);
  adeis_vec_prod(g->w4, g->w4, g->w3);
  adeis_vec_prod(g->w4, g->w4, g->s2);
  adeis_vec_div(g->w4, g->w4, g->w2);
  adeis_vec_div(g->w4, g->w4, g->w2);
  mpfr_sqr(c, tp->alpha, RND);
  mpfr_mul(c, c, tp->sigma, RND);
  mpfr_neg(c, c, RND);
  adeis_vec_scale(jtheta, c, g->w4);
  mpfr_clear(c);
}

/* Double storage, diagonal covariance, W = I: every requested VJP in one pass over memory
 * (the same formulas as below, fused; the generic path is the reference in the tests). */
/* cloned for AVX2 where the CPU has it (ifunc dispatch): the division is the bottleneck */
__attribute__((target_clones("avx2", "default")))
static int vjp_double_diagonal(const gaussian *g, const adeis_vec *x, const adeis_tpoint *tp,
                               const adeis_vec *v, adeis_vec *jx, adeis_vec *jz, adeis_vec *jtheta)
{
  const double alpha = mpfr_get_d(tp->alpha, RND), sigma = mpfr_get_d(tp->sigma, RND);
  const double a2 = alpha * alpha, sg2 = sigma * sigma;
  const double *restrict a = adeis_vec_double_cdata(v), *restrict s2 = adeis_vec_double_cdata(g->s2);
  const size_t n = g->dim;
  if (jx && !jz && !jtheta) { /* the adjoint of x alone: the hot loop of a step */
    double *restrict ox = adeis_vec_double_data(jx);
    for (size_t i = 0; i < n; i++)
      ox[i] = sigma * a[i] / (a2 * s2[i] + sg2);
    return ADEIS_OK;
  }
  const double *restrict xs = jtheta ? adeis_vec_double_cdata(x) : NULL;
  const double *restrict mu = adeis_vec_double_cdata(g->mu);
  double *ox = jx ? adeis_vec_double_data(jx) : NULL, *oz = jz ? adeis_vec_double_data(jz) : NULL;
  double *ot = jtheta ? adeis_vec_double_data(jtheta) : NULL;
  for (size_t i = 0; i < n; i++) {
    double var = a2 * s2[i] + sg2, r = sigma * a[i] / var;
    if (ox)
      ox[i] = r;
    if (oz)
      oz[i] = -alpha * r;
    if (ot)
      ot[i] = -r * (xs[i] - alpha * mu[i]) * a2 * s2[i] / var;
  }
  return ADEIS_OK;
}

static int fused_path_applies(const gaussian *g, const adeis_vec *x, const adeis_vec *v)
{
  return !g->n_refl && !g->W_cols && adeis_vec_double_cdata(v) && adeis_vec_double_cdata(g->s2) &&
         (!x || adeis_vec_double_cdata(x));
}

static int gaussian_vjp(const adeis_model *m, const adeis_vec *x, const adeis_tpoint *tp,
                        const adeis_vec *v, adeis_vec *jx, adeis_vec *jz, adeis_vec *jtheta)
{
  gaussian *g = G_(m);
  if (fused_path_applies(g, x, v))
    return vjp_double_diagonal(g, x, tp, v, jx, jz, jtheta);
  adeis_gaussian_rotate_t(m, g->w3, v);        /* vr */
  variance_t(g, g->w2, tp);                    /* v_t */
  if (jx || jz) {
    adeis_vec_div(g->w1, g->w3, g->w2);
    adeis_vec_scale(g->w1, tp->sigma, g->w1);  /* sigma vr / v */
    adeis_gaussian_rotate(m, g->w1, g->w1);    /* v^T deps/dx */
    if (jz) {
      mpfr_t c;
      mpfr_init2(c, g->sprec);
      mpfr_neg(c, tp->alpha, RND);
      adeis_vec_scale(g->w4, c, g->w1);        /* v^T deps/dmu */
      mpfr_clear(c);
      mu_to_z(g, jz, g->w4);
    }
    if (jx)
      adeis_vec_copy(jx, g->w1);
  }
  if (jtheta)
    vjp_theta(g, m, jtheta, x, tp);
  return ADEIS_OK;
}

/* x_t = alpha_t mu + Q [sqrt(v_t/v_s) Q^T (x_s - alpha_s mu)] */
static int gaussian_flow(const adeis_model *m, adeis_vec *x_t, const adeis_tpoint *t,
                         const adeis_vec *x_s, const adeis_tpoint *s)
{
  gaussian *g = G_(m);
  centred_rotated(g, m, g->w1, x_s, s->alpha);
  variance_t(g, g->w2, t);
  variance_t(g, g->w3, s);
  adeis_vec_div(g->w2, g->w2, g->w3);
  adeis_vec_sqrt(g->w2, g->w2);
  adeis_vec_prod(g->w1, g->w1, g->w2);
  adeis_gaussian_rotate(m, g->w1, g->w1);
  mpfr_t one;
  mpfr_init2(one, 8);
  mpfr_set_ui(one, 1, RND);
  adeis_vec_lincomb(x_t, 2, (mpfr_srcptr[]){t->alpha, one}, (const adeis_vec *[]){g->mu, g->w1});
  mpfr_clear(one);
  return ADEIS_OK;
}

const adeis_model_type adeis_gaussian_type = {"gaussian", gaussian_eps, gaussian_vjp, gaussian_flow};

/* gz = W^T (alpha_0 G - alpha_T J G), J G given in w1 */
static void exact_mu_grad(const gaussian *g, adeis_vec *gz, const adeis_vec *G,
                          const adeis_tpoint *t0, const adeis_tpoint *tT)
{
  mpfr_t na;
  mpfr_init2(na, g->sprec);
  mpfr_neg(na, tT->alpha, RND);
  adeis_vec_lincomb(g->w4, 2, (mpfr_srcptr[]){t0->alpha, na}, (const adeis_vec *[]){G, g->w1});
  mpfr_clear(na);
  mu_to_z(g, gz, g->w4);
}

int adeis_gaussian_exact_ode_grad(const adeis_model *m, const adeis_tpoint *t0,
                                  const adeis_tpoint *tT, const adeis_vec *x_T, const adeis_vec *G,
                                  adeis_vec *gx, adeis_vec *gz, adeis_vec *gtheta)
{
  gaussian *g = G_(m);
  adeis_vec *rho = adeis_vec_alloc(m->be, g->dim), *v0 = adeis_vec_alloc(m->be, g->dim);
  if (!rho || !v0) {
    adeis_vec_free(rho);
    adeis_vec_free(v0);
    return ADEIS_ENOMEM;
  }
  variance_t(g, v0, t0);
  variance_t(g, g->w2, tT);
  adeis_vec_div(rho, v0, g->w2);
  adeis_vec_sqrt(rho, rho);                       /* rho = sqrt(v_0/v_T) */
  adeis_gaussian_rotate_t(m, g->w3, G);           /* G_r */
  adeis_vec_prod(g->w1, rho, g->w3);
  adeis_gaussian_rotate(m, g->w1, g->w1);         /* Q rho G_r */
  if (gx)
    adeis_vec_copy(gx, g->w1);
  if (gz)
    exact_mu_grad(g, gz, G, t0, tT);
  if (gtheta) {
    /* G_r s2 yr_T rho (alpha_0^2/v_0 - alpha_T^2/v_T)/2 */
    centred_rotated(g, m, g->w1, x_T, tT->alpha);
    adeis_vec_prod(g->w1, g->w1, g->w3);
    adeis_vec_prod(g->w1, g->w1, g->s2);
    adeis_vec_prod(g->w1, g->w1, rho);            /* G_r s2 yr rho */
    /* coefficient (alpha_0^2/v_0 - alpha_T^2/v_T)/2, componentwise */
    mpfr_t c0, cT;
    mpfr_inits2(g->sprec, c0, cT, (mpfr_ptr)0);
    mpfr_sqr(c0, t0->alpha, RND);
    mpfr_div_2ui(c0, c0, 1, RND);
    mpfr_sqr(cT, tT->alpha, RND);
    mpfr_div_2ui(cT, cT, 1, RND);
    mpfr_neg(cT, cT, RND);
    adeis_vec_div(rho, g->w1, v0);
    adeis_vec_div(g->w4, g->w1, g->w2);
    adeis_vec_lincomb(gtheta, 2, (mpfr_srcptr[]){c0, cT}, (const adeis_vec *[]){rho, g->w4});
    mpfr_clears(c0, cT, (mpfr_ptr)0);
  }
  adeis_vec_free(rho);
  adeis_vec_free(v0);
  return ADEIS_OK;
}

void adeis_gaussian_sde_phi(const adeis_model *m, adeis_vec *phi, const adeis_tpoint *t0,
                            const adeis_tpoint *tT)
{
  gaussian *g = G_(m);
  variance_t(g, g->w1, t0);
  variance_t(g, g->w2, tT);
  adeis_vec_div(phi, g->w1, g->w2);
  mpfr_t c;
  mpfr_init2(c, g->sprec);
  mpfr_div(c, tT->alpha, t0->alpha, RND);
  adeis_vec_scale(phi, c, phi);
  mpfr_clear(c);
}

int adeis_gaussian_exact_sde_grad(const adeis_model *m, const adeis_tpoint *t0,
                                  const adeis_tpoint *tT, const adeis_vec *G, adeis_vec *gx,
                                  adeis_vec *gz)
{
  gaussian *g = G_(m);
  adeis_vec *phi = adeis_vec_alloc(m->be, g->dim);
  if (!phi)
    return ADEIS_ENOMEM;
  adeis_gaussian_sde_phi(m, phi, t0, tT);
  adeis_gaussian_rotate_t(m, g->w3, G);
  adeis_vec_prod(g->w3, g->w3, phi);
  adeis_gaussian_rotate(m, g->w1, g->w3);
  if (gx)
    adeis_vec_copy(gx, g->w1);
  if (gz)
    exact_mu_grad(g, gz, G, t0, tT);
  adeis_vec_free(phi);
  return ADEIS_OK;
}

/* ---- construction ---- */

static adeis_vec *vec_from(const adeis_backend *be, size_t n, mpfr_srcptr const a[])
{
  adeis_vec *v = adeis_vec_alloc(be, n);
  if (v && a)
    for (size_t i = 0; i < n; i++)
      adeis_vec_set(v, i, a[i]);
  return v;
}

static int build_rotation(gaussian *g, const adeis_backend *be, unsigned long seed)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!r)
    return ADEIS_ENOMEM;
  gsl_rng_set(r, seed);
  g->u = calloc(g->dim, sizeof *g->u);
  g->beta = malloc(g->dim * sizeof *g->beta);
  if (!g->u || !g->beta) {
    gsl_rng_free(r);
    return ADEIS_ENOMEM;
  }
  for (size_t j = 0; j < g->dim; j++) {
    mpfr_init2(g->beta[j], g->sprec);
    g->n_refl = j + 1;
    g->u[j] = adeis_vec_alloc(be, g->dim);
    if (!g->u[j]) {
      gsl_rng_free(r);
      return ADEIS_ENOMEM;
    }
    for (size_t i = 0; i < g->dim; i++)   /* doubles: exact in every precision */
      adeis_vec_set_d(g->u[j], i, gsl_ran_gaussian(r, 1.0));
    adeis_vec_dot(g->beta[j], g->u[j], g->u[j]);
    mpfr_ui_div(g->beta[j], 2, g->beta[j], RND);
  }
  gsl_rng_free(r);
  return ADEIS_OK;
}

/* mu = m + W z */
static void build_mean(gaussian *g, mpfr_srcptr const m[], mpfr_srcptr const z[])
{
  for (size_t i = 0; i < g->dim; i++)
    adeis_vec_set(g->mu, i, m[i]);
  if (!g->W_cols)
    return;
  mpfr_t one;
  mpfr_init2(one, 8);
  mpfr_set_ui(one, 1, RND);
  for (size_t j = 0; j < g->cond_dim; j++)
    adeis_vec_lincomb(g->mu, 2, (mpfr_srcptr[]){one, z[j]},
                      (const adeis_vec *[]){g->mu, g->W_cols[j]});
  mpfr_clear(one);
}

static int build_W(gaussian *g, const adeis_backend *be, mpfr_srcptr const W[])
{
  g->W_cols = calloc(g->cond_dim, sizeof *g->W_cols);
  if (!g->W_cols)
    return ADEIS_ENOMEM;
  for (size_t j = 0; j < g->cond_dim; j++) {
    g->W_cols[j] = adeis_vec_alloc(be, g->dim);
    if (!g->W_cols[j])
      return ADEIS_ENOMEM;
    for (size_t i = 0; i < g->dim; i++)
      adeis_vec_set(g->W_cols[j], i, W[i * g->cond_dim + j]);
  }
  return ADEIS_OK;
}

static int alloc_work(gaussian *g, const adeis_backend *be, mpfr_srcptr const s2[])
{
  g->mu = adeis_vec_alloc(be, g->dim);
  g->mu_r = adeis_vec_alloc(be, g->dim);
  g->s2 = vec_from(be, g->dim, s2);
  g->w1 = adeis_vec_alloc(be, g->dim);
  g->w2 = adeis_vec_alloc(be, g->dim);
  g->w3 = adeis_vec_alloc(be, g->dim);
  g->w4 = adeis_vec_alloc(be, g->dim);
  return g->mu && g->mu_r && g->s2 && g->w1 && g->w2 && g->w3 && g->w4 ? ADEIS_OK : ADEIS_ENOMEM;
}

int adeis_gaussian_init(adeis_model *model, const adeis_backend *be, size_t dim, size_t cond_dim,
                        mpfr_srcptr const m[], mpfr_srcptr const s2[], mpfr_srcptr const W[],
                        mpfr_srcptr const z[], unsigned long rotation_seed)
{
  for (size_t i = 0; i < dim; i++)
    if (mpfr_sgn(s2[i]) <= 0 || !mpfr_number_p(s2[i])) {
      adeis_set_error("variance %zu must be > 0", i + 1);
      return ADEIS_EINPUT;
    }
  double rot_bytes = (double)dim * (double)dim * adeis_backend_bytes_per_value(be);
  if (rotation_seed && rot_bytes > ADEIS_MEMORY_LIMIT_BYTES) {
    adeis_set_error("a rotation of dimension %zu needs %.3g GiB (dim^2 values), more than the "
                    "%.0f GiB limit",
                    dim, rot_bytes / 1073741824.0, ADEIS_MEMORY_LIMIT_BYTES / 1073741824.0);
    return ADEIS_EINPUT;
  }
  gaussian *g = calloc(1, sizeof *g);
  if (!g)
    return ADEIS_ENOMEM;
  model->type = &adeis_gaussian_type;
  model->be = be;
  model->impl = g;
  g->dim = dim;
  g->cond_dim = cond_dim ? cond_dim : dim;
  g->sprec = adeis_backend_scalar_prec(be);
  model->dim = model->theta_dim = dim;
  model->cond_dim = g->cond_dim;
  int rc = alloc_work(g, be, s2);
  if (!rc && cond_dim)
    rc = build_W(g, be, W);
  if (!rc && rotation_seed)
    rc = build_rotation(g, be, rotation_seed);
  if (rc) {
    adeis_gaussian_clear(model);
    adeis_set_error("out of memory building a Gaussian of dimension %zu", dim);
    return rc;
  }
  build_mean(g, m, z);
  adeis_gaussian_rotate_t(model, g->mu_r, g->mu);
  return ADEIS_OK;
}

void adeis_gaussian_clear(adeis_model *model)
{
  gaussian *g = G_(model);
  if (!g)
    return;
  adeis_vec *vs[] = {g->mu, g->mu_r, g->s2, g->w1, g->w2, g->w3, g->w4};
  for (size_t i = 0; i < sizeof vs / sizeof *vs; i++)
    adeis_vec_free(vs[i]);
  if (g->W_cols)
    for (size_t j = 0; j < g->cond_dim; j++)
      adeis_vec_free(g->W_cols[j]);
  free(g->W_cols);
  if (g->u)
    for (size_t j = 0; j < g->n_refl; j++) {
      adeis_vec_free(g->u[j]);
      if (g->beta)
        mpfr_clear(g->beta[j]);
    }
  free(g->u);
  free(g->beta);
  free(g);
  model->impl = NULL;
}

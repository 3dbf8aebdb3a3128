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
  mpfr_prec_t sprec;
  mpfr_t one;                  /* the constant 1 (read only) */
} gaussian;

/* Scratch of one thread (the model itself is immutable): vectors and scalars, so that no hot
 * path allocates an MPFR temporary per call. */
typedef struct gaussian_ws {
  adeis_vec *w1, *w2, *w3, *w4, *w5, *w6;
  mpfr_t k[4];
} gaussian_ws;

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
static void variance_t(const gaussian *g, gaussian_ws *w, adeis_vec *v, const adeis_tpoint *tp)
{
  mpfr_sqr(w->k[0], tp->alpha, RND);
  mpfr_sqr(w->k[1], tp->sigma, RND);
  adeis_vec_axpb(v, w->k[0], g->s2, w->k[1]);
}

/* yr = Q^T x - alpha mu_r */
static void centred_rotated(const gaussian *g, gaussian_ws *w, const adeis_model *m,
                            adeis_vec *yr, const adeis_vec *x, mpfr_srcptr alpha)
{
  mpfr_neg(w->k[2], alpha, RND);
  adeis_gaussian_rotate_t(m, yr, x);
  adeis_vec_lincomb(yr, 2, (mpfr_srcptr[]){g->one, w->k[2]}, (const adeis_vec *[]){yr, g->mu_r});
}

/* acc += s v (s an MPFR scale) */
static void accumulate(const gaussian *g, adeis_vec *acc, mpfr_srcptr s, const adeis_vec *v)
{
  adeis_vec_lincomb(acc, 2, (mpfr_srcptr[]){g->one, s}, (const adeis_vec *[]){acc, v});
}

/* eps = Q [sigma yr / v] */
static void eps_generic(const adeis_model *m, gaussian_ws *w, adeis_vec *out, const adeis_vec *x,
                        const adeis_tpoint *tp)
{
  const gaussian *g = G_(m);
  centred_rotated(g, w, m, w->w1, x, tp->alpha);
  variance_t(g, w, w->w2, tp);
  adeis_vec_div(w->w1, w->w1, w->w2);
  adeis_vec_scale(w->w1, tp->sigma, w->w1);
  adeis_gaussian_rotate(m, out, w->w1);
}

/* jz += s W^T jmu (W = I when there is no conditioning matrix): up to MU_Z_BLOCK columns of W
 * per pass over jmu (one multi-dot); the cond_dim sums are formed as MPFR numbers and written
 * back in bulk */
#define MU_Z_BLOCK 16

static void mu_to_z_acc(const gaussian *g, adeis_vec *jz, mpfr_srcptr s, const adeis_vec *jmu)
{
  if (!g->W_cols) {
    accumulate(g, jz, s, jmu);
    return;
  }
  __mpfr_struct c[MU_Z_BLOCK], e[MU_Z_BLOCK];
  size_t nb = g->cond_dim < MU_Z_BLOCK ? g->cond_dim : MU_Z_BLOCK;
  for (size_t j = 0; j < nb; j++) {
    mpfr_init2(c + j, g->sprec);
    mpfr_init2(e + j, g->sprec);
  }
  for (size_t j0 = 0; j0 < g->cond_dim; j0 += MU_Z_BLOCK) {
    size_t k = g->cond_dim - j0 < MU_Z_BLOCK ? g->cond_dim - j0 : MU_Z_BLOCK;
    adeis_vec_mdot(c, jmu, k, (const adeis_vec *const *)g->W_cols + j0);
    adeis_vec_export_mpfr(jz, j0, e, k);
    for (size_t j = 0; j < k; j++)
      mpfr_fma(e + j, c + j, s, e + j, RND);
    adeis_vec_import_mpfr(jz, j0, e, k);
  }
  for (size_t j = 0; j < nb; j++)
    mpfr_clears(c + j, e + j, (mpfr_ptr)0);
}

/* jtheta += s v^T deps/dtheta, v^T deps/dtheta_i = -(vr_i / v_i) sigma yr_i alpha^2 s2_i / v_i
 * (rotated basis); on entry w2 = v, w5 = vr / v */
static void vjp_theta_acc(const gaussian *g, const adeis_model *m, gaussian_ws *w,
                          adeis_vec *jtheta, mpfr_srcptr s, const adeis_vec *x,
                          const adeis_tpoint *tp)
{
  centred_rotated(g, w, m, w->w4, x, tp->alpha);
  adeis_vec_prod(w->w4, w->w4, g->s2);
  adeis_vec_div(w->w4, w->w4, w->w2);
  adeis_vec_prod(w->w4, w->w4, w->w5);
  mpfr_ptr c = w->k[3];
  mpfr_sqr(c, tp->alpha, RND);
  mpfr_mul(c, c, tp->sigma, RND);
  mpfr_neg(c, c, RND);
  mpfr_mul(c, c, s, RND);
  accumulate(g, jtheta, c, w->w4);
}

/* Double storage, diagonal covariance, W = I: every requested output in one pass over memory
 * (the same formulas as the generic path, fused; the generic path is the reference in the
 * tests). Cloned for AVX2 where the CPU has it (ifunc dispatch): the division is the
 * bottleneck. */
__attribute__((target_clones("avx2", "default")))
static void eval_double_diagonal(const gaussian *g, const adeis_vec *x, const adeis_tpoint *tp,
                                 const adeis_eval *io)
{
  const double alpha = mpfr_get_d(tp->alpha, RND), sigma = mpfr_get_d(tp->sigma, RND);
  const double a2 = alpha * alpha, sg2 = sigma * sigma;
  const double *restrict s2 = adeis_vec_double_cdata(g->s2);
  const size_t n = g->dim;
  const unsigned want = io->want;
  if (want == ADEIS_WANT_JX) { /* the adjoint of x alone: the hot loop of a step */
    const double *restrict a = adeis_vec_double_cdata(io->v);
    double *restrict ox = adeis_vec_double_data(io->jx);
    for (size_t i = 0; i < n; i++)
      ox[i] = sigma * a[i] / (a2 * s2[i] + sg2);
    return;
  }
  const int vjp = (want & ~ADEIS_WANT_EPS) != 0;
  const double *restrict a = vjp ? adeis_vec_double_cdata(io->v) : NULL;
  const double *restrict xs = adeis_vec_double_cdata(x);
  const double *restrict mu = adeis_vec_double_cdata(g->mu);
  double *oe = want & ADEIS_WANT_EPS ? adeis_vec_double_data(io->eps) : NULL;
  double *ox = want & ADEIS_WANT_JX ? adeis_vec_double_data(io->jx) : NULL;
  double *oz = want & ADEIS_WANT_JZ ? adeis_vec_double_data(io->jz) : NULL;
  double *ot = want & ADEIS_WANT_JTHETA ? adeis_vec_double_data(io->jtheta) : NULL;
  const double sz = oz ? mpfr_get_d(io->sz, RND) : 0, st = ot ? mpfr_get_d(io->stheta, RND) : 0;
  for (size_t i = 0; i < n; i++) {
    double var = a2 * s2[i] + sg2, y = xs[i] - alpha * mu[i];
    if (oe)
      oe[i] = sigma * y / var;
    if (!vjp)
      continue;
    double r = sigma * a[i] / var;
    if (ox)
      ox[i] = r;
    if (oz)
      oz[i] += sz * (-alpha * r);
    if (ot)
      ot[i] += st * (-r * y * a2 * s2[i] / var);
  }
}

static int fused_path_applies(const gaussian *g, const adeis_vec *x, const adeis_eval *io)
{
  if (g->n_refl || g->W_cols || !adeis_vec_double_cdata(g->s2) || !adeis_vec_double_cdata(x))
    return 0;
  if ((io->want & ~ADEIS_WANT_EPS) && !adeis_vec_double_cdata(io->v))
    return 0;
  return 1;
}

static void vjp_generic(const adeis_model *m, gaussian_ws *w, const adeis_vec *x,
                        const adeis_tpoint *tp, const adeis_eval *io)
{
  const gaussian *g = G_(m);
  adeis_gaussian_rotate_t(m, w->w3, io->v);   /* vr */
  variance_t(g, w, w->w2, tp);                 /* v_t */
  adeis_vec_div(w->w5, w->w3, w->w2);          /* vr / v */
  if (io->want & (ADEIS_WANT_JX | ADEIS_WANT_JZ)) {
    adeis_vec_scale(w->w1, tp->sigma, w->w5);  /* sigma vr / v */
    adeis_gaussian_rotate(m, w->w1, w->w1);    /* v^T deps/dx */
    if (io->want & ADEIS_WANT_JZ) {
      mpfr_neg(w->k[3], tp->alpha, RND);
      adeis_vec_scale(w->w4, w->k[3], w->w1);  /* v^T deps/dmu */
      mu_to_z_acc(g, io->jz, io->sz, w->w4);
    }
    if (io->want & ADEIS_WANT_JX)
      adeis_vec_copy(io->jx, w->w1);
  }
  if (io->want & ADEIS_WANT_JTHETA)
    vjp_theta_acc(g, m, w, io->jtheta, io->stheta, x, tp);
}

static int gaussian_eval(const adeis_model *m, void *ws, const adeis_vec *x, const adeis_tpoint *tp,
                         const adeis_eval *io)
{
  const gaussian *g = G_(m);
  if (fused_path_applies(g, x, io)) {
    eval_double_diagonal(g, x, tp, io);
    return ADEIS_OK;
  }
  if (io->want & ADEIS_WANT_EPS)
    eps_generic(m, ws, io->eps, x, tp);
  if (io->want & ~ADEIS_WANT_EPS)
    vjp_generic(m, ws, x, tp, io);
  return ADEIS_OK;
}

/* x_t = alpha_t mu + Q [sqrt(v_t/v_s) Q^T (x_s - alpha_s mu)] */
static int gaussian_flow(const adeis_model *m, void *ws, adeis_vec *x_t, const adeis_tpoint *t,
                         const adeis_vec *x_s, const adeis_tpoint *s)
{
  const gaussian *g = G_(m);
  gaussian_ws *w = ws;
  centred_rotated(g, w, m, w->w1, x_s, s->alpha);
  variance_t(g, w, w->w2, t);
  variance_t(g, w, w->w3, s);
  adeis_vec_div(w->w2, w->w2, w->w3);
  adeis_vec_sqrt(w->w2, w->w2);
  adeis_vec_prod(w->w1, w->w1, w->w2);
  adeis_gaussian_rotate(m, w->w1, w->w1);
  adeis_vec_lincomb(x_t, 2, (mpfr_srcptr[]){t->alpha, g->one}, (const adeis_vec *[]){g->mu, w->w1});
  return ADEIS_OK;
}

/* gz = W^T (alpha_0 G - alpha_T J G), J G given in w1 */
static void exact_mu_grad(const gaussian *g, gaussian_ws *w, adeis_vec *gz, const adeis_vec *G,
                          const adeis_tpoint *t0, const adeis_tpoint *tT)
{
  mpfr_t na, one;
  mpfr_inits2(g->sprec, na, one, (mpfr_ptr)0);
  mpfr_neg(na, tT->alpha, RND);
  mpfr_set_ui(one, 1, RND);
  adeis_vec_lincomb(w->w4, 2, (mpfr_srcptr[]){t0->alpha, na}, (const adeis_vec *[]){G, w->w1});
  adeis_vec_set_zero(gz);
  mu_to_z_acc(g, gz, one, w->w4);
  mpfr_clears(na, one, (mpfr_ptr)0);
}

static int gaussian_exact_ode(const adeis_model *m, void *ws, const adeis_tpoint *t0,
                              const adeis_tpoint *tT, const adeis_vec *x_T, const adeis_vec *G,
                              adeis_vec *gx, adeis_vec *gz, adeis_vec *gtheta)
{
  const gaussian *g = G_(m);
  gaussian_ws *w = ws;
  adeis_vec *rho = w->w5, *v0 = w->w6;
  variance_t(g, w, v0, t0);
  variance_t(g, w, w->w2, tT);
  adeis_vec_div(rho, v0, w->w2);
  adeis_vec_sqrt(rho, rho);                       /* rho = sqrt(v_0/v_T) */
  adeis_gaussian_rotate_t(m, w->w3, G);           /* G_r */
  adeis_vec_prod(w->w1, rho, w->w3);
  adeis_gaussian_rotate(m, w->w1, w->w1);         /* Q rho G_r */
  if (gx)
    adeis_vec_copy(gx, w->w1);
  if (gz)
    exact_mu_grad(g, w, gz, G, t0, tT);
  if (gtheta) {
    /* G_r s2 yr_T rho (alpha_0^2/v_0 - alpha_T^2/v_T)/2 */
    centred_rotated(g, w, m, w->w1, x_T, tT->alpha);
    adeis_vec_prod(w->w1, w->w1, w->w3);
    adeis_vec_prod(w->w1, w->w1, g->s2);
    adeis_vec_prod(w->w1, w->w1, rho);            /* G_r s2 yr rho */
    /* coefficient (alpha_0^2/v_0 - alpha_T^2/v_T)/2, componentwise */
    mpfr_t c0, cT;
    mpfr_inits2(g->sprec, c0, cT, (mpfr_ptr)0);
    mpfr_sqr(c0, t0->alpha, RND);
    mpfr_div_2ui(c0, c0, 1, RND);
    mpfr_sqr(cT, tT->alpha, RND);
    mpfr_div_2ui(cT, cT, 1, RND);
    mpfr_neg(cT, cT, RND);
    adeis_vec_div(rho, w->w1, v0);
    adeis_vec_div(w->w4, w->w1, w->w2);
    adeis_vec_lincomb(gtheta, 2, (mpfr_srcptr[]){c0, cT}, (const adeis_vec *[]){rho, w->w4});
    mpfr_clears(c0, cT, (mpfr_ptr)0);
  }
  return ADEIS_OK;
}

static void sde_phi(const gaussian *g, gaussian_ws *w, adeis_vec *phi, const adeis_tpoint *t0,
                    const adeis_tpoint *tT)
{
  variance_t(g, w, w->w1, t0);
  variance_t(g, w, w->w2, tT);
  adeis_vec_div(phi, w->w1, w->w2);
  mpfr_t c;
  mpfr_init2(c, g->sprec);
  mpfr_div(c, tT->alpha, t0->alpha, RND);
  adeis_vec_scale(phi, c, phi);
  mpfr_clear(c);
}

static int gaussian_exact_sde(const adeis_model *m, void *ws, const adeis_tpoint *t0,
                              const adeis_tpoint *tT, const adeis_vec *G, adeis_vec *gx,
                              adeis_vec *gz)
{
  const gaussian *g = G_(m);
  gaussian_ws *w = ws;
  sde_phi(g, w, w->w5, t0, tT);
  adeis_gaussian_rotate_t(m, w->w3, G);
  adeis_vec_prod(w->w3, w->w3, w->w5);
  adeis_gaussian_rotate(m, w->w1, w->w3);
  if (gx)
    adeis_vec_copy(gx, w->w1);
  if (gz)
    exact_mu_grad(g, w, gz, G, t0, tT);
  return ADEIS_OK;
}

static void *gaussian_ws_alloc(const adeis_model *m)
{
  gaussian_ws *w = calloc(1, sizeof *w);
  if (!w)
    return NULL;
  adeis_vec **vs[] = {&w->w1, &w->w2, &w->w3, &w->w4, &w->w5, &w->w6};
  for (int i = 0; i < 4; i++)
    mpfr_init2(w->k[i], G_(m)->sprec);
  int ok = 1;
  for (size_t i = 0; i < sizeof vs / sizeof *vs; i++)
    ok &= (*vs[i] = adeis_vec_alloc(m->be, m->dim)) != NULL;
  if (!ok) {
    adeis_model_ws_free(m, w);
    return NULL;
  }
  return w;
}

static void gaussian_ws_free(const adeis_model *m, void *ws)
{
  (void)m;
  gaussian_ws *w = ws;
  adeis_vec *vs[] = {w->w1, w->w2, w->w3, w->w4, w->w5, w->w6};
  for (size_t i = 0; i < sizeof vs / sizeof *vs; i++)
    adeis_vec_free(vs[i]);
  for (int i = 0; i < 4; i++)
    mpfr_clear(w->k[i]);
  free(w);
}

static void gaussian_clear(adeis_model *m);

const adeis_model_ops adeis_gaussian_ops = {
  .name = "gaussian",
  .caps = ADEIS_CAP_FLOW | ADEIS_CAP_EXACT_ODE | ADEIS_CAP_EXACT_SDE | ADEIS_CAP_NO_T,
  .supports = NULL,
  .ws_alloc = gaussian_ws_alloc,
  .ws_free = gaussian_ws_free,
  .eval = gaussian_eval,
  .flow = gaussian_flow,
  .exact_ode = gaussian_exact_ode,
  .exact_sde = gaussian_exact_sde,
  .clear = gaussian_clear,
};

int adeis_gaussian_exact_ode_grad(const adeis_model *m, const adeis_tpoint *t0,
                                  const adeis_tpoint *tT, const adeis_vec *x_T, const adeis_vec *G,
                                  adeis_vec *gx, adeis_vec *gz, adeis_vec *gtheta)
{
  return adeis_model_exact_ode(m, NULL, t0, tT, x_T, G, gx, gz, gtheta);
}

int adeis_gaussian_exact_sde_grad(const adeis_model *m, const adeis_tpoint *t0,
                                  const adeis_tpoint *tT, const adeis_vec *G, adeis_vec *gx,
                                  adeis_vec *gz)
{
  return adeis_model_exact_sde(m, NULL, t0, tT, G, gx, gz);
}

void adeis_gaussian_sde_phi(const adeis_model *m, adeis_vec *phi, const adeis_tpoint *t0,
                            const adeis_tpoint *tT)
{
  gaussian_ws *w = gaussian_ws_alloc(m);
  if (!w)
    abort();
  sde_phi(G_(m), w, phi, t0, tT);
  gaussian_ws_free(m, w);
}

/* ---- construction ---- */

/* A new copy of x on be (NULL when out of memory). */
static adeis_vec *vec_copy_of(const adeis_backend *be, const adeis_vec *x)
{
  adeis_vec *v = adeis_vec_alloc(be, x->n);
  if (v)
    adeis_vec_copy(v, x);
  return v;
}

static int build_rotation(gaussian *g, const adeis_backend *be, unsigned long seed)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  double *row = malloc(g->dim * sizeof *row);
  g->u = calloc(g->dim, sizeof *g->u);
  g->beta = malloc(g->dim * sizeof *g->beta);
  int rc = r && row && g->u && g->beta ? ADEIS_OK : ADEIS_ENOMEM;
  if (r)
    gsl_rng_set(r, seed);
  for (size_t j = 0; j < g->dim && !rc; j++) {
    mpfr_init2(g->beta[j], g->sprec);
    g->n_refl = j + 1;
    g->u[j] = adeis_vec_alloc(be, g->dim);
    if (!g->u[j]) {
      rc = ADEIS_ENOMEM;
      break;
    }
    for (size_t i = 0; i < g->dim; i++)
      row[i] = gsl_ran_gaussian(r, 1.0);
    adeis_vec_import_d(g->u[j], 0, row, g->dim);   /* doubles: exact in every precision */
    adeis_vec_dot(g->beta[j], g->u[j], g->u[j]);    /* exact: Q is orthogonal at any precision */
    mpfr_ui_div(g->beta[j], 2, g->beta[j], RND);
  }
  free(row);
  gsl_rng_free(r);
  return rc;
}

/* mu = m + W z */
static void build_mean(gaussian *g, const adeis_vec *m, mpfr_srcptr const z[])
{
  adeis_vec_copy(g->mu, m);
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

static int build_W(gaussian *g, const adeis_backend *be, const adeis_vec *const W_cols[])
{
  g->W_cols = calloc(g->cond_dim, sizeof *g->W_cols);
  if (!g->W_cols)
    return ADEIS_ENOMEM;
  for (size_t j = 0; j < g->cond_dim; j++)
    if (!(g->W_cols[j] = vec_copy_of(be, W_cols[j])))
      return ADEIS_ENOMEM;
  return ADEIS_OK;
}

static int alloc_work(gaussian *g, const adeis_backend *be, const adeis_vec *s2)
{
  g->mu = adeis_vec_alloc(be, g->dim);
  g->mu_r = adeis_vec_alloc(be, g->dim);
  g->s2 = vec_copy_of(be, s2);
  return g->mu && g->mu_r && g->s2 ? ADEIS_OK : ADEIS_ENOMEM;
}

/* The lengths and values init_vecs accepts. */
static int check_input(size_t dim, size_t cond_dim, const adeis_vec *m, const adeis_vec *s2,
                       const adeis_vec *const W_cols[])
{
  int bad = m->n != dim || s2->n != dim;
  for (size_t j = 0; cond_dim && j < cond_dim; j++)
    bad |= W_cols[j]->n != dim;
  if (bad) {
    adeis_set_error("gaussian: vectors of other than %zu components", dim);
    return ADEIS_EINPUT;
  }
  size_t i = adeis_vec_find_nonpositive(s2);
  if (i < dim) {
    adeis_set_error("variance %zu must be > 0", i + 1);
    return ADEIS_EINPUT;
  }
  return ADEIS_OK;
}

int adeis_gaussian_init_vecs(adeis_model *model, const adeis_backend *be, size_t dim,
                             size_t cond_dim, const adeis_vec *m, const adeis_vec *s2,
                             const adeis_vec *const W_cols[], mpfr_srcptr const z[],
                             unsigned long rotation_seed)
{
  int rc = check_input(dim, cond_dim, m, s2, W_cols);
  if (rc)
    return rc;
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
  model->ops = &adeis_gaussian_ops;
  model->be = be;
  model->impl = g;
  g->dim = dim;
  g->cond_dim = cond_dim ? cond_dim : dim;
  g->sprec = adeis_backend_scalar_prec(be);
  mpfr_init2(g->one, 8);
  mpfr_set_ui(g->one, 1, RND);
  model->dim = model->theta_dim = dim;
  model->cond_dim = g->cond_dim;
  rc = alloc_work(g, be, s2);
  if (!rc && cond_dim)
    rc = build_W(g, be, W_cols);
  if (!rc && rotation_seed)
    rc = build_rotation(g, be, rotation_seed);
  if (rc) {
    adeis_gaussian_clear(model);
    adeis_set_error("out of memory building a Gaussian of dimension %zu", dim);
    return rc;
  }
  build_mean(g, m, cond_dim ? z : NULL);
  adeis_gaussian_rotate_t(model, g->mu_r, g->mu);
  return ADEIS_OK;
}

/* n MPFR numbers a[off + i * stride] into a new vector (NULL when out of memory). */
static adeis_vec *vec_from(const adeis_backend *be, size_t n, mpfr_srcptr const a[], size_t off,
                           size_t stride)
{
  adeis_vec *v = adeis_vec_alloc(be, n);
  for (size_t i = 0; v && i < n; i++)
    adeis_vec_set(v, i, a[off + i * stride]);
  return v;
}

static void vecs_free(adeis_vec **v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    adeis_vec_free(v[i]);
  free(v);
}

int adeis_gaussian_init(adeis_model *model, const adeis_backend *be, size_t dim, size_t cond_dim,
                        mpfr_srcptr const m[], mpfr_srcptr const s2[], mpfr_srcptr const W[],
                        mpfr_srcptr const z[], unsigned long rotation_seed)
{
  adeis_vec *mv = vec_from(be, dim, m, 0, 1), *sv = vec_from(be, dim, s2, 0, 1);
  adeis_vec **cols = cond_dim ? calloc(cond_dim, sizeof *cols) : NULL;
  int rc = mv && sv && (cols || !cond_dim) ? ADEIS_OK : ADEIS_ENOMEM;
  for (size_t j = 0; !rc && j < cond_dim; j++)
    if (!(cols[j] = vec_from(be, dim, W, j, cond_dim)))
      rc = ADEIS_ENOMEM;
  if (rc)
    adeis_set_error("out of memory building a Gaussian of dimension %zu", dim);
  else
    rc = adeis_gaussian_init_vecs(model, be, dim, cond_dim, mv, sv,
                                  (const adeis_vec *const *)cols, z, rotation_seed);
  vecs_free(cols, cond_dim);
  adeis_vec_free(mv);
  adeis_vec_free(sv);
  return rc;
}

void adeis_gaussian_clear(adeis_model *model)
{
  gaussian_clear(model);
}

static void gaussian_clear(adeis_model *model)
{
  gaussian *g = G_(model);
  if (!g)
    return;
  adeis_vec *vs[] = {g->mu, g->mu_r, g->s2};
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
  mpfr_clear(g->one);
  free(g);
  model->impl = NULL;
}

/* Gaussian mixtures (gmm.h, docs/math.md section 9).
 *
 * At time t, with C_k = alpha^2 s2_k + sigma^2 (componentwise), y_k = x - alpha mu_k and
 * q_k = y_k / C_k (= -g_k, minus the score of component k):
 *   l_k = z_k - (y_k . q_k)/2 - (sum_i log C_ki)/2,   w = softmax(l)   (log-sum-exp),
 *   eps = sigma sum_k w_k q_k                         (= -sigma gbar).
 * With a cotangent v, u_k = v / C_k and b_k = v.q_k - sum_m w_m v.q_m:
 *   v^T deps/dx   = sigma sum_k w_k (u_k - b_k q_k)    (= -sigma H v, H the Hessian of log p_t)
 *   v^T deps/dz_k = sigma w_k b_k
 *   v^T deps/dmu_k = -alpha sigma w_k (u_k - b_k q_k)
 *   v^T deps/dlog s2_k = -sigma w_k alpha^2 s2_k (u_k q_k - (b_k/2)(q_k^2 - 1/C_k)).
 * Derivation: dw_m/dl_k = w_m (delta_mk - w_k), so a change of l_k moves eps by
 * sigma w_k (q_k - qbar) dl_k (qbar = sum_m w_m q_m), and v.(q_k - qbar) = b_k. Then
 * dl_k/dz_k = 1; dl_k/dmu_k = alpha q_k and dq_k/dmu_k = -alpha diag(1/C_k); with
 * tau = log s2, dC_k/dtau_k = alpha^2 s2_k, dq_k/dC_k = -q_k/C_k and
 * dl_k/dC_k = (q_k^2 - 1/C_k)/2 componentwise. The x product is the sum over k of the mean
 * products divided by -alpha, i.e. -sigma H v with H the Hessian of log p_t (symmetric).
 * The tests check every product against central differences at 256 bits. Vectors are held
 * at the backend's precision, scalars at its scalar precision. */
#include "gmm.h"
#include "../core/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RND MPFR_RNDN

typedef struct gmm {
  size_t dim, K;
  adeis_vec **mu, **s2;      /* K vectors each */
  adeis_vec *ones;
  mpfr_t *z;                 /* the logits, at the scalar precision */
  mpfr_prec_t sprec;
} gmm;

/* Scratch of one thread (the model itself is immutable). */
typedef struct gmm_ws {
  adeis_vec **C, **q, **u;   /* K each: C_k; q_k; u_k = v / C_k */
  adeis_vec *t1, *t2;
  mpfr_t *l, *w, *b;         /* K each */
  mpfr_t *coef;              /* 2K lincomb coefficients */
  mpfr_srcptr *cp;
  const adeis_vec **vp;
  mpfr_t s, c, e;
} gmm_ws;

static const gmm *G_(const adeis_model *m) { return (const gmm *)m->impl; }

/* ---- the responsibilities ---- */

/* sum_i log C_i at the scalar precision (in double for double storage) */
static void log_det(mpfr_ptr r, const adeis_vec *C, mpfr_ptr tmp)
{
  const double *d = adeis_vec_double_cdata(C);
  if (d) {
    long double s = 0;
    for (size_t i = 0; i < C->n; i++)
      s += logl((long double)d[i]);
    mpfr_set_ld(r, s, RND);
    return;
  }
  mpfr_set_zero(r, 1);
  for (size_t i = 0; i < C->n; i++) {
    adeis_vec_get(tmp, C, i);
    mpfr_log(tmp, tmp, RND);
    mpfr_add(r, r, tmp, RND);
  }
}

/* C_k, q_k and l_k for every component, then w = softmax(l) */
static void responsibilities(const gmm *g, gmm_ws *w, const adeis_vec *x, const adeis_tpoint *tp)
{
  mpfr_t a2, sg2, one, na;
  mpfr_inits2(g->sprec, a2, sg2, one, na, (mpfr_ptr)0);
  mpfr_sqr(a2, tp->alpha, RND);
  mpfr_sqr(sg2, tp->sigma, RND);
  mpfr_set_ui(one, 1, RND);
  mpfr_neg(na, tp->alpha, RND);
  for (size_t k = 0; k < g->K; k++) {
    adeis_vec_axpb(w->C[k], a2, g->s2[k], sg2);
    adeis_vec_lincomb(w->t1, 2, (mpfr_srcptr[]){one, na}, (const adeis_vec *[]){x, g->mu[k]});
    adeis_vec_div(w->q[k], w->t1, w->C[k]);
    adeis_vec_dot(w->s, w->t1, w->q[k]);            /* y.q */
    log_det(w->c, w->C[k], w->e);
    mpfr_add(w->s, w->s, w->c, RND);
    mpfr_div_2ui(w->s, w->s, 1, RND);
    mpfr_sub(w->l[k], g->z[k], w->s, RND);
  }
  mpfr_set(w->c, w->l[0], RND);                      /* the largest l */
  for (size_t k = 1; k < g->K; k++)
    mpfr_max(w->c, w->c, w->l[k], RND);
  mpfr_set_zero(w->s, 1);
  for (size_t k = 0; k < g->K; k++) {
    mpfr_sub(w->w[k], w->l[k], w->c, RND);
    mpfr_exp(w->w[k], w->w[k], RND);
    mpfr_add(w->s, w->s, w->w[k], RND);
  }
  for (size_t k = 0; k < g->K; k++)
    mpfr_div(w->w[k], w->w[k], w->s, RND);
  mpfr_clears(a2, sg2, one, na, (mpfr_ptr)0);
}

/* ---- the products ---- */

/* b_k = v.q_k - sum_m w_m v.q_m */
static void centred_dots(const gmm *g, gmm_ws *w, const adeis_vec *v)
{
  mpfr_set_zero(w->s, 1);
  for (size_t k = 0; k < g->K; k++) {
    adeis_vec_dot(w->b[k], v, w->q[k]);
    mpfr_fma(w->s, w->w[k], w->b[k], w->s, RND);
  }
  for (size_t k = 0; k < g->K; k++)
    mpfr_sub(w->b[k], w->b[k], w->s, RND);
}

/* y = c sum_k w_k (u_k - b_k q_k) */
static void hessian_combination(const gmm *g, gmm_ws *w, adeis_vec *y, mpfr_srcptr c)
{
  size_t K = g->K;
  for (size_t k = 0; k < K; k++) {
    mpfr_mul(w->coef[k], c, w->w[k], RND);
    mpfr_mul(w->coef[K + k], w->coef[k], w->b[k], RND);
    mpfr_neg(w->coef[K + k], w->coef[K + k], RND);
    w->cp[k] = w->coef[k];
    w->cp[K + k] = w->coef[K + k];
    w->vp[k] = w->u[k];
    w->vp[K + k] = w->q[k];
  }
  adeis_vec_lincomb(y, 2 * K, w->cp, w->vp);
}

/* acc[off + i] += t[i] for i < t->n: a view of the block and one lincomb (rounded once) */
static void add_block(adeis_vec *acc, size_t off, const adeis_vec *t, mpfr_srcptr one)
{
  adeis_vec blk;
  adeis_vec_view_init(&blk, acc, off, t->n);
  adeis_vec_lincomb(&blk, 2, (mpfr_srcptr[]){one, one}, (const adeis_vec *[]){&blk, t});
}

/* jz_k += sz sigma w_k b_k */
static void jz_acc(const gmm *g, gmm_ws *w, adeis_vec *jz, mpfr_srcptr sz, mpfr_srcptr sigma)
{
  mpfr_t e;
  mpfr_init2(e, jz->be->prec);
  for (size_t k = 0; k < g->K; k++) {
    mpfr_mul(w->s, sz, sigma, RND);
    mpfr_mul(w->s, w->s, w->w[k], RND);
    mpfr_mul(w->s, w->s, w->b[k], RND);
    adeis_vec_get(e, jz, k);
    mpfr_add(e, e, w->s, RND);
    adeis_vec_set(jz, k, e);
  }
  mpfr_clear(e);
}

/* the mean and log-variance blocks of component k (u_k is overwritten) */
static void jtheta_acc(const gmm *g, gmm_ws *w, size_t k, adeis_vec *jt, mpfr_srcptr st,
                       const adeis_tpoint *tp)
{
  size_t D = g->dim;
  mpfr_t c1, c2, one;
  mpfr_inits2(g->sprec, c1, c2, one, (mpfr_ptr)0);
  mpfr_set_ui(one, 1, RND);
  /* -alpha sigma w_k st (u_k - b_k q_k) */
  mpfr_mul(c1, tp->alpha, tp->sigma, RND);
  mpfr_mul(c1, c1, w->w[k], RND);
  mpfr_mul(c1, c1, st, RND);
  mpfr_neg(c1, c1, RND);
  mpfr_mul(c2, c1, w->b[k], RND);
  mpfr_neg(c2, c2, RND);
  adeis_vec_lincomb(w->t1, 2, (mpfr_srcptr[]){c1, c2}, (const adeis_vec *[]){w->u[k], w->q[k]});
  add_block(jt, k * D, w->t1, one);
  /* -sigma w_k alpha^2 st s2_k (u_k q_k - (b_k/2)(q_k^2 - 1/C_k)) */
  adeis_vec_prod(w->t1, w->u[k], w->q[k]);
  adeis_vec_prod(w->t2, w->q[k], w->q[k]);
  adeis_vec_div(w->u[k], g->ones, w->C[k]);
  mpfr_neg(c1, one, RND);
  adeis_vec_lincomb(w->t2, 2, (mpfr_srcptr[]){one, c1}, (const adeis_vec *[]){w->t2, w->u[k]});
  mpfr_div_2ui(c2, w->b[k], 1, RND);
  mpfr_neg(c2, c2, RND);
  adeis_vec_lincomb(w->t1, 2, (mpfr_srcptr[]){one, c2}, (const adeis_vec *[]){w->t1, w->t2});
  adeis_vec_prod(w->t1, w->t1, g->s2[k]);
  mpfr_sqr(c1, tp->alpha, RND);
  mpfr_mul(c1, c1, tp->sigma, RND);
  mpfr_mul(c1, c1, w->w[k], RND);
  mpfr_mul(c1, c1, st, RND);
  mpfr_neg(c1, c1, RND);
  adeis_vec_scale(w->t1, c1, w->t1);
  add_block(jt, (g->K + k) * D, w->t1, one);
  mpfr_clears(c1, c2, one, (mpfr_ptr)0);
}

static void products(const gmm *g, gmm_ws *w, const adeis_tpoint *tp, const adeis_eval *io)
{
  centred_dots(g, w, io->v);
  if (io->want & (ADEIS_WANT_JX | ADEIS_WANT_JTHETA))
    for (size_t k = 0; k < g->K; k++)
      adeis_vec_div(w->u[k], io->v, w->C[k]);
  if (io->want & ADEIS_WANT_JX)
    hessian_combination(g, w, io->jx, tp->sigma);
  if (io->want & ADEIS_WANT_JZ)
    jz_acc(g, w, io->jz, io->sz, tp->sigma);
  if (io->want & ADEIS_WANT_JTHETA)
    for (size_t k = 0; k < g->K; k++)
      jtheta_acc(g, w, k, io->jtheta, io->stheta, tp);
}

static int gmm_eval(const adeis_model *m, void *ws, const adeis_vec *x, const adeis_tpoint *tp,
                    const adeis_eval *io)
{
  const gmm *g = G_(m);
  gmm_ws *w = ws;
  responsibilities(g, w, x, tp);
  if (io->want & ADEIS_WANT_EPS) {
    for (size_t k = 0; k < g->K; k++) {
      mpfr_mul(w->coef[k], tp->sigma, w->w[k], RND);
      w->cp[k] = w->coef[k];
      w->vp[k] = w->q[k];
    }
    adeis_vec_lincomb(io->eps, g->K, w->cp, w->vp);
  }
  if (io->want & ~ADEIS_WANT_EPS)
    products(g, w, tp, io);
  return ADEIS_OK;
}

/* ---- workspaces ---- */

static void vecs_free(adeis_vec **v, size_t n)
{
  if (v)
    for (size_t i = 0; i < n; i++)
      adeis_vec_free(v[i]);
  free(v);
}

static adeis_vec **vecs_alloc(const adeis_backend *be, size_t n, size_t dim)
{
  adeis_vec **v = calloc(n, sizeof *v);
  int ok = v != NULL;
  for (size_t i = 0; ok && i < n; i++)
    ok = (v[i] = adeis_vec_alloc(be, dim)) != NULL;
  if (!ok) {
    vecs_free(v, n);
    return NULL;
  }
  return v;
}

static mpfr_t *scalars_alloc(size_t n, mpfr_prec_t prec)
{
  mpfr_t *s = malloc(n * sizeof *s);
  if (s)
    for (size_t i = 0; i < n; i++)
      mpfr_init2(s[i], prec);
  return s;
}

static void scalars_free(mpfr_t *s, size_t n)
{
  if (s)
    for (size_t i = 0; i < n; i++)
      mpfr_clear(s[i]);
  free(s);
}

static void gmm_ws_free(const adeis_model *m, void *ws)
{
  const gmm *g = G_(m);
  gmm_ws *w = ws;
  size_t K = g->K;
  vecs_free(w->C, K);
  vecs_free(w->q, K);
  vecs_free(w->u, K);
  adeis_vec_free(w->t1);
  adeis_vec_free(w->t2);
  scalars_free(w->l, K);
  scalars_free(w->w, K);
  scalars_free(w->b, K);
  scalars_free(w->coef, 2 * K);
  free(w->cp);
  free(w->vp);
  mpfr_clears(w->s, w->c, w->e, (mpfr_ptr)0);
  free(w);
}

static void *gmm_ws_alloc(const adeis_model *m)
{
  const gmm *g = G_(m);
  gmm_ws *w = calloc(1, sizeof *w);
  if (!w)
    return NULL;
  size_t K = g->K;
  mpfr_inits2(g->sprec, w->s, w->c, w->e, (mpfr_ptr)0);
  w->C = vecs_alloc(m->be, K, g->dim);
  w->q = vecs_alloc(m->be, K, g->dim);
  w->u = vecs_alloc(m->be, K, g->dim);
  w->t1 = adeis_vec_alloc(m->be, g->dim);
  w->t2 = adeis_vec_alloc(m->be, g->dim);
  w->l = scalars_alloc(K, g->sprec);
  w->w = scalars_alloc(K, g->sprec);
  w->b = scalars_alloc(K, g->sprec);
  w->coef = scalars_alloc(2 * K, g->sprec);
  w->cp = malloc(2 * K * sizeof *w->cp);
  w->vp = malloc(2 * K * sizeof *w->vp);
  if (!w->C || !w->q || !w->u || !w->t1 || !w->t2 || !w->l || !w->w || !w->b || !w->coef ||
      !w->cp || !w->vp) {
    gmm_ws_free(m, w);
    return NULL;
  }
  return w;
}

/* ---- construction ---- */

static void gmm_clear(adeis_model *m)
{
  gmm *g = m->impl;
  if (!g)
    return;
  vecs_free(g->mu, g->K);
  vecs_free(g->s2, g->K);
  adeis_vec_free(g->ones);
  scalars_free(g->z, g->K);
  free(g);
  m->impl = NULL;
}

const adeis_model_ops adeis_gmm_ops = {
  .name = "gmm",
  .caps = 0,                 /* no closed-form flow, no exact gradients */
  .supports = NULL,
  .ws_alloc = gmm_ws_alloc,
  .ws_free = gmm_ws_free,
  .eval = gmm_eval,
  .clear = gmm_clear,
};

static int check_values(size_t dim, size_t K, const adeis_vec *means, const adeis_vec *var,
                        mpfr_srcptr const logits[])
{
  if (means->n != K * dim || var->n != K * dim) {
    adeis_set_error("gmm: means and var need %zu numbers each (%zu components of dimension %zu)",
                    K * dim, K, dim);
    return ADEIS_EINPUT;
  }
  size_t i = adeis_vec_find_nonpositive(var);
  if (i < K * dim) {
    adeis_set_error("gmm: variance %zu of component %zu must be > 0", i % dim + 1, i / dim + 1);
    return ADEIS_EINPUT;
  }
  for (size_t k = 0; k < K; k++)
    if (!mpfr_number_p(logits[k])) {
      adeis_set_error("gmm: logit %zu must be finite", k + 1);
      return ADEIS_EINPUT;
    }
  return ADEIS_OK;
}

/* v = block k of a (elements k*dim ..), by a view: no element loop */
static void set_block(adeis_vec *v, const adeis_vec *a, size_t k)
{
  adeis_vec blk;
  adeis_vec_view_init(&blk, a, k * v->n, v->n);
  adeis_vec_copy(v, &blk);
}

int adeis_gmm_init_vecs(adeis_model *model, const adeis_backend *be, size_t dim, size_t K,
                        const adeis_vec *means, const adeis_vec *var, mpfr_srcptr const logits[])
{
  memset(model, 0, sizeof *model);
  if (!dim || !K || (size_t)-1 / 2 / K < dim) {
    adeis_set_error("gmm: dimension %zu with %zu components is out of range", dim, K);
    return ADEIS_EINPUT;
  }
  int rc = check_values(dim, K, means, var, logits);
  if (rc)
    return rc;
  gmm *g = calloc(1, sizeof *g);
  if (!g)
    return ADEIS_ENOMEM;
  model->ops = &adeis_gmm_ops;
  model->be = be;
  model->impl = g;
  model->dim = dim;
  model->cond_dim = K;
  model->theta_dim = 2 * K * dim;
  g->dim = dim;
  g->K = K;
  g->sprec = adeis_backend_scalar_prec(be);
  g->mu = vecs_alloc(be, K, dim);
  g->s2 = vecs_alloc(be, K, dim);
  g->ones = adeis_vec_alloc(be, dim);
  g->z = scalars_alloc(K, g->sprec);
  if (!g->mu || !g->s2 || !g->ones || !g->z) {
    adeis_model_clear(model);
    adeis_set_error("out of memory building a mixture of %zu components in dimension %zu", K, dim);
    return ADEIS_ENOMEM;
  }
  for (size_t k = 0; k < K; k++) {
    set_block(g->mu[k], means, k);
    set_block(g->s2[k], var, k);
    mpfr_set(g->z[k], logits[k], RND);
  }
  mpfr_t one;
  mpfr_init2(one, MPFR_PREC_MIN);
  mpfr_set_ui(one, 1, RND);
  adeis_vec_fill(g->ones, one);
  mpfr_clear(one);
  return ADEIS_OK;
}

/* n MPFR numbers into a new vector (NULL when out of memory) */
static adeis_vec *vec_from(const adeis_backend *be, size_t n, mpfr_srcptr const a[])
{
  adeis_vec *v = adeis_vec_alloc(be, n);
  for (size_t i = 0; v && i < n; i++)
    adeis_vec_set(v, i, a[i]);
  return v;
}

int adeis_gmm_init(adeis_model *model, const adeis_backend *be, size_t dim, size_t K,
                   mpfr_srcptr const means[], mpfr_srcptr const var[],
                   mpfr_srcptr const logits[])
{
  memset(model, 0, sizeof *model);
  if (!dim || !K || (size_t)-1 / 2 / K < dim) {
    adeis_set_error("gmm: dimension %zu with %zu components is out of range", dim, K);
    return ADEIS_EINPUT;
  }
  adeis_vec *mv = vec_from(be, K * dim, means), *vv = vec_from(be, K * dim, var);
  int rc = mv && vv ? adeis_gmm_init_vecs(model, be, dim, K, mv, vv, logits) : ADEIS_ENOMEM;
  if (!mv || !vv)
    adeis_set_error("out of memory building a mixture of %zu components in dimension %zu", K, dim);
  adeis_vec_free(mv);
  adeis_vec_free(vv);
  return rc;
}

/* ---- `type = gmm` in a problem file ---- */

enum { M_DIM, M_COMPONENTS, M_MEANS, M_VAR, M_LOGITS, M_COUNT };

static const adeis_key gmm_keys[M_COUNT] = {
  [M_DIM] = {"dim", ADEIS_KEY_COUNT, 1, NULL},
  [M_COMPONENTS] = {"components", ADEIS_KEY_COUNT, 1, NULL},
  [M_MEANS] = {"means", ADEIS_KEY_LIST, 0, NULL},
  [M_VAR] = {"var", ADEIS_KEY_LIST, 0, "a positive variance"},
  [M_LOGITS] = {"logits", ADEIS_KEY_LIST, 0, NULL},
};

static size_t gmm_check(adeis_param_set *ps)
{
  char what[128];
  if (adeis_param_require(ps, M_DIM, "an integer in 1..100000000"))
    return 0;
  size_t dim = ps->v[M_DIM].u, K = ps->v[M_COMPONENTS].u;
  if (adeis_param_require(ps, M_COMPONENTS, "an integer in 1..100000000"))
    return dim;
  if ((size_t)-1 / 2 / K < dim) {
    adeis_param_fail(ps, ps->v[M_COMPONENTS].line, M_COMPONENTS, "dim x components is too large");
    return dim;
  }
  snprintf(what, sizeof what, "numbers (%zu components of dimension %zu, one after another)", K,
           dim);
  adeis_param_check_list(ps, M_MEANS, K * dim, what);
  snprintf(what, sizeof what, "positive numbers (%zu components of dimension %zu)", K, dim);
  adeis_param_check_list(ps, M_VAR, K * dim, what);
  adeis_param_check_list(ps, M_LOGITS, K, "numbers (one per component)");
  return dim;
}

static int gmm_build(adeis_model *m, const adeis_backend *be, const adeis_param_set *ps)
{
  adeis_vec *means = NULL, *var = NULL;
  adeis_numbers logits = {0};
  int rc = adeis_param_vec(&means, ps, M_MEANS, be);
  if (!rc)
    rc = adeis_param_vec(&var, ps, M_VAR, be);
  if (!rc)
    rc = adeis_param_numbers(&logits, ps, M_LOGITS, be);
  if (!rc)
    rc = adeis_gmm_init_vecs(m, be, ps->v[M_DIM].u, ps->v[M_COMPONENTS].u, means, var, logits.p);
  adeis_vec_free(means);
  adeis_vec_free(var);
  adeis_numbers_clear(&logits);
  return rc;
}

const adeis_model_type adeis_gmm_type = {
  .name = "gmm",
  .summary = "sum_k softmax(logits)_k N(means_k, diag(var_k)), theta = (means, log var); "
             "no closed-form flow",
  .keys = gmm_keys,
  .n_keys = M_COUNT,
  .check = gmm_check,
  .build = gmm_build,
};

/* The Gaussian model (docs/math.md section 8), diagonal and rotated, against independent answers:
 *   - Q orthogonal; eps against sigma Sigma_t^{-1} (x - alpha mu) with Sigma_t built from Q's columns;
 *   - every VJP against 4th-order central differences at 512 bits (step 1e-30);
 *   - the exact flow against RK4 in lambda (error estimated from N and 2N steps), and composition;
 *   - the worked example of docs/math.md section 11 to the digits given;
 *   - exact ODE gradients against central differences of L(flow(x_T)) at 512 bits;
 *   - the SDE Jacobian against RK4 on dPhi/dlambda = (sigma^2 - 2 sigma^2/v) Phi, and the SDE gradients.
 * Tolerances are in units of 2^-p (p the working precision): the model applies at most six
 * Householder reflections and a handful of roundings, so a few tens of units at most. */
#include <criterion/criterion.h>

#include "../analytic/gaussian.h"
#include "../core/status.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RND MPFR_RNDN
#define DIM 3
#define CDIM 2
#define REF_PREC 512
#define FD_STEP "1e-30"

static const char *const M_TXT[DIM] = {"0.5", "-1", "2"};
static const char *const S2_TXT[DIM] = {"0.04", "1", "0.25"};
static const char *const W_TXT[DIM * CDIM] = {"1", "0", "0", "1", "0.5", "0.5"};
static const char *const Z_TXT[CDIM] = {"0.2", "-0.1"};
static const char *const X_TXT[DIM] = {"0.3", "-0.8", "1.7"};
static const char *const V_TXT[DIM] = {"0.9", "0.25", "-0.6"};
static const char *const XT_TXT[DIM] = {"0.7", "-0.4", "1.1"};
static const char *const TARGET_TXT[DIM] = {"0.3", "0.1", "-0.2"};

static void note(const char *fmt, ...)
{
  if (!getenv("ADEIS_TEST_VERBOSE"))
    return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

/* ---- parameters: the same numbers at every precision ---- */

typedef struct gparams {
  int rotated;                 /* rotation_seed 3 with cond_dim 2, else diagonal with cond_dim 0 */
  mpfr_t m[DIM], s2[DIM], W[DIM * CDIM], z[CDIM];
} gparams;

static void gparams_alloc(gparams *g, int rotated, mpfr_prec_t prec)
{
  g->rotated = rotated;
  for (size_t i = 0; i < DIM; i++)
    mpfr_inits2(prec, g->m[i], g->s2[i], (mpfr_ptr)0);
  for (size_t i = 0; i < DIM * CDIM; i++)
    mpfr_init2(g->W[i], prec);
  for (size_t i = 0; i < CDIM; i++)
    mpfr_init2(g->z[i], prec);
}

/* the decimals of the brief, rounded to prec */
static void gparams_init(gparams *g, int rotated, mpfr_prec_t prec)
{
  gparams_alloc(g, rotated, prec);
  for (size_t i = 0; i < DIM; i++) {
    mpfr_set_str(g->m[i], M_TXT[i], 10, RND);
    mpfr_set_str(g->s2[i], S2_TXT[i], 10, RND);
  }
  for (size_t i = 0; i < DIM * CDIM; i++)
    mpfr_set_str(g->W[i], W_TXT[i], 10, RND);
  for (size_t i = 0; i < CDIM; i++)
    mpfr_set_str(g->z[i], Z_TXT[i], 10, RND);
}

/* an exact copy at a higher precision */
static void gparams_init_copy(gparams *g, const gparams *src, mpfr_prec_t prec)
{
  gparams_alloc(g, src->rotated, prec);
  for (size_t i = 0; i < DIM; i++) {
    mpfr_set(g->m[i], src->m[i], RND);
    mpfr_set(g->s2[i], src->s2[i], RND);
  }
  for (size_t i = 0; i < DIM * CDIM; i++)
    mpfr_set(g->W[i], src->W[i], RND);
  for (size_t i = 0; i < CDIM; i++)
    mpfr_set(g->z[i], src->z[i], RND);
}

static void gparams_clear(gparams *g)
{
  for (size_t i = 0; i < DIM; i++)
    mpfr_clears(g->m[i], g->s2[i], (mpfr_ptr)0);
  for (size_t i = 0; i < DIM * CDIM; i++)
    mpfr_clear(g->W[i]);
  for (size_t i = 0; i < CDIM; i++)
    mpfr_clear(g->z[i]);
}

/* number of conditioning inputs: z (rotated) or mu itself (diagonal, cond_dim 0) */
static size_t n_cond(const gparams *g) { return g->rotated ? CDIM : DIM; }

static void model_build(adeis_model *mo, const adeis_backend *be, const gparams *g)
{
  mpfr_srcptr m[DIM], s2[DIM], W[DIM * CDIM], z[CDIM];
  for (size_t i = 0; i < DIM; i++)
    m[i] = g->m[i], s2[i] = g->s2[i];
  for (size_t i = 0; i < DIM * CDIM; i++)
    W[i] = g->W[i];
  for (size_t i = 0; i < CDIM; i++)
    z[i] = g->z[i];
  int rc = g->rotated ? adeis_gaussian_init(mo, be, DIM, CDIM, m, s2, W, z, 3)
                      : adeis_gaussian_init(mo, be, DIM, 0, m, s2, NULL, NULL, 0);
  cr_assert_eq(rc, ADEIS_OK, "adeis_gaussian_init: %s", adeis_errmsg());
}

/* mu = m + W z (diagonal: m), independently, at the precision of mu[] */
static void mean_ref(mpfr_t mu[DIM], const gparams *g)
{
  for (size_t i = 0; i < DIM; i++) {
    mpfr_set(mu[i], g->m[i], RND);
    if (g->rotated)
      for (size_t j = 0; j < CDIM; j++)
        mpfr_fma(mu[i], g->W[i * CDIM + j], g->z[j], mu[i], RND);
  }
}

typedef enum { PERT_X, PERT_Z, PERT_THETA } pert_kind;

/* z_j += d (diagonal: m_j += d), or theta_j = log s2_j += d */
static void gparams_perturb(gparams *g, pert_kind kind, size_t j, mpfr_srcptr d)
{
  if (kind == PERT_Z) {
    mpfr_ptr q = g->rotated ? g->z[j] : g->m[j];
    mpfr_add(q, q, d, RND);
  } else if (kind == PERT_THETA) {
    mpfr_t e;
    mpfr_init2(e, mpfr_get_prec(g->s2[j]));
    mpfr_exp(e, d, RND);
    mpfr_mul(g->s2[j], g->s2[j], e, RND);
    mpfr_clear(e);
  }
}

/* ---- vectors and errors ---- */

static adeis_vec *vec_from_text(const adeis_backend *be, const char *const txt[DIM])
{
  adeis_vec *v = adeis_vec_alloc(be, DIM);
  mpfr_t r;
  mpfr_init2(r, be->prec);
  for (size_t i = 0; i < DIM; i++) {
    mpfr_set_str(r, txt[i], 10, RND);
    adeis_vec_set(v, i, r);
  }
  mpfr_clear(r);
  return v;
}

/* an exact copy of v in another backend of at least its precision */
static adeis_vec *vec_widen(const adeis_backend *be, const adeis_vec *v)
{
  adeis_vec *w = adeis_vec_alloc(be, v->n);
  adeis_vec_copy(w, v);
  return w;
}

static void mp_array_init(mpfr_t a[], size_t n, mpfr_prec_t prec)
{
  for (size_t i = 0; i < n; i++)
    mpfr_init2(a[i], prec);
}

static void mp_array_clear(mpfr_t a[], size_t n)
{
  for (size_t i = 0; i < n; i++)
    mpfr_clear(a[i]);
}

/* |got - ref| / |ref| (Euclidean), as a double */
static double rel_err(const adeis_vec *got, mpfr_t ref[], size_t n)
{
  mpfr_prec_t P = mpfr_get_prec(ref[0]) + 64;
  mpfr_t a, d, s;
  mpfr_inits2(P, a, d, s, (mpfr_ptr)0);
  mpfr_set_zero(d, 1);
  mpfr_set_zero(s, 1);
  for (size_t i = 0; i < n; i++) {
    adeis_vec_get(a, got, i);
    mpfr_sub(a, a, ref[i], RND);
    mpfr_fma(d, a, a, d, RND);
    mpfr_fma(s, ref[i], ref[i], s, RND);
  }
  mpfr_div(d, d, s, RND);
  mpfr_sqrt(d, d, RND);
  double e = mpfr_get_d(d, RND);
  mpfr_clears(a, d, s, (mpfr_ptr)0);
  return e;
}

static void vec_to_array(mpfr_t a[], const adeis_vec *v)
{
  for (size_t i = 0; i < v->n; i++)
    adeis_vec_get(a[i], v, i);
}

static double rel_err_vec(const adeis_vec *got, const adeis_vec *ref)
{
  mpfr_t a[DIM];
  mp_array_init(a, ref->n, ref->be->prec);
  vec_to_array(a, ref);
  double e = rel_err(got, a, ref->n);
  mp_array_clear(a, ref->n);
  return e;
}

static double eps_of(mpfr_prec_t p) { return ldexp(1.0, -(int)p); }

/* ---- a working precision and its reference at REF_PREC ---- */

typedef struct env {
  adeis_backend be, beP;
  adeis_schedule s, sP;  /* vp-linear at each backend's scalar precision */
  gparams g, gP;
  adeis_model mo, moP;
  mpfr_prec_t p;
} env;

static void env_init(env *e, long prec, int rotated)
{
  cr_assert_eq(adeis_backend_init(&e->be, prec), ADEIS_OK);
  cr_assert_eq(adeis_backend_init(&e->beP, REF_PREC), ADEIS_OK);
  e->p = (mpfr_prec_t)prec;
  adeis_schedule_init(&e->s, &adeis_schedule_vp_linear, adeis_backend_scalar_prec(&e->be));
  adeis_schedule_init(&e->sP, &adeis_schedule_vp_linear, adeis_backend_scalar_prec(&e->beP));
  gparams_init(&e->g, rotated, (mpfr_prec_t)prec);
  gparams_init_copy(&e->gP, &e->g, REF_PREC);
  model_build(&e->mo, &e->be, &e->g);
  model_build(&e->moP, &e->beP, &e->gP);
}

/* Allowed error in units of 2^-p. MPFR storage rounds once per vector op (guard bits inside);
 * double storage rounds the reflection coefficient, the products and the sum of every
 * Householder reflection (up to 5 units of |x| + |c u| <= 3|x| each, six per eps or VJP). */
static double tol_units(const env *e)
{
  return e->g.rotated && e->be.ops == &adeis_backend_double_ops ? 48 : 8;
}

static void env_clear(env *e)
{
  adeis_gaussian_clear(&e->mo);
  adeis_gaussian_clear(&e->moP);
  gparams_clear(&e->g);
  gparams_clear(&e->gP);
  adeis_schedule_clear(&e->s);
  adeis_schedule_clear(&e->sP);
}

/* time point at t (a decimal) on schedule s */
static void tpoint_at(adeis_tpoint *tp, const adeis_schedule *s, const char *t)
{
  adeis_tpoint_init(tp, s->prec);
  mpfr_t tt;
  mpfr_init2(tt, s->prec);
  mpfr_set_str(tt, t, 10, RND);
  adeis_schedule_point_t(s, tp, tt);
  mpfr_clear(tt);
}

/* ---- central differences at REF_PREC ---- */

/* A scalar function of the parameters and one vector input. */
typedef void (*scalar_fn)(mpfr_ptr r, const adeis_backend *beP, const gparams *g,
                          const adeis_vec *x, const void *ctx);

/* dF/d(parameter j of the kind) by (-F(2h) + 8F(h) - 8F(-h) + F(-2h)) / (12 h):
 * truncation ~h^4 = 1e-120, rounding ~2^-512/h = 1e-124: exact for our purposes. */
static void fd_partial(mpfr_ptr r, scalar_fn F, const adeis_backend *beP, const gparams *g0,
                       const adeis_vec *x0, pert_kind kind, size_t j, const void *ctx)
{
  static const int offs[4] = {2, 1, -1, -2}, wts[4] = {-1, 8, -8, 1};
  mpfr_t h, d, v, acc;
  mpfr_inits2(REF_PREC + 64, h, d, v, acc, (mpfr_ptr)0);
  mpfr_set_str(h, FD_STEP, 10, RND);
  mpfr_set_zero(acc, 1);
  for (int k = 0; k < 4; k++) {
    mpfr_mul_si(d, h, offs[k], RND);
    gparams g;
    gparams_init_copy(&g, g0, REF_PREC + 64);
    adeis_vec *x = vec_widen(beP, x0);
    if (kind == PERT_X) {
      adeis_vec_get(v, x, j);
      mpfr_add(v, v, d, RND);
      adeis_vec_set(x, j, v);
    } else {
      gparams_perturb(&g, kind, j, d);
    }
    F(v, beP, &g, x, ctx);
    mpfr_mul_si(v, v, wts[k], RND);
    mpfr_add(acc, acc, v, RND);
    adeis_vec_free(x);
    gparams_clear(&g);
  }
  mpfr_div(acc, acc, h, RND);
  mpfr_div_ui(r, acc, 12, RND);
  mpfr_clears(h, d, v, acc, (mpfr_ptr)0);
}

/* ======================= rotation ======================= */

/* x -> (x1, x2, x0) */
static void cycle(adeis_vec *x)
{
  mpfr_t a0, a1;
  mpfr_inits2(x->be->prec, a0, a1, (mpfr_ptr)0);
  adeis_vec_get(a0, x, 0);
  for (size_t i = 0; i + 1 < DIM; i++) {
    adeis_vec_get(a1, x, i + 1);
    adeis_vec_set(x, i, a1);
  }
  adeis_vec_set(x, DIM - 1, a0);
  mpfr_clears(a0, a1, (mpfr_ptr)0);
}

/* ||Q x| - |x|| / |x| */
static double norm_change(const adeis_vec *y, const adeis_vec *x, mpfr_prec_t prec)
{
  mpfr_t nx, ny;
  mpfr_inits2(prec, nx, ny, (mpfr_ptr)0);
  adeis_vec_nrm2(nx, x);
  adeis_vec_nrm2(ny, y);
  mpfr_sub(ny, ny, nx, RND);
  mpfr_div(ny, ny, nx, RND);
  double e = fabs(mpfr_get_d(ny, RND));
  mpfr_clears(nx, ny, (mpfr_ptr)0);
  return e;
}

/* Q^T Q x = x and |Q x| = |x| for three inputs; Q really rotates; in-place use agrees */
static double check_orthogonal(long prec)
{
  env e;
  env_init(&e, prec, 1);
  adeis_vec *x = vec_from_text(&e.be, X_TXT), *y = adeis_vec_alloc(&e.be, DIM);
  adeis_vec *x2 = adeis_vec_alloc(&e.be, DIM);
  double tol = 16 * eps_of(e.p), w = 0.0;
  for (int trial = 0; trial < DIM; trial++, cycle(x)) {
    adeis_gaussian_rotate(&e.mo, y, x);
    adeis_gaussian_rotate_t(&e.mo, x2, y);
    double e1 = rel_err_vec(x2, x), e2 = norm_change(y, x, e.s.prec);
    double moved = rel_err_vec(y, x);
    cr_assert(moved > 0.1, "Q x = x: no rotation (|Qx - x|/|x| = %g)", moved);
    cr_assert(e1 <= tol && e2 <= tol, "%ld bits: |Q^T Q x - x|/|x| = %g, ||Qx| - |x||/|x| = %g",
              prec, e1, e2);
    w = fmax(w, fmax(e1, e2) / eps_of(e.p));
    adeis_gaussian_rotate_t(&e.mo, x2, x);   /* Q Q^T x = x, in place */
    adeis_gaussian_rotate(&e.mo, x2, x2);
    cr_assert(rel_err_vec(x2, x) <= tol, "%ld bits: Q Q^T x in place differs from x", prec);
  }
  adeis_vec_free(x);
  adeis_vec_free(y);
  adeis_vec_free(x2);
  env_clear(&e);
  return w;
}

Test(gaussian, rotation_is_orthogonal)
{
  const long precs[] = {53, 256, 1024};
  for (size_t i = 0; i < 3; i++) {
    double w = check_orthogonal(precs[i]);
    note("Q orthogonal at %ld bits: worst %.2f eps\n", precs[i], w);
  }
}

Test(gaussian, rejects_nonpositive_variance)
{
  adeis_backend be;
  adeis_backend_init(&be, 53);
  gparams g;
  gparams_init(&g, 0, 53);
  mpfr_srcptr m[DIM], s2[DIM];
  for (size_t i = 0; i < DIM; i++)
    m[i] = g.m[i], s2[i] = g.s2[i];
  adeis_model mo;
  mpfr_set_zero(g.s2[1], 1);
  cr_assert_eq(adeis_gaussian_init(&mo, &be, DIM, 0, m, s2, NULL, NULL, 0), ADEIS_EINPUT);
  mpfr_set_si(g.s2[1], -1, RND);
  cr_assert_eq(adeis_gaussian_init(&mo, &be, DIM, 0, m, s2, NULL, NULL, 0), ADEIS_EINPUT);
  mpfr_set_nan(g.s2[1]);
  cr_assert_eq(adeis_gaussian_init(&mo, &be, DIM, 0, m, s2, NULL, NULL, 0), ADEIS_EINPUT);
  gparams_clear(&g);
}

/* ======================= eps and mu against the full-covariance definition ======================= */

static const char *const T_TXT[] = {"1e-3", "0.3", "1"};
#define N_T (sizeof T_TXT / sizeof *T_TXT)

/* Q[i][j] = (Q e_j)_i from the model at REF_PREC */
static void q_matrix(mpfr_t Q[DIM][DIM], const adeis_model *moP)
{
  adeis_vec *e = adeis_vec_alloc(moP->be, DIM), *c = adeis_vec_alloc(moP->be, DIM);
  mpfr_t one;
  mpfr_init2(one, 8);
  mpfr_set_ui(one, 1, RND);
  for (size_t j = 0; j < DIM; j++) {
    adeis_vec_set_zero(e);
    adeis_vec_set(e, j, one);
    adeis_gaussian_rotate(moP, c, e);
    for (size_t i = 0; i < DIM; i++)
      adeis_vec_get(Q[i][j], c, i);
  }
  mpfr_clear(one);
  adeis_vec_free(e);
  adeis_vec_free(c);
}

/* Sigma_t = alpha^2 Q diag(s2) Q^T + sigma^2 I */
static void sigma_t_matrix(mpfr_t S[DIM][DIM], mpfr_t Q[DIM][DIM], const gparams *g,
                           const adeis_tpoint *tp)
{
  mpfr_t a2, t;
  mpfr_inits2(mpfr_get_prec(S[0][0]), a2, t, (mpfr_ptr)0);
  mpfr_sqr(a2, tp->alpha, RND);
  for (size_t i = 0; i < DIM; i++)
    for (size_t k = 0; k < DIM; k++) {
      mpfr_set_zero(S[i][k], 1);
      for (size_t j = 0; j < DIM; j++) {
        mpfr_mul(t, Q[i][j], Q[k][j], RND);
        mpfr_mul(t, t, g->s2[j], RND);
        mpfr_add(S[i][k], S[i][k], t, RND);
      }
      mpfr_mul(S[i][k], S[i][k], a2, RND);
      if (i == k)
        mpfr_fma(S[i][k], tp->sigma, tp->sigma, S[i][k], RND);
    }
  mpfr_clears(a2, t, (mpfr_ptr)0);
}

/* max v / min v, the condition number of Sigma_t */
static double sigma_t_cond(const gparams *g, const adeis_tpoint *tp)
{
  double a2 = pow(mpfr_get_d(tp->alpha, RND), 2), s2 = pow(mpfr_get_d(tp->sigma, RND), 2);
  double lo = INFINITY, hi = 0;
  for (size_t j = 0; j < DIM; j++) {
    double v = a2 * mpfr_get_d(g->s2[j], RND) + s2;
    lo = fmin(lo, v), hi = fmax(hi, v);
  }
  return hi / lo;
}

/* |Sigma_t eps / sigma - (x - alpha mu)| / |x - alpha mu|, in units of eps * cond(Sigma_t) */
static double check_eps_definition(env *e, const char *t)
{
  mpfr_t Q[DIM][DIM], S[DIM][DIM], mu[DIM], r[DIM], y[DIM], ei;
  for (size_t i = 0; i < DIM; i++) {
    mp_array_init(Q[i], DIM, REF_PREC);
    mp_array_init(S[i], DIM, REF_PREC);
  }
  mp_array_init(mu, DIM, REF_PREC);
  mp_array_init(r, DIM, REF_PREC);
  mp_array_init(y, DIM, REF_PREC);
  mpfr_init2(ei, REF_PREC);
  adeis_tpoint tp, tpP;
  tpoint_at(&tp, &e->s, t);
  tpoint_at(&tpP, &e->sP, t);
  q_matrix(Q, &e->moP);
  sigma_t_matrix(S, Q, &e->gP, &tpP);
  mean_ref(mu, &e->gP);
  adeis_vec *x = vec_from_text(&e->be, X_TXT), *eps = adeis_vec_alloc(&e->be, DIM);
  adeis_model_eps(&e->mo, NULL, eps, x, &tp);
  for (size_t i = 0; i < DIM; i++) {
    adeis_vec_get(y[i], x, i);
    mpfr_mul(ei, tpP.alpha, mu[i], RND);
    mpfr_sub(y[i], y[i], ei, RND);              /* x - alpha mu */
    mpfr_set_zero(r[i], 1);
    for (size_t k = 0; k < DIM; k++) {
      adeis_vec_get(ei, eps, k);
      mpfr_fma(r[i], S[i][k], ei, r[i], RND);
    }
    mpfr_div(r[i], r[i], tpP.sigma, RND);       /* Sigma_t eps / sigma */
  }
  adeis_vec *rv = adeis_vec_alloc(&e->beP, DIM);
  for (size_t i = 0; i < DIM; i++)
    adeis_vec_set(rv, i, r[i]);
  double cond = sigma_t_cond(&e->gP, &tpP);
  double err = rel_err(rv, y, DIM) / (eps_of(e->p) * cond);
  cr_assert(err <= tol_units(e), "%s %ld bits t=%s: Sigma_t eps/sigma vs x - alpha mu: %.3g eps*cond (cond %.3g)",
            e->g.rotated ? "rotated" : "diagonal", (long)e->p, t, err, cond);
  adeis_vec_free(rv);
  adeis_vec_free(x);
  adeis_vec_free(eps);
  adeis_tpoint_clear(&tp);
  adeis_tpoint_clear(&tpP);
  for (size_t i = 0; i < DIM; i++) {
    mp_array_clear(Q[i], DIM);
    mp_array_clear(S[i], DIM);
  }
  mp_array_clear(mu, DIM);
  mp_array_clear(r, DIM);
  mp_array_clear(y, DIM);
  mpfr_clear(ei);
  return err;
}

Test(gaussian, mean_and_eps_against_full_covariance)
{
  const long precs[] = {53, 256};
  for (int rot = 0; rot < 2; rot++)
    for (size_t ip = 0; ip < 2; ip++) {
      env e;
      env_init(&e, precs[ip], rot);
      mpfr_t mu[DIM];
      mp_array_init(mu, DIM, REF_PREC);
      mean_ref(mu, &e.gP);
      double em = rel_err(adeis_gaussian_mu(&e.mo), mu, DIM) / eps_of(e.p);
      cr_assert(em <= 2, "mu = m + W z off by %.3g eps", em);
      mp_array_clear(mu, DIM);
      double w = 0;
      for (size_t it = 0; it < N_T; it++)
        w = fmax(w, check_eps_definition(&e, T_TXT[it]));
      note("eps vs Sigma_t (%s, %ld bits): mu %.2f eps, eps %.2f eps*cond\n",
           rot ? "rotated" : "diagonal", precs[ip], em, w);
      env_clear(&e);
    }
}

/* ======================= VJPs against central differences ======================= */

typedef struct vjp_ctx {
  const adeis_tpoint *tp;   /* at REF_PREC's scalar precision */
  const adeis_vec *v;       /* at REF_PREC */
} vjp_ctx;

/* v . eps(x, z, t) for the model with parameters g */
static void v_dot_eps(mpfr_ptr r, const adeis_backend *beP, const gparams *g, const adeis_vec *x,
                      const void *ctx_)
{
  const vjp_ctx *ctx = ctx_;
  adeis_model mo;
  model_build(&mo, beP, g);
  adeis_vec *eps = adeis_vec_alloc(beP, DIM);
  adeis_model_eps(&mo, NULL, eps, x, ctx->tp);
  adeis_vec_dot(r, ctx->v, eps);
  adeis_vec_free(eps);
  adeis_gaussian_clear(&mo);
}

/* the gradient of F in one kind of input, by central differences */
static void fd_gradient(mpfr_t grad[], size_t n, scalar_fn F, const env *e, const adeis_vec *x,
                        pert_kind kind, const void *ctx)
{
  for (size_t j = 0; j < n; j++)
    fd_partial(grad[j], F, &e->beP, &e->gP, x, kind, j, ctx);
}

static double check_vjp_at(env *e, const char *t)
{
  adeis_tpoint tp, tpP;
  tpoint_at(&tp, &e->s, t);
  tpoint_at(&tpP, &e->sP, t);
  adeis_vec *x = vec_from_text(&e->be, X_TXT), *v = vec_from_text(&e->be, V_TXT);
  adeis_vec *vP = vec_widen(&e->beP, v);
  size_t nz = n_cond(&e->g);
  adeis_vec *jx = adeis_vec_alloc(&e->be, DIM), *jz = adeis_vec_alloc(&e->be, nz);
  adeis_vec *jth = adeis_vec_alloc(&e->be, DIM);
  cr_assert_eq(e->mo.cond_dim, nz);
  cr_assert_eq(adeis_model_vjp(&e->mo, NULL, x, &tp, v, jx, jz, jth), ADEIS_OK);
  vjp_ctx ctx = {&tpP, vP};
  const adeis_vec *got[3] = {jx, jz, jth};
  const size_t n[3] = {DIM, nz, DIM};
  const char *what[3] = {"x", "z", "theta"};
  double w = 0;
  for (int kind = PERT_X; kind <= PERT_THETA; kind++) {
    mpfr_t ref[DIM];
    mp_array_init(ref, n[kind], REF_PREC);
    fd_gradient(ref, n[kind], v_dot_eps, e, x, (pert_kind)kind, &ctx);
    double err = rel_err(got[kind], ref, n[kind]) / eps_of(e->p);
    w = fmax(w, err);
    cr_assert(err <= tol_units(e), "%s %ld bits t=%s: v^T deps/d%s off by %.3g eps",
              e->g.rotated ? "rotated" : "diagonal", (long)e->p, t, what[kind], err);
    mp_array_clear(ref, n[kind]);
  }
  /* each output alone (the others NULL) gives the same numbers */
  adeis_vec *only = adeis_vec_alloc(&e->be, DIM);
  adeis_model_vjp(&e->mo, NULL, x, &tp, v, NULL, NULL, only);
  cr_assert(rel_err_vec(only, jth) <= eps_of(e->p), "jtheta alone differs");
  adeis_model_vjp(&e->mo, NULL, x, &tp, v, only, NULL, NULL);
  cr_assert(rel_err_vec(only, jx) <= eps_of(e->p), "jx alone differs");
  adeis_vec_free(only);
  adeis_vec *onlyz = adeis_vec_alloc(&e->be, nz);
  adeis_model_vjp(&e->mo, NULL, x, &tp, v, NULL, onlyz, NULL);
  cr_assert(rel_err_vec(onlyz, jz) <= eps_of(e->p), "jz alone differs");
  adeis_vec_free(onlyz);
  adeis_vec_free(x);
  adeis_vec_free(v);
  adeis_vec_free(vP);
  adeis_vec_free(jx);
  adeis_vec_free(jz);
  adeis_vec_free(jth);
  adeis_tpoint_clear(&tp);
  adeis_tpoint_clear(&tpP);
  return w;
}

static void vjp_sweep(int rotated)
{
  const long precs[] = {53, 256};
  for (size_t ip = 0; ip < 2; ip++) {
    env e;
    env_init(&e, precs[ip], rotated);
    double w = 0;
    for (size_t it = 0; it < N_T; it++)
      w = fmax(w, check_vjp_at(&e, T_TXT[it]));
    note("VJPs (%s, %ld bits) vs 512-bit differences: worst %.2f eps\n",
         rotated ? "rotated" : "diagonal", precs[ip], w);
    env_clear(&e);
  }
}

Test(gaussian, vjp_diagonal_against_finite_differences) { vjp_sweep(0); }
Test(gaussian, vjp_rotated_against_finite_differences) { vjp_sweep(1); }

/* ======================= exact flow against RK4 in lambda ======================= */

/* k = dy/dlambda at time point tp */
typedef void (*rhs_fn)(adeis_vec *k, const adeis_tpoint *tp, const adeis_vec *y, const void *ctx);

/* classical RK4 in lambda from l0 to l1 in n steps, y updated in place */
static void rk4_lambda(adeis_vec *y, const adeis_schedule *s, mpfr_srcptr l0, mpfr_srcptr l1,
                       size_t n, rhs_fn f, const void *ctx)
{
  mpfr_prec_t sp = s->prec;
  adeis_vec *k[4], *ys = adeis_vec_alloc(y->be, y->n);
  for (int i = 0; i < 4; i++)
    k[i] = adeis_vec_alloc(y->be, y->n);
  adeis_tpoint tp;
  adeis_tpoint_init(&tp, sp);
  mpfr_t h, h2, h6, h3, one, l;
  mpfr_inits2(sp, h, h2, h6, h3, one, l, (mpfr_ptr)0);
  mpfr_sub(h, l1, l0, RND);
  mpfr_div_ui(h, h, (unsigned long)n, RND);
  mpfr_div_ui(h2, h, 2, RND);
  mpfr_div_ui(h6, h, 6, RND);
  mpfr_div_ui(h3, h, 3, RND);
  mpfr_set_ui(one, 1, RND);
  for (size_t i = 0; i < n; i++) {
    mpfr_mul_ui(l, h, (unsigned long)i, RND);
    mpfr_add(l, l, l0, RND);
    adeis_schedule_point_lambda(s, &tp, l);
    f(k[0], &tp, y, ctx);
    mpfr_add(l, l, h2, RND);
    adeis_schedule_point_lambda(s, &tp, l);
    adeis_vec_lincomb(ys, 2, (mpfr_srcptr[]){one, h2}, (const adeis_vec *[]){y, k[0]});
    f(k[1], &tp, ys, ctx);
    adeis_vec_lincomb(ys, 2, (mpfr_srcptr[]){one, h2}, (const adeis_vec *[]){y, k[1]});
    f(k[2], &tp, ys, ctx);
    mpfr_add(l, l, h2, RND);
    adeis_schedule_point_lambda(s, &tp, l);
    adeis_vec_lincomb(ys, 2, (mpfr_srcptr[]){one, h}, (const adeis_vec *[]){y, k[2]});
    f(k[3], &tp, ys, ctx);
    adeis_vec_lincomb(y, 5, (mpfr_srcptr[]){one, h6, h3, h3, h6},
                      (const adeis_vec *[]){y, k[0], k[1], k[2], k[3]});
  }
  mpfr_clears(h, h2, h6, h3, one, l, (mpfr_ptr)0);
  adeis_tpoint_clear(&tp);
  for (int i = 0; i < 4; i++)
    adeis_vec_free(k[i]);
  adeis_vec_free(ys);
}

/* PF-ODE in lambda (docs/math.md section 2, VP): dx/dlambda = sigma^2 x - sigma eps(x) */
static void pf_ode_rhs(adeis_vec *k, const adeis_tpoint *tp, const adeis_vec *x, const void *ctx)
{
  const adeis_model *mo = ctx;
  mpfr_t s2, ns;
  mpfr_inits2(mpfr_get_prec(tp->sigma), s2, ns, (mpfr_ptr)0);
  mpfr_sqr(s2, tp->sigma, RND);
  mpfr_neg(ns, tp->sigma, RND);
  adeis_model_eps(mo, NULL, k, x, tp);
  adeis_vec_lincomb(k, 2, (mpfr_srcptr[]){s2, ns}, (const adeis_vec *[]){x, k});
  mpfr_clears(s2, ns, (mpfr_ptr)0);
}

/* RK4 with N and 2N steps: the error of the 2N solve is about |y_N - y_2N|/15. The
 * reference must lie within [1/2, 2] of that estimate (RK4 is in its asymptotic regime and
 * agrees with the reference to that order), and must be below max_err. */
static void check_against_rk4(const adeis_vec *exact, const adeis_vec *y0, const adeis_schedule *s,
                              mpfr_srcptr l0, mpfr_srcptr l1, size_t n, rhs_fn f, const void *ctx,
                              double max_err, const char *what)
{
  adeis_vec *yN = vec_widen(y0->be, y0), *y2N = vec_widen(y0->be, y0);
  rk4_lambda(yN, s, l0, l1, n, f, ctx);
  rk4_lambda(y2N, s, l0, l1, 2 * n, f, ctx);
  double est = rel_err_vec(yN, y2N) / 15, e2N = rel_err_vec(y2N, exact);
  double eN = rel_err_vec(yN, exact);
  note("%s: RK4 N=%zu err %.3g, 2N err %.3g (ratio %.2f), estimate %.3g\n", what, n, eN, e2N,
       eN / e2N, est);
  cr_assert(e2N <= 2 * est && e2N >= est / 2,
            "%s: |exact - RK4(2N)| = %.3g, Richardson estimate %.3g", what, e2N, est);
  cr_assert(e2N <= max_err, "%s: |exact - RK4(2N)| = %.3g > %.3g", what, e2N, max_err);
  adeis_vec_free(yN);
  adeis_vec_free(y2N);
}

static void flow_vs_rk4(int rotated)
{
  env e;
  env_init(&e, 256, rotated);
  adeis_tpoint t0, tT;
  tpoint_at(&t0, &e.s, "1e-3");
  tpoint_at(&tT, &e.s, "1");
  adeis_vec *xT = vec_from_text(&e.be, XT_TXT), *x0 = adeis_vec_alloc(&e.be, DIM);
  cr_assert_eq(adeis_model_flow(&e.mo, NULL, x0, &t0, xT, &tT), ADEIS_OK);
  check_against_rk4(x0, xT, &e.s, tT.lambda, t0.lambda, 1000, pf_ode_rhs, &e.mo, 1e-12,
                    rotated ? "flow T->t_end (rotated)" : "flow T->t_end (diagonal)");
  adeis_vec_free(xT);
  adeis_vec_free(x0);
  adeis_tpoint_clear(&t0);
  adeis_tpoint_clear(&tT);
  env_clear(&e);
}

Test(gaussian, flow_diagonal_against_rk4) { flow_vs_rk4(0); }
Test(gaussian, flow_rotated_against_rk4) { flow_vs_rk4(1); }

/* flow(s->u) then flow(u->t) = flow(s->t), forwards and backwards */
Test(gaussian, flow_composes)
{
  const long precs[] = {53, 256};
  const char *const path[][3] = {{"1", "0.4", "1e-3"}, {"1e-3", "0.6", "1"}, {"0.8", "0.05", "0.3"}};
  for (int rot = 0; rot < 2; rot++)
    for (size_t ip = 0; ip < 2; ip++) {
      env e;
      env_init(&e, precs[ip], rot);
      double w = 0;
      for (size_t k = 0; k < 3; k++) {
        adeis_tpoint a, b, c;
        tpoint_at(&a, &e.s, path[k][0]);
        tpoint_at(&b, &e.s, path[k][1]);
        tpoint_at(&c, &e.s, path[k][2]);
        adeis_vec *x = vec_from_text(&e.be, X_TXT), *xb = adeis_vec_alloc(&e.be, DIM);
        adeis_vec *xc = adeis_vec_alloc(&e.be, DIM), *xd = adeis_vec_alloc(&e.be, DIM);
        adeis_model_flow(&e.mo, NULL, xb, &b, x, &a);
        adeis_model_flow(&e.mo, NULL, xc, &c, xb, &b);
        adeis_model_flow(&e.mo, NULL, xd, &c, x, &a);
        double err = rel_err_vec(xc, xd) / eps_of(e.p);
        w = fmax(w, err);
        cr_assert(err <= 2 * tol_units(&e), "%s %ld bits: flow %s->%s->%s vs direct: %.3g eps",
                  rot ? "rotated" : "diagonal", precs[ip], path[k][0], path[k][1], path[k][2], err);
        adeis_vec_free(x);
        adeis_vec_free(xb);
        adeis_vec_free(xc);
        adeis_vec_free(xd);
        adeis_tpoint_clear(&a);
        adeis_tpoint_clear(&b);
        adeis_tpoint_clear(&c);
      }
      note("flow composition (%s, %ld bits): worst %.2f eps\n", rot ? "rotated" : "diagonal",
           precs[ip], w);
      env_clear(&e);
    }
}

/* ======================= docs/math.md section 11 ======================= */

/* |got_i - ref_i| <= one unit in the last decimal given, for each component */
static void check_decimals(const adeis_vec *got, const char *const ref[DIM], const char *what)
{
  mpfr_t r, g, d;
  mpfr_inits2(320, r, g, d, (mpfr_ptr)0);
  for (size_t i = 0; i < DIM; i++) {
    const char *dot = strchr(ref[i], '.');
    long decimals = dot ? (long)strlen(dot + 1) : 0;
    mpfr_set_str(r, ref[i], 10, RND);
    adeis_vec_get(g, got, i);
    mpfr_sub(d, g, r, RND);
    mpfr_abs(d, d, RND);
    double units = mpfr_get_d(d, RND) * pow(10.0, (double)decimals);
    note("%s[%zu]: |got - ref| = %.3g units of 1e-%ld\n", what, i, units, decimals);
    cr_assert(units <= 1.0, "%s[%zu] = %.17g: off by %.3g units of the last digit of %s", what, i,
              mpfr_get_d(g, RND), units, ref[i]);
  }
  mpfr_clears(r, g, d, (mpfr_ptr)0);
}

Test(gaussian, worked_example_section_11)
{
  static const char *const x0_ref[DIM] = {"0.63950196469036671106", "-1.3933734400161680065",
                                          "2.5434168814439811885"};
  static const char *const gx_ref[DIM] = {"0.067991326192542021852", "-1.4933734400161680065",
                                          "1.371956857198929974"};
  static const char *const gmu_ref[DIM] = {"0.33903649020189920614", "-1.4834775113376393397",
                                           "2.7342501330920999634"};
  env e;
  env_init(&e, 256, 0);
  adeis_tpoint t0, tT;
  adeis_tpoint_init(&t0, e.s.prec);
  adeis_tpoint_init(&tT, e.s.prec);
  adeis_schedule_point_t(&e.s, &t0, e.s.t_end);
  adeis_schedule_point_t(&e.s, &tT, e.s.T);
  adeis_vec *xT = vec_from_text(&e.be, XT_TXT), *x0 = adeis_vec_alloc(&e.be, DIM);
  adeis_vec *tgt = vec_from_text(&e.be, TARGET_TXT), *G = adeis_vec_alloc(&e.be, DIM);
  adeis_vec *gx = adeis_vec_alloc(&e.be, DIM), *gz = adeis_vec_alloc(&e.be, DIM);
  adeis_model_flow(&e.mo, NULL, x0, &t0, xT, &tT);
  check_decimals(x0, x0_ref, "x_0");
  mpfr_t one, mone;
  mpfr_inits2(8, one, mone, (mpfr_ptr)0);
  mpfr_set_si(one, 1, RND);
  mpfr_set_si(mone, -1, RND);
  adeis_vec_lincomb(G, 2, (mpfr_srcptr[]){one, mone}, (const adeis_vec *[]){x0, tgt});
  cr_assert_eq(adeis_gaussian_exact_ode_grad(&e.mo, &t0, &tT, xT, G, gx, gz, NULL), ADEIS_OK);
  check_decimals(gx, gx_ref, "dL/dx_T");
  check_decimals(gz, gmu_ref, "dL/dmu");
  mpfr_clears(one, mone, (mpfr_ptr)0);
  adeis_vec *v[] = {xT, x0, tgt, G, gx, gz};
  for (size_t i = 0; i < 6; i++)
    adeis_vec_free(v[i]);
  adeis_tpoint_clear(&t0);
  adeis_tpoint_clear(&tT);
  env_clear(&e);
}

/* ======================= exact ODE gradients against differences of L(flow(x_T)) ======================= */

typedef struct loss_ctx {
  const adeis_tpoint *t0, *tT; /* at REF_PREC's scalar precision */
  const adeis_vec *target;     /* at REF_PREC */
} loss_ctx;

/* L = |flow(x_T) - target|^2 / 2 for the model with parameters g */
static void loss_of_flow(mpfr_ptr r, const adeis_backend *beP, const gparams *g,
                         const adeis_vec *xT, const void *ctx_)
{
  const loss_ctx *ctx = ctx_;
  adeis_model mo;
  model_build(&mo, beP, g);
  adeis_vec *x0 = adeis_vec_alloc(beP, DIM);
  adeis_model_flow(&mo, NULL, x0, ctx->t0, xT, ctx->tT);
  mpfr_t one, mone;
  mpfr_inits2(8, one, mone, (mpfr_ptr)0);
  mpfr_set_si(one, 1, RND);
  mpfr_set_si(mone, -1, RND);
  adeis_vec_lincomb(x0, 2, (mpfr_srcptr[]){one, mone}, (const adeis_vec *[]){x0, ctx->target});
  adeis_vec_dot(r, x0, x0);
  mpfr_div_2ui(r, r, 1, RND);
  mpfr_clears(one, mone, (mpfr_ptr)0);
  adeis_vec_free(x0);
  adeis_gaussian_clear(&mo);
}

/* G = flow(x_T) - target at the working precision */
static void loss_grad(adeis_vec *G, const adeis_model *mo, const adeis_tpoint *t0,
                      const adeis_tpoint *tT, const adeis_vec *xT, const adeis_vec *target)
{
  adeis_model_flow(mo, NULL, G, t0, xT, tT);
  mpfr_t one, mone;
  mpfr_inits2(8, one, mone, (mpfr_ptr)0);
  mpfr_set_si(one, 1, RND);
  mpfr_set_si(mone, -1, RND);
  adeis_vec_lincomb(G, 2, (mpfr_srcptr[]){one, mone}, (const adeis_vec *[]){G, target});
  mpfr_clears(one, mone, (mpfr_ptr)0);
}

static double check_ode_grads(env *e, const char *t0s, const char *tTs)
{
  adeis_tpoint t0, tT, t0P, tTP;
  tpoint_at(&t0, &e->s, t0s);
  tpoint_at(&tT, &e->s, tTs);
  tpoint_at(&t0P, &e->sP, t0s);
  tpoint_at(&tTP, &e->sP, tTs);
  size_t nz = n_cond(&e->g);
  adeis_vec *xT = vec_from_text(&e->be, XT_TXT), *tgt = vec_from_text(&e->be, TARGET_TXT);
  adeis_vec *tgtP = vec_widen(&e->beP, tgt), *G = adeis_vec_alloc(&e->be, DIM);
  adeis_vec *gx = adeis_vec_alloc(&e->be, DIM), *gz = adeis_vec_alloc(&e->be, nz);
  adeis_vec *gth = adeis_vec_alloc(&e->be, DIM);
  loss_grad(G, &e->mo, &t0, &tT, xT, tgt);
  cr_assert_eq(adeis_gaussian_exact_ode_grad(&e->mo, &t0, &tT, xT, G, gx, gz, gth), ADEIS_OK);
  loss_ctx ctx = {&t0P, &tTP, tgtP};
  const adeis_vec *got[3] = {gx, gz, gth};
  const size_t n[3] = {DIM, nz, DIM};
  const char *what[3] = {"x_T", "z", "theta"};
  double w = 0;
  for (int kind = PERT_X; kind <= PERT_THETA; kind++) {
    mpfr_t ref[DIM];
    mp_array_init(ref, n[kind], REF_PREC);
    fd_gradient(ref, n[kind], loss_of_flow, e, xT, (pert_kind)kind, &ctx);
    double err = rel_err(got[kind], ref, n[kind]) / eps_of(e->p);
    w = fmax(w, err);
    cr_assert(err <= 2 * tol_units(e), "%s %ld bits %s->%s: exact dL/d%s off by %.3g eps",
              e->g.rotated ? "rotated" : "diagonal", (long)e->p, tTs, t0s, what[kind], err);
    mp_array_clear(ref, n[kind]);
  }
  adeis_vec *v[] = {xT, tgt, tgtP, G, gx, gz, gth};
  for (size_t i = 0; i < 7; i++)
    adeis_vec_free(v[i]);
  adeis_tpoint *tps[] = {&t0, &tT, &t0P, &tTP};
  for (size_t i = 0; i < 4; i++)
    adeis_tpoint_clear(tps[i]);
  return w;
}

Test(gaussian, exact_ode_gradients_against_finite_differences)
{
  const long precs[] = {53, 256};
  for (int rot = 0; rot < 2; rot++)
    for (size_t ip = 0; ip < 2; ip++) {
      env e;
      env_init(&e, precs[ip], rot);
      double w = fmax(check_ode_grads(&e, "1e-3", "1"), check_ode_grads(&e, "0.2", "0.7"));
      note("exact ODE gradients (%s, %ld bits) vs 512-bit differences: worst %.2f eps\n",
           rot ? "rotated" : "diagonal", precs[ip], w);
      env_clear(&e);
    }
}

/* ======================= exact SDE Jacobian and gradients ======================= */

/* dPhi/dlambda = (sigma^2 - 2 sigma^2 / v) Phi, componentwise in the rotated basis: the x-derivative
 * of the reverse-SDE drift in lambda, sigma^2 x - 2 sigma eps with eps = sigma (x - alpha mu)/v */
static void sde_jacobian_rhs(adeis_vec *k, const adeis_tpoint *tp, const adeis_vec *phi,
                             const void *ctx)
{
  const gparams *g = ctx;
  mpfr_prec_t P = mpfr_get_prec(tp->sigma);
  mpfr_t a2, s2, v, c, y;
  mpfr_inits2(P, a2, s2, v, c, y, (mpfr_ptr)0);
  mpfr_sqr(a2, tp->alpha, RND);
  mpfr_sqr(s2, tp->sigma, RND);
  for (size_t i = 0; i < DIM; i++) {
    mpfr_fma(v, a2, g->s2[i], s2, RND);
    mpfr_div(c, s2, v, RND);
    mpfr_mul_2ui(c, c, 1, RND);
    mpfr_sub(c, s2, c, RND);
    adeis_vec_get(y, phi, i);
    mpfr_mul(y, y, c, RND);
    adeis_vec_set(k, i, y);
  }
  mpfr_clears(a2, s2, v, c, y, (mpfr_ptr)0);
}

/* Phi_i = v_0 alpha_T / (v_T alpha_0), at the precision of tp */
static void sde_phi_closed(adeis_vec *phi, const gparams *g, const adeis_tpoint *t0,
                           const adeis_tpoint *tT)
{
  mpfr_prec_t P = mpfr_get_prec(t0->sigma);
  mpfr_t v0, vT, r;
  mpfr_inits2(P, v0, vT, r, (mpfr_ptr)0);
  for (size_t i = 0; i < DIM; i++) {
    mpfr_sqr(v0, t0->sigma, RND);
    mpfr_sqr(r, t0->alpha, RND);
    mpfr_fma(v0, r, g->s2[i], v0, RND);
    mpfr_sqr(vT, tT->sigma, RND);
    mpfr_sqr(r, tT->alpha, RND);
    mpfr_fma(vT, r, g->s2[i], vT, RND);
    mpfr_mul(r, v0, tT->alpha, RND);
    mpfr_div(r, r, vT, RND);
    mpfr_div(r, r, t0->alpha, RND);
    adeis_vec_set(phi, i, r);
  }
  mpfr_clears(v0, vT, r, (mpfr_ptr)0);
}

/* stiffer than the flow near t_end (2 sigma^2/v with s2 = 0.04), hence the looser bound */
Test(gaussian, sde_jacobian_against_rk4)
{
  env e;
  env_init(&e, 256, 0);
  adeis_tpoint t0, tT;
  tpoint_at(&t0, &e.s, "1e-3");
  tpoint_at(&tT, &e.s, "1");
  adeis_vec *phi = adeis_vec_alloc(&e.be, DIM), *ones = adeis_vec_alloc(&e.be, DIM);
  adeis_gaussian_sde_phi(&e.mo, phi, &t0, &tT);
  for (size_t i = 0; i < DIM; i++)
    adeis_vec_set_d(ones, i, 1.0);
  check_against_rk4(phi, ones, &e.s, tT.lambda, t0.lambda, 1000, sde_jacobian_rhs, &e.g, 1e-10,
                    "SDE Jacobian T->t_end");
  adeis_vec_free(phi);
  adeis_vec_free(ones);
  adeis_tpoint_clear(&t0);
  adeis_tpoint_clear(&tT);
  env_clear(&e);
}

/* gx = Q Phi Q^T G and gz = W^T (alpha_0 G - alpha_T gx), formed at REF_PREC from the closed Phi */
static void sde_grad_ref(mpfr_t gx[DIM], mpfr_t gz[DIM], const env *e, const adeis_vec *G,
                         const adeis_tpoint *t0P, const adeis_tpoint *tTP)
{
  adeis_vec *phi = adeis_vec_alloc(&e->beP, DIM), *y = vec_widen(&e->beP, G);
  sde_phi_closed(phi, &e->gP, t0P, tTP);
  adeis_gaussian_rotate_t(&e->moP, y, y);
  adeis_vec_prod(y, y, phi);
  adeis_gaussian_rotate(&e->moP, y, y);
  mpfr_t gi, d;
  mpfr_inits2(REF_PREC + 64, gi, d, (mpfr_ptr)0);
  mpfr_t dmu[DIM];
  mp_array_init(dmu, DIM, REF_PREC + 64);
  for (size_t i = 0; i < DIM; i++) {
    adeis_vec_get(gx[i], y, i);
    adeis_vec_get(gi, G, i);
    mpfr_mul(dmu[i], t0P->alpha, gi, RND);
    mpfr_mul(d, tTP->alpha, gx[i], RND);
    mpfr_sub(dmu[i], dmu[i], d, RND);           /* dL/dmu */
  }
  for (size_t j = 0; j < n_cond(&e->g); j++) {
    if (!e->g.rotated) {
      mpfr_set(gz[j], dmu[j], RND);
      continue;
    }
    mpfr_set_zero(gz[j], 1);
    for (size_t i = 0; i < DIM; i++)
      mpfr_fma(gz[j], e->gP.W[i * CDIM + j], dmu[i], gz[j], RND);
  }
  mp_array_clear(dmu, DIM);
  mpfr_clears(gi, d, (mpfr_ptr)0);
  adeis_vec_free(phi);
  adeis_vec_free(y);
}

static double check_sde(env *e, const char *t0s, const char *tTs)
{
  adeis_tpoint t0, tT, t0P, tTP;
  tpoint_at(&t0, &e->s, t0s);
  tpoint_at(&tT, &e->s, tTs);
  tpoint_at(&t0P, &e->sP, t0s);
  tpoint_at(&tTP, &e->sP, tTs);
  size_t nz = n_cond(&e->g);
  adeis_vec *phi = adeis_vec_alloc(&e->be, DIM), *phiP = adeis_vec_alloc(&e->beP, DIM);
  adeis_vec *G = vec_from_text(&e->be, V_TXT);
  adeis_vec *gx = adeis_vec_alloc(&e->be, DIM), *gz = adeis_vec_alloc(&e->be, nz);
  adeis_gaussian_sde_phi(&e->mo, phi, &t0, &tT);
  sde_phi_closed(phiP, &e->gP, &t0P, &tTP);
  double ep = rel_err_vec(phi, phiP) / eps_of(e->p);
  cr_assert(ep <= tol_units(e), "%ld bits %s->%s: Phi off by %.3g eps", (long)e->p, tTs, t0s, ep);
  cr_assert_eq(adeis_gaussian_exact_sde_grad(&e->mo, &t0, &tT, G, gx, gz), ADEIS_OK);
  mpfr_t rx[DIM], rz[DIM];
  mp_array_init(rx, DIM, REF_PREC);
  mp_array_init(rz, DIM, REF_PREC);
  sde_grad_ref(rx, rz, e, G, &t0P, &tTP);
  double ex = rel_err(gx, rx, DIM) / eps_of(e->p), ez = rel_err(gz, rz, nz) / eps_of(e->p);
  cr_assert(ex <= tol_units(e) && ez <= tol_units(e),
            "%s %ld bits %s->%s: SDE dL/dx_T off by %.3g eps, dL/dz by %.3g eps",
            e->g.rotated ? "rotated" : "diagonal", (long)e->p, tTs, t0s, ex, ez);
  mp_array_clear(rx, DIM);
  mp_array_clear(rz, DIM);
  adeis_vec *v[] = {phi, phiP, G, gx, gz};
  for (size_t i = 0; i < 5; i++)
    adeis_vec_free(v[i]);
  adeis_tpoint *tps[] = {&t0, &tT, &t0P, &tTP};
  for (size_t i = 0; i < 4; i++)
    adeis_tpoint_clear(tps[i]);
  return fmax(ep, fmax(ex, ez));
}

Test(gaussian, exact_sde_gradients)
{
  const long precs[] = {53, 256};
  for (int rot = 0; rot < 2; rot++)
    for (size_t ip = 0; ip < 2; ip++) {
      env e;
      env_init(&e, precs[ip], rot);
      double w = fmax(check_sde(&e, "1e-3", "1"), check_sde(&e, "0.2", "0.7"));
      note("exact SDE Phi and gradients (%s, %ld bits): worst %.2f eps\n",
           rot ? "rotated" : "diagonal", precs[ip], w);
      env_clear(&e);
    }
}

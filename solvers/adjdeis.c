/* AdjointDEIS-1, -2M, -2M-phi and -2S (MATH.md section 5): exponential integrators
 * of the adjoint equations, stepping a_x, a_z, a_theta from t_end up to T. */
#include "../core/phi.h"
#include "../core/status.h"
#include "adjoint.h"
#include "forward.h"

#include <string.h>

#define RND MPFR_RNDN

typedef enum adj_variant { ADJ_1, ADJ_2M, ADJ_2M_PHI, ADJ_2S } adj_variant;

typedef struct adj_work {
  adeis_vec *x, *xu, *au;                 /* state at t, at the midpoint; a_x at the midpoint */
  adeis_vec *jx, *jz, *jth;               /* raw VJPs a^T deps/d(x, z, theta) at t (or u) */
  adeis_vec *jx_p, *jz_p, *jth_p;         /* ... at the previous adjoint point */
  adeis_vec *e, *e_p;                     /* eps at t and at the previous point (backsolve) */
  adeis_tpoint u;
  mpfr_t h, h_prev, E, w, alpha_p, k1, k2, k3;
  int have_prev;
  int finite;                             /* the adjoint state finite after the last update */
} adj_work;

static int adj_work_init(adj_work *aw, const adeis_adjoint_problem *p)
{
  memset(aw, 0, sizeof *aw);
  const adeis_model *m = p->model;
  adeis_vec **dvecs[] = {&aw->x, &aw->xu, &aw->au, &aw->jx, &aw->jx_p, &aw->e, &aw->e_p};
  int ok = 1;
  for (size_t i = 0; i < sizeof dvecs / sizeof *dvecs; i++)
    ok &= (*dvecs[i] = adeis_vec_alloc(m->be, m->dim)) != NULL;
  ok &= (aw->jz = adeis_vec_alloc(m->be, m->cond_dim)) != NULL;
  ok &= (aw->jz_p = adeis_vec_alloc(m->be, m->cond_dim)) != NULL;
  ok &= (aw->jth = adeis_vec_alloc(m->be, m->theta_dim)) != NULL;
  ok &= (aw->jth_p = adeis_vec_alloc(m->be, m->theta_dim)) != NULL;
  adeis_tpoint_init(&aw->u, p->sched->prec);
  mpfr_inits2(p->sched->prec, aw->h, aw->h_prev, aw->E, aw->w, aw->alpha_p, aw->k1, aw->k2, aw->k3,
              (mpfr_ptr)0);
  return ok ? ADEIS_OK : ADEIS_ENOMEM;
}

static void adj_work_clear(adj_work *aw)
{
  adeis_vec *vs[] = {aw->x,  aw->xu,   aw->au,    aw->jx, aw->jz, aw->jth,
                     aw->jx_p, aw->jz_p, aw->jth_p, aw->e,  aw->e_p};
  for (size_t i = 0; i < sizeof vs / sizeof *vs; i++)
    adeis_vec_free(vs[i]);
  adeis_tpoint_clear(&aw->u);
  mpfr_clears(aw->h, aw->h_prev, aw->E, aw->w, aw->alpha_p, aw->k1, aw->k2, aw->k3, (mpfr_ptr)0);
}

static void swap(adeis_vec **a, adeis_vec **b)
{
  adeis_vec *t = *a;
  *a = *b;
  *b = t;
}

/* Second-order weight w of D = (1 + w) V_t - w V_p: 1/(2r) (2M) or h phi_2(h) / (E r) (2M-phi). */
static void multistep_weight(adj_work *aw, adj_variant v)
{
  if (!aw->have_prev || v == ADJ_1) {
    mpfr_set_zero(aw->w, 1);
    return;
  }
  /* 1/r = h / h_prev */
  mpfr_div(aw->k1, aw->h, aw->h_prev, RND);
  if (v == ADJ_2M) {
    mpfr_div_2ui(aw->w, aw->k1, 1, RND);
    return;
  }
  adeis_phi(aw->w, 2, aw->h);
  mpfr_mul(aw->w, aw->w, aw->h, RND);
  mpfr_div(aw->w, aw->w, aw->E, RND);
  mpfr_mul(aw->w, aw->w, aw->k1, RND);
}

/* acc <- acc_scale acc + kt (1 + w) wt J_t - kt w wp J_p, where V = wt J: the common update of
 * a_x (acc_scale = alpha_t/alpha_s, kt = c sigma_s E/alpha_s^2, wt = alpha_t^2) and of
 * a_z, a_theta (acc_scale = 1, kt = c sigma_s E/alpha_s, wt = alpha_t). */
static int adjoint_update(adj_work *aw, adeis_vec *acc, mpfr_srcptr acc_scale, mpfr_srcptr kt,
                           mpfr_srcptr wt, mpfr_srcptr wp, const adeis_vec *J, const adeis_vec *J_p)
{
  mpfr_add_ui(aw->k2, aw->w, 1, RND);
  mpfr_mul(aw->k2, aw->k2, kt, RND);
  mpfr_mul(aw->k2, aw->k2, wt, RND);
  if (mpfr_zero_p(aw->w))
    return adeis_vec_lincomb(acc, 2, (mpfr_srcptr[]){acc_scale, aw->k2},
                             (const adeis_vec *[]){acc, J});
  mpfr_mul(aw->k3, kt, aw->w, RND);
  mpfr_mul(aw->k3, aw->k3, wp, RND);
  mpfr_neg(aw->k3, aw->k3, RND);
  return adeis_vec_lincomb(acc, 3, (mpfr_srcptr[]){acc_scale, aw->k2, aw->k3},
                           (const adeis_vec *[]){acc, J, J_p});
}

/* The three accumulators' update for a step t -> s with VJPs J taken at a point with alpha_v.
 * Returns 1 when the new a_x, a_z, a_theta are finite (checked inside the updates' own passes). */
static int update_all(adeis_adjoint_problem *p, adj_work *aw, const adeis_tpoint *t,
                       const adeis_tpoint *s, mpfr_srcptr alpha_v, const adeis_vec *jx,
                       const adeis_vec *jz, const adeis_vec *jth)
{
  mpfr_prec_t pr = p->sched->prec;
  mpfr_t ratio, one, kx, kz, wx, wpx;
  mpfr_inits2(pr, ratio, one, kx, kz, wx, wpx, (mpfr_ptr)0);
  mpfr_set_ui(one, 1, RND);
  mpfr_div(ratio, t->alpha, s->alpha, RND);
  mpfr_mul(kz, s->sigma, aw->E, RND);
  mpfr_mul_ui(kz, kz, p->c, RND);
  mpfr_div(kz, kz, s->alpha, RND);          /* c sigma_s E / alpha_s */
  mpfr_div(kx, kz, s->alpha, RND);          /* c sigma_s E / alpha_s^2 */
  mpfr_sqr(wx, alpha_v, RND);
  mpfr_sqr(wpx, aw->alpha_p, RND);
  int finite = adjoint_update(aw, p->a_x, ratio, kx, wx, wpx, jx, aw->jx_p);
  if (p->a_z)
    finite &= adjoint_update(aw, p->a_z, one, kz, alpha_v, aw->alpha_p, jz, aw->jz_p);
  if (p->a_theta)
    finite &= adjoint_update(aw, p->a_theta, one, kz, alpha_v, aw->alpha_p, jth, aw->jth_p);
  mpfr_clears(ratio, one, kx, kz, wx, wpx, (mpfr_ptr)0);
  return finite;
}

/* x at the adjoint point t: from the provider (lent without a copy where it can), or the
 * backsolved x with eps at it (that eps shares the VJP's forward pass) */
static int state_at(adeis_adjoint_problem *p, adj_work *aw, const adeis_tpoint *t,
                    const adeis_vec **x)
{
  int rc;
  if (p->state != ADEIS_STATE_BACKSOLVE) {
    *x = adeis_adjoint_state_ref(p, aw->x, t, &rc);
    return rc;
  }
  adeis_vec_copy(aw->x, p->x);
  *x = aw->x;
  return adeis_model_eps(p->model, aw->e, aw->x, t);
}

static int step_multistep(adeis_adjoint_problem *p, adj_work *aw, adj_variant v,
                          const adeis_tpoint *t, const adeis_tpoint *s)
{
  const adeis_vec *x;
  int rc = state_at(p, aw, t, &x);
  if (!rc)
    rc = adeis_adjoint_vjp(p, t, x, p->a_x, aw->jx, p->a_z ? aw->jz : NULL,
                           p->a_theta ? aw->jth : NULL);
  if (rc)
    return rc;
  multistep_weight(aw, v);
  aw->finite = update_all(p, aw, t, s, t->alpha, aw->jx, aw->jz, aw->jth);
  if (p->state == ADEIS_STATE_BACKSOLVE) {
    adeis_dpm_step(p->x, x, aw->e, aw->e_p, aw->w, t, s, 1);
    swap(&aw->e, &aw->e_p);
  }
  swap(&aw->jx, &aw->jx_p);
  swap(&aw->jz, &aw->jz_p);
  swap(&aw->jth, &aw->jth_p);
  mpfr_set(aw->alpha_p, t->alpha, RND);
  return ADEIS_OK;
}

/* a_x at the midpoint u by an adjdeis-1 step t -> u with J_x(t) in aw->jx */
static void half_step(adeis_adjoint_problem *p, adj_work *aw, const adeis_tpoint *t)
{
  mpfr_prec_t pr = p->sched->prec;
  mpfr_t ratio, k;
  mpfr_inits2(pr, ratio, k, (mpfr_ptr)0);
  const adeis_tpoint *u = &aw->u;
  mpfr_div(ratio, t->alpha, u->alpha, RND);
  mpfr_sub(k, u->lambda, t->lambda, RND);
  mpfr_expm1(k, k, RND);
  mpfr_mul(k, k, u->sigma, RND);
  mpfr_mul_ui(k, k, p->c, RND);
  mpfr_mul(k, k, ratio, RND);
  mpfr_mul(k, k, ratio, RND);               /* c sigma_u (alpha_t/alpha_u)^2 expm1(h/2) */
  adeis_vec_lincomb(aw->au, 2, (mpfr_srcptr[]){ratio, k}, (const adeis_vec *[]){p->a_x, aw->jx});
  mpfr_clears(ratio, k, (mpfr_ptr)0);
}

static int step_midpoint(adeis_adjoint_problem *p, adj_work *aw, const adeis_tpoint *t,
                         const adeis_tpoint *s)
{
  const adeis_vec *x, *xu = aw->xu;
  int rc = state_at(p, aw, t, &x);
  if (!rc)
    rc = adeis_adjoint_vjp(p, t, x, p->a_x, aw->jx, NULL, NULL);
  if (rc)
    return rc;
  adeis_midpoint_lambda(p->sched, &aw->u, t, s);
  half_step(p, aw, t);
  if (p->state == ADEIS_STATE_BACKSOLVE) {
    adeis_dpm_step(aw->xu, x, aw->e, NULL, aw->w, t, &aw->u, 1);
    rc = adeis_model_eps(p->model, aw->e, aw->xu, &aw->u);
  } else {
    xu = adeis_adjoint_state_ref(p, aw->xu, &aw->u, &rc);
  }
  if (!rc)
    rc = adeis_adjoint_vjp(p, &aw->u, xu, aw->au, aw->jx, p->a_z ? aw->jz : NULL,
                           p->a_theta ? aw->jth : NULL);
  if (rc)
    return rc;
  aw->finite = update_all(p, aw, t, s, aw->u.alpha, aw->jx, aw->jz, aw->jth);
  if (p->state == ADEIS_STATE_BACKSOLVE)
    adeis_dpm_step(p->x, x, aw->e, NULL, aw->w, t, s, 1);
  return ADEIS_OK;
}

static int adjdeis_solve(const adeis_method *m, adeis_adjoint_problem *p)
{
  adj_variant v = *(const adj_variant *)m->data;
  adj_work aw;
  int rc = adj_work_init(&aw, p);
  const adeis_grid *g = p->grid;
  for (size_t k = 0; k < g->n && !rc; k++) {
    const adeis_tpoint *t = &g->pts[g->n - k], *s = &g->pts[g->n - k - 1];
    mpfr_sub(aw.h, s->lambda, t->lambda, RND);
    mpfr_expm1(aw.E, aw.h, RND);
    if (v == ADJ_2S) {
      mpfr_set_zero(aw.w, 1);
      rc = step_midpoint(p, &aw, t, s);
    } else {
      rc = step_multistep(p, &aw, v, t, s);
    }
    mpfr_set(aw.h_prev, aw.h, RND);
    aw.have_prev = 1;
    if (!rc && !aw.finite)
      rc = adeis_adjoint_fail(p, k, s, "the adjoint state (a_x, a_z, a_theta)");
    if (!rc && p->state == ADEIS_STATE_BACKSOLVE && !adeis_vec_isfinite(p->x))
      rc = adeis_adjoint_fail(p, k, s, "backsolved x");
  }
  adj_work_clear(&aw);
  return rc;
}

static const adeis_node node0[] = {{0, 1}};
static const adeis_node node_mid[] = {{0, 1}, {1, 2}};
static const adj_variant v1 = ADJ_1, v2m = ADJ_2M, v2mphi = ADJ_2M_PHI, v2s = ADJ_2S;

const adeis_method adeis_method_adjdeis_1 = {
  "adjdeis-1", 1, ADEIS_FAMILY_ADJDEIS, "dpm-1", 1, 1, node0,
  "AdjointDEIS-1: first-order exponential integrator of the adjoint", adjdeis_solve, &v1};
const adeis_method adeis_method_adjdeis_2m = {
  "adjdeis-2m", 2, ADEIS_FAMILY_ADJDEIS, "dpm-2m", 1, 1, node0,
  "AdjointDEIS-2M: multistep, D = V_t + (V_t - V_p)/(2r)", adjdeis_solve, &v2m};
const adeis_method adeis_method_adjdeis_2m_phi = {
  "adjdeis-2m-phi", 2, ADEIS_FAMILY_ADJDEIS, "dpm-2m", 1, 1, node0,
  "AdjointDEIS-2M with the exact weight h phi_2(h)/(E r)", adjdeis_solve, &v2mphi};
const adeis_method adeis_method_adjdeis_2s = {
  "adjdeis-2s", 2, ADEIS_FAMILY_ADJDEIS, "dpm-2s", 1, 2, node_mid,
  "AdjointDEIS-2S: single-step midpoint in lambda", adjdeis_solve, &v2s};

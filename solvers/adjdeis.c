/* AdjointDEIS-1, -2M, -2M-phi and -2S (docs/math.md section 5): exponential integrators
 * of the adjoint equations, stepping a_x, a_z, a_theta from t_end up to T. */
#include "../core/phi.h"
#include "../core/status.h"
#include "adjoint.h"
#include "forward.h"

#include <string.h>

#define RND MPFR_RNDN

typedef enum adj_variant { ADJ_1, ADJ_2M, ADJ_2M_PHI, ADJ_2S } adj_variant;

/* Scalar coefficients of one adjoint step k (t = pts[n-k] -> s = pts[n-k-1]):
 * h, E = expm1(h), kz = c sigma_s E / alpha_s, and the second-order weight w of
 * D = (1 + w) V_t - w V_p (0 on the first step and for first-order variants). */
typedef struct step_coef {
  mpfr_t h, E, kz, w, q;
} step_coef;

typedef struct adj_work {
  adeis_vec *x, *xu, *au;                 /* state at t, at the midpoint; a_x at the midpoint */
  adeis_vec *jx, *jx_p;                   /* v^T deps/dx at t (or u) and at the previous point */
  adeis_vec *e, *e_p;                     /* eps at t and at the previous point (backsolve) */
  adeis_tpoint u;
  step_coef cur, next;                    /* this step's coefficients and the next one's */
  mpfr_t alpha_p, k1, k2, k3, sz;
  int finite;                             /* the adjoint state finite after the last update */
  adeis_vecmeter *meter;
} adj_work;

static void coef_init(step_coef *c, mpfr_prec_t p)
{
  mpfr_inits2(p, c->h, c->E, c->kz, c->w, c->q, (mpfr_ptr)0);
}

static void coef_clear(step_coef *c)
{
  mpfr_clears(c->h, c->E, c->kz, c->w, c->q, (mpfr_ptr)0);
}

static void coef_swap(step_coef *a, step_coef *b)
{
  step_coef t = *a;
  *a = *b;
  *b = t;
}

static int adj_work_init(adj_work *aw, const adeis_adjoint_problem *p)
{
  memset(aw, 0, sizeof *aw);
  aw->meter = p->meter;
  const adeis_model *m = p->model;
  adeis_vec **dvecs[] = {&aw->x, &aw->xu, &aw->au, &aw->jx, &aw->jx_p, &aw->e, &aw->e_p};
  int ok = 1;
  for (size_t i = 0; i < sizeof dvecs / sizeof *dvecs; i++)
    ok &= (*dvecs[i] = adeis_meter_alloc(aw->meter, m->be, m->dim)) != NULL;
  adeis_tpoint_init(&aw->u, p->sched->prec);
  coef_init(&aw->cur, p->sched->prec);
  coef_init(&aw->next, p->sched->prec);
  mpfr_inits2(p->sched->prec, aw->alpha_p, aw->k1, aw->k2, aw->k3, aw->sz, (mpfr_ptr)0);
  return ok ? ADEIS_OK : ADEIS_ENOMEM;
}

static void adj_work_clear(adj_work *aw)
{
  adeis_vec *vs[] = {aw->x, aw->xu, aw->au, aw->jx, aw->jx_p, aw->e, aw->e_p};
  for (size_t i = 0; i < sizeof vs / sizeof *vs; i++)
    adeis_meter_free(aw->meter, vs[i]);
  adeis_tpoint_clear(&aw->u);
  coef_clear(&aw->cur);
  coef_clear(&aw->next);
  mpfr_clears(aw->alpha_p, aw->k1, aw->k2, aw->k3, aw->sz, (mpfr_ptr)0);
}

static void swap(adeis_vec **a, adeis_vec **b)
{
  adeis_vec *t = *a;
  *a = *b;
  *b = t;
}

/* Coefficients of step k from those of step k-1 (prev, ignored for k = 0). Second-order
 * weight w = 1/(2r) (2M) or h phi_2(h) / (E r) (2M-phi), r = h_prev/h. E = expm1(h) is
 * reused when h repeats exactly (most steps of a uniform-lambda grid). */
static void step_coefficients(const adeis_adjoint_problem *p, adj_variant v, size_t k,
                              const step_coef *prev, step_coef *c)
{
  const adeis_grid *g = p->grid;
  const adeis_tpoint *t = &g->pts[g->n - k], *s = &g->pts[g->n - k - 1];
  mpfr_sub(c->h, s->lambda, t->lambda, RND);
  if (k > 0 && mpfr_equal_p(c->h, prev->h))
    mpfr_set(c->E, prev->E, RND);
  else
    mpfr_expm1(c->E, c->h, RND);
  mpfr_srcptr h_prev = prev->h;
  mpfr_mul(c->kz, s->sigma, c->E, RND);
  mpfr_mul_ui(c->kz, c->kz, p->c, RND);
  mpfr_div(c->kz, c->kz, s->alpha, RND);
  if (k == 0 || v == ADJ_1 || v == ADJ_2S) {
    mpfr_set_zero(c->w, 1);
    return;
  }
  mpfr_div(c->w, c->h, h_prev, RND);      /* 1/r */
  if (v == ADJ_2M) {
    mpfr_div_2ui(c->w, c->w, 1, RND);
    return;
  }
  adeis_phi(c->q, 2, c->h);
  mpfr_mul(c->q, c->q, c->h, RND);
  mpfr_div(c->q, c->q, c->E, RND);
  mpfr_mul(c->w, c->w, c->q, RND);
}

/* a_x(s) = (alpha_t/alpha_s) a_x + kx (1 + w) alpha_v^2 J - kx w alpha_p^2 J_p, kx = kz/alpha_s,
 * with J = v^T deps/dx taken at a point with alpha_v (J_p at the previous point). */
static int update_a_x(adeis_adjoint_problem *p, adj_work *aw, const adeis_tpoint *t,
                      const adeis_tpoint *s, mpfr_srcptr alpha_v)
{
  const step_coef *c = &aw->cur;
  mpfr_div(aw->k1, t->alpha, s->alpha, RND);
  mpfr_add_ui(aw->k2, c->w, 1, RND);
  mpfr_mul(aw->k2, aw->k2, c->kz, RND);
  mpfr_div(aw->k2, aw->k2, s->alpha, RND);
  mpfr_mul(aw->k2, aw->k2, alpha_v, RND);
  mpfr_mul(aw->k2, aw->k2, alpha_v, RND);
  if (mpfr_zero_p(c->w))
    return adeis_vec_lincomb(p->a_x, 2, (mpfr_srcptr[]){aw->k1, aw->k2},
                             (const adeis_vec *[]){p->a_x, aw->jx});
  mpfr_mul(aw->k3, c->kz, c->w, RND);
  mpfr_div(aw->k3, aw->k3, s->alpha, RND);
  mpfr_mul(aw->k3, aw->k3, aw->alpha_p, RND);
  mpfr_mul(aw->k3, aw->k3, aw->alpha_p, RND);
  mpfr_neg(aw->k3, aw->k3, RND);
  return adeis_vec_lincomb(p->a_x, 3, (mpfr_srcptr[]){aw->k1, aw->k2, aw->k3},
                           (const adeis_vec *[]){p->a_x, aw->jx, aw->jx_p});
}

/* The whole weight of the products for z and theta taken at point t_k, folded over the two
 * steps that use them: alpha_t [kz_k (1 + w_k) - kz_{k+1} w_{k+1}] (V = alpha J for z, theta;
 * the second term only where a step k+1 exists). The accumulators then need no stored
 * products: a_z += sz J_z(t_k). */
static void folded_scale(adj_work *aw, mpfr_srcptr alpha_t, int has_next)
{
  mpfr_add_ui(aw->sz, aw->cur.w, 1, RND);
  mpfr_mul(aw->sz, aw->sz, aw->cur.kz, RND);
  if (has_next) {
    mpfr_mul(aw->k3, aw->next.kz, aw->next.w, RND);
    mpfr_sub(aw->sz, aw->sz, aw->k3, RND);
  }
  mpfr_mul(aw->sz, aw->sz, alpha_t, RND);
}

/* The evaluation at x: jx always; jz, jtheta accumulated with scale sz; eps for backsolve. */
static adeis_eval eval_io(adeis_adjoint_problem *p, adj_work *aw, const adeis_vec *a, int eps)
{
  adeis_eval io = {.v = a, .jx = aw->jx, .jz = p->a_z, .sz = aw->sz, .jtheta = p->a_theta,
                   .stheta = aw->sz, .eps = aw->e};
  io.want = ADEIS_WANT_JX | (p->a_z ? ADEIS_WANT_JZ : 0u) | (p->a_theta ? ADEIS_WANT_JTHETA : 0u) |
            (eps ? ADEIS_WANT_EPS : 0u);
  return io;
}

/* x at the adjoint point t: from the provider (lent without a copy where it can), or the
 * backsolved x */
static int state_at(adeis_adjoint_problem *p, adj_work *aw, const adeis_tpoint *t,
                    const adeis_vec **x)
{
  int rc = ADEIS_OK;
  if (p->state != ADEIS_STATE_BACKSOLVE) {
    *x = adeis_adjoint_state_ref(p, aw->x, t, &rc);
    return rc;
  }
  adeis_vec_copy(aw->x, p->x);
  *x = aw->x;
  return rc;
}

static int step_multistep(adeis_adjoint_problem *p, adj_work *aw, size_t k,
                          const adeis_tpoint *t, const adeis_tpoint *s)
{
  const adeis_vec *x;
  int backsolve = p->state == ADEIS_STATE_BACKSOLVE;
  int rc = state_at(p, aw, t, &x);
  folded_scale(aw, t->alpha, k + 1 < p->grid->n);
  adeis_eval io = eval_io(p, aw, p->a_x, backsolve);
  if (!rc)
    rc = adeis_adjoint_eval(p, t, x, &io);
  if (rc)
    return rc;
  aw->finite = update_a_x(p, aw, t, s, t->alpha);
  if (backsolve) {
    adeis_dpm_step(p->x, x, aw->e, aw->e_p, aw->cur.w, t, s, 1);
    swap(&aw->e, &aw->e_p);
  }
  swap(&aw->jx, &aw->jx_p);
  mpfr_set(aw->alpha_p, t->alpha, RND);
  return ADEIS_OK;
}

/* a_x at the midpoint u by an adjdeis-1 step t -> u with J_x(t) in aw->jx */
static void half_step(adeis_adjoint_problem *p, adj_work *aw, const adeis_tpoint *t)
{
  mpfr_ptr ratio = aw->k1, k = aw->k2;
  const adeis_tpoint *u = &aw->u;
  mpfr_div(ratio, t->alpha, u->alpha, RND);
  mpfr_sub(k, u->lambda, t->lambda, RND);
  mpfr_expm1(k, k, RND);
  mpfr_mul(k, k, u->sigma, RND);
  mpfr_mul_ui(k, k, p->c, RND);
  mpfr_mul(k, k, ratio, RND);
  mpfr_mul(k, k, ratio, RND);               /* c sigma_u (alpha_t/alpha_u)^2 expm1(h/2) */
  adeis_vec_lincomb(aw->au, 2, (mpfr_srcptr[]){ratio, k}, (const adeis_vec *[]){p->a_x, aw->jx});
}

static int step_midpoint(adeis_adjoint_problem *p, adj_work *aw, const adeis_tpoint *t,
                         const adeis_tpoint *s)
{
  const adeis_vec *x, *xu = aw->xu;
  int backsolve = p->state == ADEIS_STATE_BACKSOLVE;
  int rc = state_at(p, aw, t, &x);
  adeis_eval io = {.want = ADEIS_WANT_JX | (backsolve ? ADEIS_WANT_EPS : 0u), .v = p->a_x,
                   .jx = aw->jx, .eps = aw->e};
  if (!rc)
    rc = adeis_adjoint_eval(p, t, x, &io);
  if (rc)
    return rc;
  adeis_midpoint_lambda(p->sched, &aw->u, t, s);
  half_step(p, aw, t);
  if (backsolve) {
    adeis_dpm_step(aw->xu, x, aw->e, NULL, aw->cur.w, t, &aw->u, 1);
  } else {
    xu = adeis_adjoint_state_ref(p, aw->xu, &aw->u, &rc);
    if (rc)
      return rc;
  }
  folded_scale(aw, aw->u.alpha, 0);
  io = eval_io(p, aw, aw->au, backsolve);
  rc = adeis_adjoint_eval(p, &aw->u, xu, &io);
  if (rc)
    return rc;
  aw->finite = update_a_x(p, aw, t, s, aw->u.alpha);
  if (backsolve)
    adeis_dpm_step(p->x, x, aw->e, NULL, aw->cur.w, t, s, 1);
  return ADEIS_OK;
}

static int adjdeis_solve(const adeis_method *m, adeis_adjoint_problem *p)
{
  adj_variant v = *(const adj_variant *)m->data;
  adj_work aw;
  int rc = adj_work_init(&aw, p);
  const adeis_grid *g = p->grid;
  if (!rc)
    step_coefficients(p, v, 0, &aw.next, &aw.cur);
  for (size_t k = 0; k < g->n && !rc; k++) {
    const adeis_tpoint *t = &g->pts[g->n - k], *s = &g->pts[g->n - k - 1];
    if (k + 1 < g->n)
      step_coefficients(p, v, k + 1, &aw.cur, &aw.next);
    rc = v == ADJ_2S ? step_midpoint(p, &aw, t, s) : step_multistep(p, &aw, k, t, s);
    coef_swap(&aw.cur, &aw.next);
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

#define ADJDEIS_METHOD(id, nm, ord, fwd, nd, text, variant)                                     \
  const adeis_method adeis_method_##id = {                                                       \
    .name = nm,                                                                                  \
    .order = ord,                                                                                \
    .family = ADEIS_FAMILY_ADJDEIS,                                                              \
    .ode_states = ADEIS_STATES_ALL,                                                              \
    .sde_states = 1u << ADEIS_STATE_CACHED,                                                      \
    .forward = fwd,                                                                              \
    .in_lambda = 1,                                                                              \
    .n_nodes = sizeof(nd) / sizeof(nd[0]),                                                       \
    .nodes = nd,                                                                                 \
    .summary = text,                                                                             \
    .solve = adjdeis_solve,                                                                      \
    .data = &variant,                                                                            \
  }

ADJDEIS_METHOD(adjdeis_1, "adjdeis-1", 1, "dpm-1", node0,
               "AdjointDEIS-1: first-order exponential integrator of the adjoint", v1);
ADJDEIS_METHOD(adjdeis_2m, "adjdeis-2m", 2, "dpm-2m", node0,
               "AdjointDEIS-2M: multistep, D = V_t + (V_t - V_p)/(2r)", v2m);
ADJDEIS_METHOD(adjdeis_2m_phi, "adjdeis-2m-phi", 2, "dpm-2m", node0,
               "AdjointDEIS-2M with the exact weight h phi_2(h)/(E r)", v2mphi);
ADJDEIS_METHOD(adjdeis_2s, "adjdeis-2s", 2, "dpm-2s", node_mid,
               "AdjointDEIS-2S: single-step midpoint in lambda", v2s);

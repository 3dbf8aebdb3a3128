/* Fixed-step Runge-Kutta baselines on the augmented adjoint system (docs/math.md section 6). */
#include "tableau.h"
#include "../core/status.h"

#include <string.h>

#define Q(n, d) {(n), (d)}
#define Z {0, 1}

const adeis_tableau adeis_tableau_euler = {
  .stages = 1,
  .b = {Q(1, 1)},
  .c = {Z},
};

const adeis_tableau adeis_tableau_heun = {
  .stages = 2,
  .a = {{Z}, {Q(1, 1)}},
  .b = {Q(1, 2), Q(1, 2)},
  .c = {Z, Q(1, 1)},
};

/* Kutta's third-order method */
const adeis_tableau adeis_tableau_rk3 = {
  .stages = 3,
  .a = {{Z}, {Q(1, 2)}, {Q(-1, 1), Q(2, 1)}},
  .b = {Q(1, 6), Q(2, 3), Q(1, 6)},
  .c = {Z, Q(1, 2), Q(1, 1)},
};

const adeis_tableau adeis_tableau_rk4 = {
  .stages = 4,
  .a = {{Z}, {Q(1, 2)}, {Z, Q(1, 2)}, {Z, Z, Q(1, 1)}},
  .b = {Q(1, 6), Q(1, 3), Q(1, 3), Q(1, 6)},
  .c = {Z, Q(1, 2), Q(1, 2), Q(1, 1)},
};

/* Dormand-Prince: the 5th-order solution; its 7th (FSAL) stage has weight 0 and is dropped */
const adeis_tableau adeis_tableau_dopri5 = {
  .stages = 6,
  .a = {{Z},
        {Q(1, 5)},
        {Q(3, 40), Q(9, 40)},
        {Q(44, 45), Q(-56, 15), Q(32, 9)},
        {Q(19372, 6561), Q(-25360, 2187), Q(64448, 6561), Q(-212, 729)},
        {Q(9017, 3168), Q(-355, 33), Q(46732, 5247), Q(49, 176), Q(-5103, 18656)}},
  .b = {Q(35, 384), Z, Q(500, 1113), Q(125, 192), Q(-2187, 6784), Q(11, 84)},
  .c = {Z, Q(1, 5), Q(3, 10), Q(4, 5), Q(8, 9), Q(1, 1)},
};

/* One component of the augmented state y = (a_x, a_z, a_theta, x): its value y,
 * the current stage value and the stage derivatives k[i]. */
typedef struct rk_comp {
  adeis_vec *y, *stage, *k[ADEIS_RK_MAX_STAGES];
} rk_comp;

enum { C_AX, C_X, C_COUNT };  /* a_z and a_theta are accumulated in place, stage by stage */

typedef struct rk_work {
  const adeis_tableau *tab;
  int in_lambda, backsolve;
  mpfr_t a[ADEIS_RK_MAX_STAGES][ADEIS_RK_MAX_STAGES], b[ADEIS_RK_MAX_STAGES];
  mpfr_t h, one, coef[ADEIS_RK_MAX_STAGES + 1], A, B, nB, tmp, s_acc;
  adeis_tpoint tp[ADEIS_RK_MAX_STAGES];
  rk_comp comp[C_COUNT];   /* a component with y == NULL is absent */
  adeis_vec *x;            /* x at the stage time (oracle and cached modes) */
  adeis_vecmeter *meter;
} rk_work;

static void rational_set(mpfr_ptr r, adeis_node q)
{
  mpfr_set_si(r, q.num, MPFR_RNDN);
  mpfr_div_si(r, r, q.den, MPFR_RNDN);
}

static int comp_alloc(rk_comp *c, adeis_vec *y, const adeis_backend *be, unsigned stages,
                      int need_stage, adeis_vecmeter *mt)
{
  c->y = y;
  if (!y)
    return ADEIS_OK;
  if (need_stage && !(c->stage = adeis_meter_alloc(mt, be, y->n)))
    return ADEIS_ENOMEM;
  for (unsigned i = 0; i < stages; i++)
    if (!(c->k[i] = adeis_meter_alloc(mt, be, y->n)))
      return ADEIS_ENOMEM;
  return ADEIS_OK;
}

static void comp_free(rk_comp *c, adeis_vecmeter *mt)
{
  adeis_meter_free(mt, c->stage);
  for (unsigned i = 0; i < ADEIS_RK_MAX_STAGES; i++)
    adeis_meter_free(mt, c->k[i]);
}

static void work_clear(rk_work *w)
{
  for (unsigned i = 0; i < ADEIS_RK_MAX_STAGES; i++) {
    for (unsigned j = 0; j < ADEIS_RK_MAX_STAGES; j++)
      mpfr_clear(w->a[i][j]);
    mpfr_clear(w->b[i]);
    mpfr_clear(w->coef[i]);
    adeis_tpoint_clear(&w->tp[i]);
  }
  mpfr_clears(w->coef[ADEIS_RK_MAX_STAGES], w->h, w->one, w->A, w->B, w->nB, w->tmp, w->s_acc,
              (mpfr_ptr)0);
  for (int c = 0; c < C_COUNT; c++)
    comp_free(&w->comp[c], w->meter);
  adeis_meter_free(w->meter, w->x);
}

static int work_init(rk_work *w, const adeis_method *m, adeis_adjoint_problem *p)
{
  const adeis_backend *be = p->model->be;
  mpfr_prec_t prec = adeis_backend_scalar_prec(be);
  const adeis_tableau *tab = m->data;
  memset(w, 0, sizeof *w);
  w->meter = p->meter;
  w->tab = tab;
  w->in_lambda = m->in_lambda;
  w->backsolve = p->state == ADEIS_STATE_BACKSOLVE;
  for (unsigned i = 0; i < ADEIS_RK_MAX_STAGES; i++) {
    for (unsigned j = 0; j < ADEIS_RK_MAX_STAGES; j++) {
      mpfr_init2(w->a[i][j], prec);
      rational_set(w->a[i][j], i < tab->stages && j < i ? tab->a[i][j] : (adeis_node){0, 1});
    }
    mpfr_init2(w->b[i], prec);
    rational_set(w->b[i], i < tab->stages ? tab->b[i] : (adeis_node){0, 1});
    mpfr_init2(w->coef[i], prec);
    adeis_tpoint_init(&w->tp[i], p->sched->prec);
  }
  mpfr_inits2(prec, w->coef[ADEIS_RK_MAX_STAGES], w->h, w->one, w->A, w->B, w->nB, w->tmp,
              w->s_acc, (mpfr_ptr)0);
  mpfr_set_ui(w->one, 1, MPFR_RNDN);
  int rc = comp_alloc(&w->comp[C_AX], p->a_x, be, tab->stages, 1, w->meter);
  if (!rc)
    rc = comp_alloc(&w->comp[C_X], w->backsolve ? p->x : NULL, be, tab->stages, 1, w->meter);
  if (!rc && !w->backsolve && !(w->x = adeis_meter_alloc(w->meter, be, p->model->dim)))
    rc = ADEIS_ENOMEM;
  return rc;
}

/* dst = y + sum_j coef_j k[j] over the stages j < n whose weight w[j] is nonzero */
static void comp_combine(rk_work *w, rk_comp *c, adeis_vec *dst, mpfr_t const *wts, unsigned n)
{
  mpfr_srcptr coef[ADEIS_RK_MAX_STAGES + 1];
  const adeis_vec *vec[ADEIS_RK_MAX_STAGES + 1];
  size_t m = 0;
  coef[m] = w->one;
  vec[m++] = c->y;
  for (unsigned j = 0; j < n; j++) {
    if (mpfr_zero_p(wts[j]))
      continue;
    mpfr_mul(w->coef[j], w->h, wts[j], MPFR_RNDN);
    coef[m] = w->coef[j];
    vec[m++] = c->k[j];
  }
  adeis_vec_lincomb(dst, m, coef, vec);
}

/* The right-hand side's scalar coefficients at a stage time, so that
 * a_x' = A a_x + B a_x^T deps/dx, a_{z,theta}' = B a_x^T deps/d{z,theta}, x' = -A x - B eps:
 * in t, A = -f and B = c sigma lambda'; in lambda, A = -dlog alpha/dlambda and B = c sigma. */
static void rhs_coefficients(rk_work *w, const adeis_adjoint_problem *p, const adeis_tpoint *tp)
{
  if (w->in_lambda) {
    adeis_schedule_dlogalpha_dlambda(w->A, p->sched, tp);
    mpfr_set(w->B, tp->sigma, MPFR_RNDN);
  } else {
    adeis_schedule_f(w->A, p->sched, tp->t);
    adeis_schedule_dlambda_dt(w->tmp, p->sched, tp->t);
    mpfr_mul(w->B, tp->sigma, w->tmp, MPFR_RNDN);
  }
  mpfr_neg(w->A, w->A, MPFR_RNDN);
  mpfr_mul_ui(w->B, w->B, p->c, MPFR_RNDN);
  mpfr_neg(w->nB, w->B, MPFR_RNDN);
}

/* k[i] of a_x (and x) from the stage values at stage time tp, with the products for z and
 * theta accumulated straight into a_z, a_theta with their final weight h b_i B (they never
 * feed back into the stages): a_{z,theta} += h b_i B a_x^T deps/d{z,theta}. */
static int stage_derivative(rk_work *w, adeis_adjoint_problem *p, unsigned i, const adeis_tpoint *tp)
{
  rk_comp *ax = &w->comp[C_AX], *x = &w->comp[C_X];
  const adeis_vec *xs = w->backsolve ? x->stage : w->x;
  rhs_coefficients(w, p, tp);
  mpfr_mul(w->s_acc, w->h, w->b[i], MPFR_RNDN);
  mpfr_mul(w->s_acc, w->s_acc, w->B, MPFR_RNDN);
  int acc = !mpfr_zero_p(w->b[i]);
  adeis_eval io = {.v = ax->stage, .jx = ax->k[i], .jz = p->a_z, .sz = w->s_acc,
                   .jtheta = p->a_theta, .stheta = w->s_acc, .eps = w->backsolve ? x->k[i] : NULL};
  io.want = ADEIS_WANT_JX | (acc && p->a_z ? ADEIS_WANT_JZ : 0u) |
            (acc && p->a_theta ? ADEIS_WANT_JTHETA : 0u) | (w->backsolve ? ADEIS_WANT_EPS : 0u);
  int rc = adeis_adjoint_eval(p, tp, xs, &io);
  if (rc)
    return rc;
  adeis_vec_lincomb(ax->k[i], 2, (mpfr_srcptr[]){w->A, w->B},
                    (const adeis_vec *[]){ax->stage, ax->k[i]});
  if (w->backsolve) {
    /* x' = -A x - B eps, eps from the same evaluation */
    mpfr_neg(w->tmp, w->A, MPFR_RNDN);
    adeis_vec_lincomb(x->k[i], 2, (mpfr_srcptr[]){w->tmp, w->nB},
                      (const adeis_vec *[]){x->stage, x->k[i]});
  }
  return ADEIS_OK;
}

static int same_node(adeis_node a, adeis_node b)
{
  return a.num * b.den == b.num * a.den;
}

/* One step from `from` to `to`: stages, then y += h sum_i b_i k[i]. */
static int rk_step(rk_work *w, adeis_adjoint_problem *p, const adeis_tpoint *from,
                   const adeis_tpoint *to)
{
  const adeis_tableau *tab = w->tab;
  if (w->in_lambda)
    mpfr_sub(w->h, to->lambda, from->lambda, MPFR_RNDN);
  else
    mpfr_sub(w->h, to->t, from->t, MPFR_RNDN);
  for (unsigned i = 0; i < tab->stages; i++) {
    int repeat = i > 0 && same_node(tab->c[i], tab->c[i - 1]);
    adeis_tpoint *tp = &w->tp[i];
    if (repeat)
      adeis_tpoint_copy(tp, &w->tp[i - 1]);
    else
      adeis_stage_point(p->sched, tp, from, to, tab->c[i], w->in_lambda);
    comp_combine(w, &w->comp[C_AX], w->comp[C_AX].stage, w->a[i], i);
    if (w->backsolve)
      comp_combine(w, &w->comp[C_X], w->comp[C_X].stage, w->a[i], i);
    else if (!repeat) {
      int rc = adeis_adjoint_state(p, w->x, tp);
      if (rc)
        return rc;
    }
    int rc = stage_derivative(w, p, i, tp);
    if (rc)
      return rc;
  }
  for (int c = 0; c < C_COUNT; c++)
    if (w->comp[c].y)
      comp_combine(w, &w->comp[c], w->comp[c].y, w->b, tab->stages);
  return ADEIS_OK;
}

static int rk_solve(const adeis_method *m, adeis_adjoint_problem *p)
{
  rk_work w;
  int rc = work_init(&w, m, p);
  size_t n = p->grid->n;
  for (size_t k = 0; !rc && k < n; k++) {
    const adeis_tpoint *from = &p->grid->pts[n - k], *to = &p->grid->pts[n - k - 1];
    rc = rk_step(&w, p, from, to);
    if (!rc && !adeis_vec_isfinite(p->a_x))
      rc = adeis_adjoint_fail(p, k, to, "a_x");
    if (!rc && w.backsolve && !adeis_vec_isfinite(p->x))
      rc = adeis_adjoint_fail(p, k, to, "x");
  }
  work_clear(&w);
  return rc;
}

static const adeis_node nodes_euler[] = {Z};
static const adeis_node nodes_heun[] = {Z, Q(1, 1)};
static const adeis_node nodes_rk3[] = {Z, Q(1, 2), Q(1, 1)};
static const adeis_node nodes_rk4[] = {Z, Q(1, 2), Q(1, 1)};
static const adeis_node nodes_dopri5[] = {Z, Q(1, 5), Q(3, 10), Q(4, 5), Q(8, 9), Q(1, 1)};

#define NODES(v) .n_nodes = sizeof(v) / sizeof(v[0]), .nodes = v

#define RK_METHOD(id, nm, ord, fwd, lam, tab, nodes, text)                                        \
  const adeis_method adeis_method_##id = {                                                        \
    .name = nm,                                                                                   \
    .order = ord,                                                                                 \
    .family = ADEIS_FAMILY_RK,                                                                    \
    .ode_states = ADEIS_STATES_ALL,                                                               \
    .sde_states = 1u << ADEIS_STATE_CACHED,                                                       \
    .forward = fwd,                                                                               \
    .in_lambda = lam,                                                                             \
    NODES(nodes),                                                                                 \
    .summary = text,                                                                              \
    .solve = rk_solve,                                                                            \
    .data = &tab,                                                                                 \
  }

RK_METHOD(euler_t, "euler-t", 1, "dpm-1", 0, adeis_tableau_euler, nodes_euler,
          "explicit Euler on the augmented adjoint system, steps in t");
RK_METHOD(euler_lambda, "euler-lambda", 1, "dpm-1", 1, adeis_tableau_euler, nodes_euler,
          "explicit Euler on the augmented adjoint system, steps in lambda");
RK_METHOD(heun_t, "heun-t", 2, "dpm-2m", 0, adeis_tableau_heun, nodes_heun,
          "Heun's 2nd-order method on the augmented adjoint system, steps in t");
RK_METHOD(heun_lambda, "heun-lambda", 2, "dpm-2m", 1, adeis_tableau_heun, nodes_heun,
          "Heun's 2nd-order method on the augmented adjoint system, steps in lambda");
RK_METHOD(rk3_t, "rk3-t", 3, "dpm-2m", 0, adeis_tableau_rk3, nodes_rk3,
          "Kutta's 3rd-order method on the augmented adjoint system, steps in t");
RK_METHOD(rk3_lambda, "rk3-lambda", 3, "dpm-2m", 1, adeis_tableau_rk3, nodes_rk3,
          "Kutta's 3rd-order method on the augmented adjoint system, steps in lambda");
RK_METHOD(rk4_t, "rk4-t", 4, "dpm-2m", 0, adeis_tableau_rk4, nodes_rk4,
          "classic 4th-order Runge-Kutta on the augmented adjoint system, steps in t");
RK_METHOD(rk4_lambda, "rk4-lambda", 4, "dpm-2m", 1, adeis_tableau_rk4, nodes_rk4,
          "classic 4th-order Runge-Kutta on the augmented adjoint system, steps in lambda");
RK_METHOD(dopri5_t, "dopri5-t", 5, "dpm-2m", 0, adeis_tableau_dopri5, nodes_dopri5,
          "Dormand-Prince 5th-order weights, fixed steps in t");
RK_METHOD(dopri5_lambda, "dopri5-lambda", 5, "dpm-2m", 1, adeis_tableau_dopri5, nodes_dopri5,
          "Dormand-Prince 5th-order weights, fixed steps in lambda");

/* Fixed-step Runge-Kutta baselines on the augmented adjoint system (MATH.md section 6). */
#include "tableau.h"
#include "../core/status.h"

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

static int rk_solve(const adeis_method *m, adeis_adjoint_problem *p)
{
  (void)p;
  adeis_set_error("%s: not implemented yet", m->name);
  return ADEIS_EINPUT;
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

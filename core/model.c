/* Generic entries of the model interface (model.h). */
#include "model.h"
#include "status.h"

#include <string.h>

void *adeis_model_ws_alloc(const adeis_model *m)
{
  return m->ops->ws_alloc ? m->ops->ws_alloc(m) : (void *)m;
}

void adeis_model_ws_free(const adeis_model *m, void *ws)
{
  if (m->ops->ws_free && ws)
    m->ops->ws_free(m, ws);
}

/* Runs f with ws, or with a workspace made for this call when ws is NULL. */
#define WITH_WS(m, ws, call)                                                                     \
  do {                                                                                           \
    void *own_ = (ws) ? NULL : adeis_model_ws_alloc(m);                                          \
    if (!(ws) && !own_) {                                                                        \
      adeis_set_error("model %s: out of memory for a workspace", (m)->ops->name);                \
      return ADEIS_ENOMEM;                                                                       \
    }                                                                                            \
    void *w_ = (ws) ? (ws) : own_;                                                               \
    int rc_ = (call);                                                                            \
    if (own_)                                                                                    \
      adeis_model_ws_free(m, own_);                                                              \
    return rc_;                                                                                  \
  } while (0)

int adeis_model_eval(const adeis_model *m, void *ws, const adeis_vec *x, const adeis_tpoint *tp,
                     const adeis_eval *io)
{
  WITH_WS(m, ws, m->ops->eval(m, w_, x, tp, io));
}

int adeis_model_eps(const adeis_model *m, void *ws, adeis_vec *out, const adeis_vec *x,
                    const adeis_tpoint *tp)
{
  adeis_eval io = {.want = ADEIS_WANT_EPS, .eps = out};
  return adeis_model_eval(m, ws, x, tp, &io);
}

int adeis_model_vjp(const adeis_model *m, void *ws, const adeis_vec *x, const adeis_tpoint *tp,
                    const adeis_vec *v, adeis_vec *jx, adeis_vec *jz, adeis_vec *jtheta)
{
  mpfr_t one;
  mpfr_init2(one, 8);
  mpfr_set_ui(one, 1, MPFR_RNDN);
  adeis_eval io = {.v = v, .jx = jx, .jz = jz, .sz = one, .jtheta = jtheta, .stheta = one};
  io.want = (jx ? ADEIS_WANT_JX : 0u) | (jz ? ADEIS_WANT_JZ : 0u) | (jtheta ? ADEIS_WANT_JTHETA : 0u);
  if (jz)
    adeis_vec_set_zero(jz);
  if (jtheta)
    adeis_vec_set_zero(jtheta);
  int rc = io.want ? adeis_model_eval(m, ws, x, tp, &io) : ADEIS_OK;
  mpfr_clear(one);
  return rc;
}

static int lacks(const adeis_model *m, const char *what)
{
  adeis_set_error("model %s has no %s", m->ops->name, what);
  return ADEIS_EINPUT;
}

int adeis_model_flow(const adeis_model *m, void *ws, adeis_vec *x_t, const adeis_tpoint *t,
                     const adeis_vec *x_s, const adeis_tpoint *s)
{
  if (!adeis_model_has(m, ADEIS_CAP_FLOW) || !m->ops->flow)
    return lacks(m, "closed-form flow");
  WITH_WS(m, ws, m->ops->flow(m, w_, x_t, t, x_s, s));
}

int adeis_model_exact_ode(const adeis_model *m, void *ws, const adeis_tpoint *t0,
                          const adeis_tpoint *tT, const adeis_vec *x_T, const adeis_vec *G,
                          adeis_vec *gx, adeis_vec *gz, adeis_vec *gtheta)
{
  if (!adeis_model_has(m, ADEIS_CAP_EXACT_ODE) || !m->ops->exact_ode)
    return lacks(m, "exact ODE gradients");
  WITH_WS(m, ws, m->ops->exact_ode(m, w_, t0, tT, x_T, G, gx, gz, gtheta));
}

int adeis_model_exact_sde(const adeis_model *m, void *ws, const adeis_tpoint *t0,
                          const adeis_tpoint *tT, const adeis_vec *G, adeis_vec *gx,
                          adeis_vec *gz)
{
  if (!adeis_model_has(m, ADEIS_CAP_EXACT_SDE) || !m->ops->exact_sde)
    return lacks(m, "exact SDE gradients");
  WITH_WS(m, ws, m->ops->exact_sde(m, w_, t0, tT, G, gx, gz));
}

void adeis_model_clear(adeis_model *m)
{
  if (m->ops && m->ops->clear)
    m->ops->clear(m);
  memset(m, 0, sizeof *m);
}

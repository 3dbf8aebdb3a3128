/* State providers, stage points and the helpers every adjoint solver shares. */
#include "adjoint.h"
#include "../core/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RND MPFR_RNDN

static const char *const state_names[ADEIS_STATE_COUNT] = {"oracle", "cached", "backsolve"};

const char *adeis_state_name(adeis_state_mode mode)
{
  return mode < ADEIS_STATE_COUNT ? state_names[mode] : "?";
}

int adeis_state_lookup(const char *name, adeis_state_mode *mode)
{
  for (int k = 0; k < ADEIS_STATE_COUNT; k++)
    if (strcmp(state_names[k], name) == 0) {
      *mode = (adeis_state_mode)k;
      return 0;
    }
  return -1;
}

void adeis_stage_point(const adeis_schedule *s, adeis_tpoint *tp, const adeis_tpoint *from,
                       const adeis_tpoint *to, adeis_node c, int in_lambda)
{
  if (c.num == 0) {
    adeis_tpoint_copy(tp, from);
    return;
  }
  if (c.num == c.den) {
    adeis_tpoint_copy(tp, to);
    return;
  }
  mpfr_t w;
  mpfr_init2(w, mpfr_get_prec(tp->t));
  mpfr_srcptr a = in_lambda ? from->lambda : from->t, b = in_lambda ? to->lambda : to->t;
  mpfr_sub(w, b, a, RND);
  mpfr_mul_si(w, w, c.num, RND);
  mpfr_div_si(w, w, c.den, RND);
  mpfr_add(w, w, a, RND);
  if (in_lambda)
    adeis_schedule_point_lambda(s, tp, w);
  else
    adeis_schedule_point_t(s, tp, w);
  mpfr_clear(w);
}

/* ---- oracle ---- */

typedef struct oracle {
  const adeis_model *m;
  void *ws;
  const adeis_vec *x_T;
  const adeis_tpoint *tT;
} oracle;

static int oracle_at(const adeis_states *st, adeis_vec *x, const adeis_tpoint *tp)
{
  const oracle *o = st->impl;
  return adeis_model_flow(o->m, o->ws, x, tp, o->x_T, o->tT);
}

void adeis_states_oracle(adeis_states *st, const adeis_model *m, void *ws, const adeis_vec *x_T,
                         const adeis_tpoint *tT)
{
  oracle *o = malloc(sizeof *o);
  if (!o)
    abort();
  o->m = m;
  o->ws = ws;
  o->x_T = x_T;
  o->tT = tT;
  st->at = oracle_at;
  st->peek = NULL;
  st->impl = o;
  st->owns_impl = 1;
}

void adeis_states_clear(adeis_states *st)
{
  if (st->owns_impl)
    free(st->impl);
  st->impl = NULL;
  st->owns_impl = 0;
}

/* ---- cache ---- */

void adeis_cache_init(adeis_cache *c, mpfr_prec_t prec)
{
  memset(c, 0, sizeof *c);
  c->prec = prec;
}

int adeis_cache_push(adeis_cache *c, const adeis_tpoint *tp, const adeis_vec *x)
{
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 64;
    adeis_tpoint *t2 = realloc(c->tp, cap * sizeof *t2);
    if (!t2)
      return ADEIS_ENOMEM;
    c->tp = t2;
    adeis_vec **x2 = realloc(c->x, cap * sizeof *x2);
    if (!x2)
      return ADEIS_ENOMEM;
    c->x = x2;
    c->cap = cap;
  }
  adeis_vec *v = adeis_meter_alloc(c->meter, x->be, x->n);
  if (!v)
    return ADEIS_ENOMEM;
  adeis_vec_copy(v, x);
  adeis_tpoint_init(&c->tp[c->n], c->prec);
  adeis_tpoint_copy(&c->tp[c->n], tp);
  c->x[c->n++] = v;
  return ADEIS_OK;
}

void adeis_cache_clear(adeis_cache *c)
{
  for (size_t i = 0; i < c->n; i++) {
    adeis_tpoint_clear(&c->tp[i]);
    adeis_meter_free(c->meter, c->x[i]);
  }
  free(c->tp);
  free(c->x);
  memset(c, 0, sizeof *c);
}

/* binary search on increasing lambda (decreasing t) for an entry with exactly this lambda
 * (keys and queries come from the same grid and stage-point functions; t may be absent) */
static const adeis_vec *cached_peek(const adeis_states *st, const adeis_tpoint *tp)
{
  const adeis_cache *c = st->impl;
  size_t lo = 0, hi = c->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int cmp = mpfr_cmp(c->tp[mid].lambda, tp->lambda);
    if (cmp == 0)
      return c->x[mid];
    if (cmp < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

static int cached_at(const adeis_states *st, adeis_vec *x, const adeis_tpoint *tp)
{
  const adeis_vec *v = cached_peek(st, tp);
  if (!v) {
    adeis_set_error("no cached state at lambda = %.17g", mpfr_get_d(tp->lambda, RND));
    return ADEIS_EINPUT;
  }
  adeis_vec_copy(x, v);
  return ADEIS_OK;
}

void adeis_states_cached(adeis_states *st, const adeis_cache *c)
{
  st->at = cached_at;
  st->peek = cached_peek;
  st->impl = (void *)c;
  st->owns_impl = 0;
}

/* ---- the vector meter ---- */

void adeis_meter_add(adeis_vecmeter *mt, long k)
{
  if (!mt)
    return;
  mt->now = (size_t)((long)mt->now + k);
  if (mt->now > mt->peak)
    mt->peak = mt->now;
}

adeis_vec *adeis_meter_alloc(adeis_vecmeter *mt, const adeis_backend *be, size_t n)
{
  adeis_vec *v = adeis_vec_alloc(be, n);
  if (v)
    adeis_meter_add(mt, 1);
  return v;
}

void adeis_meter_free(adeis_vecmeter *mt, adeis_vec *v)
{
  if (!v)
    return;
  adeis_vec_free(v);
  adeis_meter_add(mt, -1);
}

/* ---- storage policies ---- */

int adeis_store_parse(const char *text, adeis_store *st)
{
  st->snapshots = 0;
  if (strcmp(text, "all") == 0) {
    st->kind = ADEIS_STORE_ALL;
    return 0;
  }
  if (strcmp(text, "reversible") == 0) {
    st->kind = ADEIS_STORE_REVERSIBLE;
    return 0;
  }
  if (strcmp(text, "checkpoint") == 0) {
    st->kind = ADEIS_STORE_CHECKPOINT;
    return 0;
  }
  if (strncmp(text, "checkpoint:", 11) != 0)
    return -1;
  const char *p = text + 11;
  if (*p < '1' || *p > '9')
    return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(p, &end, 10);
  if (*end || errno || v > ADEIS_SNAPSHOTS_MAX)
    return -1;
  st->kind = ADEIS_STORE_CHECKPOINT;
  st->snapshots = (size_t)v;
  return 0;
}

size_t adeis_store_snapshots(const adeis_store *st, size_t n)
{
  if (st->snapshots)
    return st->snapshots;
  size_t s = 0;
  while (s < 64 && ((size_t)1 << s) < n)
    s++;
  return s ? s : 1;
}

void adeis_store_format(char *buf, size_t len, const adeis_store *st, size_t n)
{
  switch (st->kind) {
  case ADEIS_STORE_ALL: snprintf(buf, len, "all"); break;
  case ADEIS_STORE_CHECKPOINT:
    snprintf(buf, len, "checkpoint:%zu", adeis_store_snapshots(st, n));
    break;
  case ADEIS_STORE_REVERSIBLE: snprintf(buf, len, "reversible"); break;
  case ADEIS_STORE_COUPLED_ALL: snprintf(buf, len, "coupled-all"); break;
  default: snprintf(buf, len, "none"); break;
  }
}

/* ---- shared solver helpers ---- */

int adeis_adjoint_fail(adeis_adjoint_problem *p, size_t k, const adeis_tpoint *tp, const char *what)
{
  p->fail_step = k;
  p->fail_t = adeis_tpoint_t_d(p->sched, tp);
  adeis_set_error("%s is not finite at adjoint step %zu, t = %.17g", what, k, p->fail_t);
  return ADEIS_ENUMERIC;
}

int adeis_adjoint_state(adeis_adjoint_problem *p, adeis_vec *x, const adeis_tpoint *tp)
{
  return p->states->at(p->states, x, tp);
}

const adeis_vec *adeis_adjoint_state_ref(adeis_adjoint_problem *p, adeis_vec *buf,
                                         const adeis_tpoint *tp, int *rc)
{
  const adeis_vec *v = p->states->peek ? p->states->peek(p->states, tp) : NULL;
  *rc = ADEIS_OK;
  if (v)
    return v;
  *rc = p->states->at(p->states, buf, tp);
  return *rc ? NULL : buf;
}

int adeis_adjoint_eval(adeis_adjoint_problem *p, const adeis_tpoint *tp, const adeis_vec *x,
                       const adeis_eval *io)
{
  p->counts.nfe++;
  p->counts.nvjp += (io->want & ~ADEIS_WANT_EPS) != 0;
  return adeis_model_eval(p->model, p->ws, x, tp, io);
}

int adeis_method_check(const adeis_method *m, const adeis_backend *be, int sde,
                       adeis_state_mode state)
{
  if ((m->flags & ADEIS_METHOD_DOUBLE_ONLY) && be->ops != &adeis_backend_double_ops) {
    adeis_set_error("--backend: %s runs on the double backend only (--backend double)", m->name);
    return ADEIS_EINPUT;
  }
  unsigned allowed = sde ? m->sde_states : m->ode_states;
  if (sde && !allowed) {
    adeis_set_error("--sde: %s does not solve the SDE adjoint", m->name);
    return ADEIS_EINPUT;
  }
  if (!(allowed & (1u << state))) {
    adeis_set_error("--state: %s is not available for %s with the %s (allowed: %s%s%s)",
                    adeis_state_name(state), m->name, sde ? "SDE" : "PF-ODE",
                    allowed & (1u << ADEIS_STATE_ORACLE) ? "oracle " : "",
                    allowed & (1u << ADEIS_STATE_CACHED) ? "cached " : "",
                    allowed & (1u << ADEIS_STATE_BACKSOLVE) ? "backsolve" : "");
    return ADEIS_EINPUT;
  }
  return ADEIS_OK;
}

int adeis_method_check_store(const adeis_method *m, const adeis_store *st, double zeta)
{
  int discrete = (m->flags & ADEIS_METHOD_DISCRETE) != 0;
  if (!discrete && st->kind != ADEIS_STORE_NONE) {
    adeis_set_error("--store: %s is not a discrete adjoint (dto-* methods take a storage policy)",
                    m->name);
    return ADEIS_EINPUT;
  }
  if ((st->kind == ADEIS_STORE_REVERSIBLE || st->kind == ADEIS_STORE_COUPLED_ALL) &&
      !(m->flags & ADEIS_METHOD_REVERSIBLE)) {
    adeis_set_error("--store: reversible is available for dto-dpm-1 and dto-dpm-2s, not %s",
                    m->name);
    return ADEIS_EINPUT;
  }
  if (!(zeta > 0 && zeta <= 1)) {
    adeis_set_error("--zeta: expected a coupling constant in (0, 1], got %g", zeta);
    return ADEIS_EINPUT;
  }
  return ADEIS_OK;
}

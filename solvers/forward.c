#include "forward.h"
#include "tableau.h"
#include "../core/status.h"

#include <string.h>

#define RND MPFR_RNDN

void adeis_midpoint_lambda(const adeis_schedule *s, adeis_tpoint *u, const adeis_tpoint *a,
                           const adeis_tpoint *b)
{
  /* always from the larger lambda (data side) */
  const adeis_tpoint *lo = mpfr_cmp(a->lambda, b->lambda) >= 0 ? a : b;
  const adeis_tpoint *hi = lo == a ? b : a;
  adeis_stage_point(s, u, lo, hi, (adeis_node){1, 2}, 1);
}

void adeis_dpm_step(adeis_vec *out, const adeis_vec *x, const adeis_vec *e, const adeis_vec *e_p,
                    mpfr_srcptr w, const adeis_tpoint *from, const adeis_tpoint *to, unsigned c)
{
  mpfr_prec_t p = mpfr_get_prec(to->t);
  mpfr_t ratio, k, ke, kp;
  mpfr_inits2(p, ratio, k, ke, kp, (mpfr_ptr)0);
  mpfr_div(ratio, to->alpha, from->alpha, RND);
  mpfr_sub(k, to->lambda, from->lambda, RND);
  mpfr_expm1(k, k, RND);
  mpfr_mul(k, k, to->sigma, RND);
  mpfr_mul_si(k, k, -(long)c, RND);          /* -c sigma_to expm1(h) */
  if (!e_p || mpfr_zero_p(w)) {
    adeis_vec_lincomb(out, 2, (mpfr_srcptr[]){ratio, k}, (const adeis_vec *[]){x, e});
  } else {
    mpfr_add_ui(ke, w, 1, RND);
    mpfr_mul(ke, ke, k, RND);
    mpfr_mul(kp, k, w, RND);
    mpfr_neg(kp, kp, RND);
    adeis_vec_lincomb(out, 3, (mpfr_srcptr[]){ratio, ke, kp}, (const adeis_vec *[]){x, e, e_p});
  }
  mpfr_clears(ratio, k, ke, kp, (mpfr_ptr)0);
}

/* ---- plans ---- */

void adeis_plan_init(adeis_plan *pl, mpfr_prec_t prec)
{
  memset(pl, 0, sizeof *pl);
  for (unsigned j = 0; j < ADEIS_PLAN_MAX; j++) {
    adeis_tpoint_init(&pl->own[j], prec);
    for (unsigned i = 0; i < ADEIS_PLAN_MAX; i++)
      mpfr_init2(pl->c[j][i], prec);
  }
  for (unsigned j = 0; j < ADEIS_PLAN_MAX + 2; j++)
    mpfr_init2(pl->out[j], prec);
  pl->init = 1;
}

void adeis_plan_clear(adeis_plan *pl)
{
  if (!pl->init)
    return;
  for (unsigned j = 0; j < ADEIS_PLAN_MAX; j++) {
    adeis_tpoint_clear(&pl->own[j]);
    for (unsigned i = 0; i < ADEIS_PLAN_MAX; i++)
      mpfr_clear(pl->c[j][i]);
  }
  for (unsigned j = 0; j < ADEIS_PLAN_MAX + 2; j++)
    mpfr_clear(pl->out[j]);
  pl->init = 0;
}

/* every coefficient zero, stage 0 evaluated at x itself */
static void plan_reset(adeis_plan *pl, unsigned stages, const adeis_tpoint *from)
{
  pl->stages = stages;
  for (unsigned j = 0; j < ADEIS_PLAN_MAX; j++)
    for (unsigned i = 0; i < ADEIS_PLAN_MAX; i++)
      mpfr_set_zero(pl->c[j][i], 1);
  for (unsigned j = 0; j < ADEIS_PLAN_MAX + 2; j++)
    mpfr_set_zero(pl->out[j], 1);
  mpfr_set_ui(pl->c[0][0], 1, RND);
  pl->at[0] = from;
}

/* ratio = alpha_to/alpha_from, k = -c sigma_to expm1(h): the two coefficients of a dpm step,
 * computed exactly as adeis_dpm_step does */
static void dpm_coefficients(mpfr_ptr ratio, mpfr_ptr k, const adeis_tpoint *from,
                             const adeis_tpoint *to, unsigned c)
{
  mpfr_div(ratio, to->alpha, from->alpha, RND);
  mpfr_sub(k, to->lambda, from->lambda, RND);
  mpfr_expm1(k, k, RND);
  mpfr_mul(k, k, to->sigma, RND);
  mpfr_mul_si(k, k, -(long)c, RND);
}

static void plan_dpm1(adeis_plan *pl, const adeis_schedule *s, const adeis_tpoint *prev,
                      const adeis_tpoint *from, const adeis_tpoint *to)
{
  (void)s;
  (void)prev;
  plan_reset(pl, 1, from);
  dpm_coefficients(pl->out[0], pl->out[1], from, to, 1);
}

static void plan_sde_dpm1(adeis_plan *pl, const adeis_schedule *s, const adeis_tpoint *prev,
                          const adeis_tpoint *from, const adeis_tpoint *to)
{
  (void)s;
  (void)prev;
  plan_reset(pl, 1, from);
  dpm_coefficients(pl->out[0], pl->out[1], from, to, 2);
}

/* x_t = ratio x + k [(1 + w) eps - w eps_prev], w = 1/(2r), r = h_prev/h; first step dpm-1 */
static void plan_dpm2m(adeis_plan *pl, const adeis_schedule *s, const adeis_tpoint *prev,
                       const adeis_tpoint *from, const adeis_tpoint *to)
{
  (void)s;
  plan_reset(pl, 1, from);
  mpfr_ptr k = pl->c[1][0], w = pl->c[1][1], h = pl->c[1][2];  /* scratch, reset below */
  dpm_coefficients(pl->out[0], k, from, to, 1);
  if (prev) {
    mpfr_sub(h, to->lambda, from->lambda, RND);
    mpfr_sub(w, from->lambda, prev->lambda, RND);
    mpfr_div(w, h, w, RND);
    mpfr_div_2ui(w, w, 1, RND);
  } else {
    mpfr_set_zero(w, 1);
  }
  mpfr_add_ui(pl->out[1], w, 1, RND);
  mpfr_mul(pl->out[1], pl->out[1], k, RND);
  mpfr_mul(pl->out[2], k, w, RND);
  mpfr_neg(pl->out[2], pl->out[2], RND);
  mpfr_set_zero(k, 1);
  mpfr_set_zero(w, 1);
  mpfr_set_zero(h, 1);
}

/* midpoint in lambda: x_u = dpm-1 to u, then x_t = ratio x + k eps(x_u, u) */
static void plan_dpm2s(adeis_plan *pl, const adeis_schedule *s, const adeis_tpoint *prev,
                       const adeis_tpoint *from, const adeis_tpoint *to)
{
  (void)prev;
  plan_reset(pl, 2, from);
  adeis_midpoint_lambda(s, &pl->own[1], from, to);
  pl->at[1] = &pl->own[1];
  dpm_coefficients(pl->c[1][0], pl->c[1][1], from, &pl->own[1], 1);
  dpm_coefficients(pl->out[0], pl->out[2], from, to, 1);
}

/* Classic RK4 in lambda on dx/dlambda = g x - sigma eps (g = dlog alpha/dlambda), expanded into
 * coefficients on x and the four evaluations: K_i = g_i Y_i - sigma_i e_i,
 * Y_i = x + h sum_j a_ij K_j, x_t = x + h sum_i b_i K_i. */
static void plan_rk4_lambda(adeis_plan *pl, const adeis_schedule *s, const adeis_tpoint *prev,
                            const adeis_tpoint *from, const adeis_tpoint *to)
{
  (void)prev;
  const adeis_tableau *tab = &adeis_tableau_rk4;
  unsigned ns = tab->stages;
  mpfr_prec_t p = mpfr_get_prec(pl->out[0]);
  mpfr_t K[ADEIS_PLAN_MAX][ADEIS_PLAN_MAX + 1], h, g, q;
  mpfr_inits2(p, h, g, q, (mpfr_ptr)0);
  for (unsigned i = 0; i < ns; i++)
    for (unsigned j = 0; j <= ns; j++)
      mpfr_init2(K[i][j], p);
  plan_reset(pl, ns, from);
  mpfr_sub(h, to->lambda, from->lambda, RND);
  for (unsigned i = 0; i < ns; i++) {
    /* Y_i = x + h sum_{j<i} a_ij K_j, into row i of c (column 0: x, column j+1: e_j) */
    if (i > 0) {
      mpfr_set_ui(pl->c[i][0], 1, RND);
      for (unsigned j = 0; j < i; j++) {
        if (tab->a[i][j].num == 0)
          continue;
        mpfr_mul_si(q, h, tab->a[i][j].num, RND);
        mpfr_div_si(q, q, tab->a[i][j].den, RND);
        for (unsigned col = 0; col <= j + 1; col++) {
          mpfr_mul(g, q, K[j][col], RND);
          mpfr_add(pl->c[i][col], pl->c[i][col], g, RND);
        }
      }
      int same = tab->c[i].num * tab->c[i - 1].den == tab->c[i - 1].num * tab->c[i].den;
      if (same) {
        pl->at[i] = pl->at[i - 1];
      } else {
        adeis_stage_point(s, &pl->own[i], from, to, tab->c[i], 1);
        pl->at[i] = &pl->own[i];
      }
    }
    /* K_i = g_i Y_i - sigma_i e_i */
    adeis_schedule_dlogalpha_dlambda(g, s, pl->at[i]);
    for (unsigned col = 0; col <= ns; col++)
      mpfr_set_zero(K[i][col], 1);
    for (unsigned col = 0; col <= i; col++)
      mpfr_mul(K[i][col], g, pl->c[i][col], RND);
    mpfr_neg(K[i][i + 1], pl->at[i]->sigma, RND);
  }
  mpfr_set_ui(pl->out[0], 1, RND);
  for (unsigned i = 0; i < ns; i++) {
    mpfr_mul_si(q, h, tab->b[i].num, RND);
    mpfr_div_si(q, q, tab->b[i].den, RND);
    for (unsigned col = 0; col <= i + 1; col++) {
      mpfr_mul(g, q, K[i][col], RND);
      mpfr_add(pl->out[col], pl->out[col], g, RND);
    }
  }
  for (unsigned i = 0; i < ns; i++)
    for (unsigned j = 0; j <= ns; j++)
      mpfr_clear(K[i][j]);
  mpfr_clears(h, g, q, (mpfr_ptr)0);
}

/* ---- the executor ---- */

/* y = sum of the nonzero terms coef[i] v[i], in order */
static int lincomb_nonzero(adeis_vec *y, size_t k, mpfr_srcptr const coef[],
                           const adeis_vec *const v[])
{
  mpfr_srcptr c[ADEIS_PLAN_MAX + 2];
  const adeis_vec *x[ADEIS_PLAN_MAX + 2];
  size_t m = 0;
  for (size_t i = 0; i < k; i++)
    if (v[i] && !mpfr_zero_p(coef[i])) {
      c[m] = coef[i];
      x[m++] = v[i];
    }
  if (m == 0) {
    adeis_vec_set_zero(y);
    return 1;
  }
  return adeis_vec_lincomb(y, m, c, x);
}

int adeis_plan_run(adeis_stepper *st, const adeis_plan *pl, adeis_vec *out, const adeis_vec *x,
                   const adeis_vec *prev_eps, adeis_vec *const *stages)
{
  unsigned ns = pl->stages;
  for (unsigned j = 0; j < ns; j++) {
    const adeis_vec *at = x;
    int unit = mpfr_cmp_ui(pl->c[j][0], 1) == 0;
    if (j > 0 || !unit) {
      adeis_vec *y = stages && stages[j] ? stages[j] : st->y;
      const adeis_vec *v[ADEIS_PLAN_MAX] = {x, st->eps[0], st->eps[1], st->eps[2]};
      mpfr_srcptr c[ADEIS_PLAN_MAX] = {pl->c[j][0], pl->c[j][1], pl->c[j][2], pl->c[j][3]};
      lincomb_nonzero(y, j + 1, c, v);
      at = y;
    }
    int rc = adeis_model_eps(st->m, st->ws, st->eps[j], at, pl->at[j]);
    if (st->counts)
      st->counts->nfe++;
    if (rc)
      return rc;
  }
  mpfr_srcptr c[ADEIS_PLAN_MAX + 2];
  const adeis_vec *v[ADEIS_PLAN_MAX + 2];
  for (unsigned j = 0; j <= ns + 1; j++)
    c[j] = pl->out[j];
  v[0] = x;
  for (unsigned j = 0; j < ns; j++)
    v[j + 1] = st->eps[j];
  v[ns + 1] = prev_eps;
  lincomb_nonzero(out, ns + 2, c, v);
  return ADEIS_OK;
}

/* ---- step types ---- */

static int step_plain(adeis_stepper *st, const adeis_tpoint *prev, const adeis_tpoint *from,
                      const adeis_tpoint *to, adeis_vec *x, adeis_vec *const *stages)
{
  st->type->plan(&st->plan, st->s, prev, from, to);
  return adeis_plan_run(st, &st->plan, x, x, NULL, stages);
}

static int alloc_none(adeis_stepper *st)
{
  (void)st;
  return ADEIS_OK;
}

static void free_none(adeis_stepper *st)
{
  (void)st;
}

static void save_none(const adeis_stepper *st, adeis_vec *const *dst)
{
  (void)st;
  (void)dst;
}

static void restore_none(adeis_stepper *st, adeis_vec *const *src)
{
  (void)st;
  (void)src;
}

/* dpm-2m keeps eps at the previous grid point: its own state */
static int alloc_prev(adeis_stepper *st)
{
  st->prev = adeis_meter_alloc(st->meter, st->m->be, st->m->dim);
  return st->prev ? ADEIS_OK : ADEIS_ENOMEM;
}

static void free_prev(adeis_stepper *st)
{
  adeis_meter_free(st->meter, st->prev);
  st->prev = NULL;
}

static void save_prev(const adeis_stepper *st, adeis_vec *const *dst)
{
  adeis_vec_copy(dst[0], st->prev);
}

static void restore_prev(adeis_stepper *st, adeis_vec *const *src)
{
  adeis_vec_copy(st->prev, src[0]);
}

static int step_dpm2m(adeis_stepper *st, const adeis_tpoint *prev, const adeis_tpoint *from,
                      const adeis_tpoint *to, adeis_vec *x, adeis_vec *const *stages)
{
  plan_dpm2m(&st->plan, st->s, prev, from, to);
  int rc = adeis_plan_run(st, &st->plan, x, x, prev ? st->prev : NULL, stages);
  if (!rc)
    adeis_vec_copy(st->prev, st->eps[0]);
  return rc;
}

/* sde-dpm-1 keeps a noise vector */
static int alloc_noise(adeis_stepper *st)
{
  st->xi = adeis_meter_alloc(st->meter, st->m->be, st->m->dim);
  return st->xi ? ADEIS_OK : ADEIS_ENOMEM;
}

static void free_noise(adeis_stepper *st)
{
  adeis_meter_free(st->meter, st->xi);
  st->xi = NULL;
}

#define NOISE_CHUNK 256

/* x += alpha_to (B(lambda_from) - B(lambda_to)), componentwise. The path's values are doubles;
 * they enter xi (at lambda_from) and a small scratch vector (at lambda_to) in chunks, and their
 * difference is formed in the backend, as exactly as the storage allows. */
static int add_noise(adeis_stepper *st, adeis_vec *x, const adeis_tpoint *from,
                     const adeis_tpoint *to)
{
  adeis_vec *bt = adeis_vec_alloc(st->m->be, x->n < NOISE_CHUNK ? x->n : NOISE_CHUNK);
  if (!bt) {
    adeis_set_error("out of memory for the SDE noise");
    return ADEIS_ENOMEM;
  }
  mpfr_t one, mone;
  mpfr_inits2(8, one, mone, (mpfr_ptr)0);
  mpfr_set_si(one, 1, RND);
  mpfr_set_si(mone, -1, RND);
  double l_from = mpfr_get_d(from->lambda, RND), l_to = mpfr_get_d(to->lambda, RND);
  double bf[NOISE_CHUNK], bb[NOISE_CHUNK];
  for (size_t off = 0; off < x->n; off += NOISE_CHUNK) {
    size_t m = x->n - off < NOISE_CHUNK ? x->n - off : NOISE_CHUNK;
    for (size_t i = 0; i < m; i++) {
      bf[i] = adeis_brownian_at(st->bm, off + i, l_from);
      bb[i] = adeis_brownian_at(st->bm, off + i, l_to);
    }
    adeis_vec d, b;
    adeis_vec_view_init(&d, st->xi, off, m);
    adeis_vec_view_init(&b, bt, 0, m);
    adeis_vec_import_d(&d, 0, bf, m);
    adeis_vec_import_d(&b, 0, bb, m);
    adeis_vec_lincomb(&d, 2, (mpfr_srcptr[]){one, mone}, (const adeis_vec *[]){&d, &b});
  }
  adeis_vec_lincomb(x, 2, (mpfr_srcptr[]){one, to->alpha}, (const adeis_vec *[]){x, st->xi});
  mpfr_clears(one, mone, (mpfr_ptr)0);
  adeis_vec_free(bt);
  return ADEIS_OK;
}

static int step_sde(adeis_stepper *st, const adeis_tpoint *prev, const adeis_tpoint *from,
                    const adeis_tpoint *to, adeis_vec *x, adeis_vec *const *stages)
{
  int rc = step_plain(st, prev, from, to, x, stages);
  return rc ? rc : add_noise(st, x, from, to);
}

#define PLAIN .alloc = alloc_none, .save = save_none, .restore = restore_none, .free = free_none

static const adeis_forward fwd_dpm1 = {
  .name = "dpm-1", .order = 1, .evals = 1, .exponential = 1, .plan = plan_dpm1,
  .step = step_plain, PLAIN};
static const adeis_forward fwd_dpm2m = {
  .name = "dpm-2m", .order = 2, .evals = 1, .state_vecs = 1, .plan = plan_dpm2m,
  .alloc = alloc_prev, .step = step_dpm2m, .save = save_prev, .restore = restore_prev,
  .free = free_prev};
static const adeis_forward fwd_dpm2s = {
  .name = "dpm-2s", .order = 2, .evals = 2, .cache_stages = 1, .exponential = 1,
  .plan = plan_dpm2s, .step = step_plain, PLAIN};
static const adeis_forward fwd_sde = {
  .name = "sde-dpm-1", .order = 1, .stochastic = 1, .evals = 1, .plan = plan_sde_dpm1,
  .alloc = alloc_noise, .step = step_sde, .save = save_none, .restore = restore_none,
  .free = free_noise};
static const adeis_forward fwd_rk4_lambda = {
  .name = "rk4-lambda", .order = 4, .evals = 4, .plan = plan_rk4_lambda, .step = step_plain,
  PLAIN};

const adeis_forward *const adeis_forwards[] = {&fwd_dpm1, &fwd_dpm2m, &fwd_dpm2s, &fwd_sde,
                                               &fwd_rk4_lambda, NULL};

const adeis_forward *adeis_forward_lookup(const char *name)
{
  for (size_t i = 0; adeis_forwards[i]; i++)
    if (strcmp(adeis_forwards[i]->name, name) == 0)
      return adeis_forwards[i];
  return NULL;
}

/* ---- the stepper and the driver ---- */

int adeis_stepper_init(adeis_stepper *st, const adeis_forward *f, const adeis_model *m, void *ws,
                       const adeis_schedule *s, const adeis_brownian *bm, adeis_counts *counts,
                       adeis_vecmeter *meter)
{
  memset(st, 0, sizeof *st);
  st->type = f;
  st->m = m;
  st->ws = ws;
  st->s = s;
  st->bm = bm;
  st->counts = counts;
  st->meter = meter;
  adeis_plan_init(&st->plan, s->prec);
  int ok = (st->y = adeis_meter_alloc(meter, m->be, m->dim)) != NULL;
  for (unsigned j = 0; j < f->evals && j < ADEIS_PLAN_MAX; j++)
    ok &= (st->eps[j] = adeis_meter_alloc(meter, m->be, m->dim)) != NULL;
  if (!ok)
    return ADEIS_ENOMEM;
  return f->alloc(st);
}

void adeis_stepper_clear(adeis_stepper *st)
{
  if (!st->type)
    return;
  st->type->free(st);
  adeis_meter_free(st->meter, st->y);
  for (unsigned j = 0; j < ADEIS_PLAN_MAX; j++)
    adeis_meter_free(st->meter, st->eps[j]);
  adeis_plan_clear(&st->plan);
  memset(st, 0, sizeof *st);
}

int adeis_forward_run_metered(const adeis_forward *f, const adeis_model *m, void *ws,
                              const adeis_schedule *s, const adeis_tpoint *pts, size_t n,
                              adeis_vec *x, adeis_cache *cache, const adeis_brownian *bm,
                              adeis_counts *counts, adeis_vecmeter *meter)
{
  if (f->stochastic && !bm) {
    adeis_set_error("%s needs a Brownian path", f->name);
    return ADEIS_EINPUT;
  }
  void *own = ws ? NULL : adeis_model_ws_alloc(m);
  if (!ws && !own)
    return ADEIS_ENOMEM;
  ws = ws ? ws : own;
  adeis_stepper st;
  int rc = adeis_stepper_init(&st, f, m, ws, s, bm, counts, meter);
  int keep_stages = cache && f->cache_stages;
  if (!rc && cache)
    rc = adeis_cache_push(cache, &pts[0], x);
  for (size_t i = 0; i < n && !rc; i++) {
    rc = f->step(&st, i ? &pts[i - 1] : NULL, &pts[i], &pts[i + 1], x, NULL);
    for (unsigned j = 1; keep_stages && !rc && j < st.plan.stages; j++)
      rc = adeis_cache_push(cache, st.plan.at[j], st.y);
    if (!rc && !adeis_vec_isfinite(x)) {
      adeis_set_error("%s: x is not finite at forward step %zu, t = %.17g", f->name, i,
                      adeis_tpoint_t_d(s, &pts[i + 1]));
      rc = ADEIS_ENUMERIC;
    }
    if (!rc && cache)
      rc = adeis_cache_push(cache, &pts[i + 1], x);
  }
  adeis_stepper_clear(&st);
  adeis_model_ws_free(m, own);
  return rc;
}

int adeis_forward_run(const adeis_forward *f, const adeis_model *m, void *ws,
                      const adeis_schedule *s, const adeis_tpoint *pts, size_t n, adeis_vec *x,
                      adeis_cache *cache, const adeis_brownian *bm, adeis_counts *counts)
{
  return adeis_forward_run_metered(f, m, ws, s, pts, n, x, cache, bm, counts, NULL);
}

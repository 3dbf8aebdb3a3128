#include "forward.h"
#include "../core/status.h"

#include <string.h>

#define RND MPFR_RNDN

static const adeis_forward fwd_dpm1 = {"dpm-1", 1, ADEIS_FWD_DPM1, 0};
static const adeis_forward fwd_dpm2m = {"dpm-2m", 2, ADEIS_FWD_DPM2M, 0};
static const adeis_forward fwd_dpm2s = {"dpm-2s", 2, ADEIS_FWD_DPM2S, 0};
static const adeis_forward fwd_sde = {"sde-dpm-1", 1, ADEIS_FWD_SDE_DPM1, 1};

const adeis_forward *const adeis_forwards[] = {&fwd_dpm1, &fwd_dpm2m, &fwd_dpm2s, &fwd_sde, NULL};

const adeis_forward *adeis_forward_lookup(const char *name)
{
  for (size_t i = 0; adeis_forwards[i]; i++)
    if (strcmp(adeis_forwards[i]->name, name) == 0)
      return adeis_forwards[i];
  return NULL;
}

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

#define NOISE_CHUNK 256

typedef struct fwd_work {
  adeis_vec *e, *e_p, *xu, *xi;
  adeis_vec *bt;             /* NOISE_CHUNK values of the Brownian path (SDE) */
  adeis_tpoint u;
  mpfr_t w, h, h_prev;
  int have_prev;
} fwd_work;

static int fwd_work_init(fwd_work *fw, const adeis_model *m, mpfr_prec_t p)
{
  memset(fw, 0, sizeof *fw);
  fw->e = adeis_vec_alloc(m->be, m->dim);
  fw->e_p = adeis_vec_alloc(m->be, m->dim);
  fw->xu = adeis_vec_alloc(m->be, m->dim);
  fw->xi = adeis_vec_alloc(m->be, m->dim);
  fw->bt = adeis_vec_alloc(m->be, m->dim < NOISE_CHUNK ? m->dim : NOISE_CHUNK);
  adeis_tpoint_init(&fw->u, p);
  mpfr_inits2(p, fw->w, fw->h, fw->h_prev, (mpfr_ptr)0);
  mpfr_set_zero(fw->w, 1);
  return fw->e && fw->e_p && fw->xu && fw->xi && fw->bt ? ADEIS_OK : ADEIS_ENOMEM;
}

static void fwd_work_clear(fwd_work *fw)
{
  adeis_vec_free(fw->e);
  adeis_vec_free(fw->e_p);
  adeis_vec_free(fw->xu);
  adeis_vec_free(fw->xi);
  adeis_vec_free(fw->bt);
  adeis_tpoint_clear(&fw->u);
  mpfr_clears(fw->w, fw->h, fw->h_prev, (mpfr_ptr)0);
}

/* dpm-2m weight 1/(2r), r = h_prev/h; zero on the first step */
static void dpm2m_weight(fwd_work *fw, const adeis_tpoint *from, const adeis_tpoint *to)
{
  mpfr_sub(fw->h, to->lambda, from->lambda, RND);
  if (fw->have_prev) {
    mpfr_div(fw->w, fw->h, fw->h_prev, RND);
    mpfr_div_2ui(fw->w, fw->w, 1, RND);
  } else {
    mpfr_set_zero(fw->w, 1);
  }
  mpfr_set(fw->h_prev, fw->h, RND);
  fw->have_prev = 1;
}

/* x += alpha_to (B(lambda_from) - B(lambda_to)), componentwise. The path's values are doubles;
 * they enter xi (at lambda_from) and the small scratch vector bt (at lambda_to) in chunks, and
 * their difference is formed in the backend, as exactly as the storage allows. */
static void add_noise(fwd_work *fw, adeis_vec *x, const adeis_tpoint *from, const adeis_tpoint *to,
                      const adeis_brownian *bm)
{
  mpfr_t one, mone;
  mpfr_inits2(8, one, mone, (mpfr_ptr)0);
  mpfr_set_si(one, 1, RND);
  mpfr_set_si(mone, -1, RND);
  double l_from = mpfr_get_d(from->lambda, RND), l_to = mpfr_get_d(to->lambda, RND);
  double bf[NOISE_CHUNK], bt[NOISE_CHUNK];
  for (size_t off = 0; off < x->n; off += NOISE_CHUNK) {
    size_t m = x->n - off < NOISE_CHUNK ? x->n - off : NOISE_CHUNK;
    for (size_t i = 0; i < m; i++) {
      bf[i] = adeis_brownian_at(bm, off + i, l_from);
      bt[i] = adeis_brownian_at(bm, off + i, l_to);
    }
    adeis_vec d, b;
    adeis_vec_view_init(&d, fw->xi, off, m);
    adeis_vec_view_init(&b, fw->bt, 0, m);
    adeis_vec_import_d(&d, 0, bf, m);
    adeis_vec_import_d(&b, 0, bt, m);
    adeis_vec_lincomb(&d, 2, (mpfr_srcptr[]){one, mone}, (const adeis_vec *[]){&d, &b});
  }
  adeis_vec_lincomb(x, 2, (mpfr_srcptr[]){one, to->alpha}, (const adeis_vec *[]){x, fw->xi});
  mpfr_clears(one, mone, (mpfr_ptr)0);
}

static int fwd_step(const adeis_forward *f, fwd_work *fw, const adeis_model *m, void *ws,
                    const adeis_schedule *s, const adeis_tpoint *from, const adeis_tpoint *to,
                    adeis_vec *x, adeis_cache *cache, const adeis_brownian *bm, adeis_counts *counts)
{
  int rc = adeis_model_eps(m, ws, fw->e, x, from);
  counts->nfe++;
  if (rc)
    return rc;
  switch (f->kind) {
  case ADEIS_FWD_DPM1:
    adeis_dpm_step(x, x, fw->e, NULL, fw->w, from, to, 1);
    break;
  case ADEIS_FWD_DPM2M:
    dpm2m_weight(fw, from, to);
    adeis_dpm_step(x, x, fw->e, fw->e_p, fw->w, from, to, 1);
    adeis_vec_copy(fw->e_p, fw->e);
    break;
  case ADEIS_FWD_DPM2S:
    adeis_midpoint_lambda(s, &fw->u, from, to);
    adeis_dpm_step(fw->xu, x, fw->e, NULL, fw->w, from, &fw->u, 1);
    if (cache && (rc = adeis_cache_push(cache, &fw->u, fw->xu)))
      return rc;
    rc = adeis_model_eps(m, ws, fw->e, fw->xu, &fw->u);
    counts->nfe++;
    if (rc)
      return rc;
    adeis_dpm_step(x, x, fw->e, NULL, fw->w, from, to, 1);
    break;
  case ADEIS_FWD_SDE_DPM1:
    adeis_dpm_step(x, x, fw->e, NULL, fw->w, from, to, 2);
    add_noise(fw, x, from, to, bm);
    break;
  }
  return ADEIS_OK;
}

int adeis_forward_run(const adeis_forward *f, const adeis_model *m, void *ws,
                      const adeis_schedule *s,
                      const adeis_tpoint *pts, size_t n, adeis_vec *x, adeis_cache *cache,
                      const adeis_brownian *bm, adeis_counts *counts)
{
  if (f->stochastic && !bm) {
    adeis_set_error("%s needs a Brownian path", f->name);
    return ADEIS_EINPUT;
  }
  fwd_work fw;
  void *own = ws ? NULL : adeis_model_ws_alloc(m);
  if (!ws && !own)
    return ADEIS_ENOMEM;
  ws = ws ? ws : own;
  int rc = fwd_work_init(&fw, m, s->prec);
  if (!rc && cache)
    rc = adeis_cache_push(cache, &pts[0], x);
  for (size_t i = 0; i < n && !rc; i++) {
    rc = fwd_step(f, &fw, m, ws, s, &pts[i], &pts[i + 1], x, cache, bm, counts);
    if (!rc && !adeis_vec_isfinite(x)) {
      adeis_set_error("%s: x is not finite at forward step %zu, t = %.17g", f->name, i,
                      adeis_tpoint_t_d(s, &pts[i + 1]));
      rc = ADEIS_ENUMERIC;
    }
    if (!rc && cache)
      rc = adeis_cache_push(cache, &pts[i + 1], x);
  }
  fwd_work_clear(&fw);
  adeis_model_ws_free(m, own);
  return rc;
}

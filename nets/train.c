/* Denoising score matching with Adam and an averaged copy of the weights (train.h). */
#include "train.h"
#include "safetensors.h"
#include "../core/schedule.h"
#include "../core/status.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* OpenBLAS (its cblas.h clashes with GSL's declarations) */
void openblas_set_num_threads(int num_threads);

#define RECENT 100
#define ADAM_B1 0.9
#define ADAM_B2 0.999
#define ADAM_EPS 1e-8

struct adeis_trainer {
  adeis_net *net;                  /* float table: the live weights */
  adeis_train_config cfg;
  char schedule[32];
  const adeis_train_data *data;
  int threads;
  adeis_schedule sched;
  double *m, *v, *ema, *gsum;      /* ntheta each */
  gsl_rng *rng;
  long step;
  double wall;
  double recent[RECENT];
  long nrecent;
  /* one batch */
  size_t B;
  float *xt, *noise, *z, *eps, *vv, *g;
  double *lossb;
  mpfr_t *t;
  adeis_net_ws **ws;
};

/* ---- data ---- */

int adeis_train_data_mixture(adeis_train_data *td, size_t dim, size_t K, const double *means,
                             const double *var, const double *logits)
{
  memset(td, 0, sizeof *td);
  td->dim = dim;
  td->K = td->classes = K;
  td->mu = malloc(K * dim * sizeof *td->mu);
  td->sd = malloc(K * dim * sizeof *td->sd);
  td->cum = malloc(K * sizeof *td->cum);
  if (!td->mu || !td->sd || !td->cum) {
    adeis_train_data_clear(td);
    return ADEIS_ENOMEM;
  }
  double mx = logits[0], s = 0, c = 0;
  for (size_t k = 1; k < K; k++)
    mx = logits[k] > mx ? logits[k] : mx;
  for (size_t k = 0; k < K; k++)
    s += exp(logits[k] - mx);
  for (size_t k = 0; k < K; k++) {
    c += exp(logits[k] - mx) / s;
    td->cum[k] = c;
  }
  td->cum[K - 1] = 1.0;
  for (size_t i = 0; i < K * dim; i++) {
    td->mu[i] = means[i];
    td->sd[i] = sqrt(var[i]);
  }
  return ADEIS_OK;
}

void adeis_train_data_clear(adeis_train_data *td)
{
  free(td->x);
  free(td->label);
  free(td->mu);
  free(td->sd);
  free(td->cum);
  memset(td, 0, sizeof *td);
}

/* ---- construction ---- */

void adeis_trainer_free(adeis_trainer *tr)
{
  if (!tr)
    return;
  size_t nt = tr->net ? tr->net->ntheta : 0;
  (void)nt;
  if (tr->ws)
    for (int i = 0; i < tr->threads; i++)
      adeis_net_ws_free(tr->ws[i]);
  free(tr->ws);
  if (tr->t)
    for (size_t b = 0; b < tr->B; b++)
      mpfr_clear(tr->t[b]);
  free(tr->t);
  free(tr->xt);
  free(tr->noise);
  free(tr->z);
  free(tr->eps);
  free(tr->vv);
  free(tr->g);
  free(tr->lossb);
  free(tr->m);
  free(tr->v);
  free(tr->ema);
  free(tr->gsum);
  if (tr->rng)
    gsl_rng_free(tr->rng);
  if (tr->sched.type)
    adeis_schedule_clear(&tr->sched);
  adeis_net_free(tr->net);
  free(tr);
}

static int check_fit(const adeis_net *net, const adeis_train_config *cfg,
                     const adeis_train_data *data)
{
  if (strcmp(net->be.ops->name, "float") != 0) {
    adeis_set_error("train: the network must use the float table");
    return ADEIS_EINPUT;
  }
  if (net->dim != data->dim) {
    adeis_set_error("train: the network's dimension %zu differs from the data's %zu", net->dim,
                    data->dim);
    return ADEIS_EINPUT;
  }
  if (net->cond_dim && net->cond_dim != data->classes) {
    adeis_set_error("train: the network's cond_dim %zu differs from the data's %zu classes",
                    net->cond_dim, data->classes);
    return ADEIS_EINPUT;
  }
  if (cfg->batch < 1 || !(cfg->lr > 0) || !(cfg->t_end > 0) || !(cfg->T > cfg->t_end) ||
      !adeis_schedule_lookup(cfg->schedule) || strlen(cfg->schedule) >= 32) {
    adeis_set_error("train: bad configuration (batch >= 1, lr > 0, 0 < t_end < T, a schedule)");
    return ADEIS_EINPUT;
  }
  return ADEIS_OK;
}

/* everything but the weights, moments and generator state */
static int trainer_alloc(adeis_trainer **out, adeis_net *net, const adeis_train_config *cfg,
                         const adeis_train_data *data, int threads)
{
  *out = NULL;
  int rc = check_fit(net, cfg, data);
  if (rc) {
    adeis_net_free(net);
    return rc;
  }
  adeis_trainer *tr = calloc(1, sizeof *tr);
  if (!tr) {
    adeis_net_free(net);
    return ADEIS_ENOMEM;
  }
  tr->net = net;
  tr->cfg = *cfg;
  strcpy(tr->schedule, cfg->schedule);
  tr->cfg.schedule = tr->schedule;
  tr->data = data;
  tr->threads = threads < 1 ? 1 : threads;
  tr->B = (size_t)cfg->batch;
  adeis_schedule_init(&tr->sched, adeis_schedule_lookup(cfg->schedule), 53);
  size_t nt = net->ntheta, B = tr->B, d = net->dim, c = net->cond_dim ? net->cond_dim : 1;
  tr->m = calloc(nt, sizeof *tr->m);
  tr->v = calloc(nt, sizeof *tr->v);
  tr->ema = calloc(nt, sizeof *tr->ema);
  tr->gsum = calloc(nt, sizeof *tr->gsum);
  tr->xt = calloc(B * d, sizeof *tr->xt);
  tr->noise = calloc(B * d, sizeof *tr->noise);
  tr->eps = calloc(B * d, sizeof *tr->eps);
  tr->vv = calloc(B * d, sizeof *tr->vv);
  tr->z = calloc(B * c, sizeof *tr->z);
  tr->g = calloc(B * nt, sizeof *tr->g);
  tr->lossb = calloc(B, sizeof *tr->lossb);
  tr->t = calloc(B, sizeof *tr->t);
  tr->ws = calloc((size_t)tr->threads, sizeof *tr->ws);
  tr->rng = gsl_rng_alloc(gsl_rng_mt19937);
  int ok = tr->m && tr->v && tr->ema && tr->gsum && tr->xt && tr->noise && tr->eps && tr->vv &&
           tr->z && tr->g && tr->lossb && tr->t && tr->ws && tr->rng;
  if (tr->t)
    for (size_t b = 0; b < B; b++)
      mpfr_init2(tr->t[b], 53);
  for (int i = 0; ok && i < tr->threads; i++)
    ok = (tr->ws[i] = adeis_net_ws_alloc(net, 1)) != NULL;
  if (!ok) {
    adeis_trainer_free(tr);
    adeis_set_error("train: out of memory");
    return ADEIS_ENOMEM;
  }
  *out = tr;
  return ADEIS_OK;
}

int adeis_trainer_new(adeis_trainer **out, adeis_net *net, const adeis_train_config *cfg,
                      const adeis_train_data *data, int threads)
{
  int rc = trainer_alloc(out, net, cfg, data, threads);
  if (rc)
    return rc;
  adeis_trainer *tr = *out;
  adeis_net_init_uniform(tr->net, cfg->seed);
  const float *th = tr->net->theta;
  for (size_t i = 0; i < tr->net->ntheta; i++)
    tr->ema[i] = th[i];
  gsl_rng_set(tr->rng, cfg->seed);
  return ADEIS_OK;
}

/* ---- one step ---- */

static size_t draw_x0(adeis_trainer *tr, float *x, double *x0buf, int *label)
{
  const adeis_train_data *td = tr->data;
  size_t d = td->dim;
  if (td->K) {
    double u = gsl_rng_uniform(tr->rng);
    size_t k = 0;
    while (k + 1 < td->K && u >= td->cum[k])
      k++;
    for (size_t i = 0; i < d; i++)
      x0buf[i] = td->mu[k * d + i] + td->sd[k * d + i] * gsl_ran_gaussian(tr->rng, 1.0);
    *label = (int)k;
  } else {
    size_t idx = gsl_rng_uniform_int(tr->rng, td->n);
    for (size_t i = 0; i < d; i++)
      x0buf[i] = td->x[idx * d + i];
    *label = td->label ? td->label[idx] : -1;
  }
  (void)x;
  return d;
}

/* x_t, noise, z and t of every sample, drawn in sample order from the one generator */
static void draw_batch(adeis_trainer *tr, double *x0)
{
  size_t d = tr->net->dim, c = tr->net->cond_dim;
  mpfr_t a, s;
  mpfr_inits2(53, a, s, (mpfr_ptr)0);
  for (size_t b = 0; b < tr->B; b++) {
    int label;
    draw_x0(tr, tr->xt + b * d, x0, &label);
    int drop = gsl_rng_uniform(tr->rng) < tr->cfg.p_uncond;
    if (c) {
      memset(tr->z + b * c, 0, c * sizeof *tr->z);
      if (!drop && label >= 0)
        tr->z[b * c + (size_t)label] = 1.0f;
    }
    double t = tr->cfg.t_end + (tr->cfg.T - tr->cfg.t_end) * gsl_rng_uniform(tr->rng);
    mpfr_set_d(tr->t[b], t, MPFR_RNDN);
    adeis_schedule_alpha(a, &tr->sched, tr->t[b]);
    adeis_schedule_sigma(s, &tr->sched, tr->t[b]);
    double al = mpfr_get_d(a, MPFR_RNDN), sg = mpfr_get_d(s, MPFR_RNDN);
    for (size_t i = 0; i < d; i++) {
      double n = gsl_ran_gaussian(tr->rng, 1.0);
      tr->noise[b * d + i] = (float)n;
      tr->xt[b * d + i] = (float)(al * x0[i] + sg * (double)tr->noise[b * d + i]);
    }
  }
  mpfr_clears(a, s, (mpfr_ptr)0);
}

/* eps, the loss and the parameter gradient of sample b (its own time t) */
static void sample_grad(adeis_trainer *tr, adeis_net_ws *ws, size_t b)
{
  const adeis_net *net = tr->net;
  size_t d = net->dim, c = net->cond_dim, nt = net->ntheta;
  float *x = tr->xt + b * d, *eps = tr->eps + b * d, *v = tr->vv + b * d, *g = tr->g + b * nt;
  const float *z = c ? tr->z + b * c : NULL;
  adeis_net_eval(net, ws, x, tr->t[b], z, ADEIS_NET_EPS, eps, NULL, NULL, NULL, NULL, NULL, NULL);
  double loss = 0, scale = 2.0 / ((double)tr->B * (double)d);
  for (size_t i = 0; i < d; i++) {
    double r = (double)eps[i] - (double)tr->noise[b * d + i];
    loss += r * r;
    v[i] = (float)(scale * r);
  }
  tr->lossb[b] = loss;
  memset(g, 0, nt * sizeof *g);
  adeis_net_vjp_saved(net, ws, x, z, ADEIS_NET_JTHETA, v, NULL, NULL, NULL, g, NULL);
}

static void adam_update(adeis_trainer *tr)
{
  size_t nt = tr->net->ntheta;
  float *th = tr->net->theta;
  double k = (double)tr->step;
  double c1 = 1.0 - pow(ADAM_B1, k), c2 = 1.0 - pow(ADAM_B2, k), lr = tr->cfg.lr;
  double e = tr->cfg.ema;
  for (size_t i = 0; i < nt; i++) {
    double g = tr->gsum[i];
    tr->m[i] = ADAM_B1 * tr->m[i] + (1.0 - ADAM_B1) * g;
    tr->v[i] = ADAM_B2 * tr->v[i] + (1.0 - ADAM_B2) * g * g;
    double upd = lr * (tr->m[i] / c1) / (sqrt(tr->v[i] / c2) + ADAM_EPS);
    th[i] = (float)((double)th[i] - upd);
    tr->ema[i] = e * tr->ema[i] + (1.0 - e) * (double)th[i];
  }
}

int adeis_trainer_step(adeis_trainer *tr, double *loss)
{
  size_t nt = tr->net->ntheta, B = tr->B;
  double *x0 = malloc(tr->net->dim * sizeof *x0);
  if (!x0)
    return ADEIS_ENOMEM;
  draw_batch(tr, x0);
  free(x0);
  openblas_set_num_threads(1);   /* threads over samples; results independent of their number */
#pragma omp parallel for num_threads(tr->threads) schedule(dynamic, 1)
  for (size_t b = 0; b < B; b++)
    sample_grad(tr, tr->ws[omp_get_thread_num()], b);
#pragma omp parallel for num_threads(tr->threads) schedule(static)
  for (size_t i = 0; i < nt; i++) {
    double s = 0;
    for (size_t b = 0; b < B; b++)
      s += (double)tr->g[b * nt + i];
    tr->gsum[i] = s;
  }
  double l = 0;
  for (size_t b = 0; b < B; b++)
    l += tr->lossb[b];
  l /= (double)B * (double)tr->net->dim;
  *loss = l;
  if (!isfinite(l)) {
    adeis_set_error("train: the loss is not finite at step %ld", tr->step + 1);
    return ADEIS_ENUMERIC;
  }
  tr->step++;
  adam_update(tr);
  tr->recent[tr->nrecent % RECENT] = l;
  tr->nrecent++;
  return ADEIS_OK;
}

long adeis_trainer_steps_done(const adeis_trainer *tr) { return tr->step; }
const adeis_train_config *adeis_trainer_config(const adeis_trainer *tr) { return &tr->cfg; }
double adeis_trainer_wall(const adeis_trainer *tr) { return tr->wall; }
void adeis_trainer_add_wall(adeis_trainer *tr, double seconds) { tr->wall += seconds; }
const double *adeis_trainer_ema(const adeis_trainer *tr) { return tr->ema; }
const adeis_net *adeis_trainer_net(const adeis_trainer *tr) { return tr->net; }

double adeis_trainer_recent_loss(const adeis_trainer *tr)
{
  long n = tr->nrecent < RECENT ? tr->nrecent : RECENT;
  double s = 0;
  for (long i = 0; i < n; i++)
    s += tr->recent[i];
  return n ? s / (double)n : NAN;
}

/* ---- files ---- */

int adeis_trainer_save(const adeis_trainer *tr, const char *path, const char *trained)
{
  return adeis_trainer_save_which(tr, path, trained, 0);
}

int adeis_trainer_save_which(const adeis_trainer *tr, const char *path, const char *trained,
                             int live)
{
  adeis_net *out = NULL;
  int rc = adeis_net_create(&out, &tr->net->hp, &tr->net->be);
  if (rc)
    return rc;
  float *th = out->theta;
  const float *cur = tr->net->theta;
  for (size_t i = 0; i < out->ntheta; i++)
    th[i] = live ? cur[i] : (float)tr->ema[i];
  rc = adeis_net_set_meta(out, tr->schedule, trained);
  if (!rc)
    rc = adeis_net_save(out, path, 0);
  adeis_net_free(out);
  return rc;
}

enum { CK_M, CK_V, CK_EMA, CK_RNG, CK_RECENT, CK_N };
static const char *const ck_names[CK_N] = {"train.adam_m", "train.adam_v", "train.ema",
                                           "train.rng", "train.recent"};

#define CK_META 24

int adeis_trainer_checkpoint(const adeis_trainer *tr, const char *path)
{
  const adeis_net *net = tr->net;
  size_t np = net->nparams, n = np + CK_N, rng_bytes = gsl_rng_size(tr->rng);
  const char **names = calloc(n, sizeof *names);
  int *ndims = calloc(n, sizeof *ndims);
  const size_t **shapes = calloc(n, sizeof *shapes);
  adeis_st_dtype *dt = calloc(n, sizeof *dt);
  const void **data = calloc(n, sizeof *data);
  double *rng = malloc(rng_bytes * sizeof *rng);
  int rc = ADEIS_ENOMEM;
  if (!names || !ndims || !shapes || !dt || !data || !rng)
    goto out;
  const unsigned char *st = gsl_rng_state(tr->rng);
  for (size_t i = 0; i < rng_bytes; i++)
    rng[i] = st[i];
  for (size_t i = 0; i < np; i++) {
    names[i] = net->params[i].name;
    ndims[i] = net->params[i].ndim;
    shapes[i] = net->params[i].shape;
    dt[i] = ADEIS_ST_F32;
    data[i] = (const float *)net->theta + net->params[i].offset;
  }
  size_t sh[CK_N] = {net->ntheta, net->ntheta, net->ntheta, rng_bytes, RECENT};
  const double *ck_data[CK_N] = {tr->m, tr->v, tr->ema, rng, tr->recent};
  for (size_t j = 0; j < CK_N; j++) {
    names[np + j] = ck_names[j];
    ndims[np + j] = 1;
    shapes[np + j] = &sh[j];
    dt[np + j] = ADEIS_ST_F64;
    data[np + j] = ck_data[j];
  }
  char keyb[CK_META][40], valb[CK_META][64];
  const char *keys[CK_META], *vals[CK_META];
  size_t nm = 0;
#define META(k, ...)                                                                             \
  do {                                                                                           \
    snprintf(keyb[nm], sizeof keyb[nm], "%s", k);                                                \
    snprintf(valb[nm], sizeof valb[nm], __VA_ARGS__);                                            \
    keys[nm] = keyb[nm];                                                                         \
    vals[nm] = valb[nm];                                                                         \
    nm++;                                                                                        \
  } while (0)
  META("adeis.arch", "%s", adeis_net_arch_name(net->hp.arch));
  adeis_net_hyper hp = net->hp;
  const char *const *hn = adeis_net_hyper_names(hp.arch);
  for (size_t i = 0; hn[i]; i++) {
    char k[40];
    snprintf(k, sizeof k, "adeis.%s", hn[i]);
    META(k, "%ld", *adeis_net_hyper_field(&hp, hn[i]));
  }
  META("adeis.schedule", "%s", tr->schedule);
  META("train.step", "%ld", tr->step);
  META("train.nrecent", "%ld", tr->nrecent);
  META("train.batch", "%ld", tr->cfg.batch);
  META("train.seed", "%lu", tr->cfg.seed);
  META("train.lr", "%.17g", tr->cfg.lr);
  META("train.t_end", "%.17g", tr->cfg.t_end);
  META("train.T", "%.17g", tr->cfg.T);
  META("train.p_uncond", "%.17g", tr->cfg.p_uncond);
  META("train.ema_decay", "%.17g", tr->cfg.ema);
  META("train.wall", "%.17g", tr->wall);
#undef META
  rc = adeis_safetensors_write(path, n, names, ndims, (const size_t *const *)shapes, dt,
                               (const void *const *)data, nm, keys, vals);
out:
  if (rc == ADEIS_ENOMEM)
    adeis_set_error("%s: out of memory writing a checkpoint", path);
  free(names);
  free(ndims);
  free(shapes);
  free(dt);
  free(data);
  free(rng);
  return rc;
}

/* ---- resuming ---- */

static int ck_fail(const char *path, const char *what, const char *name)
{
  adeis_set_error("%s: not a training checkpoint: %s %s", path, what, name);
  return ADEIS_EINPUT;
}

static int meta_num(const adeis_st_file *f, const char *key, double *out)
{
  const char *s = adeis_safetensors_meta(f, key);
  char *end;
  if (!s)
    return ck_fail(f->path, "missing metadata", key);
  *out = strtod(s, &end);
  if (end == s || *end || !isfinite(*out))
    return ck_fail(f->path, "bad metadata", key);
  return ADEIS_OK;
}

static int ck_hyper(const adeis_st_file *f, adeis_net_hyper *hp)
{
  memset(hp, 0, sizeof *hp);
  const char *arch = adeis_safetensors_meta(f, "adeis.arch");
  if (!arch || (strcmp(arch, "mlp") && strcmp(arch, "unet")))
    return ck_fail(f->path, "bad or missing metadata", "adeis.arch");
  hp->arch = strcmp(arch, "mlp") == 0 ? ADEIS_NET_MLP : ADEIS_NET_UNET;
  const char *const *hn = adeis_net_hyper_names(hp->arch);
  for (size_t i = 0; hn[i]; i++) {
    char k[40];
    double v;
    snprintf(k, sizeof k, "adeis.%s", hn[i]);
    if (meta_num(f, k, &v))
      return ADEIS_EINPUT;
    *adeis_net_hyper_field(hp, hn[i]) = (long)v;
  }
  return adeis_net_hyper_check(hp);
}

static int ck_tensor(const adeis_st_file *f, const char *name, size_t n,
                     const adeis_st_tensor **t)
{
  *t = adeis_safetensors_find(f, name);
  if (!*t || (*t)->numel != n)
    return ck_fail(f->path, "missing or misshapen tensor", name);
  return ADEIS_OK;
}

static int ck_config(const adeis_st_file *f, adeis_train_config *cfg, double *wall, long *step,
                     long *nrecent)
{
  double v[10];
  static const char *const k[10] = {"train.batch", "train.seed", "train.lr", "train.t_end",
                                     "train.T", "train.p_uncond", "train.ema_decay",
                                     "train.wall", "train.step", "train.nrecent"};
  for (int i = 0; i < 10; i++)
    if (meta_num(f, k[i], &v[i]))
      return ADEIS_EINPUT;
  cfg->batch = (long)v[0];
  cfg->seed = (unsigned long)v[1];
  const char *seed = adeis_safetensors_meta(f, "train.seed");
  cfg->seed = strtoul(seed, NULL, 10);
  cfg->lr = v[2];
  cfg->t_end = v[3];
  cfg->T = v[4];
  cfg->p_uncond = v[5];
  cfg->ema = v[6];
  *wall = v[7];
  *step = (long)v[8];
  *nrecent = (long)v[9];
  cfg->schedule = adeis_safetensors_meta(f, "adeis.schedule");
  if (!cfg->schedule)
    return ck_fail(f->path, "missing metadata", "adeis.schedule");
  return ADEIS_OK;
}

static int ck_state(adeis_trainer *tr, const adeis_st_file *f)
{
  const adeis_net *net = tr->net;
  const adeis_st_tensor *t;
  float *th = net->theta;
  for (size_t i = 0; i < net->nparams; i++) {
    if (ck_tensor(f, net->params[i].name, net->params[i].numel, &t))
      return ADEIS_EINPUT;
    for (size_t j = 0; j < t->numel; j++)
      th[net->params[i].offset + j] = (float)adeis_st_get(t, j);
  }
  double *dst[3] = {tr->m, tr->v, tr->ema};
  for (int j = 0; j < 3; j++) {
    if (ck_tensor(f, ck_names[j], net->ntheta, &t))
      return ADEIS_EINPUT;
    for (size_t i = 0; i < net->ntheta; i++)
      dst[j][i] = adeis_st_get(t, i);
  }
  if (ck_tensor(f, ck_names[CK_RNG], gsl_rng_size(tr->rng), &t))
    return ADEIS_EINPUT;
  unsigned char *st = gsl_rng_state(tr->rng);
  for (size_t i = 0; i < t->numel; i++)
    st[i] = (unsigned char)adeis_st_get(t, i);
  if (ck_tensor(f, ck_names[CK_RECENT], RECENT, &t))
    return ADEIS_EINPUT;
  for (size_t i = 0; i < RECENT; i++)
    tr->recent[i] = adeis_st_get(t, i);
  return ADEIS_OK;
}

int adeis_trainer_resume(adeis_trainer **out, const char *checkpoint,
                         const adeis_train_data *data, int threads)
{
  *out = NULL;
  adeis_st_file *f = NULL;
  int rc = adeis_safetensors_open(&f, checkpoint);
  if (rc)
    return rc;
  adeis_net_hyper hp;
  adeis_train_config cfg;
  double wall;
  long step, nrecent;
  adeis_net *net = NULL;
  adeis_tbe tbe;
  adeis_tbe_init(&tbe, "float", 24);
  rc = ck_hyper(f, &hp);
  if (!rc)
    rc = ck_config(f, &cfg, &wall, &step, &nrecent);
  if (!rc)
    rc = adeis_net_create(&net, &hp, &tbe);
  if (!rc)
    rc = trainer_alloc(out, net, &cfg, data, threads);
  if (!rc) {
    (*out)->step = step;
    (*out)->nrecent = nrecent;
    (*out)->wall = wall;
    rc = ck_state(*out, f);
  }
  adeis_safetensors_close(f);
  if (rc && *out) {
    adeis_trainer_free(*out);
    *out = NULL;
  }
  return rc;
}

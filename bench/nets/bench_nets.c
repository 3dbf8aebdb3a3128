/* make bench, networks section (bench/nets.sh runs this program and writes the section of
 * docs/benchmarks.md between <!-- nets-bench:begin --> and <!-- nets-bench:end -->).
 *
 *   adeis-bench-nets blas REPS       eps + VJPs (x, z, theta) of the U-Net, batch 64, float and
 *                                    double, against the time OpenBLAS spends in its GEMMs
 *   adeis-bench-nets mpfr            MPFR eps + VJPs at 128 and 256 bits: U-Net batch 1, MLP
 *   adeis-bench-nets export DIR B    DIR/unet.safetensors (the weights) and DIR/check.safetensors
 *                                    (inputs and adeis' float and double outputs, batch B) for
 *                                    bench/torch_nets.py
 *
 * Everything runs on one thread (OpenBLAS and OpenMP limited to 1) and is timed in CPU
 * seconds of the process (CLOCK_PROCESS_CPUTIME_ID), which a shared machine disturbs less than
 * wall time. Weights: adeis_net_init_uniform (float-representable, so the same numbers in every
 * table); inputs drawn from GSL's mt19937 and rounded to float likewise. */
#include "../../core/status.h"
#include "../../nets/net.h"
#include "../../nets/safetensors.h"

#include <cblas.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WEIGHT_SEED 2026UL
#define INPUT_SEED 11UL
#define T_EVAL 0.4375

static double cpu_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double median(double *v, size_t n)
{
  gsl_sort(v, 1, n);
  return gsl_stats_median_from_sorted_data(v, 1, n);
}

static void die(const char *what)
{
  fprintf(stderr, "adeis-bench-nets: %s: %s\n", what, adeis_errmsg());
  exit(3);
}

/* The U-Net of docs/networks.md's speed table: 28x28, one channel, base 16, 8 groups,
 * embedding 32, hidden 64, 10 classes. */
static adeis_net_hyper unet_hyper(void)
{
  return (adeis_net_hyper){.arch = ADEIS_NET_UNET, .channels = 1, .size = 28, .base = 16,
                           .groups = 8, .emb_dim = 32, .hidden = 64, .cond_dim = 10};
}

/* An MLP for 2-d data (gmm2d-like): width 64, depth 3, embedding 32, hidden 64, no
 * conditioning. */
static adeis_net_hyper mlp_hyper(void)
{
  return (adeis_net_hyper){.arch = ADEIS_NET_MLP, .dim = 2, .width = 64, .depth = 3,
                           .emb_dim = 32, .hidden = 64, .cond_dim = 0};
}

/* ---- GEMM-timing table: the float/double table with gemm wrapped ---- */

static const adeis_tops *gemm_inner; /* the table whose gemm is timed (set before a run) */
static adeis_tops gemm_timed_ops[2];  /* float, double */
static double gemm_seconds;
static unsigned long gemm_calls;
static double gemm_madds;

static void gemm_timed(adeis_tbe_p be, int ta, int tb, size_t m, size_t n, size_t k,
                       mpfr_srcptr alpha, const void *a, size_t lda, const void *b, size_t ldb,
                       mpfr_srcptr beta, void *c, size_t ldc)
{
  double t0 = cpu_now();
  gemm_inner->gemm(be, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  gemm_seconds += cpu_now() - t0;
  gemm_calls++;
  gemm_madds += (double)m * (double)n * (double)k;
}

static void gemm_timed_table(adeis_tbe *out, const adeis_tbe *plain, int k)
{
  gemm_timed_ops[k] = *plain->ops;
  gemm_timed_ops[k].gemm = gemm_timed;
  out->ops = &gemm_timed_ops[k];
  out->prec = plain->prec;
}

/* ---- one network with its inputs ---- */

typedef struct netcase {
  adeis_tbe be;
  adeis_net *net;
  adeis_net_ws *ws;
  size_t B, nx, nz;
  void *x, *z, *v, *eps, *jx, *jz, *jt;
  mpfr_t t;
} netcase;

/* Inputs as float-representable doubles: x and v uniform in (-1.5, 1.5) and (-1, 1), z one-hot
 * (class b mod cond_dim). The same numbers for every B' <= B prefix and every table. */
static void draw_inputs(double *x, double *v, double *z, size_t B, size_t dim, size_t cd)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, INPUT_SEED);
  for (size_t i = 0; i < B * dim; i++) {
    x[i] = (float)(3.0 * gsl_rng_uniform(r) - 1.5);
    v[i] = (float)(2.0 * gsl_rng_uniform(r) - 1.0);
  }
  for (size_t b = 0; b < B; b++)
    for (size_t j = 0; j < cd; j++)
      z[b * cd + j] = (j == b % cd);
  gsl_rng_free(r);
}

static void netcase_init(netcase *c, const adeis_net_hyper *hp, const char *type, long prec,
                         size_t B)
{
  if (adeis_tbe_init(&c->be, type, prec) || adeis_net_create(&c->net, hp, &c->be))
    die("network");
  adeis_net_init_uniform(c->net, WEIGHT_SEED);
  if (adeis_net_set_meta(c->net, "vp-linear", "random weights (adeis_net_init_uniform, seed 2026)"))
    die("metadata");
  c->ws = adeis_net_ws_alloc(c->net, B);
  if (!c->ws)
    die("workspace");
  c->B = B;
  c->nx = B * c->net->dim;
  c->nz = B * c->net->cond_dim;
  adeis_tbe_p be = &c->be;
  double *hx = malloc(c->nx * sizeof *hx), *hv = malloc(c->nx * sizeof *hv);
  double *hz = malloc((c->nz + 1) * sizeof *hz);
  draw_inputs(hx, hv, hz, B, c->net->dim, c->net->cond_dim);
  c->x = be->ops->alloc(be, c->nx);
  c->v = be->ops->alloc(be, c->nx);
  c->z = c->nz ? be->ops->alloc(be, c->nz) : NULL;
  c->eps = be->ops->alloc(be, c->nx);
  c->jx = be->ops->alloc(be, c->nx);
  c->jz = c->nz ? be->ops->alloc(be, c->nz) : NULL;
  c->jt = be->ops->alloc(be, c->net->ntheta);
  if (!c->x || !c->v || !c->eps || !c->jx || !c->jt || (c->nz && (!c->z || !c->jz)))
    die("arrays");
  be->ops->from_double(be, c->x, hx, c->nx);
  be->ops->from_double(be, c->v, hv, c->nx);
  if (c->nz)
    be->ops->from_double(be, c->z, hz, c->nz);
  free(hx), free(hv), free(hz);
  mpfr_init2(c->t, 53);
  mpfr_set_d(c->t, T_EVAL, MPFR_RNDN);
}

static void netcase_clear(netcase *c)
{
  adeis_tbe_p be = &c->be;
  be->ops->free(be, c->x, c->nx);
  be->ops->free(be, c->v, c->nx);
  be->ops->free(be, c->z, c->nz);
  be->ops->free(be, c->eps, c->nx);
  be->ops->free(be, c->jx, c->nx);
  be->ops->free(be, c->jz, c->nz);
  be->ops->free(be, c->jt, c->net->ntheta);
  mpfr_clear(c->t);
  adeis_net_ws_free(c->ws);
  adeis_net_free(c->net);
}

/* eps and the VJPs for x, z (when the network has z) and theta, jz and jtheta from zero;
 * CPU seconds. */
static double eval_all(netcase *c)
{
  unsigned want = ADEIS_NET_EPS | ADEIS_NET_JX | ADEIS_NET_JTHETA | (c->nz ? ADEIS_NET_JZ : 0u);
  adeis_tbe_p be = &c->be;
  if (c->nz)
    be->ops->zero(be, c->jz, c->nz);
  be->ops->zero(be, c->jt, c->net->ntheta);
  double t0 = cpu_now();
  if (adeis_net_eval(c->net, c->ws, c->x, c->t, c->z, want, c->eps, c->v, c->jx, c->jz, NULL,
                     c->jt, NULL))
    die("eval");
  return cpu_now() - t0;
}

/* ---- blas: the layers' overhead over OpenBLAS ---- */

/* CPU time an empty timed interval reports (the parts of the two clock reads that fall inside
 * it: CLOCK_PROCESS_CPUTIME_ID is a system call, about 0.5 us each), median of 15 batches of
 * 1000; subtracted once per timed GEMM call. */
static double timer_overhead(void)
{
  double v[15];
  for (int r = 0; r < 15; r++) {
    double sum = 0;
    for (int i = 0; i < 1000; i++) {
      double t0 = cpu_now();
      sum += cpu_now() - t0;
    }
    v[r] = sum / 1000;
  }
  return median(v, 15);
}

/* Interleaved repetitions: float plain, float gemm-timed, double plain, double gemm-timed.
 * Prints per table: median eps+VJP time, median GEMM time (in the timed runs), their ratio,
 * GEMM calls and multiply-adds per evaluation, and the timed runs' own totals. */
static int cmd_blas(int reps)
{
  const char *types[2] = {"float", "double"};
  adeis_net_hyper hp = unet_hyper();
  netcase plain[2], timed[2];
  double *tp[2], *tg[2], *tt[2];
  unsigned long calls[2] = {0, 0};
  double madds[2] = {0, 0};
  for (int k = 0; k < 2; k++) {
    netcase_init(&plain[k], &hp, types[k], 0, 64);
    netcase_init(&timed[k], &hp, types[k], 0, 64);
    adeis_tbe wrapped;
    gemm_timed_table(&wrapped, &timed[k].be, k);
    timed[k].net->be = wrapped;
    timed[k].be = wrapped;
    tp[k] = calloc((size_t)reps, sizeof(double));
    tg[k] = calloc((size_t)reps, sizeof(double));
    tt[k] = calloc((size_t)reps, sizeof(double));
  }
  double tick = timer_overhead();
  for (int k = 0; k < 2; k++) { /* warm-up: page faults of the workspaces, OpenBLAS buffers */
    gemm_inner = k ? &adeis_tops_double : &adeis_tops_float;
    eval_all(&plain[k]), eval_all(&timed[k]);
  }
  for (int r = 0; r < reps; r++)
    for (int k = 0; k < 2; k++) {
      tp[k][r] = eval_all(&plain[k]);
      gemm_inner = k ? &adeis_tops_double : &adeis_tops_float;
      gemm_seconds = 0, gemm_calls = 0, gemm_madds = 0;
      tt[k][r] = eval_all(&timed[k]);
      tg[k][r] = gemm_seconds - (double)gemm_calls * tick;
      calls[k] = gemm_calls, madds[k] = gemm_madds;
    }
  double *tp_all[2], *tg_all[2];
  for (int k = 0; k < 2; k++) {
    tp_all[k] = malloc((size_t)reps * sizeof(double));
    tg_all[k] = malloc((size_t)reps * sizeof(double));
    memcpy(tp_all[k], tp[k], (size_t)reps * sizeof(double));
    memcpy(tg_all[k], tg[k], (size_t)reps * sizeof(double));
  }
  for (int k = 0; k < 2; k++) {
    double *ratio = calloc((size_t)reps, sizeof(double));
    for (int r = 0; r < reps; r++)
      ratio[r] = tp[k][r] / tg[k][r];
    double mp = median(tp[k], (size_t)reps), mg = median(tg[k], (size_t)reps);
    double mt = median(tt[k], (size_t)reps), mr = median(ratio, (size_t)reps);
    printf("%s total %.4f gemm %.4f ratio %.3f calls %lu madds %.4g timed_total %.4f "
           "ntheta %zu timer_ns %.0f\n",
           types[k], mp, mg, mr, calls[k], madds[k], mt, plain[k].net->ntheta, 1e9 * tick);
    for (int r = 0; r < reps; r++) /* unsorted pairs, for medians over several runs */
      printf("rep %s %.5f %.5f\n", types[k], tp_all[k][r], tg_all[k][r]);
    free(ratio), free(tp[k]), free(tg[k]), free(tt[k]), free(tp_all[k]), free(tg_all[k]);
    netcase_clear(&plain[k]);
    timed[k].net->be = plain[k].be; /* restore before freeing (same alloc/free as the plain table) */
    netcase_clear(&timed[k]);
  }
  return 0;
}

/* ---- mpfr: eps + VJPs at 128 and 256 bits ---- */

static int cmd_mpfr(void)
{
  const long precs[2] = {128, 256};
  adeis_net_hyper hu = unet_hyper(), hm = mlp_hyper();
  for (int p = 0; p < 2; p++) {
    netcase c;
    netcase_init(&c, &hu, "mpfr", precs[p], 1);
    double tu = eval_all(&c);
    printf("mpfr %ld unet batch 1 ntheta %zu seconds %.3f\n", precs[p], c.net->ntheta, tu);
    netcase_clear(&c);
    netcase_init(&c, &hm, "mpfr", precs[p], 1);
    double tm[7];
    for (int r = 0; r < 7; r++)
      tm[r] = eval_all(&c);
    printf("mpfr %ld mlp batch 1 ntheta %zu seconds %.6f\n", precs[p], c.net->ntheta,
           median(tm, 7));
    netcase_clear(&c);
  }
  return 0;
}

/* ---- export: weights and adeis' outputs for bench/torch_nets.py ---- */

typedef struct tensor_list {
  size_t n, cap;
  const char **names;
  int *ndims;
  const size_t **shapes;
  adeis_st_dtype *dtypes;
  const void **data;
  char **owned_names;
} tensor_list;

static void tl_add(tensor_list *l, const char *name, int ndim, const size_t *shape, int f64,
                   const void *data)
{
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 64;
    l->names = realloc(l->names, l->cap * sizeof *l->names);
    l->ndims = realloc(l->ndims, l->cap * sizeof *l->ndims);
    l->shapes = realloc(l->shapes, l->cap * sizeof *l->shapes);
    l->dtypes = realloc(l->dtypes, l->cap * sizeof *l->dtypes);
    l->data = realloc(l->data, l->cap * sizeof *l->data);
    l->owned_names = realloc(l->owned_names, l->cap * sizeof *l->owned_names);
    if (!l->names || !l->ndims || !l->shapes || !l->dtypes || !l->data || !l->owned_names) {
      fprintf(stderr, "adeis-bench-nets: out of memory\n");
      exit(3);
    }
  }
  size_t *sh = malloc(4 * sizeof *sh);
  if (!sh) {
    fprintf(stderr, "adeis-bench-nets: out of memory\n");
    exit(3);
  }
  memcpy(sh, shape, (size_t)ndim * sizeof *sh);
  l->owned_names[l->n] = strdup(name);
  l->names[l->n] = l->owned_names[l->n];
  l->ndims[l->n] = ndim;
  l->shapes[l->n] = sh;
  l->dtypes[l->n] = f64 ? ADEIS_ST_F64 : ADEIS_ST_F32;
  l->data[l->n] = data;
  l->n++;
}

static void tl_free(tensor_list *l)
{
  for (size_t i = 0; i < l->n; i++) {
    free(l->owned_names[i]);
    free((void *)l->shapes[i]);
  }
  free(l->names), free(l->ndims), free(l->shapes), free(l->dtypes), free(l->data);
  free(l->owned_names);
}

/* Outputs of one table under PREFIX.{eps,jx,jz,jtheta.NAME}, in the table's own type. */
static void add_outputs(tensor_list *l, netcase *c, const char *prefix, int f64)
{
  char name[128];
  size_t img[4] = {c->B, (size_t)c->net->hp.channels, (size_t)c->net->hp.size,
                   (size_t)c->net->hp.size};
  size_t zs[2] = {c->B, c->net->cond_dim};
  snprintf(name, sizeof name, "%s.eps", prefix);
  tl_add(l, name, 4, img, f64, c->eps);
  snprintf(name, sizeof name, "%s.jx", prefix);
  tl_add(l, name, 4, img, f64, c->jx);
  snprintf(name, sizeof name, "%s.jz", prefix);
  tl_add(l, name, 2, zs, f64, c->jz);
  for (size_t i = 0; i < c->net->nparams; i++) {
    const adeis_net_param *p = &c->net->params[i];
    snprintf(name, sizeof name, "%s.jtheta.%s", prefix, p->name);
    tl_add(l, name, p->ndim, p->shape, f64, adeis_tcat(&c->be, c->jt, p->offset));
  }
}

static int cmd_export(const char *dir, size_t B)
{
  adeis_net_hyper hp = unet_hyper();
  netcase cf, cd;
  netcase_init(&cf, &hp, "float", 0, B);
  netcase_init(&cd, &hp, "double", 0, B);
  char path[4096];
  snprintf(path, sizeof path, "%s/unet.safetensors", dir);
  if (adeis_net_save(cd.net, path, 0))
    die(path);
  eval_all(&cf);
  eval_all(&cd);
  tensor_list l = {0};
  size_t img[4] = {B, 1, 28, 28}, zs[2] = {B, 10}, one[1] = {1};
  double t = T_EVAL;
  tl_add(&l, "x", 4, img, 1, cd.x);
  tl_add(&l, "v", 4, img, 1, cd.v);
  tl_add(&l, "z", 2, zs, 1, cd.z);
  tl_add(&l, "t", 1, one, 1, &t);
  add_outputs(&l, &cd, "f64", 1);
  add_outputs(&l, &cf, "f32", 0);
  snprintf(path, sizeof path, "%s/check.safetensors", dir);
  if (adeis_safetensors_write(path, l.n, l.names, l.ndims, l.shapes, l.dtypes, l.data, 0, NULL,
                              NULL))
    die(path);
  tl_free(&l);
  netcase_clear(&cf);
  netcase_clear(&cd);
  return 0;
}

static void usage(void)
{
  fprintf(stderr, "usage: adeis-bench-nets blas REPS | mpfr | export DIR BATCH\n");
  exit(2);
}

int main(int argc, char **argv)
{
  openblas_set_num_threads(1);
  omp_set_num_threads(1);
  if (argc == 3 && !strcmp(argv[1], "blas")) {
    int reps = atoi(argv[2]);
    if (reps < 1 || reps > 1000)
      usage();
    return cmd_blas(reps);
  }
  if (argc == 2 && !strcmp(argv[1], "mpfr"))
    return cmd_mpfr();
  if (argc == 4 && !strcmp(argv[1], "export")) {
    long B = atol(argv[3]);
    if (B < 1 || B > 4096)
      usage();
    return cmd_export(argv[2], (size_t)B);
  }
  usage();
  return 2;
}

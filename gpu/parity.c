/* adeis-gpu-parity: on a machine with a CUDA device, every parity figure of the CUDA backends
 * against the CPU backends of the same precision (gpu/parity_checks.h, the same checks as
 * tests/test_gpu.c) and a benchmark (vector ops; network eps and VJPs at batch 64, GPU and
 * CPU), printed as Markdown for scripts/gpu-check.sh. Needs no Criterion.
 *   adeis-gpu-parity [--no-bench] [--weights FILE.safetensors]
 *   adeis-gpu-parity --weights FILE --torch-eps EPS.txt
 * The second form needs no device: eps of the network in double on the CPU at the fixed
 * input of bench/torch_unet.py's `eps` command (batch 2, x_i = sin(i + 1) / 2, z one-hot
 * class 3 when cond_dim > 3 else zeros, t = 0.5) against the numbers that command wrote.
 * Exit status: 0 every figure within its tolerance, 1 some figure not, 2 bad usage,
 * 77 no CUDA device (the reason is printed). */
#include "parity_checks.h"
#include "../core/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct tally {
  int figures, failed;
  const char *prec;
} tally;

static void print_figure(void *ctx, const char *what, double err, double tol)
{
  tally *t = ctx;
  int ok = err <= tol;
  t->figures++;
  t->failed += !ok;
  printf("| %s | %s | %.3g | %g | %s |\n", t->prec, what, err, tol, ok ? "ok" : "**FAIL**");
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- vector ops: lincomb of 3 and dot at n = 2^24 ---- */

static double time_lincomb(adeis_vec *y, adeis_vec *const x[3], int reps)
{
  mpfr_t c[3];
  mpfr_srcptr cp[3];
  for (int j = 0; j < 3; j++) {
    mpfr_init2(c[j], 64);
    mpfr_set_d(c[j], 0.5 + 0.25 * j, MPFR_RNDN);
    cp[j] = c[j];
  }
  const adeis_vec *xs[3] = {x[0], x[1], x[2]};
  adeis_vec_lincomb(y, 3, cp, xs); /* warm-up */
  double t0 = now();
  for (int r = 0; r < reps; r++)
    adeis_vec_lincomb(y, 3, cp, xs); /* each call reads its flag back: synchronous */
  double dt = (now() - t0) / reps;
  for (int j = 0; j < 3; j++)
    mpfr_clear(c[j]);
  return dt;
}

static double time_dot(const adeis_vec *x, const adeis_vec *y, int reps)
{
  mpfr_t r;
  mpfr_init2(r, 128);
  adeis_vec_dot(r, x, y);
  double t0 = now();
  for (int k = 0; k < reps; k++)
    adeis_vec_dot(r, x, y);
  double dt = (now() - t0) / reps;
  mpfr_clear(r);
  return dt;
}

static void bench_vectors(int dbl)
{
  size_t n = (size_t)1 << 24;
  const char *names[2][2] = {{"float", "cuda-float"}, {"double", "cuda-double"}};
  for (int dev = 0; dev < 2; dev++) {
    adeis_backend be;
    if (adeis_backend_init_named(&be, names[dbl][dev], 0)) {
      printf("| %s | (%s) | | | |\n", names[dbl][dev], adeis_errmsg());
      continue;
    }
    adeis_vec *x[3] = {NULL, NULL, NULL}, *y = adeis_vec_alloc(&be, n);
    int ok = y != NULL;
    for (int j = 0; j < 3; j++)
      ok &= (x[j] = adeis_vec_alloc(&be, n)) != NULL;
    if (ok) {
      mpfr_t v;
      mpfr_init2(v, 64);
      for (int j = 0; j < 3; j++) {
        mpfr_set_d(v, 0.1 * (j + 1), MPFR_RNDN);
        adeis_vec_fill(x[j], v);
      }
      mpfr_clear(v);
      int reps = dev ? 50 : 3;
      double tl = time_lincomb(y, x, reps), td = time_dot(x[0], x[1], reps);
      double es = dbl ? 8.0 : 4.0;
      printf("| %s | %zu | %.1f us (%.0f GB/s) | %.1f us (%.0f GB/s) |\n", names[dbl][dev], n,
             1e6 * tl, 4 * es * (double)n / tl * 1e-9, 1e6 * td, 2 * es * (double)n / td * 1e-9);
    } else {
      printf("| %s | %zu | out of memory | | |\n", names[dbl][dev], n);
    }
    adeis_vec_free(y);
    for (int j = 0; j < 3; j++)
      adeis_vec_free(x[j]);
  }
}

/* ---- network: eps alone and eps with every VJP, batch B ---- */

static int make_net(adeis_net **net, const char *weights, adeis_tbe_p be)
{
  if (weights)
    return adeis_net_load(net, weights, be);
  adeis_net_hyper h;
  memset(&h, 0, sizeof h);
  h.arch = ADEIS_NET_UNET; /* Fashion-MNIST shape */
  h.channels = 1;
  h.size = 28;
  h.base = 32;
  h.groups = 8;
  h.emb_dim = 64;
  h.hidden = 128;
  h.cond_dim = 10;
  int rc = adeis_net_create(net, &h, be);
  if (!rc)
    adeis_net_init_uniform(*net, 7);
  return rc;
}

static void bench_net(int dbl, int dev, const char *weights, size_t B)
{
  adeis_tbe be = {dev ? (dbl ? &adeis_tops_cuda_double : &adeis_tops_cuda_float)
                      : (dbl ? &adeis_tops_double : &adeis_tops_float),
                  dbl ? 53 : 24};
  const char *label = be.ops->name;
  adeis_net *net = NULL;
  double t0 = now();
  if (make_net(&net, weights, &be)) {
    printf("| %s | %s | | | | |\n", label, adeis_errmsg());
    return;
  }
  double tload = now() - t0;
  if (dev)
    adeis_cuda_peak_reset();
  adeis_net_ws *ws = adeis_net_ws_alloc(net, B);
  size_t nx = B * net->dim, nz = B * net->cond_dim, nt = net->ntheta;
  gp_ctx g;
  gp_init(&g, dbl, print_figure, NULL);
  void *x = be.ops->alloc(&be, nx), *v = be.ops->alloc(&be, nx), *z = be.ops->alloc(&be, nz ? nz : 1);
  void *eps = be.ops->alloc(&be, nx), *jx = be.ops->alloc(&be, nx), *jz = be.ops->alloc(&be, nz ? nz : 1);
  void *jt = be.ops->alloc(&be, nt);
  double *h = gp_random(&g, nx, -1, 1);
  if (!ws || !x || !v || !z || !eps || !jx || !jz || !jt || !h) {
    printf("| %s | out of memory | | | | |\n", label);
  } else {
    be.ops->from_double(&be, x, h, nx);
    be.ops->from_double(&be, v, h, nx);
    mpfr_t t;
    mpfr_init2(t, 64);
    mpfr_set_d(t, 0.5, MPFR_RNDN);
    const void *zz = nz ? z : NULL;
    int reps = dev ? 20 : 2;
    adeis_net_eval(net, ws, x, t, zz, 15u, eps, v, jx, jz, NULL, jt, NULL); /* warm-up */
    if (dev)
      adeis_cuda_sync();
    double a = now();
    for (int r = 0; r < reps; r++)
      adeis_net_eval(net, ws, x, t, zz, ADEIS_NET_EPS, eps, NULL, NULL, NULL, NULL, NULL, NULL);
    if (dev)
      adeis_cuda_sync();
    double te = (now() - a) / reps;
    a = now();
    for (int r = 0; r < reps; r++)
      adeis_net_eval(net, ws, x, t, zz, 15u, eps, v, jx, jz, NULL, jt, NULL);
    if (dev)
      adeis_cuda_sync();
    double tv = (now() - a) / reps;
    char peak[32] = "-";
    if (dev)
      snprintf(peak, sizeof peak, "%.0f MiB", (double)adeis_cuda_peak_bytes() / 1048576.0);
    printf("| %s | %zu | %zu | %.2f ms | %.2f ms | %s | %.2f s |\n", label, B, nt, 1e3 * te,
           1e3 * tv, peak, tload);
    mpfr_clear(t);
  }
  free(h);
  void *arrs[] = {x, v, z, eps, jx, jz, jt};
  size_t ns[] = {nx, nx, nz, nx, nx, nz, nt};
  for (size_t i = 0; i < 7; i++)
    be.ops->free(&be, arrs[i], ns[i]);
  adeis_net_ws_free(ws);
  adeis_net_free(net);
}

/* |adeis eps - PyTorch eps| / |adeis eps| at the fixed input; -1 on error (printed) */
static double torch_eps_diff(const char *weights, const char *path)
{
  adeis_tbe be = {&adeis_tops_double, 53};
  adeis_net *net = NULL;
  if (adeis_net_load(&net, weights, &be)) {
    fprintf(stderr, "%s\n", adeis_errmsg());
    return -1;
  }
  size_t B = 2, nx = B * net->dim, nz = B * net->cond_dim;
  double *x = malloc(nx * sizeof *x), *z = calloc(nz ? nz : 1, sizeof *z);
  double *eps = malloc(nx * sizeof *eps), *ref = malloc(nx * sizeof *ref);
  adeis_net_ws *ws = adeis_net_ws_alloc(net, B);
  double r = -1;
  FILE *f = fopen(path, "r");
  if (!f)
    fprintf(stderr, "%s: cannot open\n", path);
  if (f && x && z && eps && ref && ws) {
    size_t got = 0;
    while (got < nx && fscanf(f, "%lf", &ref[got]) == 1)
      got++;
    for (size_t i = 0; i < nx; i++)
      x[i] = sin((double)(i + 1)) / 2;
    for (size_t b = 0; net->cond_dim > 3 && b < B; b++)
      z[b * net->cond_dim + 3] = 1;
    mpfr_t t;
    mpfr_init2(t, 53);
    mpfr_set_d(t, 0.5, MPFR_RNDN);
    if (got != nx)
      fprintf(stderr, "%s: %zu numbers, expected %zu\n", path, got, nx);
    else if (adeis_net_eval(net, ws, x, t, nz ? z : NULL, ADEIS_NET_EPS, eps, NULL, NULL, NULL,
                            NULL, NULL, NULL) == 0)
      r = gp_rel(ref, eps, nx);
    mpfr_clear(t);
  }
  if (f)
    fclose(f);
  free(x);
  free(z);
  free(eps);
  free(ref);
  adeis_net_ws_free(ws);
  adeis_net_free(net);
  return r;
}

int main(int argc, char **argv)
{
  int bench = 1;
  const char *weights = NULL, *torch_eps = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--no-bench") == 0)
      bench = 0;
    else if (strcmp(argv[i], "--weights") == 0 && i + 1 < argc)
      weights = argv[++i];
    else if (strcmp(argv[i], "--torch-eps") == 0 && i + 1 < argc)
      torch_eps = argv[++i];
    else {
      fprintf(stderr, "usage: adeis-gpu-parity [--no-bench] [--weights FILE.safetensors]\n"
                      "       adeis-gpu-parity --weights FILE --torch-eps EPS.txt\n");
      return 2;
    }
  }
  if (torch_eps) {
    if (!weights) {
      fprintf(stderr, "adeis-gpu-parity: --torch-eps needs --weights\n");
      return 2;
    }
    double d = torch_eps_diff(weights, torch_eps);
    if (d < 0)
      return 2;
    printf("PyTorch module against adeis (double, CPU): eps relative difference %.3g (<= 1e-12: %s)\n",
           d, d <= 1e-12 ? "ok" : "FAIL");
    return d <= 1e-12 ? 0 : 1;
  }
  char dev[256];
  if (!adeis_cuda_describe(dev, sizeof dev)) {
    printf("skipped: %s\n", dev);
    return 77;
  }
  printf("## Device\n\n%s\n\n## Parity (CUDA against the CPU backend of the same precision)\n\n", dev);
  printf("Normwise relative difference |cuda - cpu| / |cpu|; tolerance 0 means bit for bit.\n\n");
  printf("| precision | check | difference | tolerance | |\n|---|---|---|---|---|\n");
  tally t[2] = {{0, 0, "double"}, {0, 0, "float"}};
  for (int k = 0; k < 2; k++) {
    gp_ctx g;
    gp_init(&g, k == 0, print_figure, &t[k]);
    gp_all(&g);
  }
  int figures = t[0].figures + t[1].figures, failed = t[0].failed + t[1].failed;
  printf("\n%d figures, %d outside their tolerance.\n", figures, failed);
  printf("Full gradient through a sampler on the GPU: not run (networks are not yet models "
         "of the samplers).\n");
  if (bench) {
    printf("\n## Vector ops (n = 2^24; lincomb of 3 vectors with its finiteness flag read back, "
           "dot read back; GB/s from the bytes each must move)\n\n");
    printf("| backend | n | lincomb k=3 | dot |\n|---|---|---|---|\n");
    bench_vectors(0);
    bench_vectors(1);
    printf("\n## Network (%s): one evaluation, batch 64\n\n", weights ? weights : "unet, Fashion-MNIST "
           "shape (1x28x28, base 32, groups 8, emb 64, hidden 128, 10 classes), random weights");
    printf("| tensor ops | batch | parameters | eps | eps + VJPs (x, z, theta) | peak device memory | "
           "load |\n|---|---|---|---|---|---|---|\n");
    for (int dbl = 0; dbl < 2; dbl++)
      for (int d = 1; d >= 0; d--)
        bench_net(dbl, d, weights, 64);
  }
  return failed ? 1 : 0;
}

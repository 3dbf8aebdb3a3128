/* adeis-gpu-parity: the figures scripts/gpu-check.sh puts in its report (docs/gpu.md), as
 * Markdown, without Criterion.
 *   adeis-gpu-parity [--root DIR]
 *       every parity figure of the CUDA backends against the CPU backends of the same precision
 *       (gpu/parity_checks.h, the checks of tests/test_gpu.c): vector ops, tensor ops, a small
 *       mlp and unet, and the full gradient (adjdeis-2m, N = 32, backsolve) of
 *       DIR/problems/net-mlp.ini and DIR/problems/net-unet.ini (DIR default: .).
 *   adeis-gpu-parity --bench [--weights FILE]
 *       timings: lincomb and dot at n = 2^24, one network evaluation at batch 64 (eps alone,
 *       eps with every VJP), GPU and CPU, float and double, with the peak device memory.
 *   adeis-gpu-parity --bench-grad DIR --weights FILE [--batch B] [--steps N1,N2,..]
 *                    [--budget SECONDS] [--backend NAME]
 *       the adeis side of the PyTorch comparison: the gradient of L = |x_0|^2 / 2 with respect
 *       to x_T, z and theta through the network on cuda-float with adjdeis-2m (backsolve),
 *       dto-dpm-2m (checkpoint) and dto-dpm-1 (reversible), batch B (64), N = 10, 50, 200;
 *       the problem (z one-hot class b mod cond_dim, x_T from seed 1, target 0) is written to
 *       DIR; one line per run to DIR/adeis.tsv and a Markdown table to stdout. A run whose
 *       predicted time (the same method at the previous N, scaled) would overrun the budget
 *       (default 240 s) is not started and says so. --backend runs it on another backend
 *       (float, double: a check of this program on a machine without a device).
 *   adeis-gpu-parity --weights FILE --torch-eps EPS.txt
 *       no device needed: eps of the network in double on the CPU at the fixed input of
 *       bench/torch_unet.py's `eps` command (batch 2, x_i = sin(i + 1) / 2, z one-hot class 3
 *       when cond_dim > 3 else zeros, t = 0.5) against the numbers that command wrote.
 *   adeis-gpu-parity --torch-grad DIR --steps N [--backend double|float]
 *       no device needed: the discrete adjoint of the same sampler (dto-dpm-2m, store all, N
 *       steps) of DIR/problem.ini on the CPU against DIR/torch-grad.f64, the gradient PyTorch's
 *       autograd took through its own DPM-Solver-2M (bench/torch_unet.py `grad DIR`):
 *       dL/dx_T, dL/dz, dL/dtheta within 1e-10 (double) or 1e-4 (float).
 * Exit status: 0 every figure within its tolerance, 1 some figure not, 2 bad usage or input,
 * 77 no CUDA device (the reason is printed). */
#include "parity_checks.h"
#include "../core/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* ---- the gradient through a sampler on cuda-float: the adeis side of the PyTorch table ---- */

static int write_f64(const char *dir, const char *name, const double *a, size_t n)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  int ok = f && fwrite(a, sizeof *a, n, f) == n;
  if (f)
    ok &= fclose(f) == 0;
  if (!ok)
    fprintf(stderr, "adeis-gpu-parity: cannot write %s\n", path);
  return ok ? 0 : -1;
}

/* DIR/problem.ini: the network of `weights` on a batch of B, z one-hot class b mod cond_dim
 * (DIR/z.f64), x_T from seed 1, L = |x_0|^2 / 2 (DIR/target.f64 holds zeros) */
static int write_bench_problem(const char *dir, const char *weights, size_t B, char *path,
                               size_t cap)
{
  adeis_tbe be = {&adeis_tops_double, 53};
  adeis_net *net = NULL;
  if (adeis_net_load(&net, weights, &be)) {
    fprintf(stderr, "%s\n", adeis_errmsg());
    return -1;
  }
  size_t nx = B * net->dim, cd = net->cond_dim;
  double *zero = calloc(nx, sizeof *zero), *z = calloc(B * cd + 1, sizeof *z);
  int rc = zero && z ? 0 : -1;
  for (size_t b = 0; !rc && b < B && cd; b++)
    z[b * cd + b % cd] = 1;
  if (!rc)
    rc = write_f64(dir, "target.f64", zero, nx);
  if (!rc && cd)
    rc = write_f64(dir, "z.f64", z, B * cd);
  snprintf(path, cap, "%s/problem.ini", dir);
  FILE *f = rc ? NULL : fopen(path, "w");
  if (f) {
    char absw[8192], cwd[4096];   /* the problem file lives in dir: the weights by absolute path */
    const char *w = weights;
    if (weights[0] != '/' && getcwd(cwd, sizeof cwd)) {
      snprintf(absw, sizeof absw, "%s/%s", cwd, weights);
      w = absw;
    }
    fprintf(f, "; written by adeis-gpu-parity --bench-grad (docs/gpu.md)\n[problem]\ntype = "
               "network\nweights = %s\nbatch = %zu\n%s\n[schedule]\nname = %s\nt_end = 1e-3\n"
               "T = 1\n\n[loss]\ntype = quadratic\ntarget = @target.f64\n\n[start]\nseed = 1\n",
            w, B, cd ? "z = @z.f64\n" : "", net->schedule ? net->schedule : "vp-linear");
    rc = fclose(f) == 0 ? 0 : -1;
  } else if (!rc) {
    fprintf(stderr, "adeis-gpu-parity: cannot write %s\n", path);
    rc = -1;
  }
  free(zero);
  free(z);
  adeis_net_free(net);
  return rc;
}

typedef struct bench_method {
  const char *method, *store, *label;
  adeis_state_mode state;
} bench_method;

static const bench_method bench_methods[] = {
  {"adjdeis-2m", NULL, "adeis adjdeis-2m (backsolve)", ADEIS_STATE_BACKSOLVE},
  {"dto-dpm-2m", "checkpoint", "adeis dto-dpm-2m (checkpoint)", ADEIS_STATE_CACHED},
  {"dto-dpm-1", "reversible", "adeis dto-dpm-1 (reversible)", ADEIS_STATE_CACHED},
};
#define N_BENCH_METHODS (sizeof bench_methods / sizeof *bench_methods)

/* one gradient on pb (cuda-float); 0 with the time and peaks, or an error status */
static int bench_grad_run(const adeis_problem *pb, const bench_method *bm, size_t steps,
                          double *secs, size_t *peak_alloc, size_t *peak_used, adeis_grad_result *res)
{
  int dev = pb->be.type->device;
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = bm->method;
  rq.steps = steps;
  rq.state = bm->state;
  rq.backend = pb->be.type->name;
  rq.precision = pb->be.prec;
  rq.want_reference = -1;
  if (bm->store)
    adeis_store_parse(bm->store, &rq.store);
  if (dev) {
    adeis_cuda_sync();
    adeis_cuda_peak_reset();
  }
  double t0 = now();
  int rc = adeis_grad_compute(pb, &rq, res);
  if (dev)
    adeis_cuda_sync();
  *secs = now() - t0;
  *peak_alloc = dev ? adeis_cuda_peak_alloc_bytes() : 0;
  *peak_used = dev ? adeis_cuda_peak_bytes() : 0;
  return rc;
}

static int bench_grad(const char *dir, const char *weights, size_t B, const char *steps_list,
                      double budget, const char *backend)
{
  char path[4096], tsv[4096];
  if (write_bench_problem(dir, weights, B, path, sizeof path))
    return 2;
  adeis_problem_spec sp;
  if (adeis_problem_load(path, &sp)) {
    fprintf(stderr, "%s\n", adeis_errmsg());
    return 2;
  }
  adeis_problem pb;
  if (adeis_problem_build_on(&sp, backend, 0, &pb)) {
    printf("not run: %s\n", adeis_errmsg());
    adeis_problem_spec_clear(&sp);
    return 77;
  }
  snprintf(tsv, sizeof tsv, "%s/adeis.tsv", dir);
  FILE *out = fopen(tsv, "w");
  if (!out) {
    fprintf(stderr, "adeis-gpu-parity: cannot write %s\n", tsv);
    adeis_problem_clear(&pb);
    adeis_problem_spec_clear(&sp);
    return 2;
  }
  printf("Batch %zu, %s, %zu parameters; time of the whole gradient (sampling and "
         "adjoint), peak of the bytes allocated (as torch.cuda.max_memory_allocated) and of the "
         "device memory in use (cudaMemGetInfo: with the context and cuBLAS's workspace).\n\n",
         B, backend, pb.model.theta_dim);
  printf("| method | N | time (s) | NFE | VJPs | peak allocated (MiB) | device in use (MiB) |\n"
         "|---|---|---|---|---|---|---|\n");
  fflush(stdout);
  /* warm-up: cuBLAS handles, the first launch of every kernel */
  double s, t_start = now(), last[N_BENCH_METHODS] = {0};
  size_t pa, pu, lastn[N_BENCH_METHODS] = {0};
  adeis_grad_result res;
  bench_grad_run(&pb, &bench_methods[0], 2, &s, &pa, &pu, &res);
  adeis_grad_result_clear(&res);
  int status = 0;
  for (const char *p = steps_list; *p;) {
    char *end;
    unsigned long n = strtoul(p, &end, 10);
    if (end == p || !n)
      break;
    p = *end == ',' ? end + 1 : end;
    for (size_t k = 0; k < N_BENCH_METHODS; k++) {
      const bench_method *bm = &bench_methods[k];
      double left = budget - (now() - t_start);
      double guess = lastn[k] ? 1.2 * last[k] * (double)n / (double)lastn[k] : 0;
      if (guess > left) {
        printf("| %s | %lu | not run: predicted %.0f s, %.0f s of the budget left | | | | |\n",
               bm->label, n, guess, left);
        fprintf(out, "%s\t%lu\t%zu\tnan\tnan\tnan\t0\t0\tnot run (budget)\n", bm->method, n, B);
        continue;
      }
      int rc = bench_grad_run(&pb, bm, n, &s, &pa, &pu, &res);
      if (rc) {
        printf("| %s | %lu | failed: %s | | | | |\n", bm->label, n, adeis_errmsg());
        fprintf(out, "%s\t%lu\t%zu\tnan\tnan\tnan\t0\t0\tfailed\n", bm->method, n, B);
        status = 1;
      } else {
        double ma = pb.be.type->device ? (double)pa / 1048576.0 : NAN;
        double mu = pb.be.type->device ? (double)pu / 1048576.0 : NAN;
        printf("| %s | %lu | %.3f | %lu | %lu | %.1f | %.0f |\n", bm->label, n, s, res.nfe,
               res.nvjp, ma, mu);
        fprintf(out, "%s\t%lu\t%zu\t%.6f\t%.3f\t%.3f\t%lu\t%lu\tok\n", bm->method, n, B, s, ma,
                mu, res.nfe, res.nvjp);
        last[k] = s;
        lastn[k] = n;
      }
      fflush(stdout);
      fflush(out);
      adeis_grad_result_clear(&res);
    }
  }
  fclose(out);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&sp);
  return status;
}

/* ---- the discrete adjoint against PyTorch's autograd through the same sampler (CPU) ---- */

static void print_row(void *ctx, const char *what, double err, double tol)
{
  int *failed = ctx;
  *failed += !(err <= tol);
  printf("| %s | %.3g | %g | %s |\n", what, err, tol, err <= tol ? "ok" : "**FAIL**");
}

static int torch_grad(const char *dir, size_t steps, const char *backend)
{
  int failed = 0;
  int rc = gp_torch_grad(dir, steps, backend, print_row, &failed);
  return rc ? 2 : failed ? 1 : 0;
}

/* ---- the parity figures ---- */

static int parity(const char *root)
{
  char dev[256];
  if (!adeis_cuda_describe(dev, sizeof dev)) {
    printf("skipped: %s\n", dev);
    return 77;
  }
  printf("## Device\n\n%s\n\n## Parity (CUDA against the CPU backend of the same precision)\n\n", dev);
  printf("Normwise relative difference |cuda - cpu| / |cpu|; tolerance 0 means bit for bit.\n\n");
  printf("| precision | check | difference | tolerance | |\n|---|---|---|---|---|\n");
  fflush(stdout);
  tally t[2] = {{0, 0, "double"}, {0, 0, "float"}};
  char mlp[4096], unet[4096];
  snprintf(mlp, sizeof mlp, "%s/problems/net-mlp.ini", root);
  snprintf(unet, sizeof unet, "%s/problems/net-unet.ini", root);
  for (int k = 0; k < 2; k++) {
    gp_ctx g;
    gp_init(&g, k == 0, print_figure, &t[k]);
    gp_all(&g);
    gp_full_gradient(&g, mlp, "net-mlp");
    gp_full_gradient(&g, unet, "net-unet");
    fflush(stdout);
  }
  int figures = t[0].figures + t[1].figures, failed = t[0].failed + t[1].failed;
  printf("\n%d figures, %d outside their tolerance.\n", figures, failed);
  return failed ? 1 : 0;
}

static void bench(const char *weights)
{
  char dev[256];
  if (!adeis_cuda_describe(dev, sizeof dev)) {
    printf("skipped: %s\n", dev);
    return;
  }
  printf("## Vector ops (n = 2^24; lincomb of 3 vectors with its finiteness flag read back, "
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

static int usage(void)
{
  fprintf(stderr,
          "usage: adeis-gpu-parity [--root DIR]\n"
          "       adeis-gpu-parity --bench [--weights FILE.safetensors]\n"
          "       adeis-gpu-parity --bench-grad DIR --weights FILE [--batch B] [--steps N1,N2,..] "
          "[--budget S] [--backend NAME]\n"
          "       adeis-gpu-parity --weights FILE --torch-eps EPS.txt\n"
          "       adeis-gpu-parity --torch-grad DIR --steps N [--backend double|float]\n");
  return 2;
}

int main(int argc, char **argv)
{
  int do_bench = 0;
  const char *weights = NULL, *torch_eps = NULL, *root = ".", *grad_dir = NULL, *tgrad_dir = NULL;
  const char *steps = "10,50,200", *backend = NULL;
  size_t batch = 64;
  double budget = 240;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--bench") == 0) {
      do_bench = 1;
      continue;
    }
    if (!v)
      return usage();
    i++;
    if (strcmp(a, "--weights") == 0)
      weights = v;
    else if (strcmp(a, "--torch-eps") == 0)
      torch_eps = v;
    else if (strcmp(a, "--root") == 0)
      root = v;
    else if (strcmp(a, "--bench-grad") == 0)
      grad_dir = v;
    else if (strcmp(a, "--torch-grad") == 0)
      tgrad_dir = v;
    else if (strcmp(a, "--steps") == 0)
      steps = v;
    else if (strcmp(a, "--backend") == 0 && adeis_backend_lookup(v))
      backend = v;
    else if (strcmp(a, "--batch") == 0 && atol(v) > 0)
      batch = (size_t)atol(v);
    else if (strcmp(a, "--budget") == 0 && atof(v) > 0)
      budget = atof(v);
    else
      return usage();
  }
  if (torch_eps) {
    if (!weights) {
      fprintf(stderr, "adeis-gpu-parity: --torch-eps needs --weights\n");
      return 2;
    }
    double d = torch_eps_diff(weights, torch_eps);
    if (d < 0)
      return 2;
    printf("| PyTorch module against adeis: eps at a fixed input, batch 2 (double, CPU) | eps | "
           "%.3g | 1e-12 | %s |\n", d, d <= 1e-12 ? "ok" : "**FAIL**");
    return d <= 1e-12 ? 0 : 1;
  }
  if (tgrad_dir) {
    long n = atol(steps);
    if (n < 1 || strchr(steps, ','))
      return usage();
    if (backend && strcmp(backend, "double") != 0 && strcmp(backend, "float") != 0)
      return usage();
    return torch_grad(tgrad_dir, (size_t)n, backend ? backend : "double");
  }
  if (grad_dir) {
    if (!weights)
      return usage();
    return bench_grad(grad_dir, weights, batch, steps, budget, backend ? backend : "cuda-float");
  }
  if (do_bench) {
    bench(weights);
    return 0;
  }
  return parity(root);
}

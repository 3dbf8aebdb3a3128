/* make bench: the speed goals of the numerical core, written into docs/benchmarks.md
 * between the markers <!-- core-bench:begin --> and <!-- core-bench:end -->.
 *  1. double backend, d = 10^6: one adjdeis-2m step (cached states) against a fused
 *     three-vector linear combination of the same length (the memory floor);
 *  2. MPFR 256 bits: adjdeis-2m, N = 4096, d = 16, oracle states, one gradient.
 * `adeis-bench --large-problem DIR` writes the d = 10^6 problem of bench/large.sh instead. */
#include "../analytic/gaussian.h"
#include "backends.h"
#include "../core/status.h"
#include "../solvers/forward.h"
#include "../runs/grad.h"

#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_sort.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RND MPFR_RNDN
#define REPS 15

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double median(double *v, size_t n)
{
  gsl_sort(v, 1, n);
  return gsl_stats_median_from_sorted_data(v, 1, n);
}

/* A diagonal Gaussian of dimension d with seeded means and variances. */
static void make_gaussian(adeis_model *m, const adeis_backend *be, size_t d, gsl_rng *r)
{
  mpfr_t *mu = malloc(d * sizeof *mu), *s2 = malloc(d * sizeof *s2);
  mpfr_srcptr *pm = malloc(d * sizeof *pm), *ps = malloc(d * sizeof *ps);
  for (size_t i = 0; i < d; i++) {
    mpfr_init2(mu[i], 53);
    mpfr_init2(s2[i], 53);
    mpfr_set_d(mu[i], gsl_ran_gaussian(r, 1.0), RND);
    mpfr_set_d(s2[i], 0.05 + gsl_rng_uniform(r), RND);
    pm[i] = mu[i];
    ps[i] = s2[i];
  }
  if (adeis_gaussian_init(m, be, d, 0, pm, ps, NULL, NULL, 0)) {
    fprintf(stderr, "bench: %s\n", adeis_errmsg());
    exit(3);
  }
  for (size_t i = 0; i < d; i++) {
    mpfr_clear(mu[i]);
    mpfr_clear(s2[i]);
  }
  free(mu), free(s2), free(pm), free(ps);
}

/* One fused three-vector lincomb of length d (the memory floor). */
typedef struct lincomb_ctx {
  adeis_backend be;
  adeis_vec *y, *x[3];
  mpfr_t c[3];
} lincomb_ctx;

static void lincomb_setup(lincomb_ctx *l, size_t d)
{
  adeis_backend_init(&l->be, 53);
  l->y = adeis_vec_alloc(&l->be, d);
  for (int k = 0; k < 3; k++) {
    l->x[k] = adeis_vec_alloc(&l->be, d);
    for (size_t i = 0; i < d; i++)
      adeis_vec_double_data(l->x[k])[i] = 1.0 + (double)(i % 7) * k;
    mpfr_init2(l->c[k], 53);
    mpfr_set_d(l->c[k], 0.5 + k, RND);
  }
}

static double lincomb_time(lincomb_ctx *l)
{
  double t0 = now();
  adeis_vec_lincomb(l->y, 3, (mpfr_srcptr[]){l->c[0], l->c[1], l->c[2]},
                    (const adeis_vec *[]){l->x[0], l->x[1], l->x[2]});
  return now() - t0;
}

/* The adjdeis-2m step for dL/dx_T on a diagonal Gaussian written by hand as one loop: reads
 * a_x, s2 and the previous VJP, writes a_x and the new VJP (5 memory streams), the same
 * arithmetic as the library's two passes (the model's VJP, then the lincomb update). */
typedef struct fused_ctx {
  double *a, *s2, *jp;
  size_t d;
} fused_ctx;

static void fused_setup(fused_ctx *f, size_t d)
{
  f->d = d;
  f->a = malloc(d * sizeof *f->a);
  f->s2 = malloc(d * sizeof *f->s2);
  f->jp = malloc(d * sizeof *f->jp);
  for (size_t i = 0; i < d; i++) {
    f->a[i] = 1.0 + (double)(i % 5) * 0.1;
    f->s2[i] = 0.05 + (double)(i % 11) * 0.09;
    f->jp[i] = 0.0;
  }
}

__attribute__((noinline)) static double fused_time(fused_ctx *f)
{
  const double sigma = 0.3, a2 = 0.91, sg2 = 0.09, k1 = 0.99, k2 = 0.02, k3 = -0.01;
  double *restrict a = f->a, *restrict jp = f->jp;
  const double *restrict s2 = f->s2;
  int bad = 0;
  double t0 = now();
  for (size_t i = 0; i < f->d; i++) {
    double r = sigma * a[i] / (a2 * s2[i] + sg2);
    double v = k1 * a[i] + k2 * r + k3 * jp[i];
    jp[i] = r;
    a[i] = v;
    bad |= !(v - v == 0);
  }
  double t = now() - t0;
  if (bad)
    fprintf(stderr, "bench: non-finite hand-fused step\n");
  return t;
}

static void fused_free(fused_ctx *f)
{
  free(f->a), free(f->s2), free(f->jp);
}

static void lincomb_free(lincomb_ctx *l)
{
  for (int k = 0; k < 3; k++) {
    adeis_vec_free(l->x[k]);
    mpfr_clear(l->c[k]);
  }
  adeis_vec_free(l->y);
}

/* adjdeis-2m on a d-dimensional diagonal Gaussian with states cached by dpm-2m */
typedef struct step_ctx {
  adeis_backend be;
  adeis_model m;
  adeis_schedule s;
  adeis_grid g;
  adeis_cache cache;
  adeis_states st;
  adeis_vec *x, *ax, *az, *ath;
  size_t n;
} step_ctx;

static void step_setup(step_ctx *c, size_t d, size_t n)
{
  adeis_backend_init(&c->be, 53);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 1);
  make_gaussian(&c->m, &c->be, d, r);
  adeis_schedule_init(&c->s, &adeis_schedule_vp_linear, adeis_backend_scalar_prec(&c->be));
  adeis_grid_init(&c->g, ADEIS_GRID_UNIFORM_LAMBDA, &c->s, n);
  c->n = n;
  c->x = adeis_vec_alloc(&c->be, d);
  for (size_t i = 0; i < d; i++)
    adeis_vec_double_data(c->x)[i] = gsl_ran_gaussian(r, 1.0);
  adeis_cache_init(&c->cache, c->s.prec);
  adeis_counts cnt = {0, 0};
  adeis_forward_run(adeis_forward_lookup("dpm-2m"), &c->m, NULL, &c->s, c->g.pts, n, c->x, &c->cache,
                    NULL, &cnt);
  adeis_states_cached(&c->st, &c->cache);
  c->ax = adeis_vec_alloc(&c->be, d);
  c->az = adeis_vec_alloc(&c->be, d);
  c->ath = adeis_vec_alloc(&c->be, d);
  gsl_rng_free(r);
}

/* seconds per step of one solve, with dL/dx_T only or all three accumulators */
static double step_time(step_ctx *c, int all_quantities)
{
  const adeis_method *meth = adeis_method_lookup("adjdeis-2m");
  adeis_adjoint_problem p;
  memset(&p, 0, sizeof p);
  p.model = &c->m, p.sched = &c->s, p.grid = &c->g, p.c = 1, p.state = ADEIS_STATE_CACHED;
  p.states = &c->st;
  p.ws = adeis_model_ws_alloc(&c->m);
  adeis_vec_copy(c->ax, c->x);
  adeis_vec_set_zero(c->az);
  adeis_vec_set_zero(c->ath);
  p.a_x = c->ax;
  p.a_z = all_quantities ? c->az : NULL;
  p.a_theta = all_quantities ? c->ath : NULL;
  double t0 = now();
  if (meth->solve(meth, &p)) {
    fprintf(stderr, "bench: %s\n", adeis_errmsg());
    exit(3);
  }
  double dt = (now() - t0) / (double)c->n;
  adeis_model_ws_free(&c->m, p.ws);
  return dt;
}

static void step_free(step_ctx *c)
{
  adeis_vec_free(c->ax), adeis_vec_free(c->az), adeis_vec_free(c->ath), adeis_vec_free(c->x);
  adeis_cache_clear(&c->cache);
  adeis_grid_clear(&c->g);
  adeis_schedule_clear(&c->s);
  adeis_gaussian_clear(&c->m);
}

/* wall seconds of one adjdeis-2m gradient at 256 bits, N = 4096, d = 16, oracle */
static double time_mpfr_gradient(size_t d, size_t n, long prec)
{
  adeis_problem pb;
  memset(&pb, 0, sizeof pb);
  adeis_backend_init(&pb.be, prec);
  adeis_schedule_init(&pb.sched, &adeis_schedule_vp_linear, adeis_backend_scalar_prec(&pb.be));
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 2);
  make_gaussian(&pb.model, &pb.be, d, r);
  pb.x_T = adeis_vec_alloc(&pb.be, d);
  pb.target = adeis_vec_alloc(&pb.be, d);
  for (size_t i = 0; i < d; i++)
    adeis_vec_set_d(pb.x_T, i, gsl_ran_gaussian(r, 1.0));
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = "adjdeis-2m";
  rq.steps = n;
  rq.precision = prec;
  double t[3];
  for (int rep = 0; rep < 3; rep++) {
    adeis_grad_result res;
    double t0 = now();
    if (adeis_grad_compute(&pb, &rq, &res)) {
      fprintf(stderr, "bench: %s\n", adeis_errmsg());
      exit(3);
    }
    t[rep] = now() - t0;
    adeis_grad_result_clear(&res);
  }
  adeis_problem_clear(&pb);
  gsl_rng_free(r);
  return median(t, 3);
}

/* The transcendental floor of one adjoint step at 256 bits (scalar precision 320): one exp for
 * the new grid point, one expm1(h) and the schedule's inverse t(lambda), k times on distinct
 * arguments (callgrind counts it; bench/instructions.sh takes the difference of two k). */
static int floor_loop(const char *schedule, unsigned long k, int with_t)
{
  const adeis_schedule_type *type = adeis_schedule_lookup(schedule);
  if (!type)
    return 2;
  adeis_schedule s;
  adeis_schedule_init(&s, type, 256 + ADEIS_GUARD_BITS);
  mpfr_t l, u, t;
  mpfr_inits2(s.prec, l, u, t, (mpfr_ptr)0);
  double acc = 0;
  for (unsigned long i = 0; i < k; i++) {
    mpfr_set_d(l, -5.0 + 9.5 * (double)i / (double)k, RND);
    mpfr_mul_si(u, l, -2, RND);
    mpfr_exp(u, u, RND);                       /* the grid point */
    mpfr_set_d(u, 9.5 / (double)k, RND);
    mpfr_expm1(u, u, RND);                     /* the step's E */
    if (with_t)
      adeis_schedule_t_of_lambda(t, &s, l);    /* t of the grid point */
    acc += mpfr_get_d(u, RND) + (with_t ? mpfr_get_d(t, RND) : 0.0);
  }
  printf("%.6g\n", acc);
  mpfr_clears(l, u, t, (mpfr_ptr)0);
  adeis_schedule_clear(&s);
  return 0;
}

/* ---- the large-input problem of bench/large.sh ---- */

/* n doubles as raw little-endian float64 (the host's order where that is little-endian) */
static int write_f64(const char *dir, const char *name, const double *a, size_t n)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  size_t written = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t b;
    memcpy(&b, &a[i], 8);
    unsigned char le[8];
    for (int k = 0; k < 8; k++)
      le[k] = (unsigned char)(b >> (8 * k));
    written += fwrite(le, 1, 8, f);
  }
  return fclose(f) == 0 && written == 8 * n ? 0 : -1;
}

/* DIR/large.ini: a diagonal Gaussian of dimension d whose mean, variances, target and x_T are
 * seeded .f64 files beside it (vp-linear schedule, quadratic loss). */
static int write_large_problem(const char *dir, size_t d)
{
  double *a = malloc(d * sizeof *a);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!a || !r)
    return 3;
  gsl_rng_set(r, 2026);
  static const char *const names[4] = {"mean.f64", "var.f64", "target.f64", "x_T.f64"};
  int rc = 0;
  for (int k = 0; k < 4 && !rc; k++) {
    for (size_t i = 0; i < d; i++)
      a[i] = k == 1 ? 0.05 + 2.0 * gsl_rng_uniform(r) : gsl_ran_gaussian(r, 1.0);
    rc = write_f64(dir, names[k], a, d);
  }
  free(a);
  gsl_rng_free(r);
  char path[4096];
  snprintf(path, sizeof path, "%s/large.ini", dir);
  FILE *f = rc ? NULL : fopen(path, "w");
  if (!f) {
    fprintf(stderr, "bench: cannot write the large problem into %s\n", dir);
    return 2;
  }
  fprintf(f, "; written by adeis-bench --large-problem (bench/large.sh)\n[problem]\ntype = gaussian\n"
             "dim = %zu\nmean = @mean.f64\nvar = @var.f64\n\n[schedule]\nname = vp-linear\n"
             "t_end = 1e-3\nT = 1\n\n[loss]\ntype = quadratic\ntarget = @target.f64\n\n"
             "[start]\nx_T = @x_T.f64\n", d);
  return fclose(f) == 0 ? 0 : 2;
}

/* Replace the marked section of path with text (append the section if absent). */
static int write_section(const char *path, const char *text)
{
  const char *b = "<!-- core-bench:begin -->", *e = "<!-- core-bench:end -->";
  char *old = NULL;
  size_t len = 0;
  FILE *f = fopen(path, "r");
  if (f) {
    fseek(f, 0, SEEK_END);
    len = (size_t)ftell(f);
    rewind(f);
    old = calloc(len + 1, 1);
    if (fread(old, 1, len, f) != len)
      len = 0;
    fclose(f);
  }
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *o = fopen(tmp, "w");
  if (!o)
    return -1;
  char *pb = old ? strstr(old, b) : NULL, *pe = pb ? strstr(pb, e) : NULL;
  if (!old || !len)
    fputs("# Benchmarks\n\nSpeed goals are benchmarks, not timed tests: `make bench` rewrites the "
          "marked section below on the machine it runs on.\n\n", o);
  else if (pb && pe)
    fwrite(old, 1, (size_t)(pb - old), o);
  else
    fputs(old, o);
  fprintf(o, "%s\n%s%s\n", b, text, e);
  if (pb && pe)
    fputs(pe + strlen(e) + (pe[strlen(e)] == '\n'), o);
  free(old);
  if (fclose(o) != 0)
    return -1;
  return rename(tmp, path);
}

int main(int argc, char **argv)
{
  const char *out = argc > 1 ? argv[1] : "docs/benchmarks.md";
  const size_t d = 1000000, n = 32;
  if (argc > 2 && strcmp(argv[1], "--large-problem") == 0)
    return write_large_problem(argv[2], d);
  if (argc > 3 && strcmp(argv[1], "--floor") == 0)
    return floor_loop(argv[2], strtoul(argv[3], NULL, 10), !(argc > 4 && !strcmp(argv[4], "no-t")));
  lincomb_ctx lc;
  step_ctx sc;
  fused_ctx fc;
  lincomb_setup(&lc, d);
  step_setup(&sc, d, n);
  fused_setup(&fc, d);
  /* interleaved, so that a noisy neighbour affects both sides of each ratio alike */
  double tl[REPS], tx[REPS], ta[REPS], tf[REPS], rx[REPS], ra[REPS], rf[REPS];
  for (int r = 0; r < REPS; r++) {
    tl[r] = lincomb_time(&lc);
    tf[r] = fused_time(&fc);
    tx[r] = step_time(&sc, 0);
    ta[r] = step_time(&sc, 1);
    rx[r] = tx[r] / tl[r];
    ra[r] = ta[r] / tl[r];
    rf[r] = tx[r] / tf[r];
  }
  double ml = median(tl, REPS), mx = median(tx, REPS), ma = median(ta, REPS);
  double mf = median(tf, REPS), qx = median(rx, REPS), qa = median(ra, REPS);
  double qf = median(rf, REPS);
  step_free(&sc);
  lincomb_free(&lc);
  fused_free(&fc);
  double mp = time_mpfr_gradient(16, 4096, 256);
  char text[4096];
  time_t now_t = time(NULL);
  char date[32];
  strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now_t));
  snprintf(text, sizeof text,
           "## Numerical core (`make bench`, %s)\n\n"
           "One run of `build/adeis-bench` on this machine (2 cores, one used). The lincomb and the "
           "adjdeis-2m solves (%zu steps, per-step time) are timed alternately %d times; the table "
           "gives the median times and the median of the per-repetition ratios.\n\n"
           "| measurement | time | ratio | goal |\n|---|---|---|---|\n"
           "| fused three-vector lincomb, double, d = 10^6 (memory floor) | %.3f ms | 1.00 | |\n"
           "| adjdeis-2m step written by hand as one loop (5 streams), double, d = 10^6 | %.3f ms | "
           "| |\n"
           "| adjdeis-2m step, double, d = 10^6, cached states, dL/dx_T only | %.3f ms | %.2f | <= 2 |\n"
           "| the same step against the hand-fused one | | %.2f | |\n"
           "| adjdeis-2m step, double, d = 10^6, cached states, dL/dx_T, dL/dz, dL/dtheta | %.3f "
           "ms | %.2f | (none) |\n"
           "| adjdeis-2m gradient, MPFR 256 bits, N = 4096, d = 16, oracle (whole run, median of 3) "
           "| %.3f s | | < 1 s |\n\n"
           "A step for dL/dx_T is two passes over memory: the model's VJP (reads a_x and s2, writes "
           "the VJP, one division per component) and the update of a_x (reads a_x, the VJP and the "
           "previous VJP, writes a_x, with the finiteness check in the same pass): seven streams "
           "against the lincomb's four, so about 1.75 is the floor for this design; fusing the two "
           "passes would need the update inside the model interface. With z and theta the VJP also "
           "reads x and mu and two more accumulators are updated. Ratios on this shared machine vary "
           "by about 0.3 between runs.\n",
           date, n, REPS, 1e3 * ml, 1e3 * mf, 1e3 * mx, qx, qf, 1e3 * ma, qa, mp);
  fputs(text, stdout);
  if (write_section(out, text) != 0) {
    fprintf(stderr, "bench: cannot write %s\n", out);
    return 2;
  }
  return adeis_bench_backends(out) == 0 ? 0 : 2;
}

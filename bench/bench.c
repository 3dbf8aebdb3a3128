/* make bench: the speed goals of the numerical core, written into docs/benchmarks.md
 * between the markers <!-- core-bench:begin --> and <!-- core-bench:end -->.
 *  1. double backend, d = 10^6: one adjdeis-2m step (cached states) against a fused
 *     three-vector linear combination of the same length (the memory floor);
 *  2. MPFR 256 bits: adjdeis-2m, N = 4096, d = 16, oracle states, one gradient. */
#include "../analytic/gaussian.h"
#include "../core/status.h"
#include "../solvers/forward.h"
#include "../solvers/grad.h"

#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_sort.h>
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

static double time_lincomb3(size_t d)
{
  adeis_backend be;
  adeis_backend_init(&be, 53);
  adeis_vec *y = adeis_vec_alloc(&be, d), *x[3];
  mpfr_t c[3];
  for (int k = 0; k < 3; k++) {
    x[k] = adeis_vec_alloc(&be, d);
    for (size_t i = 0; i < d; i++)
      adeis_vec_double_data(x[k])[i] = 1.0 + (double)(i % 7) * k;
    mpfr_init2(c[k], 53);
    mpfr_set_d(c[k], 0.5 + k, RND);
  }
  double t[REPS];
  for (int r = 0; r < REPS; r++) {
    double t0 = now();
    adeis_vec_lincomb(y, 3, (mpfr_srcptr[]){c[0], c[1], c[2]},
                      (const adeis_vec *[]){x[0], x[1], x[2]});
    t[r] = now() - t0;
  }
  for (int k = 0; k < 3; k++) {
    adeis_vec_free(x[k]);
    mpfr_clear(c[k]);
  }
  adeis_vec_free(y);
  return median(t, REPS);
}

/* seconds per adjdeis-2m step on cached states, with the requested accumulators */
static double time_adjdeis_step(size_t d, size_t n, int all_quantities)
{
  adeis_backend be;
  adeis_backend_init(&be, 53);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 1);
  adeis_model m;
  make_gaussian(&m, &be, d, r);
  adeis_schedule s;
  adeis_schedule_init(&s, &adeis_schedule_vp_linear, adeis_backend_scalar_prec(&be));
  adeis_grid g;
  adeis_grid_init(&g, ADEIS_GRID_UNIFORM_LAMBDA, &s, n);
  adeis_vec *x = adeis_vec_alloc(&be, d);
  for (size_t i = 0; i < d; i++)
    adeis_vec_double_data(x)[i] = gsl_ran_gaussian(r, 1.0);
  adeis_cache cache;
  adeis_cache_init(&cache, s.prec);
  adeis_counts cnt = {0, 0};
  adeis_forward_run(adeis_forward_lookup("dpm-2m"), &m, &s, g.pts, n, x, &cache, NULL, &cnt);
  adeis_states st;
  adeis_states_cached(&st, &cache);
  adeis_vec *ax = adeis_vec_alloc(&be, d), *az = adeis_vec_alloc(&be, d),
            *ath = adeis_vec_alloc(&be, d);
  const adeis_method *meth = adeis_method_lookup("adjdeis-2m");
  double t[REPS];
  for (int rep = 0; rep < REPS; rep++) {
    adeis_adjoint_problem p;
    memset(&p, 0, sizeof p);
    p.model = &m, p.sched = &s, p.grid = &g, p.c = 1, p.state = ADEIS_STATE_CACHED;
    p.states = &st;
    adeis_vec_copy(ax, x);
    adeis_vec_set_zero(az);
    adeis_vec_set_zero(ath);
    p.a_x = ax;
    p.a_z = all_quantities ? az : NULL;
    p.a_theta = all_quantities ? ath : NULL;
    double t0 = now();
    if (meth->solve(meth, &p)) {
      fprintf(stderr, "bench: %s\n", adeis_errmsg());
      exit(3);
    }
    t[rep] = (now() - t0) / (double)n;
  }
  adeis_vec_free(ax), adeis_vec_free(az), adeis_vec_free(ath), adeis_vec_free(x);
  adeis_cache_clear(&cache);
  adeis_grid_clear(&g);
  adeis_schedule_clear(&s);
  adeis_gaussian_clear(&m);
  gsl_rng_free(r);
  return median(t, REPS);
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
  double lc = time_lincomb3(d);
  double st_x = time_adjdeis_step(d, n, 0), st_all = time_adjdeis_step(d, n, 1);
  double mp = time_mpfr_gradient(16, 4096, 256);
  char text[4096];
  time_t now_t = time(NULL);
  char date[32];
  strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now_t));
  snprintf(text, sizeof text,
           "## Numerical core (`make bench`, %s)\n\n"
           "Medians of %d repetitions in one run of `build/adeis-bench` on this machine (2 cores, "
           "one used).\n\n"
           "| measurement | time | ratio | goal |\n|---|---|---|---|\n"
           "| fused three-vector lincomb, double, d = 10^6 (memory floor) | %.3f ms | 1.00 | |\n"
           "| adjdeis-2m step, double, d = 10^6, cached states, dL/dx_T only | %.3f ms | %.2f | <= 2 |\n"
           "| adjdeis-2m step, double, d = 10^6, cached states, dL/dx_T, dL/dz, dL/dtheta | %.3f "
           "ms | %.2f | (no goal) |\n"
           "| adjdeis-2m gradient, MPFR 256 bits, N = 4096, d = 16, oracle (whole run) | %.3f s | "
           "| < 1 s |\n\n"
           "The x_T step reads a_x, s2 and the previous VJP and writes a_x and the VJP (five "
           "streams against the lincomb's four); with z and theta it also reads x, mu and two more "
           "accumulators, so no memory-floor goal applies.\n",
           date, REPS, 1e3 * lc, 1e3 * st_x, st_x / lc, 1e3 * st_all, st_all / lc, mp);
  fputs(text, stdout);
  if (write_section(out, text) != 0) {
    fprintf(stderr, "bench: cannot write %s\n", out);
    return 2;
  }
  return 0;
}

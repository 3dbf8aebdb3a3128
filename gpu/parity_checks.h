/* Parity of the CUDA backends with the CPU backends of the same precision (header-only,
 * shared by tests/test_gpu.c, which asserts every figure, and gpu/parity.c, which prints
 * them on a GPU machine). Each check runs the same operation on the same data through the
 * reference (the CPU double or float backend and OpenBLAS tensor ops) and the backend under
 * test (cuda-double or cuda-float) and reports the normwise relative difference
 * |test - ref| / |ref| (|test - ref| when ref = 0) with its tolerance: 1e-12 for double,
 * 1e-5 for float, 0 where both must agree exactly (copies, rounding a scalar once, maxima,
 * finiteness flags, repeated reductions). The backend under test can also be MPFR at 53 or
 * 24 bits (gp_init_mpfr): an independent CPU implementation, which checks the harness and
 * its tolerances on a machine without a device. */
#ifndef ADEIS_GPU_PARITY_CHECKS_H
#define ADEIS_GPU_PARITY_CHECKS_H

#ifdef ADEIS_HAVE_CUDA
#include "cuda.h"
#endif
#include "../core/backend.h"
#include "../core/status.h"
#include "../nets/layers.h"
#include "../nets/net.h"
#include "../nets/tops.h"
#include "../core/vecfile.h"
#include "../runs/grad.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* what, the difference found, the tolerance it must not exceed */
typedef void gp_report_fn(void *ctx, const char *what, double err, double tol);

typedef struct gp_ctx {
  gp_report_fn *report;
  void *ctx;
  int dbl;          /* 1: double, 0: float */
  double tol;       /* 1e-12 or 1e-5 */
  uint64_t rng;
  int cuda;         /* 1: the backend under test is CUDA (else MPFR at 53 or 24 bits) */
  const char *ref_name, *test_name;   /* vector backends */
  long test_prec;
  const adeis_tops *ref_tops, *test_tops;
} gp_ctx;

static inline void gp_init_common(gp_ctx *g, int dbl, gp_report_fn *report, void *ctx)
{
  g->report = report;
  g->ctx = ctx;
  g->dbl = dbl;
  g->tol = dbl ? 1e-12 : 1e-5;
  g->rng = 0x9e3779b97f4a7c15ull;
  g->ref_name = dbl ? "double" : "float";
  g->ref_tops = dbl ? &adeis_tops_double : &adeis_tops_float;
}

#ifdef ADEIS_HAVE_CUDA
/* the CUDA backend of the precision against the CPU one */
static inline void gp_init(gp_ctx *g, int dbl, gp_report_fn *report, void *ctx)
{
  gp_init_common(g, dbl, report, ctx);
  g->cuda = 1;
  g->test_name = dbl ? "cuda-double" : "cuda-float";
  g->test_prec = 0;
  g->test_tops = dbl ? &adeis_tops_cuda_double : &adeis_tops_cuda_float;
}
#endif

/* MPFR at the same width against the CPU backend (no device needed) */
static inline void gp_init_mpfr(gp_ctx *g, int dbl, gp_report_fn *report, void *ctx)
{
  gp_init_common(g, dbl, report, ctx);
  g->cuda = 0;
  g->test_name = "mpfr";
  g->test_prec = dbl ? 53 : 24;
  g->test_tops = &adeis_tops_mpfr;
}

/* uniform in [lo, hi), splitmix64 */
static inline double gp_uniform(gp_ctx *g, double lo, double hi)
{
  uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return lo + (hi - lo) * (double)(z >> 11) * 0x1p-53;
}

static inline double *gp_random(gp_ctx *g, size_t n, double lo, double hi)
{
  double *a = malloc((n ? n : 1) * sizeof *a);
  for (size_t i = 0; a && i < n; i++)
    a[i] = gp_uniform(g, lo, hi);
  return a;
}

/* |a - b| / |b| (|a - b| when b = 0); NaN or Inf anywhere gives Inf unless both agree */
static inline double gp_rel(const double *a, const double *b, size_t n)
{
  long double d = 0, s = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(a[i]) || isnan(b[i]) || isinf(a[i]) || isinf(b[i])) {
      if (!(isnan(a[i]) && isnan(b[i])) && a[i] != b[i])
        return INFINITY;
      continue;
    }
    long double e = (long double)a[i] - (long double)b[i];
    d += e * e;
    s += (long double)b[i] * (long double)b[i];
  }
  return (double)(s > 0 ? sqrtl(d / s) : sqrtl(d));
}

static inline void gp_say(gp_ctx *g, double tol, double err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline void gp_say(gp_ctx *g, double tol, double err, const char *fmt, ...)
{
  char what[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  g->report(g->ctx, what, err, tol);
}

/* ======================= vector backends ======================= */

typedef struct gp_vpair {
  adeis_backend cpu, gpu;
} gp_vpair;

static inline int gp_vpair_init(gp_ctx *g, gp_vpair *p)
{
  return adeis_backend_init_named(&p->cpu, g->ref_name, 0) ||
         adeis_backend_init_named(&p->gpu, g->test_name, g->test_prec);
}

/* |gpu vector - cpu vector| / |cpu vector| */
static inline double gp_vdiff(const adeis_vec *gv, const adeis_vec *cv)
{
  size_t n = cv->n;
  double *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b);
  double r = INFINITY;
  if (a && b && gv->n == n) {
    adeis_vec_export_d(gv, 0, a, n);
    adeis_vec_export_d(cv, 0, b, n);
    r = gp_rel(a, b, n);
  }
  free(a);
  free(b);
  return r;
}

static inline double gp_sdiff(mpfr_srcptr a, mpfr_srcptr b)
{
  double x = mpfr_get_d(a, MPFR_RNDN), y = mpfr_get_d(b, MPFR_RNDN);
  return gp_rel(&x, &y, 1);
}

/* the same random data in a CPU vector and a device vector */
static inline int gp_vrandom(gp_ctx *g, gp_vpair *p, size_t n, adeis_vec **c, adeis_vec **d,
                             double lo, double hi)
{
  double *a = gp_random(g, n, lo, hi);
  *c = adeis_vec_alloc(&p->cpu, n);
  *d = adeis_vec_alloc(&p->gpu, n);
  if (!a || !*c || !*d) {
    free(a);
    return -1;
  }
  adeis_vec_import_d(*c, 0, a, n);
  adeis_vec_import_d(*d, 0, a, n);
  free(a);
  return 0;
}

#define GP_NV 8
#define GP_K 40

static inline void gp_vec_transfers(gp_ctx *g, gp_vpair *p, size_t n, adeis_vec *c, adeis_vec *d)
{
  /* export_d of what import_d stored (rounded once, both sides) */
  gp_say(g, 0, gp_vdiff(d, c), "vec n=%zu import_d/export_d", n);
  float *fa = malloc(n * sizeof *fa), *fb = malloc(n * sizeof *fb);
  if (fa && fb) {
    adeis_vec_export_f(d, 0, fa, n);
    adeis_vec_export_f(c, 0, fb, n);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
      bad += fa[i] != fb[i];
    gp_say(g, 0, (double)bad, "vec n=%zu export_f (elements differing)", n);
    adeis_vec_import_f(d, 0, fa, n);
    adeis_vec_import_f(c, 0, fb, n);
    gp_say(g, 0, gp_vdiff(d, c), "vec n=%zu import_f", n);
  }
  free(fa);
  free(fb);
  /* MPFR numbers both ways on a short stretch */
  size_t m = n < 5 ? n : 5, off = n - m;
  __mpfr_struct r[5], q[5];
  for (size_t i = 0; i < m; i++) {
    mpfr_init2(r + i, 200);
    mpfr_init2(q + i, 200);
    mpfr_set_ui(r + i, 1, MPFR_RNDN);
    mpfr_div_ui(r + i, r + i, (unsigned long)(3 + 4 * i), MPFR_RNDN);
  }
  adeis_vec_import_mpfr(d, off, r, m);
  adeis_vec_import_mpfr(c, off, r, m);
  gp_say(g, 0, gp_vdiff(d, c), "vec n=%zu import_mpfr (1/3, 1/7, ...)", n);
  adeis_vec_export_mpfr(d, off, r, m);
  adeis_vec_export_mpfr(c, off, q, m);
  size_t bad = 0;
  for (size_t i = 0; i < m; i++)
    bad += !mpfr_equal_p(r + i, q + i);
  gp_say(g, 0, (double)bad, "vec n=%zu export_mpfr (elements differing)", n);
  /* get and set of one element */
  mpfr_set_d(r, -2.5, MPFR_RNDN);
  adeis_vec_set(d, n / 2, r);
  adeis_vec_set(c, n / 2, r);
  adeis_vec_get(r, d, n / 2);
  adeis_vec_get(q, c, n / 2);
  gp_say(g, 0, gp_sdiff(r, q), "vec n=%zu set/get", n);
  for (size_t i = 0; i < m; i++) {
    mpfr_clear(r + i);
    mpfr_clear(q + i);
  }
  (void)p;
}

static inline void gp_vec_fill_view(gp_ctx *g, size_t n, adeis_vec *c, adeis_vec *d)
{
  mpfr_t third;
  mpfr_init2(third, 200);
  mpfr_set_ui(third, 1, MPFR_RNDN);
  mpfr_div_ui(third, third, 3, MPFR_RNDN);
  adeis_vec vc, vd;
  size_t off = n / 3, m = n - n / 3 - n / 4;
  adeis_vec_view_init(&vc, c, off, m);
  adeis_vec_view_init(&vd, d, off, m);
  adeis_vec_fill(&vd, third);
  adeis_vec_fill(&vc, third);
  gp_say(g, 0, gp_vdiff(d, c), "vec n=%zu fill(1/3) through a view", n);
  adeis_vec *d2 = adeis_vec_alloc(d->be, m);
  if (d2) {
    adeis_vec_copy(d2, &vd);
    gp_say(g, 0, gp_vdiff(d2, &vc), "vec n=%zu copy of a view", n);
    adeis_vec_free(d2);
  }
  mpfr_clear(third);
}

static inline void gp_vec_lincomb(gp_ctx *g, gp_vpair *p, size_t n, adeis_vec **xc, adeis_vec **xd)
{
  static const size_t ks[] = {1, 2, 3, 5, 16, 17, GP_K};
  __mpfr_struct cf[GP_K];
  mpfr_srcptr cp[GP_K];
  const adeis_vec *xcs[GP_K], *xds[GP_K];
  for (size_t j = 0; j < GP_K; j++) {
    mpfr_init2(cf + j, 200);
    mpfr_set_d(cf + j, gp_uniform(g, -2, 2), MPFR_RNDN);
    mpfr_div_ui(cf + j, cf + j, 3, MPFR_RNDN); /* not representable: rounded once per side */
    cp[j] = cf + j;
    xcs[j] = xc[j % GP_NV];
    xds[j] = xd[j % GP_NV];
  }
  adeis_vec *yc = adeis_vec_alloc(&p->cpu, n), *yd = adeis_vec_alloc(&p->gpu, n);
  for (size_t i = 0; yc && yd && i < sizeof ks / sizeof *ks; i++) {
    int fc = adeis_vec_lincomb(yc, ks[i], cp, xcs), fd = adeis_vec_lincomb(yd, ks[i], cp, xds);
    gp_say(g, g->tol, gp_vdiff(yd, yc), "vec n=%zu lincomb k=%zu", n, ks[i]);
    gp_say(g, 0, fc != fd, "vec n=%zu lincomb k=%zu finiteness flag", n, ks[i]);
  }
  /* y one of the x: x0 = c0 x0 + c1 x1 + c2 x2 in place */
  const adeis_vec *ac[3] = {xc[0], xc[1], xc[2]}, *ad[3] = {xd[0], xd[1], xd[2]};
  adeis_vec_lincomb(xc[0], 3, cp, ac);
  adeis_vec_lincomb(xd[0], 3, cp, ad);
  gp_say(g, g->tol, gp_vdiff(xd[0], xc[0]), "vec n=%zu lincomb in place (y = x0)", n);
  /* an overflow of the storage type: both flags must say not finite (MPFR's exponent range
   * does not overflow here) */
  mpfr_t big;
  mpfr_init2(big, 64);
  mpfr_set_d(big, g->dbl ? 1e300 : 1e38, MPFR_RNDN);
  mpfr_srcptr bc[2] = {big, big};
  int fc = 1, fd = 1;
  if (yc && yd) {
    adeis_vec_fill(yc, big);
    adeis_vec_fill(yd, big);
    const adeis_vec *oc[2] = {yc, yc}, *od[2] = {yd, yd};
    fc = adeis_vec_lincomb(yc, 2, bc, oc);
    fd = adeis_vec_lincomb(yd, 2, bc, od);
  }
  if (g->cuda)
    gp_say(g, 0, fc != 0 || fd != 0, "vec n=%zu lincomb overflow flagged (cpu %d, gpu %d)", n, fc, fd);
  mpfr_clear(big);
  adeis_vec_free(yc);
  adeis_vec_free(yd);
  for (size_t j = 0; j < GP_K; j++)
    mpfr_clear(cf + j);
}

static inline void gp_vec_elementwise(gp_ctx *g, gp_vpair *p, size_t n, adeis_vec **xc, adeis_vec **xd)
{
  mpfr_t a, b;
  mpfr_inits2(200, a, b, (mpfr_ptr)0);
  mpfr_set_d(a, -1.25, MPFR_RNDN);
  mpfr_div_ui(a, a, 7, MPFR_RNDN);
  mpfr_set_d(b, 0.5, MPFR_RNDN);
  mpfr_div_ui(b, b, 3, MPFR_RNDN);
  adeis_vec *yc = adeis_vec_alloc(&p->cpu, n), *yd = adeis_vec_alloc(&p->gpu, n);
  if (yc && yd) {
    adeis_vec_axpb(yc, a, xc[1], b);
    adeis_vec_axpb(yd, a, xd[1], b);
    gp_say(g, g->tol, gp_vdiff(yd, yc), "vec n=%zu axpb", n);
    adeis_vec_prod(yc, xc[1], xc[2]);
    adeis_vec_prod(yd, xd[1], xd[2]);
    gp_say(g, g->tol, gp_vdiff(yd, yc), "vec n=%zu prod", n);
    adeis_vec_div(yc, xc[1], xc[3]);
    adeis_vec_div(yd, xd[1], xd[3]);
    gp_say(g, g->tol, gp_vdiff(yd, yc), "vec n=%zu div", n);
    adeis_vec_prod(yc, xc[2], xc[2]);
    adeis_vec_prod(yd, xd[2], xd[2]);
    adeis_vec_sqrt(yc, yc);
    adeis_vec_sqrt(yd, yd);
    gp_say(g, g->tol, gp_vdiff(yd, yc), "vec n=%zu sqrt(x^2)", n);
  }
  adeis_vec_free(yc);
  adeis_vec_free(yd);
  mpfr_clears(a, b, (mpfr_ptr)0);
}

static inline void gp_vec_reductions(gp_ctx *g, size_t n, adeis_vec **xc, adeis_vec **xd)
{
  enum { K = 6 };
  __mpfr_struct rc[K], rd[K];
  for (size_t j = 0; j < K; j++) {
    mpfr_init2(rc + j, 128);
    mpfr_init2(rd + j, 128);
  }
  adeis_vec_dot(rc, xc[4], xc[5]);
  adeis_vec_dot(rd, xd[4], xd[5]);
  gp_say(g, g->tol, gp_sdiff(rd, rc), "vec n=%zu dot", n);
  /* the same reduction again: the same bits */
  adeis_vec_dot(rd + 1, xd[4], xd[5]);
  adeis_vec_dot(rd + 2, xd[4], xd[5]);
  gp_say(g, 0, !mpfr_equal_p(rd, rd + 1) || !mpfr_equal_p(rd, rd + 2),
         "vec n=%zu dot repeated (results differing)", n);
  adeis_vec_nrm2(rc, xc[4]);
  adeis_vec_nrm2(rd, xd[4]);
  gp_say(g, g->tol, gp_sdiff(rd, rc), "vec n=%zu nrm2", n);
  const adeis_vec *yc[K], *yd[K];
  for (size_t j = 0; j < K; j++) {
    yc[j] = xc[1 + j];
    yd[j] = xd[1 + j];
  }
  adeis_vec_mdot(rc, xc[7], K, yc);
  adeis_vec_mdot(rd, xd[7], K, yd);
  double worst = 0;
  for (size_t j = 0; j < K; j++) {
    double e = gp_sdiff(rd + j, rc + j);
    worst = e > worst || isnan(e) ? e : worst;
  }
  gp_say(g, g->tol, worst, "vec n=%zu mdot k=%d (worst)", n, K);
  adeis_vec_nrm_max(rc, xc[5]);
  adeis_vec_nrm_max(rd, xd[5]);
  gp_say(g, 0, gp_sdiff(rd, rc), "vec n=%zu nrm_max", n);
  gp_say(g, 0, adeis_vec_isfinite(xd[5]) != adeis_vec_isfinite(xc[5]), "vec n=%zu isfinite", n);
  /* a NaN in the last element: nrm_max NaN and isfinite 0 on both sides */
  adeis_vec_set_d(xc[5], n - 1, NAN);
  adeis_vec_set_d(xd[5], n - 1, NAN);
  adeis_vec_nrm_max(rc, xc[5]);
  adeis_vec_nrm_max(rd, xd[5]);
  gp_say(g, 0, !(mpfr_nan_p(rc) && mpfr_nan_p(rd)), "vec n=%zu nrm_max with a NaN is NaN", n);
  gp_say(g, 0, adeis_vec_isfinite(xd[5]) || adeis_vec_isfinite(xc[5]),
         "vec n=%zu isfinite with a NaN is 0", n);
  for (size_t j = 0; j < K; j++) {
    mpfr_clear(rc + j);
    mpfr_clear(rd + j);
  }
}

/* every vector op at length n */
static inline void gp_vector_ops(gp_ctx *g, size_t n)
{
  gp_vpair p;
  if (gp_vpair_init(g, &p)) {
    gp_say(g, 0, INFINITY, "vec backends: %s", adeis_errmsg());
    return;
  }
  adeis_vec *xc[GP_NV] = {0}, *xd[GP_NV] = {0};
  int ok = 1;
  for (size_t j = 0; j < GP_NV; j++)
    ok &= gp_vrandom(g, &p, n, xc + j, xd + j, j == 3 ? 0.5 : -1, j == 3 ? 2 : 1) == 0;
  if (!ok) {
    gp_say(g, 0, INFINITY, "vec n=%zu: out of memory", n);
  } else {
#ifdef ADEIS_HAVE_CUDA
    /* the device pointer behind a CUDA vector, none behind a CPU one; no host array */
    if (g->cuda)
      gp_say(g, 0, !adeis_cuda_vec_device_ptr(xd[0]) || adeis_cuda_vec_device_ptr(xc[0]) ||
                       adeis_vec_raw(xd[0]),
             "vec n=%zu device pointer accessor, raw() NULL", n);
#endif
    gp_vec_transfers(g, &p, n, xc[0], xd[0]);
    gp_vec_fill_view(g, n, xc[6], xd[6]);
    gp_vec_lincomb(g, &p, n, xc, xd);
    gp_vec_elementwise(g, &p, n, xc, xd);
    gp_vec_reductions(g, n, xc, xd);
    /* cuda vector into an MPFR vector (bulk export through the registry) */
    adeis_backend mp;
    adeis_backend_init_mpfr(&mp, 113);
    adeis_vec *mc = adeis_vec_alloc(&mp, n), *md = adeis_vec_alloc(&mp, n);
    if (mc && md) {
      adeis_vec_convert(mc, xc[1]);
      adeis_vec_convert(md, xd[1]);
      gp_say(g, 0, gp_vdiff(md, mc), "vec n=%zu convert to mpfr-113", n);
      adeis_vec_convert(xd[2], mc);
      adeis_vec_convert(xc[2], mc);
      gp_say(g, 0, gp_vdiff(xd[2], xc[2]), "vec n=%zu convert from mpfr-113", n);
    }
    adeis_vec_free(mc);
    adeis_vec_free(md);
  }
  for (size_t j = 0; j < GP_NV; j++) {
    adeis_vec_free(xc[j]);
    adeis_vec_free(xd[j]);
  }
}

/* ======================= tensor ops ======================= */

typedef struct gp_tpair {
  adeis_tbe cpu, gpu;
} gp_tpair;

static inline void gp_tpair_init(gp_ctx *g, gp_tpair *t)
{
  t->cpu.ops = g->ref_tops;
  t->gpu.ops = g->test_tops;
  t->cpu.prec = t->gpu.prec = g->dbl ? 53 : 24;
}

/* one array of n elements on each side holding the same numbers */
typedef struct gp_arr {
  void *c, *d;
  size_t n;
} gp_arr;

static inline gp_arr gp_tnew(gp_ctx *g, gp_tpair *t, size_t n, double lo, double hi)
{
  gp_arr a = {t->cpu.ops->alloc(&t->cpu, n), t->gpu.ops->alloc(&t->gpu, n), n};
  double *v = gp_random(g, n, lo, hi);
  if (a.c && a.d && v) {
    t->cpu.ops->from_double(&t->cpu, a.c, v, n);
    t->gpu.ops->from_double(&t->gpu, a.d, v, n);
  }
  free(v);
  return a;
}

static inline void gp_tfree(gp_tpair *t, gp_arr a)
{
  t->cpu.ops->free(&t->cpu, a.c, a.n);
  t->gpu.ops->free(&t->gpu, a.d, a.n);
}

static inline double gp_tdiff(gp_tpair *t, gp_arr a)
{
  double *x = malloc((a.n ? a.n : 1) * sizeof *x), *y = malloc((a.n ? a.n : 1) * sizeof *y);
  double r = INFINITY;
  if (x && y && a.c && a.d) {
    t->gpu.ops->to_double(&t->gpu, x, a.d, a.n);
    t->cpu.ops->to_double(&t->cpu, y, a.c, a.n);
    r = gp_rel(x, y, a.n);
  }
  free(x);
  free(y);
  return r;
}

static inline void gp_tops_gemm(gp_ctx *g, gp_tpair *t)
{
  enum { M = 17, N = 33, K = 29 };
  mpfr_t al, bt;
  mpfr_inits2(100, al, bt, (mpfr_ptr)0);
  mpfr_set_d(al, -1.25, MPFR_RNDN);
  mpfr_set_d(bt, 0.5, MPFR_RNDN);
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (int beta = 0; beta < 2; beta++) {
        size_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 1;
        gp_arr a = gp_tnew(g, t, (ta ? K : M) * lda, -1, 1), b = gp_tnew(g, t, (tb ? N : K) * ldb, -1, 1);
        gp_arr c = gp_tnew(g, t, M * ldc, -1, 1);
        t->cpu.ops->gemm(&t->cpu, ta, tb, M, N, K, beta ? al : NULL, a.c, lda, b.c, ldb,
                         beta ? bt : NULL, c.c, ldc);
        t->gpu.ops->gemm(&t->gpu, ta, tb, M, N, K, beta ? al : NULL, a.d, lda, b.d, ldb,
                         beta ? bt : NULL, c.d, ldc);
        gp_say(g, g->tol, gp_tdiff(t, c), "tops gemm %c%c %s", ta ? 'T' : 'N', tb ? 'T' : 'N',
               beta ? "alpha -1.25 beta 0.5" : "alpha 1 beta 0");
        gp_tfree(t, a);
        gp_tfree(t, b);
        gp_tfree(t, c);
      }
  gp_arr c = gp_tnew(g, t, M * N, -1, 1);
  t->cpu.ops->gemm(&t->cpu, 0, 0, M, N, 0, NULL, NULL, 1, NULL, 1, bt, c.c, N);
  t->gpu.ops->gemm(&t->gpu, 0, 0, M, N, 0, NULL, NULL, 1, NULL, 1, bt, c.d, N);
  gp_say(g, 0, gp_tdiff(t, c), "tops gemm k=0 (C = beta C)");
  gp_tfree(t, c);
  mpfr_clears(al, bt, (mpfr_ptr)0);
}

static inline void gp_tops_simple(gp_ctx *g, gp_tpair *t)
{
  enum { R = 3, C = 5, I = 37 };
  size_t n = R * C * I;
  mpfr_t s;
  mpfr_init2(s, 100);
  mpfr_set_d(s, 0.75, MPFR_RNDN);
  mpfr_div_ui(s, s, 7, MPFR_RNDN);
  gp_arr x = gp_tnew(g, t, n, -3, 3), y = gp_tnew(g, t, n, -1, 1), gy = gp_tnew(g, t, n, -1, 1);
  t->cpu.ops->axpy(&t->cpu, y.c, s, x.c, n);
  t->gpu.ops->axpy(&t->gpu, y.d, s, x.d, n);
  gp_say(g, g->tol, gp_tdiff(t, y), "tops axpy");
  t->cpu.ops->scale(&t->cpu, y.c, s, n);
  t->gpu.ops->scale(&t->gpu, y.d, s, n);
  gp_say(g, g->tol, gp_tdiff(t, y), "tops scale");
  for (size_t bs = 0; bs <= C; bs += C) {
    gp_arr b = gp_tnew(g, t, R * C, -1, 1), gb = gp_tnew(g, t, R * C, -1, 1);
    t->cpu.ops->bias_add(&t->cpu, y.c, b.c, bs, R, C, I);
    t->gpu.ops->bias_add(&t->gpu, y.d, b.d, bs, R, C, I);
    gp_say(g, g->tol, gp_tdiff(t, y), "tops bias_add bstride %zu", bs);
    t->cpu.ops->bias_grad(&t->cpu, gb.c, s, bs, gy.c, R, C, I);
    t->gpu.ops->bias_grad(&t->gpu, gb.d, s, bs, gy.d, R, C, I);
    gp_say(g, g->tol, gp_tdiff(t, gb), "tops bias_grad bstride %zu", bs);
    gp_tfree(t, b);
    gp_tfree(t, gb);
  }
  t->cpu.ops->silu(&t->cpu, y.c, x.c, n);
  t->gpu.ops->silu(&t->gpu, y.d, x.d, n);
  gp_say(g, g->tol, gp_tdiff(t, y), "tops silu");
  for (int acc = 0; acc < 2; acc++) {
    t->cpu.ops->silu_vjp(&t->cpu, y.c, x.c, gy.c, n, acc);
    t->gpu.ops->silu_vjp(&t->gpu, y.d, x.d, gy.d, n, acc);
    gp_say(g, g->tol, gp_tdiff(t, y), "tops silu_vjp acc %d", acc);
  }
  t->cpu.ops->copy(&t->cpu, y.c, x.c, n);
  t->gpu.ops->copy(&t->gpu, y.d, x.d, n);
  gp_say(g, 0, gp_tdiff(t, y), "tops copy");
  t->cpu.ops->zero(&t->cpu, y.c, n);
  t->gpu.ops->zero(&t->gpu, y.d, n);
  gp_say(g, 0, gp_tdiff(t, y), "tops zero");
  mpfr_t r, q;
  mpfr_inits2(100, r, q, (mpfr_ptr)0);
  t->cpu.ops->set_mpfr(&t->cpu, y.c, 4, s);
  t->gpu.ops->set_mpfr(&t->gpu, y.d, 4, s);
  t->cpu.ops->get_mpfr(&t->cpu, q, y.c, 4);
  t->gpu.ops->get_mpfr(&t->gpu, r, y.d, 4);
  gp_say(g, 0, gp_sdiff(r, q), "tops set_mpfr/get_mpfr");
  mpfr_clears(r, q, s, (mpfr_ptr)0);
  gp_tfree(t, x);
  gp_tfree(t, y);
  gp_tfree(t, gy);
}

static inline void gp_tops_gnorm(gp_ctx *g, gp_tpair *t)
{
  enum { B = 2, C = 6, I = 45, G = 3 };
  size_t n = B * C * I;
  mpfr_t eps, s;
  mpfr_inits2(100, eps, s, (mpfr_ptr)0);
  mpfr_set_d(eps, 1e-5, MPFR_RNDN);
  mpfr_set_d(s, 1.5, MPFR_RNDN);
  gp_arr x = gp_tnew(g, t, n, -2, 3), y = gp_tnew(g, t, n, 0, 0), gy = gp_tnew(g, t, n, -1, 1);
  gp_arr w = gp_tnew(g, t, C, 0.5, 1.5), b = gp_tnew(g, t, C, -1, 1);
  gp_arr mu = gp_tnew(g, t, B * G, 0, 0), rs = gp_tnew(g, t, B * G, 0, 0);
  gp_arr gx = gp_tnew(g, t, n, 0, 0), gw = gp_tnew(g, t, C, -1, 1), gb = gp_tnew(g, t, C, -1, 1);
  t->cpu.ops->gn_fwd(&t->cpu, y.c, mu.c, rs.c, x.c, w.c, b.c, B, C, I, G, eps);
  t->gpu.ops->gn_fwd(&t->gpu, y.d, mu.d, rs.d, x.d, w.d, b.d, B, C, I, G, eps);
  gp_say(g, g->tol, gp_tdiff(t, y), "tops gn_fwd y");
  gp_say(g, g->tol, gp_tdiff(t, mu), "tops gn_fwd mean");
  gp_say(g, g->tol, gp_tdiff(t, rs), "tops gn_fwd rstd");
  t->cpu.ops->gn_vjp(&t->cpu, gx.c, gw.c, gb.c, s, gy.c, x.c, mu.c, rs.c, w.c, B, C, I, G);
  t->gpu.ops->gn_vjp(&t->gpu, gx.d, gw.d, gb.d, s, gy.d, x.d, mu.d, rs.d, w.d, B, C, I, G);
  gp_say(g, g->tol, gp_tdiff(t, gx), "tops gn_vjp gx");
  gp_say(g, g->tol, gp_tdiff(t, gw), "tops gn_vjp gw");
  gp_say(g, g->tol, gp_tdiff(t, gb), "tops gn_vjp gb");
  gp_arr all[] = {x, y, gy, w, b, mu, rs, gx, gw, gb};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    gp_tfree(t, all[i]);
  mpfr_clears(eps, s, (mpfr_ptr)0);
}

static inline void gp_tops_spatial(gp_ctx *g, gp_tpair *t)
{
  enum { C = 3, H = 7, W = 10 };
  for (int st = 1; st <= 2; st++) {
    size_t ho = (H - 1) / st + 1, wo = (W - 1) / st + 1, nc = C * 9 * ho * wo;
    gp_arr x = gp_tnew(g, t, C * H * W, -1, 1), col = gp_tnew(g, t, nc, -1, 1);
    t->cpu.ops->col2im(&t->cpu, x.c, col.c, C, H, W, st);
    t->gpu.ops->col2im(&t->gpu, x.d, col.d, C, H, W, st);
    gp_say(g, g->tol, gp_tdiff(t, x), "tops col2im stride %d", st);
    t->cpu.ops->im2col(&t->cpu, col.c, x.c, C, H, W, st);
    t->gpu.ops->im2col(&t->gpu, col.d, x.d, C, H, W, st);
    gp_say(g, 0, gp_tdiff(t, col), "tops im2col stride %d", st);
    gp_tfree(t, x);
    gp_tfree(t, col);
  }
  gp_arr x = gp_tnew(g, t, C * H * W, -1, 1), y = gp_tnew(g, t, C * 4 * H * W, -1, 1);
  t->cpu.ops->up2(&t->cpu, y.c, x.c, C, H, W);
  t->gpu.ops->up2(&t->gpu, y.d, x.d, C, H, W);
  gp_say(g, 0, gp_tdiff(t, y), "tops up2");
  gp_tfree(t, y);
  y = gp_tnew(g, t, C * 4 * H * W, -1, 1);
  for (int acc = 0; acc < 2; acc++) {
    t->cpu.ops->up2_vjp(&t->cpu, x.c, y.c, C, H, W, acc);
    t->gpu.ops->up2_vjp(&t->gpu, x.d, y.d, C, H, W, acc);
    gp_say(g, g->tol, gp_tdiff(t, x), "tops up2_vjp acc %d", acc);
  }
  /* concat and split (its VJP), through the layer functions that call them */
  gp_arr a = gp_tnew(g, t, 2 * 2 * H * W, -1, 1), b = gp_tnew(g, t, 2 * 3 * H * W, -1, 1);
  gp_arr cat = gp_tnew(g, t, 2 * 5 * H * W, 0, 0);
  adeis_concat_fwd(&t->cpu, cat.c, a.c, 2, b.c, 3, 2, H * W);
  adeis_concat_fwd(&t->gpu, cat.d, a.d, 2, b.d, 3, 2, H * W);
  gp_say(g, 0, gp_tdiff(t, cat), "tops concat");
  adeis_concat_vjp(&t->cpu, a.c, 1, b.c, 0, cat.c, 2, 3, 2, H * W);
  adeis_concat_vjp(&t->gpu, a.d, 1, b.d, 0, cat.d, 2, 3, 2, H * W);
  gp_say(g, g->tol, gp_tdiff(t, a), "tops split (accumulated part)");
  gp_say(g, 0, gp_tdiff(t, b), "tops split (copied part)");
  /* the time embedding (the CUDA table's own kernel against the host's double arithmetic) */
  gp_arr e = gp_tnew(g, t, 64, 0, 0);
  mpfr_t tt;
  mpfr_init2(tt, 64);
  mpfr_set_d(tt, 0.4375, MPFR_RNDN);
  adeis_time_embed(&t->cpu, e.c, tt, 64);
  adeis_time_embed(&t->gpu, e.d, tt, 64);
  gp_say(g, g->tol, gp_tdiff(t, e), "layers time embedding (t = 0.4375, size 64)");
  mpfr_clear(tt);
  gp_arr all[] = {x, y, a, b, cat, e};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    gp_tfree(t, all[i]);
}

static inline void gp_tensor_ops(gp_ctx *g)
{
  gp_tpair t;
  gp_tpair_init(g, &t);
  gp_tops_gemm(g, &t);
  gp_tops_simple(g, &t);
  gp_tops_gnorm(g, &t);
  gp_tops_spatial(g, &t);
}

/* ======================= networks ======================= */

/* eps and every VJP of one network (weights adeis_net_init_uniform(seed 5), the same numbers
 * on both sides) at the same x, z, v, t: B samples, sz = 0.75, stheta = 1.5 accumulated into
 * random jz and jtheta */
static inline void gp_network(gp_ctx *g, const adeis_net_hyper *hp, const char *label, size_t B)
{
  gp_tpair t;
  gp_tpair_init(g, &t);
  adeis_net *nc = NULL, *nd = NULL;
  if (adeis_net_create(&nc, hp, &t.cpu) || adeis_net_create(&nd, hp, &t.gpu)) {
    gp_say(g, 0, INFINITY, "%s: %s", label, adeis_errmsg());
    adeis_net_free(nc);
    return;
  }
  adeis_net_init_uniform(nc, 5);
  adeis_net_init_uniform(nd, 5);
  adeis_net_ws *wc = adeis_net_ws_alloc(nc, B), *wd = adeis_net_ws_alloc(nd, B);
  size_t nx = B * nc->dim, nz = B * nc->cond_dim, nt = nc->ntheta;
  gp_arr x = gp_tnew(g, &t, nx, -1.5, 1.5), z = gp_tnew(g, &t, nz ? nz : 1, 0, 1);
  gp_arr v = gp_tnew(g, &t, nx, -1, 1), eps = gp_tnew(g, &t, nx, 0, 0), jx = gp_tnew(g, &t, nx, 0, 0);
  gp_arr jz = gp_tnew(g, &t, nz ? nz : 1, -1, 1), jt = gp_tnew(g, &t, nt, -1, 1);
  mpfr_t tt, sz, st;
  mpfr_inits2(64, tt, sz, st, (mpfr_ptr)0);
  mpfr_set_d(tt, 0.4375, MPFR_RNDN);
  mpfr_set_d(sz, 0.75, MPFR_RNDN);
  mpfr_set_d(st, 1.5, MPFR_RNDN);
  int rc = wc && wd ? adeis_net_eval(nc, wc, x.c, tt, nz ? z.c : NULL, 15u, eps.c, v.c, jx.c, jz.c, sz, jt.c, st)
                    : -1;
  int rd = wc && wd ? adeis_net_eval(nd, wd, x.d, tt, nz ? z.d : NULL, 15u, eps.d, v.d, jx.d, jz.d, sz, jt.d, st)
                    : -1;
  if (rc || rd) {
    gp_say(g, 0, INFINITY, "%s eval: %s", label, adeis_errmsg());
  } else {
    gp_say(g, g->tol, gp_tdiff(&t, eps), "%s B=%zu eps", label, B);
    gp_say(g, g->tol, gp_tdiff(&t, jx), "%s B=%zu vjp x", label, B);
    if (nz)
      gp_say(g, g->tol, gp_tdiff(&t, jz), "%s B=%zu vjp z (accumulated, scale 0.75)", label, B);
    gp_say(g, g->tol, gp_tdiff(&t, jt), "%s B=%zu vjp theta (accumulated, scale 1.5)", label, B);
  }
  gp_arr all[] = {x, z, v, eps, jx, jz, jt};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    gp_tfree(&t, all[i]);
  mpfr_clears(tt, sz, st, (mpfr_ptr)0);
  adeis_net_ws_free(wc);
  adeis_net_ws_free(wd);
  adeis_net_free(nc);
  adeis_net_free(nd);
}

static inline adeis_net_hyper gp_small_mlp(void)
{
  adeis_net_hyper h;
  memset(&h, 0, sizeof h);
  h.arch = ADEIS_NET_MLP;
  h.dim = 3;
  h.width = 16;
  h.depth = 2;
  h.emb_dim = 8;
  h.hidden = 12;
  h.cond_dim = 2;
  return h;
}

static inline adeis_net_hyper gp_small_unet(void)
{
  adeis_net_hyper h;
  memset(&h, 0, sizeof h);
  h.arch = ADEIS_NET_UNET;
  h.channels = 2;
  h.size = 8;
  h.base = 8;
  h.groups = 4;
  h.emb_dim = 8;
  h.hidden = 12;
  h.cond_dim = 3;
  return h;
}

/* ======================= a gradient through a sampler ======================= */

#define GP_GRAD_METHOD "adjdeis-2m"
#define GP_GRAD_STEPS 32

/* The gradient of the problem of sp with adjdeis-2m, N = GP_GRAD_STEPS, backsolve, no reference
 * solve, on backend `name` at storage precision prec (0: its default). Returns 0 with pb and res
 * to clear, or an error status with nothing to clear. */
static inline int gp_grad_run(const adeis_problem_spec *sp, const char *name, long prec,
                              adeis_problem *pb, adeis_grad_result *res)
{
  memset(res, 0, sizeof *res);
  int rc = adeis_problem_build_on(sp, name, prec, pb);
  if (rc)
    return rc;
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = GP_GRAD_METHOD;
  rq.steps = GP_GRAD_STEPS;
  rq.state = ADEIS_STATE_BACKSOLVE;
  rq.backend = name;
  rq.precision = pb->be.prec;
  rq.want_reference = -1;   /* and rq.spec NULL: nothing but the solve itself */
  rc = adeis_grad_compute(pb, &rq, res);
  if (rc) {
    adeis_grad_result_clear(res);
    adeis_problem_clear(pb);
  }
  return rc;
}

/* The whole gradient (dL/dx_T, dL/dz, dL/dtheta, and the sample x_0 the loss is taken at) of
 * problem file `path`, adjdeis-2m with N = 32 steps and the backsolve state mode: the model's
 * eps and VJPs, the solver's vector ops and the loss, all on the backend under test, against
 * the same run on the CPU backend of the same precision. */
static inline void gp_full_gradient(gp_ctx *g, const char *path, const char *label)
{
  adeis_problem_spec sp;
  if (adeis_problem_load(path, &sp)) {
    gp_say(g, 0, INFINITY, "%s: %s", label, adeis_errmsg());
    return;
  }
  adeis_problem pc, pd;
  adeis_grad_result rc, rd;
  if (gp_grad_run(&sp, g->ref_name, 0, &pc, &rc)) {
    gp_say(g, 0, INFINITY, "%s %s: %s", label, g->ref_name, adeis_errmsg());
  } else {
    if (gp_grad_run(&sp, g->test_name, g->test_prec, &pd, &rd)) {
      gp_say(g, 0, INFINITY, "%s %s: %s", label, g->test_name, adeis_errmsg());
    } else {
      gp_say(g, g->tol, gp_vdiff(rd.x0, rc.x0),
             "%s " GP_GRAD_METHOD " N=%d backsolve: x_0 (%.2f s; %s %.2f s)", label,
             GP_GRAD_STEPS, rd.seconds, g->ref_name, rc.seconds);
      for (int q = 0; q < ADEIS_Q_COUNT; q++)
        if (rc.grad[q] && rc.grad[q]->n)
          gp_say(g, g->tol, rd.grad[q] ? gp_vdiff(rd.grad[q], rc.grad[q]) : INFINITY,
                 "%s " GP_GRAD_METHOD " N=%d backsolve: dL/d%s (%zu numbers)", label,
                 GP_GRAD_STEPS, adeis_quantity_names[q], rc.grad[q]->n);
      adeis_grad_result_clear(&rd);
      adeis_problem_clear(&pd);
    }
    adeis_grad_result_clear(&rc);
    adeis_problem_clear(&pc);
  }
  adeis_problem_spec_clear(&sp);
}

/* ======================= against PyTorch's autograd ======================= */

#define GP_TORCH_TOL_DOUBLE 1e-11
#define GP_TORCH_TOL_FLOAT 1e-5

/* The discrete adjoint of DPM-Solver-2M (dto-dpm-2m, store all, N = steps) of dir/problem.ini
 * on the CPU backend `backend` (double or float) against dir/torch-grad.f64, the gradient that
 * PyTorch's autograd took through its own DPM-Solver-2M on the same problem
 * (bench/torch_unet.py grad: dL/dx_T, dL/dz, dL/dtheta concatenated): one figure per quantity,
 * "check | quantity" in `what`, tolerance GP_TORCH_TOL_DOUBLE (torch in float64) or
 * GP_TORCH_TOL_FLOAT (torch in float32). Returns 0, or -1 when the files are missing or
 * malformed (the reason on stderr). */
static inline int gp_torch_grad(const char *dir, size_t steps, const char *backend,
                                gp_report_fn *report, void *ctx)
{
  char path[4096], what[256];
  snprintf(path, sizeof path, "%s/problem.ini", dir);
  adeis_problem_spec sp;
  if (adeis_problem_load(path, &sp)) {
    fprintf(stderr, "%s\n", adeis_errmsg());
    return -1;
  }
  snprintf(path, sizeof path, "%s/torch-grad.f64", dir);
  double *ref = NULL;
  size_t nref = 0;
  if (adeis_vecfile_read(path, &ref, &nref, what, sizeof what)) {
    fprintf(stderr, "%s: %s\n", path, what);
    adeis_problem_spec_clear(&sp);
    return -1;
  }
  adeis_problem pb;
  adeis_grad_result res;
  memset(&res, 0, sizeof res);
  int rc = adeis_problem_build_on(&sp, backend, 0, &pb);
  if (!rc) {
    adeis_grad_request rq;
    adeis_grad_request_init(&rq);
    rq.method = "dto-dpm-2m";
    rq.state = ADEIS_STATE_CACHED;
    rq.steps = steps;
    rq.backend = backend;
    rq.precision = pb.be.prec;
    rq.want_reference = -1;
    rc = adeis_grad_compute(&pb, &rq, &res);
    if (rc) {
      adeis_grad_result_clear(&res);
      adeis_problem_clear(&pb);
    }
  }
  size_t total = 0;
  for (int q = 0; !rc && q < ADEIS_Q_COUNT; q++)
    total += res.grad[q] ? res.grad[q]->n : 0;
  int status = -1;
  if (rc) {
    fprintf(stderr, "%s\n", adeis_errmsg());
  } else if (total != nref) {
    fprintf(stderr, "%s: %zu numbers, expected %zu (x_T, z, theta)\n", path, nref, total);
  } else {
    double tol = strcmp(backend, "double") == 0 ? GP_TORCH_TOL_DOUBLE : GP_TORCH_TOL_FLOAT;
    status = 0;
    size_t off = 0;
    for (int q = 0; q < ADEIS_Q_COUNT; q++) {
      size_t n = res.grad[q] ? res.grad[q]->n : 0;
      if (!n)
        continue;
      double *a = malloc(n * sizeof *a), d = INFINITY;
      if (a) {
        adeis_vec_export_d(res.grad[q], 0, a, n);
        d = gp_rel(a, ref + off, n);
      }
      free(a);
      snprintf(what, sizeof what, "dto-dpm-2m N=%zu (%s) against PyTorch autograd | dL/d%s "
               "(%zu numbers)", steps, backend, adeis_quantity_names[q], n);
      report(ctx, what, d, tol);
      off += n;
    }
  }
  if (!rc) {
    adeis_grad_result_clear(&res);
    adeis_problem_clear(&pb);
  }
  free(ref);
  adeis_problem_spec_clear(&sp);
  return status;
}

/* everything, for one precision */
static inline void gp_all(gp_ctx *g)
{
  gp_vector_ops(g, 5);
  gp_vector_ops(g, 100003);
  gp_tensor_ops(g);
  adeis_net_hyper m = gp_small_mlp(), u = gp_small_unet();
  gp_network(g, &m, "mlp", 4);
  gp_network(g, &u, "unet", 3);
}

#endif

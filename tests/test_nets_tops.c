/* Conformance of each tensor-ops table (float, double, MPFR at 53 bits) with MPFR at 256 bits,
 * op by op, on the same float-representable data, including the flags the layers rarely
 * exercise: leading dimensions, transposes, alpha and beta (beta NULL must not read C),
 * accumulation, per-row biases, skipped outputs. A new table (CUDA) is added to `tables`.
 * Tolerance: 4 k eps max|reference| for sums of k terms. */
#include <criterion/criterion.h>

#include "nets_check.h"

#define NA 5

typedef struct op_case {
  const char *name;
  size_t n[NA];    /* array sizes; the arrays are filled with uniform(-1, 1) */
  int out;         /* index of the array compared */
  size_t ksum;
  void (*run)(adeis_tbe_p be, void *a[NA], mpfr_srcptr s1, mpfr_srcptr s2);
} op_case;

/* C[5x7] (ldc 9) = alpha op(A) op(B) + beta C, k = 6, lda/ldb padded */
static void gemm_tt(adeis_tbe_p be, void *a[NA], mpfr_srcptr al, mpfr_srcptr bt, int ta, int tb)
{
  size_t lda = ta ? 8 : 7, ldb = tb ? 8 : 10;
  be->ops->gemm(be, ta, tb, 5, 7, 6, al, a[0], lda, a[1], ldb, bt, a[2], 9);
}
static void g_nn(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y) { gemm_tt(be, a, x, y, 0, 0); }
static void g_tn(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y) { gemm_tt(be, a, x, y, 1, 0); }
static void g_nt(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y) { gemm_tt(be, a, x, y, 0, 1); }
static void g_tt(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y) { gemm_tt(be, a, x, y, 1, 1); }
static void g_beta0(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y)
{
  (void)y;
  double nan = NAN;
  for (size_t i = 0; i < 45; i++)
    be->ops->from_double(be, adeis_tat(be, a[2], i), &nan, 1);
  gemm_tt(be, a, x, NULL, 0, 0);
}

static void axpy_scale(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y)
{
  be->ops->axpy(be, a[0], x, a[1], 11);
  be->ops->scale(be, a[0], y, 11);
  be->ops->axpy(be, a[0], NULL, a[1], 11);
}

static void bias_rows(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y)
{
  (void)x;
  (void)y;
  be->ops->bias_add(be, a[0], a[1], 3, 2, 3, 4);   /* a bias per row */
  be->ops->bias_add(be, a[0], a[2], 0, 2, 3, 4);   /* shared */
}

static void bgrad_rows(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y)
{
  be->ops->bias_grad(be, a[1], x, 3, a[0], 2, 3, 4);
  be->ops->bias_grad(be, a[2], y, 0, a[0], 2, 3, 4);
  be->ops->bias_grad(be, a[1], NULL, 3, a[0], 2, 3, 4);
}

static void silu_acc(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y)
{
  (void)x;
  (void)y;
  be->ops->silu_vjp(be, a[2], a[0], a[1], 13, 1);
  be->ops->silu(be, a[1], a[0], 13);
  be->ops->axpy(be, a[2], NULL, a[1], 13);
}

static void up_acc(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y)
{
  (void)x;
  (void)y;
  be->ops->up2_vjp(be, a[1], a[0], 2, 3, 2, 1); /* gy 2 x 6 x 4, gx 2 x 3 x 2 added */
  be->ops->up2(be, a[2], a[1], 2, 3, 2);
}

static void split_acc(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y)
{
  (void)x;
  (void)y;
  be->ops->split(be, a[1], 1, a[2], 0, a[0], 2, 1, 3, 4); /* gy 3 x (2 + 1) x 4 */
  be->ops->split(be, NULL, 0, a[2], 1, a[0], 2, 1, 3, 4);
  be->ops->concat(be, a[0], a[1], 2, a[2], 1, 3, 4);
}

/* x 2 x 6 channels x 3 pixels, 3 groups; param grads only, then input grad only */
static void gn_parts(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y)
{
  (void)y;
  void *mean = be->ops->alloc(be, 6), *rstd = be->ops->alloc(be, 6), *yy = be->ops->alloc(be, 36);
  mpfr_t eps;
  mpfr_init2(eps, 64);
  mpfr_set_d(eps, 0.01, MPFR_RNDN);
  be->ops->gn_fwd(be, yy, mean, rstd, a[0], a[3], a[4], 2, 6, 3, 3, eps);
  be->ops->gn_vjp(be, NULL, a[3], a[4], x, a[1], a[0], mean, rstd, a[3], 2, 6, 3, 3);
  be->ops->gn_vjp(be, a[2], NULL, NULL, x, a[1], a[0], mean, rstd, a[3], 2, 6, 3, 3);
  be->ops->axpy(be, a[2], NULL, yy, 36);
  /* a[2] = gx + y; a[3], a[4] accumulated: compare a[2] here, the weights in gn_weights */
  be->ops->axpy(be, a[2], NULL, a[3], 6);
  be->ops->axpy(be, adeis_tat(be, a[2], 6), NULL, a[4], 6);
  mpfr_clear(eps);
  be->ops->free(be, mean, 6);
  be->ops->free(be, rstd, 6);
  be->ops->free(be, yy, 36);
}

/* col of x 2 x 5 x 4 at stride 2 (3 x 2 outputs), added back into a prefilled x */
static void cols(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y)
{
  (void)x;
  (void)y;
  be->ops->im2col(be, a[1], a[0], 2, 5, 4, 2);
  be->ops->col2im(be, a[2], a[1], 2, 5, 4, 2);
  be->ops->im2col(be, a[3], a[2], 2, 5, 4, 1);
}

/* images narrower than the 3x3 window: x 2 x 3 x 1 at stride 1 (3 x 1 outputs), added back,
 * at stride 2 (2 x 1 outputs); then 1 x 2 x 2 at stride 2 (1 x 1) and stride 1 */
static void cols_narrow(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y)
{
  (void)x;
  (void)y;
  be->ops->im2col(be, a[1], a[0], 2, 3, 1, 1);
  be->ops->col2im(be, a[2], a[1], 2, 3, 1, 1);
  be->ops->im2col(be, a[3], a[2], 2, 3, 1, 2);
  be->ops->im2col(be, a[1], a[3], 1, 2, 2, 2);
  be->ops->col2im(be, a[4], a[1], 1, 2, 2, 2);
  be->ops->im2col(be, adeis_tat(be, a[3], 36), a[4], 1, 2, 2, 1);
}

static void host(adeis_tbe_p be, void *a[NA], mpfr_srcptr x, mpfr_srcptr y)
{
  (void)x;
  (void)y;
  float f[7];
  double d[7];
  be->ops->to_double(be, d, a[0], 7);
  for (int i = 0; i < 7; i++)
    f[i] = (float)(d[i] * 0.5);
  be->ops->from_float(be, a[1], f, 7);
  be->ops->copy(be, a[2], a[1], 7);
  be->ops->zero(be, a[1], 3);
  be->ops->axpy(be, a[2], NULL, a[1], 7);
}

static const op_case cases[] = {
    {"gemm NN", {5 * 7, 6 * 10, 45}, 2, 8, g_nn},
    {"gemm TN", {6 * 8, 6 * 10, 45}, 2, 8, g_tn},
    {"gemm NT", {5 * 7, 7 * 8, 45}, 2, 8, g_nt},
    {"gemm TT", {6 * 8, 7 * 8, 45}, 2, 8, g_tt},
    {"gemm beta NULL", {5 * 7, 6 * 10, 45}, 2, 8, g_beta0},
    {"axpy scale", {11, 11}, 0, 3, axpy_scale},
    {"bias_add rows", {24, 6, 3}, 0, 2, bias_rows},
    {"bias_grad rows", {24, 6, 3}, 1, 8, bgrad_rows},
    {"bias_grad shared", {24, 6, 3}, 2, 8, bgrad_rows},
    {"silu_vjp acc", {13, 13, 13}, 2, 4, silu_acc},
    {"up2 acc", {48, 12, 48}, 2, 4, up_acc},
    {"split acc", {36, 24, 12}, 0, 2, split_acc},
    {"gn input", {36, 36, 36, 6, 6}, 2, 48, gn_parts},
    {"gn weight", {36, 36, 36, 6, 6}, 3, 12, gn_parts},
    {"gn bias", {36, 36, 36, 6, 6}, 4, 12, gn_parts},
    {"im2col col2im", {40, 18 * 6, 40, 18 * 20}, 3, 4, cols},
    {"im2col col2im narrow", {6, 18 * 3, 6, 36 + 9 * 4, 4}, 3, 4, cols_narrow},
    {"host import", {7, 7, 7}, 2, 2, host},
};
#define NCASES (sizeof cases / sizeof *cases)

static void *run_case(adeis_tbe_p be, const op_case *c, void *a[NA])
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 77);
  for (int i = 0; i < NA; i++) {
    a[i] = c->n[i] ? be->ops->alloc(be, c->n[i]) : NULL;
    if (a[i])
      nc_fill(be, a[i], c->n[i], r, -1, 1);
  }
  mpfr_t s1, s2;
  mpfr_inits2(64, s1, s2, (mpfr_ptr)0);
  mpfr_set_d(s1, 0.75, MPFR_RNDN);
  mpfr_set_d(s2, -1.25, MPFR_RNDN);
  c->run(be, a, s1, s2);
  mpfr_clears(s1, s2, (mpfr_ptr)0);
  gsl_rng_free(r);
  return a[c->out];
}

static void free_case(adeis_tbe_p be, const op_case *c, void *a[NA])
{
  for (int i = 0; i < NA; i++)
    be->ops->free(be, a[i], c->n[i]);
}

Test(nets_tops, every_op_matches_mpfr_256)
{
  adeis_tbe ref, tables[3];
  adeis_tbe_init(&ref, "mpfr", NC_PREC);
  adeis_tbe_init(&tables[0], "float", 0);
  adeis_tbe_init(&tables[1], "double", 0);
  adeis_tbe_init(&tables[2], "mpfr", 53);
  for (size_t k = 0; k < NCASES; k++) {
    const op_case *c = &cases[k];
    void *ar[NA], *aq[NA];
    void *yr = run_case(&ref, c, ar);
    for (int q = 0; q < 3; q++) {
      adeis_tbe_p be = &tables[q];
      void *y = run_case(be, c, aq);
      double d, s, eps = ldexp(1.0, -(int)be->prec);
      nc_maxdiff(be, y, &ref, yr, c->n[c->out], &d, &s);
      nc_note("%-16s %-6s %2ld: %.2f eps max|ref|\n", c->name, be->ops->name, (long)be->prec,
              d / (eps * s));
      cr_expect(s > 0 && d <= 4.0 * (double)c->ksum * eps * s, "%s in %s: %g eps (scale %g)",
                c->name, be->ops->name, d / (eps * s), s);
      free_case(be, c, aq);
    }
    free_case(&ref, c, ar);
  }
}

/* Network layers (nets/layers.h) on every tensor-ops table:
 * - each VJP (inputs overwritten, parameters accumulated with a scale) against 5-point
 *   central finite differences of <v, f> in MPFR at 256 bits: >= 30 digits required;
 * - the float, double and MPFR forward maps against MPFR at 256 bits, within
 *   K eps max|y| (K the summation length times 4: a dot product of k terms has a rounding
 *   error below k eps sum |a b|, and the random data keep sum |a b| below 4 max |y|). */
#include <criterion/criterion.h>

#include "../nets/layers.h"

#include <string.h>
#include "nets_check.h"

#define MAXARG 3
#define SCRATCH 4096

typedef struct layer_case {
  const char *name;
  int nargs, ninputs;         /* args [0, ninputs) are inputs, the rest parameters */
  size_t size[MAXARG], out;
  size_t ksum;                /* longest sum in one output (the condition factor) */
  void (*fwd)(adeis_tbe_p be, void *y, void *const a[], void *ws);
  void (*vjp)(adeis_tbe_p be, void *const g[], mpfr_srcptr s, const void *gy, void *const a[],
              void *ws);
} layer_case;

/* linear 4 -> 5, batch 3 */
static void lin_f(adeis_tbe_p be, void *y, void *const a[], void *ws)
{
  (void)ws;
  adeis_linear_fwd(be, y, a[0], a[1], a[2], 3, 4, 5);
}
static void lin_v(adeis_tbe_p be, void *const g[], mpfr_srcptr s, const void *gy, void *const a[],
                  void *ws)
{
  (void)ws;
  adeis_linear_vjp(be, g[0], NULL, 0, g[1], g[2], s, gy, a[0], a[1], 3, 4, 5);
}

/* conv3 stride 1: batch 2, 3 -> 4 channels, 5 x 4 */
static void c31_f(adeis_tbe_p be, void *y, void *const a[], void *ws)
{
  adeis_conv3_fwd(be, y, a[0], a[1], a[2], ws, 2, 3, 4, 5, 4, 1);
}
static void c31_v(adeis_tbe_p be, void *const g[], mpfr_srcptr s, const void *gy, void *const a[],
                  void *ws)
{
  adeis_conv3_vjp(be, g[0], 0, g[1], g[2], s, gy, a[0], a[1], ws, 2, 3, 4, 5, 4, 1);
}

/* conv3 stride 2: batch 2, 2 -> 3 channels, 6 x 5 -> 3 x 3 */
static void c32_f(adeis_tbe_p be, void *y, void *const a[], void *ws)
{
  adeis_conv3_fwd(be, y, a[0], a[1], a[2], ws, 2, 2, 3, 6, 5, 2);
}
static void c32_v(adeis_tbe_p be, void *const g[], mpfr_srcptr s, const void *gy, void *const a[],
                  void *ws)
{
  adeis_conv3_vjp(be, g[0], 0, g[1], g[2], s, gy, a[0], a[1], ws, 2, 2, 3, 6, 5, 2);
}

/* conv1: batch 2, 3 -> 2 channels, 7 pixels */
static void c1_f(adeis_tbe_p be, void *y, void *const a[], void *ws)
{
  (void)ws;
  adeis_conv1_fwd(be, y, a[0], a[1], a[2], 2, 3, 2, 7);
}
static void c1_v(adeis_tbe_p be, void *const g[], mpfr_srcptr s, const void *gy, void *const a[],
                 void *ws)
{
  (void)ws;
  adeis_conv1_vjp(be, g[0], 0, g[1], g[2], s, gy, a[0], a[1], 2, 3, 2, 7);
}

/* group norm: batch 2, 6 channels in 3 groups, 5 pixels (mean, rstd in the scratch) */
static void gn_f(adeis_tbe_p be, void *y, void *const a[], void *ws)
{
  adeis_gnorm_fwd(be, y, ws, adeis_tat(be, ws, 6), a[0], a[1], a[2], 2, 6, 5, 3);
}
static void gn_v(adeis_tbe_p be, void *const g[], mpfr_srcptr s, const void *gy, void *const a[],
                 void *ws)
{
  gn_f(be, adeis_tat(be, ws, 12), a, ws);
  adeis_gnorm_vjp(be, g[0], g[1], g[2], s, gy, a[0], ws, adeis_tat(be, ws, 6), a[1], 2, 6, 5, 3);
}

/* silu(group norm): batch 2, 6 channels in 3 groups, 5 pixels (scratch: mean, rstd, save, y,
 * a copy of gy, which the VJP may overwrite) */
static void gns_f(adeis_tbe_p be, void *y, void *const a[], void *ws)
{
  adeis_gnorm_silu_fwd(be, y, adeis_tat(be, ws, 12), ws, adeis_tat(be, ws, 6), a[0], a[1], a[2], 2,
                       6, 5, 3);
}
static void gns_v(adeis_tbe_p be, void *const g[], mpfr_srcptr s, const void *gy, void *const a[],
                  void *ws)
{
  void *gyc = adeis_tat(be, ws, 132);
  gns_f(be, adeis_tat(be, ws, 72), a, ws);
  be->ops->copy(be, gyc, gy, 60);
  adeis_gnorm_silu_vjp(be, g[0], g[1], g[2], s, gyc, a[0], adeis_tat(be, ws, 12), ws,
                       adeis_tat(be, ws, 6), a[1], a[2], 2, 6, 5, 3);
}

/* silu on 9 numbers */
static void silu_f(adeis_tbe_p be, void *y, void *const a[], void *ws)
{
  (void)ws;
  be->ops->silu(be, y, a[0], 9);
}
static void silu_v(adeis_tbe_p be, void *const g[], mpfr_srcptr s, const void *gy, void *const a[],
                   void *ws)
{
  (void)ws;
  (void)s;
  be->ops->silu_vjp(be, g[0], a[0], gy, 9, 0);
}

/* nearest up x2: 3 planes of 2 x 3 */
static void up_f(adeis_tbe_p be, void *y, void *const a[], void *ws)
{
  (void)ws;
  be->ops->up2(be, y, a[0], 3, 2, 3);
}
static void up_v(adeis_tbe_p be, void *const g[], mpfr_srcptr s, const void *gy, void *const a[],
                 void *ws)
{
  (void)ws;
  (void)s;
  (void)a;
  be->ops->up2_vjp(be, g[0], gy, 3, 2, 3, 0);
}

/* concat: batch 2 of (2 channels, 3 channels), 4 pixels */
static void cat_f(adeis_tbe_p be, void *y, void *const a[], void *ws)
{
  (void)ws;
  adeis_concat_fwd(be, y, a[0], 2, a[1], 3, 2, 4);
}
static void cat_v(adeis_tbe_p be, void *const g[], mpfr_srcptr s, const void *gy, void *const a[],
                  void *ws)
{
  (void)ws;
  (void)s;
  (void)a;
  adeis_concat_vjp(be, g[0], 0, g[1], 0, gy, 2, 3, 2, 4);
}

static const layer_case cases[] = {
    {"linear", 3, 1, {12, 20, 5}, 15, 5, lin_f, lin_v},
    {"conv3", 3, 1, {120, 108, 4}, 160, 28, c31_f, c31_v},
    {"conv3-stride2", 3, 1, {120, 54, 3}, 54, 19, c32_f, c32_v},
    {"conv1", 3, 1, {42, 6, 2}, 28, 4, c1_f, c1_v},
    {"groupnorm", 3, 1, {60, 6, 6}, 60, 30, gn_f, gn_v},
    {"silu", 1, 1, {9}, 9, 2, silu_f, silu_v},
    {"groupnorm-silu", 3, 1, {60, 6, 6}, 60, 30, gns_f, gns_v},
    {"up2", 1, 1, {18}, 72, 1, up_f, up_v},
    {"concat", 2, 2, {16, 24}, 40, 1, cat_f, cat_v},
};
#define NCASES (sizeof cases / sizeof *cases)

typedef struct fd_ctx {
  adeis_tbe_p be;
  const layer_case *lc;
  void *a[MAXARG], *ah, *y, *v, *ws;
  const void *d;
  int j;
} fd_ctx;

/* phi(h) = <v, f(a with a_j + h d)> */
static void phi(mpfr_ptr out, mpfr_srcptr h, void *vctx)
{
  fd_ctx *c = vctx;
  void *a[MAXARG];
  for (int i = 0; i < c->lc->nargs; i++)
    a[i] = c->a[i];
  nc_shift(c->be, c->ah, c->a[c->j], c->d, c->lc->size[c->j], h);
  a[c->j] = c->ah;
  c->lc->fwd(c->be, c->y, a, c->ws);
  nc_dot(c->be, out, c->v, c->y, c->lc->out);
}

static double vjp_digits(const layer_case *lc, int j, gsl_rng *r)
{
  adeis_tbe be;
  adeis_tbe_init(&be, "mpfr", NC_PREC);
  fd_ctx c = {.be = &be, .lc = lc, .j = j};
  void *g[MAXARG], *g0, *d;
  for (int i = 0; i < lc->nargs; i++) {
    c.a[i] = be.ops->alloc(&be, lc->size[i]);
    g[i] = be.ops->alloc(&be, lc->size[i]);
    nc_fill(&be, c.a[i], lc->size[i], r, -1.5, 1.5);
    nc_fill(&be, g[i], lc->size[i], r, -1, 1); /* parameters: accumulated onto this */
  }
  c.ah = be.ops->alloc(&be, lc->size[j]);
  g0 = be.ops->alloc(&be, lc->size[j]);
  d = be.ops->alloc(&be, lc->size[j]);
  c.y = be.ops->alloc(&be, lc->out);
  c.v = be.ops->alloc(&be, lc->out);
  c.ws = be.ops->alloc(&be, SCRATCH);
  nc_fill(&be, d, lc->size[j], r, -1, 1);
  nc_fill(&be, c.v, lc->out, r, -1, 1);
  c.d = d;
  be.ops->copy(&be, g0, g[j], lc->size[j]);

  mpfr_t s, fd, an;
  mpfr_inits2(NC_ACC_PREC, s, fd, an, (mpfr_ptr)0);
  mpfr_set_d(s, 0.625, MPFR_RNDN);
  lc->vjp(&be, g, s, c.v, c.a, c.ws);
  if (j >= lc->ninputs) { /* parameter: (g - g0) / s is the gradient */
    mpfr_neg(fd, s, MPFR_RNDN);
    be.ops->axpy(&be, g[j], fd, g0, 0);
    mpfr_t t;
    mpfr_init2(t, NC_ACC_PREC);
    mpfr_set_zero(an, 1);
    for (size_t i = 0; i < lc->size[j]; i++) {
      mpfr_t gi, gz, di;
      mpfr_inits2(NC_ACC_PREC, gi, gz, di, (mpfr_ptr)0);
      be.ops->get_mpfr(&be, gi, g[j], i);
      be.ops->get_mpfr(&be, gz, g0, i);
      be.ops->get_mpfr(&be, di, d, i);
      mpfr_sub(gi, gi, gz, MPFR_RNDN);
      mpfr_div(gi, gi, s, MPFR_RNDN);
      mpfr_fma(an, gi, di, an, MPFR_RNDN);
      mpfr_clears(gi, gz, di, (mpfr_ptr)0);
    }
    mpfr_clear(t);
  } else {
    nc_dot(&be, an, g[j], d, lc->size[j]);
  }
  nc_fd5(fd, phi, &c);
  double dig = nc_digits(an, fd);
  nc_note("%-14s arg %d: VJP %.6e, FD %.6e, %.1f digits\n", lc->name, j, mpfr_get_d(an, MPFR_RNDN),
          mpfr_get_d(fd, MPFR_RNDN), dig);
  mpfr_clears(s, fd, an, (mpfr_ptr)0);
  for (int i = 0; i < lc->nargs; i++) {
    be.ops->free(&be, c.a[i], lc->size[i]);
    be.ops->free(&be, g[i], lc->size[i]);
  }
  be.ops->free(&be, c.ah, 0);
  be.ops->free(&be, g0, 0);
  be.ops->free(&be, d, 0);
  be.ops->free(&be, c.y, 0);
  be.ops->free(&be, c.v, 0);
  be.ops->free(&be, c.ws, 0);
  return dig;
}

Test(nets_layers, vjp_matches_finite_differences_to_30_digits)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 11);
  double worst = 1000;
  for (size_t k = 0; k < NCASES; k++)
    for (int j = 0; j < cases[k].nargs; j++) {
      double dig = vjp_digits(&cases[k], j, r);
      cr_expect_geq(dig, 30.0, "%s argument %d: %.1f digits", cases[k].name, j, dig);
      worst = dig < worst ? dig : worst;
    }
  nc_note("worst layer VJP agreement: %.1f digits\n", worst);
  gsl_rng_free(r);
}

/* forward of one case in table `be` on the same float-representable data */
static void *forward_in(adeis_tbe_p be, const layer_case *lc, unsigned long seed)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  void *a[MAXARG], *ws = be->ops->alloc(be, SCRATCH), *y = be->ops->alloc(be, lc->out);
  for (int i = 0; i < lc->nargs; i++) {
    a[i] = be->ops->alloc(be, lc->size[i]);
    nc_fill(be, a[i], lc->size[i], r, -1.5, 1.5);
  }
  lc->fwd(be, y, a, ws);
  for (int i = 0; i < lc->nargs; i++)
    be->ops->free(be, a[i], lc->size[i]);
  be->ops->free(be, ws, SCRATCH);
  gsl_rng_free(r);
  return y;
}

Test(nets_layers, float_double_mpfr_forward_agree)
{
  adeis_tbe ref, fl, db, m53;
  adeis_tbe_init(&ref, "mpfr", NC_PREC);
  adeis_tbe_init(&fl, "float", 0);
  adeis_tbe_init(&db, "double", 0);
  adeis_tbe_init(&m53, "mpfr", 53);
  adeis_tbe_p tabs[3] = {&fl, &db, &m53};
  for (size_t k = 0; k < NCASES; k++) {
    const layer_case *lc = &cases[k];
    void *yr = forward_in(&ref, lc, 100 + k);
    for (int q = 0; q < 3; q++) {
      void *y = forward_in(tabs[q], lc, 100 + k);
      double diff, scale, eps = ldexp(1.0, -(int)tabs[q]->prec);
      nc_maxdiff(tabs[q], y, &ref, yr, lc->out, &diff, &scale);
      double tol = 4.0 * (double)lc->ksum * eps * scale;
      nc_note("%-14s %-6s prec %3ld: max diff %.3e = %.2f eps max|y| (bound %zu x 4)\n",
              lc->name, tabs[q]->ops->name, (long)tabs[q]->prec, diff, diff / (eps * scale),
              lc->ksum);
      cr_expect_leq(diff, tol, "%s in %s: %g > %g", lc->name, tabs[q]->ops->name, diff, tol);
      tabs[q]->ops->free(tabs[q], y, lc->out);
    }
    ref.ops->free(&ref, yr, lc->out);
  }
}

/* ---- the fused group norm + silu of the float and double tables against the composition of
 * gn_fwd, silu, silu_vjp and gn_vjp: the same bits (groups of up to 64 channels in one sweep,
 * larger ones through gn_vjp in place) ---- */

typedef struct gns_out {
  double *y, *mean, *rstd, *gx, *gw, *gb;
} gns_out;

static double *gns_host(adeis_tbe_p be, const void *x, size_t n)
{
  double *h = malloc(n * sizeof *h);
  be->ops->to_double(be, h, x, n);
  return h;
}

static gns_out gns_run(adeis_tbe_p be, size_t batch, size_t ch, size_t hw, size_t groups)
{
  size_t n = batch * ch * hw, ng = batch * groups;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 77);
  void *x = be->ops->alloc(be, n), *w = be->ops->alloc(be, ch), *b = be->ops->alloc(be, ch);
  void *y = be->ops->alloc(be, n), *sv = be->ops->alloc(be, n), *gy = be->ops->alloc(be, n);
  void *gx = be->ops->alloc(be, n), *gw = be->ops->alloc(be, ch), *gb = be->ops->alloc(be, ch);
  void *mu = be->ops->alloc(be, ng), *rs = be->ops->alloc(be, ng);
  nc_fill(be, x, n, r, -2, 3);
  nc_fill(be, w, ch, r, -1.5, 1.5);
  nc_fill(be, b, ch, r, -1, 1);
  nc_fill(be, gy, n, r, -1, 1);
  nc_fill(be, gw, ch, r, -1, 1);
  nc_fill(be, gb, ch, r, -1, 1);
  mpfr_t s;
  mpfr_init2(s, 53);
  mpfr_set_d(s, 0.625, MPFR_RNDN);
  adeis_gnorm_silu_fwd(be, y, sv, mu, rs, x, w, b, batch, ch, hw, groups);
  adeis_gnorm_silu_vjp(be, gx, gw, gb, s, gy, x, sv, mu, rs, w, b, batch, ch, hw, groups);
  gns_out o = {gns_host(be, y, n), gns_host(be, mu, ng), gns_host(be, rs, ng), gns_host(be, gx, n),
               gns_host(be, gw, ch), gns_host(be, gb, ch)};
  void *all[] = {x, w, b, y, sv, gy, gx, gw, gb, mu, rs};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    be->ops->free(be, all[i], 0);
  mpfr_clear(s);
  gsl_rng_free(r);
  return o;
}

static void gns_free(gns_out *o)
{
  free(o->y), free(o->mean), free(o->rstd), free(o->gx), free(o->gw), free(o->gb);
}

Test(nets_layers, fused_groupnorm_silu_equals_composition)
{
  static const size_t dims[3][4] = {{3, 12, 7, 4}, {2, 140, 3, 2}, {1, 8, 5, 8}};
  const char *types[2] = {"float", "double"};
  for (int k = 0; k < 2; k++)
    for (int d = 0; d < 3; d++) {
      adeis_tbe fused, plain;
      adeis_tbe_init(&fused, types[k], 0);
      cr_assert(fused.ops->gn_silu_fwd && fused.ops->gn_silu_vjp, "%s: no fused op", types[k]);
      adeis_tops unfused = *fused.ops;
      unfused.gn_silu_fwd = NULL;
      unfused.gn_silu_vjp = NULL;
      plain = (adeis_tbe){.ops = &unfused, .prec = fused.prec};
      size_t B = dims[d][0], C = dims[d][1], hw = dims[d][2], G = dims[d][3];
      gns_out a = gns_run(&fused, B, C, hw, G), b = gns_run(&plain, B, C, hw, G);
      size_t n = B * C * hw;
      cr_expect(!memcmp(a.y, b.y, n * sizeof(double)), "%s %zu ch: y differs", types[k], C);
      cr_expect(!memcmp(a.mean, b.mean, B * G * sizeof(double)), "%s: mean differs", types[k]);
      cr_expect(!memcmp(a.rstd, b.rstd, B * G * sizeof(double)), "%s: rstd differs", types[k]);
      cr_expect(!memcmp(a.gx, b.gx, n * sizeof(double)), "%s %zu ch: gx differs", types[k], C);
      cr_expect(!memcmp(a.gw, b.gw, C * sizeof(double)), "%s %zu ch: gw differs", types[k], C);
      cr_expect(!memcmp(a.gb, b.gb, C * sizeof(double)), "%s %zu ch: gb differs", types[k], C);
      gns_free(&a);
      gns_free(&b);
    }
}

Test(nets_layers, time_embedding_matches_formula)
{
  /* e_0 = cos(1000 t), e_{E/2} = sin(1000 t), e_{E/2-1} uses w = 10000^(-(E/2-1)/(E/2)) */
  adeis_tbe tabs[4];
  adeis_tbe_init(&tabs[0], "float", 0);
  adeis_tbe_init(&tabs[1], "double", 0);
  adeis_tbe_init(&tabs[2], "mpfr", 113);
  adeis_tbe_init(&tabs[3], "mpfr", 512);
  mpfr_t t, c, w, ex, got;
  mpfr_inits2(1024, t, c, w, ex, got, (mpfr_ptr)0);
  mpfr_set_str(t, "0.3721", 10, MPFR_RNDN);
  for (int q = 0; q < 4; q++) {
    adeis_tbe_p be = &tabs[q];
    void *e = be->ops->alloc(be, 8);
    adeis_time_embed(be, e, t, 8);
    for (int k = 0; k < 4; k++) {
      mpfr_mul_ui(c, t, 1000, MPFR_RNDN);
      mpfr_set_ui(w, 10000, MPFR_RNDN);
      mpfr_rootn_ui(w, w, 4, MPFR_RNDN);
      mpfr_pow_si(w, w, -k, MPFR_RNDN); /* 10000^(-k/4) */
      mpfr_mul(c, c, w, MPFR_RNDN);
      for (int sc = 0; sc < 2; sc++) {
        if (sc)
          mpfr_sin(ex, c, MPFR_RNDN);
        else
          mpfr_cos(ex, c, MPFR_RNDN);
        be->ops->get_mpfr(be, got, e, (size_t)(k + 4 * sc));
        mpfr_sub(got, got, ex, MPFR_RNDN);
        /* float and double: argument c up to 1000, error ~ c eps_double, then rounding */
        double err = fabs(mpfr_get_d(got, MPFR_RNDN));
        double tol = be->ops->fixed_prec ? ldexp(1.0, -(int)be->prec) + 1000 * ldexp(1.0, -52)
                                         : ldexp(1.0, -(int)be->prec);
        cr_expect_leq(err, tol, "%s k %d: error %g > %g", be->ops->name, k + 4 * sc, err, tol);
      }
    }
    be->ops->free(be, e, 8);
  }
  mpfr_clears(t, c, w, ex, got, (mpfr_ptr)0);
}

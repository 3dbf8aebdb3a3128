/* Networks (nets/net.h): parameter lists as the architectures define them, whole-network
 * VJPs for x, z and every parameter tensor against 5-point finite differences at 256 bits,
 * accumulation semantics of jz and jtheta, batches as independent samples, and float /
 * double / MPFR agreement. */
#include <criterion/criterion.h>

#include "../core/status.h"
#include "../nets/net.h"
#include "nets_check.h"

#include <string.h>

static adeis_net_hyper mlp_hyper(void)
{
  return (adeis_net_hyper){.arch = ADEIS_NET_MLP, .dim = 3, .width = 5, .depth = 2,
                           .emb_dim = 4, .hidden = 6, .cond_dim = 2};
}

static adeis_net_hyper unet_hyper(void)
{
  return (adeis_net_hyper){.arch = ADEIS_NET_UNET, .channels = 2, .size = 8, .base = 4,
                           .groups = 2, .emb_dim = 4, .hidden = 6, .cond_dim = 3};
}

/* Weights: the uniform initialisation, group norms moved off (1, 0) so that their
 * gradients are exercised in general position. */
static adeis_net *make_net(const adeis_net_hyper *hp, adeis_tbe_p be, unsigned long seed)
{
  adeis_net *net;
  cr_assert_eq(adeis_net_create(&net, hp, be), 0, "%s", adeis_errmsg());
  adeis_net_init_uniform(net, seed);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed + 1);
  for (size_t m = 0; m < net->nmodules; m++)
    if (net->modules[m].kind == ADEIS_NET_GNORM) {
      size_t C = net->modules[m].out;
      nc_fill(be, adeis_tat(be, net->theta, net->modules[m].w), C, r, 0.7, 1.3);
      nc_fill(be, adeis_tat(be, net->theta, net->modules[m].b), C, r, -0.3, 0.3);
    }
  gsl_rng_free(r);
  return net;
}

/* ---- parameter lists ---- */

Test(nets_net, mlp_parameters_in_canonical_order)
{
  adeis_net_hyper hp = mlp_hyper();
  adeis_net_param *p;
  size_t n, nt;
  cr_assert_eq(adeis_net_param_list(&hp, &p, &n, &nt), 0);
  static const char *names[] = {
      "time.fc1.weight", "time.fc1.bias", "time.fc2.weight", "time.fc2.bias",
      "cond.weight", "cond.bias", "in.weight", "in.bias",
      "blocks.0.fc1.weight", "blocks.0.fc1.bias", "blocks.0.emb.weight", "blocks.0.emb.bias",
      "blocks.0.fc2.weight", "blocks.0.fc2.bias", "blocks.1.fc1.weight", "blocks.1.fc1.bias",
      "blocks.1.emb.weight", "blocks.1.emb.bias", "blocks.1.fc2.weight", "blocks.1.fc2.bias",
      "out.weight", "out.bias"};
  static const size_t rows[] = {6, 6, 6, 6, 6, 6, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 3, 3};
  static const size_t cols[] = {4, 0, 6, 0, 2, 0, 3, 0, 5, 0, 6, 0, 5, 0, 5, 0, 6, 0, 5, 0, 5, 0};
  cr_assert_eq(n, sizeof names / sizeof *names);
  size_t off = 0;
  for (size_t i = 0; i < n; i++) {
    cr_expect_str_eq(p[i].name, names[i]);
    cr_expect_eq(p[i].ndim, cols[i] ? 2 : 1, "%s", names[i]);
    cr_expect_eq(p[i].shape[0], rows[i], "%s", names[i]);
    if (cols[i])
      cr_expect_eq(p[i].shape[1], cols[i], "%s", names[i]);
    cr_expect_eq(p[i].offset, off, "%s", names[i]);
    off += p[i].numel;
  }
  cr_expect_eq(nt, off);
  free(p);
}

/* Parameter count of the unet from the architecture (independent closed form). */
static size_t unet_count(size_t Ci, size_t C, size_t E, size_t H, size_t Z)
{
  size_t lin = 0, conv = 0, gn = 0;
  lin += E * H + H + H * H + H + (Z ? Z * H + H : 0);
  conv += 9 * Ci * C + C;
  size_t cin[6] = {C, C, 2 * C, 2 * C, 4 * C, 3 * C}, cout[6] = {C, 2 * C, 2 * C, 2 * C, 2 * C, C};
  for (int i = 0; i < 6; i++) {
    gn += 2 * cin[i] + 2 * cout[i];
    conv += 9 * cin[i] * cout[i] + cout[i] + 9 * cout[i] * cout[i] + cout[i];
    lin += H * cout[i] + cout[i];
    if (cin[i] != cout[i])
      conv += cin[i] * cout[i] + cout[i];
  }
  conv += 9 * C * C + C + 9 * 4 * C * C + 2 * C; /* down0, down1 */
  conv += 2 * (9 * 4 * C * C + 2 * C);           /* up1, up0 */
  gn += 2 * C;
  conv += 9 * C * Ci + Ci;
  return lin + conv + gn;
}

Test(nets_net, unet_parameters_named_and_counted)
{
  adeis_net_hyper hp = unet_hyper();
  adeis_net_param *p;
  size_t n, nt;
  cr_assert_eq(adeis_net_param_list(&hp, &p, &n, &nt), 0);
  cr_expect_eq(nt, unet_count(2, 4, 4, 6, 3));
  /* 3 linear + conv_in + 6 blocks (5 modules, + skip in down1, up1, up0) + 4 convs + 2 */
  cr_expect_eq(n, 2 * (3 + 1 + 30 + 3 + 4 + 2));
  cr_expect_str_eq(p[6].name, "conv_in.weight");
  cr_expect_str_eq(p[8].name, "down0.res.gn1.weight");
  cr_expect_str_eq(p[18].name, "down0.down.weight");
  cr_expect_str_eq(p[n - 1].name, "conv_out.bias");
  long k = -1;
  for (size_t i = 0; i < n; i++)
    if (strcmp(p[i].name, "up0.res.conv1.weight") == 0)
      k = (long)i;
  cr_assert_geq(k, 0);
  size_t want[4] = {4, 12, 3, 3};
  cr_expect_eq(p[k].ndim, 4);
  for (int d = 0; d < 4; d++)
    cr_expect_eq(p[k].shape[d], want[d]);
  for (size_t i = 0; i < n; i++)
    if (strcmp(p[i].name, "up1.res.skip.weight") == 0)
      cr_expect(p[i].shape[0] == 8 && p[i].shape[1] == 16 && p[i].shape[2] == 1);
  hp.size = 10;
  cr_expect_eq(adeis_net_param_list(&hp, &p, &n, &nt), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "size = 10") != NULL, "%s", adeis_errmsg());
  hp.size = 8;
  hp.groups = 3;
  cr_expect_eq(adeis_net_param_list(&hp, &p, &n, &nt), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "groups = 3") != NULL, "%s", adeis_errmsg());
  free(p);
}

/* ---- VJPs against finite differences ---- */

typedef struct net_fd {
  adeis_tbe be;
  adeis_net *net;
  adeis_net_ws *ws;
  size_t B;
  void *x, *z, *v, *y, *dir, *xs;
  mpfr_t t;
  int what;        /* 0: x, 1: z, 2: theta entries [off, off + n) */
  size_t off, n;
  void *theta0;
} net_fd;

static void net_phi(mpfr_ptr out, mpfr_srcptr h, void *vc)
{
  net_fd *c = vc;
  adeis_tbe_p be = &c->be;
  const void *x = c->x, *z = c->z;
  if (c->what == 0) {
    nc_shift(be, c->xs, c->x, c->dir, c->B * c->net->dim, h);
    x = c->xs;
  } else if (c->what == 1) {
    nc_shift(be, c->xs, c->z, c->dir, c->B * c->net->cond_dim, h);
    z = c->xs;
  } else {
    nc_shift(be, adeis_tat(be, c->net->theta, c->off), adeis_tcat(be, c->theta0, c->off), c->dir,
             c->n, h);
  }
  adeis_net_eval(c->net, c->ws, x, c->t, z, ADEIS_NET_EPS, c->y, NULL, NULL, NULL, NULL, NULL,
                 NULL);
  nc_dot(be, out, c->v, c->y, c->B * c->net->dim);
  if (c->what == 2)
    be->ops->copy(be, adeis_tat(be, c->net->theta, c->off), adeis_tcat(be, c->theta0, c->off),
                  c->n);
}

/* <(g - g0) / s, d> over n entries */
static void grad_dot(adeis_tbe_p be, mpfr_ptr r, const void *g, const void *g0, mpfr_srcptr s,
                     const void *d, size_t n)
{
  mpfr_t a, b;
  mpfr_inits2(NC_ACC_PREC, a, b, (mpfr_ptr)0);
  mpfr_set_zero(r, 1);
  for (size_t i = 0; i < n; i++) {
    be->ops->get_mpfr(be, a, g, i);
    if (g0) {
      be->ops->get_mpfr(be, b, g0, i);
      mpfr_sub(a, a, b, MPFR_RNDN);
      mpfr_div(a, a, s, MPFR_RNDN);
    }
    be->ops->get_mpfr(be, b, d, i);
    mpfr_fma(r, a, b, r, MPFR_RNDN);
  }
  mpfr_clears(a, b, (mpfr_ptr)0);
}

static void check_net_vjps(adeis_net_hyper hp, const char *label)
{
  net_fd c = {.B = 2};
  adeis_tbe_init(&c.be, "mpfr", NC_PREC);
  adeis_tbe_p be = &c.be;
  c.net = make_net(&hp, be, 5);
  c.ws = adeis_net_ws_alloc(c.net, c.B);
  cr_assert_not_null(c.ws);
  size_t nx = c.B * c.net->dim, nz = c.B * c.net->cond_dim, nt = c.net->ntheta;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 9);
  c.x = be->ops->alloc(be, nx);
  c.v = be->ops->alloc(be, nx);
  c.y = be->ops->alloc(be, nx);
  c.z = be->ops->alloc(be, nz);
  c.xs = be->ops->alloc(be, nx > nz ? nx : nz);
  c.dir = be->ops->alloc(be, nt > nx ? nt : nx);
  c.theta0 = be->ops->alloc(be, nt);
  be->ops->copy(be, c.theta0, c.net->theta, nt);
  nc_fill(be, c.x, nx, r, -1.5, 1.5);
  nc_fill(be, c.v, nx, r, -1, 1);
  nc_fill(be, c.z, nz, r, 0, 1);
  mpfr_init2(c.t, NC_PREC);
  mpfr_set_str(c.t, "0.0371", 10, MPFR_RNDN);

  void *jx = be->ops->alloc(be, nx), *jz = be->ops->alloc(be, nz), *jz0 = be->ops->alloc(be, nz);
  void *jt = be->ops->alloc(be, nt), *jt0 = be->ops->alloc(be, nt), *eps = be->ops->alloc(be, nx);
  nc_fill(be, jx, nx, r, -9, 9); /* overwritten */
  nc_fill(be, jz0, nz, r, -1, 1);
  nc_fill(be, jt0, nt, r, -1, 1);
  be->ops->copy(be, jz, jz0, nz);
  be->ops->copy(be, jt, jt0, nt);
  mpfr_t sz, st, an, fd;
  mpfr_inits2(NC_ACC_PREC, sz, st, an, fd, (mpfr_ptr)0);
  mpfr_set_d(sz, 0.75, MPFR_RNDN);
  mpfr_set_d(st, -1.25, MPFR_RNDN);
  cr_assert_eq(adeis_net_eval(c.net, c.ws, c.x, c.t, c.z, 15u, eps, c.v, jx, jz, sz, jt, st), 0);

  double worst = 1000;
  /* x and z */
  for (int w = 0; w < 2; w++) {
    size_t n = w ? nz : nx;
    nc_fill(be, c.dir, n, r, -1, 1);
    c.what = w;
    if (w)
      grad_dot(be, an, jz, jz0, sz, c.dir, n);
    else
      grad_dot(be, an, jx, NULL, NULL, c.dir, n);
    nc_fd5(fd, net_phi, &c);
    double dig = nc_digits(an, fd);
    nc_note("%s d/d%s: VJP %.10e FD %.10e: %.1f digits\n", label, w ? "z" : "x",
            mpfr_get_d(an, MPFR_RNDN), mpfr_get_d(fd, MPFR_RNDN), dig);
    cr_expect_geq(dig, 30.0, "%s d/d%s: %.1f digits", label, w ? "z" : "x", dig);
    worst = dig < worst ? dig : worst;
  }
  /* every parameter tensor */
  c.what = 2;
  for (size_t i = 0; i < c.net->nparams; i++) {
    const adeis_net_param *p = &c.net->params[i];
    c.off = p->offset;
    c.n = p->numel;
    nc_fill(be, c.dir, p->numel, r, -1, 1);
    grad_dot(be, an, adeis_tcat(be, jt, p->offset), adeis_tcat(be, jt0, p->offset), st, c.dir,
             p->numel);
    nc_fd5(fd, net_phi, &c);
    double dig = nc_digits(an, fd);
    cr_expect_geq(dig, 30.0, "%s d/d%s: %.1f digits", label, p->name, dig);
    worst = dig < worst ? dig : worst;
  }
  nc_note("%s: worst of x, z and %zu parameter tensors: %.1f digits\n", label, c.net->nparams,
          worst);
  /* eps asked for alone leaves jx, jz, jtheta untouched */
  be->ops->copy(be, jt0, jt, nt);
  cr_assert_eq(adeis_net_eval(c.net, c.ws, c.x, c.t, c.z, ADEIS_NET_EPS, eps, c.v, jx, jz, sz, jt,
                              st), 0);
  grad_dot(be, an, jt, jt0, st, c.dir, 0);
  double d, s;
  nc_maxdiff(be, jt, be, jt0, nt, &d, &s);
  cr_expect_eq(d, 0.0);

  mpfr_clears(sz, st, an, fd, c.t, (mpfr_ptr)0);
  void *bufs[] = {c.x, c.v, c.y, c.z, c.xs, c.dir, c.theta0, jx, jz, jz0, jt, jt0, eps};
  for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
    be->ops->free(be, bufs[i], 0);
  adeis_net_ws_free(c.ws);
  adeis_net_free(c.net);
  gsl_rng_free(r);
}

Test(nets_net, mlp_vjps_match_finite_differences, .timeout = 120)
{
  check_net_vjps(mlp_hyper(), "mlp");
}

Test(nets_net, unet_vjps_match_finite_differences, .timeout = 300)
{
  check_net_vjps(unet_hyper(), "unet");
}

Test(nets_net, mlp_without_conditioning_and_depth_zero)
{
  adeis_net_hyper hp = mlp_hyper();
  hp.cond_dim = 0;
  hp.depth = 0;
  check_net_vjps(hp, "mlp depth 0 cond 0");
}

/* ---- element types agree ---- */

typedef struct outs {
  void *eps, *jx, *jz, *jt;
} outs;

/* eps and all VJPs (jz, jtheta from zero, scales 1) at (x, z, t, v) drawn from `seed`,
 * weights from make_net: the same float-representable numbers in every table. */
static outs eval_all(const adeis_net_hyper *hp, adeis_tbe_p be, size_t B, unsigned long seed)
{
  adeis_net *net = make_net(hp, be, 5);
  adeis_net_ws *ws = adeis_net_ws_alloc(net, B);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  size_t nx = B * net->dim, nz = B * net->cond_dim;
  void *x = be->ops->alloc(be, nx), *v = be->ops->alloc(be, nx), *z = be->ops->alloc(be, nz);
  nc_fill(be, x, nx, r, -1.5, 1.5);
  nc_fill(be, v, nx, r, -1, 1);
  nc_fill(be, z, nz, r, 0, 1);
  outs o = {be->ops->alloc(be, nx), be->ops->alloc(be, nx), be->ops->alloc(be, nz),
            be->ops->alloc(be, net->ntheta)};
  mpfr_t t;
  mpfr_init2(t, 53);
  mpfr_set_d(t, 0.4375, MPFR_RNDN);
  cr_assert_eq(adeis_net_eval(net, ws, x, t, z, 15u, o.eps, v, o.jx, o.jz, NULL, o.jt, NULL), 0);
  mpfr_clear(t);
  be->ops->free(be, x, nx);
  be->ops->free(be, v, nx);
  be->ops->free(be, z, nz);
  adeis_net_ws_free(ws);
  adeis_net_free(net);
  gsl_rng_free(r);
  return o;
}

static void free_outs(adeis_tbe_p be, outs o)
{
  be->ops->free(be, o.eps, 0);
  be->ops->free(be, o.jx, 0);
  be->ops->free(be, o.jz, 0);
  be->ops->free(be, o.jt, 0);
}

/* K: the condition factor allowed, in units of eps max |reference| per output */
static void check_types_agree(adeis_net_hyper hp, const char *label, double K)
{
  size_t B = 2;
  adeis_tbe ref, fl, db, m53;
  adeis_tbe_init(&ref, "mpfr", NC_PREC);
  adeis_tbe_init(&fl, "float", 0);
  adeis_tbe_init(&db, "double", 0);
  adeis_tbe_init(&m53, "mpfr", 53);
  adeis_tbe_p tabs[3] = {&fl, &db, &m53};
  outs r = eval_all(&hp, &ref, B, 3);
  adeis_net *probe;
  cr_assert_eq(adeis_net_create(&probe, &hp, &ref), 0);
  size_t n[4] = {B * probe->dim, B * probe->dim, B * probe->cond_dim, probe->ntheta};
  adeis_net_free(probe);
  static const char *what[4] = {"eps", "jx", "jz", "jtheta"};
  for (int q = 0; q < 3; q++) {
    outs o = eval_all(&hp, tabs[q], B, 3);
    void *a[4] = {o.eps, o.jx, o.jz, o.jt}, *b[4] = {r.eps, r.jx, r.jz, r.jt};
    double eps = ldexp(1.0, -(int)tabs[q]->prec);
    for (int k = 0; k < 4; k++) {
      double d, s;
      nc_maxdiff(tabs[q], a[k], &ref, b[k], n[k], &d, &s);
      nc_note("%s %-6s prec %2ld %-6s: max diff %.3e = %6.2f eps max|ref| (allowed %.0f)\n", label,
              tabs[q]->ops->name, (long)tabs[q]->prec, what[k], d, d / (eps * s), K);
      cr_expect_leq(d, K * eps * s, "%s %s %s: %g eps", label, tabs[q]->ops->name, what[k],
                    d / (eps * s));
    }
    free_outs(tabs[q], o);
  }
  free_outs(&ref, r);
}

Test(nets_net, float_double_mpfr_agree_mlp)
{
  /* K = 64: 2 + 2 depth layers of sums of up to 6 terms, each step's rounding amplified by
   * the next layers' weights (|w| sum ~ sqrt(fan_in)); measured: at most 3.1 */
  check_types_agree(mlp_hyper(), "mlp", 64);
}

Test(nets_net, float_double_mpfr_agree_unet, .timeout = 120)
{
  /* K = 256: 17 convolutions with sums of up to 108 terms and 13 group norms (1 / std
   * amplifies), and in float and double the time embedding's argument 1000 t w_k carries
   * c eps_double (~440 eps at t = 0.4375 relative to the double result); measured: up to
   * 43 (double, jz), 22 (float) */
  check_types_agree(unet_hyper(), "unet", 256);
}

/* A batch is B independent samples sharing theta: eps and jx per sample as evaluated alone,
 * jtheta the sum of the samples' jtheta. */
Test(nets_net, batch_is_independent_samples)
{
  adeis_tbe be;
  adeis_tbe_init(&be, "mpfr", 128);
  adeis_net_hyper hp = unet_hyper();
  adeis_net *net = make_net(&hp, &be, 5);
  adeis_net_ws *w2 = adeis_net_ws_alloc(net, 2), *w1 = adeis_net_ws_alloc(net, 1);
  size_t d = net->dim, Z = net->cond_dim, nt = net->ntheta;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 21);
  void *x = be.ops->alloc(&be, 2 * d);
  void *v = be.ops->alloc(&be, 2 * d);
  void *z = be.ops->alloc(&be, 2 * Z);
  nc_fill(&be, x, 2 * d, r, -1, 1);
  nc_fill(&be, v, 2 * d, r, -1, 1);
  nc_fill(&be, z, 2 * Z, r, 0, 1);
  void *e2 = be.ops->alloc(&be, 2 * d);
  void *j2 = be.ops->alloc(&be, 2 * d);
  void *t2 = be.ops->alloc(&be, nt);
  void *e1 = be.ops->alloc(&be, 2 * d);
  void *j1 = be.ops->alloc(&be, 2 * d);
  void *t1 = be.ops->alloc(&be, nt);
  mpfr_t t;
  mpfr_init2(t, 128);
  mpfr_set_d(t, 0.8, MPFR_RNDN);
  adeis_net_eval(net, w2, x, t, z, 11u, e2, v, j2, NULL, NULL, t2, NULL);
  for (size_t n = 0; n < 2; n++)
    adeis_net_eval(net, w1, adeis_tcat(&be, x, n * d), t, adeis_tcat(&be, z, n * Z), 11u,
                   adeis_tat(&be, e1, n * d), adeis_tcat(&be, v, n * d),
                   adeis_tat(&be, j1, n * d), NULL, NULL, t1, NULL);
  double df, s;
  nc_maxdiff(&be, e2, &be, e1, 2 * d, &df, &s);
  cr_expect_leq(df, 8 * ldexp(s, -128), "eps: %g", df);
  nc_maxdiff(&be, j2, &be, j1, 2 * d, &df, &s);
  cr_expect_leq(df, 8 * ldexp(s, -128), "jx: %g", df);
  nc_maxdiff(&be, t2, &be, t1, nt, &df, &s);
  cr_expect_leq(df, 64 * ldexp(s, -128), "jtheta: %g", df);
  cr_expect_gt(s, 0.0);
  void *bufs[] = {x, v, z, e2, j2, t2, e1, j1, t1};
  for (size_t i = 0; i < 9; i++)
    be.ops->free(&be, bufs[i], 0);
  adeis_net_ws_free(w1);
  adeis_net_ws_free(w2);
  adeis_net_free(net);
  gsl_rng_free(r);
  mpfr_clear(t);
}

Test(nets_net, workspace_of_another_network_is_refused)
{
  adeis_tbe be;
  adeis_tbe_init(&be, "double", 0);
  adeis_net_hyper hp = mlp_hyper();
  adeis_net *a = make_net(&hp, &be, 1), *b = make_net(&hp, &be, 2);
  adeis_net_ws *ws = adeis_net_ws_alloc(a, 1);
  double x[3] = {0}, y[3];
  mpfr_t t;
  mpfr_init2(t, 53);
  mpfr_set_d(t, 0.5, MPFR_RNDN);
  cr_expect_eq(adeis_net_eval(b, ws, x, t, NULL, ADEIS_NET_EPS, y, NULL, NULL, NULL, NULL, NULL,
                              NULL), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "another network") != NULL);
  mpfr_clear(t);
  adeis_net_ws_free(ws);
  adeis_net_free(a);
  adeis_net_free(b);
}

/* The workspace size is affine in the batch (activations per sample plus per-call parts) and
 * counts at least the saved activations of the forward pass. */
Test(nets_net, workspace_bytes_affine_in_batch)
{
  adeis_tbe be;
  adeis_tbe_init(&be, "double", 0);
  adeis_net_hyper hp = unet_hyper();
  adeis_net *net = make_net(&hp, &be, 1);
  double b1 = adeis_net_ws_bytes(net, 1), b2 = adeis_net_ws_bytes(net, 2);
  double b3 = adeis_net_ws_bytes(net, 3);
  cr_expect_eq(b3 - b2, b2 - b1);
  /* per sample at least: h0, the res outputs, the unet's 2C- and 3C-channel full-size tensors */
  double C = 4, S2 = 64;
  cr_expect_geq(b2 - b1, 8.0 * (C + 2 * C + 2 * C + 3 * C) * S2);
  adeis_net_free(net);
}

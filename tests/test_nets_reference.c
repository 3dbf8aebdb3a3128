/* The networks' forward maps against a direct implementation written from the architecture
 * definitions (docs/networks.md) in plain loops over double arrays: PyTorch's Conv2d
 * (cross-correlation, padding 1), GroupNorm, Linear, nearest upsampling, concatenation,
 * sinusoidal embedding. Independent of the tensor-ops table, im2col and gemm. */
#include <criterion/criterion.h>

#include "../nets/net.h"
#include "nets_check.h"

#include <string.h>

typedef struct ref {
  const adeis_net *net;
  const double *th; /* theta as doubles */
} ref;

static const double *prm(const ref *r, const char *mod, const char *leaf)
{
  char name[64];
  snprintf(name, sizeof name, "%s.%s", mod, leaf);
  long i = adeis_net_param_find(r->net, name);
  cr_assert_geq(i, 0, "%s", name);
  return r->th + r->net->params[i].offset;
}

static double silu(double u) { return u / (1 + exp(-u)); }

static void linear(const ref *r, const char *mod, double *y, const double *x, int in, int out)
{
  const double *w = prm(r, mod, "weight"), *b = prm(r, mod, "bias");
  for (int o = 0; o < out; o++) {
    y[o] = b[o];
    for (int i = 0; i < in; i++)
      y[o] += w[o * in + i] * x[i];
  }
}

/* y[o][oy][ox] = b[o] + sum w[o][c][ky][kx] x[c][st oy + ky - p][st ox + kx - p] */
static void conv(const ref *r, const char *mod, double *y, const double *x, int cin, int cout,
                 int s, int k, int st)
{
  const double *w = prm(r, mod, "weight"), *b = prm(r, mod, "bias");
  int p = k / 2, so = (s - 1) / st + 1;
  for (int o = 0; o < cout; o++)
    for (int oy = 0; oy < so; oy++)
      for (int ox = 0; ox < so; ox++) {
        double a = b[o];
        for (int c = 0; c < cin; c++)
          for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
              int iy = st * oy + ky - p, ix = st * ox + kx - p;
              if (iy >= 0 && iy < s && ix >= 0 && ix < s)
                a += w[((o * cin + c) * k + ky) * k + kx] * x[(c * s + iy) * s + ix];
            }
        y[(o * so + oy) * so + ox] = a;
      }
}

static void gnorm(const ref *r, const char *mod, double *y, const double *x, int ch, int s, int G)
{
  const double *w = prm(r, mod, "weight"), *b = prm(r, mod, "bias");
  int cg = ch / G, m = cg * s * s;
  for (int g = 0; g < G; g++) {
    const double *xg = x + g * m;
    double mu = 0, var = 0;
    for (int i = 0; i < m; i++)
      mu += xg[i] / m;
    for (int i = 0; i < m; i++)
      var += (xg[i] - mu) * (xg[i] - mu) / m;
    for (int i = 0; i < m; i++) {
      int c = g * cg + i / (s * s);
      y[g * m + i] = (xg[i] - mu) / sqrt(var + 1e-5) * w[c] + b[c];
    }
  }
}

static void silu_all(double *y, const double *x, int n)
{
  for (int i = 0; i < n; i++)
    y[i] = silu(x[i]);
}

static double *vec(size_t n) { return calloc(n, sizeof(double)); }

static void res(const ref *r, const char *name, double *out, const double *x, const double *semb,
                int cin, int cout, int s, int G)
{
  char m[64];
  int n1 = cin * s * s, n2 = cout * s * s;
  double *a = vec((size_t)(n1 > n2 ? n1 : n2)), *h = vec((size_t)n2), *e = vec((size_t)cout);
  snprintf(m, sizeof m, "%s.gn1", name);
  gnorm(r, m, a, x, cin, s, G);
  silu_all(a, a, n1);
  snprintf(m, sizeof m, "%s.conv1", name);
  conv(r, m, h, a, cin, cout, s, 3, 1);
  snprintf(m, sizeof m, "%s.emb", name);
  linear(r, m, e, semb, (int)r->net->hp.hidden, cout);
  for (int i = 0; i < n2; i++)
    h[i] += e[i / (s * s)];
  snprintf(m, sizeof m, "%s.gn2", name);
  gnorm(r, m, a, h, cout, s, G);
  silu_all(a, a, n2);
  snprintf(m, sizeof m, "%s.conv2", name);
  conv(r, m, out, a, cout, cout, s, 3, 1);
  if (cin != cout) {
    snprintf(m, sizeof m, "%s.skip", name);
    conv(r, m, h, x, cin, cout, s, 1, 1);
    for (int i = 0; i < n2; i++)
      out[i] += h[i];
  } else {
    for (int i = 0; i < n2; i++)
      out[i] += x[i];
  }
  free(a);
  free(h);
  free(e);
}

/* silu(emb) of one sample */
static void semb_of(const ref *r, double *semb, double t, const double *z)
{
  int E = (int)r->net->hp.emb_dim, H = (int)r->net->hp.hidden, Z = (int)r->net->hp.cond_dim;
  double *e = vec((size_t)E), *a = vec((size_t)H), *c = vec((size_t)H);
  for (int k = 0; k < E / 2; k++) {
    double w = exp(-log(10000.0) * k / (E / 2));
    e[k] = cos(1000 * t * w);
    e[E / 2 + k] = sin(1000 * t * w);
  }
  linear(r, "time.fc1", a, e, E, H);
  silu_all(a, a, H);
  linear(r, "time.fc2", semb, a, H, H);
  if (Z) {
    linear(r, "cond", c, z, Z, H);
    for (int i = 0; i < H; i++)
      semb[i] += c[i];
  }
  silu_all(semb, semb, H);
  free(e);
  free(a);
  free(c);
}

static void up2(double *y, const double *x, int ch, int s)
{
  for (int c = 0; c < ch; c++)
    for (int i = 0; i < 2 * s; i++)
      for (int j = 0; j < 2 * s; j++)
        y[(c * 2 * s + i) * 2 * s + j] = x[(c * s + i / 2) * s + j / 2];
}

static void unet_ref(const ref *r, double *eps, const double *x, double t, const double *z)
{
  const adeis_net_hyper *hp = &r->net->hp;
  int Ci = (int)hp->channels, C = (int)hp->base, S = (int)hp->size, G = (int)hp->groups;
  int s1 = S * S, s2 = s1 / 4;
  double *semb = vec((size_t)hp->hidden);
  semb_of(r, semb, t, z);
  double *h0 = vec((size_t)(C * s1)), *h1 = vec((size_t)(C * s1)), *d1 = vec((size_t)(C * s2));
  double *h2 = vec((size_t)(2 * C * s2)), *d2 = vec((size_t)(2 * C * s2 / 4));
  double *m1 = vec((size_t)(2 * C * s2 / 4)), *m = vec((size_t)(2 * C * s2 / 4));
  double *up = vec((size_t)(2 * C * s1)), *cat = vec((size_t)(4 * C * s1));
  double *u2 = vec((size_t)(2 * C * s2)), *u1 = vec((size_t)(C * s1)), *g = vec((size_t)(C * s1));
  conv(r, "conv_in", h0, x, Ci, C, S, 3, 1);
  res(r, "down0.res", h1, h0, semb, C, C, S, G);
  conv(r, "down0.down", d1, h1, C, C, S, 3, 2);
  res(r, "down1.res", h2, d1, semb, C, 2 * C, S / 2, G);
  conv(r, "down1.down", d2, h2, 2 * C, 2 * C, S / 2, 3, 2);
  res(r, "mid.res1", m1, d2, semb, 2 * C, 2 * C, S / 4, G);
  res(r, "mid.res2", m, m1, semb, 2 * C, 2 * C, S / 4, G);
  up2(up, m, 2 * C, S / 4);
  conv(r, "up1.up", cat, up, 2 * C, 2 * C, S / 2, 3, 1);
  memcpy(cat + 2 * C * s2, h2, sizeof(double) * (size_t)(2 * C * s2));
  res(r, "up1.res", u2, cat, semb, 4 * C, 2 * C, S / 2, G);
  up2(up, u2, 2 * C, S / 2);
  conv(r, "up0.up", cat, up, 2 * C, 2 * C, S, 3, 1);
  memcpy(cat + 2 * C * s1, h1, sizeof(double) * (size_t)(C * s1));
  res(r, "up0.res", u1, cat, semb, 3 * C, C, S, G);
  gnorm(r, "gn_out", g, u1, C, S, G);
  silu_all(g, g, C * s1);
  conv(r, "conv_out", eps, g, C, Ci, S, 3, 1);
  double *bufs[] = {semb, h0, h1, d1, h2, d2, m1, m, up, cat, u2, u1, g};
  for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
    free(bufs[i]);
}

static void mlp_ref(const ref *r, double *eps, const double *x, double t, const double *z)
{
  const adeis_net_hyper *hp = &r->net->hp;
  int d = (int)hp->dim, W = (int)hp->width, H = (int)hp->hidden;
  double *semb = vec((size_t)H), *h = vec((size_t)W), *a = vec((size_t)W), *u = vec((size_t)W);
  double *b = vec((size_t)W);
  semb_of(r, semb, t, z);
  linear(r, "in", h, x, d, W);
  for (long k = 0; k < hp->depth; k++) {
    char m[64];
    silu_all(a, h, W);
    snprintf(m, sizeof m, "blocks.%ld.fc1", k);
    linear(r, m, u, a, W, W);
    snprintf(m, sizeof m, "blocks.%ld.emb", k);
    linear(r, m, b, semb, H, W);
    for (int i = 0; i < W; i++)
      a[i] = silu(u[i] + b[i]);
    snprintf(m, sizeof m, "blocks.%ld.fc2", k);
    linear(r, m, b, a, W, W);
    for (int i = 0; i < W; i++)
      h[i] += b[i];
  }
  silu_all(a, h, W);
  linear(r, "out", eps, a, W, d);
  free(semb);
  free(h);
  free(a);
  free(u);
  free(b);
}

static void compare(adeis_net_hyper hp, int unet)
{
  adeis_tbe be;
  adeis_tbe_init(&be, "double", 0);
  adeis_net *net;
  cr_assert_eq(adeis_net_create(&net, &hp, &be), 0);
  adeis_net_init_uniform(net, 17);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 4);
  for (size_t m = 0; m < net->nmodules; m++) /* group norms off (1, 0) */
    if (net->modules[m].kind == ADEIS_NET_GNORM) {
      size_t C = net->modules[m].out;
      nc_fill(&be, adeis_tat(&be, net->theta, net->modules[m].w), C, rng, 0.5, 1.5);
      nc_fill(&be, adeis_tat(&be, net->theta, net->modules[m].b), C, rng, -.5, .5);
    }
  size_t B = 3, d = net->dim, Z = net->cond_dim;
  double *x = vec(B * d), *z = vec(B * Z + 1), *y = vec(B * d), *yr = vec(d);
  nc_fill(&be, x, B * d, rng, -1.5, 1.5);
  nc_fill(&be, z, B * Z, rng, 0, 1);
  ref r = {net, net->theta};
  adeis_net_ws *ws = adeis_net_ws_alloc(net, B);
  mpfr_t t;
  mpfr_init2(t, 53);
  mpfr_set_d(t, 0.0625, MPFR_RNDN);
  cr_assert_eq(adeis_net_eval(net, ws, x, t, z, ADEIS_NET_EPS, y, NULL, NULL, NULL, NULL, NULL,
                              NULL), 0);
  double worst = 0, scale = 0;
  for (size_t n = 0; n < B; n++) {
    (unet ? unet_ref : mlp_ref)(&r, yr, x + n * d, 0.0625, z + n * Z);
    for (size_t i = 0; i < d; i++) {
      worst = fmax(worst, fabs(y[n * d + i] - yr[i]));
      scale = fmax(scale, fabs(yr[i]));
    }
  }
  nc_note("%s against the direct implementation: max diff %.3e = %.1f eps max|eps|\n",
          unet ? "unet" : "mlp", worst, worst / (scale * 0x1p-53));
  /* two double implementations with different summation orders: 64 eps max|eps| */
  cr_expect_leq(worst, 64 * 0x1p-53 * scale, "%g vs scale %g", worst, scale);
  cr_expect_gt(scale, 0.01);
  mpfr_clear(t);
  adeis_net_ws_free(ws);
  adeis_net_free(net);
  gsl_rng_free(rng);
  free(x);
  free(z);
  free(y);
  free(yr);
}

Test(nets_reference, unet_forward_matches_direct_implementation)
{
  compare((adeis_net_hyper){.arch = ADEIS_NET_UNET, .channels = 2, .size = 8, .base = 4,
                            .groups = 2, .emb_dim = 6, .hidden = 5, .cond_dim = 3}, 1);
  compare((adeis_net_hyper){.arch = ADEIS_NET_UNET, .channels = 1, .size = 12, .base = 6,
                            .groups = 3, .emb_dim = 4, .hidden = 4, .cond_dim = 0}, 1);
}

Test(nets_reference, mlp_forward_matches_direct_implementation)
{
  compare((adeis_net_hyper){.arch = ADEIS_NET_MLP, .dim = 4, .width = 7, .depth = 3,
                            .emb_dim = 8, .hidden = 5, .cond_dim = 2}, 0);
  /* deep: a workspace of more than a few hundred arrays */
  compare((adeis_net_hyper){.arch = ADEIS_NET_MLP, .dim = 2, .width = 3, .depth = 100,
                            .emb_dim = 2, .hidden = 2, .cond_dim = 1}, 0);
}

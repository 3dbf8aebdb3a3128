/* Network evaluation: one forward pass saving activations in the workspace, then one
 * backward pass from them (the VJPs of docs/networks.md). */
#include "layers.h"
#include "net.h"
#include "../core/status.h"

#include <stdlib.h>
#include <string.h>

/* Saved activations of one residual block. */
typedef struct res_save {
  const void *x;
  void *a1, *m1, *r1, *s1, *h1, *e, *a2, *m2, *r2, *s2, *out; /* a1, a2: adeis_gnorm_silu_fwd's
                                                                 `save` */
} res_save;

struct adeis_net_ws {
  const adeis_net *net;
  size_t batch;
  void **buf;         /* every allocation, to free */
  size_t *nbuf, count, cap;
  int failed;
  int counting;       /* only add up the sizes (adeis_net_ws_bytes) */
  double elements;
  /* shared by both architectures */
  void *e, *t1, *st1, *temb, *emb, *se, *zeros, *y;
  void *gse, *gtemb, *gst1;
  /* mlp */
  void **h, **sh, **u, **su;
  void *ga, *gb, *gh;
  /* unet */
  res_save res[6];
  void *h0, *d1, *d2, *upm, *cu1, *cat1, *upu, *cu0, *cat0, *go, *mo, *ro, *so;
  void *A, *B, *P, *Q, *tmp, *col, *ge, *gh1, *gh2;
};

static void *take(adeis_net_ws *ws, size_t n)
{
  static char placeholder;
  const adeis_tbe *be = &ws->net->be;
  ws->elements += (double)n;
  if (ws->counting)
    return &placeholder;
  if (ws->failed)
    return NULL;
  if (ws->count == ws->cap) {
    size_t cap = ws->cap ? 2 * ws->cap : 64;
    void **b = realloc(ws->buf, cap * sizeof *b);
    if (b)
      ws->buf = b;
    size_t *nb = b ? realloc(ws->nbuf, cap * sizeof *nb) : NULL;
    if (!nb) {
      ws->failed = 1;
      return NULL;
    }
    ws->nbuf = nb;
    ws->cap = cap;
  }
  void *p = be->ops->alloc(be, n);
  if (!p) {
    ws->failed = 1;
    return NULL;
  }
  ws->nbuf[ws->count] = n;
  ws->buf[ws->count++] = p;
  return p;
}

void adeis_net_ws_free(adeis_net_ws *ws)
{
  if (!ws)
    return;
  for (size_t i = 0; i < ws->count; i++)
    ws->net->be.ops->free(&ws->net->be, ws->buf[i], ws->nbuf[i]);
  free(ws->buf);
  free(ws->nbuf);
  free(ws->h);
  free(ws);
}

size_t adeis_net_ws_batch(const adeis_net_ws *ws) { return ws->batch; }

static void res_alloc(adeis_net_ws *ws, res_save *r, size_t cin, size_t cout, size_t hw, size_t g)
{
  size_t B = ws->batch;
  r->a1 = take(ws, B * cin * hw);
  r->m1 = take(ws, B * g);
  r->r1 = take(ws, B * g);
  r->s1 = take(ws, B * cin * hw);
  r->h1 = take(ws, B * cout * hw);
  r->e = take(ws, B * cout);
  r->a2 = take(ws, B * cout * hw);
  r->m2 = take(ws, B * g);
  r->r2 = take(ws, B * g);
  r->s2 = take(ws, B * cout * hw);
  r->out = take(ws, B * cout * hw);
}

static void unet_alloc(adeis_net_ws *ws)
{
  const adeis_net_hyper *hp = &ws->net->hp;
  size_t B = ws->batch, C = (size_t)hp->base, S = (size_t)hp->size, G = (size_t)hp->groups;
  size_t s1 = S * S, s2 = s1 / 4, s4 = s1 / 16, Ci = (size_t)hp->channels;
  size_t big = B * 3 * C * s1, cmax = 3 * C > Ci ? 3 * C : Ci;
  ws->h0 = take(ws, B * C * s1);
  res_alloc(ws, &ws->res[0], C, C, s1, G);
  ws->d1 = take(ws, B * C * s2);
  res_alloc(ws, &ws->res[1], C, 2 * C, s2, G);
  ws->d2 = take(ws, B * 2 * C * s4);
  res_alloc(ws, &ws->res[2], 2 * C, 2 * C, s4, G);
  res_alloc(ws, &ws->res[3], 2 * C, 2 * C, s4, G);
  ws->upm = take(ws, B * 2 * C * s2);
  ws->cu1 = take(ws, B * 2 * C * s2);
  ws->cat1 = take(ws, B * 4 * C * s2);
  res_alloc(ws, &ws->res[4], 4 * C, 2 * C, s2, G);
  ws->upu = take(ws, B * 2 * C * s1);
  ws->cu0 = take(ws, B * 2 * C * s1);
  ws->cat0 = take(ws, B * 3 * C * s1);
  res_alloc(ws, &ws->res[5], 3 * C, C, s1, G);
  ws->go = take(ws, B * C * s1);
  ws->mo = take(ws, B * G);
  ws->ro = take(ws, B * G);
  ws->so = take(ws, B * C * s1);
  ws->A = take(ws, big);
  ws->B = take(ws, big);
  ws->P = take(ws, big);
  ws->Q = take(ws, big);
  ws->tmp = take(ws, big);
  ws->col = take(ws, 9 * cmax * s1);
  ws->ge = take(ws, B * 2 * C);
  ws->gh1 = take(ws, B * C * s1);
  ws->gh2 = take(ws, B * 2 * C * s2);
}

static void mlp_alloc(adeis_net_ws *ws)
{
  size_t B = ws->batch, W = (size_t)ws->net->hp.width, D = (size_t)ws->net->hp.depth;
  ws->h = calloc(4 * (D + 1), sizeof *ws->h);
  if (!ws->h) {
    ws->failed = 1;
    return;
  }
  ws->sh = ws->h + (D + 1);
  ws->u = ws->sh + (D + 1);
  ws->su = ws->u + (D + 1);
  for (size_t k = 0; k <= D; k++) {
    ws->h[k] = take(ws, B * W);
    ws->sh[k] = take(ws, B * W);
    if (k < D) {
      ws->u[k] = take(ws, B * W);
      ws->su[k] = take(ws, B * W);
    }
  }
  ws->tmp = take(ws, B * W);
  ws->ga = take(ws, B * W);
  ws->gb = take(ws, B * W);
  ws->gh = take(ws, B * W);
}

static void ws_take_all(adeis_net_ws *ws)
{
  const adeis_net *net = ws->net;
  size_t B = ws->batch, E = (size_t)net->hp.emb_dim, H = (size_t)net->hp.hidden;
  ws->e = take(ws, E);
  ws->t1 = take(ws, H);
  ws->st1 = take(ws, H);
  ws->temb = take(ws, H);
  ws->emb = take(ws, B * H);
  ws->se = take(ws, B * H);
  ws->gse = take(ws, B * H);
  ws->gtemb = take(ws, H);
  ws->gst1 = take(ws, H);
  ws->zeros = take(ws, B * (net->cond_dim ? net->cond_dim : 1));
  ws->y = take(ws, B * net->dim);
  if (net->hp.arch == ADEIS_NET_MLP)
    mlp_alloc(ws);
  else
    unet_alloc(ws);
}

double adeis_net_ws_bytes(const adeis_net *net, size_t batch)
{
  adeis_net_ws ws = {.net = net, .batch = batch, .counting = 1};
  ws_take_all(&ws);
  free(ws.h);
  double per = (double)net->be.ops->esize;
  if (net->be.ops->fixed_prec == 0)
    per += 8.0 * (double)((net->be.prec + 63) / 64);
  return ws.elements * per;
}

adeis_net_ws *adeis_net_ws_alloc(const adeis_net *net, size_t batch)
{
  adeis_net_ws *ws = calloc(1, sizeof *ws);
  if (!ws)
    return NULL;
  ws->net = net;
  ws->batch = batch;
  ws_take_all(ws);
  if (ws->failed) {
    adeis_net_ws_free(ws);
    adeis_set_error("out of memory allocating a network workspace for batch %zu", batch);
    return NULL;
  }
  return ws;
}

/* ---- evaluation context ---- */

typedef struct ctx {
  const adeis_net *net;
  adeis_tbe_p be;
  adeis_net_ws *ws;
  size_t B;
  void *jtheta;       /* NULL: no parameter gradients */
  mpfr_srcptr st;     /* their scale */
  int emb_grad;       /* gradients flow into emb (z or theta wanted) */
} ctx;

static const void *W(const ctx *c, size_t m)
{
  return adeis_tcat(c->be, c->net->theta, c->net->modules[m].w);
}
static const void *Bi(const ctx *c, size_t m)
{
  return adeis_tcat(c->be, c->net->theta, c->net->modules[m].b);
}
static void *GW(const ctx *c, size_t m)
{
  return c->jtheta ? adeis_tat(c->be, c->jtheta, c->net->modules[m].w) : NULL;
}
static void *GB(const ctx *c, size_t m)
{
  return c->jtheta ? adeis_tat(c->be, c->jtheta, c->net->modules[m].b) : NULL;
}

static void linear(const ctx *c, size_t m, void *y, const void *x, size_t rows)
{
  const adeis_net_module *md = &c->net->modules[m];
  adeis_linear_fwd(c->be, y, x, W(c, m), Bi(c, m), rows, md->in, md->out);
}

static void linear_vjp(const ctx *c, size_t m, void *gx, int acc, const void *gy, const void *x,
                       size_t rows)
{
  const adeis_net_module *md = &c->net->modules[m];
  adeis_linear_vjp(c->be, gx, NULL, acc, GW(c, m), GB(c, m), c->st, gy, x, W(c, m), rows, md->in,
                   md->out);
}

/* emb = time.fc2(silu(time.fc1(e(t)))) + cond(z), se = silu(emb) */
static void emb_fwd(const ctx *c, mpfr_srcptr t, const void *z)
{
  adeis_net_ws *ws = c->ws;
  const adeis_net_layout *L = &c->net->lay;
  size_t H = (size_t)c->net->hp.hidden;
  adeis_time_embed(c->be, ws->e, t, (size_t)c->net->hp.emb_dim);
  linear(c, L->tfc1, ws->t1, ws->e, 1);
  c->be->ops->silu(c->be, ws->st1, ws->t1, H);
  linear(c, L->tfc2, ws->temb, ws->st1, 1);
  if (c->net->cond_dim)
    linear(c, L->cond, ws->emb, z, c->B);
  else
    c->be->ops->zero(c->be, ws->emb, c->B * H);
  c->be->ops->bias_add(c->be, ws->emb, ws->temb, 0, c->B, H, 1);
  c->be->ops->silu(c->be, ws->se, ws->emb, c->B * H);
}

/* from gse = d/d silu(emb): jz += sz d/dz, parameter gradients of cond and time */
static void emb_vjp(const ctx *c, const void *z, void *jz, mpfr_srcptr sz)
{
  adeis_net_ws *ws = c->ws;
  const adeis_net_layout *L = &c->net->lay;
  adeis_tbe_p be = c->be;
  size_t H = (size_t)c->net->hp.hidden;
  be->ops->silu_vjp(be, ws->gse, ws->emb, ws->gse, c->B * H, 0);
  if (c->net->cond_dim) {
    const adeis_net_module *md = &c->net->modules[L->cond];
    adeis_linear_vjp(be, jz, sz, 1, GW(c, L->cond), GB(c, L->cond), c->st, ws->gse, z,
                     W(c, L->cond), c->B, md->in, md->out);
  }
  if (!c->jtheta)
    return;
  be->ops->zero(be, ws->gtemb, H);
  be->ops->bias_grad(be, ws->gtemb, NULL, 0, ws->gse, c->B, H, 1);
  linear_vjp(c, L->tfc2, ws->gst1, 0, ws->gtemb, ws->st1, 1);
  be->ops->silu_vjp(be, ws->gst1, ws->t1, ws->gst1, H, 0);
  linear_vjp(c, L->tfc1, NULL, 0, ws->gst1, ws->e, 1);
}

/* ---- mlp ---- */

static void mlp_fwd(const ctx *c, const void *x)
{
  adeis_net_ws *ws = c->ws;
  adeis_tbe_p be = c->be;
  const adeis_net_layout *L = &c->net->lay;
  size_t B = c->B, Wd = (size_t)c->net->hp.width, D = (size_t)c->net->hp.depth;
  linear(c, L->in, ws->h[0], x, B);
  for (size_t k = 0; k < D; k++) {
    size_t m = L->blocks + 3 * k;
    be->ops->silu(be, ws->sh[k], ws->h[k], B * Wd);
    linear(c, m, ws->u[k], ws->sh[k], B);
    linear(c, m + 1, ws->tmp, ws->se, B);
    be->ops->axpy(be, ws->u[k], NULL, ws->tmp, B * Wd);
    be->ops->silu(be, ws->su[k], ws->u[k], B * Wd);
    linear(c, m + 2, ws->h[k + 1], ws->su[k], B);
    be->ops->axpy(be, ws->h[k + 1], NULL, ws->h[k], B * Wd);
  }
  be->ops->silu(be, ws->sh[D], ws->h[D], B * Wd);
  linear(c, L->out, ws->y, ws->sh[D], B);
}

static void mlp_vjp(const ctx *c, const void *x, const void *v, void *jx)
{
  adeis_net_ws *ws = c->ws;
  adeis_tbe_p be = c->be;
  const adeis_net_layout *L = &c->net->lay;
  size_t B = c->B, Wd = (size_t)c->net->hp.width, D = (size_t)c->net->hp.depth;
  linear_vjp(c, L->out, ws->ga, 0, v, ws->sh[D], B);
  be->ops->silu_vjp(be, ws->gh, ws->h[D], ws->ga, B * Wd, 0);
  for (size_t k = D; k-- > 0;) {
    size_t m = L->blocks + 3 * k;
    linear_vjp(c, m + 2, ws->ga, 0, ws->gh, ws->su[k], B);
    be->ops->silu_vjp(be, ws->ga, ws->u[k], ws->ga, B * Wd, 0);
    if (c->emb_grad)
      linear_vjp(c, m + 1, ws->gse, 1, ws->ga, ws->se, B);
    linear_vjp(c, m, ws->gb, 0, ws->ga, ws->sh[k], B);
    be->ops->silu_vjp(be, ws->gh, ws->h[k], ws->gb, B * Wd, 1);
  }
  linear_vjp(c, L->in, jx, 0, ws->gh, x, B);
}

/* ---- unet ---- */

typedef struct rdims {
  size_t cin, cout, s, G;
} rdims;

static void conv3(const ctx *c, size_t m, void *y, const void *x, size_t s, int stride)
{
  const adeis_net_module *md = &c->net->modules[m];
  adeis_conv3_fwd(c->be, y, x, W(c, m), Bi(c, m), c->ws->col, c->B, md->in, md->out, s, s, stride);
}

static void conv3_vjp(const ctx *c, size_t m, void *gx, int acc, const void *gy, const void *x,
                      size_t s, int stride)
{
  const adeis_net_module *md = &c->net->modules[m];
  adeis_conv3_vjp(c->be, gx, acc, GW(c, m), GB(c, m), c->st, gy, x, W(c, m), c->ws->col, c->B,
                  md->in, md->out, s, s, stride);
}

/* y = silu(group norm m of x); sv, mu, rs saved (adeis_gnorm_silu_fwd) */
static void gnorm_silu(const ctx *c, size_t m, void *y, void *sv, void *mu, void *rs,
                       const void *x, size_t s, size_t G)
{
  adeis_gnorm_silu_fwd(c->be, y, sv, mu, rs, x, W(c, m), Bi(c, m), c->B, c->net->modules[m].out,
                       s * s, G);
}

/* gx from gy = d/dy (gy is overwritten) */
static void gnorm_silu_vjp(const ctx *c, size_t m, void *gx, void *gy, const void *x,
                           const void *sv, const void *mu, const void *rs, size_t s, size_t G)
{
  adeis_gnorm_silu_vjp(c->be, gx, GW(c, m), GB(c, m), c->st, gy, x, sv, mu, rs, W(c, m), Bi(c, m),
                       c->B, c->net->modules[m].out, s * s, G);
}

static void res_fwd(const ctx *c, size_t m, res_save *r, const void *x, rdims d)
{
  adeis_tbe_p be = c->be;
  size_t B = c->B, hw = d.s * d.s, nout = B * d.cout * hw;
  r->x = x;
  gnorm_silu(c, m, r->s1, r->a1, r->m1, r->r1, x, d.s, d.G);
  conv3(c, m + 1, r->h1, r->s1, d.s, 1);
  linear(c, m + 2, r->e, c->ws->se, B);
  be->ops->bias_add(be, r->h1, r->e, d.cout, B, d.cout, hw);
  gnorm_silu(c, m + 3, r->s2, r->a2, r->m2, r->r2, r->h1, d.s, d.G);
  conv3(c, m + 4, r->out, r->s2, d.s, 1);
  if (d.cin != d.cout) {
    const adeis_net_module *md = &c->net->modules[m + 5];
    adeis_conv1_fwd(be, c->ws->tmp, x, W(c, m + 5), Bi(c, m + 5), B, md->in, md->out, hw);
    be->ops->axpy(be, r->out, NULL, c->ws->tmp, nout);
  } else {
    be->ops->axpy(be, r->out, NULL, x, nout);
  }
}

/* gx = d/dx of the block from gout (gx distinct from gout; ws->P, ws->Q scratch) */
static void res_vjp(const ctx *c, size_t m, const res_save *r, void *gx, const void *gout,
                    rdims d)
{
  adeis_net_ws *ws = c->ws;
  adeis_tbe_p be = c->be;
  size_t B = c->B, hw = d.s * d.s, nout = B * d.cout * hw;
  conv3_vjp(c, m + 4, ws->P, 0, gout, r->s2, d.s, 1);
  gnorm_silu_vjp(c, m + 3, ws->Q, ws->P, r->h1, r->a2, r->m2, r->r2, d.s, d.G);
  if (c->emb_grad) {
    be->ops->zero(be, ws->ge, B * d.cout);
    be->ops->bias_grad(be, ws->ge, NULL, d.cout, ws->Q, B, d.cout, hw);
    linear_vjp(c, m + 2, ws->gse, 1, ws->ge, ws->se, B);
  }
  conv3_vjp(c, m + 1, ws->P, 0, ws->Q, r->s1, d.s, 1);
  gnorm_silu_vjp(c, m, gx, ws->P, r->x, r->a1, r->m1, r->r1, d.s, d.G);
  if (d.cin != d.cout) {
    const adeis_net_module *md = &c->net->modules[m + 5];
    adeis_conv1_vjp(be, gx, 1, GW(c, m + 5), GB(c, m + 5), c->st, gout, r->x, W(c, m + 5), B,
                    md->in, md->out, hw);
  } else {
    be->ops->axpy(be, gx, NULL, gout, nout);
  }
}

static rdims res_dims(const adeis_net *net, int i)
{
  size_t C = (size_t)net->hp.base, S = (size_t)net->hp.size, G = (size_t)net->hp.groups;
  static const size_t cin[6] = {1, 1, 2, 2, 4, 3}, cout[6] = {1, 2, 2, 2, 2, 1};
  static const size_t div[6] = {1, 2, 4, 4, 2, 1};
  return (rdims){cin[i] * C, cout[i] * C, S / div[i], G};
}

static void unet_fwd(const ctx *c, const void *x)
{
  adeis_net_ws *ws = c->ws;
  adeis_tbe_p be = c->be;
  const adeis_net *net = c->net;
  const adeis_net_layout *L = &net->lay;
  size_t B = c->B, C = (size_t)net->hp.base, S = (size_t)net->hp.size, G = (size_t)net->hp.groups;
  res_save *R = ws->res;
  conv3(c, L->in, ws->h0, x, S, 1);
  res_fwd(c, L->res[0], &R[0], ws->h0, res_dims(net, 0));
  conv3(c, L->down[0], ws->d1, R[0].out, S, 2);
  res_fwd(c, L->res[1], &R[1], ws->d1, res_dims(net, 1));
  conv3(c, L->down[1], ws->d2, R[1].out, S / 2, 2);
  res_fwd(c, L->res[2], &R[2], ws->d2, res_dims(net, 2));
  res_fwd(c, L->res[3], &R[3], R[2].out, res_dims(net, 3));
  be->ops->up2(be, ws->upm, R[3].out, B * 2 * C, S / 4, S / 4);
  conv3(c, L->up[0], ws->cu1, ws->upm, S / 2, 1);
  adeis_concat_fwd(be, ws->cat1, ws->cu1, 2 * C, R[1].out, 2 * C, B, S * S / 4);
  res_fwd(c, L->res[4], &R[4], ws->cat1, res_dims(net, 4));
  be->ops->up2(be, ws->upu, R[4].out, B * 2 * C, S / 2, S / 2);
  conv3(c, L->up[1], ws->cu0, ws->upu, S, 1);
  adeis_concat_fwd(be, ws->cat0, ws->cu0, 2 * C, R[0].out, C, B, S * S);
  res_fwd(c, L->res[5], &R[5], ws->cat0, res_dims(net, 5));
  gnorm_silu(c, L->gn_out, ws->so, ws->go, ws->mo, ws->ro, R[5].out, S, G);
  conv3(c, L->out, ws->y, ws->so, S, 1);
}

static void unet_vjp(const ctx *c, const void *x, const void *v, void *jx)
{
  adeis_net_ws *ws = c->ws;
  adeis_tbe_p be = c->be;
  const adeis_net *net = c->net;
  const adeis_net_layout *L = &net->lay;
  size_t B = c->B, C = (size_t)net->hp.base, S = (size_t)net->hp.size, G = (size_t)net->hp.groups;
  const res_save *R = ws->res;
  void *A = ws->A, *Bf = ws->B;
  conv3_vjp(c, L->out, A, 0, v, ws->so, S, 1);
  gnorm_silu_vjp(c, L->gn_out, Bf, A, R[5].out, ws->go, ws->mo, ws->ro, S, G);
  res_vjp(c, L->res[5], &R[5], A, Bf, res_dims(net, 5));
  adeis_concat_vjp(be, Bf, 0, ws->gh1, 0, A, 2 * C, C, B, S * S);
  conv3_vjp(c, L->up[1], A, 0, Bf, ws->upu, S, 1);
  be->ops->up2_vjp(be, Bf, A, B * 2 * C, S / 2, S / 2, 0);
  res_vjp(c, L->res[4], &R[4], A, Bf, res_dims(net, 4));
  adeis_concat_vjp(be, Bf, 0, ws->gh2, 0, A, 2 * C, 2 * C, B, S * S / 4);
  conv3_vjp(c, L->up[0], A, 0, Bf, ws->upm, S / 2, 1);
  be->ops->up2_vjp(be, Bf, A, B * 2 * C, S / 4, S / 4, 0);
  res_vjp(c, L->res[3], &R[3], A, Bf, res_dims(net, 3));
  res_vjp(c, L->res[2], &R[2], Bf, A, res_dims(net, 2));
  conv3_vjp(c, L->down[1], ws->gh2, 1, Bf, R[1].out, S / 2, 2);
  res_vjp(c, L->res[1], &R[1], A, ws->gh2, res_dims(net, 1));
  conv3_vjp(c, L->down[0], ws->gh1, 1, A, R[0].out, S, 2);
  res_vjp(c, L->res[0], &R[0], A, ws->gh1, res_dims(net, 0));
  conv3_vjp(c, L->in, jx, 0, A, x, S, 1);
}

int adeis_net_eval(const adeis_net *net, adeis_net_ws *ws, const void *x, mpfr_srcptr t,
                   const void *z, unsigned want, void *eps, const void *v, void *jx, void *jz,
                   mpfr_srcptr sz, void *jtheta, mpfr_srcptr stheta)
{
  if (ws->net != net) {
    adeis_set_error("network workspace used with another network");
    return ADEIS_EINPUT;
  }
  ctx c = {.net = net, .be = &net->be, .ws = ws, .B = ws->batch};
  if (net->cond_dim && !z) {
    net->be.ops->zero(&net->be, ws->zeros, ws->batch * net->cond_dim);
    z = ws->zeros;
  }
  emb_fwd(&c, t, z);
  if (net->hp.arch == ADEIS_NET_MLP)
    mlp_fwd(&c, x);
  else
    unet_fwd(&c, x);
  if (want & ADEIS_NET_EPS)
    net->be.ops->copy(&net->be, eps, ws->y, ws->batch * net->dim);
  return adeis_net_vjp_saved(net, ws, x, z, want & ~(unsigned)ADEIS_NET_EPS, v, jx, jz, sz,
                             jtheta, stheta);
}

int adeis_net_vjp_saved(const adeis_net *net, adeis_net_ws *ws, const void *x, const void *z,
                        unsigned want, const void *v, void *jx, void *jz, mpfr_srcptr sz,
                        void *jtheta, mpfr_srcptr stheta)
{
  if (ws->net != net) {
    adeis_set_error("network workspace used with another network");
    return ADEIS_EINPUT;
  }
  ctx c = {.net = net, .be = &net->be, .ws = ws, .B = ws->batch};
  if (net->cond_dim && !z)
    z = ws->zeros;   /* zeroed by the forward pass that saw z = NULL */
  int wz = (want & ADEIS_NET_JZ) && net->cond_dim;
  if (!(want & (ADEIS_NET_JX | ADEIS_NET_JTHETA)) && !wz)
    return ADEIS_OK;
  c.jtheta = (want & ADEIS_NET_JTHETA) ? jtheta : NULL;
  c.st = stheta;
  c.emb_grad = wz || c.jtheta;
  void *gx = (want & ADEIS_NET_JX) ? jx : NULL;
  net->be.ops->zero(&net->be, ws->gse, ws->batch * (size_t)net->hp.hidden);
  if (net->hp.arch == ADEIS_NET_MLP)
    mlp_vjp(&c, x, v, gx);
  else
    unet_vjp(&c, x, v, gx);
  if (c.emb_grad)
    emb_vjp(&c, z, wz ? jz : NULL, sz);
  return ADEIS_OK;
}

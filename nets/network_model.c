/* A trained network as a model and a model type (network_model.h, docs/networks.md).
 *
 * The model's state is the batch x [B][dim] flattened; z [B][cond_dim] is fixed when the
 * model is built (a problem file's `z` or `class`); theta is the network's parameters in
 * canonical order (docs/networks.md), so jtheta [ntheta] is laid out as theta. One call of
 * adeis_net_eval gives eps and every VJP asked for: jx overwritten, jz and jtheta accumulated
 * with the scales sz and stheta (the network's own conventions are the model interface's). */
#include "network_model.h"
#include "safetensors.h"
#include "../core/status.h"
#ifdef ADEIS_HAVE_CUDA
#include "../gpu/cuda.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct netmodel {
  adeis_net *net;
  size_t B;
  void *z;          /* B * cond_dim elements of the table's type (NULL when cond_dim = 0) */
  int mpfr;         /* vectors are MPFR: go through the table's arrays */
} netmodel;

/* Scratch of one thread: the network's activations and, for MPFR vectors, the table arrays
 * the vectors are exported to and imported from. */
typedef struct netmodel_ws {
  adeis_net_ws *nws;
  void *x, *eps, *v, *jx, *jz, *jt;
} netmodel_ws;

static const netmodel *NM(const adeis_model *m) { return (const netmodel *)m->impl; }

int adeis_network_tbe(adeis_tbe *tbe, const adeis_backend *be)
{
  if (be->type->device) {   /* cuda-float, cuda-double: the tensor ops on device arrays */
#ifdef ADEIS_HAVE_CUDA
    int dbl = be->type->elem == ADEIS_ELEM_F64;
    tbe->ops = dbl ? &adeis_tops_cuda_double : &adeis_tops_cuda_float;
    tbe->prec = dbl ? 53 : 24;
    return ADEIS_OK;
#else
    adeis_set_error("network: no tensor ops for the device backend %s", be->type->name);
    return ADEIS_EINPUT;
#endif
  }
  switch (be->type->elem) {
  case ADEIS_ELEM_F32: return adeis_tbe_init(tbe, "float", 24);
  case ADEIS_ELEM_F64: return adeis_tbe_init(tbe, "double", 53);
  default: return adeis_tbe_init(tbe, "mpfr", be->prec);
  }
}

const adeis_net *adeis_network_model_net(const adeis_model *m) { return NM(m)->net; }

/* ---- workspace ---- */

static void ws_free(const adeis_model *m, void *p)
{
  netmodel_ws *w = p;
  if (!w)
    return;
  const adeis_net *net = NM(m)->net;
  const adeis_tbe *be = &net->be;
  size_t n = m->dim, nz = m->cond_dim;
  be->ops->free(be, w->x, n);
  be->ops->free(be, w->eps, n);
  be->ops->free(be, w->v, n);
  be->ops->free(be, w->jx, n);
  be->ops->free(be, w->jz, nz);
  be->ops->free(be, w->jt, net->ntheta);
  adeis_net_ws_free(w->nws);
  free(w);
}

static void *ws_alloc(const adeis_model *m)
{
  const netmodel *nm = NM(m);
  netmodel_ws *w = calloc(1, sizeof *w);
  if (!w)
    return NULL;
  w->nws = adeis_net_ws_alloc(nm->net, nm->B);
  int ok = w->nws != NULL;
  if (ok && nm->mpfr) {
    const adeis_tbe *be = &nm->net->be;
    size_t n = m->dim;
    w->x = be->ops->alloc(be, n);
    w->eps = be->ops->alloc(be, n);
    w->v = be->ops->alloc(be, n);
    w->jx = be->ops->alloc(be, n);
    w->jz = m->cond_dim ? be->ops->alloc(be, m->cond_dim) : NULL;
    w->jt = be->ops->alloc(be, nm->net->ntheta);
    ok = w->x && w->eps && w->v && w->jx && (w->jz || !m->cond_dim) && w->jt;
  }
  if (!ok) {
    ws_free(m, w);
    return NULL;
  }
  return w;
}

/* ---- evaluation ---- */

static unsigned net_want(const adeis_model *m, unsigned want)
{
  unsigned w = 0;
  if (want & ADEIS_WANT_EPS)
    w |= ADEIS_NET_EPS;
  if (want & ADEIS_WANT_JX)
    w |= ADEIS_NET_JX;
  if ((want & ADEIS_WANT_JZ) && m->cond_dim)
    w |= ADEIS_NET_JZ;
  if (want & ADEIS_WANT_JTHETA)
    w |= ADEIS_NET_JTHETA;
  return w;
}

/* the element array of a float or double vector: host memory, or device memory for the CUDA
 * backends (whose raw() is NULL) */
static void *raw(const adeis_vec *v)
{
  if (!v)
    return NULL;
#ifdef ADEIS_HAVE_CUDA
  if (v->be->type->device)
    return adeis_cuda_vec_device_ptr((adeis_vec *)v);
#endif
  return adeis_vec_raw((adeis_vec *)v);
}

/* float and double vectors (host or device): the network reads and writes their arrays */
static int eval_host(const adeis_model *m, netmodel_ws *w, const adeis_vec *x,
                     const adeis_tpoint *tp, const adeis_eval *io, unsigned want)
{
  const netmodel *nm = NM(m);
  return adeis_net_eval(nm->net, w->nws, raw(x), tp->t, nm->z, want, raw(io->eps), raw(io->v),
                        raw(io->jx), (want & ADEIS_NET_JZ) ? raw(io->jz) : NULL, io->sz,
                        raw(io->jtheta), io->stheta);
}

/* MPFR vectors: exported to the table's arrays at the same precision (exact), and back */
static int eval_mpfr(const adeis_model *m, netmodel_ws *w, const adeis_vec *x,
                     const adeis_tpoint *tp, const adeis_eval *io, unsigned want)
{
  const netmodel *nm = NM(m);
  size_t n = m->dim;
  adeis_vec_export_mpfr(x, 0, w->x, n);
  if (want & (ADEIS_NET_JX | ADEIS_NET_JZ | ADEIS_NET_JTHETA))
    adeis_vec_export_mpfr(io->v, 0, w->v, n);
  if (want & ADEIS_NET_JZ)
    adeis_vec_export_mpfr(io->jz, 0, w->jz, m->cond_dim);
  if (want & ADEIS_NET_JTHETA)
    adeis_vec_export_mpfr(io->jtheta, 0, w->jt, m->theta_dim);
  int rc = adeis_net_eval(nm->net, w->nws, w->x, tp->t, nm->z, want, w->eps, w->v, w->jx, w->jz,
                          io->sz, w->jt, io->stheta);
  if (rc)
    return rc;
  if (want & ADEIS_NET_EPS)
    adeis_vec_import_mpfr(io->eps, 0, w->eps, n);
  if (want & ADEIS_NET_JX)
    adeis_vec_import_mpfr(io->jx, 0, w->jx, n);
  if (want & ADEIS_NET_JZ)
    adeis_vec_import_mpfr(io->jz, 0, w->jz, m->cond_dim);
  if (want & ADEIS_NET_JTHETA)
    adeis_vec_import_mpfr(io->jtheta, 0, w->jt, m->theta_dim);
  return ADEIS_OK;
}

static int net_eval(const adeis_model *m, void *ws, const adeis_vec *x, const adeis_tpoint *tp,
                    const adeis_eval *io)
{
  unsigned want = net_want(m, io->want);
  if (!want)
    return ADEIS_OK;
  return NM(m)->mpfr ? eval_mpfr(m, ws, x, tp, io, want) : eval_host(m, ws, x, tp, io, want);
}

/* ---- construction ---- */

static void net_clear(adeis_model *m)
{
  netmodel *nm = m->impl;
  if (!nm)
    return;
  if (nm->z)
    nm->net->be.ops->free(&nm->net->be, nm->z, nm->B * nm->net->cond_dim);
  adeis_net_free(nm->net);
  free(nm);
  m->impl = NULL;
}

/* theta's blocks: the network's parameter tensors in canonical order */
static size_t net_theta_blocks(const adeis_model *m, size_t k, adeis_theta_block *out)
{
  const adeis_net *net = NM(m)->net;
  if (out && k < net->nparams) {
    const adeis_net_param *p = &net->params[k];
    out->name = p->name;
    out->ndim = p->ndim;
    memcpy(out->shape, p->shape, sizeof out->shape);
    out->offset = p->offset;
  }
  return net->nparams;
}

const adeis_model_ops adeis_network_ops = {
  .name = "network",
  .caps = 0,                 /* no flow, no exact gradients; eps reads t (time embedding) */
  .supports = NULL,          /* float, double and MPFR vectors */
  .ws_alloc = ws_alloc,
  .ws_free = ws_free,
  .eval = net_eval,
  .clear = net_clear,
  .theta_blocks = net_theta_blocks,
};

int adeis_network_model_init(adeis_model *m, const adeis_backend *be, adeis_net *net, size_t B,
                             const void *z)
{
  memset(m, 0, sizeof *m);
  adeis_tbe want;
  if (adeis_network_tbe(&want, be) || want.ops != net->be.ops || want.prec != net->be.prec) {
    adeis_set_error("network: a %s network at %ld bits cannot run on %s vectors at %ld bits",
                    net->be.ops->name, (long)net->be.prec, be->type->name, (long)be->prec);
    adeis_net_free(net);
    return ADEIS_EINPUT;
  }
  netmodel *nm = calloc(1, sizeof *nm);
  if (!nm) {
    adeis_net_free(net);
    return ADEIS_ENOMEM;
  }
  nm->net = net;
  nm->B = B;
  nm->mpfr = be->type->elem == ADEIS_ELEM_MPFR;
  m->ops = &adeis_network_ops;
  m->be = be;
  m->impl = nm;
  m->batch = B;
  m->dim = B * net->dim;
  m->cond_dim = B * net->cond_dim;
  m->theta_dim = net->ntheta;
  if (m->cond_dim) {
    nm->z = net->be.ops->alloc(&net->be, m->cond_dim);
    if (!nm->z) {
      adeis_model_clear(m);
      return ADEIS_ENOMEM;
    }
    if (z)
      net->be.ops->copy(&net->be, nm->z, z, m->cond_dim);
  }
  return ADEIS_OK;
}

/* ---- `type = network` in a problem file ---- */

enum { K_WEIGHTS, K_BATCH, K_Z, K_CLASS, K_ALLOW, K_COUNT };

static const adeis_key net_keys[K_COUNT] = {
  [K_WEIGHTS] = {"weights", ADEIS_KEY_PATH, 0, NULL},
  [K_BATCH] = {"batch", ADEIS_KEY_COUNT, 1, NULL},
  [K_Z] = {"z", ADEIS_KEY_LIST, 0, NULL},
  [K_CLASS] = {"class", ADEIS_KEY_COUNT, 0, NULL},
  [K_ALLOW] = {"allow_schedule_mismatch", ADEIS_KEY_WORD, 0, NULL},
};

/* The network's sizes from the weights file (the whole file is checked: a malformed one is
 * reported at the weights key). 0 on success. */
static int read_sizes(adeis_param_set *ps, size_t *dim, size_t *cond_dim)
{
  adeis_tbe tbe;
  adeis_net *net = NULL;
  adeis_tbe_init(&tbe, "double", 53);
  int rc = adeis_net_load(&net, ps->v[K_WEIGHTS].word, &tbe);
  if (rc) {
    adeis_param_fail(ps, ps->v[K_WEIGHTS].line, K_WEIGHTS, "%s", adeis_errmsg());
    return -1;
  }
  *dim = net->dim;
  *cond_dim = net->cond_dim;
  adeis_net_free(net);
  return 0;
}

static void check_allow(adeis_param_set *ps)
{
  const char *w = ps->v[K_ALLOW].word;
  if (ps->v[K_ALLOW].line && strcmp(w, "true") != 0 && strcmp(w, "false") != 0)
    adeis_param_fail(ps, ps->v[K_ALLOW].line, K_ALLOW, "expected true or false, got '%.40s'", w);
}

static void check_conditioning(adeis_param_set *ps, size_t B, size_t cond_dim)
{
  int z_line = ps->v[K_Z].line, c_line = ps->v[K_CLASS].line;
  if (z_line && c_line) {
    size_t later = z_line > c_line ? K_Z : K_CLASS;
    adeis_param_fail(ps, ps->v[later].line, later, "expected either problem.z or problem.class, "
                                                    "not both");
    return;
  }
  if (!cond_dim) {
    adeis_param_forbid(ps, K_Z, "the network has no conditioning (cond_dim = 0)");
    adeis_param_forbid(ps, K_CLASS, "the network has no conditioning (cond_dim = 0)");
    return;
  }
  if (c_line && ps->v[K_CLASS].u >= cond_dim)
    adeis_param_fail(ps, c_line, K_CLASS, "expected a class in 0..%zu (the network's cond_dim "
                                          "is %zu), got %lu", cond_dim - 1, cond_dim,
                     ps->v[K_CLASS].u);
  if (z_line)
    adeis_param_check_length(ps, K_Z, B * cond_dim);
}

static size_t net_check(adeis_param_set *ps)
{
  check_allow(ps);
  if (adeis_param_require(ps, K_WEIGHTS, "a weights file FILE.safetensors (relative to the "
                                         "problem file)"))
    return 0;
  size_t dim, cond_dim;
  if (read_sizes(ps, &dim, &cond_dim))
    return 0;
  if (adeis_param_require(ps, K_BATCH, "the number of samples, an integer in 1..100000000"))
    return 0;
  size_t B = ps->v[K_BATCH].u;
  if (dim > ADEIS_PROBLEM_MAX_DIM / B) {
    adeis_param_fail(ps, ps->v[K_BATCH].line, K_BATCH, "batch x %zu (the network's dimension) "
                     "exceeds %lu", dim, ADEIS_PROBLEM_MAX_DIM);
    return 0;
  }
  check_conditioning(ps, B, cond_dim);
  return B * dim;
}

static void net_check_schedule(adeis_param_set *ps, const char *schedule)
{
  if (!ps->v[K_WEIGHTS].line || (ps->v[K_ALLOW].line && strcmp(ps->v[K_ALLOW].word, "true") == 0))
    return;
  adeis_st_file *f = NULL;
  if (adeis_safetensors_open(&f, ps->v[K_WEIGHTS].word))
    return;   /* reported by net_check */
  const char *trained = adeis_safetensors_meta(f, "adeis.schedule");
  if (trained && strcmp(trained, schedule) != 0)
    adeis_param_fail(ps, ps->v[K_WEIGHTS].line, K_WEIGHTS,
                     "the weights were trained for schedule '%.60s', the [schedule] section "
                     "names '%.60s' (allow_schedule_mismatch = true uses them anyway)",
                     trained, schedule);
  adeis_safetensors_close(f);
}

/* z [B][cond_dim] in the table's type: problem.z, one-hot problem.class, or NULL (zeros) */
static int build_z(void **out, const adeis_net *net, const adeis_backend *be,
                   const adeis_param_set *ps, size_t B)
{
  *out = NULL;
  size_t n = B * net->cond_dim;
  if (!n || (!ps->v[K_Z].line && !ps->v[K_CLASS].line))
    return ADEIS_OK;
  adeis_vec *z = NULL;
  int rc = ps->v[K_Z].line ? adeis_param_vec(&z, ps, K_Z, be)
                           : (z = adeis_vec_alloc(be, n)) ? ADEIS_OK : ADEIS_ENOMEM;
  if (rc)
    return rc;
  if (!ps->v[K_Z].line)
    for (size_t b = 0; b < B; b++)
      adeis_vec_set_d(z, b * net->cond_dim + ps->v[K_CLASS].u, 1.0);
  void *a = net->be.ops->alloc(&net->be, n);
  if (!a) {
    adeis_vec_free(z);
    return ADEIS_ENOMEM;
  }
  if (be->type->elem == ADEIS_ELEM_MPFR)
    adeis_vec_export_mpfr(z, 0, a, n);
  else if (be->type->device)
    net->be.ops->copy(&net->be, a, raw(z), n);   /* device to device */
  else
    memcpy(a, adeis_vec_raw(z), n * net->be.ops->esize);
  adeis_vec_free(z);
  *out = a;
  return ADEIS_OK;
}

static int net_build(adeis_model *m, const adeis_backend *be, const adeis_param_set *ps)
{
  adeis_tbe tbe;
  adeis_net *net = NULL;
  memset(m, 0, sizeof *m);
  int rc = adeis_network_tbe(&tbe, be);
  if (!rc)
    rc = adeis_net_load(&net, ps->v[K_WEIGHTS].word, &tbe);
  if (rc)
    return rc;
  size_t B = ps->v[K_BATCH].u;
  void *z = NULL;
  rc = build_z(&z, net, be, ps, B);
  if (rc) {
    adeis_net_free(net);
    return rc;
  }
  size_t nz = B * net->cond_dim;
  adeis_tbe zt = net->be;   /* net is owned by the model from here on */
  rc = adeis_network_model_init(m, be, net, B, z);
  if (z)
    zt.ops->free(&zt, z, nz);
  return rc;
}

const adeis_model_type adeis_network_type = {
  .name = "network",
  .summary = "a trained noise predictor (mlp or unet) from a safetensors file, a batch of B "
             "samples; theta = every parameter",
  .keys = net_keys,
  .n_keys = K_COUNT,
  .check = net_check,
  .build = net_build,
  .check_schedule = net_check_schedule,
};

/* Networks: hyperparameters, modules and parameters in canonical order, construction,
 * deterministic initialisation. The evaluation is in net_eval.c. */
#include "net.h"
#include "../core/status.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *const mlp_names[] = {"dim", "width", "depth", "emb_dim", "hidden", "cond_dim",
                                        NULL};
static const char *const unet_names[] = {"channels", "size", "base", "groups", "emb_dim",
                                         "hidden", "cond_dim", NULL};

const char *const *adeis_net_hyper_names(adeis_net_arch arch)
{
  return arch == ADEIS_NET_MLP ? mlp_names : unet_names;
}

const char *adeis_net_arch_name(adeis_net_arch arch)
{
  return arch == ADEIS_NET_MLP ? "mlp" : "unet";
}

long *adeis_net_hyper_field(adeis_net_hyper *hp, const char *name)
{
  static const struct {
    const char *name;
    size_t off;
  } f[] = {{"dim", offsetof(adeis_net_hyper, dim)},
           {"width", offsetof(adeis_net_hyper, width)},
           {"depth", offsetof(adeis_net_hyper, depth)},
           {"channels", offsetof(adeis_net_hyper, channels)},
           {"size", offsetof(adeis_net_hyper, size)},
           {"base", offsetof(adeis_net_hyper, base)},
           {"groups", offsetof(adeis_net_hyper, groups)},
           {"emb_dim", offsetof(adeis_net_hyper, emb_dim)},
           {"hidden", offsetof(adeis_net_hyper, hidden)},
           {"cond_dim", offsetof(adeis_net_hyper, cond_dim)}};
  const char *const *names = adeis_net_hyper_names(hp->arch);
  for (size_t i = 0; names[i]; i++)
    if (strcmp(names[i], name) == 0)
      for (size_t j = 0; j < sizeof f / sizeof *f; j++)
        if (strcmp(f[j].name, name) == 0)
          return (long *)((char *)hp + f[j].off);
  return NULL;
}

static int check_range(const char *name, long v, long lo, long hi)
{
  if (v < lo || v > hi) {
    adeis_set_error("hyperparameter %s = %ld (expected an integer in %ld..%ld)", name, v, lo, hi);
    return ADEIS_EINPUT;
  }
  return ADEIS_OK;
}

int adeis_net_hyper_check(const adeis_net_hyper *hp)
{
  int rc = ADEIS_OK;
  if (hp->arch != ADEIS_NET_MLP && hp->arch != ADEIS_NET_UNET) {
    adeis_set_error("architecture %d (expected mlp or unet)", (int)hp->arch);
    return ADEIS_EINPUT;
  }
  if ((rc = check_range("emb_dim", hp->emb_dim, 2, 1 << 14)) ||
      (rc = check_range("hidden", hp->hidden, 1, 1 << 14)) ||
      (rc = check_range("cond_dim", hp->cond_dim, 0, 1 << 14)))
    return rc;
  if (hp->emb_dim % 2) {
    adeis_set_error("hyperparameter emb_dim = %ld (expected an even number)", hp->emb_dim);
    return ADEIS_EINPUT;
  }
  if (hp->arch == ADEIS_NET_MLP) {
    if ((rc = check_range("dim", hp->dim, 1, 1 << 20)) ||
        (rc = check_range("width", hp->width, 1, 1 << 14)) ||
        (rc = check_range("depth", hp->depth, 0, 256)))
      return rc;
    return ADEIS_OK;
  }
  if ((rc = check_range("channels", hp->channels, 1, 64)) ||
      (rc = check_range("size", hp->size, 4, 1024)) ||
      (rc = check_range("base", hp->base, 1, 1024)) ||
      (rc = check_range("groups", hp->groups, 1, hp->base)))
    return rc;
  if (hp->size % 4) {
    adeis_set_error("hyperparameter size = %ld (expected a multiple of 4)", hp->size);
    return ADEIS_EINPUT;
  }
  if (hp->base % hp->groups) {
    adeis_set_error("hyperparameter groups = %ld (expected a divisor of base = %ld)", hp->groups,
                    hp->base);
    return ADEIS_EINPUT;
  }
  return ADEIS_OK;
}

/* Module and parameter lists under construction. */
typedef struct builder {
  adeis_net_module *mods;
  adeis_net_param *params;
  size_t nmods, nparams, ntheta, cap;
  int failed;
} builder;

static void add_param(builder *b, const char *mod, const char *leaf, int ndim, const size_t *shape)
{
  adeis_net_param *p = &b->params[b->nparams++];
  snprintf(p->name, sizeof p->name, "%s.%s", mod, leaf);
  p->ndim = ndim;
  p->numel = 1;
  for (int i = 0; i < ndim; i++) {
    p->shape[i] = shape[i];
    p->numel *= shape[i];
  }
  p->offset = b->ntheta;
  b->ntheta += p->numel;
}

/* Appends module `name` (weight then bias); returns its index. */
static size_t add_module(builder *b, const char *name, int kind, size_t in, size_t out)
{
  if (b->nmods == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 32;
    adeis_net_module *m = realloc(b->mods, cap * sizeof *m);
    adeis_net_param *p = m ? realloc(b->params, 2 * cap * sizeof *p) : NULL;
    if (m)
      b->mods = m;
    if (!m || !p) {
      b->failed = 1;
      return 0;
    }
    b->params = p;
    b->cap = cap;
  }
  size_t k = kind == ADEIS_NET_CONV3 ? 3 : 1;
  size_t wshape[4] = {out, in, k, k}, bshape[1] = {out};
  adeis_net_module *m = &b->mods[b->nmods];
  m->kind = kind;
  m->in = in;
  m->out = out;
  m->w = b->ntheta;
  if (kind == ADEIS_NET_GNORM)
    add_param(b, name, "weight", 1, bshape);
  else
    add_param(b, name, "weight", kind == ADEIS_NET_LINEAR ? 2 : 4, wshape);
  m->b = b->ntheta;
  add_param(b, name, "bias", 1, bshape);
  return b->nmods++;
}

static size_t add_res(builder *b, const char *name, size_t cin, size_t cout, size_t hidden)
{
  char s[ADEIS_NET_NAME_MAX];
  snprintf(s, sizeof s, "%s.gn1", name);
  size_t first = add_module(b, s, ADEIS_NET_GNORM, cin, cin);
  snprintf(s, sizeof s, "%s.conv1", name);
  add_module(b, s, ADEIS_NET_CONV3, cin, cout);
  snprintf(s, sizeof s, "%s.emb", name);
  add_module(b, s, ADEIS_NET_LINEAR, hidden, cout);
  snprintf(s, sizeof s, "%s.gn2", name);
  add_module(b, s, ADEIS_NET_GNORM, cout, cout);
  snprintf(s, sizeof s, "%s.conv2", name);
  add_module(b, s, ADEIS_NET_CONV3, cout, cout);
  if (cin != cout) {
    snprintf(s, sizeof s, "%s.skip", name);
    add_module(b, s, ADEIS_NET_CONV1, cin, cout);
  }
  return first;
}

static void build_lists(builder *b, const adeis_net_hyper *hp, adeis_net_layout *lay)
{
  size_t E = (size_t)hp->emb_dim, H = (size_t)hp->hidden, Z = (size_t)hp->cond_dim;
  memset(lay, 0, sizeof *lay);
  lay->tfc1 = add_module(b, "time.fc1", ADEIS_NET_LINEAR, E, H);
  lay->tfc2 = add_module(b, "time.fc2", ADEIS_NET_LINEAR, H, H);
  if (Z)
    lay->cond = add_module(b, "cond", ADEIS_NET_LINEAR, Z, H);
  if (hp->arch == ADEIS_NET_MLP) {
    size_t d = (size_t)hp->dim, W = (size_t)hp->width;
    char s[ADEIS_NET_NAME_MAX];
    lay->in = add_module(b, "in", ADEIS_NET_LINEAR, d, W);
    lay->blocks = b->nmods;
    for (long k = 0; k < hp->depth; k++) {
      snprintf(s, sizeof s, "blocks.%ld.fc1", k);
      add_module(b, s, ADEIS_NET_LINEAR, W, W);
      snprintf(s, sizeof s, "blocks.%ld.emb", k);
      add_module(b, s, ADEIS_NET_LINEAR, H, W);
      snprintf(s, sizeof s, "blocks.%ld.fc2", k);
      add_module(b, s, ADEIS_NET_LINEAR, W, W);
    }
    lay->out = add_module(b, "out", ADEIS_NET_LINEAR, W, d);
    return;
  }
  size_t Ci = (size_t)hp->channels, C = (size_t)hp->base, G = (size_t)hp->groups;
  lay->in = add_module(b, "conv_in", ADEIS_NET_CONV3, Ci, C);
  lay->res[0] = add_res(b, "down0.res", C, C, H);
  lay->down[0] = add_module(b, "down0.down", ADEIS_NET_CONV3, C, C);
  lay->res[1] = add_res(b, "down1.res", C, 2 * C, H);
  lay->down[1] = add_module(b, "down1.down", ADEIS_NET_CONV3, 2 * C, 2 * C);
  lay->res[2] = add_res(b, "mid.res1", 2 * C, 2 * C, H);
  lay->res[3] = add_res(b, "mid.res2", 2 * C, 2 * C, H);
  lay->up[0] = add_module(b, "up1.up", ADEIS_NET_CONV3, 2 * C, 2 * C);
  lay->res[4] = add_res(b, "up1.res", 4 * C, 2 * C, H);
  lay->up[1] = add_module(b, "up0.up", ADEIS_NET_CONV3, 2 * C, 2 * C);
  lay->res[5] = add_res(b, "up0.res", 3 * C, C, H);
  lay->gn_out = add_module(b, "gn_out", ADEIS_NET_GNORM, C, C);
  lay->out = add_module(b, "conv_out", ADEIS_NET_CONV3, C, Ci);
  (void)G;
}

static int build(const adeis_net_hyper *hp, builder *b, adeis_net_layout *lay)
{
  int rc = adeis_net_hyper_check(hp);
  if (rc)
    return rc;
  memset(b, 0, sizeof *b);
  build_lists(b, hp, lay);
  if (b->failed) {
    free(b->mods);
    free(b->params);
    adeis_set_error("out of memory listing the network's parameters");
    return ADEIS_ENOMEM;
  }
  return ADEIS_OK;
}

int adeis_net_param_list(const adeis_net_hyper *hp, adeis_net_param **params, size_t *n,
                         size_t *ntheta)
{
  builder b;
  adeis_net_layout lay;
  int rc = build(hp, &b, &lay);
  if (rc)
    return rc;
  free(b.mods);
  *params = b.params;
  *n = b.nparams;
  *ntheta = b.ntheta;
  return ADEIS_OK;
}

int adeis_net_create(adeis_net **out, const adeis_net_hyper *hp, adeis_tbe_p be)
{
  *out = NULL;
  builder b;
  adeis_net *net = calloc(1, sizeof *net);
  if (!net) {
    adeis_set_error("out of memory allocating a network");
    return ADEIS_ENOMEM;
  }
  int rc = build(hp, &b, &net->lay);
  if (rc) {
    free(net);
    return rc;
  }
  net->be = *be;
  net->hp = *hp;
  net->params = b.params;
  net->nparams = b.nparams;
  net->modules = b.mods;
  net->nmodules = b.nmods;
  net->ntheta = b.ntheta;
  net->cond_dim = (size_t)hp->cond_dim;
  net->dim = hp->arch == ADEIS_NET_MLP ? (size_t)hp->dim
                                       : (size_t)(hp->channels * hp->size * hp->size);
  net->theta = be->ops->alloc(be, net->ntheta);
  if (!net->theta) {
    adeis_net_free(net);
    adeis_set_error("out of memory allocating %zu network parameters", b.ntheta);
    return ADEIS_ENOMEM;
  }
  *out = net;
  return ADEIS_OK;
}

void adeis_net_free(adeis_net *net)
{
  if (!net)
    return;
  if (net->theta)
    net->be.ops->free(&net->be, net->theta, net->ntheta);
  free(net->params);
  free(net->modules);
  free(net->schedule);
  free(net->trained);
  free(net);
}

void adeis_net_init_uniform(adeis_net *net, unsigned long seed)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  for (size_t m = 0; m < net->nmodules; m++) {
    const adeis_net_module *md = &net->modules[m];
    size_t k2 = md->kind == ADEIS_NET_CONV3 ? 9 : 1;
    size_t nw = md->kind == ADEIS_NET_GNORM ? md->out : md->out * md->in * k2;
    double bound = 1.0 / sqrt((double)(md->kind == ADEIS_NET_CONV3 ? 9 * md->in : md->in));
    /* one module's weight and bias stored with one from_double (one transfer for device
     * tables); element by element when the buffer cannot be had */
    double *buf = malloc((nw + md->out) * sizeof *buf);
    for (size_t i = 0; i < nw + md->out; i++) {
      double v;
      if (md->kind == ADEIS_NET_GNORM)
        v = i < nw ? 1.0 : 0.0;
      else
        v = (double)(float)(bound * (2.0 * gsl_rng_uniform(r) - 1.0));
      if (buf)
        buf[i] = v;
      else
        net->be.ops->from_double(&net->be, adeis_tat(&net->be, net->theta, md->w + i), &v, 1);
    }
    if (buf)
      net->be.ops->from_double(&net->be, adeis_tat(&net->be, net->theta, md->w), buf, nw + md->out);
    free(buf);
  }
  gsl_rng_free(r);
}

long adeis_net_param_find(const adeis_net *net, const char *name)
{
  for (size_t i = 0; i < net->nparams; i++)
    if (strcmp(net->params[i].name, name) == 0)
      return (long)i;
  return -1;
}

static int dup_str(char **dst, const char *src)
{
  if (!src)
    return ADEIS_OK;
  char *s = strdup(src);
  if (!s) {
    adeis_set_error("out of memory copying network metadata");
    return ADEIS_ENOMEM;
  }
  free(*dst);
  *dst = s;
  return ADEIS_OK;
}

int adeis_net_set_meta(adeis_net *net, const char *schedule, const char *trained)
{
  int rc = dup_str(&net->schedule, schedule);
  return rc ? rc : dup_str(&net->trained, trained);
}

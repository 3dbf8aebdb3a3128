/* Networks from and to safetensors files: metadata, names and shapes checked against the
 * architecture before anything is allocated. */
#include "net.h"
#include "safetensors.h"
#include "../core/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *shape_text(char *buf, size_t cap, int ndim, const size_t *shape)
{
  size_t k = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < ndim && k < cap; i++)
    k += (size_t)snprintf(buf + k, cap - k, i ? ", %zu" : "%zu", shape[i]);
  if (k < cap)
    snprintf(buf + k, cap - k, "]");
  return buf;
}

static int parse_decimal(const char *s, long *v)
{
  size_t n = strlen(s);
  if (n == 0 || n > 9)
    return 0;
  long r = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return 0;
    r = 10 * r + (s[i] - '0');
  }
  *v = r;
  return 1;
}

static int is_known_key(adeis_net_arch arch, const char *key)
{
  static const char *fixed[] = {"adeis.arch", "adeis.schedule", "adeis.trained"};
  for (size_t i = 0; i < 3; i++)
    if (strcmp(key, fixed[i]) == 0)
      return 1;
  const char *const *names = adeis_net_hyper_names(arch);
  for (size_t i = 0; names[i]; i++)
    if (strncmp(key, "adeis.", 6) == 0 && strcmp(key + 6, names[i]) == 0)
      return 1;
  return 0;
}

static int read_hyper(const adeis_st_file *f, adeis_net_hyper *hp)
{
  const char *path = f->path, *arch = adeis_safetensors_meta(f, "adeis.arch");
  memset(hp, 0, sizeof *hp);
  if (!arch) {
    adeis_set_error("%s: metadata adeis.arch missing (expected mlp or unet)", path);
    return ADEIS_EINPUT;
  }
  if (strcmp(arch, "mlp") == 0)
    hp->arch = ADEIS_NET_MLP;
  else if (strcmp(arch, "unet") == 0)
    hp->arch = ADEIS_NET_UNET;
  else {
    adeis_set_error("%s: metadata adeis.arch = '%.40s' (expected mlp or unet)", path, arch);
    return ADEIS_EINPUT;
  }
  const char *const *names = adeis_net_hyper_names(hp->arch);
  for (size_t i = 0; names[i]; i++) {
    char key[64];
    snprintf(key, sizeof key, "adeis.%s", names[i]);
    const char *s = adeis_safetensors_meta(f, key);
    if (!s || !parse_decimal(s, adeis_net_hyper_field(hp, names[i]))) {
      adeis_set_error("%s: metadata %s %s%.40s%s (expected a decimal integer, arch %s)", path, key,
                      s ? "= '" : "missing", s ? s : "", s ? "'" : "", arch);
      return ADEIS_EINPUT;
    }
  }
  for (size_t i = 0; i < f->nmeta; i++)
    if (strncmp(f->meta_keys[i], "adeis.", 6) == 0 && !is_known_key(hp->arch, f->meta_keys[i])) {
      adeis_set_error("%s: metadata key '%.60s' unknown for arch %s (expected adeis.arch, "
                      "adeis.schedule, adeis.trained and the hyperparameters)", path,
                      f->meta_keys[i], arch);
      return ADEIS_EINPUT;
    }
  if (!adeis_safetensors_meta(f, "adeis.schedule")) {
    adeis_set_error("%s: metadata adeis.schedule missing (expected the schedule the network was "
                    "trained for)", path);
    return ADEIS_EINPUT;
  }
  int rc = adeis_net_hyper_check(hp);
  if (rc) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", adeis_errmsg());
    adeis_set_error("%s: metadata: %s", path, msg);
  }
  return rc;
}

/* Every parameter present with its shape and finite values; no other tensor. */
static int check_tensors(const adeis_st_file *f, const adeis_net_param *p, size_t np,
                         const char *arch)
{
  char a[200], b[200];
  for (size_t i = 0; i < np; i++) {
    const adeis_st_tensor *t = adeis_safetensors_find(f, p[i].name);
    if (!t) {
      adeis_set_error("%s: tensor '%s' missing (expected F32 or F64 of shape %s for arch %s)",
                      f->path, p[i].name, shape_text(a, sizeof a, p[i].ndim, p[i].shape), arch);
      return ADEIS_EINPUT;
    }
    int same = t->ndim == p[i].ndim;
    for (int d = 0; same && d < t->ndim; d++)
      same = t->shape[d] == p[i].shape[d];
    if (!same) {
      adeis_set_error("%s: tensor '%s' has shape %s (expected %s for arch %s)", f->path,
                      p[i].name, shape_text(a, sizeof a, t->ndim, t->shape),
                      shape_text(b, sizeof b, p[i].ndim, p[i].shape), arch);
      return ADEIS_EINPUT;
    }
    for (size_t k = 0; k < t->numel; k++)
      if (!isfinite(adeis_st_get(t, k))) {
        adeis_set_error("%s: tensor '%s' element %zu is not finite (expected finite weights)",
                        f->path, p[i].name, k);
        return ADEIS_EINPUT;
      }
  }
  for (size_t j = 0; j < f->ntensors; j++) {
    size_t i = 0;
    while (i < np && strcmp(p[i].name, f->tensors[j].name) != 0)
      i++;
    if (i == np) {
      adeis_set_error("%s: tensor '%.80s' unexpected (not a parameter of arch %s)", f->path,
                      f->tensors[j].name, arch);
      return ADEIS_EINPUT;
    }
  }
  return ADEIS_OK;
}

int adeis_net_from_safetensors(adeis_net **out, const adeis_st_file *f, adeis_tbe_p be)
{
  *out = NULL;
  adeis_net_hyper hp;
  int rc = read_hyper(f, &hp);
  if (rc)
    return rc;
  adeis_net_param *p;
  size_t np, nt;
  if ((rc = adeis_net_param_list(&hp, &p, &np, &nt)))
    return rc;
  rc = check_tensors(f, p, np, adeis_net_arch_name(hp.arch));
  free(p);
  if (rc)
    return rc;
  adeis_net *net;
  if ((rc = adeis_net_create(&net, &hp, be)))
    return rc;
  for (size_t i = 0; i < net->nparams; i++) {
    const adeis_st_tensor *t = adeis_safetensors_find(f, net->params[i].name);
    /* one tensor stored with one from_double (one transfer for device tables) */
    double *buf = malloc((t->numel ? t->numel : 1) * sizeof *buf);
    for (size_t k = 0; k < t->numel; k++) {
      double v = adeis_st_get(t, k);
      if (buf)
        buf[k] = v;
      else
        be->ops->from_double(be, adeis_tat(be, net->theta, net->params[i].offset + k), &v, 1);
    }
    if (buf)
      be->ops->from_double(be, adeis_tat(be, net->theta, net->params[i].offset), buf, t->numel);
    free(buf);
  }
  rc = adeis_net_set_meta(net, adeis_safetensors_meta(f, "adeis.schedule"),
                          adeis_safetensors_meta(f, "adeis.trained"));
  if (rc) {
    adeis_net_free(net);
    return rc;
  }
  *out = net;
  return ADEIS_OK;
}

int adeis_net_load(adeis_net **out, const char *path, adeis_tbe_p be)
{
  adeis_st_file *f;
  int rc = adeis_safetensors_open(&f, path);
  if (rc)
    return rc;
  rc = adeis_net_from_safetensors(out, f, be);
  adeis_safetensors_close(f);
  return rc;
}

int adeis_net_save(const adeis_net *net, const char *path, int f64)
{
  if (!net->schedule) {
    adeis_set_error("%s: the network has no schedule (expected one for adeis.schedule)", path);
    return ADEIS_EINPUT;
  }
  size_t np = net->nparams, nm = 0;
  const char **names = calloc(np, sizeof *names);
  int *ndims = calloc(np, sizeof *ndims);
  const size_t **shapes = calloc(np, sizeof *shapes);
  adeis_st_dtype *dt = calloc(np, sizeof *dt);
  const void **data = calloc(np, sizeof *data);
  double *all = malloc((net->ntheta ? net->ntheta : 1) * sizeof *all);
  float *allf = f64 ? NULL : malloc((net->ntheta ? net->ntheta : 1) * sizeof *allf);
  char vals[16][32], keybuf[16][40];
  const char *keys[16], *mv[16];
  int rc = ADEIS_ENOMEM;
  if (!names || !ndims || !shapes || !dt || !data || !all || (!f64 && !allf)) {
    adeis_set_error("%s: out of memory saving a network", path);
    goto out;
  }
  net->be.ops->to_double(&net->be, all, net->theta, net->ntheta);
  for (size_t i = 0; !f64 && i < net->ntheta; i++)
    allf[i] = (float)all[i];
  for (size_t i = 0; i < np; i++) {
    const adeis_net_param *p = &net->params[i];
    names[i] = p->name;
    ndims[i] = p->ndim;
    shapes[i] = p->shape;
    dt[i] = f64 ? ADEIS_ST_F64 : ADEIS_ST_F32;
    data[i] = f64 ? (const void *)(all + p->offset) : (const void *)(allf + p->offset);
  }
  keys[nm] = "adeis.arch";
  mv[nm++] = adeis_net_arch_name(net->hp.arch);
  const char *const *hn = adeis_net_hyper_names(net->hp.arch);
  adeis_net_hyper hp = net->hp;
  for (size_t i = 0; hn[i]; i++, nm++) {
    snprintf(keybuf[nm], sizeof keybuf[nm], "adeis.%s", hn[i]);
    snprintf(vals[nm], sizeof vals[nm], "%ld", *adeis_net_hyper_field(&hp, hn[i]));
    keys[nm] = keybuf[nm];
    mv[nm] = vals[nm];
  }
  keys[nm] = "adeis.schedule";
  mv[nm++] = net->schedule;
  if (net->trained) {
    keys[nm] = "adeis.trained";
    mv[nm++] = net->trained;
  }
  rc = adeis_safetensors_write(path, np, names, ndims, (const size_t *const *)shapes, dt,
                               (const void *const *)data, nm, keys, mv);
out:
  free(names);
  free(ndims);
  free(shapes);
  free(dt);
  free(data);
  free(all);
  free(allf);
  return rc;
}

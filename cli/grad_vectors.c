/* adeis grad --vectors FILE.safetensors, and vector printing (grad_vectors.h). */
#include <stdio.h> /* before mpfr.h, for mpfr_fprintf */

#include "grad_vectors.h"
#include "../core/status.h"
#include "../nets/safetensors.h"

#include <stdlib.h>
#include <string.h>

double cli_norm(const adeis_vec *v)
{
  mpfr_t r;
  mpfr_init2(r, 64);
  adeis_vec_dot2(r, v, v);   /* printed to 17 digits: dot2's 2^-100 is plenty */
  mpfr_sqrt(r, r, MPFR_RNDN);
  double d = mpfr_get_d(r, MPFR_RNDN);
  mpfr_clear(r);
  return d;
}

void cli_json_numbers(FILE *out, const adeis_vec *v, int digits)
{
  const double *d = adeis_vec_double_cdata(v);
  fputc('[', out);
  if (d) { /* double storage: the C library prints the same correctly rounded digits */
    for (size_t i = 0; i < v->n; i++)
      fprintf(out, "%s\"%.*e\"", i ? ", " : "", digits - 1, d[i]);
  } else {
    mpfr_t x;
    mpfr_init2(x, v->be->prec);
    for (size_t i = 0; i < v->n; i++) {
      adeis_vec_get(x, v, i);
      mpfr_fprintf(out, "%s\"%.*Re\"", i ? ", " : "", digits - 1, x);
    }
    mpfr_clear(x);
  }
  fputc(']', out);
}

/* v's values as doubles (allocated), or NULL when out of memory */
static double *to_doubles(const adeis_vec *v)
{
  double *a = malloc((v->n ? v->n : 1) * sizeof *a);
  if (!a)
    return NULL;
  const double *d = adeis_vec_double_cdata(v);
  if (d)
    memcpy(a, d, v->n * sizeof *a);
  else
    for (size_t i = 0; i < v->n; i++)
      a[i] = adeis_vec_get_d(v, i);
  return a;
}

/* The tensors to write; the data point into `owned` (one array of doubles per vector). */
typedef struct tensor_list {
  size_t n, cap, nowned;
  char **names;
  int *ndims;
  size_t (*shape_store)[4];
  const size_t **shapes;
  adeis_st_dtype *dtypes;
  const void **data;
  double *owned[3 * ADEIS_Q_COUNT];
} tensor_list;

static int grow(tensor_list *t)
{
  if (t->n < t->cap)
    return ADEIS_OK;
  size_t cap = t->cap ? 2 * t->cap : 16;
  char **names = realloc(t->names, cap * sizeof *names);
  if (names)
    t->names = names;
  int *ndims = names ? realloc(t->ndims, cap * sizeof *ndims) : NULL;
  if (ndims)
    t->ndims = ndims;
  size_t(*ss)[4] = ndims ? realloc(t->shape_store, cap * sizeof *ss) : NULL;
  if (ss)
    t->shape_store = ss;
  adeis_st_dtype *dt = ss ? realloc(t->dtypes, cap * sizeof *dt) : NULL;
  if (dt)
    t->dtypes = dt;
  const void **data = dt ? realloc(t->data, cap * sizeof *data) : NULL;
  if (data)
    t->data = data;
  const size_t **shapes = data ? realloc(t->shapes, cap * sizeof *shapes) : NULL;
  if (!shapes)
    return ADEIS_ENOMEM;
  t->shapes = shapes;
  t->cap = cap;
  return ADEIS_OK;
}

/* one tensor NAME of ndim dims over data (owned by the list's vectors) */
static int push(tensor_list *t, const char *name, int ndim, const size_t *shape,
                const double *data)
{
  if (grow(t))
    return ADEIS_ENOMEM;
  size_t k = t->n;
  t->names[k] = strdup(name);
  if (!t->names[k])
    return ADEIS_ENOMEM;
  t->ndims[k] = ndim;
  for (int i = 0; i < 4; i++)
    t->shape_store[k][i] = i < ndim ? shape[i] : 0;
  t->dtypes[k] = ADEIS_ST_F64;
  t->data[k] = data;
  t->n++;
  return ADEIS_OK;
}

/* theta of a model with parameter blocks: PREFIX.theta.NAME per block, in its own shape */
static int push_theta_blocks(tensor_list *t, const char *prefix, const adeis_model *m,
                             const double *theta, size_t n)
{
  size_t nb = m->ops->theta_blocks(m, 0, NULL);
  for (size_t b = 0; b < nb; b++) {
    adeis_theta_block blk;
    m->ops->theta_blocks(m, b, &blk);
    size_t numel = 1;
    for (int i = 0; i < blk.ndim; i++)
      numel *= blk.shape[i];
    if (blk.ndim < 1 || blk.ndim > 4 || blk.offset > n || numel > n - blk.offset) {
      adeis_set_error("theta block %s out of range", blk.name);
      return ADEIS_ENUMERIC;
    }
    char name[160];
    snprintf(name, sizeof name, "%s.theta.%s", prefix, blk.name);
    int rc = push(t, name, blk.ndim, blk.shape, theta + blk.offset);
    if (rc)
      return rc;
  }
  return ADEIS_OK;
}

/* PREFIX.QUANTITY shaped [B, n/B] for x_T and z (B = 1 for one sample); theta one tensor [n],
 * or PREFIX.theta.NAME per block of a model with blocks (adeis_model_ops.theta_blocks) */
static int add_tensor(tensor_list *t, const char *prefix, int q, const adeis_vec *v,
                      const adeis_model *m)
{
  if (!v || v->n == 0)
    return ADEIS_OK;
  double *d = to_doubles(v);
  if (!d)
    return ADEIS_ENOMEM;
  t->owned[t->nowned++] = d;
  if (q == ADEIS_Q_THETA && m->ops->theta_blocks)
    return push_theta_blocks(t, prefix, m, d, v->n);
  size_t batch = m->batch > 1 ? m->batch : 1;
  char name[64];
  snprintf(name, sizeof name, "%s.%s", prefix, adeis_quantity_names[q]);
  int batched = q != ADEIS_Q_THETA && v->n % batch == 0;
  size_t shape[2] = {batched ? batch : v->n, batched ? v->n / batch : 0};
  return push(t, name, batched ? 2 : 1, shape, d);
}

static void tensor_list_free(tensor_list *t)
{
  for (size_t k = 0; k < t->n; k++)
    free(t->names[k]);
  for (size_t k = 0; k < t->nowned; k++)
    free(t->owned[k]);
  free(t->names), free(t->ndims), free(t->shape_store), free(t->shapes), free(t->dtypes);
  free(t->data);
}

int cli_write_vectors(const char *path, const adeis_problem *pb, const adeis_grad_request *rq,
                      const adeis_grad_result *res)
{
  tensor_list t;
  memset(&t, 0, sizeof t);
  const adeis_model *m = &pb->model;
  int rc = ADEIS_OK;
  for (int q = 0; q < ADEIS_Q_COUNT && !rc; q++) {
    rc = add_tensor(&t, "grad", q, res->grad[q], m);
    if (!rc)
      rc = add_tensor(&t, "exact", q, res->exact[q], m);
    if (!rc)
      rc = add_tensor(&t, "reference", q, res->reference[q], m);
  }
  for (size_t k = 0; k < t.n; k++)
    t.shapes[k] = t.shape_store[k]; /* after the last realloc */
  char steps[32], prec[32];
  snprintf(steps, sizeof steps, "%zu", rq->steps);
  snprintf(prec, sizeof prec, "%ld", rq->precision);
  const char *keys[] = {"adeis.method", "adeis.steps", "adeis.precision", "adeis.grid",
                        "adeis.state", "adeis.sde"};
  const char *vals[] = {rq->method, steps, prec, adeis_grid_name(rq->grid),
                        adeis_state_name(rq->state), rq->sde ? "true" : "false"};
  if (!rc)
    rc = adeis_safetensors_write(path, t.n, (const char *const *)t.names, t.ndims, t.shapes,
                                 t.dtypes, t.data, sizeof keys / sizeof *keys, keys, vals);
  else if (rc == ADEIS_ENOMEM)
    adeis_set_error("%s: out of memory for the vectors", path);
  tensor_list_free(&t);
  return rc;
}

/* adeis grad --vectors FILE.safetensors, and vector printing (grad_vectors.h). */
#include <stdio.h> /* before mpfr.h, for mpfr_fprintf */

#include "grad_vectors.h"
#include "../core/status.h"
#include "../nets/safetensors.h"

#include <stdlib.h>
#include <string.h>

#define N_TENSORS (3 * ADEIS_Q_COUNT)

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

typedef struct tensor_list {
  size_t n;
  char *names[N_TENSORS];
  int ndims[N_TENSORS];
  size_t shape_store[N_TENSORS][2];
  const size_t *shapes[N_TENSORS];
  adeis_st_dtype dtypes[N_TENSORS];
  const void *data[N_TENSORS];
  double *owned[N_TENSORS];
} tensor_list;

/* PREFIX.QUANTITY shaped [B, n/B] for x_T and z (B = 1 for one sample), [n] for theta */
static int add_tensor(tensor_list *t, const char *prefix, int q, const adeis_vec *v, size_t batch)
{
  if (!v || v->n == 0)
    return ADEIS_OK;
  size_t k = t->n;
  char name[64];
  snprintf(name, sizeof name, "%s.%s", prefix, adeis_quantity_names[q]);
  t->names[k] = strdup(name);
  t->owned[k] = to_doubles(v);
  if (!t->names[k] || !t->owned[k]) {
    free(t->names[k]);
    free(t->owned[k]);
    return ADEIS_ENOMEM;
  }
  int batched = q != ADEIS_Q_THETA && v->n % batch == 0;
  t->ndims[k] = batched ? 2 : 1;
  t->shape_store[k][0] = batched ? batch : v->n;
  t->shape_store[k][1] = batched ? v->n / batch : 0;
  t->shapes[k] = t->shape_store[k];
  t->dtypes[k] = ADEIS_ST_F64;
  t->data[k] = t->owned[k];
  t->n++;
  return ADEIS_OK;
}

int cli_write_vectors(const char *path, const adeis_problem *pb, const adeis_grad_request *rq,
                      const adeis_grad_result *res)
{
  tensor_list t;
  memset(&t, 0, sizeof t);
  size_t batch = pb->model.batch > 1 ? pb->model.batch : 1;
  int rc = ADEIS_OK;
  for (int q = 0; q < ADEIS_Q_COUNT && !rc; q++) {
    rc = add_tensor(&t, "grad", q, res->grad[q], batch);
    if (!rc)
      rc = add_tensor(&t, "exact", q, res->exact[q], batch);
    if (!rc)
      rc = add_tensor(&t, "reference", q, res->reference[q], batch);
  }
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
  else
    adeis_set_error("%s: out of memory for the vectors", path);
  for (size_t k = 0; k < t.n; k++) {
    free(t.names[k]);
    free(t.owned[k]);
  }
  return rc;
}

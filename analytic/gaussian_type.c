/* `type = gaussian` in a problem file (docs/problem-files.md): its keys, their checks and
 * the model built from them (analytic/gaussian.h). */
#include "gaussian.h"
#include "../core/model_type.h"
#include "../core/status.h"

#include <stdio.h>
#include <stdlib.h>

enum { G_DIM, G_MEAN, G_VAR, G_COND_DIM, G_W, G_Z, G_ROTATION_SEED, G_COUNT };

static const adeis_key gaussian_keys[G_COUNT] = {
  [G_DIM] = {"dim", ADEIS_KEY_COUNT, 1, NULL},
  [G_MEAN] = {"mean", ADEIS_KEY_LIST, 0, NULL},
  [G_VAR] = {"var", ADEIS_KEY_LIST, 0, "a positive variance"},
  [G_COND_DIM] = {"cond_dim", ADEIS_KEY_COUNT, 0, NULL},
  [G_W] = {"W", ADEIS_KEY_LIST, 0, NULL},
  [G_Z] = {"z", ADEIS_KEY_LIST, 0, NULL},
  [G_ROTATION_SEED] = {"rotation_seed", ADEIS_KEY_SEED, 0, NULL},
};

static size_t gaussian_check(adeis_param_set *ps)
{
  if (adeis_param_require(ps, G_DIM, "an integer in 1..100000000"))
    return 0;
  size_t dim = ps->v[G_DIM].u, cond_dim = ps->v[G_COND_DIM].u;
  adeis_param_check_list(ps, G_MEAN, dim, "numbers");
  adeis_param_check_list(ps, G_VAR, dim, "positive numbers");
  if (cond_dim == 0) {
    adeis_param_forbid(ps, G_W, "given without problem.cond_dim >= 1");
    adeis_param_forbid(ps, G_Z, "given without problem.cond_dim >= 1");
    return dim;
  }
  if ((size_t)-1 / cond_dim < dim) {
    adeis_param_fail(ps, ps->v[G_COND_DIM].line, G_COND_DIM, "dim x cond_dim is too large");
    return dim;
  }
  char what[96];
  snprintf(what, sizeof what, "numbers (a %zu x %zu matrix, row by row)", dim, cond_dim);
  adeis_param_check_list(ps, G_W, dim * cond_dim, what);
  adeis_param_check_list(ps, G_Z, cond_dim, "numbers");
  return dim;
}

/* W's columns: numbers j, j + cond_dim, ... of the row-major list */
static int build_columns(adeis_vec **cols, const adeis_param_set *ps, size_t dim,
                         size_t cond_dim, const adeis_backend *be)
{
  char label[96];
  adeis_param_label(ps, G_W, label, sizeof label);
  int rc = ADEIS_OK;
  for (size_t j = 0; j < cond_dim && !rc; j++)
    rc = adeis_numlist_slice_vec(cols + j, &ps->v[G_W].list, j, cond_dim, dim, be, ps->path,
                                 label);
  return rc;
}

/* The vectors go in by bulk import (docs/problem-files.md, numbers); z stays MPFR scalars. */
static int gaussian_build(adeis_model *m, const adeis_backend *be, const adeis_param_set *ps)
{
  size_t dim = ps->v[G_DIM].u, cond_dim = ps->v[G_COND_DIM].u;
  adeis_vec *mean = NULL, *var = NULL;
  adeis_vec **cols = cond_dim ? calloc(cond_dim, sizeof *cols) : NULL;
  adeis_numbers z = {0};
  int rc = cond_dim && !cols ? ADEIS_ENOMEM : ADEIS_OK;
  if (rc)
    adeis_set_error("out of memory reading %zu columns of problem.W", cond_dim);
  if (!rc)
    rc = adeis_param_vec(&mean, ps, G_MEAN, be);
  if (!rc)
    rc = adeis_param_vec(&var, ps, G_VAR, be);
  if (!rc)
    rc = build_columns(cols, ps, dim, cond_dim, be);
  if (!rc)
    rc = adeis_param_numbers(&z, ps, G_Z, be);
  if (!rc)
    rc = adeis_gaussian_init_vecs(m, be, dim, cond_dim, mean, var,
                                  (const adeis_vec *const *)cols, cond_dim ? z.p : NULL,
                                  ps->v[G_ROTATION_SEED].u);
  for (size_t j = 0; cols && j < cond_dim; j++)
    adeis_vec_free(cols[j]);
  free(cols);
  adeis_vec_free(mean);
  adeis_vec_free(var);
  adeis_numbers_clear(&z);
  return rc;
}

const adeis_model_type adeis_gaussian_type = {
  .name = "gaussian",
  .summary = "N(m + W z, Q diag(var) Q^T), closed-form flow and exact gradients",
  .keys = gaussian_keys,
  .n_keys = G_COUNT,
  .check = gaussian_check,
  .build = gaussian_build,
};

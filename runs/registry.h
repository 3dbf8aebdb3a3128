/* The registries of model types and losses: what `[problem] type = NAME` and
 * `[loss] type = NAME` may name. One line per entry in runs/registry.c. */
#ifndef ADEIS_REGISTRY_H
#define ADEIS_REGISTRY_H

#include "../core/model_type.h"

/* A loss L(x_0) of a problem file's [loss] section; its `target` has the dimension of x. */
struct adeis_loss_type {
  const char *name;
  const char *summary;            /* one line for `adeis list` */
  /* G = grad L at x0 */
  void (*grad)(adeis_vec *G, const adeis_vec *x0, const adeis_vec *target);
};
typedef struct adeis_loss_type adeis_loss_type;

/* NULL-terminated, in the order `adeis list` shows them. */
extern const adeis_model_type *const adeis_model_types[];
extern const adeis_loss_type *const adeis_loss_types[];

/* The entry called name, NULL for none. */
const adeis_model_type *adeis_model_type_lookup(const char *name);
const adeis_loss_type *adeis_loss_type_lookup(const char *name);

/* "a, b, c": the names of a registry, for messages (buf of n bytes; returns buf). */
const char *adeis_model_type_names(char *buf, size_t n);
const char *adeis_loss_type_names(char *buf, size_t n);

/* L = |x_0 - target|^2 / 2 */
extern const adeis_loss_type adeis_loss_quadratic;

#endif

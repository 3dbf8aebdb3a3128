/* The registries (registry.h): one line per model type and one per loss. */
#include "registry.h"

#include <stdio.h>
#include <string.h>

/* One line per entry (each ends with a backslash, so adding one is adding one line). */
#define MODEL_TYPES(X)                                                                           \
  X(adeis_gaussian_type)                                                                         \
  X(adeis_gmm_type)                                                                              \
  X(adeis_network_type)                                                                          \
  /* end of the model types */

#define LOSS_TYPES(X)                                                                            \
  X(adeis_loss_quadratic)                                                                        \
  /* end of the losses */

#define DECLARE_MODEL(t) extern const adeis_model_type t;
#define DECLARE_LOSS(t) extern const adeis_loss_type t;
#define ENTRY(t) &t,
MODEL_TYPES(DECLARE_MODEL)
LOSS_TYPES(DECLARE_LOSS)

const adeis_model_type *const adeis_model_types[] = {MODEL_TYPES(ENTRY) NULL};
const adeis_loss_type *const adeis_loss_types[] = {LOSS_TYPES(ENTRY) NULL};

const adeis_model_type *adeis_model_type_lookup(const char *name)
{
  for (size_t i = 0; adeis_model_types[i]; i++)
    if (strcmp(adeis_model_types[i]->name, name) == 0)
      return adeis_model_types[i];
  return NULL;
}

const adeis_loss_type *adeis_loss_type_lookup(const char *name)
{
  for (size_t i = 0; adeis_loss_types[i]; i++)
    if (strcmp(adeis_loss_types[i]->name, name) == 0)
      return adeis_loss_types[i];
  return NULL;
}

#define NAMES(buf, n, table)                                                                     \
  do {                                                                                           \
    (buf)[0] = '\0';                                                                             \
    for (size_t i_ = 0; (table)[i_]; i_++) {                                                     \
      size_t len_ = strlen(buf);                                                                 \
      snprintf((buf) + len_, (n) - len_, "%s%s", i_ ? ", " : "", (table)[i_]->name);             \
    }                                                                                            \
  } while (0)

const char *adeis_model_type_names(char *buf, size_t n)
{
  NAMES(buf, n, adeis_model_types);
  return buf;
}

const char *adeis_loss_type_names(char *buf, size_t n)
{
  NAMES(buf, n, adeis_loss_types);
  return buf;
}

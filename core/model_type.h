/* A model type: what `type = NAME` in a problem file's [problem] section means
 * (docs/problem-files.md). The registry (runs/registry.c) holds one line per type; a new
 * model is one file defining an adeis_model_type plus that line.
 *
 * The problem-file parser reads each key of `keys` as its kind declares (params.h), then
 * calls check once every key is read, and build for each working precision. */
#ifndef ADEIS_MODEL_TYPE_H
#define ADEIS_MODEL_TYPE_H

#include "model.h"
#include "params.h"

typedef struct adeis_model_type {
  const char *name;
  const char *summary;               /* one line for `adeis list` */
  const adeis_key *keys;             /* the [problem] keys besides `type` */
  size_t n_keys;
  /* Whole-section checks (adeis_param_fail and friends report "FILE:LINE: problem.key:
   * what"); returns the dimension of x, 0 when it is not known (a missing or bad `dim`). */
  size_t (*check)(adeis_param_set *ps);
  /* The model at backend be (which outlives it). Returns 0, or ADEIS_EINPUT / ADEIS_ENOMEM
   * with adeis_errmsg() set; the model is released by adeis_model_clear. */
  int (*build)(adeis_model *m, const adeis_backend *be, const adeis_param_set *ps);
  /* Optional (NULL: any schedule fits): checks the section against the name of the
   * [schedule] section's schedule, after check (a network's weights name the schedule they
   * were trained for); reports like check. */
  void (*check_schedule)(adeis_param_set *ps, const char *schedule);
} adeis_model_type;

#endif

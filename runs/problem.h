/* Problem files (INI, docs/problem-files.md): parsing with file:line: key diagnostics,
 * then building the model, schedule, loss and start at a working precision.
 * The [problem] section belongs to the model type named by its `type` key (the registry,
 * runs/registry.h); [schedule], [loss] and [start] are read here. Numbers are kept as text
 * and parsed at the run's precision, so `0.1` is 0.1 correctly rounded at whatever
 * precision the problem is built at; any list may instead be `@FILE` (.f64 or .npy). */
#ifndef ADEIS_PROBLEM_H
#define ADEIS_PROBLEM_H

#include "../core/model_type.h"
#include "../core/schedule.h"
#include <stddef.h>
#include <stdint.h>

typedef struct adeis_loss_type adeis_loss_type;

typedef struct adeis_problem_spec {
  char *path;
  const adeis_model_type *type;
  adeis_param_set model;          /* the [problem] keys of the type */
  size_t dim;                     /* dimension of x (from the type's check) */
  const adeis_schedule_type *schedule;
  char *T, *t_end;                /* decimal text, NULL = schedule default */
  int T_line, t_end_line, schedule_line;
  const adeis_loss_type *loss;
  adeis_numlist target;
  adeis_numlist x_T;              /* n = 0 when x_T is drawn from start.seed */
  unsigned long x_T_seed;
  int has_x_T_seed;
  unsigned long noise_seed;
  size_t ref_max_steps;           /* [reference] max_steps, 0 when absent */
  long ref_guard_bits;            /* [reference] guard_bits (when has_ref_guard_bits) */
  int has_ref_guard_bits;
} adeis_problem_spec;

/* Parse and validate a problem file. Returns 0, or ADEIS_EINPUT with
 * adeis_errmsg() = "FILE:LINE: KEY: what was expected". */
int adeis_problem_load(const char *path, adeis_problem_spec *spec);
void adeis_problem_spec_clear(adeis_problem_spec *spec);

/* Fold into h the bytes of every file the problem file (its text, NUL-terminated) names: the
 * vector files of `key = @FILE` lines and the files of the model type's path keys (a
 * network's weights). A problem naming no file leaves h as it was. 0, or -1 when one of them
 * cannot be read. Caches and study points fingerprint a problem by its bytes and these. */
int adeis_problem_named_files_hash(const adeis_problem_spec *spec, const char *text,
                                   uint64_t h[2]);

/* The value of the model key name ([problem] section), NULL when the type has no such key. */
const adeis_param *adeis_problem_param(const adeis_problem_spec *spec, const char *name);

/* A problem built at one precision: everything a gradient run needs. */
typedef struct adeis_problem {
  adeis_backend be;
  adeis_schedule sched;
  adeis_model model;
  adeis_vec *x_T;
  const adeis_loss_type *loss;    /* NULL: quadratic */
  adeis_vec *target;              /* the loss's target */
  unsigned long noise_seed;
} adeis_problem;

/* Build at precision prec (53 = double backend). Returns 0, ADEIS_EINPUT or ADEIS_ENOMEM. */
int adeis_problem_build(const adeis_problem_spec *spec, long prec, adeis_problem *pb);
/* Build on the backend called `backend` (core/backend.h's registry: double, float, mpfr) at
 * storage precision prec (0: the backend's default); backend NULL is adeis_problem_build. */
int adeis_problem_build_on(const adeis_problem_spec *spec, const char *backend, long prec,
                           adeis_problem *pb);
void adeis_problem_clear(adeis_problem *pb);

/* grad L at x_0 (G = x_0 - target for the quadratic loss). */
void adeis_problem_loss_grad(const adeis_problem *pb, adeis_vec *G, const adeis_vec *x0);

#endif

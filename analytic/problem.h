/* Problem files (INI, docs/problem-files.md): parsing with file:line: key diagnostics,
 * then building the model, schedule, loss and start at a working precision.
 * Numbers are kept as text and parsed at the run's precision, so `0.1` is 0.1
 * correctly rounded at whatever precision the problem is built at. */
#ifndef ADEIS_PROBLEM_H
#define ADEIS_PROBLEM_H

#include "../core/model.h"
#include "../core/schedule.h"
#include <stddef.h>

#define ADEIS_PROBLEM_MAX_DIM 100000000UL

/* A list of numbers as written in the file. */
typedef struct adeis_numlist {
  size_t n;
  char **text;       /* n decimal strings */
  int line;          /* line of the key, 0 when absent */
} adeis_numlist;

typedef struct adeis_problem_spec {
  char *path;
  char *type;                     /* "gaussian" */
  size_t dim, cond_dim;           /* cond_dim 0 = none */
  adeis_numlist mean, var, W, z;
  unsigned long rotation_seed;
  const adeis_schedule_type *schedule;
  char *T, *t_end;                /* decimal text, NULL = schedule default */
  char *loss;                     /* "quadratic" */
  adeis_numlist target;
  adeis_numlist x_T;              /* n = 0 when x_T is drawn from start.seed */
  unsigned long x_T_seed;
  int has_x_T_seed;
  unsigned long noise_seed;
} adeis_problem_spec;

/* Parse and validate a problem file. Returns 0, or ADEIS_EINPUT with
 * adeis_errmsg() = "FILE:LINE: KEY: what was expected". */
int adeis_problem_load(const char *path, adeis_problem_spec *spec);
void adeis_problem_spec_clear(adeis_problem_spec *spec);

/* A problem built at one precision: everything a gradient run needs. */
typedef struct adeis_problem {
  adeis_backend be;
  adeis_schedule sched;
  adeis_model model;
  adeis_vec *x_T;
  adeis_vec *target;              /* quadratic loss L = |x_0 - target|^2 / 2 */
  unsigned long noise_seed;
} adeis_problem;

/* Build at precision prec (53 = double backend). Returns 0, ADEIS_EINPUT or ADEIS_ENOMEM. */
int adeis_problem_build(const adeis_problem_spec *spec, long prec, adeis_problem *pb);
void adeis_problem_clear(adeis_problem *pb);

/* grad L at x_0 (G = x_0 - target for the quadratic loss). */
void adeis_problem_loss_grad(const adeis_problem *pb, adeis_vec *G, const adeis_vec *x0);

#endif

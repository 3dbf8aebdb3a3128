/* Study files (INI, docs/studies.md): which problems, methods, grids, state modes,
 * precisions and step counts a convergence study sweeps, and the order check's tolerance.
 * Errors read "FILE:LINE: section.key: what was expected" (ADEIS_EINPUT). */
#ifndef ADEIS_STUDY_H
#define ADEIS_STUDY_H

#include "../runs/problem.h"
#include "../runs/grad.h"

#include <stddef.h>

#define ADEIS_STUDY_NAME_MAX 100
#define ADEIS_STUDY_ORDER_MAX 20
#define ADEIS_STUDY_TOL_DEFAULT 0.1
#define ADEIS_STUDY_FILE_MAX (16UL << 20)   /* longest study file read, in bytes */

typedef struct adeis_study_problem {
  char *path;                 /* as opened: relative to the study file's folder, or absolute */
  char *file;                 /* its base name, e.g. "gaussian-3d.ini" */
  char *name;                 /* the base name without ".ini", e.g. "gaussian-3d" */
  adeis_problem_spec spec;
} adeis_study_problem;

#define ADEIS_STUDY_LABEL_MAX 80

/* A method line: NAME, or NAME@VARIANT where VARIANT is a state mode (oracle, cached,
 * backsolve) used for this method instead of the study's, or a storage policy of a dto-*
 * method (all, checkpoint-S, reversible). The label is what results print as the method. */
typedef struct adeis_study_method {
  const adeis_method *method;
  long expected;              /* the order the check expects */
  int line;
  char label[ADEIS_STUDY_LABEL_MAX];
  int state;                  /* a state mode for this method, or -1: the study's */
  adeis_store store;
} adeis_study_method;

/* A [check] line "expect WORDS = ORDER [TOLERANCE]": the series matching every word (a
 * problem, method, grid, state, precision or quantity of the study) are checked against
 * ORDER instead of their method's order (docs/studies.md). */
enum { ADEIS_STUDY_DIM_PROBLEM, ADEIS_STUDY_DIM_METHOD, ADEIS_STUDY_DIM_GRID,
       ADEIS_STUDY_DIM_STATE, ADEIS_STUDY_DIM_PRECISION, ADEIS_STUDY_DIM_QUANTITY,
       ADEIS_STUDY_DIM_COUNT };

typedef struct adeis_study_expect {
  long index[ADEIS_STUDY_DIM_COUNT];  /* index into the study's list (quantity: ADEIS_Q_*), -1 = any */
  double order, tolerance;
  int line;
} adeis_study_expect;

typedef struct adeis_study {
  char *path;                 /* the study file */
  char *text;                 /* its bytes as read (once: a pipe cannot be read again) */
  size_t text_len;
  char *name;
  size_t n_problems;
  adeis_study_problem *problems;
  size_t n_methods;
  adeis_study_method *methods;  /* in study-file order */
  size_t n_grids;
  adeis_grid_kind *grids;
  size_t n_states;
  adeis_state_mode *states;
  size_t n_precisions;
  long *precisions;
  size_t n_steps;
  size_t *steps;              /* strictly increasing */
  size_t n_quantities;
  int quantities[ADEIS_Q_COUNT];  /* ADEIS_Q_* in study-file order */
  int sde;
  const char *backend;        /* [study] backend (a registry name), NULL: by precision */
  double tolerance;           /* [check] tolerance on |fitted - expected| */
  /* [study] truth = FILE (docs/studies.md, "Model against solver"): a second problem whose
   * exact (or reference) gradient is the truth the study's one problem is measured against;
   * NULL: none. Its error rows carry the problem name truth_name ("vs-" + its name). */
  adeis_study_problem *truth;
  char *truth_name;
  size_t reference_steps;     /* [study] reference_steps: bound on the references' finest
                               * level (truth studies only); 0: the default */
  size_t n_expects;
  adeis_study_expect *expects;  /* [check] expect lines, in file order */
} adeis_study;

/* Read a study file once (s->text: the runner copies these bytes, so a pipe works),
 * parse and validate it and load its problem files.
 * Returns 0, ADEIS_EINPUT (adeis_errmsg() = "FILE:LINE: section.key: ...") or ADEIS_ENOMEM.
 * s is always safe to clear afterwards. */
int adeis_study_load(const char *path, adeis_study *s);
void adeis_study_clear(adeis_study *s);

/* The state mode method runs with at the study's state index: its own variant, if any. */
adeis_state_mode adeis_study_state(const adeis_study *s, size_t method, size_t state);

/* The order a series (indices into the study's lists, quantity ADEIS_Q_*) is checked
 * against and the tolerance: those of the last [check] expect line matching it, else its
 * method's order and check.tolerance. */
void adeis_study_expectation(const adeis_study *s, const size_t index[ADEIS_STUDY_DIM_COUNT],
                             double *order, double *tolerance);

#endif

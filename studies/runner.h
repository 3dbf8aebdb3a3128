/* The study runner (docs/studies.md): sweeps problem x method x grid x state x precision x
 * steps, one adeis_grad_compute per point (all quantities at once), in parallel (OpenMP),
 * each point written atomically to DIR/points/ as it completes (resume), then assembles
 * DIR/errors.csv and DIR/orders.csv, copies the study and problem files into DIR and
 * renders the tables and figures (plots/report.h).
 *
 * Output is independent of the thread count except the `seconds` column of freshly
 * computed points; a resumed run reuses the stored rows verbatim. */
#ifndef ADEIS_RUNNER_H
#define ADEIS_RUNNER_H

#include "orders.h"
#include "study.h"

#include <stddef.h>

#define ADEIS_ERRORS_HEADER \
  "problem,method,grid,state,precision,sde,steps,quantity,rel_error,nfe,nvjp,seconds"
#define ADEIS_ORDERS_HEADER                                                                 \
  "problem,method,grid,state,precision,sde,quantity,expected,fitted,stderr,status,used," \
  "pairwise,excluded"

/* The most shards a study may be split into (--shard K/N, --shards N). */
#define ADEIS_MAX_SHARDS 100000

typedef struct adeis_run_opts {
  const char *dir;   /* output folder; NULL = results/<study name> */
  int threads;       /* 0 = every core (omp_get_num_procs) */
  int quiet;         /* no progress line */
  int force;         /* recompute every point (not with collect), and replace the folder's
                        study.ini when it differs from the study run */
  int latex;         /* also the cairolatex figure */
  int render;        /* write tables and figures (adeis_report_render) */
  size_t shard;      /* with n_shards > 0 and !collect: compute only shard `shard` */
  size_t n_shards;   /* 0: the whole study; else the shard count (adeis_points_shard) */
  int collect;       /* compute nothing: assemble the results once every point exists */
} adeis_run_opts;

void adeis_run_opts_init(adeis_run_opts *o);

/* One orders.csv row: a series (problem, method, grid, state, precision: indices into the
 * study) and quantity (ADEIS_Q_*), with its fit over the study's steps. */
typedef struct adeis_order_row {
  size_t problem, method, grid, state, precision;
  int quantity;
  adeis_order_fit fit;
  int ok;            /* used >= 3 and |fitted - expected| <= tolerance (of the row:
                      * adeis_order_row_expectation) */
} adeis_order_row;

typedef struct adeis_study_outcome {
  char *dir;                 /* the output folder used */
  size_t n_points, computed, reused;   /* of the shard when sharded */
  /* collect: points without a valid file; nothing was written when n_missing > 0 */
  size_t n_missing;
  size_t n_shards;           /* the shard count they are named by: --shards, else the one
                                the folder's shard runs marked (files.h); 0 when unknown */
  size_t n_shard_counts;     /* without --shards: how many shard counts the folder's shard
                                runs marked (more than one: ambiguous, n_shards = 0) */
  size_t *missing_shards;    /* with n_shards: the shards they belong to, increasing */
  size_t n_missing_shards;
  char first_missing[512];   /* the first missing point (adeis_point_describe) */
  double wall_seconds;
  size_t n_orders;
  adeis_order_row *orders;   /* in orders.csv order */
} adeis_study_outcome;

/* Run a loaded study: all of it, one shard (points only: no errors.csv, orders.csv, tables
 * or figures), or collect (no point computed; n_missing > 0 when some are missing).
 * The folder is locked (files.h, adeis_dir_lock) for the whole run: shared for a shard,
 * exclusive otherwise. Its study.ini is written first; a folder whose study.ini differs from
 * the study's file is refused unless force.
 * Returns 0, ADEIS_EINPUT (unwritable folder, I/O error: the message names the path; the
 * folder is in use; it holds another study), ADEIS_ENUMERIC (a point failed: the message names
 * it) or ADEIS_ENOMEM. out is always safe to clear afterwards. */
int adeis_study_run(const adeis_study *s, const adeis_run_opts *o, adeis_study_outcome *out);
void adeis_study_outcome_clear(adeis_study_outcome *out);

/* Prepare the folder for a sharded run without computing: create it, take the shared lock,
 * claim it with study.ini (refused when it holds another study, unless o->force), then
 * release the lock. *dir receives the folder used (allocated). Returns like adeis_study_run. */
int adeis_study_prepare(const adeis_study *s, const adeis_run_opts *o, char **dir);

/* The fixed assignment of points to n shards (n >= 1): the points sorted by step count,
 * largest first, ties in canonical order (points.h), dealt round-robin, so the point of rank
 * r belongs to shard r mod n. shard_of[i] receives point i's shard. Returns 0 or ADEIS_ENOMEM. */
int adeis_points_shard(const adeis_study *s, size_t n, size_t *shard_of);

/* The order row r is checked against and its tolerance: the method's order and
 * check.tolerance, or those of the study's last matching expect line (adeis_study_expectation). */
void adeis_order_row_expectation(const adeis_study *s, const adeis_order_row *r,
                                 double *expected, double *tolerance);

/* The greppable check line of one row, without a newline:
 * "ok   STUDY PROBLEM METHOD GRID STATE PREC QUANTITY fitted F expected E tol T used U". */
void adeis_study_check_line(const adeis_study *s, const adeis_order_row *r, char *buf,
                            size_t n);

/* Render the tables and figures of a study folder (plots/report.h). */
int adeis_study_render(const char *dir, int latex);

#endif

/* Study reports: tables and gnuplot figures from a study folder's errors.csv and
 * orders.csv (docs/design.md, Outputs; docs/figures.md for the figures' rules and restyling).
 *
 * Pipeline: adeis_report_read (CSV -> rows) -> adeis_report_series_build (rows grouped per
 * series and quantity, labelled) -> writers (table.md, table.tex, .dat, .gp) ->
 * adeis_report_gnuplot_run. adeis_report_render does all of it for one folder. */
#ifndef ADEIS_REPORT_H
#define ADEIS_REPORT_H

#include <stddef.h>
#include <stdio.h>

/* ---- rows as read from the CSV files ---- */

typedef enum adeis_report_quantity {
  ADEIS_REPORT_X_T,   /* "x_T":   dL/dx_T */
  ADEIS_REPORT_Z,     /* "z":     dL/dz */
  ADEIS_REPORT_THETA, /* "theta": dL/dtheta */
  ADEIS_REPORT_N_QUANTITIES
} adeis_report_quantity;

/* "x_T", "z", "theta". */
const char *adeis_report_quantity_name(adeis_report_quantity q);

/* One series is one combination of these fields (strings point into adeis_report_results). */
typedef struct adeis_report_key {
  const char *problem, *method, *grid, *state;
  long precision; /* bits */
  int sde;        /* 0: ODE adjoint, 1: SDE adjoint */
} adeis_report_key;

typedef struct adeis_report_error_row {
  adeis_report_key key;
  long steps;
  adeis_report_quantity quantity;
  double rel_error; /* may be NaN or infinite */
  long nfe, nvjp;
  double seconds;
  long line; /* line in errors.csv */
} adeis_report_error_row;

typedef struct adeis_report_pairwise {
  long n; /* the order between N = n and the next step count */
  double order;
} adeis_report_pairwise;

typedef struct adeis_report_excluded {
  long n;
  const char *reason; /* "pre-asymptotic", "floor", "nan", ... */
} adeis_report_excluded;

typedef struct adeis_report_order_row {
  adeis_report_key key;
  adeis_report_quantity quantity;
  double expected, fitted, se; /* fitted and se may be NaN */
  int ok;                      /* status: 1 "ok", 0 "FAIL" */
  long *used;
  size_t n_used;
  adeis_report_pairwise *pairwise;
  size_t n_pairwise;
  adeis_report_excluded *excluded;
  size_t n_excluded;
  long line; /* line in orders.csv */
} adeis_report_order_row;

typedef struct adeis_report_results {
  adeis_report_error_row *errors;
  size_t n_errors;
  adeis_report_order_row *orders;
  size_t n_orders;
  char *errors_path, *orders_path;
  char *text[2]; /* storage the row strings point into */
} adeis_report_results;

/* Read both files (exact headers, see docs/figures.md). Returns 0 or ADEIS_EINPUT with
 * "FILE:LINE: column: what was expected" (ADEIS_ENOMEM on allocation failure).
 * r is always safe to free afterwards. Numbers are parsed in the C locale. */
int adeis_report_read(adeis_report_results *r, const char *errors_csv, const char *orders_csv);
void adeis_report_results_free(adeis_report_results *r);

/* ---- series: rows grouped and labelled ---- */

typedef struct adeis_report_curve {
  size_t *points; /* indices into results->errors, increasing steps */
  size_t n_points;
  const adeis_report_order_row *order; /* NULL when orders.csv has no row for it */
} adeis_report_curve;

typedef struct adeis_report_series {
  adeis_report_key key;
  char *label; /* method plus the fields that vary within the study */
  adeis_report_curve curve[ADEIS_REPORT_N_QUANTITIES];
} adeis_report_series;

typedef struct adeis_report_series_set {
  adeis_report_series *series; /* in order of first appearance in errors.csv */
  size_t n_series;
  int has[ADEIS_REPORT_N_QUANTITIES]; /* some series has points for this quantity */
} adeis_report_series_set;

/* Group r's rows. ADEIS_EINPUT on a duplicate (series, quantity, N) row or a duplicate
 * orders.csv row; s is always safe to free afterwards. */
int adeis_report_series_build(adeis_report_series_set *s, const adeis_report_results *r);
void adeis_report_series_free(adeis_report_series_set *s);

/* ---- the study beyond the CSV files (plots/study_info.c) ---- */

typedef struct adeis_report_study {
  char *name;      /* [study] name from DIR/study.ini; NULL without one */
  size_t n_labels; /* [labels]: name = display name */
  char **label_key, **label_text;
  size_t n_schedules; /* problem -> schedule name, from DIR/PROBLEM.ini */
  char **schedule_problem, **schedule_name;
  /* DIR/hlines.csv (optional; "quantity,value,label" rows, e.g. a truth study's model error,
   * docs/studies.md): a horizontal line at value in every panel of that gradient */
  size_t n_hlines;
  adeis_report_quantity *hline_q;
  double *hline_value;
  char **hline_label;
} adeis_report_study;

/* Read DIR/study.ini (name, [labels]; absent: all NULL/0, not an error), DIR/hlines.csv
 * (absent: no lines) and the schedules
 * of s's problems from their copies DIR/PROBLEM.ini (left out when absent). Returns 0,
 * ADEIS_EINPUT ("FILE:LINE: key: what") or ADEIS_ENOMEM; st is always safe to free. */
int adeis_report_study_read(adeis_report_study *st, const char *dir,
                            const adeis_report_series_set *s);
void adeis_report_study_free(adeis_report_study *st);
/* The display name of a method (or problem, grid, state) name: its [labels] entry, else
 * the name itself. st may be NULL. */
const char *adeis_report_display(const adeis_report_study *st, const char *name);
/* The schedule of a problem, NULL when unknown. */
const char *adeis_report_schedule(const adeis_report_study *st, const char *problem);

/* Relabel s's series with st's display names. 0 or ADEIS_ENOMEM. */
int adeis_report_series_relabel(adeis_report_series_set *s, const adeis_report_study *st);

/* ---- formatting ---- */

/* Error in 3 significant digits, "1.23e-04"; "n/a" for NaN, "inf" for infinity.
 * buf needs ADEIS_REPORT_NUM_BUF bytes. */
#define ADEIS_REPORT_NUM_BUF 64
const char *adeis_report_format_error(char *buf, double e);
/* The same as TeX math: "$1.23\times10^{-4}$", "n/a", "$\infty$". */
const char *adeis_report_format_error_tex(char *buf, double e);
/* Observed order log(e0/e1)/log(n1/n0); NaN unless both errors are finite and positive. */
double adeis_report_observed_order(long n0, double e0, long n1, double e1);

/* ---- writers (0 or ADEIS_EINPUT on a write error) ---- */

/* table.md: title line, then per quantity a convergence table and the fitted orders. */
int adeis_report_md_write(FILE *f, const char *title, const adeis_report_results *r,
                          const adeis_report_series_set *s);
/* table.tex: one booktabs table per quantity. */
int adeis_report_tex_write(FILE *f, const char *title, const adeis_report_results *r,
                           const adeis_report_series_set *s);
/* errors-Q.dat: one gnuplot index block per series with points for q; columns
 * N, rel_error, cost, NFE, NVJP, seconds, used (1 when in orders.csv's used list), mark
 * (0 used or no fit, 1 left out as pre-asymptotic or otherwise, 2 left out at a floor). */
int adeis_report_dat_write(FILE *f, const adeis_report_results *r, const adeis_report_series_set *s,
                           adeis_report_quantity q);
/* guides-Q.dat: per series with a fit, the line of the expected slope over its fitted
 * range, offset from the data: columns N, cost, error in the convergence figure, error in
 * the work-precision figure; one block per guide. */
int adeis_report_guides_write(FILE *f, const adeis_report_results *r,
                              const adeis_report_series_set *s, adeis_report_quantity q);

typedef enum adeis_report_figure {
  ADEIS_REPORT_CONVERGENCE,   /* error against N: png, pdf, svg (+ cairolatex) */
  ADEIS_REPORT_WORK_PRECISION /* error against NFE + NVJP: png, pdf */
} adeis_report_figure;

/* "convergence", "work-precision". */
const char *adeis_report_figure_name(adeis_report_figure fig);
/* The gnuplot script of fig; it reads errors-Q.dat and guides-Q.dat from its own folder
 * and writes outbase.{png,...} (outbase defaults to the figure name). With latex, its
 * default formats include the cairolatex variant outbase-latex.tex + .pdf. */
int adeis_report_gp_write(FILE *f, adeis_report_figure fig, const char *title,
                          const adeis_report_results *r, const adeis_report_series_set *s,
                          const adeis_report_study *st, int latex);

/* The cost of a point in the work-precision figure: NFE + ADEIS_REPORT_VJP_WEIGHT * NVJP
 * (model evaluations and vector-Jacobian products, counted separately in errors.csv). */
#define ADEIS_REPORT_VJP_WEIGHT 1

/* ---- files and gnuplot ---- */

/* Write path through fill(f, ctx) into a temporary file beside it, then rename.
 * fill returns 0 or a status; on any failure nothing is left at path's temporary name
 * and path is untouched. Returns 0, fill's status, or ADEIS_EINPUT on I/O errors. */
int adeis_report_write_atomic(const char *path, int (*fill)(FILE *f, const void *ctx),
                              const void *ctx);

/* Run gnuplot (or $ADEIS_GNUPLOT) as `gnuplot -e SETUP SCRIPT` inside dir, with stdin
 * from /dev/null and stderr captured. setup may be NULL. Returns 0 or ADEIS_ENUMERIC
 * with a message holding gnuplot's stderr (or saying it could not be started). */
int adeis_report_gnuplot_run(const char *dir, const char *script, const char *setup);
/* The same, with the descriptors keep[0..n_keep) left open in gnuplot (it writes to
 * /dev/fd/N). */
int adeis_report_gnuplot_run_fds(const char *dir, const char *script, const char *setup,
                                 const int *keep, size_t n_keep);

/* Read DIR/errors.csv and DIR/orders.csv and write table.md, table.tex,
 * convergence.{png,pdf,svg}, work-precision.{png,pdf}, with the gnuplot scripts
 * (convergence.gp, work-precision.gp) and .dat files beside them; with latex != 0 also
 * convergence-latex.tex and work-precision-latex.tex (+ their .pdf parts) from the
 * cairolatex terminal.
 * Every file is written to a temporary name and renamed. Returns 0, ADEIS_EINPUT (missing
 * folder, missing or malformed CSV: "FILE:LINE: column: what was expected") or
 * ADEIS_ENUMERIC on gnuplot failure (message with gnuplot's stderr). */
int adeis_report_render(const char *dir, int latex);

/* SOURCE_DATE_EPOCH (the reproducible-builds convention): when set, to a whole number of
 * seconds since 1970 (UTC) up to 9999-12-31 23:59:59, the figures' PDFs carry that date
 * instead of the clock's, so that renders of the same results are byte-identical. Returns
 * 0 when it is unset or well formed, else ADEIS_EINPUT with "SOURCE_DATE_EPOCH: expected
 * ..." (adeis_report_render refuses to start then). */
int adeis_source_date_check(void);

#endif

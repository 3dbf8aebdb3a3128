/* The model of a figure (plots/figmodel.c): which field colours the series and which make
 * rows of panels, the layers of coinciding curves, the axes' ranges and the placed guides;
 * the gnuplot scripts (plots/figures.c) are written from it. Internal to plots/. */
#ifndef ADEIS_FIGMODEL_H
#define ADEIS_FIGMODEL_H

#include "report.h"

#include <stdio.h>

#define ADEIS_FIG_DODGE 1.2 /* x factor per layer of coinciding curves */

enum adeis_fig_field {
  ADEIS_FIG_METHOD,
  ADEIS_FIG_PROBLEM,
  ADEIS_FIG_GRID,
  ADEIS_FIG_STATE,
  ADEIS_FIG_PRECISION,
  ADEIS_FIG_SDE,
  ADEIS_FIG_N_FIELDS
};
extern const char *const adeis_fig_field_names[ADEIS_FIG_N_FIELDS]; /* "method", ... */

/* One guide per expected order per panel, over the fitted ranges of its series. */
enum { ADEIS_FIG_FLOOR_PRECISION = 1, ADEIS_FIG_FLOOR_REFERENCE = 2 };

typedef struct adeis_fig_guide {
  size_t row;
  adeis_report_quantity q;
  double xa, xb, ya, yb; /* log10 of the ends (x: N or cost) */
  double order;
} adeis_fig_guide;

typedef struct adeis_fig_model {
  adeis_report_figure fig;
  const adeis_report_results *r;
  const adeis_report_series_set *s;
  const adeis_report_study *st;
  int varies[ADEIS_FIG_N_FIELDS];
  int colour_field, row_field[ADEIS_FIG_N_FIELDS];
  size_t n_colours, n_rows;
  size_t *colour_of, *row_of, *colour_rep, *row_rep; /* per series; representatives */
  /* Method variants NAME@VARIANT (colour by the method NAME): by_variant when the methods
   * colour the series and some has a variant; variant_of per series (0: none, else the
   * k-th distinct VARIANT), drawn as marker shape and dash. */
  int by_variant;
  size_t n_variants, *variant_of;
  /* One style per (colour, variant): the legend's entries, in order of first series. */
  size_t n_styles, *style_of, *style_rep;
  int *layer; /* per style: 0, or drawn shifted right by ADEIS_FIG_DODGE^layer */
  size_t n_q;
  adeis_report_quantity q[ADEIS_REPORT_N_QUANTITIES];
  double x_lo, x_hi; /* log10 of the axis range */
  int *y_lo, *y_hi;  /* per panel (row * n_q + column), decades */
  int y_step;        /* decades between major ticks, every panel */
  adeis_fig_guide *guides;
  size_t n_guides;
  int any_open, any_roundoff;
  int any_floor;  /* ADEIS_FIG_FLOOR_* bits: which floors left points out (drawn as crosses) */
  double min_gap; /* decades between a guide and the data */
} adeis_fig_model;

/* Build the model of figure fig (st may be NULL). 0 or ADEIS_ENOMEM; m is always safe to
 * free. */
int adeis_fig_model_build(adeis_fig_model *m, adeis_report_figure fig,
                          const adeis_report_results *r, const adeis_report_series_set *s,
                          const adeis_report_study *st);
void adeis_fig_model_free(adeis_fig_model *m);

/* The length of the method name before '@' (its base: the colour), and its variant after
 * the '@' ("" without one). */
size_t adeis_fig_method_base(const char *method);
const char *adeis_fig_method_variant(const char *method);
/* Whether curves a and b (log10 errors at common x, n points; NaN: no point) coincide:
 * at two common points or more, and at half of them or more within tol decades. */
int adeis_fig_curves_coincide(const double *a, const double *b, size_t n, double tol);
/* The tolerance of coinciding curves in decades: markers closer than about 6 px of a panel
 * whose axis spans span_decades (the widest data range plus its padding) hide each other. */
double adeis_fig_coincide_tol(double span_decades);

/* The value of field f of k as shown (display names from [labels]). */
void adeis_fig_field_text(FILE *out, const adeis_report_key *k, int f,
                          const adeis_report_study *st);
/* The range of log10 of the positive errors in panel (row, q); lo = INFINITY when none. */
void adeis_fig_panel_data_range(const adeis_fig_model *m, size_t row, adeis_report_quantity q,
                                double *lo, double *hi);
/* A finite positive error (drawn on a log axis). */
int adeis_fig_positive(double e);
/* log10 of the unit roundoff 2^-bits; whether it is drawn beside data in [dlo, dhi]
 * (log10); whether it is drawn in some panel. */
double adeis_fig_roundoff(long bits);
int adeis_fig_roundoff_shown(double u, double dlo, double dhi);
int adeis_fig_roundoff_drawn(const adeis_fig_model *m, long bits);

#endif

/* The model of a figure (figmodel.h) and the figure data files errors-Q.dat and
 * guides-Q.dat: the rules of docs/figures.md, "What a figure shows", as numbers. */
#include "figmodel.h"

#include "../core/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const adeis_fig_field_names[ADEIS_FIG_N_FIELDS] = {"method", "problem",   "grid",
                                                               "state",  "precision", "adjoint"};

const char *adeis_report_figure_name(adeis_report_figure fig)
{
  return fig == ADEIS_REPORT_CONVERGENCE ? "convergence" : "work-precision";
}

static long cost(const adeis_report_error_row *row)
{
  return row->nfe + ADEIS_REPORT_VJP_WEIGHT * row->nvjp;
}

int adeis_fig_positive(double e) { return isfinite(e) && e > 0; }

static int is_used(const adeis_report_order_row *o, long n)
{
  for (size_t i = 0; o && i < o->n_used; i++)
    if (o->used[i] == n)
      return 1;
  return 0;
}

/* 0: a point of the fit (or of a series without one), 1: left out (pre-asymptotic or
 * another reason), 2: left out at the precision floor, 3: at a reference floor. */
static int point_kind(const adeis_report_order_row *o, long n)
{
  if (!o || is_used(o, n))
    return 0;
  for (size_t i = 0; i < o->n_excluded; i++)
    if (o->excluded[i].n == n) {
      const char *why = o->excluded[i].reason;
      return strstr(why, "reference-floor") ? 3 : strstr(why, "floor") ? 2 : 1;
    }
  return 1;
}

/* The mark drawn: 0 filled, 1 open, 2 a cross (either floor). */
static int point_mark(const adeis_report_order_row *o, long n)
{
  int k = point_kind(o, n);
  return k > 2 ? 2 : k;
}

static int write_status(FILE *f)
{
  if (ferror(f)) {
    adeis_set_error("write error");
    return ADEIS_EINPUT;
  }
  return 0;
}

/* Text for a '#' comment line: control characters as spaces. */
static void comment_text(FILE *f, const char *s)
{
  for (; *s; s++)
    fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
}

/* ---- the figure's model: colours, rows, layers, ranges, guides ---- */

static int field_equal(const adeis_report_key *a, const adeis_report_key *b, int f)
{
  switch (f) {
  case ADEIS_FIG_METHOD: return strcmp(a->method, b->method) == 0;
  case ADEIS_FIG_PROBLEM: return strcmp(a->problem, b->problem) == 0;
  case ADEIS_FIG_GRID: return strcmp(a->grid, b->grid) == 0;
  case ADEIS_FIG_STATE: return strcmp(a->state, b->state) == 0;
  case ADEIS_FIG_PRECISION: return a->precision == b->precision;
  default: return a->sde == b->sde;
  }
}

/* The value of field f of k as shown (display names from [labels]). */
void adeis_fig_field_text(FILE *m, const adeis_report_key *k, int f, const adeis_report_study *st)
{
  const char *sched;
  switch (f) {
  case ADEIS_FIG_METHOD: fputs(adeis_report_display(st, k->method), m); break;
  case ADEIS_FIG_PROBLEM:
    fputs(adeis_report_display(st, k->problem), m);
    if ((sched = adeis_report_schedule(st, k->problem)) && strcmp(sched, k->problem) != 0)
      fprintf(m, " (%s)", sched);
    break;
  case ADEIS_FIG_GRID: fputs(adeis_report_display(st, k->grid), m); break;
  case ADEIS_FIG_STATE: fputs(adeis_report_display(st, k->state), m); break;
  case ADEIS_FIG_PRECISION: fprintf(m, "%ld bits", k->precision); break;
  default: fputs(k->sde ? "SDE" : "ODE", m);
  }
}

static double xval(const adeis_fig_model *m, const adeis_report_error_row *row)
{
  return m->fig == ADEIS_REPORT_CONVERGENCE ? (double)row->steps : (double)cost(row);
}

static size_t n_values(const adeis_report_series_set *s, int f)
{
  size_t n = 0;
  for (size_t i = 0; i < s->n_series; i++) {
    size_t j = 0;
    while (j < i && !field_equal(&s->series[j].key, &s->series[i].key, f))
      j++;
    n += j == i;
  }
  return n;
}

static int same_row(const adeis_fig_model *m, size_t a, size_t b)
{
  for (int f = 0; f < ADEIS_FIG_N_FIELDS; f++)
    if (m->row_field[f] && !field_equal(&m->s->series[a].key, &m->s->series[b].key, f))
      return 0;
  return 1;
}

size_t adeis_fig_method_base(const char *method)
{
  const char *at = strchr(method, '@');
  return at ? (size_t)(at - method) : strlen(method);
}

const char *adeis_fig_method_variant(const char *method)
{
  const char *at = strchr(method, '@');
  return at ? at + 1 : "";
}

/* Series a and b take the same colour: the same value of the colour field, for methods
 * the same name before '@'. */
static int same_colour(const adeis_fig_model *m, size_t a, size_t b)
{
  const adeis_report_key *ka = &m->s->series[a].key, *kb = &m->s->series[b].key;
  if (m->colour_field != ADEIS_FIG_METHOD)
    return field_equal(ka, kb, m->colour_field);
  size_t n = adeis_fig_method_base(ka->method);
  return n == adeis_fig_method_base(kb->method) && strncmp(ka->method, kb->method, n) == 0;
}

/* The variant of series i: 0 for none, else 1 + the index of its VARIANT among the
 * distinct ones so far (their representatives in reps). */
static size_t variant_index(adeis_fig_model *m, size_t i, size_t *reps)
{
  const char *v = adeis_fig_method_variant(m->s->series[i].key.method);
  if (!m->by_variant || !*v)
    return 0;
  size_t k = 0;
  while (k < m->n_variants &&
         strcmp(adeis_fig_method_variant(m->s->series[reps[k]].key.method), v) != 0)
    k++;
  if (k == m->n_variants)
    reps[m->n_variants++] = i;
  return k + 1;
}

/* Colour by the method when methods vary (by its name before '@': NAME@VARIANT takes the
 * colour of NAME and a marker and dash of its own), else by the varying field with most
 * values; every other varying field makes rows. */
static void choose_encoding(adeis_fig_model *m, size_t *reps)
{
  const adeis_report_series_set *s = m->s;
  size_t nv[ADEIS_FIG_N_FIELDS];
  for (int f = 0; f < ADEIS_FIG_N_FIELDS; f++) {
    nv[f] = n_values(s, f);
    m->varies[f] = nv[f] > 1;
  }
  m->colour_field = ADEIS_FIG_METHOD;
  if (!m->varies[ADEIS_FIG_METHOD])
    for (int f = 1; f < ADEIS_FIG_N_FIELDS; f++)
      if (m->varies[f] && (m->colour_field == ADEIS_FIG_METHOD || nv[f] > nv[m->colour_field]))
        m->colour_field = f;
  for (int f = 0; f < ADEIS_FIG_N_FIELDS; f++)
    m->row_field[f] = m->varies[f] && f != m->colour_field;
  for (size_t i = 0; i < s->n_series && m->colour_field == ADEIS_FIG_METHOD; i++)
    m->by_variant |= strchr(s->series[i].key.method, '@') != NULL;
  for (size_t i = 0; i < s->n_series; i++) {
    size_t c = 0, r = 0, st = 0;
    while (c < m->n_colours && !same_colour(m, m->colour_rep[c], i))
      c++;
    if (c == m->n_colours)
      m->colour_rep[m->n_colours++] = i;
    while (r < m->n_rows && !same_row(m, m->row_rep[r], i))
      r++;
    if (r == m->n_rows)
      m->row_rep[m->n_rows++] = i;
    m->colour_of[i] = c;
    m->row_of[i] = r;
    m->variant_of[i] = variant_index(m, i, reps);
    while (st < m->n_styles && (m->colour_of[m->style_rep[st]] != c ||
                                m->variant_of[m->style_rep[st]] != m->variant_of[i]))
      st++;
    if (st == m->n_styles)
      m->style_rep[m->n_styles++] = i;
    m->style_of[i] = st;
  }
}

int adeis_fig_curves_coincide(const double *a, const double *b, size_t n, double tol)
{
  size_t common = 0, close = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(a[i]) || !isfinite(b[i]))
      continue;
    common++;
    close += fabs(a[i] - b[i]) < tol;
  }
  return common >= 2 && 3 * close >= 2 * common;
}

/* A panel's plot area is 232 px high (plots/figures.c, png_dims); a marker about 9 px. */
double adeis_fig_coincide_tol(double span_decades) { return span_decades * 3.5 / 232.0; }

/* Two series coincide when, in some panel, their curves do (adeis_fig_curves_coincide over
 * the step counts of a). */
static int coincide(const adeis_fig_model *m, size_t a, size_t b, double tol, double *ya,
                    double *yb)
{
  for (size_t k = 0; k < m->n_q; k++) {
    const adeis_report_curve *ca = &m->s->series[a].curve[m->q[k]];
    const adeis_report_curve *cb = &m->s->series[b].curve[m->q[k]];
    for (size_t i = 0; i < ca->n_points; i++) {
      const adeis_report_error_row *x = &m->r->errors[ca->points[i]];
      ya[i] = adeis_fig_positive(x->rel_error) ? log10(x->rel_error) : NAN;
      yb[i] = NAN;
      for (size_t j = 0; j < cb->n_points; j++) {
        const adeis_report_error_row *y = &m->r->errors[cb->points[j]];
        if (y->steps == x->steps && adeis_fig_positive(y->rel_error))
          yb[i] = log10(y->rel_error);
      }
    }
    if (adeis_fig_curves_coincide(ya, yb, ca->n_points, tol))
      return 1;
  }
  return 0;
}

/* A style drawn over an earlier one it coincides with (in the same row of panels) gets
 * the next layer. */
static int assign_layers(adeis_fig_model *m)
{
  const adeis_report_series_set *s = m->s;
  double widest = 0;
  size_t most = 1;
  for (size_t row = 0; row < m->n_rows; row++)
    for (size_t k = 0; k < m->n_q; k++) {
      double lo, hi;
      adeis_fig_panel_data_range(m, row, m->q[k], &lo, &hi);
      if (isfinite(lo))
        widest = fmax(widest, hi - lo);
    }
  for (size_t i = 0; i < s->n_series; i++)
    for (size_t k = 0; k < m->n_q; k++)
      most = s->series[i].curve[m->q[k]].n_points > most ? s->series[i].curve[m->q[k]].n_points
                                                         : most;
  double *ya = malloc(most * sizeof *ya), *yb = malloc(most * sizeof *yb);
  if (!ya || !yb) {
    free(ya);
    free(yb);
    return ADEIS_ENOMEM;
  }
  double tol = adeis_fig_coincide_tol(widest + 2);
  for (size_t i = 0; i < s->n_series; i++)
    for (size_t j = 0; j < i; j++) {
      size_t si = m->style_of[i], sj = m->style_of[j];
      if (si != sj && m->row_of[i] == m->row_of[j] && sj < si && m->layer[si] <= m->layer[sj] &&
          coincide(m, i, j, tol, ya, yb))
        m->layer[si] = m->layer[sj] + 1;
    }
  free(ya);
  free(yb);
  return 0;
}

/* log10 of the unit roundoff 2^-bits. */
double adeis_fig_roundoff(long bits) { return -(double)bits * log10(2.0); }

/* The unit roundoff of a precision in the panel is drawn when within a decade of its data. */
int adeis_fig_roundoff_shown(double u, double dlo, double dhi) { return u >= dlo - 1 && u <= dhi; }

/* ---- obstacles: what a guide must keep clear of (log10 coordinates) ---- */

typedef struct pts {
  double *x, *y;
  size_t n, cap;
} pts;

static int pts_add(pts *p, double x, double y)
{
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 64;
    double *nx = realloc(p->x, cap * sizeof *nx);
    if (!nx)
      return ADEIS_ENOMEM;
    p->x = nx;
    double *ny = realloc(p->y, cap * sizeof *ny);
    if (!ny)
      return ADEIS_ENOMEM;
    p->y = ny;
    p->cap = cap;
  }
  p->x[p->n] = x;
  p->y[p->n++] = y;
  return 0;
}

/* A segment sampled at 25 points. */
static int pts_segment(pts *p, double x0, double y0, double x1, double y1)
{
  int rc = 0;
  for (int k = 0; k <= 24 && !rc; k++)
    rc = pts_add(p, x0 + (x1 - x0) * k / 24.0, y0 + (y1 - y0) * k / 24.0);
  return rc;
}

/* The curves of the panel (row, q). */
static int panel_obstacles(const adeis_fig_model *m, size_t row, adeis_report_quantity q, pts *p,
                           double *dlo, double *dhi)
{
  int rc = 0;
  *dlo = INFINITY;
  *dhi = -INFINITY;
  for (size_t i = 0; i < m->s->n_series && !rc; i++) {
    const adeis_report_curve *c = &m->s->series[i].curve[q];
    if (m->row_of[i] != row)
      continue;
    double px = NAN, py = NAN;
    for (size_t j = 0; j < c->n_points && !rc; j++) {
      const adeis_report_error_row *row_j = &m->r->errors[c->points[j]];
      if (!adeis_fig_positive(row_j->rel_error)) {
        px = NAN;
        continue;
      }
      double x = log10(xval(m, row_j)) + m->layer[m->style_of[i]] * log10(ADEIS_FIG_DODGE);
      double y = log10(row_j->rel_error);
      *dlo = fmin(*dlo, y);
      *dhi = fmax(*dhi, y);
      rc = isnan(px) ? pts_add(p, x, y) : pts_segment(p, px, py, x, y);
      px = x;
      py = y;
    }
  }
  for (size_t i = 0; i < m->s->n_series && !rc; i++) { /* the lines of the unit roundoff */
    double u = adeis_fig_roundoff(m->s->series[i].key.precision);
    if (m->row_of[i] == row && m->s->series[i].curve[q].n_points && isfinite(*dlo) &&
        adeis_fig_roundoff_shown(u, *dlo, *dhi))
      rc = pts_segment(p, m->x_lo, u, m->x_hi + 1, u);
  }
  return rc;
}

/* ---- guides: the expected slope beside the data ---- */

/* The centre of series i's used points and their x range (log10); 0 when it has no
 * fitted range of two points or more. */
static int fit_centre(const adeis_fig_model *m, size_t i, adeis_report_quantity q, double *cx,
                      double *cy, double *xa, double *xb)
{
  const adeis_report_curve *c = &m->s->series[i].curve[q];
  if (m->row_of[i] >= m->n_rows || !c->order || !isfinite(c->order->expected))
    return 0;
  double sx = 0, sy = 0;
  size_t n = 0;
  *xa = INFINITY;
  *xb = -INFINITY;
  for (size_t j = 0; j < c->n_points; j++) {
    const adeis_report_error_row *row = &m->r->errors[c->points[j]];
    if (!is_used(c->order, row->steps) || !adeis_fig_positive(row->rel_error) || xval(m, row) <= 0)
      continue;
    double x = log10(xval(m, row));
    sx += x;
    sy += log10(row->rel_error);
    *xa = fmin(*xa, x);
    *xb = fmax(*xb, x);
    n++;
  }
  if (n < 2 || !(*xb > *xa))
    return 0;
  *cx = sx / n;
  *cy = sy / n;
  return 1;
}

/* The smallest vertical distance between the guide (with its label, a level stretch of
 * width label_w after its end) and the obstacles. */
static double clearance(const adeis_fig_guide *g, const pts *p, double label_w, double pad)
{
  double best = INFINITY, slope = (g->yb - g->ya) / (g->xb - g->xa);
  for (size_t k = 0; k < p->n; k++) {
    double x = p->x[k];
    if (x < g->xa - pad || x > g->xb + label_w)
      continue;
    double gy = x <= g->xa ? g->ya : x >= g->xb ? g->yb : g->ya + slope * (x - g->xa);
    /* the label, a line of text, needs 1.7 times the room of the dashed line */
    best = fmin(best, fabs(p->y[k] - gy) / (x > g->xb - pad ? 1.7 : 1.0));
  }
  return best;
}

/* The search for a guide's place: the obstacles, the data's range, the gaps wanted, and the
 * best candidate so far. */
typedef struct guide_search {
  const pts *obst;
  double dlo, dhi, min_gap, label_w, pad;
  double best_gap; /* -1 before any candidate within the data's range */
  adeis_fig_guide *out;
} guide_search;

/* Weigh candidate g: one reaching more than 2.5 decades beyond the data is skipped; else it
 * becomes the answer when it keeps min_gap clear or has the widest gap so far. 1 when it
 * keeps min_gap. */
static int try_guide(guide_search *gs, const adeis_fig_guide *g)
{
  if (fmin(g->ya, g->yb) < gs->dlo - 2.5 || fmax(g->ya, g->yb) > gs->dhi + 2.5)
    return 0;
  double gap = clearance(g, gs->obst, gs->label_w, gs->pad);
  int found = gap >= gs->min_gap;
  if (found || gap > gs->best_gap) {
    gs->best_gap = gap;
    *gs->out = *g;
  }
  return found;
}

/* The guide of order p in panel (row, q): a line of slope -p over the union of the fitted
 * ranges of the panel's series expecting p, through the centre of one of them shifted by
 * an offset; the first (smallest offset, each anchor in turn, below before above) that
 * keeps min_gap decades from every curve, earlier guide and label, and stays within
 * 2.5 decades of the data; else the one with the widest gap. 0 when no series has a range. */
static int place_guide(const adeis_fig_model *m, size_t row, adeis_report_quantity q, double p,
                       pts *obst, double dlo, double dhi, double min_gap, double label_w,
                       double pad, double max_len, adeis_fig_guide *out)
{
  static const double steps[] = {1.0, 1.3, 1.6, 2.0, 2.5, 3.1, 3.8, 4.6};
  double xa = INFINITY, xb = -INFINITY, cx, cy, a, b;
  for (size_t i = 0; i < m->s->n_series; i++)
    if (m->row_of[i] == row && fit_centre(m, i, q, &cx, &cy, &a, &b) &&
        m->s->series[i].curve[q].order->expected == p) {
      xa = fmin(xa, a);
      xb = fmax(xb, b);
    }
  if (!isfinite(xa))
    return 0;
  /* at most max_len long: at the end of the fitted ranges, at their start or centre; when no
   * such place keeps clear, shorter guides (0.6, then 0.35 of that length) are tried too */
  static const double shrink[] = {1.0, 0.6, 0.35};
  guide_search gs = {obst, dlo, dhi, min_gap, label_w, pad, -1, out};
  int found = 0;
  for (size_t h = 0; h < sizeof shrink / sizeof *shrink && !found; h++) {
    double len = shrink[h] * fmin(xb - xa, max_len);
    const double starts[] = {xb - len, xa, (xa + xb - len) / 2};
    for (size_t k = 0; k < 2 * (sizeof steps / sizeof *steps) && !found; k++) {
      double d = (k % 2 ? 1 : -1) * steps[k / 2] * min_gap;
      for (size_t w = 0; w < 3 && !found; w++)
        for (size_t i = 0; i < m->s->n_series && !found; i++) {
          if (m->row_of[i] != row || !fit_centre(m, i, q, &cx, &cy, &a, &b) ||
              m->s->series[i].curve[q].order->expected != p)
            continue;
          double ga = starts[w], gb = starts[w] + len;
          adeis_fig_guide g = {row, q, ga, gb, cy - p * (ga - cx) + d, cy - p * (gb - cx) + d,
                               p};
          found = try_guide(&gs, &g);
        }
    }
    /* a crowded panel: just below all of its data, or just above it */
    for (size_t w = 0; w < 6 && !found; w++) {
      double ga = starts[w % 3], gb = ga + len, drop = p * len;
      double ya = w < 3 ? dlo - 1.2 * min_gap : dhi + 1.2 * min_gap + drop;
      adeis_fig_guide g = {row, q, ga, gb, ya, ya - drop, p};
      found = try_guide(&gs, &g);
    }
  }
  if (gs.best_gap < 0)
    return 0;
  int rc = pts_segment(obst, out->xa, out->ya, out->xb, out->yb);
  rc = rc ? rc : pts_segment(obst, out->xb, out->yb, out->xb + label_w, out->yb);
  return rc ? -1 : 1;
}

static int add_guide(adeis_fig_model *m, const adeis_fig_guide *g)
{
  adeis_fig_guide *gs = realloc(m->guides, (m->n_guides + 1) * sizeof *gs);
  if (!gs)
    return ADEIS_ENOMEM;
  m->guides = gs;
  m->guides[m->n_guides++] = *g;
  return 0;
}

/* The x axis: the data's range padded, with room on the right for the guide labels. */
static void x_range(adeis_fig_model *m)
{
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < m->s->n_series; i++)
    for (size_t k = 0; k < m->n_q; k++) {
      const adeis_report_curve *c = &m->s->series[i].curve[m->q[k]];
      for (size_t j = 0; j < c->n_points; j++) {
        double x = xval(m, &m->r->errors[c->points[j]]);
        if (x > 0) {
          lo = fmin(lo, log10(x));
          hi = fmax(hi, log10(x));
        }
      }
    }
  if (!isfinite(lo)) {
    lo = 0;
    hi = 1;
  }
  double span = hi > lo ? hi - lo : 1;
  m->x_lo = lo - 0.06 * span;
  m->x_hi = hi + 0.06 * span;
}

#define LABEL_FRACTION 0.17 /* of the axis: the width of an "order p" label (p one digit) */

/* The width of the panels' widest "order p" label as a fraction of the axis: "order 2" takes
 * LABEL_FRACTION, each further character of p (as "%g" prints it, e.g. "1.6") a seventh more. */
static double label_fraction(const adeis_fig_model *m)
{
  size_t widest = 1;
  for (size_t i = 0; i < m->s->n_series; i++)
    for (size_t k = 0; k < m->n_q; k++) {
      const adeis_report_order_row *o = m->s->series[i].curve[m->q[k]].order;
      char text[32];
      if (o && isfinite(o->expected)) {
        snprintf(text, sizeof text, "%g", o->expected);
        widest = strlen(text) > widest ? strlen(text) : widest;
      }
    }
  return LABEL_FRACTION * (double)(6 + widest) / 7.0;
}

/* The distinct expected orders of the panel's series, in order of first appearance. */
static size_t panel_orders(const adeis_fig_model *m, size_t row, adeis_report_quantity q,
                           double *orders)
{
  size_t n = 0;
  for (size_t i = 0; i < m->s->n_series; i++) {
    const adeis_report_order_row *o = m->s->series[i].curve[q].order;
    if (m->row_of[i] != row || !m->s->series[i].curve[q].n_points || !o || !isfinite(o->expected))
      continue;
    size_t k = 0;
    while (k < n && orders[k] != o->expected)
      k++;
    if (k == n)
      orders[n++] = o->expected;
  }
  return n;
}

static int place_guides(adeis_fig_model *m)
{
  double frac = label_fraction(m);
  double label_w = frac * (m->x_hi - m->x_lo) * 1.25;
  double pad = 0.03 * (m->x_hi - m->x_lo);
  /* a text line is about 6 % of a panel's height, which spans the widest data range */
  double widest = 0;
  for (size_t row = 0; row < m->n_rows; row++)
    for (size_t k = 0; k < m->n_q; k++) {
      double lo, hi;
      adeis_fig_panel_data_range(m, row, m->q[k], &lo, &hi);
      if (isfinite(lo))
        widest = fmax(widest, hi - lo);
    }
  double min_gap = m->min_gap = 0.036 * (widest + 2); /* about 8 px of a panel */
  double *orders = malloc((m->s->n_series ? m->s->n_series : 1) * sizeof *orders);
  int rc = orders ? 0 : ADEIS_ENOMEM, any = 0;
  for (size_t row = 0; row < m->n_rows && !rc; row++)
    for (size_t k = 0; k < m->n_q && !rc; k++) {
      pts p = {0};
      double dlo, dhi;
      rc = panel_obstacles(m, row, m->q[k], &p, &dlo, &dhi);
      size_t n = rc ? 0 : panel_orders(m, row, m->q[k], orders);
      for (size_t j = 0; j < n && !rc; j++) {
        adeis_fig_guide g;
        int placed = place_guide(m, row, m->q[k], orders[j], &p, dlo, dhi, min_gap, label_w, pad,
                                 0.42 * (m->x_hi - m->x_lo), &g);
        rc = placed < 0 ? ADEIS_ENOMEM : placed ? add_guide(m, &g) : 0;
        any |= placed > 0;
      }
      free(p.x);
      free(p.y);
    }
  free(orders);
  if (any) /* room for the labels right of the last point */
    m->x_hi += frac * (m->x_hi - m->x_lo) / (1 - frac);
  return rc;
}

/* ---- y ranges: padded, aligned to one tick step, the same span in every panel ---- */

void adeis_fig_panel_data_range(const adeis_fig_model *m, size_t row, adeis_report_quantity q,
                                double *lo, double *hi)
{
  *lo = INFINITY;
  *hi = -INFINITY;
  for (size_t i = 0; i < m->s->n_series; i++) {
    const adeis_report_curve *c = &m->s->series[i].curve[q];
    if (m->row_of[i] != row)
      continue;
    for (size_t j = 0; j < c->n_points; j++) {
      double e = m->r->errors[c->points[j]].rel_error;
      if (adeis_fig_positive(e)) {
        *lo = fmin(*lo, log10(e));
        *hi = fmax(*hi, log10(e));
      }
    }
  }
}

static void panel_range(const adeis_fig_model *m, size_t row, size_t k, double *lo, double *hi)
{
  adeis_report_quantity q = m->q[k];
  adeis_fig_panel_data_range(m, row, q, lo, hi);
  if (!isfinite(*lo)) {
    *lo = -16;
    *hi = 0;
    return;
  }
  double dlo = *lo, dhi = *hi;
  for (size_t g = 0; g < m->n_guides; g++)
    if (m->guides[g].row == row && m->guides[g].q == q) { /* its label: a text line high */
      *lo = fmin(*lo, fmin(m->guides[g].ya, m->guides[g].yb - m->min_gap));
      *hi = fmax(*hi, fmax(m->guides[g].ya, m->guides[g].yb + m->min_gap));
    }
  for (size_t i = 0; i < m->s->n_series; i++) {
    double u = adeis_fig_roundoff(m->s->series[i].key.precision);
    if (m->row_of[i] == row && m->s->series[i].curve[q].n_points &&
        adeis_fig_roundoff_shown(u, dlo, dhi))
      *lo = fmin(*lo, u);
  }
  for (size_t k = 0; m->st && k < m->st->n_hlines; k++) /* hlines.csv: always in view */
    if (m->st->hline_q[k] == q && adeis_fig_positive(m->st->hline_value[k])) {
      *lo = fmin(*lo, log10(m->st->hline_value[k]));
      *hi = fmax(*hi, log10(m->st->hline_value[k]));
    }
}

static void y_ranges(adeis_fig_model *m)
{
  size_t n = m->n_rows * m->n_q;
  double *lo = malloc(n * sizeof *lo), *hi = malloc(n * sizeof *hi);
  if (!lo || !hi) {
    free(lo);
    free(hi);
    return;
  }
  for (size_t row = 0; row < m->n_rows; row++)
    for (size_t k = 0; k < m->n_q; k++)
      panel_range(m, row, k, &lo[row * m->n_q + k], &hi[row * m->n_q + k]);
  /* with rows, a column shares its range: one gradient compared across the variants */
  for (size_t k = 0; k < m->n_q; k++)
    for (size_t row = 1; row < m->n_rows; row++) {
      lo[k] = fmin(lo[k], lo[row * m->n_q + k]);
      hi[k] = fmax(hi[k], hi[row * m->n_q + k]);
    }
  double widest = 0;
  for (size_t k = 0; k < m->n_q; k++) {
    lo[k] = floor(lo[k] - 0.3); /* no mark on the frame */
    hi[k] = ceil(hi[k] + 0.3);
    widest = fmax(widest, hi[k] - lo[k]);
  }
  m->y_step = (int)ceil(widest / 8);
  if (m->y_step < 1)
    m->y_step = 1;
  int step = m->y_step, span = 0;
  for (size_t k = 0; k < m->n_q; k++) {
    int a = (int)floor(lo[k] / step) * step, b = (int)ceil(hi[k] / step) * step;
    span = b - a > span ? b - a : span;
  }
  for (size_t k = 0; k < m->n_q; k++) {
    /* the common span, centred on the panel's own range and aligned to the ticks */
    int a = (int)floor((lo[k] + hi[k] - span) / 2 / step) * step;
    if (a + span < hi[k])
      a += step;
    if (a > lo[k]) /* cannot happen with span >= the aligned own range; keep it safe */
      a = (int)floor(lo[k] / step) * step;
    for (size_t row = 0; row < m->n_rows; row++) {
      m->y_lo[row * m->n_q + k] = a;
      m->y_hi[row * m->n_q + k] = a + span;
    }
  }
  free(lo);
  free(hi);
}

void adeis_fig_model_free(adeis_fig_model *m)
{
  free(m->colour_of);
  free(m->row_of);
  free(m->colour_rep);
  free(m->row_rep);
  free(m->layer);
  free(m->variant_of);
  free(m->style_of);
  free(m->style_rep);
  free(m->y_lo);
  free(m->y_hi);
  free(m->guides);
  memset(m, 0, sizeof *m);
}

static void find_marks(adeis_fig_model *m)
{
  for (size_t i = 0; i < m->s->n_series; i++)
    for (size_t k = 0; k < m->n_q; k++) {
      const adeis_report_curve *c = &m->s->series[i].curve[m->q[k]];
      for (size_t j = 0; j < c->n_points; j++) {
        const adeis_report_error_row *row = &m->r->errors[c->points[j]];
        int kind = adeis_fig_positive(row->rel_error) ? point_kind(c->order, row->steps) : 0;
        m->any_open |= kind == 1;
        m->any_floor |= kind == 2 ? ADEIS_FIG_FLOOR_PRECISION
                                  : kind == 3 ? ADEIS_FIG_FLOOR_REFERENCE : 0;
      }
    }
}

int adeis_fig_model_build(adeis_fig_model *m, adeis_report_figure fig,
                          const adeis_report_results *r, const adeis_report_series_set *s,
                          const adeis_report_study *st)
{
  memset(m, 0, sizeof *m);
  m->fig = fig;
  m->r = r;
  m->s = s;
  m->st = st;
  size_t n = s->n_series ? s->n_series : 1;
  m->colour_of = calloc(n, sizeof *m->colour_of);
  m->row_of = calloc(n, sizeof *m->row_of);
  m->colour_rep = calloc(n, sizeof *m->colour_rep);
  m->row_rep = calloc(n, sizeof *m->row_rep);
  m->layer = calloc(n, sizeof *m->layer);
  m->variant_of = calloc(n, sizeof *m->variant_of);
  m->style_of = calloc(n, sizeof *m->style_of);
  m->style_rep = calloc(n, sizeof *m->style_rep);
  size_t *reps = calloc(n, sizeof *reps);
  for (int q = 0; q < ADEIS_REPORT_N_QUANTITIES; q++)
    if (s->has[q])
      m->q[m->n_q++] = (adeis_report_quantity)q;
  if (!m->colour_of || !m->row_of || !m->colour_rep || !m->row_rep || !m->layer ||
      !m->variant_of || !m->style_of || !m->style_rep || !reps) {
    free(reps);
    return ADEIS_ENOMEM;
  }
  choose_encoding(m, reps);
  free(reps);
  if (!m->n_rows)
    m->n_rows = 1;
  if (!m->n_q)
    m->n_q = 1; /* no data at all: one empty panel */
  int rc = assign_layers(m);
  find_marks(m);
  x_range(m);
  rc = rc ? rc : place_guides(m);
  m->y_lo = calloc(m->n_rows * m->n_q, sizeof *m->y_lo);
  m->y_hi = calloc(m->n_rows * m->n_q, sizeof *m->y_hi);
  if (rc || !m->y_lo || !m->y_hi)
    return ADEIS_ENOMEM;
  y_ranges(m);
  for (size_t i = 0; i < s->n_series; i++)
    m->any_roundoff |= adeis_fig_roundoff_drawn(m, s->series[i].key.precision);
  return 0;
}

/* Whether the unit roundoff of bits is drawn in some panel. */
int adeis_fig_roundoff_drawn(const adeis_fig_model *m, long bits)
{
  for (size_t row = 0; row < m->n_rows; row++)
    for (size_t k = 0; k < m->n_q; k++) {
      double lo, hi;
      adeis_fig_panel_data_range(m, row, m->q[k], &lo, &hi);
      for (size_t i = 0; i < m->s->n_series; i++)
        if (m->s->series[i].key.precision == bits && m->row_of[i] == row &&
            m->s->series[i].curve[m->q[k]].n_points && isfinite(lo) &&
            adeis_fig_roundoff_shown(adeis_fig_roundoff(bits), lo, hi))
          return 1;
    }
  return 0;
}

/* ---- errors-Q.dat ---- */

static void dat_block(FILE *f, const adeis_report_results *r, const adeis_report_series *se,
                      adeis_report_quantity q, size_t index)
{
  const adeis_report_curve *c = &se->curve[q];
  fprintf(f, "%s# index %zu: ", index ? "\n\n" : "", index);
  comment_text(f, se->label);
  fputc('\n', f);
  for (size_t j = 0; j < c->n_points; j++) {
    const adeis_report_error_row *row = &r->errors[c->points[j]];
    if (isfinite(row->rel_error))
      fprintf(f, "%ld %.6e", row->steps, row->rel_error);
    else
      fprintf(f, "%ld NaN", row->steps);
    fprintf(f, " %ld %ld %ld %.6f %d %d\n", cost(row), row->nfe, row->nvjp, row->seconds,
            is_used(c->order, row->steps), point_mark(c->order, row->steps));
  }
}

int adeis_report_dat_write(FILE *f, const adeis_report_results *r, const adeis_report_series_set *s,
                           adeis_report_quantity q)
{
  fprintf(f, "# errors-%s.dat: relative error of dL/d%s, written by adeis from errors.csv\n",
          adeis_report_quantity_name(q), adeis_report_quantity_name(q));
  fprintf(f,
          "# one gnuplot index block per series; NaN: no finite error\n"
          "# columns: N rel_error cost NFE NVJP seconds used_in_fit mark\n"
          "# cost = NFE + %d * NVJP; mark: 0 used in the fit (or no fit), 1 left out\n"
          "# (pre-asymptotic or other), 2 left out at a floor\n",
          ADEIS_REPORT_VJP_WEIGHT);
  size_t index = 0;
  for (size_t i = 0; i < s->n_series; i++)
    if (s->series[i].curve[q].n_points)
      dat_block(f, r, &s->series[i], q, index++);
  return write_status(f);
}

/* ---- guides-Q.dat ---- */

int adeis_report_guides_write(FILE *f, const adeis_report_results *r,
                              const adeis_report_series_set *s, adeis_report_quantity q)
{
  fprintf(f,
          "# guides-%s.dat: lines of the expected order (orders.csv) over each series'\n"
          "# fitted range, offset from the data, written by adeis; one gnuplot index\n"
          "# block per guide, in the order of the figures' panels\n"
          "# columns: N cost error_in_convergence error_in_work-precision\n",
          adeis_report_quantity_name(q));
  adeis_fig_model conv, wp;
  int rc = adeis_fig_model_build(&conv, ADEIS_REPORT_CONVERGENCE, r, s, NULL);
  rc = rc ? rc : adeis_fig_model_build(&wp, ADEIS_REPORT_WORK_PRECISION, r, s, NULL);
  size_t index = 0;
  for (size_t g = 0; !rc && g < conv.n_guides; g++) {
    const adeis_fig_guide *a = &conv.guides[g], *b = NULL;
    for (size_t h = 0; h < wp.n_guides; h++)
      if (wp.guides[h].row == a->row && wp.guides[h].q == a->q && wp.guides[h].order == a->order)
        b = &wp.guides[h];
    if (a->q != q || !b)
      continue;
    fprintf(f, "%s# index %zu: ", index ? "\n\n" : "", index);
    index++;
    fprintf(f, "order %g, panel row %zu\n", a->order, a->row + 1);
    fprintf(f, "%.6e %.6e %.6e %.6e\n", pow(10, a->xa), pow(10, b->xa), pow(10, a->ya),
            pow(10, b->ya));
    fprintf(f, "%.6e %.6e %.6e %.6e\n", pow(10, a->xb), pow(10, b->xb), pow(10, a->yb),
            pow(10, b->yb));
  }
  adeis_fig_model_free(&conv);
  adeis_fig_model_free(&wp);
  if (rc) {
    adeis_set_error("out of memory");
    return rc;
  }
  return write_status(f);
}

/* Figure data (errors-Q.dat, guides-Q.dat) and the gnuplot scripts that draw them
 * (convergence.gp, work-precision.gp). The scripts name their files relative to their
 * own folder, so `gnuplot convergence.gp` re-runs them there. */
#include "report.h"

#include "../core/status.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Okabe-Ito colours (colour-blind safe) and filled then open point types. */
static const char *const colours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#999933"};
static const int point_types[] = {7, 5, 9, 11, 13, 15, 6, 4, 8, 10, 12, 14};
#define N_COLOURS (sizeof colours / sizeof *colours)
#define N_POINT_TYPES (sizeof point_types / sizeof *point_types)

static const char *const panel_titles[ADEIS_REPORT_N_QUANTITIES] = {"∂L/∂x_T", "∂L/∂z", "∂L/∂θ"};
static const char *const panel_titles_tex[ADEIS_REPORT_N_QUANTITIES] = {
    "$\\partial L/\\partial x_T$", "$\\partial L/\\partial z$", "$\\partial L/\\partial \\theta$"};

const char *adeis_report_figure_name(adeis_report_figure fig)
{
  return fig == ADEIS_REPORT_CONVERGENCE ? "convergence" : "work-precision";
}

static long cost(const adeis_report_error_row *row) { return row->nfe + row->nvjp; }

static int positive(double e) { return isfinite(e) && e > 0; }

static int is_used(const adeis_report_order_row *o, long n)
{
  for (size_t i = 0; o && i < o->n_used; i++)
    if (o->used[i] == n)
      return 1;
  return 0;
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
    fprintf(f, " %ld %ld %ld %.6f %d\n", cost(row), row->nfe, row->nvjp, row->seconds,
            is_used(c->order, row->steps));
  }
}

int adeis_report_dat_write(FILE *f, const adeis_report_results *r, const adeis_report_series_set *s,
                           adeis_report_quantity q)
{
  fprintf(f, "# errors-%s.dat: relative error of dL/d%s, written by adeis from errors.csv\n",
          adeis_report_quantity_name(q), adeis_report_quantity_name(q));
  fputs("# one gnuplot index block per series; NaN: no finite error\n"
        "# columns: N rel_error NFE+NVJP NFE NVJP seconds used_in_fit\n",
        f);
  size_t index = 0;
  for (size_t i = 0; i < s->n_series; i++)
    if (s->series[i].curve[q].n_points)
      dat_block(f, r, &s->series[i], q, index++);
  return write_status(f);
}

/* ---- guides-Q.dat ---- */

/* The anchor of c's guide: its last used point with a finite positive error. */
static const adeis_report_error_row *guide_anchor(const adeis_report_curve *c,
                                                  const adeis_report_results *r)
{
  if (!c->order || !c->n_points)
    return NULL;
  for (size_t j = c->n_points; j-- > 0;) {
    const adeis_report_error_row *row = &r->errors[c->points[j]];
    if (is_used(c->order, row->steps) && positive(row->rel_error))
      return row;
  }
  return NULL;
}

/* The guide's value at N = n and at cost c: anchor error times (n/N_a)^-p, (c/c_a)^-p. */
static void guide_point(FILE *f, const adeis_report_error_row *a, const adeis_report_error_row *row,
                        double p)
{
  double by_n = a->rel_error * pow((double)row->steps / (double)a->steps, -p);
  double by_cost = cost(a) > 0 && cost(row) > 0
                       ? a->rel_error * pow((double)cost(row) / (double)cost(a), -p)
                       : NAN;
  fprintf(f, "%ld %ld %.6e ", row->steps, cost(row), by_n);
  if (isfinite(by_cost))
    fprintf(f, "%.6e\n", by_cost);
  else
    fputs("NaN\n", f);
}

int adeis_report_guides_write(FILE *f, const adeis_report_results *r,
                              const adeis_report_series_set *s, adeis_report_quantity q)
{
  fprintf(f,
          "# guides-%s.dat: lines of the expected order (orders.csv) through each\n"
          "# series' last used point, written by adeis; one gnuplot index block per\n"
          "# series that has one\n"
          "# columns: N NFE+NVJP error_at_N error_at_NFE+NVJP\n",
          adeis_report_quantity_name(q));
  size_t index = 0;
  for (size_t i = 0; i < s->n_series; i++) {
    const adeis_report_curve *c = &s->series[i].curve[q];
    const adeis_report_error_row *a = guide_anchor(c, r);
    if (!a)
      continue;
    fprintf(f, "%s# index %zu: ", index ? "\n\n" : "", index);
    comment_text(f, s->series[i].label);
    fprintf(f, ", order %g through N = %ld\n", c->order->expected, a->steps);
    guide_point(f, a, &r->errors[c->points[0]], c->order->expected);
    guide_point(f, a, &r->errors[c->points[c->n_points - 1]], c->order->expected);
    index++;
  }
  return write_status(f);
}

/* ---- the scripts ---- */

/* A gnuplot single-quoted string: ' doubled, control characters as spaces. */
static void gp_string(FILE *f, const char *s)
{
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'')
      fputc('\'', f);
    fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
  }
  fputc('\'', f);
}

/* The same string escaped for LaTeX (cairolatex typesets the titles). */
static void gp_string_tex(FILE *f, const char *s)
{
  fputc('\'', f);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (strchr("&%$#_{}", ch))
      fprintf(f, "\\%c", ch);
    else if (ch == '\\' || ch == '~' || ch == '^')
      fputs(ch == '\\'  ? "\\textbackslash{}"
            : ch == '~' ? "\\textasciitilde{}"
                        : "\\textasciicircum{}",
            f);
    else if (ch == '\'')
      fputs("''", f);
    else
      fputc(ch < 0x20 ? ' ' : ch, f);
  }
  fputc('\'', f);
}

typedef struct layout {
  size_t panels, rows, cols;
  int legend_cell; /* a spare cell holds the legend; else the first panel does */
} layout;

static layout make_layout(const adeis_report_series_set *s)
{
  layout l = {0, 1, 1, 0};
  for (int q = 0; q < ADEIS_REPORT_N_QUANTITIES; q++)
    l.panels += s->has[q] != 0;
  while (l.cols * l.cols < l.panels)
    l.cols++;
  l.rows = (l.panels + l.cols - 1) / l.cols;
  l.legend_cell = l.rows * l.cols > l.panels;
  return l;
}

static void gp_intro(FILE *f, adeis_report_figure fig, const char *title, int latex)
{
  const char *name = adeis_report_figure_name(fig);
  fprintf(f, "# %s.gp: relative error against %s, one panel per gradient, for the study\n# ", name,
          fig == ADEIS_REPORT_CONVERGENCE ? "steps N" : "NFE + NVJP");
  comment_text(f, title);
  fprintf(f,
          ". Written by adeis from errors.csv and orders.csv: restyle it freely and\n"
          "# re-run it from this folder with   gnuplot %s.gp\n"
          "# (`adeis plot` writes it anew; keep a restyled copy under another name).\n"
          "#   errors-Q.dat  one block per series: N, error, NFE+NVJP, NFE, NVJP, seconds, "
          "used\n"
          "#   guides-Q.dat  dashed lines of the expected order through the last used point\n"
          "# Options: gnuplot -e 'formats=\"png\"; outbase=\"fig\"' %s.gp\n\n",
          name, name);
  fprintf(f, "if (!exists(\"outbase\")) outbase = '%s'\n", name);
  fprintf(f, "if (!exists(\"formats\")) formats = '%s'\n",
          fig == ADEIS_REPORT_WORK_PRECISION ? "png pdf"
          : latex                            ? "png pdf svg tex"
                                             : "png pdf svg");
  fputs("set encoding utf8\n\n", f);
}

static void gp_styles(FILE *f, const adeis_report_series_set *s)
{
  fputs("# One style per series; its guide is the same colour, dashed.\n", f);
  for (size_t i = 0; i < s->n_series; i++)
    fprintf(f, "set style line %zu lc rgb '%s' lw 2 pt %d ps 1.3\n", i + 1, colours[i % N_COLOURS],
            point_types[i % N_POINT_TYPES]);
  fputs("guide = 'dt 2 lw 1.5'\n\n# Series titles; titles_tex for the cairolatex variant.\n", f);
  fprintf(f, "array titles[%zu]\narray titles_tex[%zu]\n", s->n_series, s->n_series);
  for (size_t i = 0; i < s->n_series; i++) {
    fprintf(f, "titles[%zu] = ", i + 1);
    gp_string(f, s->series[i].label);
    fprintf(f, "\ntitles_tex[%zu] = ", i + 1);
    gp_string_tex(f, s->series[i].label);
    fputc('\n', f);
  }
  fputs("T(i) = tex ? titles_tex[i] : titles[i]\n\n", f);
}

static void gp_terminals(FILE *f, layout l)
{
  fputs("  tex = (fmt eq 'tex')\n", f);
  fprintf(f, "  if (fmt eq 'png') { set terminal pngcairo size %zu,%zu enhanced font 'Sans,12' }\n",
          l.cols * 600, l.rows * 450);
  fprintf(f,
          "  if (fmt eq 'pdf') { set terminal pdfcairo size %.1fin,%.1fin enhanced font "
          "'Sans,9' }\n",
          l.cols * 4.5, l.rows * 3.4);
  fprintf(f,
          "  if (fmt eq 'svg') { set terminal svg size %zu,%zu enhanced font 'Sans,12' "
          "background rgb 'white' }\n",
          l.cols * 600, l.rows * 450);
  fprintf(f, "  if (tex) { set terminal cairolatex pdf size %.1fin,%.1fin }\n", l.cols * 3.2,
          l.rows * 2.4);
  fputs("  set output tex ? (exists('out_tex') ? out_tex : outbase.'-latex.tex') : \\\n"
        "    (exists('out_'.fmt) ? value('out_'.fmt) : outbase.'.'.fmt)\n",
        f);
}

static void gp_axes(FILE *f, adeis_report_figure fig)
{
  fputs("  set border; set tics; set offsets graph 0.04, graph 0.04, 0, 0\n"
        "  set grid xtics ytics lt 1 lc rgb '#dddddd' lw 1\n",
        f);
  if (fig == ADEIS_REPORT_CONVERGENCE)
    fputs("  set logscale x 2; set format x '%g'\n"
          "  set xlabel tex ? 'steps $N$' : 'steps N'\n",
          f);
  else
    fputs("  set logscale x 10; set format x tex ? '$10^{%L}$' : '10^{%L}'\n"
          "  set xlabel 'NFE + NVJP'\n",
          f);
  fputs("  set logscale y 10; set format y tex ? '$10^{%L}$' : '10^{%L}'\n"
        "  set ylabel 'relative error'\n"
        "  set key bottom left Left reverse samplen 2.5 box lc rgb '#bbbbbb' opaque\n",
        f);
}

/* [lo:hi] around the x values of quantity q, for a panel with no finite error to show. */
static void empty_ranges(FILE *f, adeis_report_figure fig, const adeis_report_results *r,
                         const adeis_report_series_set *s, adeis_report_quantity q)
{
  double lo = INFINITY, hi = 1;
  for (size_t i = 0; i < s->n_series; i++)
    for (size_t j = 0; j < s->series[i].curve[q].n_points; j++) {
      const adeis_report_error_row *row = &r->errors[s->series[i].curve[q].points[j]];
      double x = fig == ADEIS_REPORT_CONVERGENCE ? (double)row->steps : (double)cost(row);
      lo = x > 0 && x < lo ? x : lo;
      hi = x > hi ? x : hi;
    }
  if (!isfinite(lo))
    lo = 1;
  fprintf(f, "  set label 1 'no finite errors' at graph 0.5,0.5 center\n  plot [%g:%g][1e-16:1]",
          lo / 2, hi * 2);
}

static int panel_has_data(const adeis_report_results *r, const adeis_report_series_set *s,
                          adeis_report_quantity q)
{
  for (size_t i = 0; i < s->n_series; i++)
    for (size_t j = 0; j < s->series[i].curve[q].n_points; j++)
      if (positive(r->errors[s->series[i].curve[q].points[j]].rel_error))
        return 1;
  return 0;
}

static void gp_panel(FILE *f, adeis_report_figure fig, const adeis_report_results *r,
                     const adeis_report_series_set *s, adeis_report_quantity q, int with_key)
{
  const char *qn = adeis_report_quantity_name(q);
  int conv = fig == ADEIS_REPORT_CONVERGENCE, data = panel_has_data(r, s, q);
  fprintf(f, "  set title tex ? '%s' : '%s'\n", panel_titles_tex[q], panel_titles[q]);
  fputs(with_key ? "  set key\n" : "  unset key\n", f);
  if (data)
    fputs("  plot", f);
  else
    empty_ranges(f, fig, r, s, q);
  size_t index = 0, gindex = 0;
  for (size_t i = 0; i < s->n_series; i++) {
    const adeis_report_curve *c = &s->series[i].curve[q];
    if (!c->n_points)
      continue;
    fprintf(f,
            "%s \\\n    'errors-%s.dat' index %zu using %d:2 with linespoints ls %zu "
            "title T(%zu) noenhanced",
            index ? "," : "", qn, index, conv ? 1 : 3, i + 1, i + 1);
    index++;
    if (!guide_anchor(c, r))
      continue;
    fprintf(f,
            ", \\\n    'guides-%s.dat' index %zu using %d:%d with lines ls %zu @guide "
            "notitle",
            qn, gindex++, conv ? 1 : 2, conv ? 3 : 4, i + 1);
  }
  if (with_key)
    fputs(", \\\n    keyentry with lines lc rgb '#555555' @guide title 'expected order'", f);
  fputs(data ? "\n" : "\n  unset label 1\n", f);
}

/* The spare cell of the layout: the legend alone. */
static void gp_legend(FILE *f, const adeis_report_series_set *s)
{
  fputs("  unset border; unset tics; unset grid; unset xlabel; unset ylabel; unset title\n"
        "  unset logscale; set key center center Left reverse noopaque nobox samplen 3 "
        "spacing 1.4\n",
        f);
  fprintf(f,
          "  plot [0:1][0:1] for [i=1:%zu] NaN with linespoints ls i title T(i) "
          "noenhanced, \\\n"
          "    NaN with lines lc rgb '#555555' @guide title 'expected order'\n",
          s->n_series);
}

int adeis_report_gp_write(FILE *f, adeis_report_figure fig, const char *title,
                          const adeis_report_results *r, const adeis_report_series_set *s,
                          int latex)
{
  layout l = make_layout(s);
  gp_intro(f, fig, title, latex);
  gp_styles(f, s);
  fputs("do for [fmt in formats] {\n", f);
  gp_terminals(f, l);
  gp_axes(f, fig);
  fprintf(f, "  set multiplot layout %zu,%zu\n", l.rows, l.cols);
  int first = 1;
  for (int q = 0; q < ADEIS_REPORT_N_QUANTITIES; q++)
    if (s->has[q]) {
      gp_panel(f, fig, r, s, (adeis_report_quantity)q, first && !l.legend_cell);
      first = 0;
    }
  if (l.legend_cell)
    gp_legend(f, s);
  fputs("  unset multiplot\n  set output\n}\n", f);
  return write_status(f);
}

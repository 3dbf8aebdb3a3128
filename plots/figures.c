/* The gnuplot scripts convergence.gp and work-precision.gp, written from the figure's
 * model (figmodel.h) and drawing errors-Q.dat and guides-Q.dat (figmodel.c). The scripts
 * name their files relative to their own folder, so `gnuplot convergence.gp` re-runs them
 * there.
 *
 * The rules the figures follow (docs/figures.md, "What a figure shows"):
 * - colour encodes the method (or, with one method, the field with most values); method
 *   variants NAME@VARIANT take NAME's colour and a marker and dash of their own; the other
 *   varying fields (state, schedule, grid, ...) get one row of panels each; columns are
 *   the gradients. Curves that coincide are drawn thinner, with smaller marks and shifted
 *   right on top of the earlier ones, so both stay visible.
 * - filled marks: points of the order fit; open marks: points left out as pre-asymptotic;
 *   a cross: points left out at a precision floor or a reference floor. Lines of the unit
 *   roundoff 2^-bits.
 * - the expected order as a dashed line of that slope over the fitted range, offset from
 *   the data to where it touches no curve, labelled "order p".
 * - every panel spans the same number of decades with the same ticks; the ranges are
 *   padded so no mark touches the frame; the legend and the setting sit outside the
 *   panels. */
#include "figmodel.h"

#include "../core/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Okabe-Ito colours (colour-blind safe); filled and open point types of one shape. */
static const char *const colours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#999933"};
static const int filled_pt[] = {7, 5, 9, 11, 13, 15};
static const int open_pt[] = {6, 4, 8, 10, 12, 14};
#define N_COLOURS (sizeof colours / sizeof *colours)
#define N_SHAPES (sizeof filled_pt / sizeof *filled_pt)
#define FLOOR_PT 2 /* a cross */
#define GUIDE_COLOUR "#444444"

static const char *const panel_titles[ADEIS_REPORT_N_QUANTITIES] = {"∂L/∂x_T", "∂L/∂z", "∂L/∂θ"};
static const char *const panel_titles_tex[ADEIS_REPORT_N_QUANTITIES] = {
    "$\\partial L/\\partial x_T$", "$\\partial L/\\partial z$", "$\\partial L/\\partial \\theta$"};

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

/* A gnuplot string shown as enhanced text: its markup characters taken literally. */
static void gp_string_enhanced(FILE *f, const char *s)
{
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'')
      fputc('\'', f);
    else if (strchr("_^@&{}~\\", *s))
      fputc('\\', f);
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

/* A text built by put(m, ...) as a pair of gnuplot strings: NAME = '...' and
 * NAME_tex = '...'. */
static void gp_text_pair(FILE *f, const char *name, const char *plain, const char *tex)
{
  fprintf(f, "%s = ", name);
  gp_string(f, plain);
  const char *br = strchr(name, '[');
  fprintf(f, "\n%.*s_tex%s = ", (int)(br ? br - name : (long)strlen(name)), name, br ? br : "");
  fputc('\'', f);
  for (const char *p = tex; *p; p++) {
    if (*p == '\'')
      fputc('\'', f);
    fputc((unsigned char)*p < 0x20 ? ' ' : *p, f);
  }
  fputs("'\n", f);
}

/* The value of f for series i, in a memory buffer (caller frees). */
static char *field_string(const adeis_fig_model *m, size_t i, int f)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (!mem)
    return NULL;
  adeis_fig_field_text(mem, &m->s->series[i].key, f, m->st);
  if (fclose(mem) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* "state cached, grid uniform-t" (with names) or "cached, uniform-t": the row's fields. */
static char *row_string(const adeis_fig_model *m, size_t r, int names)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (!mem)
    return NULL;
  int first = 1;
  for (int f = 0; f < ADEIS_FIG_N_FIELDS; f++)
    if (m->row_field[f]) {
      fprintf(mem, "%s%s%s", first ? "" : ", ", names ? adeis_fig_field_names[f] : "",
              names ? " " : "");
      adeis_fig_field_text(mem, &m->s->series[m->row_rep[r]].key, f, m->st);
      first = 0;
    }
  if (fclose(mem) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* The setting: per field its single value, or how its values are told apart; one part
 * per field (allocated), plain or for LaTeX. */
static size_t setting_parts(const adeis_fig_model *m, int tex, char **parts)
{
  static const int order[] = {ADEIS_FIG_PROBLEM,   ADEIS_FIG_METHOD, ADEIS_FIG_GRID,
                              ADEIS_FIG_PRECISION, ADEIS_FIG_SDE,    ADEIS_FIG_STATE};
  static const char *const plural[ADEIS_FIG_N_FIELDS] = {"methods", "problems",   "grids",
                                                         "states",  "precisions", "adjoints"};
  const adeis_report_key *key = m->s->n_series ? &m->s->series[0].key : NULL;
  size_t n = 0;
  for (size_t k = 0; key && k < sizeof order / sizeof *order; k++) {
    int f = order[k];
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
      break;
    if (m->varies[f])
      fprintf(mem, "%s: %s%s", plural[f], f == m->colour_field ? "by colour" : "by row",
              f == m->colour_field && m->by_variant ? ", NAME@VARIANT by marker and dash" : "");
    else if (f == ADEIS_FIG_SDE)
      fprintf(mem, "%s adjoint", key->sde ? "SDE" : "ODE");
    else if (f == ADEIS_FIG_PRECISION)
      fprintf(mem, "%ld-bit arithmetic", key->precision);
    else if (f == ADEIS_FIG_PROBLEM) {
      const char *sched = adeis_report_schedule(m->st, key->problem);
      fprintf(mem, "problem %s", adeis_report_display(m->st, key->problem));
      if (sched)
        fprintf(mem, ", schedule %s", sched);
    } else {
      fprintf(mem, "%s ", adeis_fig_field_names[f]);
      adeis_fig_field_text(mem, key, f, m->st);
    }
    if (fclose(mem) != 0) {
      free(buf);
      break;
    }
    if (tex) { /* what LaTeX would read as markup */
      char *out = NULL;
      size_t olen = 0;
      FILE *o = open_memstream(&out, &olen);
      for (const char *p = buf; o && *p; p++)
        if (strchr("&%$#_{}", *p))
          fprintf(o, "\\%c", *p);
        else if (strchr("\\~^", *p))
          fputc(' ', o);
        else
          fputc(*p, o);
      free(buf);
      buf = o && fclose(o) == 0 ? out : (free(out), NULL);
      if (!buf)
        break;
    }
    parts[n++] = buf;
  }
  return n;
}

/* The lines above the panels: heading, setting and definitions, wrapped at parts to fit
 * width_chars; plain and LaTeX lines correspond one to one. */
#define MAX_TOP_LINES 12
typedef struct top_text {
  size_t n;
  char *plain[MAX_TOP_LINES], *tex[MAX_TOP_LINES];
  char *caption_tex; /* the setting and definitions as one text, for deissetting */
} top_text;

static size_t text_width(const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    n += ((unsigned char)*s & 0xC0) != 0x80; /* UTF-8 characters */
  return n;
}

static void top_add(top_text *t, char *const *plain, char *const *tex, size_t n, const char *sep,
                    const char *sep_tex, size_t width)
{
  size_t i = 0;
  while (i < n && t->n < MAX_TOP_LINES) {
    char *lp = NULL, *lt = NULL;
    size_t a = 0, b = 0, used = 0;
    FILE *mp = open_memstream(&lp, &a), *mt = open_memstream(&lt, &b);
    if (!mp || !mt) {
      if (mp)
        fclose(mp);
      if (mt)
        fclose(mt);
      free(lp);
      free(lt);
      return;
    }
    size_t first = i;
    while (i < n && (i == first || used + text_width(sep) + text_width(plain[i]) <= width)) {
      fprintf(mp, "%s%s", i == first ? "" : sep, plain[i]);
      fprintf(mt, "%s%s", i == first ? "" : sep_tex, tex[i]);
      used += (i == first ? 0 : text_width(sep)) + text_width(plain[i]);
      i++;
    }
    fclose(mp);
    fclose(mt);
    t->plain[t->n] = lp;
    t->tex[t->n++] = lt;
  }
}

static void top_text_build(top_text *t, const adeis_fig_model *m, const char *title,
                           double width_px)
{
  memset(t, 0, sizeof *t);
  size_t width = (size_t)(width_px / 7.4);
  char head[512], head_tex[1024];
  snprintf(head, sizeof head, "%s: relative error of each gradient against %s", title,
           m->fig == ADEIS_REPORT_CONVERGENCE ? "steps N" : "cost");
  size_t k = 0;
  for (const char *p = head; *p && k + 3 < sizeof head_tex; p++) {
    if (strchr("&%$#_{}", *p))
      head_tex[k++] = '\\';
    head_tex[k++] = strchr("\\~^", *p) ? ' ' : *p;
  }
  head_tex[k] = '\0';
  char *hp = head, *ht = head_tex;
  top_add(t, &hp, &ht, 1, "", "", width * 11 / 13);
  char *sp[8] = {0}, *st[8] = {0};
  size_t np = setting_parts(m, 0, sp), nt = setting_parts(m, 1, st);
  if (np == nt)
    top_add(t, sp, st, np, " · ", " $\\cdot$ ", width);
  /* the definitions, in pieces that wrap on narrow figures */
  static char *const err_plain[] = {"relative error ‖g − g_ref‖₂ / ‖g_ref‖₂",
                                    "of the computed gradient g", "against its reference g_ref"};
  static char *const err_tex[] = {
      "relative error $\\|g-g_{\\mathrm{ref}}\\|_2/\\|g_{\\mathrm{ref}}\\|_2$",
      "of the computed gradient $g$", "against its reference $g_{\\mathrm{ref}}$"};
  static char *const cost_plain[] = {"cost = NFE + 1·NVJP:", "model evaluations and",
                                     "vector-Jacobian products,", "counted separately,",
                                     "weight 1 each"};
  static char *const cost_tex[] = {"cost $=$ NFE $+\\,1\\cdot{}$NVJP:", "model evaluations and",
                                   "vector-Jacobian products,", "counted separately,",
                                   "weight 1 each"};
  /* a truth study (docs/studies.md, "Model against solver"; its hlines.csv is the sign):
   * every row is relative to the truth's gradient, whatever it is measured against */
  static char *const truth_plain[] = {"relative error ‖g − g_row‖₂ / ‖g_truth‖₂",
                                      "of the computed gradient g:", "g_row the row's gradient,",
                                      "g_truth the truth problem's"};
  static char *const truth_tex[] = {
      "relative error $\\|g-g_{\\mathrm{row}}\\|_2/\\|g_{\\mathrm{truth}}\\|_2$",
      "of the computed gradient $g$:", "$g_{\\mathrm{row}}$ the row's gradient,",
      "$g_{\\mathrm{truth}}$ the truth problem's"};
  int truth = m->st && m->st->n_hlines > 0;
  size_t first_def = t->n, first_cost;
  top_add(t, truth ? truth_plain : err_plain, truth ? truth_tex : err_tex, truth ? 4 : 3, " ",
          " ", width);
  first_cost = t->n;
  if (m->fig == ADEIS_REPORT_WORK_PRECISION)
    top_add(t, cost_plain, cost_tex, 5, " ", " ", width);
  /* the caption of the cairolatex variant: the setting; the definitions */
  char *cap = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&cap, &len);
  if (mem) {
    for (size_t i = 0; i < nt && np == nt; i++)
      fprintf(mem, "%s%s", i ? " $\\cdot$ " : "", st[i]);
    for (size_t i = first_def; i < t->n; i++)
      fprintf(mem, "%s%s", i == first_def || i == first_cost ? "; " : " ", t->tex[i]);
    if (fclose(mem) != 0) {
      free(cap);
      cap = NULL;
    }
  }
  t->caption_tex = cap;
  for (size_t i = 0; i < np; i++)
    free(sp[i]);
  for (size_t i = 0; i < nt; i++)
    free(st[i]);
}

static void top_text_free(top_text *t)
{
  free(t->caption_tex);
  for (size_t i = 0; i < t->n; i++) {
    free(t->plain[i]);
    free(t->tex[i]);
  }
  memset(t, 0, sizeof *t);
}

/* ---- layout (fractions of the canvas) ---- */

/* The canvas in px for PNG (PDF and SVG scale it) and in pt for the cairolatex variant,
 * whose text is \scriptsize: the same arrangement at print size. */
typedef struct dims {
  double cell_w, cell_h;           /* one panel with its margins */
  double left, right, top, bottom; /* a panel's margins: tick labels, title, axis label */
  double line_h, key_row_h;        /* a line above the panels; a row of the legend */
  double char_w, sample_w, edge;   /* legend entries: a character, the sample; canvas edge */
  int tex;                         /* the cairolatex variant */
} dims;

static const dims png_dims = {430, 310, 78, 14, 34, 44, 19, 22, 7.5, 80, 10, 0};
static const dims tex_dims = {114, 100, 31, 5, 13, 24, 0, 9, 3.6, 30, 2, 1};

#define CELL_W (png_dims.cell_w)

typedef struct layout {
  dims d;
  double w, h;  /* px or pt */
  double x0;    /* left of the first panel column */
  double top_h; /* the lines above the panels */
  size_t key_cols, key_rows;
  double key_h;
} layout;

/* The number of legend entries and the widest one's characters (as gnuplot counts them:
 * the raw text, LaTeX markup included in the cairolatex variant). */
static size_t hline_first(const adeis_report_study *st, size_t k);

static size_t key_entries(const adeis_fig_model *m, int tex, size_t *widest)
{
  /* "expected order (offset from the data)", the roundoff entry */
  *widest = tex ? (m->any_roundoff ? 48 : 26) : (m->any_roundoff ? 52 : 40);
  for (size_t c = 0; c < m->n_styles; c++) {
    char *v = field_string(m, m->style_rep[c], m->colour_field);
    size_t w = (v ? text_width(v) : 0) + (m->layer[c] ? 28 : 0);
    *widest = w > *widest ? w : *widest;
    free(v);
  }
  size_t lines = 0; /* hlines.csv: one entry per label */
  for (size_t k = 0; m->st && k < m->st->n_hlines; k++) {
    lines += hline_first(m->st, k) == k;
    *widest = text_width(m->st->hline_label[k]) > *widest ? text_width(m->st->hline_label[k])
                                                          : *widest;
  }
  return m->n_styles + (m->n_guides > 0) + 1 + (size_t)m->any_open + (size_t)m->any_floor +
         (size_t)m->any_roundoff + lines;
}

static layout make_layout(const adeis_fig_model *m, dims d, size_t top_lines)
{
  layout l;
  l.d = d;
  /* at least two columns wide (the lines above and the legend need the room); the
   * panels centred */
  double panels = m->n_q * d.cell_w;
  l.w = fmax(panels, 2 * d.cell_w) + 2 * d.edge;
  l.x0 = (l.w - panels) / 2;
  l.top_h = top_lines ? 18 + d.line_h * top_lines : 3 * d.edge;
  size_t widest, n = key_entries(m, d.tex, &widest);
  l.key_cols = (size_t)((l.w - 4 * d.edge) / (d.char_w * widest + d.sample_w));
  if (l.key_cols < 1)
    l.key_cols = 1;
  l.key_rows = (n + l.key_cols - 1) / l.key_cols;
  l.key_h = 1.5 * d.key_row_h + d.key_row_h * l.key_rows;
  l.h = l.top_h + m->n_rows * d.cell_h + l.key_h;
  return l;
}

/* ---- script sections ---- */

static void gp_intro(FILE *f, const adeis_fig_model *m, const char *title, int latex)
{
  const char *name = adeis_report_figure_name(m->fig);
  fprintf(f, "# %s.gp: relative error against %s, one panel per gradient%s, for the study\n# ",
          name, m->fig == ADEIS_REPORT_CONVERGENCE ? "steps N" : "cost",
          m->n_rows > 1 ? " (columns) and variant (rows)" : "");
  comment_text(f, title);
  fprintf(f,
          ". Written by adeis from errors.csv and orders.csv: restyle it freely and\n"
          "# re-run it from this folder with   gnuplot %s.gp\n"
          "# (`adeis plot` writes it anew; keep a restyled copy under another name).\n"
          "#   errors-Q.dat  one block per series: N, error, cost, NFE, NVJP, seconds, used, mark\n"
          "#   guides-Q.dat  the expected slope over each fitted range, offset from the data\n"
          "# Options: gnuplot -e 'formats=\"png\"; outbase=\"fig\"' %s.gp\n\n",
          name, name);
  fprintf(f, "if (!exists(\"outbase\")) outbase = '%s'\n", name);
  fprintf(f, "if (!exists(\"formats\")) formats = '%s'\n",
          m->fig == ADEIS_REPORT_WORK_PRECISION ? (latex ? "png pdf tex" : "png pdf")
          : latex                               ? "png pdf svg tex"
                                                : "png pdf svg");
  fputs("set encoding utf8\n\n", f);
}

/* The marker shape of style k (an index into filled_pt/open_pt) and its dash type: with
 * method variants the shape and dash encode the variant (none: solid), else the shape
 * follows the colour and a layered style is dashed. */
static size_t style_shape(const adeis_fig_model *m, size_t k)
{
  size_t i = m->style_rep[k];
  return (m->by_variant ? m->variant_of[i] : m->colour_of[i]) % N_SHAPES;
}

static int style_dash(const adeis_fig_model *m, size_t k)
{
  if (m->by_variant)
    return 1 + (int)(m->variant_of[m->style_rep[k]] % 5);
  return m->layer[k] ? 2 : 1;
}

static void gp_styles(FILE *f, const adeis_fig_model *m)
{
  fprintf(f,
          "# One style per legend entry: colour by %s%s; a style drawn over one it\n"
          "# coincides with is thinner (dashed, unless dashes mark variants), has smaller marks\n"
          "# and is shifted right by the factor dodge[N] (1: not shifted). Open marks: ls N pt\n"
          "# open_pt[N].\n",
          adeis_fig_field_names[m->colour_field],
          m->by_variant ? " (the name before '@'), marker and dash by its variant" : "");
  size_t n = m->n_styles ? m->n_styles : 1;
  fprintf(f, "array open_pt[%zu]\narray dodge[%zu]\n", n, n);
  int layered = 0;
  for (size_t c = 0; c < m->n_styles; c++)
    layered |= m->layer[c] > 0;
  for (size_t c = 0; c < m->n_styles; c++) {
    int layer = m->layer[c];
    double lw = 2.0 * pow(0.8, layer);
    double ps = (layered ? 1.5 : 1.3) * pow(0.85, layer);
    size_t shape = style_shape(m, c);
    fprintf(f, "set style line %zu lc rgb '%s' lw %.2f dt %d pt %d ps %.2f\n", c + 1,
            colours[m->colour_of[m->style_rep[c]] % N_COLOURS], lw, style_dash(m, c),
            filled_pt[shape], ps);
    fprintf(f, "open_pt[%zu] = %d; dodge[%zu] = %.4g\n", c + 1, open_pt[shape], c + 1,
            pow(ADEIS_FIG_DODGE, layer));
  }
  fprintf(f, "floor_pt = %d\nguide = 'dt (10,6) lw 1.5'\n\n", FLOOR_PT);
  fputs("# Legend titles (by style); _tex for the cairolatex variant.\n", f);
  fprintf(f, "array titles[%zu]\narray titles_tex[%zu]\n", n, n);
  for (size_t c = 0; c < m->n_styles; c++) {
    char *v = field_string(m, m->style_rep[c], m->colour_field), t[256];
    if (m->layer[c])
      snprintf(t, sizeof t, "%s (drawn shifted right %.0f %%)", v ? v : "",
               (pow(ADEIS_FIG_DODGE, m->layer[c]) - 1) * 100);
    else
      snprintf(t, sizeof t, "%s", v ? v : "");
    fprintf(f, "titles[%zu] = ", c + 1);
    gp_string(f, t);
    fprintf(f, "\ntitles_tex[%zu] = ", c + 1);
    gp_string_tex(f, t);
    fputc('\n', f);
    free(v);
  }
  fputs("T(i) = tex ? titles_tex[i] : titles[i]\n\n", f);
}

static void gp_texts(FILE *f, const top_text *t)
{
  fputs("# The setting, for the caption of the cairolatex variant (\\adeissetting).\n", f);
  gp_text_pair(f, "setting", "", t->caption_tex ? t->caption_tex : "");
  fputs("# The lines above the panels (the first is the heading).\n", f);
  fprintf(f, "array top[%zu]\narray top_tex[%zu]\n", t->n ? t->n : 1, t->n ? t->n : 1);
  for (size_t i = 0; i < t->n; i++) {
    char name[32];
    snprintf(name, sizeof name, "top[%zu]", i + 1);
    gp_text_pair(f, name, t->plain[i], t->tex[i]);
  }
  fputc('\n', f);
}

static void gp_terminals(FILE *f, layout l, layout lt)
{
  fputs("  tex = (fmt eq 'tex')\n", f);
  fprintf(f,
          "  if (fmt eq 'png') { set terminal pngcairo size %.0f,%.0f enhanced font 'Sans,11' }\n",
          l.w, l.h);
  fprintf(f,
          "  if (fmt eq 'pdf') { set terminal pdfcairo size %.2fin,%.2fin enhanced font "
          "'Sans,8' }\n",
          l.w / 133.0, l.h / 133.0);
  fprintf(f,
          "  if (fmt eq 'svg') { set terminal svg size %.0f,%.0f enhanced font 'Sans,11' "
          "background rgb 'white' }\n",
          l.w, l.h);
  /* about a page's text width at \\scriptsize; the .tex scales it to \\adeiswidth */
  fprintf(f,
          "  if (tex) { set terminal cairolatex pdf size %.2fin,%.2fin font ',7' pointscale 0.55 "
          "linewidth 0.7 }\n",
          lt.w / 72.0, lt.h / 72.0);
  fputs("  set output tex ? (exists('out_tex') ? out_tex : outbase.'-latex.tex') : \\\n"
        "    (exists('out_'.fmt) ? value('out_'.fmt) : outbase.'.'.fmt)\n",
        f);
}

static void gp_axes(FILE *f, const adeis_fig_model *m)
{
  fputs("  set border; set grid xtics ytics lt 1 lc rgb '#dddddd' lw 1\n", f);
  if (m->fig == ADEIS_REPORT_CONVERGENCE) {
    double lo = pow(10, m->x_lo), hi = pow(10, m->x_hi);
    long first = 1;
    while ((double)first * 2 <= pow(10, m->x_lo + 0.06 * (m->x_hi - m->x_lo)) * 1.01 &&
           first < (1L << 40))
      first *= 2;
    if ((double)first < lo)
      first *= 2;
    double octaves = (m->x_hi - m->x_lo) / log10(2.0);
    long factor = 1L << (long)ceil(octaves / 7), factor_tex = 1L << (long)ceil(octaves / 4);
    fprintf(f,
            "  set logscale x 2; set xrange [%.6g:%.6g]; set xtics %ld, (tex ? %ld : %ld); "
            "set mxtics 1\n",
            lo, hi, first, factor_tex < 2 ? 2 : factor_tex, factor < 2 ? 2 : factor);
    fputs("  set format x '%g'\n", f);
  } else {
    fprintf(f, "  set logscale x 10; set xrange [%.6g:%.6g]; set xtics 10; set mxtics 10\n",
            pow(10, m->x_lo), pow(10, m->x_hi));
    fputs("  set format x tex ? '$10^{%L}$' : '10^{%L}'\n", f);
  }
  fputs("  set logscale y 10; set format y tex ? '$10^{%L}$' : '10^{%L}'\n", f);
  fputs("  unset key\n", f);
}

/* A screen fraction for the two layouts: (tex ? t : p). */
static void frac(FILE *f, double p, double t) { fprintf(f, "(tex ? %.4f : %.4f)", t, p); }

static double place_left(layout l, size_t k) { return (l.x0 + k * l.d.cell_w + l.d.left) / l.w; }
static double place_right(layout l, size_t k)
{
  return (l.x0 + (k + 1) * l.d.cell_w - l.d.right) / l.w;
}
static double place_top(layout l, size_t row)
{
  return 1 - (l.top_h + row * l.d.cell_h + l.d.top) / l.h;
}
static double place_bottom(layout l, size_t row)
{
  return 1 - (l.top_h + (row + 1) * l.d.cell_h - l.d.bottom) / l.h;
}

/* The panel's place on the canvas: margins at screen fractions (the cairolatex variant
 * has no lines above the panels: its caption says the setting). */
static void gp_place(FILE *f, layout lp, layout lt, size_t row, size_t k)
{
  fputs("  set lmargin at screen ", f);
  frac(f, place_left(lp, k), place_left(lt, k));
  fputs("; set rmargin at screen ", f);
  frac(f, place_right(lp, k), place_right(lt, k));
  fputs("\n  set tmargin at screen ", f);
  frac(f, place_top(lp, row), place_top(lt, row));
  fputs("; set bmargin at screen ", f);
  frac(f, place_bottom(lp, row), place_bottom(lt, row));
  fputc('\n', f);
}

static void gp_guide_labels(FILE *f, const adeis_fig_model *m, size_t row, adeis_report_quantity q)
{
  int tag = 10;
  for (size_t g = 0; g < m->n_guides; g++) {
    const adeis_fig_guide *gd = &m->guides[g];
    if (gd->row != row || gd->q != q)
      continue;
    fprintf(f,
            "  set label %d sprintf(tex ? '$p{=}%g$' : 'order %g') at first %.6g, first %.6g "
            "left offset 0.5,0 tc rgb '%s' front\n",
            tag++, gd->order, gd->order, pow(10, gd->xb), pow(10, gd->yb), GUIDE_COLOUR);
  }
}

/* Lines of the unit roundoff 2^-bits of each precision in the panel that lies near its data. */
static void gp_roundoff(FILE *f, const adeis_fig_model *m, size_t row, adeis_report_quantity q,
                        int *first)
{
  double dlo, dhi;
  adeis_fig_panel_data_range(m, row, q, &dlo, &dhi);
  for (size_t i = 0; i < m->s->n_series; i++) {
    long bits = m->s->series[i].key.precision;
    double u = adeis_fig_roundoff(bits);
    size_t j = 0;
    while (j < i && m->s->series[j].key.precision != bits)
      j++;
    if (j < i || m->row_of[i] != row || !m->s->series[i].curve[q].n_points || !isfinite(dlo) ||
        !adeis_fig_roundoff_shown(u, dlo, dhi))
      continue;
    const char *col =
        m->colour_field == ADEIS_FIG_PRECISION ? colours[m->colour_of[i] % N_COLOURS] : "#555555";
    fprintf(f, "%s \\\n    %.6e with lines lc rgb '%s' dt 3 lw 1.2 notitle", *first ? "" : ",",
            pow(10, u), col);
    *first = 0;
  }
}

static void gp_roundoff_labels(FILE *f, const adeis_fig_model *m, size_t row,
                               adeis_report_quantity q)
{
  double dlo, dhi;
  adeis_fig_panel_data_range(m, row, q, &dlo, &dhi);
  int tag = 40;
  for (size_t i = 0; i < m->s->n_series; i++) {
    long bits = m->s->series[i].key.precision;
    double u = adeis_fig_roundoff(bits);
    size_t j = 0;
    while (j < i && m->s->series[j].key.precision != bits)
      j++;
    if (j < i || m->row_of[i] != row || !m->s->series[i].curve[q].n_points || !isfinite(dlo) ||
        !adeis_fig_roundoff_shown(u, dlo, dhi))
      continue;
    const char *col =
        m->colour_field == ADEIS_FIG_PRECISION ? colours[m->colour_of[i] % N_COLOURS] : "#555555";
    fprintf(f,
            "  set label %d (tex ? '$2^{-%ld}$' : '2^{-%ld}') at graph 0.03, first %.6e "
            "offset 0,0.7 tc rgb '%s' front\n",
            tag++, bits, bits, pow(10, u), col);
  }
}

static int panel_has_data(const adeis_fig_model *m, size_t row, adeis_report_quantity q)
{
  for (size_t i = 0; i < m->s->n_series; i++)
    for (size_t j = 0; m->row_of[i] == row && j < m->s->series[i].curve[q].n_points; j++)
      if (adeis_fig_positive(m->r->errors[m->s->series[i].curve[q].points[j]].rel_error))
        return 1;
  return 0;
}

/* The index of series i's block in errors-Q.dat and of its guide in guides-Q.dat. */
static size_t dat_index(const adeis_fig_model *m, size_t i, adeis_report_quantity q)
{
  size_t k = 0;
  for (size_t j = 0; j < i; j++)
    k += m->s->series[j].curve[q].n_points > 0;
  return k;
}

static void gp_series(FILE *f, const adeis_fig_model *m, size_t i, adeis_report_quantity q,
                      int *first)
{
  const char *qn = adeis_report_quantity_name(q);
  int col = m->fig == ADEIS_REPORT_CONVERGENCE ? 1 : 3;
  size_t c = m->style_of[i] + 1, k = dat_index(m, i, q);
  char x[48]; /* a curve over one it coincides with is drawn shifted right by dodge[c] */
  if (m->layer[c - 1])
    snprintf(x, sizeof x, "($%d*dodge[%zu])", col, c);
  else
    snprintf(x, sizeof x, "%d", col);
  fprintf(f,
          "%s \\\n    'errors-%s.dat' index %zu using %s:2 with lines ls %zu notitle, \\\n"
          "    '' index %zu using %s:($8==0 ? $2 : NaN) with points ls %zu notitle, \\\n"
          "    '' index %zu using %s:($8==1 ? $2 : NaN) with points ls %zu pt open_pt[%zu] "
          "notitle, \\\n"
          "    '' index %zu using %s:($8==2 ? $2 : NaN) with points ls %zu pt floor_pt ps 1.6 "
          "lw 2 notitle",
          *first ? "" : ",", qn, k, x, c, k, x, c, k, x, c, c, k, x, c);
  *first = 0;
}

/* The lines of hlines.csv (plots/study_info.c) for gradient q: black, dashed, one dash
 * pattern per line. */
#define HLINE_STYLE "lc rgb '#000000' dt %zu lw 1.6"
/* The first line with line k's label: lines of one label share a dash and a legend entry. */
static size_t hline_first(const adeis_report_study *st, size_t k)
{
  size_t j = 0;
  while (j < k && strcmp(st->hline_label[j], st->hline_label[k]) != 0)
    j++;
  return j;
}

static void gp_hlines(FILE *f, const adeis_fig_model *m, adeis_report_quantity q, int *first)
{
  for (size_t k = 0; m->st && k < m->st->n_hlines; k++)
    if (m->st->hline_q[k] == q && adeis_fig_positive(m->st->hline_value[k])) {
      fprintf(f, "%s \\\n    %.6e with lines " HLINE_STYLE " notitle", *first ? "" : ",",
              m->st->hline_value[k], 2 + hline_first(m->st, k) % 4);
      *first = 0;
    }
}

static void gp_panel(FILE *f, const adeis_fig_model *m, layout lp, layout lt, size_t row, size_t k)
{
  adeis_report_quantity q = m->q[k];
  size_t p = row * m->n_q + k;
  gp_place(f, lp, lt, row, k);
  char *rs = m->n_rows > 1 ? row_string(m, row, 1) : NULL;
  char *rv = m->n_rows > 1 ? row_string(m, row, 0) : NULL;
  /* the gradient and the row's variant; at print size the gradient on the first row only */
  fputs("  set title tex ? ", f);
  if (rv) {
    fprintf(f, "%s", row ? "" : "'");
    if (!row)
      fprintf(f, "%s: '.", panel_titles_tex[q]);
    gp_string_tex(f, rv);
  } else {
    fprintf(f, "'%s'", panel_titles_tex[q]);
  }
  fprintf(f, " : '%s'", panel_titles[q]);
  if (rs) {
    fputs(".'  ·  '.", f);
    gp_string_enhanced(f, rs);
  }
  fputc('\n', f);
  free(rs);
  free(rv);
  fprintf(f, "  set yrange [1e%d:1e%d]; set ytics 1e%d, 1e%d, 1e%d; set mytics %d\n", m->y_lo[p],
          m->y_hi[p], m->y_lo[p], m->y_step, m->y_hi[p], m->y_step == 1 ? 10 : m->y_step);
  fprintf(f, "  set xlabel %s\n",
          row + 1 < m->n_rows ? "''"
          : m->fig == ADEIS_REPORT_CONVERGENCE
              ? "(tex ? 'steps $N$' : 'steps N')"
              : "(tex ? 'cost $=$ NFE $+$ NVJP' : 'cost = NFE + NVJP')");
  fprintf(f, "  set ylabel %s\n", k == 0 ? "'relative error'" : "''");
  fputs("  unset label\n", f);
  gp_guide_labels(f, m, row, q);
  gp_roundoff_labels(f, m, row, q);
  int data = panel_has_data(m, row, q), first = 1;
  if (!data)
    fputs("  set label 1 'no finite errors' at graph 0.5,0.5 center\n", f);
  fputs("  plot", f);
  for (size_t i = 0; i < m->s->n_series; i++)
    if (m->row_of[i] == row && m->s->series[i].curve[q].n_points)
      gp_series(f, m, i, q, &first);
  size_t gi = 0;
  for (size_t g = 0; g < m->n_guides; g++) {
    if (m->guides[g].q != q)
      continue;
    if (m->guides[g].row == row) {
      fprintf(f,
              "%s \\\n    'guides-%s.dat' index %zu using %d:%d with lines lc rgb '%s' "
              "@guide notitle",
              first ? "" : ",", adeis_report_quantity_name(q), gi,
              m->fig == ADEIS_REPORT_CONVERGENCE ? 1 : 2,
              m->fig == ADEIS_REPORT_CONVERGENCE ? 3 : 4, GUIDE_COLOUR);
      first = 0;
    }
    gi++;
  }
  gp_roundoff(f, m, row, q, &first);
  gp_hlines(f, m, q, &first);
  if (first)
    fputs(" NaN notitle", f);
  fputc('\n', f);
}

/* The legend entry of the roundoff lines, naming those that lie below the axes. */
static void gp_roundoff_key(FILE *f, const adeis_fig_model *m)
{
  int any = 0;
  for (size_t i = 0; i < m->s->n_series; i++)
    any |= adeis_fig_roundoff_drawn(m, m->s->series[i].key.precision);
  if (!any)
    return;
  char below[256] = "", below_tex[256] = "";
  size_t n = 0, nt = 0;
  for (size_t i = 0; i < m->s->n_series; i++) {
    long bits = m->s->series[i].key.precision;
    size_t j = 0;
    while (j < i && m->s->series[j].key.precision != bits)
      j++;
    if (j < i || adeis_fig_roundoff_drawn(m, bits))
      continue;
    n += (size_t)snprintf(below + n, n < sizeof below ? sizeof below - n : 0, "%s2^{-%ld}",
                          n ? ", " : "", bits);
    nt += (size_t)snprintf(below_tex + nt, nt < sizeof below_tex ? sizeof below_tex - nt : 0,
                           "%s$2^{-%ld}$", nt ? ", " : "", bits);
    if (n >= sizeof below || nt >= sizeof below_tex)
      break;
  }
  fprintf(f,
          ", \\\n    NaN with lines lc rgb '#555555' dt 3 lw 1.2 title (tex ? 'roundoff "
          "$2^{-b}$%s%s%s' : 'unit roundoff 2^{-bits}%s%s') enhanced",
          *below ? " (" : "", below_tex, *below ? " below)" : "",
          *below ? "; below the axes: " : "", below);
}

/* Below the panels: the legend; above them: heading, setting and the error's definition. */
static void gp_legend(FILE *f, const adeis_fig_model *m, layout l, layout lt, size_t n_top)
{
  fputs("  unset label; unset title; unset xlabel; unset ylabel; unset grid; unset border\n"
        "  unset tics; unset logscale; set xrange [0:1]; set yrange [0:1]\n",
        f);
  fputs("  set lmargin at screen 0.02; set rmargin at screen 0.98\n  set tmargin at screen ", f);
  frac(f, (l.key_h - l.d.key_row_h * 0.6) / l.h, (lt.key_h - lt.d.key_row_h * 0.6) / lt.h);
  fputs("; set bmargin at screen 0.005\n", f);
  for (size_t i = 0; i < n_top; i++)
    fprintf(f,
            "  if (!tex) { set label %zu top[%zu] at screen 0.5, screen %.4f center front "
            "noenhanced%s }\n",
            91 + i, i + 1, 1 - (16 + l.d.line_h * i) / l.h, i ? "" : " font ',13'");
  /* the cairolatex figure hands the setting to the document, for its caption */
  fputs("  if (tex) { set label 99 '\\gdef\\adeissetting{'.setting_tex.'}' at screen 0,0 }\n", f);
  fprintf(f,
          "  set key center center horizontal maxcols %zu Left reverse "
          "samplen 2.5 spacing 1.15 width 1 nobox noopaque noenhanced\n",
          l.key_cols);
  fprintf(f, "  plot for [i=1:%zu] NaN with linespoints ls i title T(i)", m->n_styles);
  if (m->n_guides)
    fputs(", \\\n    NaN with lines lc rgb '#555555' @guide title (tex ? 'expected order $p$, "
          "offset' "
          ": 'expected order (offset from the data)')",
          f);
  fputs(", \\\n    NaN with points pt 7 ps 1.2 lc rgb '#555555' title 'points of the order fit'",
        f);
  if (m->any_open)
    fputs(", \\\n    NaN with points pt 6 ps 1.2 lc rgb '#555555' title (tex ? 'left out: "
          "pre-asymptotic' : 'left out: pre-asymptotic')",
          f);
  static const char *const floor_title[] = {"", "precision floor", "reference floor",
                                             "precision or reference floor"};
  if (m->any_floor)
    fprintf(f, ", \\\n    NaN with points pt 2 ps 1.6 lw 2 lc rgb '#555555' title 'left out: %s'",
            floor_title[m->any_floor & 3]);
  gp_roundoff_key(f, m);
  for (size_t k = 0; m->st && k < m->st->n_hlines; k++) {
    if (hline_first(m->st, k) != k)
      continue;
    fprintf(f, ", \\\n    NaN with lines " HLINE_STYLE " title (tex ? ", 2 + k % 4);
    gp_string_tex(f, m->st->hline_label[k]);
    fputs(" : ", f);
    gp_string(f, m->st->hline_label[k]);
    fputc(')', f);
  }
  fputc('\n', f);
}

int adeis_report_gp_write(FILE *f, adeis_report_figure fig, const char *title,
                          const adeis_report_results *r, const adeis_report_series_set *s,
                          const adeis_report_study *st, int latex)
{
  adeis_fig_model m;
  int rc = adeis_fig_model_build(&m, fig, r, s, st);
  if (rc) {
    adeis_fig_model_free(&m);
    adeis_set_error("out of memory");
    return rc;
  }
  top_text t;
  top_text_build(&t, &m, title, fmax(m.n_q, 2) * CELL_W);
  layout l = make_layout(&m, png_dims, t.n), lt = make_layout(&m, tex_dims, 0);
  gp_intro(f, &m, title, latex);
  gp_styles(f, &m);
  gp_texts(f, &t);
  fputs("do for [fmt in formats] {\n", f);
  gp_terminals(f, l, lt);
  gp_axes(f, &m);
  fputs("  set multiplot\n", f);
  for (size_t row = 0; row < m.n_rows; row++)
    for (size_t k = 0; k < m.n_q; k++)
      gp_panel(f, &m, l, lt, row, k);
  gp_legend(f, &m, l, lt, t.n);
  fputs("  unset multiplot\n  set output\n}\n", f);
  top_text_free(&t);
  adeis_fig_model_free(&m);
  return write_status(f);
}

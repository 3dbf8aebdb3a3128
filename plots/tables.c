/* The classic convergence table (N down the side; error and observed order per series
 * across), as Markdown and as booktabs LaTeX. */
#include "report.h"

#include "../core/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const md_titles[ADEIS_REPORT_N_QUANTITIES] = {"dL/dx_T", "dL/dz", "dL/dtheta"};
static const char *const tex_titles[ADEIS_REPORT_N_QUANTITIES] = {
    "$\\partial L/\\partial x_T$", "$\\partial L/\\partial z$", "$\\partial L/\\partial \\theta$"};
static const char *const tex_keys[ADEIS_REPORT_N_QUANTITIES] = {"xT", "z", "theta"};

/* ---- numbers ---- */

const char *adeis_report_format_error(char *buf, double e)
{
  if (isnan(e))
    return strcpy(buf, "n/a");
  if (isinf(e))
    return strcpy(buf, e > 0 ? "inf" : "-inf");
  snprintf(buf, ADEIS_REPORT_NUM_BUF, "%.2e", e);
  return buf;
}

const char *adeis_report_format_error_tex(char *buf, double e)
{
  if (isnan(e))
    return strcpy(buf, "n/a");
  if (isinf(e))
    return strcpy(buf, e > 0 ? "$\\infty$" : "$-\\infty$");
  char m[24];
  snprintf(m, sizeof m, "%.2e", e);
  char *x = strchr(m, 'e');
  int ex = atoi(x + 1);
  *x = '\0';
  if (ex == 0)
    snprintf(buf, ADEIS_REPORT_NUM_BUF, "$%s$", m);
  else
    snprintf(buf, ADEIS_REPORT_NUM_BUF, "$%s\\times10^{%d}$", m, ex);
  return buf;
}

double adeis_report_observed_order(long n0, double e0, long n1, double e1)
{
  if (!(isfinite(e0) && isfinite(e1) && e0 > 0 && e1 > 0) || n0 <= 0 || n1 <= 0 || n0 == n1)
    return NAN;
  return log(e0 / e1) / log((double)n1 / (double)n0);
}

/* "%.Nf" of v without a "-0.00". */
static const char *fixed(char *buf, double v, int digits)
{
  snprintf(buf, ADEIS_REPORT_NUM_BUF, "%.*f", digits, v);
  if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
    memmove(buf, buf + 1, strlen(buf));
  return buf;
}

/* ---- table rows: the union of the step counts of the series shown ---- */

typedef struct table_rows {
  long *steps;
  size_t n;
} table_rows;

static int cmp_long(const void *a, const void *b)
{
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

static int rows_collect(table_rows *t, const adeis_report_results *r,
                        const adeis_report_series_set *s, adeis_report_quantity q)
{
  size_t total = 0, k = 0;
  for (size_t i = 0; i < s->n_series; i++)
    total += s->series[i].curve[q].n_points;
  t->steps = malloc((total ? total : 1) * sizeof *t->steps);
  if (!t->steps) {
    adeis_set_error("out of memory");
    return ADEIS_ENOMEM;
  }
  for (size_t i = 0; i < s->n_series; i++)
    for (size_t j = 0; j < s->series[i].curve[q].n_points; j++)
      t->steps[k++] = r->errors[s->series[i].curve[q].points[j]].steps;
  qsort(t->steps, total, sizeof *t->steps, cmp_long);
  t->n = 0;
  for (size_t i = 0; i < total; i++)
    if (t->n == 0 || t->steps[t->n - 1] != t->steps[i])
      t->steps[t->n++] = t->steps[i];
  return 0;
}

/* The cell of curve c at N = steps: its error and the order from its previous point
 * (*has_prev = 0 at its first point); returns 0 when c has no point at N. */
static int cell(const adeis_report_curve *c, const adeis_report_results *r, long steps, double *err,
                double *order, int *has_prev)
{
  for (size_t j = 0; j < c->n_points; j++) {
    const adeis_report_error_row *row = &r->errors[c->points[j]];
    if (row->steps != steps)
      continue;
    *err = row->rel_error;
    *has_prev = j > 0;
    if (j > 0) {
      const adeis_report_error_row *prev = &r->errors[c->points[j - 1]];
      *order =
          adeis_report_observed_order(prev->steps, prev->rel_error, row->steps, row->rel_error);
    }
    return 1;
  }
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

static void tex_text(FILE *f, const char *s);

/* ---- Markdown ---- */

static void md_text(FILE *f, const char *s)
{
  for (; *s; s++) {
    if (*s == '|')
      fputc('\\', f);
    fputc(*s, f);
  }
}

static void md_header(FILE *f, const adeis_report_series_set *s, adeis_report_quantity q)
{
  fputs("| N |", f);
  for (size_t i = 0; i < s->n_series; i++) {
    if (!s->series[i].curve[q].n_points)
      continue;
    for (int k = 0; k < 2; k++) {
      fputc(' ', f);
      md_text(f, s->series[i].label);
      fputs(k ? " order |" : " error |", f);
    }
  }
  fputs("\n|---:|", f);
  for (size_t i = 0; i < s->n_series; i++)
    if (s->series[i].curve[q].n_points)
      fputs("---:|---:|", f);
  fputc('\n', f);
}

static void md_row(FILE *f, const adeis_report_results *r, const adeis_report_series_set *s,
                   adeis_report_quantity q, long steps)
{
  char b[ADEIS_REPORT_NUM_BUF];
  fprintf(f, "| %ld |", steps);
  for (size_t i = 0; i < s->n_series; i++) {
    const adeis_report_curve *c = &s->series[i].curve[q];
    double err = NAN, order = NAN;
    int has_prev = 0;
    if (!c->n_points)
      continue;
    if (!cell(c, r, steps, &err, &order, &has_prev)) {
      fputs("  |  |", f);
      continue;
    }
    fprintf(f, " %s |", adeis_report_format_error(b, err));
    fprintf(f, " %s |", !has_prev ? "–" : isnan(order) ? "n/a" : fixed(b, order, 2));
  }
  fputc('\n', f);
}

/* "8, 16 (pre-asymptotic), 4096 (floor)": runs of one reason share it. */
static void excluded_list(FILE *f, const adeis_report_order_row *o,
                          void (*text)(FILE *, const char *))
{
  for (size_t i = 0; i < o->n_excluded; i++) {
    const char *reason = o->excluded[i].reason;
    fprintf(f, "%s%ld", i ? ", " : "", o->excluded[i].n);
    if (i + 1 < o->n_excluded && strcmp(o->excluded[i + 1].reason, reason) == 0)
      continue;
    fputs(" (", f);
    text(f, reason);
    fputc(')', f);
  }
}

static void md_list(FILE *f, const long *n, size_t count)
{
  for (size_t i = 0; i < count; i++)
    fprintf(f, "%s%ld", i ? ", " : "", n[i]);
}

static void md_fit(FILE *f, const adeis_report_series *se, adeis_report_quantity q)
{
  const adeis_report_order_row *o = se->curve[q].order;
  char b[ADEIS_REPORT_NUM_BUF];
  fputs("- ", f);
  md_text(f, se->label);
  if (!o) {
    fputs(": no fitted order in orders.csv\n", f);
    return;
  }
  fprintf(f, ": fitted order %s", isnan(o->fitted) ? "n/a" : fixed(b, o->fitted, 3));
  if (!isnan(o->fitted) && !isnan(o->se))
    fprintf(f, " ± %s", fixed(b, o->se, 3));
  fprintf(f, ", expected %g, used N = ", o->expected);
  if (o->n_used)
    md_list(f, o->used, o->n_used);
  else
    fputs("none", f);
  fputs(o->ok ? ": ok" : ": **FAIL**", f);
  if (o->n_excluded) {
    fputs("; excluded N = ", f);
    excluded_list(f, o, md_text);
  }
  fputc('\n', f);
}

static int md_quantity(FILE *f, const adeis_report_results *r, const adeis_report_series_set *s,
                       adeis_report_quantity q)
{
  table_rows t;
  int st = rows_collect(&t, r, s, q);
  if (st)
    return st;
  fprintf(f, "\n### %s\n\n", md_titles[q]);
  md_header(f, s, q);
  for (size_t k = 0; k < t.n; k++)
    md_row(f, r, s, q, t.steps[k]);
  fputc('\n', f);
  for (size_t i = 0; i < s->n_series; i++)
    if (s->series[i].curve[q].n_points)
      md_fit(f, &s->series[i], q);
  free(t.steps);
  return 0;
}

int adeis_report_md_write(FILE *f, const char *title, const adeis_report_results *r,
                          const adeis_report_series_set *s)
{
  fputs("## Convergence study: ", f);
  md_text(f, title);
  fputs("\n\nRelative error of each gradient against steps N, with the observed order "
        "log(e(N')/e(N)) / log(N/N') from the previous row.\n",
        f);
  for (int q = 0; q < ADEIS_REPORT_N_QUANTITIES; q++) {
    int st = s->has[q] ? md_quantity(f, r, s, (adeis_report_quantity)q) : 0;
    if (st)
      return st;
  }
  return write_status(f);
}

/* ---- LaTeX (booktabs) ---- */

#define TEX_SERIES_PER_TABLE 3 /* series per table: error and order columns fit a page */
#define STR_(x) #x
#define STR(x) STR_(x)
#define TEX_SERIES_STR STR(TEX_SERIES_PER_TABLE)

/* Text in a '%' comment line: control characters as spaces. */
static void comment(FILE *f, const char *s)
{
  for (; *s; s++)
    fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
}

static void tex_text(FILE *f, const char *s)
{
  for (; *s; s++) {
    switch (*s) {
    case '\\': fputs("\\textbackslash{}", f); break;
    case '~': fputs("\\textasciitilde{}", f); break;
    case '^': fputs("\\textasciicircum{}", f); break;
    case '&':
    case '%':
    case '$':
    case '#':
    case '_':
    case '{':
    case '}':
      fputc('\\', f);
      fputc(*s, f);
      break;
    default: fputc(*s, f);
    }
  }
}

/* A \label-safe key: letters and digits kept, anything else as '-'. */
static void tex_key(FILE *f, const char *s)
{
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    int keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    fputc(keep ? *s : '-', f);
  }
}

/* The series of one table: at most TEX_SERIES_PER_TABLE of those with points for q. */
typedef struct tex_cols {
  size_t ids[TEX_SERIES_PER_TABLE];
  size_t n;
} tex_cols;

static void tex_head(FILE *f, const char *title, const adeis_report_series_set *s,
                     adeis_report_quantity q, const tex_cols *c, size_t part, size_t parts)
{
  fputs("\\begin{table}[htbp]\n  \\centering\n  \\caption{Relative error of ", f);
  fprintf(f, "%s against steps $N$ and observed order (", tex_titles[q]);
  tex_text(f, title);
  if (parts > 1)
    fprintf(f, ", part %zu of %zu", part + 1, parts);
  fputs(").}\n  \\label{tab:", f);
  tex_key(f, title);
  fprintf(f, "-%s", tex_keys[q]);
  if (part)
    fprintf(f, "-%zu", part + 1);
  fputs("}\n  \\begin{lrbox}{\\adeistablebox}%\n  \\begin{tabular}{r", f);
  for (size_t i = 0; i < c->n; i++)
    fputs("rr", f);
  fputs("}\n    \\toprule\n   ", f);
  for (size_t i = 0; i < c->n; i++) { /* the method over the rest of the label */
    const char *label = s->series[c->ids[i]].label, *sp = strchr(label, ' ');
    fputs(" & \\multicolumn{2}{c}{", f);
    if (sp) {
      char *head = strndup(label, (size_t)(sp - label));
      fputs("\\begin{tabular}{@{}c@{}}", f);
      tex_text(f, head ? head : "");
      fputs("\\\\ ", f);
      tex_text(f, sp + 1);
      fputs("\\end{tabular}", f);
      free(head);
    } else {
      tex_text(f, label);
    }
    fputc('}', f);
  }
  fputs(" \\\\\n    ", f);
  for (size_t k = 0; k < c->n; k++)
    fprintf(f, "\\cmidrule(lr){%zu-%zu}", 2 * k + 2, 2 * k + 3);
  fputs("\n    $N$", f);
  for (size_t k = 0; k < c->n; k++)
    fputs(" & error & order", f);
  fputs(" \\\\\n    \\midrule\n", f);
}

static void tex_row(FILE *f, const adeis_report_results *r, const adeis_report_series_set *s,
                    adeis_report_quantity q, const tex_cols *c, long steps)
{
  char b[ADEIS_REPORT_NUM_BUF];
  fprintf(f, "    %ld", steps);
  for (size_t i = 0; i < c->n; i++) {
    const adeis_report_curve *cv = &s->series[c->ids[i]].curve[q];
    double err = NAN, order = NAN;
    int has_prev = 0;
    if (!cell(cv, r, steps, &err, &order, &has_prev)) {
      fputs(" & &", f);
      continue;
    }
    fprintf(f, " & %s", adeis_report_format_error_tex(b, err));
    fprintf(f, " & %s", !has_prev ? "--" : isnan(order) ? "n/a" : fixed(b, order, 2));
  }
  fputs(" \\\\\n", f);
}

/* One summary row: name, then per series a two-column cell written by put. */
static void tex_summary(FILE *f, const char *name, const adeis_report_series_set *s,
                        adeis_report_quantity q, const tex_cols *c,
                        void (*put)(FILE *, const adeis_report_order_row *))
{
  fprintf(f, "    %s", name);
  for (size_t i = 0; i < c->n; i++) {
    const adeis_report_curve *cv = &s->series[c->ids[i]].curve[q];
    fputs(" & \\multicolumn{2}{c}{", f);
    if (cv->order)
      put(f, cv->order);
    else
      fputs("--", f);
    fputc('}', f);
  }
  fputs(" \\\\\n", f);
}

static void put_fitted(FILE *f, const adeis_report_order_row *o)
{
  char b[ADEIS_REPORT_NUM_BUF];
  if (isnan(o->fitted)) {
    fputs("n/a", f);
    return;
  }
  fprintf(f, "$%s", fixed(b, o->fitted, 3));
  if (!isnan(o->se))
    fprintf(f, "\\pm%s", fixed(b, o->se, 3));
  fputc('$', f);
}

static void put_expected(FILE *f, const adeis_report_order_row *o)
{
  fprintf(f, "%g", o->expected);
}

static void put_used(FILE *f, const adeis_report_order_row *o)
{
  if (!o->n_used)
    fputs("none", f);
  else if (o->n_used == 1)
    fprintf(f, "%ld", o->used[0]);
  else
    fprintf(f, "%ld--%ld", o->used[0], o->used[o->n_used - 1]);
}

static void put_status(FILE *f, const adeis_report_order_row *o)
{
  fputs(o->ok ? "ok" : "\\textbf{FAIL}", f);
}

/* Points left out of the fits, as a note under the table (nothing when there are none);
 * as wide as the table, or the text width when that is narrower. */
static void tex_excluded(FILE *f, const adeis_report_series_set *s, adeis_report_quantity q,
                         const tex_cols *c)
{
  int any = 0;
  for (size_t i = 0; i < c->n; i++) {
    const adeis_report_order_row *o = s->series[c->ids[i]].curve[q].order;
    if (!o || !o->n_excluded)
      continue;
    fputs(any ? ";\n  "
              : "  \\par\\smallskip\\parbox{\\adeiswidth}{\\footnotesize\\raggedright Left out "
                "of the fits: ",
          f);
    any = 1;
    tex_text(f, s->series[c->ids[i]].label);
    fputs(" $N$ = ", f);
    excluded_list(f, o, tex_text);
  }
  if (any)
    fputs(".}\n", f);
}

static void tex_table(FILE *f, const char *title, const adeis_report_results *r,
                      const adeis_report_series_set *s, adeis_report_quantity q,
                      const table_rows *t, const tex_cols *c, size_t part, size_t parts)
{
  fputc('\n', f);
  tex_head(f, title, s, q, c, part, parts);
  for (size_t k = 0; k < t->n; k++)
    tex_row(f, r, s, q, c, t->steps[k]);
  fputs("    \\midrule\n", f);
  tex_summary(f, "fitted", s, q, c, put_fitted);
  tex_summary(f, "expected", s, q, c, put_expected);
  tex_summary(f, "used $N$", s, q, c, put_used);
  tex_summary(f, "status", s, q, c, put_status);
  fputs("    \\bottomrule\n  \\end{tabular}%\n  \\end{lrbox}%\n"
        "  \\ifdim\\wd\\adeistablebox>\\adeiswidth\n"
        "    \\resizebox{\\adeiswidth}{!}{\\usebox{\\adeistablebox}}%\n"
        "  \\else\n    \\usebox{\\adeistablebox}%\n  \\fi\n",
        f);
  tex_excluded(f, s, q, c);
  fputs("\\end{table}\n", f);
}

static int tex_quantity(FILE *f, const char *title, const adeis_report_results *r,
                        const adeis_report_series_set *s, adeis_report_quantity q)
{
  table_rows t;
  int st = rows_collect(&t, r, s, q);
  if (st)
    return st;
  size_t n = 0;
  for (size_t i = 0; i < s->n_series; i++)
    n += s->series[i].curve[q].n_points > 0;
  size_t parts = (n + TEX_SERIES_PER_TABLE - 1) / TEX_SERIES_PER_TABLE, part = 0;
  tex_cols c = {{0}, 0};
  for (size_t i = 0; i < s->n_series; i++) {
    if (!s->series[i].curve[q].n_points)
      continue;
    c.ids[c.n++] = i;
    if (c.n == TEX_SERIES_PER_TABLE) {
      tex_table(f, title, r, s, q, &t, &c, part++, parts);
      c.n = 0;
    }
  }
  if (c.n)
    tex_table(f, title, r, s, q, &t, &c, part, parts);
  free(t.steps);
  return 0;
}

int adeis_report_tex_write(FILE *f, const char *title, const adeis_report_results *r,
                           const adeis_report_series_set *s)
{
  fputs("% Convergence tables of the study ", f);
  comment(f, title);
  fputs(", written by adeis from errors.csv and orders.csv.\n"
        "% Needs \\usepackage{booktabs,graphicx}; \\input{table.tex} inside the document.\n"
        "% One table per gradient and at most " TEX_SERIES_STR " series; a table wider than\n"
        "% \\adeiswidth (default \\linewidth; \\newcommand\\adeiswidth{...} before the first\n"
        "% \\input changes it) is scaled down to it.\n"
        "\\providecommand\\adeiswidth{\\linewidth}%\n"
        "\\ifdefined\\adeistablebox\\else\\newsavebox\\adeistablebox\\fi\n",
        f);
  for (int q = 0; q < ADEIS_REPORT_N_QUANTITIES; q++) {
    int st = s->has[q] ? tex_quantity(f, title, r, s, (adeis_report_quantity)q) : 0;
    if (st)
      return st;
  }
  return write_status(f);
}

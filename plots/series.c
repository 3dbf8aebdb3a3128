/* Rows grouped into series (one per problem, method, grid, state, precision, sde) and
 * labelled by the method plus the fields that vary within the study. */
#include "report.h"

#include "../core/status.h"

#include <stdlib.h>
#include <string.h>

static int key_equal(const adeis_report_key *a, const adeis_report_key *b)
{
  return strcmp(a->problem, b->problem) == 0 && strcmp(a->method, b->method) == 0 &&
         strcmp(a->grid, b->grid) == 0 && strcmp(a->state, b->state) == 0 &&
         a->precision == b->precision && a->sde == b->sde;
}

static adeis_report_series *find_series(const adeis_report_series_set *s, const adeis_report_key *k)
{
  for (size_t i = 0; i < s->n_series; i++)
    if (key_equal(&s->series[i].key, k))
      return &s->series[i];
  return NULL;
}

/* Which of problem, grid, state, precision, sde differ between some two series. */
typedef struct varying {
  int problem, grid, state, precision, sde;
} varying;

static varying find_varying(const adeis_report_series_set *s)
{
  varying v = {0, 0, 0, 0, 0};
  const adeis_report_key *a = &s->series[0].key;
  for (size_t i = 1; i < s->n_series; i++) {
    const adeis_report_key *b = &s->series[i].key;
    v.problem |= strcmp(a->problem, b->problem) != 0;
    v.grid |= strcmp(a->grid, b->grid) != 0;
    v.state |= strcmp(a->state, b->state) != 0;
    v.precision |= a->precision != b->precision;
    v.sde |= a->sde != b->sde;
  }
  return v;
}

static char *make_label(const adeis_report_key *k, varying v, const adeis_report_study *st)
{
  char *label = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&label, &len);
  if (!f)
    return NULL;
  fputs(adeis_report_display(st, k->method), f);
  if (v.problem)
    fprintf(f, " %s", adeis_report_display(st, k->problem));
  if (v.grid)
    fprintf(f, " %s", adeis_report_display(st, k->grid));
  if (v.state)
    fprintf(f, " %s", adeis_report_display(st, k->state));
  if (v.precision)
    fprintf(f, " %ld bits", k->precision);
  if (v.sde)
    fputs(k->sde ? " sde" : " ode", f);
  if (fclose(f) != 0) {
    free(label);
    return NULL;
  }
  return label;
}

static int add_point(adeis_report_curve *c, size_t row)
{
  size_t *p = realloc(c->points, (c->n_points + 1) * sizeof *p);
  if (!p)
    return ADEIS_ENOMEM;
  p[c->n_points++] = row;
  c->points = p;
  return 0;
}

static int add_row(adeis_report_series_set *s, const adeis_report_results *r, size_t i)
{
  const adeis_report_error_row *row = &r->errors[i];
  adeis_report_series *se = find_series(s, &row->key);
  if (!se) {
    adeis_report_series *grown = realloc(s->series, (s->n_series + 1) * sizeof *grown);
    if (!grown)
      return ADEIS_ENOMEM;
    s->series = grown;
    se = &s->series[s->n_series++];
    memset(se, 0, sizeof *se);
    se->key = row->key;
  }
  s->has[row->quantity] = 1;
  return add_point(&se->curve[row->quantity], i);
}

/* Insertion sort by steps (curves are short and usually sorted already); a repeated N is
 * an input error. */
static int sort_curve(adeis_report_curve *c, const adeis_report_results *r, const char *label)
{
  for (size_t i = 1; i < c->n_points; i++) {
    size_t p = c->points[i], j = i;
    for (; j > 0 && r->errors[c->points[j - 1]].steps > r->errors[p].steps; j--)
      c->points[j] = c->points[j - 1];
    c->points[j] = p;
  }
  for (size_t i = 1; i < c->n_points; i++) {
    const adeis_report_error_row *a = &r->errors[c->points[i - 1]], *b = &r->errors[c->points[i]];
    if (a->steps == b->steps) {
      const adeis_report_error_row *later = a->line > b->line ? a : b;
      adeis_set_error("%s:%ld: steps: expected one row per N, found N = %ld again for %s, "
                      "quantity %s (line %ld)",
                      r->errors_path, later->line, later->steps, label,
                      adeis_report_quantity_name(later->quantity), (later == a ? b : a)->line);
      return ADEIS_EINPUT;
    }
  }
  return 0;
}

static int attach_order(adeis_report_series_set *s, const adeis_report_results *r, size_t i)
{
  const adeis_report_order_row *o = &r->orders[i];
  adeis_report_series *se = find_series(s, &o->key);
  if (!se)
    return 0; /* a fit without data: nothing to show */
  adeis_report_curve *c = &se->curve[o->quantity];
  if (c->order) {
    adeis_set_error("%s:%ld: quantity: expected one row per series and quantity, found %s "
                    "again for %s (line %ld)",
                    r->orders_path, o->line, adeis_report_quantity_name(o->quantity), se->label,
                    c->order->line);
    return ADEIS_EINPUT;
  }
  c->order = o;
  return 0;
}

static int label_all(adeis_report_series_set *s, const adeis_report_study *st)
{
  varying v = find_varying(s);
  for (size_t i = 0; i < s->n_series; i++) {
    free(s->series[i].label);
    if (!(s->series[i].label = make_label(&s->series[i].key, v, st)))
      return ADEIS_ENOMEM;
  }
  return 0;
}

int adeis_report_series_relabel(adeis_report_series_set *s, const adeis_report_study *st)
{
  int rc = s->n_series ? label_all(s, st) : 0;
  if (rc)
    adeis_set_error("out of memory");
  return rc;
}

int adeis_report_series_build(adeis_report_series_set *s, const adeis_report_results *r)
{
  memset(s, 0, sizeof *s);
  int st = 0;
  for (size_t i = 0; i < r->n_errors && !st; i++)
    st = add_row(s, r, i);
  if (!st && s->n_series)
    st = label_all(s, NULL);
  for (size_t i = 0; i < s->n_series && !st; i++)
    for (int q = 0; q < ADEIS_REPORT_N_QUANTITIES && !st; q++)
      st = sort_curve(&s->series[i].curve[q], r, s->series[i].label);
  for (size_t i = 0; i < r->n_orders && !st; i++)
    st = attach_order(s, r, i);
  if (st == ADEIS_ENOMEM)
    adeis_set_error("out of memory");
  return st;
}

void adeis_report_series_free(adeis_report_series_set *s)
{
  for (size_t i = 0; i < s->n_series; i++) {
    free(s->series[i].label);
    for (int q = 0; q < ADEIS_REPORT_N_QUANTITIES; q++)
      free(s->series[i].curve[q].points);
  }
  free(s->series);
  memset(s, 0, sizeof *s);
}

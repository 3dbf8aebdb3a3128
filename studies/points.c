/* Sweep points: canonical order, names, rows and point-file validation (points.h). */
#include "points.h"
#include "runner.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t adeis_points_count(const adeis_study *s)
{
  return s->n_problems * s->n_methods * s->n_grids * s->n_states * s->n_precisions * s->n_steps;
}

adeis_point adeis_point_at(const adeis_study *s, size_t i)
{
  adeis_point p;
  p.steps = i % s->n_steps;
  i /= s->n_steps;
  p.precision = i % s->n_precisions;
  i /= s->n_precisions;
  p.state = i % s->n_states;
  i /= s->n_states;
  p.grid = i % s->n_grids;
  i /= s->n_grids;
  p.method = i % s->n_methods;
  p.problem = i / s->n_methods;
  return p;
}

/* The key fields "problem,method,grid,state,precision,sde,steps" (no trailing comma), with
 * problem name (NULL: the point's problem). */
static void key_fields_as(const adeis_study *s, const adeis_point *p, const char *name, char sep,
                          char *buf, size_t n)
{
  snprintf(buf, n, "%s%c%s%c%s%c%s%c%ld%c%s%c%zu", name ? name : s->problems[p->problem].name, sep,
           s->methods[p->method].label, sep, adeis_grid_name(s->grids[p->grid]), sep,
           adeis_state_name(adeis_study_state(s, p->method, p->state)), sep, s->precisions[p->precision], sep,
           sep == ',' ? (s->sde ? "1" : "0") : (s->sde ? "sde" : "ode"), sep, s->steps[p->steps]);
}

static void key_fields(const adeis_study *s, const adeis_point *p, char sep, char *buf, size_t n)
{
  key_fields_as(s, p, NULL, sep, buf, n);
}

void adeis_point_file_name(const adeis_study *s, const adeis_point *p, char *buf, size_t n)
{
  char key[512];
  key_fields(s, p, '.', key, sizeof key);
  snprintf(buf, n, "%s.csv", key);
}

void adeis_point_describe(const adeis_study *s, const adeis_point *p, char *buf, size_t n)
{
  snprintf(buf, n, "problem %s, method %s, grid %s, state %s, precision %ld, %s, N=%zu",
           s->problems[p->problem].name, s->methods[p->method].label,
           adeis_grid_name(s->grids[p->grid]),
           adeis_state_name(adeis_study_state(s, p->method, p->state)),
           s->precisions[p->precision], s->sde ? "SDE" : "ODE", s->steps[p->steps]);
}

void adeis_point_stamp(const adeis_study *s, const adeis_point *p, uint64_t hash, char *buf,
                       size_t n)
{
  snprintf(buf, n, "# adeis study point: problem %s fnv1a64 %016" PRIx64,
           s->problems[p->problem].file, hash);
}

static void format_error(mpfr_srcptr e, char *buf, size_t n)
{
  double d = mpfr_get_d(e, MPFR_RNDN);
  if (isnan(d))
    snprintf(buf, n, "nan");
  else if (isinf(d))
    snprintf(buf, n, "inf");
  else
    snprintf(buf, n, "%.17e", d);
}

void adeis_point_rows(const adeis_study *s, const adeis_point *p, const adeis_grad_result *res,
                      adeis_sbuf *b)
{
  char key[512], err[64];
  key_fields(s, p, ',', key, sizeof key);
  for (size_t i = 0; i < s->n_quantities; i++) {
    int q = s->quantities[i];
    format_error(res->rel_error[q], err, sizeof err);
    adeis_sbuf_printf(b, "%s,%s,%s,%lu,%lu,%.6f\n", key, adeis_quantity_names[q], err, res->nfe,
                      res->nvjp, res->seconds);
  }
}

static void format_double(double d, char *buf, size_t n)
{
  if (isnan(d))
    snprintf(buf, n, "nan");
  else if (isinf(d))
    snprintf(buf, n, "inf");
  else
    snprintf(buf, n, "%.17e", d);
}

void adeis_point_rows_truth(const adeis_study *s, const adeis_point *p,
                            const adeis_grad_result *res, const double *solver,
                            const double *total, adeis_sbuf *b)
{
  char key[512], err[64];
  for (int part = 0; part < 2; part++) {
    key_fields_as(s, p, part ? s->truth_name : NULL, ',', key, sizeof key);
    for (size_t i = 0; i < s->n_quantities; i++) {
      format_double(part ? total[i] : solver[i], err, sizeof err);
      adeis_sbuf_printf(b, "%s,%s,%s,%lu,%lu,%.6f\n", key, adeis_quantity_names[s->quantities[i]],
                        err, res->nfe, res->nvjp, res->seconds);
    }
  }
}

/* ---- validation ---- */

/* Text up to the next '\n' equals want; *t moves past the newline. */
static int take_line(const char **t, const char *want)
{
  size_t n = strlen(want);
  if (strncmp(*t, want, n) != 0 || (*t)[n] != '\n')
    return -1;
  *t += n + 1;
  return 0;
}

/* A non-negative decimal integer ending at sep. */
static int take_count(const char **t, char sep)
{
  const char *p = *t;
  if (!isdigit((unsigned char)*p))
    return -1;
  while (isdigit((unsigned char)*p))
    p++;
  if (*p != sep)
    return -1;
  *t = p + 1;
  return 0;
}

/* A number as written by format_error / "%.6f", ending at sep. */
static int take_number(const char **t, char sep, double *out)
{
  static const struct {
    const char *word;
    double value;
  } words[] = {{"nan", NAN}, {"inf", INFINITY}};
  for (size_t i = 0; i < 2; i++)
    if (strncmp(*t, words[i].word, 3) == 0 && (*t)[3] == sep) {
      *out = words[i].value;
      *t += 4;
      return 0;
    }
  if (!isdigit((unsigned char)**t))
    return -1;
  char *end;
  double v = strtod(*t, &end);
  if (*end != sep)
    return -1;
  *out = v;
  *t = end + 1;
  return 0;
}

static int take_row(const char **t, const char *prefix, double *err)
{
  size_t n = strlen(prefix);
  double seconds;
  if (strncmp(*t, prefix, n) != 0)
    return -1;
  *t += n;
  if (take_number(t, ',', err) || take_count(t, ',') || take_count(t, ','))
    return -1;
  return take_number(t, '\n', &seconds);
}

int adeis_point_parse(const adeis_study *s, const adeis_point *p, const char *stamp,
                      const char *text, const char **rows, double *err, double *total)
{
  const char *t = text;
  if (take_line(&t, stamp) || take_line(&t, ADEIS_ERRORS_HEADER))
    return -1;
  *rows = t;
  char key[512], prefix[600];
  key_fields(s, p, ',', key, sizeof key);
  for (size_t i = 0; i < s->n_quantities; i++) {
    snprintf(prefix, sizeof prefix, "%s,%s,", key, adeis_quantity_names[s->quantities[i]]);
    if (take_row(&t, prefix, &err[i]))
      return -1;
  }
  if (s->truth) { /* the truth's rows: the total errors */
    key_fields_as(s, p, s->truth_name, ',', key, sizeof key);
    for (size_t i = 0; i < s->n_quantities; i++) {
      snprintf(prefix, sizeof prefix, "%s,%s,", key, adeis_quantity_names[s->quantities[i]]);
      double e;
      if (take_row(&t, prefix, &e))
        return -1;
      if (total)
        total[i] = e;
    }
  }
  return *t == '\0' ? 0 : -1;
}

/* What a figure or table says about its study beyond the CSV files: the study's name and
 * display labels from DIR/study.ini (the copy the runner writes), read with the project's
 * INI reader, and each problem's schedule from the copied problem file DIR/PROBLEM.ini.
 *
 *   [study]
 *   name = gaussian-ode
 *   [labels]                    ; optional: display names in tables and figures
 *   adjdeis-2m = AdjointDEIS-2M
 *
 * A missing study.ini is not an error (a folder of CSV files alone still renders, under
 * its folder's name); a malformed one is (ADEIS_EINPUT, "FILE:LINE: key: what"). */
#include "publish.h"
#include "report.h"

#include "../core/inifile.h"
#include "../core/schedule.h"
#include "../core/status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LINE_MAX_CHARS 190 /* under inih's INI_MAX_LINE (200), as the study parser reads */

static const char *const sections[] = {"study", "methods", "check", "labels"};
enum { SEC_STUDY, SEC_METHODS, SEC_CHECK, SEC_LABELS, SEC_COUNT };

typedef struct info_ctx {
  adeis_ini_reader ini;
  adeis_report_study *st;
  char **last; /* the value a continuation line extends (study.name only) */
} info_ctx;

static char *read_line(char *str, int num, void *stream)
{
  info_ctx *c = stream;
  int indented;
  char *s = adeis_ini_next_line(&c->ini, &indented);
  if (!s)
    return NULL;
  if (strlen(s) > LINE_MAX_CHARS || num < LINE_MAX_CHARS + 4) {
    adeis_ini_fail(&c->ini, c->ini.lineno, "file", "line longer than %d characters",
                   LINE_MAX_CHARS);
    *s = '\0';
  }
  adeis_ini_classify(&c->ini, s, indented);
  snprintf(str, (size_t)num, "%s%s\n", c->ini.cont ? " " : "", s);
  return str;
}

static int add_label(info_ctx *c, const char *key, const char *text)
{
  adeis_report_study *st = c->st;
  for (size_t i = 0; i < st->n_labels; i++)
    if (strcmp(st->label_key[i], key) == 0) {
      adeis_ini_fail(&c->ini, c->ini.lineno, "labels", "'%.40s' given twice", key);
      return 0;
    }
  if (!*text) {
    adeis_ini_fail(&c->ini, c->ini.lineno, "labels",
                   "'%.40s': expected a display name, got nothing", key);
    return 0;
  }
  char **k = realloc(st->label_key, (st->n_labels + 1) * sizeof *k);
  if (k)
    st->label_key = k;
  char **t = k ? realloc(st->label_text, (st->n_labels + 1) * sizeof *t) : NULL;
  if (t)
    st->label_text = t;
  char *kd = t ? strdup(key) : NULL, *td = kd ? strdup(text) : NULL;
  if (!td) {
    free(kd);
    adeis_ini_fail_oom(&c->ini);
    return 0;
  }
  st->label_key[st->n_labels] = kd;
  st->label_text[st->n_labels++] = td;
  return 1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
  info_ctx *c = user;
  if (c->ini.has_error || c->ini.cont) /* continuation lines: lists we do not read */
    return 1;
  int sec = adeis_ini_section_id(&c->ini, section);
  if (sec == SEC_STUDY && strcmp(name, "name") == 0) {
    free(c->st->name);
    if (!(c->st->name = strdup(value)))
      adeis_ini_fail_oom(&c->ini);
  } else if (sec == SEC_LABELS) {
    add_label(c, name, value);
  }
  return 1;
}

static int read_study_ini(adeis_report_study *st, const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f)
    return errno == ENOENT
               ? 0
               : (adeis_set_error("%s: cannot open: %s", path, strerror(errno)), ADEIS_EINPUT);
  info_ctx c = {.st = st};
  adeis_ini_reader_init(&c.ini, path, f, sections, SEC_COUNT);
  int rc = adeis_ini_parse(&c.ini, read_line, &c, on_key, &c);
  if (rc > 0)
    adeis_ini_fail_syntax(&c.ini, rc);
  else if (rc < 0)
    adeis_ini_fail_oom(&c.ini);
  fclose(f);
  int st_rc = c.ini.oom ? ADEIS_ENOMEM : c.ini.has_error ? ADEIS_EINPUT : 0;
  if (st_rc)
    adeis_set_error("%s", c.ini.msg);
  adeis_ini_reader_clear(&c.ini);
  return st_rc;
}

/* inih handler: the value of [schedule] name, the first time it is seen. */
static int schedule_name_of(void *user, const char *section, const char *key, const char *value)
{
  char *out = user;
  if (!out[0] && strcmp(section, "schedule") == 0 && strcmp(key, "name") == 0)
    snprintf(out, 64, "%s", value);
  return 1;
}

/* The schedule of DIR/PROBLEM.ini, when that copy is there and names one (read with inih
 * alone: plots/ reads the copied files, it does not build problems). A problem name with a
 * '/' (an edited errors.csv) names no copy: nothing outside DIR is read. */
static int add_schedule(adeis_report_study *st, const char *dir, const char *problem)
{
  if (strchr(problem, '/'))
    return 0;
  for (size_t i = 0; i < st->n_schedules; i++)
    if (strcmp(st->schedule_problem[i], problem) == 0)
      return 0;
  char *path = adeis_publish_concat(dir, "/", problem),
       *ini = path ? adeis_publish_concat(path, ".ini", "") : NULL;
  free(path);
  if (!ini)
    return ADEIS_ENOMEM;
  struct stat sb;
  char found[64] = "";
  const char *name = NULL;
  if (stat(ini, &sb) == 0 && S_ISREG(sb.st_mode) && ini_parse(ini, schedule_name_of, found) >= 0 &&
      adeis_schedule_lookup(found))
    name = adeis_schedule_lookup(found)->name;
  int rc = 0;
  if (name) {
    char **p = realloc(st->schedule_problem, (st->n_schedules + 1) * sizeof *p);
    if (p)
      st->schedule_problem = p;
    char **q = p ? realloc(st->schedule_name, (st->n_schedules + 1) * sizeof *q) : NULL;
    if (q)
      st->schedule_name = q;
    char *pd = q ? strdup(problem) : NULL, *nd = pd ? strdup(name) : NULL;
    if (nd) {
      st->schedule_problem[st->n_schedules] = pd;
      st->schedule_name[st->n_schedules++] = nd;
    } else {
      free(pd);
      rc = ADEIS_ENOMEM;
    }
  }
  free(ini);
  return rc;
}

/* One row "Q,VALUE,LABEL" of hlines.csv; 0, or a message in err. */
static int add_hline(adeis_report_study *st, char *row, char *err, size_t n)
{
  char *c1 = strchr(row, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
  if (!c2) {
    snprintf(err, n, "row: expected 'quantity,value,label'");
    return -1;
  }
  *c1 = *c2 = '\0';
  int q = -1;
  for (int k = 0; k < ADEIS_REPORT_N_QUANTITIES; k++)
    if (strcmp(row, adeis_report_quantity_name((adeis_report_quantity)k)) == 0)
      q = k;
  char *end;
  double v = strtod(c1 + 1, &end);
  if (q < 0 || end == c1 + 1 || *end) {
    snprintf(err, n, q < 0 ? "quantity: expected x_T, z or theta" : "value: expected a number");
    return -1;
  }
  size_t k = st->n_hlines;
  adeis_report_quantity *pq = realloc(st->hline_q, (k + 1) * sizeof *pq);
  if (pq)
    st->hline_q = pq;
  double *pv = pq ? realloc(st->hline_value, (k + 1) * sizeof *pv) : NULL;
  if (pv)
    st->hline_value = pv;
  char **pl = pv ? realloc(st->hline_label, (k + 1) * sizeof *pl) : NULL;
  if (pl)
    st->hline_label = pl;
  char *label = pl ? strdup(c2 + 1) : NULL;
  if (!label)
    return ADEIS_ENOMEM;
  st->hline_q[k] = (adeis_report_quantity)q;
  st->hline_value[k] = v;
  st->hline_label[k] = label;
  st->n_hlines = k + 1;
  return 0;
}

static int read_hlines(adeis_report_study *st, const char *dir)
{
  char *path = adeis_publish_concat(dir, "/", "hlines.csv");
  if (!path)
    return ADEIS_ENOMEM;
  FILE *f = fopen(path, "r");
  if (!f) {
    int rc = errno == ENOENT ? 0 : ADEIS_EINPUT;
    if (rc)
      adeis_set_error("%s: cannot open: %s", path, strerror(errno));
    free(path);
    return rc;
  }
  char line[512], err[128] = "";
  long lineno = 0;
  int rc = 0;
  while (!rc && fgets(line, sizeof line, f)) {
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    if (lineno == 1)
      rc = strcmp(line, "quantity,value,label") ? -1 : 0;
    else
      rc = add_hline(st, line, err, sizeof err);
    if (rc < 0 && lineno == 1)
      snprintf(err, sizeof err, "header: expected 'quantity,value,label'");
  }
  if (rc < 0) {
    adeis_set_error("%s:%ld: %s", path, lineno, err);
    rc = ADEIS_EINPUT;
  }
  fclose(f);
  free(path);
  return rc;
}

int adeis_report_study_read(adeis_report_study *st, const char *dir,
                            const adeis_report_series_set *s)
{
  memset(st, 0, sizeof *st);
  char *path = adeis_publish_concat(dir, "/", "study.ini");
  int rc = path ? read_study_ini(st, path) : ADEIS_ENOMEM;
  if (!rc)
    rc = read_hlines(st, dir);
  for (size_t i = 0; !rc && i < s->n_series; i++)
    rc = add_schedule(st, dir, s->series[i].key.problem);
  if (rc == ADEIS_ENOMEM)
    adeis_set_error("out of memory");
  free(path);
  return rc;
}

void adeis_report_study_free(adeis_report_study *st)
{
  for (size_t i = 0; i < st->n_labels; i++) {
    free(st->label_key[i]);
    free(st->label_text[i]);
  }
  for (size_t i = 0; i < st->n_schedules; i++) {
    free(st->schedule_problem[i]);
    free(st->schedule_name[i]);
  }
  for (size_t i = 0; i < st->n_hlines; i++)
    free(st->hline_label[i]);
  free(st->hline_q);
  free(st->hline_value);
  free(st->hline_label);
  free(st->label_key);
  free(st->label_text);
  free(st->schedule_problem);
  free(st->schedule_name);
  free(st->name);
  memset(st, 0, sizeof *st);
}

const char *adeis_report_display(const adeis_report_study *st, const char *name)
{
  for (size_t i = 0; st && i < st->n_labels; i++)
    if (strcmp(st->label_key[i], name) == 0)
      return st->label_text[i];
  return name;
}

const char *adeis_report_schedule(const adeis_report_study *st, const char *problem)
{
  for (size_t i = 0; st && i < st->n_schedules; i++)
    if (strcmp(st->schedule_problem[i], problem) == 0)
      return st->schedule_name[i];
  return NULL;
}

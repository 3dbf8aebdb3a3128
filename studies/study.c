/* Study files (study.h, docs/studies.md).
 *
 * Reading: inih pulls lines through read_line(), built on the shared line reader
 * (core/inifile.h), which counts physical lines (inih's handler gets no line number),
 * strips comments and indentation, checks section names and marks indented lines
 * without '=' as continuations of the previous value.
 * The handler only collects raw text per key; check_*() then validate it, so every
 * message names the key's first line. */
#include "study.h"
#include "../core/inifile.h"
#include "../core/status.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LINE_MAX_CHARS 190   /* under inih's INI_MAX_LINE (200) */

enum section_id { SEC_NONE = -1, SEC_STUDY, SEC_METHODS, SEC_CHECK, SEC_LABELS, SEC_COUNT };
static const char *const section_names[SEC_COUNT] = {"study", "methods", "check", "labels"};

enum key_id {
  K_NAME, K_PROBLEM, K_PRECISION, K_GRID, K_STATE, K_SDE, K_QUANTITIES, K_STEPS, K_TOLERANCE,
  K_BACKEND, KEY_COUNT
};

static const struct {
  enum section_id section;
  const char *name;
} keys[KEY_COUNT] = {
  [K_NAME] = {SEC_STUDY, "name"},           [K_PROBLEM] = {SEC_STUDY, "problem"},
  [K_PRECISION] = {SEC_STUDY, "precision"}, [K_GRID] = {SEC_STUDY, "grid"},
  [K_STATE] = {SEC_STUDY, "state"},         [K_SDE] = {SEC_STUDY, "sde"},
  [K_QUANTITIES] = {SEC_STUDY, "quantities"}, [K_STEPS] = {SEC_STUDY, "steps"},
  [K_TOLERANCE] = {SEC_CHECK, "tolerance"}, [K_BACKEND] = {SEC_STUDY, "backend"},
};

typedef struct raw {
  char *name;     /* method entries only */
  char *text;     /* NULL = absent */
  int line;
} raw;

typedef struct parse_ctx {
  adeis_ini_reader ini;
  adeis_study *s;
  raw val[KEY_COUNT];
  raw *methods;
  size_t n_methods, cap_methods;
  raw *expects;   /* [check] expect lines: name = the words after "expect" */
  size_t n_expects, cap_expects;
  raw *last;      /* the value a continuation line extends */
  const char *base;  /* problem paths are relative to its folder; NULL: to the current
                      * folder (a study read from a pipe has no folder of its own) */
} parse_ctx;

_Static_assert(SEC_COUNT <= ADEIS_INI_MAX_SECTIONS, "too many sections for adeis_ini_reader");

#define LABEL(k) adeis_ini_label((char[64]){0}, 64, section_names[keys[k].section], keys[k].name)

/* ---- the line reader ---- */

static char *read_line(char *str, int num, void *stream)
{
  parse_ctx *c = stream;
  int indented;
  char *s = adeis_ini_next_line(&c->ini, &indented);
  if (!s)
    return NULL;
  adeis_ini_classify(&c->ini, s, indented && c->last);   /* empties '#' comments */
  if (strlen(s) > LINE_MAX_CHARS || num < LINE_MAX_CHARS + 4) {
    adeis_ini_fail(&c->ini, c->ini.lineno, "file",
                   "line longer than %d characters; continue a list on indented lines",
                   LINE_MAX_CHARS);
    *s = '\0';
  }
  snprintf(str, (size_t)num, "%s%s\n", c->ini.cont ? " " : "", s);
  return str;
}

/* ---- collecting raw values ---- */

static int append(parse_ctx *c, raw *r, const char *more)
{
  size_t n = strlen(r->text), m = strlen(more);
  char *t = realloc(r->text, n + m + 2);
  if (!t) {
    adeis_ini_fail_oom(&c->ini);
    return 0;
  }
  t[n] = ' ';
  memcpy(t + n + 1, more, m + 1);
  r->text = t;
  return 1;
}

/* A new named entry of a list (methods, expect lines); a name given twice is an error. */
static raw *new_entry(parse_ctx *c, raw **list, size_t *n, size_t *cap, const char *name,
                      const char *key, const char *what)
{
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*list)[i].name, name) == 0) {
      adeis_ini_fail(&c->ini, c->ini.lineno, key, "%s '%.60s' given twice (first on line %d)",
                     what, name, (*list)[i].line);
      return NULL;
    }
  if (*n == *cap) {
    size_t more = *cap ? 2 * *cap : 8;
    raw *p = realloc(*list, more * sizeof *p);
    if (!p) {
      adeis_ini_fail_oom(&c->ini);
      return NULL;
    }
    *list = p;
    *cap = more;
  }
  raw *r = &(*list)[*n];
  *r = (raw){.name = strdup(name), .line = c->ini.lineno};
  if (!r->name) {
    adeis_ini_fail_oom(&c->ini);
    return NULL;
  }
  (*n)++;
  return r;
}

static raw *new_method(parse_ctx *c, const char *name)
{
  return new_entry(c, &c->methods, &c->n_methods, &c->cap_methods, name, "methods", "method");
}

/* "expect WORDS" in [check]: WORDS as written, or NULL for another key. */
static const char *expect_words(const char *name)
{
  if (strncmp(name, "expect", 6) != 0 || (name[6] && !isspace((unsigned char)name[6])))
    return NULL;
  return name + 6 + strspn(name + 6, " \t");
}

static raw *new_key(parse_ctx *c, int sec, const char *name)
{
  for (int k = 0; k < KEY_COUNT; k++) {
    if (keys[k].section != sec || strcmp(keys[k].name, name) != 0)
      continue;
    if (c->val[k].text) {
      adeis_ini_fail(&c->ini, c->ini.lineno, LABEL(k), "given twice (first on line %d)",
                     c->val[k].line);
      return NULL;
    }
    c->val[k].line = c->ini.lineno;
    return &c->val[k];
  }
  char where[64];
  snprintf(where, sizeof where, "%s.%.40s", section_names[sec], name);
  adeis_ini_fail(&c->ini, c->ini.lineno, where, sec == SEC_STUDY
                 ? "unknown key; expected name, problem, precision, grid, state, sde, quantities "
                   "or steps"
                 : "unknown key; expected tolerance or 'expect SERIES = ORDER [TOLERANCE]'");
  return NULL;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
  parse_ctx *c = user;
  if (c->ini.has_error)
    return 1;
  if (c->ini.cont) {
    append(c, c->last, value);
    return 1;
  }
  int sec = adeis_ini_section_id(&c->ini, section);
  if (sec == SEC_NONE) {
    adeis_ini_fail(&c->ini, c->ini.lineno, "file",
                   "'%.40s' before any section; expected [study] first", name);
    return 1;
  }
  if (sec == SEC_LABELS) { /* display names, read by the plots from the copied study.ini */
    c->last = NULL;
    return 1;
  }
  const char *words = sec == SEC_CHECK ? expect_words(name) : NULL;
  raw *r = sec == SEC_METHODS ? new_method(c, name)
           : words ? new_entry(c, &c->expects, &c->n_expects, &c->cap_expects, words,
                               "check.expect", "expect line for")
           : new_key(c, sec, name);
  if (!r)
    return 1;
  if (!(r->text = strdup(value)))
    adeis_ini_fail_oom(&c->ini);
  c->last = r;
  return 1;
}

/* ---- validating ---- */

/* Next whitespace-separated word of *s into tok (cap bytes); 0 at the end, else its length. */
static size_t next_word(const char **s, char *tok, size_t cap)
{
  const char *p = *s + strspn(*s, " \t\r\n\v\f");
  size_t n = strcspn(p, " \t\r\n\v\f");
  *s = p + n;
  size_t k = n < cap - 1 ? n : cap - 1;
  memcpy(tok, p, k);
  tok[k] = '\0';
  return n;
}

static size_t count_words(const char *s)
{
  char tok[8];
  size_t n = 0;
  while (next_word(&s, tok, sizeof tok))
    n++;
  return n;
}

/* Decimal integer in lo..hi, nothing else. */
static int parse_long(const char *t, long lo, long hi, long *out)
{
  if (!isdigit((unsigned char)*t))
    return -1;
  char *end;
  errno = 0;
  long v = strtol(t, &end, 10);
  if (errno || *end || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

static const char *text_or(const parse_ctx *c, enum key_id k, const char *dflt)
{
  return c->val[k].text ? c->val[k].text : dflt;
}

/* The words of a list key, as an allocated array of n items of size sz, each parsed by conv
 * (which reports its own error and returns nonzero). Duplicates are refused. */
typedef int (*conv_fn)(parse_ctx *c, enum key_id k, const char *word, void *out);

static void *parse_list(parse_ctx *c, enum key_id k, const char *dflt, size_t sz, conv_fn conv,
                        size_t *n)
{
  const char *text = text_or(c, k, dflt), *s = text;
  size_t count = count_words(text);
  *n = 0;
  if (count == 0) {
    adeis_ini_fail(&c->ini, c->val[k].line, LABEL(k), "expected at least one value, got nothing");
    return NULL;
  }
  unsigned char *out = calloc(count, sz);
  if (!out) {
    adeis_ini_fail_oom(&c->ini);
    return NULL;
  }
  char tok[128];
  for (size_t i = 0; i < count; i++) {
    next_word(&s, tok, sizeof tok);
    if (conv(c, k, tok, out + i * sz))
      break;
    for (size_t j = 0; j < i && !c->ini.has_error; j++)
      if (memcmp(out + j * sz, out + i * sz, sz) == 0)
        adeis_ini_fail(&c->ini, c->val[k].line, LABEL(k), "'%s' listed twice", tok);
  }
  if (c->ini.has_error) {
    free(out);
    return NULL;
  }
  *n = count;
  return out;
}

static int conv_precision(parse_ctx *c, enum key_id k, const char *w, void *out)
{
  if (parse_long(w, ADEIS_PREC_MIN, ADEIS_PREC_MAX, out) == 0)
    return 0;
  adeis_ini_fail(&c->ini, c->val[k].line, LABEL(k),
                 "expected precisions in bits, integers in %d..%d, got '%.40s'", ADEIS_PREC_MIN,
                 ADEIS_PREC_MAX, w);
  return -1;
}

static int conv_grid(parse_ctx *c, enum key_id k, const char *w, void *out)
{
  if (adeis_grid_lookup(w, out) == 0)
    return 0;
  char names[256] = "";
  for (int g = 0; g < ADEIS_GRID_COUNT; g++)
    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", g ? ", " : "",
             adeis_grid_name((adeis_grid_kind)g));
  adeis_ini_fail(&c->ini, c->val[k].line, LABEL(k), "unknown grid '%.40s'; expected %s", w, names);
  return -1;
}

static int conv_state(parse_ctx *c, enum key_id k, const char *w, void *out)
{
  if (adeis_state_lookup(w, out) == 0)
    return 0;
  adeis_ini_fail(&c->ini, c->val[k].line, LABEL(k),
                 "unknown state mode '%.40s'; expected oracle, cached or backsolve", w);
  return -1;
}

static int conv_quantity(parse_ctx *c, enum key_id k, const char *w, void *out)
{
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    if (strcmp(adeis_quantity_names[q], w) == 0) {
      *(int *)out = q;
      return 0;
    }
  adeis_ini_fail(&c->ini, c->val[k].line, LABEL(k),
                 "unknown quantity '%.40s'; expected x_T, z or theta", w);
  return -1;
}

static int conv_steps(parse_ctx *c, enum key_id k, const char *w, void *out)
{
  long v;
  if (parse_long(w, 1, (long)ADEIS_STEPS_MAX, &v) == 0) {
    *(size_t *)out = (size_t)v;
    return 0;
  }
  adeis_ini_fail(&c->ini, c->val[k].line, LABEL(k),
                 "expected step counts, integers in 1..%lu, got '%.40s'", ADEIS_STEPS_MAX, w);
  return -1;
}

static void check_steps(parse_ctx *c)
{
  adeis_study *s = c->s;
  if (!c->val[K_STEPS].text) {
    adeis_ini_fail(&c->ini, c->ini.section_line[SEC_STUDY], LABEL(K_STEPS),
                   "missing; expected increasing step counts, e.g. 'steps = 16 32 64 128'");
    return;
  }
  s->steps = parse_list(c, K_STEPS, "", sizeof *s->steps, conv_steps, &s->n_steps);
  for (size_t i = 1; i < s->n_steps && !c->ini.has_error; i++)
    if (s->steps[i] <= s->steps[i - 1])
      adeis_ini_fail(&c->ini, c->val[K_STEPS].line, LABEL(K_STEPS),
                     "expected strictly increasing step counts, got %zu after %zu", s->steps[i],
                     s->steps[i - 1]);
}

static void check_sde(parse_ctx *c)
{
  const char *t = text_or(c, K_SDE, "false");
  static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off",
                                                                              "0"};
  for (int i = 0; i < 4; i++) {
    if (strcmp(t, yes[i]) == 0)
      c->s->sde = 1;
    if (strcmp(t, no[i]) == 0)
      return;
  }
  if (!c->s->sde)
    adeis_ini_fail(&c->ini, c->val[K_SDE].line, LABEL(K_SDE),
                   "expected true or false, got '%.40s'", t);
}

static void check_tolerance(parse_ctx *c)
{
  const char *t = c->val[K_TOLERANCE].text;
  c->s->tolerance = ADEIS_STUDY_TOL_DEFAULT;
  if (!t)
    return;
  char *end;
  errno = 0;
  double v = strtod(t, &end);
  if (end == t || *end || errno || !isfinite(v) || v <= 0 || v > ADEIS_STUDY_ORDER_MAX)
    adeis_ini_fail(&c->ini, c->val[K_TOLERANCE].line, LABEL(K_TOLERANCE),
                   "expected a positive number (at most %d), the allowed |fitted - expected| "
                   "order, got '%.40s'", ADEIS_STUDY_ORDER_MAX, t);
  else
    c->s->tolerance = v;
}

static int name_ok(const char *n)
{
  if (!*n || *n == '.' || strlen(n) > ADEIS_STUDY_NAME_MAX)
    return 0;
  for (; *n; n++)
    if (!isalnum((unsigned char)*n) && !strchr("._-", *n))
      return 0;
  return 1;
}

/* Base name of path without a final ".ini". */
static char *stem(const char *path)
{
  const char *b = strrchr(path, '/');
  b = b ? b + 1 : path;
  size_t n = strlen(b);
  if (n > 4 && strcmp(b + n - 4, ".ini") == 0)
    n -= 4;
  return strndup(b, n);
}

static void check_name(parse_ctx *c)
{
  char *n = c->val[K_NAME].text ? strdup(c->val[K_NAME].text) : stem(c->ini.path);
  if (!n) {
    adeis_ini_fail_oom(&c->ini);
    return;
  }
  c->s->name = n;
  if (!name_ok(n))
    adeis_ini_fail(&c->ini, c->val[K_NAME].line, LABEL(K_NAME),
                   "expected a folder name of letters, digits, '.', '_', '-' (not starting with "
                   "'.', at most %d characters), got '%.60s'", ADEIS_STUDY_NAME_MAX, n);
}

/* ---- problems ---- */

/* path relative to the study file's folder (absolute paths kept; study_path NULL: relative
 * to the current folder). */
static char *resolve(const char *study_path, const char *p)
{
  const char *slash = study_path ? strrchr(study_path, '/') : NULL;
  if (p[0] == '/' || !slash)
    return strdup(p);
  size_t d = (size_t)(slash - study_path) + 1;
  char *r = malloc(d + strlen(p) + 1);
  if (r) {
    memcpy(r, study_path, d);
    strcpy(r + d, p);
  }
  return r;
}

static int load_problem(parse_ctx *c, const char *word, adeis_study_problem *p)
{
  int line = c->val[K_PROBLEM].line;
  p->path = resolve(c->base, word);
  const char *b = p->path ? strrchr(p->path, '/') : NULL;
  p->file = p->path ? strdup(b ? b + 1 : p->path) : NULL;
  p->name = p->path ? stem(p->path) : NULL;
  if (!p->path || !p->file || !p->name) {
    adeis_ini_fail_oom(&c->ini);
    return -1;
  }
  /* the copy lands in the output folder under this name: only NAME.ini, so it can never
   * replace errors.csv, a table, a figure or the points folder */
  size_t fl = strlen(p->file);
  int ini = fl > 4 && strcmp(p->file + fl - 4, ".ini") == 0;
  if (!name_ok(p->name) || !ini || strcmp(p->file, "study.ini") == 0) {
    adeis_ini_fail(&c->ini, line, LABEL(K_PROBLEM),
                   "'%.60s': expected a file named NAME.ini, NAME of letters, digits, '.', '_', "
                   "'-' (and not study.ini, the name of the study's own copy)", word);
    return -1;
  }
  int rc = adeis_problem_load(p->path, &p->spec);
  if (rc == ADEIS_ENOMEM)
    adeis_ini_fail_oom(&c->ini);
  else if (rc)
    adeis_ini_fail(&c->ini, line, LABEL(K_PROBLEM), "cannot use '%s' (%s): %s", word,
                   !c->base ? "the study file is a pipe or device: relative paths are read "
                              "from the current folder"
                   : word[0] == '/' ? "an absolute path"
                   : "relative paths are read from the study file's folder",
                   adeis_errmsg());
  return rc ? -1 : 0;
}

static void check_problems(parse_ctx *c)
{
  adeis_study *s = c->s;
  const char *text = c->val[K_PROBLEM].text, *t = text;
  size_t n = text ? count_words(text) : 0;
  if (n == 0) {
    adeis_ini_fail(&c->ini, text ? c->val[K_PROBLEM].line : c->ini.section_line[SEC_STUDY],
                   LABEL(K_PROBLEM), "missing; expected one or more problem files, e.g. "
                   "'problem = ../problems/gaussian-3d.ini'");
    return;
  }
  if (!(s->problems = calloc(n, sizeof *s->problems))) {
    adeis_ini_fail_oom(&c->ini);
    return;
  }
  char word[4096];
  for (size_t i = 0; i < n; i++) {
    next_word(&t, word, sizeof word);
    s->n_problems = i + 1;
    if (load_problem(c, word, &s->problems[i]))
      return;
    for (size_t j = 0; j < i; j++)
      if (strcmp(s->problems[j].name, s->problems[i].name) == 0) {
        adeis_ini_fail(&c->ini, c->val[K_PROBLEM].line, LABEL(K_PROBLEM),
                       "two problem files named '%s': results are keyed by the file's base name",
                       s->problems[i].file);
        return;
      }
  }
}

/* ---- methods ---- */

/* The part after '@' of a method line: a state mode or a storage policy (checkpoint-S for
 * checkpoint:S, since ':' separates keys from values). */
static int parse_variant(const char *v, adeis_study_method *m)
{
  adeis_state_mode st;
  if (adeis_state_lookup(v, &st) == 0) {
    m->state = (int)st;
    return 0;
  }
  char buf[ADEIS_STUDY_LABEL_MAX];
  snprintf(buf, sizeof buf, "%s", v);
  if (strncmp(buf, "checkpoint-", 11) == 0)
    buf[10] = ':';
  if (strcmp(buf, "checkpoint:") == 0 || adeis_store_parse(buf, &m->store))
    return -1;
  return (m->method->flags & ADEIS_METHOD_DISCRETE) ? 0 : -1;
}

adeis_state_mode adeis_study_state(const adeis_study *s, size_t method, size_t state)
{
  int own = s->methods[method].state;
  return own >= 0 ? (adeis_state_mode)own : s->states[state];
}

static void check_method(parse_ctx *c, const raw *r, adeis_study_method *m)
{
  char key[80];
  snprintf(key, sizeof key, "methods.%.60s", r->name);
  m->line = r->line;
  m->state = -1;
  m->store.kind = ADEIS_STORE_NONE;
  snprintf(m->label, sizeof m->label, "%s", r->name);
  char base[ADEIS_STUDY_LABEL_MAX];
  snprintf(base, sizeof base, "%s", r->name);
  char *at = strchr(base, '@');
  if (at)
    *at++ = '\0';
  m->method = adeis_method_lookup(base);
  if (m->method && at && parse_variant(at, m)) {
    adeis_ini_fail(&c->ini, r->line, key, "unknown variant '%.40s'; expected NAME@STATE (oracle, "
                   "cached, backsolve) or, for dto-* methods, NAME@all, NAME@checkpoint-S or "
                   "NAME@reversible", at);
    return;
  }
  if (!m->method) {
    adeis_ini_fail(&c->ini, r->line, key, "unknown method; expected a name from 'adeis list'");
    return;
  }
  if (parse_long(r->text, 0, ADEIS_STUDY_ORDER_MAX, &m->expected))
    adeis_ini_fail(&c->ini, r->line, key,
                   "expected the expected order, an integer in 0..%d, got '%.40s'",
                   ADEIS_STUDY_ORDER_MAX, r->text);
}

/* Every method must run at every state and precision of the study. */
static void check_compatible(parse_ctx *c, const adeis_study_method *m)
{
  const adeis_study *s = c->s;
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = m->method->name;
  rq.steps = s->steps[0];
  rq.sde = s->sde;
  rq.store = m->store;
  rq.backend = s->backend;
  for (size_t i = 0; i < s->n_states; i++)
    for (size_t j = 0; j < s->n_precisions; j++) {
      rq.state = m->state >= 0 ? (adeis_state_mode)m->state : s->states[i];
      rq.precision = s->precisions[j];
      if (adeis_grad_check(&rq) == 0)
        continue;
      char key[120];
      snprintf(key, sizeof key, "methods.%s", m->label);
      adeis_ini_fail(&c->ini, m->line, key, "cannot run with state %s at %ld bits%s: %s",
                     adeis_state_name(rq.state), rq.precision, s->sde ? " (sde)" : "",
                     adeis_errmsg());
      return;
    }
}

static void check_methods(parse_ctx *c)
{
  adeis_study *s = c->s;
  if (c->n_methods == 0) {
    int line = c->ini.section_line[SEC_METHODS];
    adeis_ini_fail(&c->ini, line ? line : c->ini.lineno, "methods",
                   "expected at least one line 'method = expected order' under [methods]");
    return;
  }
  if (!(s->methods = calloc(c->n_methods, sizeof *s->methods))) {
    adeis_ini_fail_oom(&c->ini);
    return;
  }
  s->n_methods = c->n_methods;
  for (size_t i = 0; i < s->n_methods && !c->ini.has_error; i++)
    check_method(c, &c->methods[i], &s->methods[i]);
  for (size_t i = 0; i < s->n_methods && !c->ini.has_error; i++)
    check_compatible(c, &s->methods[i]);
}

/* ---- expect lines ---- */

static const char *const dim_names[ADEIS_STUDY_DIM_COUNT] = {
  "problem", "method", "grid", "state", "precision", "quantity"};

/* Index of word in dimension d of the study, -1 if none. */
static long dim_index(const adeis_study *s, int d, const char *w)
{
  long bits;
  switch (d) {
  case ADEIS_STUDY_DIM_PROBLEM:
    for (size_t i = 0; i < s->n_problems; i++)
      if (strcmp(s->problems[i].name, w) == 0)
        return (long)i;
    return -1;
  case ADEIS_STUDY_DIM_METHOD: /* a [methods] line by its label: NAME or NAME@VARIANT */
    for (size_t i = 0; i < s->n_methods; i++)
      if (strcmp(s->methods[i].label, w) == 0)
        return (long)i;
    return -1;
  case ADEIS_STUDY_DIM_GRID:
    for (size_t i = 0; i < s->n_grids; i++)
      if (strcmp(adeis_grid_name(s->grids[i]), w) == 0)
        return (long)i;
    return -1;
  case ADEIS_STUDY_DIM_STATE:
    for (size_t i = 0; i < s->n_states; i++)
      if (strcmp(adeis_state_name(s->states[i]), w) == 0)
        return (long)i;
    return -1;
  case ADEIS_STUDY_DIM_PRECISION:
    for (size_t i = 0; i < s->n_precisions && parse_long(w, 0, LONG_MAX, &bits) == 0; i++)
      if (s->precisions[i] == bits)
        return (long)i;
    return -1;
  default:
    for (size_t i = 0; i < s->n_quantities; i++)
      if (strcmp(adeis_quantity_names[s->quantities[i]], w) == 0)
        return s->quantities[i];
    return -1;
  }
}

/* One word of an expect line into e->index; reports unknown, ambiguous and repeated words. */
static int expect_word(parse_ctx *c, const raw *r, const char *w, adeis_study_expect *e)
{
  int found = -1;
  for (int d = 0; d < ADEIS_STUDY_DIM_COUNT; d++) {
    long i = dim_index(c->s, d, w);
    if (i < 0)
      continue;
    if (found >= 0) {
      adeis_ini_fail(&c->ini, r->line, "check.expect", "'%.60s' is both a %s and a %s of the "
                     "study; rename the problem file", w, dim_names[found], dim_names[d]);
      return -1;
    }
    if (e->index[d] >= 0) {
      adeis_ini_fail(&c->ini, r->line, "check.expect", "two %ss named ('%.60s'); expected at "
                     "most one word per kind", dim_names[d], w);
      return -1;
    }
    e->index[d] = i;
    found = d;
  }
  if (found < 0)
    adeis_ini_fail(&c->ini, r->line, "check.expect", "'%.60s' is no problem, method, grid, "
                   "state, precision or quantity of this study", w);
  return found < 0 ? -1 : 0;
}

/* "ORDER [TOLERANCE]" of an expect line. */
static void expect_value(parse_ctx *c, const raw *r, adeis_study_expect *e)
{
  char a[64] = "", b[64] = "", extra[8] = "";
  const char *t = r->text;
  next_word(&t, a, sizeof a);
  next_word(&t, b, sizeof b);
  next_word(&t, extra, sizeof extra);
  char *end;
  errno = 0;
  e->order = strtod(a, &end);
  int ok = *a && !*end && !errno && isfinite(e->order) && e->order >= 0 &&
           e->order <= ADEIS_STUDY_ORDER_MAX && !*extra;
  e->tolerance = c->s->tolerance;
  if (ok && *b) {
    errno = 0;
    e->tolerance = strtod(b, &end);
    ok = !*end && !errno && isfinite(e->tolerance) && e->tolerance > 0 &&
         e->tolerance <= ADEIS_STUDY_ORDER_MAX;
  }
  if (!ok)
    adeis_ini_fail(&c->ini, r->line, "check.expect", "expected 'ORDER [TOLERANCE]', numbers in "
                   "0..%d (the tolerance above 0), got '%.60s'", ADEIS_STUDY_ORDER_MAX, r->text);
}

static void check_expects(parse_ctx *c)
{
  adeis_study *s = c->s;
  if (c->n_expects == 0)
    return;
  if (!(s->expects = calloc(c->n_expects, sizeof *s->expects))) {
    adeis_ini_fail_oom(&c->ini);
    return;
  }
  s->n_expects = c->n_expects;
  for (size_t k = 0; k < c->n_expects && !c->ini.has_error; k++) {
    const raw *r = &c->expects[k];
    adeis_study_expect *e = &s->expects[k];
    e->line = r->line;
    for (int d = 0; d < ADEIS_STUDY_DIM_COUNT; d++)
      e->index[d] = -1;
    const char *t = r->name;
    char w[128];
    size_t n = 0;
    while (!c->ini.has_error && next_word(&t, w, sizeof w)) {
      n++;
      expect_word(c, r, w, e);
    }
    if (!c->ini.has_error && n == 0)
      adeis_ini_fail(&c->ini, r->line, "check.expect", "expected 'expect WORDS = ORDER' naming "
                     "the series, e.g. 'expect ve-edm uniform-t = 1.6'");
    if (!c->ini.has_error)
      expect_value(c, r, e);
  }
}

void adeis_study_expectation(const adeis_study *s, const size_t index[ADEIS_STUDY_DIM_COUNT],
                             double *order, double *tolerance)
{
  *order = (double)s->methods[index[ADEIS_STUDY_DIM_METHOD]].expected;
  *tolerance = s->tolerance;
  for (size_t k = 0; k < s->n_expects; k++) {
    const adeis_study_expect *e = &s->expects[k];
    int match = 1;
    for (int d = 0; d < ADEIS_STUDY_DIM_COUNT; d++)
      match &= e->index[d] < 0 || (size_t)e->index[d] == index[d];
    if (match) {
      *order = e->order;
      *tolerance = e->tolerance;
    }
  }
}

/* ---- the whole file ---- */

static void check_modes(parse_ctx *c)
{
  adeis_study *s = c->s;
  int *q = parse_list(c, K_QUANTITIES, "x_T z theta", sizeof(int), conv_quantity,
                      &s->n_quantities);
  if (q) {
    memcpy(s->quantities, q, s->n_quantities * sizeof *q);
    free(q);
  }
  for (size_t i = 0; i < s->n_states && s->sde; i++) {
    if (s->states[i] == ADEIS_STATE_CACHED)
      continue;
    if (c->val[K_STATE].text)
      adeis_ini_fail(&c->ini, c->val[K_STATE].line, LABEL(K_STATE),
                     "%s is not defined for the SDE: its adjoint reads the path sde-dpm-1 "
                     "sampled (docs/math.md sections 4 and 7); expected cached",
                     adeis_state_name(s->states[i]));
    else
      adeis_ini_fail(&c->ini, c->val[K_SDE].line, LABEL(K_SDE),
                     "the default state oracle is not defined for the SDE: its adjoint reads "
                     "the path sde-dpm-1 sampled; add 'state = cached'");
  }
}

/* backend = double | float | mpfr (absent: precision 53 is double, any other MPFR); every
 * precision of the study must be one the backend stores. */
static void check_backend(parse_ctx *c)
{
  adeis_study *s = c->s;
  const char *t = c->val[K_BACKEND].text;
  const adeis_backend_type *bt = t ? adeis_backend_lookup(t) : NULL;
  if (t && !bt) {
    adeis_ini_fail(&c->ini, c->val[K_BACKEND].line, LABEL(K_BACKEND),
                   "expected double, float or mpfr, got '%.40s'", t);
    return;
  }
  s->backend = bt ? bt->name : NULL;
  for (size_t i = 0; bt && i < s->n_precisions; i++)
    if (s->precisions[i] < bt->prec_min || s->precisions[i] > bt->prec_max) {
      adeis_ini_fail(&c->ini, c->val[K_PRECISION].line ? c->val[K_PRECISION].line
                                                        : c->val[K_BACKEND].line,
                     LABEL(K_PRECISION), "backend %s stores %ld..%ld bits, got %ld", bt->name,
                     bt->prec_min, bt->prec_max, s->precisions[i]);
      return;
    }
}

static void check_all(parse_ctx *c)
{
  adeis_study *s = c->s;
  if (!c->ini.section_line[SEC_STUDY]) {
    adeis_ini_fail(&c->ini, 1, "study", "missing section [study]");
    return;
  }
  check_name(c);
  /* a backend without precisions runs at its own default (float 24, double 53, mpfr 256) */
  const adeis_backend_type *bt = c->val[K_BACKEND].text ? adeis_backend_lookup(c->val[K_BACKEND].text)
                                                        : NULL;
  char dflt[32];
  snprintf(dflt, sizeof dflt, "%ld", bt ? bt->prec_default : 256L);
  if (!c->ini.has_error)
    s->precisions = parse_list(c, K_PRECISION, dflt, sizeof(long), conv_precision,
                               &s->n_precisions);
  if (!c->ini.has_error)
    check_backend(c);
  if (!c->ini.has_error)
    s->grids = parse_list(c, K_GRID, "uniform-lambda", sizeof *s->grids, conv_grid, &s->n_grids);
  if (!c->ini.has_error)
    s->states = parse_list(c, K_STATE, "oracle", sizeof *s->states, conv_state, &s->n_states);
  if (!c->ini.has_error)
    check_sde(c);
  if (!c->ini.has_error)
    check_modes(c);
  if (!c->ini.has_error)
    check_steps(c);
  if (!c->ini.has_error)
    check_tolerance(c);
  if (!c->ini.has_error)
    check_methods(c);
  if (!c->ini.has_error)
    check_problems(c);
  if (!c->ini.has_error)
    check_expects(c);
}

static void parse_file(parse_ctx *c)
{
  int rc = adeis_ini_parse(&c->ini, read_line, c, on_key, c);
  if (rc > 0)
    adeis_ini_fail_syntax(&c->ini, rc);   /* inih counts physical lines: one per line read */
  else if (rc < 0)
    adeis_ini_fail_oom(&c->ini);
  if (!c->ini.has_error)
    check_all(c);
}

static void ctx_clear(parse_ctx *c)
{
  for (int k = 0; k < KEY_COUNT; k++)
    free(c->val[k].text);
  for (size_t i = 0; i < c->n_methods; i++) {
    free(c->methods[i].name);
    free(c->methods[i].text);
  }
  free(c->methods);
  for (size_t i = 0; i < c->n_expects; i++) {
    free(c->expects[i].name);
    free(c->expects[i].text);
  }
  free(c->expects);
  adeis_ini_reader_clear(&c->ini);
}

/* The whole file into s->text, up to ADEIS_STUDY_FILE_MAX bytes; reading stops after a NUL
 * byte (the line reader reports it with its line), so /dev/zero ends quickly. */
/* *regular: whether problem paths can be relative to the file's folder. */
static int read_study_text(const char *path, adeis_study *s, int *regular)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    adeis_set_error("%s:0: file: cannot open (%s)", path, strerror(errno));
    return ADEIS_EINPUT;
  }
  /* /dev/stdin and /dev/fd/N (a shell's <(...)) name no folder of the study's, even when
   * they stand for a regular file */
  struct stat st;
  *regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
             strncmp(path, "/dev/", 5) != 0 && strncmp(path, "/proc/", 6) != 0;
  size_t cap = 4096, n = 0;
  char *t = malloc(cap);
  int rc = t ? ADEIS_OK : ADEIS_ENOMEM, ch;
  while (rc == ADEIS_OK && (ch = getc(f)) != EOF) {
    if (n == ADEIS_STUDY_FILE_MAX) {
      rc = ADEIS_EINPUT;
      break;
    }
    if (n + 1 == cap) {
      char *more = realloc(t, 2 * cap);
      if (!more) {
        rc = ADEIS_ENOMEM;
        break;
      }
      t = more;
      cap *= 2;
    }
    t[n++] = (char)ch;
    if (ch == '\0')
      break;
  }
  if (rc == ADEIS_OK && ferror(f)) {
    adeis_set_error("%s:0: file: cannot read (%s)", path, strerror(errno ? errno : EIO));
    rc = ADEIS_EINPUT;
  } else if (rc == ADEIS_EINPUT) {
    adeis_set_error("%s:0: file: larger than %lu MiB; expected a study file", path,
                    ADEIS_STUDY_FILE_MAX >> 20);
  } else if (rc == ADEIS_ENOMEM) {
    adeis_set_error("%s:0: file: out of memory", path);
  }
  fclose(f);
  if (rc) {
    free(t);
    return rc;
  }
  t[n] = '\0';
  s->text = t;
  s->text_len = n;
  return ADEIS_OK;
}

int adeis_study_load(const char *path, adeis_study *s)
{
  memset(s, 0, sizeof *s);
  int regular = 1;
  int rc = read_study_text(path, s, &regular);
  if (rc)
    return rc;
  FILE *f = fmemopen(s->text, s->text_len, "r");   /* parsed from the bytes kept */
  if (!f) {
    adeis_set_error("%s:0: file: out of memory", path);
    adeis_study_clear(s);
    return ADEIS_ENOMEM;
  }
  parse_ctx c = {.s = s, .base = regular ? path : NULL};
  adeis_ini_reader_init(&c.ini, path, f, section_names, SEC_COUNT);
  c.ini.unique_sections = 1;
  if (!(s->path = strdup(path)))
    adeis_ini_fail_oom(&c.ini);
  else
    parse_file(&c);
  fclose(f);
  ctx_clear(&c);
  if (c.ini.has_error) {
    adeis_set_error("%s", c.ini.msg);
    adeis_study_clear(s);
    return c.ini.oom ? ADEIS_ENOMEM : ADEIS_EINPUT;
  }
  return ADEIS_OK;
}

void adeis_study_clear(adeis_study *s)
{
  for (size_t i = 0; i < s->n_problems; i++) {
    adeis_study_problem *p = &s->problems[i];
    free(p->path);
    free(p->file);
    free(p->name);
    if (p->spec.path)
      adeis_problem_spec_clear(&p->spec);
  }
  free(s->problems);
  free(s->methods);
  free(s->expects);
  free(s->grids);
  free(s->states);
  free(s->precisions);
  free(s->steps);
  free(s->path);
  free(s->text);
  free(s->name);
  memset(s, 0, sizeof *s);
}

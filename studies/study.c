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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_CHARS 190   /* under inih's INI_MAX_LINE (200) */

enum section_id { SEC_NONE = -1, SEC_STUDY, SEC_METHODS, SEC_CHECK, SEC_LABELS, SEC_COUNT };
static const char *const section_names[SEC_COUNT] = {"study", "methods", "check", "labels"};

enum key_id {
  K_NAME, K_PROBLEM, K_PRECISION, K_GRID, K_STATE, K_SDE, K_QUANTITIES, K_STEPS, K_TOLERANCE,
  KEY_COUNT
};

static const struct {
  enum section_id section;
  const char *name;
} keys[KEY_COUNT] = {
  [K_NAME] = {SEC_STUDY, "name"},           [K_PROBLEM] = {SEC_STUDY, "problem"},
  [K_PRECISION] = {SEC_STUDY, "precision"}, [K_GRID] = {SEC_STUDY, "grid"},
  [K_STATE] = {SEC_STUDY, "state"},         [K_SDE] = {SEC_STUDY, "sde"},
  [K_QUANTITIES] = {SEC_STUDY, "quantities"}, [K_STEPS] = {SEC_STUDY, "steps"},
  [K_TOLERANCE] = {SEC_CHECK, "tolerance"},
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
  raw *last;      /* the value a continuation line extends */
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
  if (strlen(s) > LINE_MAX_CHARS || num < LINE_MAX_CHARS + 4) {
    adeis_ini_fail(&c->ini, c->ini.lineno, "file",
                   "line longer than %d characters; continue a list on indented lines",
                   LINE_MAX_CHARS);
    *s = '\0';
  }
  adeis_ini_classify(&c->ini, s, indented && c->last);
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

static raw *new_method(parse_ctx *c, const char *name)
{
  for (size_t i = 0; i < c->n_methods; i++)
    if (strcmp(c->methods[i].name, name) == 0) {
      adeis_ini_fail(&c->ini, c->ini.lineno, "methods",
                     "method '%s' given twice (first on line %d)", name, c->methods[i].line);
      return NULL;
    }
  if (c->n_methods == c->cap_methods) {
    size_t cap = c->cap_methods ? 2 * c->cap_methods : 8;
    raw *p = realloc(c->methods, cap * sizeof *p);
    if (!p) {
      adeis_ini_fail_oom(&c->ini);
      return NULL;
    }
    c->methods = p;
    c->cap_methods = cap;
  }
  raw *r = &c->methods[c->n_methods];
  *r = (raw){.name = strdup(name), .line = c->ini.lineno};
  if (!r->name) {
    adeis_ini_fail_oom(&c->ini);
    return NULL;
  }
  c->n_methods++;
  return r;
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
                 : "unknown key; expected tolerance");
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
  raw *r = sec == SEC_METHODS ? new_method(c, name) : new_key(c, sec, name);
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

/* path relative to the study file's folder (absolute paths kept). */
static char *resolve(const char *study_path, const char *p)
{
  const char *slash = strrchr(study_path, '/');
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
  p->path = resolve(c->ini.path, word);
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
    adeis_ini_fail(&c->ini, line, LABEL(K_PROBLEM),
                   "cannot use '%.60s' (paths are relative to the study file's folder): %s", word,
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
  for (size_t i = 0; i < s->n_quantities && s->sde; i++) {
    if (s->quantities[i] != ADEIS_Q_THETA)
      continue;
    if (c->val[K_QUANTITIES].text)
      adeis_ini_fail(&c->ini, c->val[K_QUANTITIES].line, LABEL(K_QUANTITIES),
                     "theta has no exact value for the SDE (it depends on the Brownian path "
                     "between grid points); expected x_T and z only when sde = true");
    else
      adeis_ini_fail(&c->ini, c->val[K_SDE].line, LABEL(K_SDE),
                     "the default quantities include theta, which has no exact value for the "
                     "SDE; add 'quantities = x_T z'");
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

static void check_all(parse_ctx *c)
{
  adeis_study *s = c->s;
  if (!c->ini.section_line[SEC_STUDY]) {
    adeis_ini_fail(&c->ini, 1, "study", "missing section [study]");
    return;
  }
  check_name(c);
  if (!c->ini.has_error)
    s->precisions = parse_list(c, K_PRECISION, "256", sizeof(long), conv_precision,
                               &s->n_precisions);
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
  adeis_ini_reader_clear(&c->ini);
}

int adeis_study_load(const char *path, adeis_study *s)
{
  memset(s, 0, sizeof *s);
  FILE *f = fopen(path, "r");
  if (!f) {
    adeis_set_error("%s:0: file: cannot open (%s)", path, strerror(errno));
    return ADEIS_EINPUT;
  }
  parse_ctx c = {.s = s};
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
  free(s->grids);
  free(s->states);
  free(s->precisions);
  free(s->steps);
  free(s->path);
  free(s->name);
  memset(s, 0, sizeof *s);
}

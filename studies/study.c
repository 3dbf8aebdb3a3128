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
#include "../runs/reference.h"

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
  K_BACKEND, K_TRUTH, K_REFERENCE_STEPS, KEY_COUNT
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
  [K_TRUTH] = {SEC_STUDY, "truth"},         [K_REFERENCE_STEPS] = {SEC_STUDY, "reference_steps"},
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
                 ? "unknown key; expected name, problem, precision, grid, state, sde, quantities, "
                   "steps, backend, truth or reference_steps"
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

static int load_problem(parse_ctx *c, enum key_id k, const char *word, adeis_study_problem *p)
{
  int line = c->val[k].line;
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
    adeis_ini_fail(&c->ini, line, LABEL(k),
                   "'%.60s': expected a file named NAME.ini, NAME of letters, digits, '.', '_', "
                   "'-' (and not study.ini, the name of the study's own copy)", word);
    return -1;
  }
  int rc = adeis_problem_load(p->path, &p->spec);
  if (rc == ADEIS_ENOMEM)
    adeis_ini_fail_oom(&c->ini);
  else if (rc)
    adeis_ini_fail(&c->ini, line, LABEL(k), "cannot use '%s' (%s): %s", word,
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
    if (load_problem(c, K_PROBLEM, word, &s->problems[i]))
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

/* ---- the truth (docs/studies.md, "Model against solver") ---- */

/* Whether two vectors hold the same numbers (as built at one precision). */
static int same_vec(const adeis_vec *a, const adeis_vec *b)
{
  if (!a || !b)
    return !a && !b;
  if (a->n != b->n)
    return 0;
  mpfr_t x, y;
  mpfr_inits2(ADEIS_PREC_MAX, x, y, (mpfr_ptr)0);   /* any stored element exactly */
  int same = 1;
  for (size_t i = 0; i < a->n && same; i++) {
    adeis_vec_get(x, a, i);
    adeis_vec_get(y, b, i);
    same = mpfr_equal_p(x, y);
  }
  mpfr_clears(x, y, (mpfr_ptr)0);
  return same;
}

/* What differs between the problem and the truth as built (NULL: nothing the comparison
 * needs). */
static const char *truth_mismatch(const adeis_study *s, const adeis_problem *a,
                                  const adeis_problem *b)
{
  if (a->model.dim != b->model.dim)
    return "state dimension";
  if (a->sched.type != b->sched.type || !mpfr_equal_p(a->sched.T, b->sched.T) ||
      !mpfr_equal_p(a->sched.t_end, b->sched.t_end))
    return "schedule (name, T and t_end)";
  if (a->loss != b->loss || !same_vec(a->target, b->target))
    return "loss (type and target)";
  if (!same_vec(a->x_T, b->x_T))
    return "x_T";
  if (s->sde && a->noise_seed != b->noise_seed)
    return "noise_seed (the SDE's Brownian path)";
  return NULL;
}

/* z and theta are compared only between models of one type with the same dimensions: a
 * network's inputs and weights are not a mixture's logits, means and variances. */
static void check_truth_quantities(parse_ctx *c, const adeis_problem *a, const adeis_problem *b)
{
  const adeis_study *s = c->s;
  const adeis_study_problem *p = &s->problems[0], *t = s->truth;
  size_t da[ADEIS_Q_COUNT] = {a->model.dim, a->model.cond_dim, a->model.theta_dim};
  size_t db[ADEIS_Q_COUNT] = {b->model.dim, b->model.cond_dim, b->model.theta_dim};
  for (size_t i = 0; i < s->n_quantities; i++) {
    int q = s->quantities[i];
    if (q == ADEIS_Q_X_T || (p->spec.type == t->spec.type && da[q] == db[q]))
      continue;
    adeis_ini_fail(&c->ini, c->val[K_QUANTITIES].line ? c->val[K_QUANTITIES].line
                                                       : c->val[K_TRUTH].line,
                   LABEL(K_QUANTITIES), "%s is not comparable between %s (a %s model, %zu "
                   "numbers) and the truth %s (a %s model, %zu numbers); expected x_T only",
                   adeis_quantity_names[q], p->file, p->spec.type->name, da[q], t->file,
                   t->spec.type->name, db[q]);
    return;
  }
}

/* Build both at the study's precision and compare what the gradients depend on. */
static void check_truth_match(parse_ctx *c)
{
  adeis_study *s = c->s;
  adeis_problem a, b;
  int rc = adeis_problem_build_on(&s->problems[0].spec, s->backend, s->precisions[0], &a);
  if (rc == 0 && (rc = adeis_problem_build_on(&s->truth->spec, s->backend, s->precisions[0], &b)))
    adeis_problem_clear(&a);
  if (rc) {
    if (rc == ADEIS_ENOMEM)
      adeis_ini_fail_oom(&c->ini);
    else
      adeis_ini_fail(&c->ini, c->val[K_TRUTH].line, LABEL(K_TRUTH), "cannot build the problems "
                     "at %ld bits: %s", s->precisions[0], adeis_errmsg());
    return;
  }
  const char *what = truth_mismatch(s, &a, &b);
  if (what && a.model.dim != b.model.dim)
    adeis_ini_fail(&c->ini, c->val[K_TRUTH].line, LABEL(K_TRUTH), "%s has state dimension %zu, "
                   "the problem %s %zu; expected the same dimension", s->truth->file,
                   b.model.dim, s->problems[0].file, a.model.dim);
  else if (what)
    adeis_ini_fail(&c->ini, c->val[K_TRUTH].line, LABEL(K_TRUTH), "%s and the problem %s differ "
                   "in their %s; expected the same", s->truth->file, s->problems[0].file, what);
  else
    check_truth_quantities(c, &a, &b);
  adeis_problem_clear(&a);
  adeis_problem_clear(&b);
}

/* One problem, one grid, one precision: the two converged gradients are computed once. */
static void check_truth_sweep(parse_ctx *c)
{
  const adeis_study *s = c->s;
  const char *what = s->n_problems != 1 ? "problem" : s->n_grids != 1 ? "grid" : "precision";
  size_t n = s->n_problems != 1 ? s->n_problems : s->n_grids != 1 ? s->n_grids : s->n_precisions;
  enum key_id k = s->n_problems != 1 ? K_PROBLEM : s->n_grids != 1 ? K_GRID : K_PRECISION;
  if (n != 1)
    adeis_ini_fail(&c->ini, c->val[k].line, LABEL(k), "a study with a truth measures one %s, "
                   "got %zu; expected one", what, n);
}

static void check_reference_steps(parse_ctx *c)
{
  const char *t = c->val[K_REFERENCE_STEPS].text;
  long v;
  if (!t)
    return;
  if (!c->val[K_TRUTH].text)
    adeis_ini_fail(&c->ini, c->val[K_REFERENCE_STEPS].line, LABEL(K_REFERENCE_STEPS),
                   "only with study.truth (the order fits of other studies read the default "
                   "reference); remove it or add truth");
  else if (parse_long(t, 4 * ADEIS_REF_START_STEPS, (long)ADEIS_STEPS_MAX, &v))
    adeis_ini_fail(&c->ini, c->val[K_REFERENCE_STEPS].line, LABEL(K_REFERENCE_STEPS),
                   "expected the bound on the reference's finest level, an integer in %d..%lu, "
                   "got '%.40s'", 4 * ADEIS_REF_START_STEPS, ADEIS_STEPS_MAX, t);
  else
    c->s->reference_steps = (size_t)v;
}

static void check_truth(parse_ctx *c)
{
  adeis_study *s = c->s;
  const char *text = c->val[K_TRUTH].text;
  check_reference_steps(c);
  if (!text || c->ini.has_error)
    return;
  char word[4096];
  const char *t = text;
  if (count_words(text) != 1) {
    adeis_ini_fail(&c->ini, c->val[K_TRUTH].line, LABEL(K_TRUTH), "expected one problem file, "
                   "got '%.60s'", text);
    return;
  }
  next_word(&t, word, sizeof word);
  check_truth_sweep(c);
  if (c->ini.has_error)
    return;
  if (!(s->truth = calloc(1, sizeof *s->truth))) {
    adeis_ini_fail_oom(&c->ini);
    return;
  }
  if (load_problem(c, K_TRUTH, word, s->truth))
    return;
  const adeis_study_problem *p = &s->problems[0];
  if (strcmp(p->file, s->truth->file) == 0 && strcmp(p->path, s->truth->path) != 0) {
    adeis_ini_fail(&c->ini, c->val[K_TRUTH].line, LABEL(K_TRUTH), "'%s' is another file of the "
                   "problem's name %s: both are copied into the output folder by name; rename "
                   "one", s->truth->path, p->file);
    return;
  }
  size_t n = strlen(s->truth->name) + 4;
  if (!(s->truth_name = malloc(n))) {
    adeis_ini_fail_oom(&c->ini);
    return;
  }
  snprintf(s->truth_name, n, "vs-%s", s->truth->name);
  if (strcmp(s->truth_name, p->name) == 0) {
    adeis_ini_fail(&c->ini, c->val[K_PROBLEM].line, LABEL(K_PROBLEM), "the name %s is taken by "
                   "the truth's error rows; rename the problem file", p->name);
    return;
  }
  check_truth_match(c);
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
    check_truth(c);
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
  if (s->truth) {
    free(s->truth->path);
    free(s->truth->file);
    free(s->truth->name);
    if (s->truth->spec.path)
      adeis_problem_spec_clear(&s->truth->spec);
  }
  free(s->truth);
  free(s->truth_name);
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

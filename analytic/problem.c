/* Problem files (docs/problem-files.md): INI parsing with "FILE:LINE: section.key: what"
 * diagnostics, then building the model, schedule, loss and start at a working precision.
 *
 * inih sees the file through read_line(), built on the shared line reader
 * (core/inifile.h), which counts physical lines (inih's handler gets no line number),
 * strips comments and indentation, reports syntax errors itself, and splits over-long
 * lines at whitespace into continuation lines, so a number list of any length may sit
 * on one line or be continued on indented lines. Words longer than LONG_WORD (numbers
 * with hundreds of digits) are kept aside and passed as a short mark, so no line inih
 * sees exceeds its 200 characters. */
#include "problem.h"
#include "gaussian.h"
#include "../core/inifile.h"
#include "../core/status.h"

#include <ctype.h>
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RND MPFR_RNDN
#define CHECK_PREC 256   /* precision of load-time checks on numbers */
#define BLANKS " \t\r\n\v\f"
#define LONG_WORD 64      /* longer words reach inih as LONG_MARK + index into long_words */
#define LONG_MARK '\x1f'

/* ---- the keys a problem file may hold ---- */

enum section_id { SEC_PROBLEM, SEC_SCHEDULE, SEC_LOSS, SEC_START, SEC_COUNT };
static const char *const section_names[SEC_COUNT] = {"problem", "schedule", "loss", "start"};

typedef enum key_kind { K_WORD, K_COUNT, K_SEED, K_NUMBER, K_LIST } key_kind;

enum key_id {
  P_TYPE, P_DIM, P_MEAN, P_VAR, P_COND_DIM, P_W, P_Z, P_ROTATION_SEED,
  S_NAME, S_T, S_T_END,
  L_TYPE, L_TARGET,
  X_T, X_SEED, X_NOISE_SEED,
  KEY_COUNT
};

typedef struct key_def {
  enum section_id section;
  const char *name;
  key_kind kind;
} key_def;

static const key_def keys[KEY_COUNT] = {
  [P_TYPE] = {SEC_PROBLEM, "type", K_WORD},
  [P_DIM] = {SEC_PROBLEM, "dim", K_COUNT},
  [P_MEAN] = {SEC_PROBLEM, "mean", K_LIST},
  [P_VAR] = {SEC_PROBLEM, "var", K_LIST},
  [P_COND_DIM] = {SEC_PROBLEM, "cond_dim", K_COUNT},
  [P_W] = {SEC_PROBLEM, "W", K_LIST},
  [P_Z] = {SEC_PROBLEM, "z", K_LIST},
  [P_ROTATION_SEED] = {SEC_PROBLEM, "rotation_seed", K_SEED},
  [S_NAME] = {SEC_SCHEDULE, "name", K_WORD},
  [S_T] = {SEC_SCHEDULE, "T", K_NUMBER},
  [S_T_END] = {SEC_SCHEDULE, "t_end", K_NUMBER},
  [L_TYPE] = {SEC_LOSS, "type", K_WORD},
  [L_TARGET] = {SEC_LOSS, "target", K_LIST},
  [X_T] = {SEC_START, "x_T", K_LIST},
  [X_SEED] = {SEC_START, "seed", K_SEED},
  [X_NOISE_SEED] = {SEC_START, "noise_seed", K_SEED},
};

/* ---- parser state ---- */

typedef struct parse_ctx {
  adeis_ini_reader ini;
  adeis_problem_spec *spec;
  char *cooked;              /* the line as delivered, long words replaced by marks */
  char **long_words;
  size_t n_long_words;
  const char *pending;       /* rest of an over-long line, still to deliver */
  int *line_of;              /* physical line of each delivered line (inih's count) */
  size_t n_delivered, cap_delivered;
  int key_line[KEY_COUNT];
} parse_ctx;

_Static_assert(SEC_COUNT <= ADEIS_INI_MAX_SECTIONS, "too many sections for adeis_ini_reader");

/* "section.key" for messages */
#define LABEL(k) adeis_ini_label((char[64]){0}, 64, section_names[keys[k].section], keys[k].name)

/* ---- the line reader inih pulls from ---- */

static int note_delivery(parse_ctx *c)
{
  if (c->n_delivered == c->cap_delivered) {
    size_t cap = c->cap_delivered ? 2 * c->cap_delivered : 64;
    int *p = realloc(c->line_of, cap * sizeof *p);
    if (!p)
      return -1;
    c->line_of = p;
    c->cap_delivered = cap;
  }
  c->line_of[c->n_delivered++] = c->ini.lineno;
  return 0;
}

/* Copy s into str (capacity num) as one line, continuation lines with one leading
 * blank; what does not fit is split off at whitespace and kept pending. */
static char *deliver(parse_ctx *c, char *str, int num, const char *s)
{
  if (note_delivery(c)) {
    adeis_ini_fail_oom(&c->ini);
    return NULL;
  }
  size_t prefix = c->ini.cont ? 1 : 0;
  size_t room = (size_t)num - 2 - prefix; /* keep space for '\n' and NUL */
  size_t len = strlen(s);
  c->pending = NULL;
  if (len > room) {
    len = room;
    while (len > 0 && !isspace((unsigned char)s[len]))
      len--;
    if (len == 0)
      adeis_ini_fail(&c->ini, c->ini.lineno, "file", "a word longer than %zu characters", room);
    else
      c->pending = s + len;
  }
  memcpy(str, " ", prefix);
  memcpy(str + prefix, s, len);
  str[prefix + len] = '\n';
  str[prefix + len + 1] = '\0';
  return str;
}

/* Copy s to c->cooked with every word longer than LONG_WORD replaced by a mark. */
static char *stash_long_words(parse_ctx *c, const char *s)
{
  char *out = realloc(c->cooked, strlen(s) + 1);
  if (!out)
    return NULL;
  c->cooked = out;
  while (*s) {
    size_t n = strcspn(s, BLANKS);
    if (n <= LONG_WORD) {
      n += strspn(s + n, BLANKS);
      memcpy(out, s, n);
      out += n;
      s += n;
      continue;
    }
    char **words = realloc(c->long_words, (c->n_long_words + 1) * sizeof *words);
    if (!words)
      return NULL;
    c->long_words = words;
    if (!(words[c->n_long_words] = strndup(s, n)))
      return NULL;
    out += sprintf(out, "%c%zu", LONG_MARK, c->n_long_words++);
    s += n;
  }
  *out = '\0';
  return c->cooked;
}

static char *read_line(char *str, int num, void *stream)
{
  parse_ctx *c = stream;
  if (c->ini.oom || num < 8)
    return NULL;
  if (c->pending) {
    const char *rest = c->pending + strspn(c->pending, BLANKS);
    c->ini.cont = 1;
    if (*rest)
      return deliver(c, str, num, rest);
  }
  int indented;
  char *s = adeis_ini_next_line(&c->ini, &indented);
  if (!s)
    return NULL;
  if (strchr(s, LONG_MARK)) {
    adeis_ini_fail(&c->ini, c->ini.lineno, "file", "control character 0x1f in the text");
    *s = '\0';
  }
  adeis_ini_classify(&c->ini, s, indented);
  if (!(s = stash_long_words(c, s))) {
    adeis_ini_fail_oom(&c->ini);
    return NULL;
  }
  return deliver(c, str, num, s);
}

/* ---- values ---- */

/* The word a LONG_MARK stands for. */
static const char *long_word(const parse_ctx *c, const char *mark)
{
  size_t i = strtoul(mark + 1, NULL, 10);
  return i < c->n_long_words ? c->long_words[i] : "";
}

/* Next blank-separated word of *s as a new string, long words restored; NULL at the end
 * (or when out of memory, with c->ini.oom set). */
static char *next_word(parse_ctx *c, const char **s)
{
  const char *p = *s + strspn(*s, BLANKS);
  size_t n = strcspn(p, BLANKS);
  *s = p + n;
  if (n == 0)
    return NULL;
  char *w = *p == LONG_MARK ? strdup(long_word(c, p)) : strndup(p, n);
  if (!w)
    adeis_ini_fail_oom(&c->ini);
  return w;
}

/* value for a message (at most cap - 1 characters), marks replaced by their words */
static const char *shown(const parse_ctx *c, const char *value, char *buf, size_t cap)
{
  size_t n = 0;
  while (*value && n + 1 < cap) {
    if (*value == LONG_MARK) {
      const char *w = long_word(c, value);
      while (*w && n + 1 < cap)
        buf[n++] = *w++;
      value += 1 + strspn(value + 1, "0123456789");
    } else {
      buf[n++] = *value++;
    }
  }
  buf[n] = '\0';
  return buf;
}

#define SHOWN(c, v) shown((c), (v), (char[64]){0}, 61)

/* 0 when text is one finite decimal number, parsed into r. */
static int parse_number(mpfr_ptr r, const char *text)
{
  char *end;
  mpfr_strtofr(r, text, &end, 10, RND);
  return end != text && *end == '\0' && mpfr_number_p(r) ? 0 : -1;
}

/* 0 when text is a decimal integer in 0..max (no sign, no blanks). */
static int parse_ulong(const char *text, unsigned long max, unsigned long *out)
{
  if (!isdigit((unsigned char)*text))
    return -1;
  char *end;
  errno = 0;
  unsigned long v = strtoul(text, &end, 10);
  if (errno || *end || v > max)
    return -1;
  *out = v;
  return 0;
}

static char *dup_or_fail(parse_ctx *c, const char *s)
{
  char *d = strdup(s);
  if (!d)
    adeis_ini_fail_oom(&c->ini);
  return d;
}

/* The single word of value as a new string; NULL (reported) for none or several. */
static char *single_word(parse_ctx *c, enum key_id k, const char *value, const char *expected)
{
  const char *s = value;
  char *w = next_word(c, &s);
  char *extra = w ? next_word(c, &s) : NULL;
  if (w && !extra)
    return w;
  free(w);
  free(extra);
  adeis_ini_fail(&c->ini, c->ini.lineno, LABEL(k), "expected %s, got '%s'", expected,
                 SHOWN(c, value));
  return NULL;
}

static void schedule_names(char *buf, size_t n)
{
  buf[0] = '\0';
  for (size_t i = 0; adeis_schedule_types[i]; i++) {
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s%s", i ? ", " : "", adeis_schedule_types[i]->name);
  }
}

static void set_word(parse_ctx *c, enum key_id k, const char *value)
{
  char names[128];
  adeis_problem_spec *sp = c->spec;
  const char *want = k == S_NAME ? "a schedule name" : k == P_TYPE ? "gaussian" : "quadratic";
  char *w = single_word(c, k, value, want);
  if (!w)
    return;
  if (k == S_NAME) {
    schedule_names(names, sizeof names);
    if (!(sp->schedule = adeis_schedule_lookup(w)))
      adeis_ini_fail(&c->ini, c->ini.lineno, LABEL(k),
                     "unknown schedule '%.60s'; expected one of %s", w, names);
  } else if (strcmp(w, want) != 0) {
    adeis_ini_fail(&c->ini, c->ini.lineno, LABEL(k), "unknown %s '%.60s'; expected %s",
                   k == P_TYPE ? "problem type" : "loss type", w, want);
  } else if (k == P_TYPE) {
    sp->type = dup_or_fail(c, want);
  } else {
    sp->loss = dup_or_fail(c, want);
  }
  free(w);
}

static void set_count(parse_ctx *c, enum key_id k, const char *value)
{
  unsigned long v;
  unsigned long lo = k == P_DIM ? 1 : 0;
  if (parse_ulong(value, ADEIS_PROBLEM_MAX_DIM, &v) || v < lo) {
    adeis_ini_fail(&c->ini, c->ini.lineno, LABEL(k), "expected an integer in %lu..%lu, got '%s'",
                   lo, ADEIS_PROBLEM_MAX_DIM, SHOWN(c, value));
    return;
  }
  if (k == P_DIM)
    c->spec->dim = v;
  else
    c->spec->cond_dim = v;
}

static void set_seed(parse_ctx *c, enum key_id k, const char *value)
{
  unsigned long v;
  if (parse_ulong(value, ULONG_MAX, &v)) {
    adeis_ini_fail(&c->ini, c->ini.lineno, LABEL(k), "expected an integer in 0..%lu, got '%s'",
                   ULONG_MAX, SHOWN(c, value));
    return;
  }
  adeis_problem_spec *sp = c->spec;
  if (k == P_ROTATION_SEED)
    sp->rotation_seed = v;
  else if (k == X_NOISE_SEED)
    sp->noise_seed = v;
  else {
    sp->x_T_seed = v;
    sp->has_x_T_seed = 1;
  }
}

static void set_time(parse_ctx *c, enum key_id k, const char *value)
{
  char *w = single_word(c, k, value, "one positive number");
  if (!w)
    return;
  mpfr_t r;
  mpfr_init2(r, CHECK_PREC);
  if (parse_number(r, w) || mpfr_sgn(r) <= 0) {
    adeis_ini_fail(&c->ini, c->ini.lineno, LABEL(k), "expected one positive number, got '%.60s'",
                   w);
    free(w);
  } else if (k == S_T) {
    c->spec->T = w;
  } else {
    c->spec->t_end = w;
  }
  mpfr_clear(r);
}

static adeis_numlist *numlist_of(adeis_problem_spec *sp, enum key_id k)
{
  switch (k) {
  case P_MEAN: return &sp->mean;
  case P_VAR: return &sp->var;
  case P_W: return &sp->W;
  case P_Z: return &sp->z;
  case L_TARGET: return &sp->target;
  default: return &sp->x_T;
  }
}

/* Append one word (taking it over); capacity is the next power of two at or above n. */
static int numlist_push(adeis_numlist *nl, char *w)
{
  if ((nl->n & (nl->n - 1)) == 0) {
    size_t cap = nl->n ? 2 * nl->n : 1;
    char **p = realloc(nl->text, cap * sizeof *p);
    if (!p)
      return -1;
    nl->text = p;
  }
  nl->text[nl->n++] = w;
  return 0;
}

static void append_numbers(parse_ctx *c, enum key_id k, const char *value)
{
  adeis_numlist *nl = numlist_of(c->spec, k);
  if (!nl->line)
    nl->line = c->ini.lineno;
  mpfr_t r;
  mpfr_init2(r, CHECK_PREC);
  char *w;
  while (!c->ini.has_error && (w = next_word(c, &value))) {
    if (parse_number(r, w))
      adeis_ini_fail(&c->ini, c->ini.lineno, LABEL(k),
                     "expected a finite decimal number, got '%.60s' (item %zu)", w, nl->n + 1);
    else if (k == P_VAR && mpfr_sgn(r) <= 0)
      adeis_ini_fail(&c->ini, c->ini.lineno, LABEL(k),
                     "expected a positive variance, got '%.60s' (item %zu)", w, nl->n + 1);
    else if (numlist_push(nl, w) == 0)
      continue;
    else
      adeis_ini_fail_oom(&c->ini);
    free(w);
  }
  mpfr_clear(r);
}

static void set_value(parse_ctx *c, enum key_id k, const char *value)
{
  switch (keys[k].kind) {
  case K_WORD: set_word(c, k, value); break;
  case K_COUNT: set_count(c, k, value); break;
  case K_SEED: set_seed(c, k, value); break;
  case K_NUMBER: set_time(c, k, value); break;
  case K_LIST: append_numbers(c, k, value); break;
  }
}

static int key_lookup(int sec, const char *name)
{
  for (int k = 0; k < KEY_COUNT; k++)
    if ((int)keys[k].section == sec && strcmp(keys[k].name, name) == 0)
      return k;
  return -1;
}

static void key_names(char *buf, size_t n, int sec)
{
  buf[0] = '\0';
  for (int k = 0; k < KEY_COUNT; k++)
    if ((int)keys[k].section == sec) {
      size_t len = strlen(buf);
      snprintf(buf + len, n - len, "%s%s", len ? ", " : "", keys[k].name);
    }
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
  parse_ctx *c = user;
  if (c->ini.has_error)
    return 1;
  int sec = adeis_ini_section_id(&c->ini, section);
  if (sec < 0) {
    char list[128];
    adeis_ini_fail(&c->ini, c->ini.lineno, name,
                   "key outside a known section; expected it under %s",
                   adeis_ini_section_list(&c->ini, list, sizeof list));
    return 1;
  }
  int k = key_lookup(sec, name);
  if (k < 0) {
    char names[160], label[128];
    key_names(names, sizeof names, sec);
    adeis_ini_label(label, sizeof label, section, name);
    adeis_ini_fail(&c->ini, c->ini.lineno, label, "unknown key; expected one of %s", names);
    return 1;
  }
  if (c->ini.cont && keys[k].kind != K_LIST) {
    adeis_ini_fail(&c->ini, c->ini.lineno, LABEL(k),
                   "expected one value on one line, got a continuation '%s'", SHOWN(c, value));
    return 1;
  }
  if (!c->ini.cont && c->key_line[k]) {
    adeis_ini_fail(&c->ini, c->ini.lineno, LABEL(k), "duplicate key (first given on line %d)",
                   c->key_line[k]);
    return 1;
  }
  if (!c->ini.cont)
    c->key_line[k] = c->ini.lineno;
  set_value(c, (enum key_id)k, value);
  return 1;
}

/* ---- whole-file checks, once every key is read ---- */

/* Line to report a missing key of a section at: the section's line, else the file's last. */
static int missing_line(const parse_ctx *c, enum key_id k)
{
  int l = c->ini.section_line[keys[k].section];
  return l ? l : c->ini.lineno ? c->ini.lineno : 1;
}

static int require(parse_ctx *c, enum key_id k, const char *expected)
{
  if (c->key_line[k])
    return 0;
  adeis_ini_fail(&c->ini, missing_line(c, k), LABEL(k), "missing; expected %s", expected);
  return -1;
}

static void check_length(parse_ctx *c, enum key_id k, size_t n)
{
  const adeis_numlist *nl = numlist_of(c->spec, k);
  if (nl->n != n)
    adeis_ini_fail(&c->ini, nl->line, LABEL(k), "expected %zu number%s, got %zu", n,
                   n == 1 ? "" : "s", nl->n);
}

static void check_list(parse_ctx *c, enum key_id k, size_t n, const char *what)
{
  char expected[96];
  snprintf(expected, sizeof expected, "%zu %s", n, what);
  if (require(c, k, expected) == 0)
    check_length(c, k, n);
}

static void forbid(parse_ctx *c, enum key_id k, const char *why)
{
  if (c->key_line[k])
    adeis_ini_fail(&c->ini, c->key_line[k], LABEL(k), "%s", why);
}

static void check_problem(parse_ctx *c)
{
  adeis_problem_spec *sp = c->spec;
  require(c, P_TYPE, "'gaussian'");
  if (require(c, P_DIM, "an integer in 1..100000000"))
    return;
  check_list(c, P_MEAN, sp->dim, "numbers");
  check_list(c, P_VAR, sp->dim, "positive numbers");
  if (sp->cond_dim == 0) {
    forbid(c, P_W, "given without problem.cond_dim >= 1");
    forbid(c, P_Z, "given without problem.cond_dim >= 1");
    return;
  }
  if ((size_t)-1 / sp->cond_dim < sp->dim) {
    adeis_ini_fail(&c->ini, c->key_line[P_COND_DIM], LABEL(P_COND_DIM),
                   "dim x cond_dim is too large");
    return;
  }
  char what[96];
  snprintf(what, sizeof what, "numbers (a %zu x %zu matrix, row by row)", sp->dim, sp->cond_dim);
  check_list(c, P_W, sp->dim * sp->cond_dim, what);
  check_list(c, P_Z, sp->cond_dim, "numbers");
}

/* T and t_end at CHECK_PREC: 0 < t_end < T, and the schedule defined at both. */
/* t(lambda(t)) gives t back: false where the inverse overflows MPFR's exponent range
 * (vp-linear with T = 1e6: exp(-2 lambda) has no representation, the grid would be NaN) */
static int round_trips(const adeis_schedule *s, mpfr_srcptr t, mpfr_srcptr lambda)
{
  mpfr_t back;
  mpfr_init2(back, CHECK_PREC);
  adeis_schedule_t_of_lambda(back, s, lambda);
  mpfr_sub(back, back, t, RND);
  mpfr_div(back, back, t, RND);
  int ok = mpfr_number_p(back) && mpfr_cmpabs_ui(back, 0) >= 0 && mpfr_get_d(back, RND) < 1e-6 &&
           mpfr_get_d(back, RND) > -1e-6;
  mpfr_clear(back);
  return ok;
}

static void check_times(parse_ctx *c)
{
  adeis_problem_spec *sp = c->spec;
  if (!sp->schedule)
    return;
  adeis_schedule s;
  adeis_schedule_init(&s, sp->schedule, CHECK_PREC);
  if (sp->T)
    mpfr_set_str(s.T, sp->T, 10, RND);
  if (sp->t_end)
    mpfr_set_str(s.t_end, sp->t_end, 10, RND);
  enum key_id k = sp->t_end ? S_T_END : S_T;
  int line = c->key_line[k] ? c->key_line[k] : missing_line(c, k);
  if (mpfr_cmp(s.t_end, s.T) >= 0) {
    adeis_ini_fail(&c->ini, line, LABEL(k), "expected t_end < T, got t_end = %s, T = %s",
                   sp->t_end ? sp->t_end : sp->schedule->t_end_default,
                   sp->T ? sp->T : sp->schedule->T_default);
  } else {
    mpfr_t l_T, l_end;
    mpfr_inits2(CHECK_PREC, l_T, l_end, (mpfr_ptr)0);
    adeis_schedule_lambda(l_T, &s, s.T);
    adeis_schedule_lambda(l_end, &s, s.t_end);
    if (!mpfr_number_p(l_T) || !mpfr_number_p(l_end) || mpfr_cmp(l_end, l_T) <= 0 ||
        !round_trips(&s, s.T, l_T) || !round_trips(&s, s.t_end, l_end)) {
      k = sp->T ? S_T : k;
      line = c->key_line[k] ? c->key_line[k] : line;
      adeis_ini_fail(&c->ini, line, LABEL(k), "schedule %s is not defined on [t_end, T] = [%s, %s]",
                     sp->schedule->name, sp->t_end ? sp->t_end : sp->schedule->t_end_default,
                     sp->T ? sp->T : sp->schedule->T_default);
    }
    mpfr_clears(l_T, l_end, (mpfr_ptr)0);
  }
  adeis_schedule_clear(&s);
}

static void check_start(parse_ctx *c)
{
  adeis_problem_spec *sp = c->spec;
  if (c->key_line[X_T] && c->key_line[X_SEED]) {
    enum key_id later = c->key_line[X_T] > c->key_line[X_SEED] ? X_T : X_SEED;
    adeis_ini_fail(&c->ini, c->key_line[later], LABEL(later),
                   "expected either start.x_T or start.seed, not both");
  } else if (!c->key_line[X_SEED]) {
    char expected[96];
    snprintf(expected, sizeof expected, "%zu numbers (or start.seed = N)", sp->dim);
    if (require(c, X_T, expected) == 0)
      check_length(c, X_T, sp->dim);
  }
}

static void check_spec(parse_ctx *c)
{
  check_problem(c);
  if (require(c, S_NAME, "a schedule name") == 0)
    check_times(c);
  require(c, L_TYPE, "'quadratic'");
  if (c->key_line[P_DIM])
    check_list(c, L_TARGET, c->spec->dim, "numbers");
  if (c->key_line[P_DIM])
    check_start(c);
}

/* ---- loading ---- */

static void numlist_clear(adeis_numlist *nl)
{
  for (size_t i = 0; i < nl->n; i++)
    free(nl->text[i]);
  free(nl->text);
  memset(nl, 0, sizeof *nl);
}

void adeis_problem_spec_clear(adeis_problem_spec *spec)
{
  free(spec->path);
  free(spec->type);
  free(spec->T);
  free(spec->t_end);
  free(spec->loss);
  adeis_numlist *lists[] = {&spec->mean, &spec->var, &spec->W, &spec->z, &spec->target,
                            &spec->x_T};
  for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
    numlist_clear(lists[i]);
  memset(spec, 0, sizeof *spec);
}

/* The physical line of inih's line count ini_line (the lines it was delivered). */
static int physical_line(const parse_ctx *c, int ini_line)
{
  return ini_line > 0 && (size_t)ini_line <= c->n_delivered ? c->line_of[ini_line - 1]
                                                            : c->ini.lineno;
}

static int parse_file(parse_ctx *c)
{
  int rc = adeis_ini_parse(&c->ini, read_line, c, on_key, c);
  if (rc > 0)
    adeis_ini_fail_syntax(&c->ini, physical_line(c, rc));
  else if (rc < 0 && !c->ini.has_error)
    adeis_ini_fail_oom(&c->ini);
  if (!c->ini.has_error)
    check_spec(c);
  return c->ini.oom ? ADEIS_ENOMEM : c->ini.has_error ? ADEIS_EINPUT : ADEIS_OK;
}

int adeis_problem_load(const char *path, adeis_problem_spec *spec)
{
  memset(spec, 0, sizeof *spec);
  FILE *f = fopen(path, "r");
  if (!f) {
    adeis_set_error("%s:0: file: cannot open (%s)", path, strerror(errno));
    return ADEIS_EINPUT;
  }
  parse_ctx c = {.spec = spec};
  adeis_ini_reader_init(&c.ini, path, f, section_names, SEC_COUNT);
  c.ini.what_cap = 384;   /* problem messages have always cut "what" at 383 characters */
  spec->path = strdup(path);
  int rc = spec->path ? parse_file(&c) : ADEIS_ENOMEM;
  if (rc == ADEIS_ENOMEM && !c.ini.has_error)
    adeis_ini_fail(&c.ini, 0, "file", "out of memory");
  fclose(f);
  adeis_ini_reader_clear(&c.ini);
  free(c.cooked);
  free(c.line_of);
  for (size_t i = 0; i < c.n_long_words; i++)
    free(c.long_words[i]);
  free(c.long_words);
  if (rc) {
    adeis_set_error("%s", c.ini.msg);
    adeis_problem_spec_clear(spec);
  }
  return rc;
}

/* ---- building at a precision ---- */

typedef struct numarr {
  size_t n;
  mpfr_t *v;
  mpfr_srcptr *p;   /* v[i] as a const pointer array, the Gaussian's argument type */
} numarr;

static void numarr_clear(numarr *a)
{
  if (a->v)
    for (size_t i = 0; i < a->n; i++)
      mpfr_clear(a->v[i]);
  free(a->v);
  free(a->p);
  memset(a, 0, sizeof *a);
}

/* A double backend cannot hold numbers outside the normal double range. */
static int fits_backend(const adeis_backend *be, mpfr_srcptr x)
{
  if (be->prec != 53 || mpfr_zero_p(x))
    return 1;
  mpfr_exp_t e = mpfr_get_exp(x);
  return e >= -1021 && e <= 1024;
}

static int number_at(const adeis_problem_spec *spec, const adeis_backend *be,
                     const adeis_numlist *nl, const char *key, size_t i, mpfr_ptr r)
{
  mpfr_set_str(r, nl->text[i], 10, RND);
  if (fits_backend(be, r))
    return ADEIS_OK;
  adeis_set_error("%s:%d: %s: '%.60s' is outside the range of double precision; use a higher "
                  "precision", spec->path, nl->line, key, nl->text[i]);
  return ADEIS_EINPUT;
}

/* Each number of nl, correctly rounded at the backend's precision. */
static int numarr_parse(numarr *a, const adeis_problem_spec *spec, const adeis_backend *be,
                        const adeis_numlist *nl, const char *key)
{
  memset(a, 0, sizeof *a);
  if (nl->n == 0)
    return ADEIS_OK;
  a->v = malloc(nl->n * sizeof *a->v);
  a->p = malloc(nl->n * sizeof *a->p);
  if (!a->v || !a->p) {
    free(a->v);
    free(a->p);
    a->v = NULL;
    a->p = NULL;
    adeis_set_error("out of memory reading %s", key);
    return ADEIS_ENOMEM;
  }
  int rc = ADEIS_OK;
  for (size_t i = 0; i < nl->n; i++) {
    mpfr_init2(a->v[i], be->prec);
    a->n = i + 1;
    a->p[i] = a->v[i];
    if (!rc)
      rc = number_at(spec, be, nl, key, i, a->v[i]);
  }
  return rc;
}

static adeis_vec *vec_or_fail(const adeis_backend *be, size_t n, const char *what)
{
  adeis_vec *v = adeis_vec_alloc(be, n);
  if (!v)
    adeis_set_error("out of memory allocating %s (dimension %zu)", what, n);
  return v;
}

/* A vector holding the numbers of nl at the backend's precision. */
static int vec_from_list(adeis_vec **out, const adeis_problem_spec *spec, const adeis_backend *be,
                         const adeis_numlist *nl, const char *key)
{
  *out = vec_or_fail(be, nl->n, key);
  if (!*out)
    return ADEIS_ENOMEM;
  mpfr_t r;
  mpfr_init2(r, be->prec);
  int rc = ADEIS_OK;
  for (size_t i = 0; i < nl->n && !rc; i++)
    if (!(rc = number_at(spec, be, nl, key, i, r)))
      adeis_vec_set(*out, i, r);
  mpfr_clear(r);
  return rc;
}

/* x_T ~ N(0, I): doubles from mt19937 seeded with seed, exact at every precision. */
static int draw_x_T(adeis_vec **out, const adeis_backend *be, size_t dim, unsigned long seed)
{
  *out = vec_or_fail(be, dim, "start.x_T");
  gsl_rng *r = *out ? gsl_rng_alloc(gsl_rng_mt19937) : NULL;
  if (!r) {
    adeis_set_error("out of memory drawing start.x_T");
    return ADEIS_ENOMEM;
  }
  gsl_rng_set(r, seed);
  for (size_t i = 0; i < dim; i++)
    adeis_vec_set_d(*out, i, gsl_ran_gaussian(r, 1.0));
  gsl_rng_free(r);
  return ADEIS_OK;
}

static int set_times(const adeis_problem_spec *spec, adeis_schedule *s, long prec)
{
  if (spec->T)
    mpfr_set_str(s->T, spec->T, 10, RND);
  if (spec->t_end)
    mpfr_set_str(s->t_end, spec->t_end, 10, RND);
  if (mpfr_cmp(s->t_end, s->T) < 0)
    return ADEIS_OK;
  adeis_set_error("%s: schedule.t_end: t_end and T round to t_end >= T at precision %ld",
                  spec->path, prec);
  return ADEIS_EINPUT;
}

static int build_model(const adeis_problem_spec *spec, adeis_problem *pb)
{
  numarr m = {0}, s2 = {0}, W = {0}, z = {0};
  int rc = numarr_parse(&m, spec, &pb->be, &spec->mean, "problem.mean");
  if (!rc)
    rc = numarr_parse(&s2, spec, &pb->be, &spec->var, "problem.var");
  if (!rc)
    rc = numarr_parse(&W, spec, &pb->be, &spec->W, "problem.W");
  if (!rc)
    rc = numarr_parse(&z, spec, &pb->be, &spec->z, "problem.z");
  if (!rc)
    rc = adeis_gaussian_init(&pb->model, &pb->be, spec->dim, spec->cond_dim, m.p, s2.p,
                             spec->cond_dim ? W.p : NULL, spec->cond_dim ? z.p : NULL,
                             spec->rotation_seed);
  numarr_clear(&m);
  numarr_clear(&s2);
  numarr_clear(&W);
  numarr_clear(&z);
  return rc;
}

static int build_start(const adeis_problem_spec *spec, adeis_problem *pb)
{
  int rc = spec->has_x_T_seed ? draw_x_T(&pb->x_T, &pb->be, spec->dim, spec->x_T_seed)
                              : vec_from_list(&pb->x_T, spec, &pb->be, &spec->x_T, "start.x_T");
  if (!rc)
    rc = vec_from_list(&pb->target, spec, &pb->be, &spec->target, "loss.target");
  return rc;
}

int adeis_problem_build(const adeis_problem_spec *spec, long prec, adeis_problem *pb)
{
  memset(pb, 0, sizeof *pb);
  if (!spec->schedule || !spec->dim) {
    adeis_set_error("problem_build: the problem spec is not loaded");
    return ADEIS_EINPUT;
  }
  int rc = adeis_backend_init(&pb->be, prec);
  if (rc)
    return rc;
  pb->noise_seed = spec->noise_seed;
  adeis_schedule_init(&pb->sched, spec->schedule, adeis_backend_scalar_prec(&pb->be));
  rc = set_times(spec, &pb->sched, prec);
  if (!rc)
    rc = build_model(spec, pb);
  if (!rc)
    rc = build_start(spec, pb);
  if (rc)
    adeis_problem_clear(pb);
  return rc;
}

void adeis_problem_clear(adeis_problem *pb)
{
  adeis_vec_free(pb->x_T);
  adeis_vec_free(pb->target);
  if (pb->model.impl)
    adeis_gaussian_clear(&pb->model);
  if (pb->sched.type)
    adeis_schedule_clear(&pb->sched);
  memset(pb, 0, sizeof *pb);
}

void adeis_problem_loss_grad(const adeis_problem *pb, adeis_vec *G, const adeis_vec *x0)
{
  mpfr_t one, minus_one;
  mpfr_inits2(8, one, minus_one, (mpfr_ptr)0);
  mpfr_set_si(one, 1, RND);
  mpfr_set_si(minus_one, -1, RND);
  adeis_vec_lincomb(G, 2, (mpfr_srcptr[]){one, minus_one}, (const adeis_vec *[]){x0, pb->target});
  mpfr_clears(one, minus_one, (mpfr_ptr)0);
}

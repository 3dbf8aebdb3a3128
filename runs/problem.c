/* Problem files (docs/problem-files.md): INI parsing with "FILE:LINE: section.key: what"
 * diagnostics, then building the model, schedule, loss and start at a working precision.
 *
 * The [problem] section's keys are those of the model type its `type` names (the registry,
 * registry.h); keys given before `type` are checked against the registered type that declares
 * them, kept, and read again once the type is known. Every section's values are read by kind
 * (core/params.h).
 *
 * inih sees the file through read_line(), built on the shared line reader
 * (core/inifile.h), which counts physical lines (inih's handler gets no line number),
 * strips comments and indentation, reports syntax errors itself, and splits over-long
 * lines at whitespace into continuation lines, so a number list of any length may sit
 * on one line or be continued on indented lines. Words longer than LONG_WORD (numbers
 * with hundreds of digits) are kept aside and passed as a short mark, so no line inih
 * sees exceeds its 200 characters. Each physical line is scanned a fixed number of times
 * (a line of 10^6 numbers is read in time linear in its length). */
#include "problem.h"
#include "registry.h"
#include "../core/status.h"
#include "../core/vecfile.h"

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

/* ---- the sections and their keys ---- */

enum section_id { SEC_PROBLEM, SEC_SCHEDULE, SEC_LOSS, SEC_START, SEC_REFERENCE, SEC_COUNT };
static const char *const section_names[SEC_COUNT] = {"problem", "schedule", "loss", "start",
                                                     "reference"};

enum { S_NAME, S_T, S_T_END, S_COUNT };
static const adeis_key schedule_keys[S_COUNT] = {
  [S_NAME] = {"name", ADEIS_KEY_WORD, 0, NULL},
  [S_T] = {"T", ADEIS_KEY_NUMBER, 0, NULL},
  [S_T_END] = {"t_end", ADEIS_KEY_NUMBER, 0, NULL},
};

enum { L_TYPE, L_TARGET, L_COUNT };
static const adeis_key loss_keys[L_COUNT] = {
  [L_TYPE] = {"type", ADEIS_KEY_WORD, 0, NULL},
  [L_TARGET] = {"target", ADEIS_KEY_LIST, 0, NULL},
};

enum { X_T, X_SEED, X_NOISE_SEED, X_COUNT };
static const adeis_key start_keys[X_COUNT] = {
  [X_T] = {"x_T", ADEIS_KEY_LIST, 0, NULL},
  [X_SEED] = {"seed", ADEIS_KEY_SEED, 0, NULL},
  [X_NOISE_SEED] = {"noise_seed", ADEIS_KEY_SEED, 0, NULL},
};

/* The reference solve where there is no exact value (runs/reference.h): its bound and the
 * bits it adds to the run's precision. */
enum { R_MAX_STEPS, R_GUARD_BITS, R_COUNT };
static const adeis_key reference_keys[R_COUNT] = {
  [R_MAX_STEPS] = {"max_steps", ADEIS_KEY_COUNT, 64, NULL},
  [R_GUARD_BITS] = {"guard_bits", ADEIS_KEY_COUNT, 0, NULL},
};

static const adeis_key type_key = {"type", ADEIS_KEY_WORD, 0, NULL};

/* A [problem] key given before `type`, read again once the type is known. */
typedef struct early_key {
  char *name, *value;
  int line, cont;
} early_key;

/* ---- parser state ---- */

typedef struct parse_ctx {
  adeis_ini_reader ini;
  adeis_problem_spec *spec;
  adeis_param_set sets[SEC_COUNT];   /* sets[SEC_PROBLEM]: the model type's keys */
  int type_line;
  char *cooked;              /* the line as delivered, long words replaced by marks */
  char *cooked_end;          /* its terminating NUL */
  char **long_words;
  size_t n_long_words;
  const char *pending;       /* rest of an over-long line, still to deliver */
  int *line_of;              /* physical line of each delivered line (inih's count) */
  size_t n_delivered, cap_delivered;
  early_key *early;
  size_t n_early;
} parse_ctx;

_Static_assert(SEC_COUNT <= ADEIS_INI_MAX_SECTIONS, "too many sections for adeis_ini_reader");

/* "section.key" for messages */
#define LABEL(ps, k) adeis_param_label((ps), (k), (char[96]){0}, 96)

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

/* Copy s (a suffix of c->cooked) into str (capacity num) as one line, continuation lines
 * with one leading blank; what does not fit is split off at whitespace and kept pending. */
static char *deliver(parse_ctx *c, char *str, int num, const char *s)
{
  if (note_delivery(c)) {
    adeis_ini_fail_oom(&c->ini);
    return NULL;
  }
  size_t prefix = c->ini.cont ? 1 : 0;
  size_t room = (size_t)num - 2 - prefix; /* keep space for '\n' and NUL */
  size_t len = (size_t)(c->cooked_end - s);
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

/* Length of the key part of a key line ("name =", up to and including the first '=' or
 * ':'), which is never stashed: `mean=<long number>` keeps its key. 0 for other lines. */
static size_t key_part(const parse_ctx *c, const char *s)
{
  if (c->ini.cont || *s == '[' || *s == '\0')
    return 0;
  size_t n = strcspn(s, "=:");
  return s[n] ? n + 1 : 0;
}

/* Copy s to c->cooked with every word longer than LONG_WORD replaced by a mark. */
static char *stash_long_words(parse_ctx *c, const char *s)
{
  char *out = realloc(c->cooked, strlen(s) + 1);
  if (!out)
    return NULL;
  c->cooked = out;
  size_t head = key_part(c, s);
  memcpy(out, s, head);
  out += head;
  s += head;
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
  c->cooked_end = out;
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

/* Report against the key k of set ps at the current line. */
#define FAIL(c, ps, k, ...) adeis_ini_fail(&(c)->ini, (c)->ini.lineno, LABEL(ps, k), __VA_ARGS__)

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

/* The single word of value as a new string; NULL (reported) for none or several. */
static char *single_word(parse_ctx *c, adeis_param_set *ps, size_t k, const char *value,
                         const char *expected)
{
  const char *s = value;
  char *w = next_word(c, &s);
  char *extra = w ? next_word(c, &s) : NULL;
  if (w && !extra)
    return w;
  free(w);
  free(extra);
  FAIL(c, ps, k, "expected %s, got '%s'", expected, SHOWN(c, value));
  return NULL;
}

static void set_word(parse_ctx *c, adeis_param_set *ps, size_t k, const char *value,
                     const char *expected)
{
  char *w = single_word(c, ps, k, value, expected);
  if (w) {
    free(ps->v[k].word);
    ps->v[k].word = w;
  }
}

/* A file name, resolved against the problem file's folder unless absolute. */
static char *resolve_path(const parse_ctx *c, const char *name)
{
  const char *slash = strrchr(c->spec->path, '/');
  size_t dir = *name == '/' || !slash ? 0 : (size_t)(slash - c->spec->path) + 1;
  char *p = malloc(dir + strlen(name) + 1);
  if (p) {
    memcpy(p, c->spec->path, dir);
    strcpy(p + dir, name);
  }
  return p;
}

static void set_path(parse_ctx *c, adeis_param_set *ps, size_t k, const char *value)
{
  char *w = single_word(c, ps, k, value, "one file name");
  if (!w)
    return;
  free(ps->v[k].word);
  if (!(ps->v[k].word = resolve_path(c, w)))
    adeis_ini_fail_oom(&c->ini);
  free(w);
}

static void set_count(parse_ctx *c, adeis_param_set *ps, size_t k, const char *value)
{
  unsigned long v, lo = ps->keys[k].min;
  if (parse_ulong(value, ADEIS_PROBLEM_MAX_DIM, &v) || v < lo)
    FAIL(c, ps, k, "expected an integer in %lu..%lu, got '%s'", lo, ADEIS_PROBLEM_MAX_DIM,
         SHOWN(c, value));
  else
    ps->v[k].u = v;
}

static void set_seed(parse_ctx *c, adeis_param_set *ps, size_t k, const char *value)
{
  unsigned long v;
  if (parse_ulong(value, ULONG_MAX, &v))
    FAIL(c, ps, k, "expected an integer in 0..%lu, got '%s'", ULONG_MAX, SHOWN(c, value));
  else
    ps->v[k].u = v;
}

static const char *range_note(int why)
{
  return why == -2 ? ", outside MPFR's exponent range" : "";
}

static void set_positive_number(parse_ctx *c, adeis_param_set *ps, size_t k, const char *value)
{
  char *w = single_word(c, ps, k, value, "one positive number");
  if (!w)
    return;
  mpfr_t r;
  mpfr_init2(r, CHECK_PREC);
  int why = adeis_parse_decimal(r, w);
  if (why || mpfr_sgn(r) <= 0) {
    FAIL(c, ps, k, "expected one positive number, got '%.60s'%s", w, range_note(why));
    free(w);
  } else {
    free(ps->v[k].word);
    ps->v[k].word = w;
  }
  mpfr_clear(r);
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

/* `key = @FILE`: the numbers of a .f64 or .npy file, each finite (and positive where the
 * key asks). */
static void read_list_file(parse_ctx *c, adeis_param_set *ps, size_t k, const char *word)
{
  adeis_numlist *nl = &ps->v[k].list;
  char what[256];
  char *path = resolve_path(c, word + 1);
  if (!path) {
    adeis_ini_fail_oom(&c->ini);
    return;
  }
  if (adeis_vecfile_read(path, &nl->data, &nl->n, what, sizeof what)) {
    FAIL(c, ps, k, "%s: %s", path, what);
  } else {
    const char *positive = ps->keys[k].positive;
    for (size_t i = 0; i < nl->n; i++) {
      double x = nl->data[i];
      if (x - x != 0 || (positive && !(x > 0))) {
        FAIL(c, ps, k, "%s: expected %s, got %.17g (item %zu)", path,
             positive ? positive : "finite numbers", x, i + 1);
        break;
      }
    }
  }
  free(path);
}

static void append_numbers(parse_ctx *c, adeis_param_set *ps, size_t k, const char *value)
{
  adeis_numlist *nl = &ps->v[k].list;
  if (nl->data) {
    FAIL(c, ps, k, "expected @FILE alone, got a continuation '%s'", SHOWN(c, value));
    return;
  }
  if (!nl->line)
    nl->line = c->ini.lineno;
  const char *rest = value;
  char *first = nl->n == 0 && !c->ini.cont ? next_word(c, &rest) : NULL;
  if (first && *first == '@') {
    char *extra = next_word(c, &rest);
    if (extra)
      FAIL(c, ps, k, "expected @FILE alone, got '%s'", SHOWN(c, value));
    else
      read_list_file(c, ps, k, first);
    free(extra);
    free(first);
    return;
  }
  free(first);
  mpfr_t r;
  mpfr_init2(r, CHECK_PREC);
  char *w;
  const char *positive = ps->keys[k].positive;
  while (!c->ini.has_error && (w = next_word(c, &value))) {
    int why = adeis_parse_decimal(r, w);
    if (why)
      FAIL(c, ps, k, "expected a finite decimal number, got '%.60s' (item %zu)%s", w, nl->n + 1,
           range_note(why));
    else if (positive && mpfr_sgn(r) <= 0)
      FAIL(c, ps, k, "expected %s, got '%.60s' (item %zu)", positive, w, nl->n + 1);
    else if (numlist_push(nl, w) == 0)
      continue;
    else
      adeis_ini_fail_oom(&c->ini);
    free(w);
  }
  mpfr_clear(r);
}

static void set_value(parse_ctx *c, adeis_param_set *ps, size_t k, const char *value)
{
  switch (ps->keys[k].kind) {
  case ADEIS_KEY_WORD: set_word(c, ps, k, value, "one word"); break;
  case ADEIS_KEY_COUNT: set_count(c, ps, k, value); break;
  case ADEIS_KEY_SEED: set_seed(c, ps, k, value); break;
  case ADEIS_KEY_NUMBER: set_positive_number(c, ps, k, value); break;
  case ADEIS_KEY_LIST: append_numbers(c, ps, k, value); break;
  case ADEIS_KEY_PATH: set_path(c, ps, k, value); break;
  }
}

/* ---- the words that name registry entries ---- */

static void set_schedule(parse_ctx *c, adeis_param_set *ps, const char *value)
{
  char *w = single_word(c, ps, S_NAME, value, "a schedule name");
  if (!w)
    return;
  char names[128] = "";
  for (size_t i = 0; adeis_schedule_types[i]; i++) {
    size_t len = strlen(names);
    snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", adeis_schedule_types[i]->name);
  }
  if (!(c->spec->schedule = adeis_schedule_lookup(w)))
    FAIL(c, ps, S_NAME, "unknown schedule '%.60s'; expected one of %s", w, names);
  free(ps->v[S_NAME].word);
  ps->v[S_NAME].word = w;
}

static void set_loss(parse_ctx *c, adeis_param_set *ps, const char *value)
{
  char names[128];
  adeis_loss_type_names(names, sizeof names);
  char *w = single_word(c, ps, L_TYPE, value, "a loss type");
  if (!w)
    return;
  if (!(c->spec->loss = adeis_loss_type_lookup(w)))
    FAIL(c, ps, L_TYPE, "unknown loss type '%.60s'; expected %s", w, names);
  free(ps->v[L_TYPE].word);
  ps->v[L_TYPE].word = w;
}

/* ---- keys ---- */

static void key_names(char *buf, size_t n, const adeis_param_set *ps, const char *first)
{
  snprintf(buf, n, "%s", first ? first : "");
  for (size_t k = 0; k < ps->n_keys; k++) {
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s%s", len ? ", " : "", ps->keys[k].name);
  }
}

/* One key=value of set ps (the section's keys known): checks and stores it. */
static void on_section_key(parse_ctx *c, adeis_param_set *ps, const char *name, const char *value,
                           const char *extra_key)
{
  int k = adeis_param_index(ps, name);
  if (k < 0) {
    char names[320], label[128];
    key_names(names, sizeof names, ps, extra_key);
    adeis_ini_label(label, sizeof label, ps->section, name);
    adeis_ini_fail(&c->ini, c->ini.lineno, label, "unknown key; expected one of %s", names);
    return;
  }
  if (c->ini.cont && ps->keys[k].kind != ADEIS_KEY_LIST) {
    FAIL(c, ps, k, "expected one value on one line, got a continuation '%s'", SHOWN(c, value));
    return;
  }
  if (!c->ini.cont && ps->v[k].line) {
    FAIL(c, ps, k, "duplicate key (first given on line %d)", ps->v[k].line);
    return;
  }
  if (!c->ini.cont)
    ps->v[k].line = c->ini.lineno;
  if (ps == &c->sets[SEC_SCHEDULE] && k == S_NAME)
    set_schedule(c, ps, value);
  else if (ps == &c->sets[SEC_LOSS] && k == L_TYPE)
    set_loss(c, ps, value);
  else
    set_value(c, ps, (size_t)k, value);
}

/* A [problem] key before `type`: checked as the first registered type that declares it
 * would, then kept to be read again. */
static void early_problem_key(parse_ctx *c, const char *name, const char *value)
{
  adeis_param_set scratch = {0};
  for (size_t i = 0; adeis_model_types[i] && !scratch.v; i++) {
    const adeis_model_type *t = adeis_model_types[i];
    adeis_param_set_init(&scratch, c->spec->path, "problem", t->keys, t->n_keys);
    if (scratch.v && adeis_param_index(&scratch, name) < 0)
      adeis_param_set_clear(&scratch);
  }
  if (!scratch.v) {
    char label[128];
    adeis_ini_label(label, sizeof label, "problem", name);
    adeis_ini_fail(&c->ini, c->ini.lineno, label,
                   "unknown key of every model type (problem.type names the type)");
    return;
  }
  int k = adeis_param_index(&scratch, name);
  if (!c->ini.cont || scratch.keys[k].kind == ADEIS_KEY_LIST)
    set_value(c, &scratch, (size_t)k, value);
  adeis_param_set_clear(&scratch);
  early_key *e = realloc(c->early, (c->n_early + 1) * sizeof *e);
  if (!e) {
    adeis_ini_fail_oom(&c->ini);
    return;
  }
  c->early = e;
  e += c->n_early++;
  *e = (early_key){strdup(name), strdup(value), c->ini.lineno, c->ini.cont};
  if (!e->name || !e->value)
    adeis_ini_fail_oom(&c->ini);
}

/* The keys given before `type`, read now that the type is known. */
static void replay_early_keys(parse_ctx *c)
{
  int line = c->ini.lineno, cont = c->ini.cont;
  for (size_t i = 0; i < c->n_early; i++) {
    c->ini.lineno = c->early[i].line;
    c->ini.cont = c->early[i].cont;
    if (c->early[i].name && c->early[i].value)
      on_section_key(c, &c->sets[SEC_PROBLEM], c->early[i].name, c->early[i].value, "type");
  }
  c->ini.lineno = line;
  c->ini.cont = cont;
}

static void set_type(parse_ctx *c, const char *value)
{
  adeis_param_set tmp = {.path = c->spec->path, .section = "problem", .keys = &type_key,
                         .n_keys = 1};
  char names[128];
  adeis_model_type_names(names, sizeof names);
  char *w = single_word(c, &tmp, 0, value, "a model type");
  if (!w)
    return;
  const adeis_model_type *t = adeis_model_type_lookup(w);
  if (!t) {
    FAIL(c, &tmp, 0, "unknown problem type '%.60s'; expected one of %s", w, names);
  } else if (adeis_param_set_init(&c->sets[SEC_PROBLEM], c->spec->path, "problem", t->keys,
                                  t->n_keys)) {
    adeis_ini_fail_oom(&c->ini);
  } else {
    c->spec->type = t;
    replay_early_keys(c);
  }
  free(w);
}

static void on_problem_key(parse_ctx *c, const char *name, const char *value)
{
  if (strcmp(name, "type") == 0) {
    if (c->ini.cont)
      adeis_ini_fail(&c->ini, c->ini.lineno, "problem.type",
                     "expected one value on one line, got a continuation '%s'", SHOWN(c, value));
    else if (c->type_line)
      adeis_ini_fail(&c->ini, c->ini.lineno, "problem.type",
                     "duplicate key (first given on line %d)", c->type_line);
    else {
      c->type_line = c->ini.lineno;
      set_type(c, value);
    }
  } else if (c->spec->type) {
    on_section_key(c, &c->sets[SEC_PROBLEM], name, value, "type");
  } else if (!c->type_line) {
    early_problem_key(c, name, value);
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
  } else if (sec == SEC_PROBLEM) {
    on_problem_key(c, name, value);
  } else {
    on_section_key(c, &c->sets[sec], name, value, NULL);
  }
  return 1;
}

/* ---- whole-file checks, once every key is read ---- */

/* Line to report a missing key of a section at: the section's line, else the file's last. */
static int missing_line(const parse_ctx *c, int sec)
{
  int l = c->ini.section_line[sec];
  return l ? l : c->ini.lineno ? c->ini.lineno : 1;
}

static size_t check_problem(parse_ctx *c)
{
  adeis_problem_spec *sp = c->spec;
  if (!c->type_line) {
    char names[128];
    adeis_ini_fail(&c->ini, missing_line(c, SEC_PROBLEM), "problem.type",
                   "missing; expected a model type (one of %s)",
                   adeis_model_type_names(names, sizeof names));
    return 0;
  }
  if (!sp->type)
    return 0;
  adeis_param_set *ps = &c->sets[SEC_PROBLEM];
  ps->ini = &c->ini;
  ps->missing_line = missing_line(c, SEC_PROBLEM);
  size_t dim = sp->type->check(ps);
  ps->ini = NULL;
  return dim;
}

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

/* T and t_end at CHECK_PREC: 0 < t_end < T, and the schedule defined at both. */
static void check_times(parse_ctx *c)
{
  adeis_problem_spec *sp = c->spec;
  adeis_param_set *ps = &c->sets[SEC_SCHEDULE];
  if (!sp->schedule)
    return;
  const char *T = ps->v[S_T].word, *t_end = ps->v[S_T_END].word;
  adeis_schedule s;
  adeis_schedule_init(&s, sp->schedule, CHECK_PREC);
  if (T)
    mpfr_set_str(s.T, T, 10, RND);
  if (t_end)
    mpfr_set_str(s.t_end, t_end, 10, RND);
  size_t k = t_end ? S_T_END : S_T;
  int line = ps->v[k].line ? ps->v[k].line : missing_line(c, SEC_SCHEDULE);
  if (mpfr_cmp(s.t_end, s.T) >= 0) {
    adeis_ini_fail(&c->ini, line, LABEL(ps, k), "expected t_end < T, got t_end = %s, T = %s",
                   t_end ? t_end : sp->schedule->t_end_default, T ? T : sp->schedule->T_default);
  } else {
    mpfr_t l_T, l_end;
    mpfr_inits2(CHECK_PREC, l_T, l_end, (mpfr_ptr)0);
    adeis_schedule_lambda(l_T, &s, s.T);
    adeis_schedule_lambda(l_end, &s, s.t_end);
    if (!mpfr_number_p(l_T) || !mpfr_number_p(l_end) || mpfr_cmp(l_end, l_T) <= 0 ||
        !round_trips(&s, s.T, l_T) || !round_trips(&s, s.t_end, l_end)) {
      k = T ? S_T : k;
      line = ps->v[k].line ? ps->v[k].line : line;
      adeis_ini_fail(&c->ini, line, LABEL(ps, k), "schedule %s is not defined on [t_end, T] = [%s, %s]",
                     sp->schedule->name, t_end ? t_end : sp->schedule->t_end_default,
                     T ? T : sp->schedule->T_default);
    }
    mpfr_clears(l_T, l_end, (mpfr_ptr)0);
  }
  adeis_schedule_clear(&s);
}

static void check_start(parse_ctx *c, size_t dim)
{
  adeis_param_set *ps = &c->sets[SEC_START];
  int x_line = ps->v[X_T].line, seed_line = ps->v[X_SEED].line;
  if (x_line && seed_line) {
    size_t later = x_line > seed_line ? X_T : X_SEED;
    adeis_param_fail(ps, ps->v[later].line, later,
                     "expected either start.x_T or start.seed, not both");
  } else if (!seed_line) {
    char expected[96];
    snprintf(expected, sizeof expected, "%zu numbers (or start.seed = N)", dim);
    if (adeis_param_require(ps, X_T, expected) == 0)
      adeis_param_check_length(ps, X_T, dim);
  }
}

static void check_spec(parse_ctx *c)
{
  for (int s = 0; s < SEC_COUNT; s++) {
    c->sets[s].ini = &c->ini;
    c->sets[s].missing_line = missing_line(c, s);
  }
  size_t dim = check_problem(c);
  c->spec->dim = dim;
  if (adeis_param_require(&c->sets[SEC_SCHEDULE], S_NAME, "a schedule name") == 0)
    check_times(c);
  if (dim && c->spec->schedule && c->spec->type->check_schedule) {
    c->sets[SEC_PROBLEM].ini = &c->ini;
    c->spec->type->check_schedule(&c->sets[SEC_PROBLEM], c->spec->schedule->name);
  }
  char expected[160], names[128];
  snprintf(expected, sizeof expected, "a loss type (one of %s)",
           adeis_loss_type_names(names, sizeof names));
  adeis_param_require(&c->sets[SEC_LOSS], L_TYPE, expected);
  if (dim)
    adeis_param_check_list(&c->sets[SEC_LOSS], L_TARGET, dim, "numbers");
  if (dim)
    check_start(c, dim);
  for (int s = 0; s < SEC_COUNT; s++)
    c->sets[s].ini = NULL;
}

/* ---- loading ---- */

/* Move the values of the common sections into the spec's fields. */
static void take_values(parse_ctx *c)
{
  adeis_problem_spec *sp = c->spec;
  adeis_param *sched = c->sets[SEC_SCHEDULE].v, *loss = c->sets[SEC_LOSS].v;
  adeis_param *start = c->sets[SEC_START].v;
  sp->T = sched[S_T].word;
  sp->t_end = sched[S_T_END].word;
  sched[S_T].word = sched[S_T_END].word = NULL;
  sp->T_line = sched[S_T].line;
  sp->t_end_line = sched[S_T_END].line;
  sp->schedule_line = missing_line(c, SEC_SCHEDULE);
  sp->target = loss[L_TARGET].list;
  memset(&loss[L_TARGET].list, 0, sizeof loss[L_TARGET].list);
  sp->x_T = start[X_T].list;
  memset(&start[X_T].list, 0, sizeof start[X_T].list);
  sp->has_x_T_seed = start[X_SEED].line != 0;
  sp->x_T_seed = start[X_SEED].u;
  sp->noise_seed = start[X_NOISE_SEED].u;
  const adeis_param *ref = c->sets[SEC_REFERENCE].v;
  sp->ref_max_steps = ref[R_MAX_STEPS].line ? ref[R_MAX_STEPS].u : 0;
  sp->has_ref_guard_bits = ref[R_GUARD_BITS].line != 0;
  sp->ref_guard_bits = (long)ref[R_GUARD_BITS].u;
  sp->model = c->sets[SEC_PROBLEM];
  memset(&c->sets[SEC_PROBLEM], 0, sizeof c->sets[SEC_PROBLEM]);
}

void adeis_problem_spec_clear(adeis_problem_spec *spec)
{
  free(spec->path);
  free(spec->T);
  free(spec->t_end);
  adeis_param_set_clear(&spec->model);
  adeis_numlist_clear(&spec->target);
  adeis_numlist_clear(&spec->x_T);
  memset(spec, 0, sizeof *spec);
}

const adeis_param *adeis_problem_param(const adeis_problem_spec *spec, const char *name)
{
  return spec->model.v ? adeis_param_get(&spec->model, name) : NULL;
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
  if (!c->ini.has_error)
    take_values(c);
  return c->ini.oom ? ADEIS_ENOMEM : c->ini.has_error ? ADEIS_EINPUT : ADEIS_OK;
}

static int init_sets(parse_ctx *c, const char *path)
{
  static const struct { const adeis_key *keys; size_t n; } fixed[SEC_COUNT] = {
    [SEC_SCHEDULE] = {schedule_keys, S_COUNT},
    [SEC_LOSS] = {loss_keys, L_COUNT},
    [SEC_START] = {start_keys, X_COUNT},
    [SEC_REFERENCE] = {reference_keys, R_COUNT},
  };
  int rc = ADEIS_OK;
  for (int s = SEC_SCHEDULE; s < SEC_COUNT; s++)
    rc |= adeis_param_set_init(&c->sets[s], path, section_names[s], fixed[s].keys, fixed[s].n);
  return rc ? ADEIS_ENOMEM : ADEIS_OK;
}

static void ctx_clear(parse_ctx *c)
{
  adeis_ini_reader_clear(&c->ini);
  free(c->cooked);
  free(c->line_of);
  for (size_t i = 0; i < c->n_long_words; i++)
    free(c->long_words[i]);
  free(c->long_words);
  for (size_t i = 0; i < c->n_early; i++) {
    free(c->early[i].name);
    free(c->early[i].value);
  }
  free(c->early);
  for (int s = 0; s < SEC_COUNT; s++)
    adeis_param_set_clear(&c->sets[s]);
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
  int rc = spec->path && init_sets(&c, spec->path) == ADEIS_OK ? parse_file(&c) : ADEIS_ENOMEM;
  if (rc == ADEIS_ENOMEM && !c.ini.has_error)
    adeis_ini_fail(&c.ini, 0, "file", "out of memory");
  fclose(f);
  ctx_clear(&c);
  if (rc) {
    adeis_set_error("%s", c.ini.msg);
    adeis_problem_spec_clear(spec);
  }
  return rc;
}

/* ---- building at a precision ---- */

/* x_T ~ N(0, I): doubles from mt19937 seeded with seed, exact at every precision. */
static int draw_x_T(adeis_vec **out, const adeis_backend *be, size_t dim, unsigned long seed)
{
  *out = adeis_vec_alloc(be, dim);
  gsl_rng *r = *out ? gsl_rng_alloc(gsl_rng_mt19937) : NULL;
  if (!r) {
    adeis_set_error("out of memory drawing start.x_T");
    return ADEIS_ENOMEM;
  }
  gsl_rng_set(r, seed);
  double buf[512];
  for (size_t off = 0; off < dim; off += 512) {
    size_t m = dim - off < 512 ? dim - off : 512;
    for (size_t i = 0; i < m; i++)
      buf[i] = gsl_ran_gaussian(r, 1.0);
    adeis_vec_import_d(*out, off, buf, m);
  }
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
  int line = spec->t_end_line ? spec->t_end_line : spec->T_line ? spec->T_line
                                                                : spec->schedule_line;
  adeis_set_error("%s:%d: schedule.%s: t_end and T round to t_end >= T at precision %ld",
                  spec->path, line, spec->t_end_line || !spec->T_line ? "t_end" : "T", prec);
  return ADEIS_EINPUT;
}

static int build_start(const adeis_problem_spec *spec, adeis_problem *pb)
{
  int rc = spec->has_x_T_seed
             ? draw_x_T(&pb->x_T, &pb->be, spec->dim, spec->x_T_seed)
             : adeis_numlist_vec(&pb->x_T, &spec->x_T, &pb->be, spec->path, "start.x_T");
  if (!rc)
    rc = adeis_numlist_vec(&pb->target, &spec->target, &pb->be, spec->path, "loss.target");
  return rc;
}

int adeis_problem_build(const adeis_problem_spec *spec, long prec, adeis_problem *pb)
{
  return adeis_problem_build_on(spec, NULL, prec, pb);
}

int adeis_problem_build_on(const adeis_problem_spec *spec, const char *backend, long prec,
                           adeis_problem *pb)
{
  memset(pb, 0, sizeof *pb);
  if (!spec->schedule || !spec->dim || !spec->type) {
    adeis_set_error("problem_build: the problem spec is not loaded");
    return ADEIS_EINPUT;
  }
  int rc = backend ? adeis_backend_init_named(&pb->be, backend, prec)
                   : adeis_backend_init(&pb->be, prec);
  if (rc)
    return rc;
  prec = pb->be.prec;
  pb->noise_seed = spec->noise_seed;
  pb->loss = spec->loss;
  adeis_schedule_init(&pb->sched, spec->schedule, adeis_backend_scalar_prec(&pb->be));
  rc = set_times(spec, &pb->sched, prec);
  if (!rc)
    rc = spec->type->build(&pb->model, &pb->be, &spec->model);
  if (!rc && pb->model.be != &pb->be) {
    adeis_set_error("problem_build: model type %s built at another backend", spec->type->name);
    rc = ADEIS_EINPUT;
  }
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
  adeis_model_clear(&pb->model);
  if (pb->sched.type)
    adeis_schedule_clear(&pb->sched);
  memset(pb, 0, sizeof *pb);
}

void adeis_problem_loss_grad(const adeis_problem *pb, adeis_vec *G, const adeis_vec *x0)
{
  const adeis_loss_type *loss = pb->loss ? pb->loss : &adeis_loss_quadratic;
  loss->grad(G, x0, pb->target);
}

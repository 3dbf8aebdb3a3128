/* The keys of one problem-file section and their values as read (docs/problem-files.md).
 *
 * A model type (core/model_type.h) declares the [problem] keys it accepts as a table of
 * adeis_key; the problem-file parser (runs/problem.c) reads the values of the kind each key
 * declares into an adeis_param_set, then hands the set to the type's check and build, which
 * use the helpers here for their messages ("FILE:LINE: section.key: what") and to turn number
 * lists into vectors at a working precision. Numbers are kept as the text of the file (so
 * `0.1` is correctly rounded at any precision) or, for `@FILE` lists, as the doubles read. */
#ifndef ADEIS_PARAMS_H
#define ADEIS_PARAMS_H

#include "backend.h"
#include "inifile.h"

#include <stddef.h>

#define ADEIS_PROBLEM_MAX_DIM 100000000UL

typedef enum adeis_key_kind {
  ADEIS_KEY_WORD,    /* one word */
  ADEIS_KEY_COUNT,   /* an integer in min..ADEIS_PROBLEM_MAX_DIM */
  ADEIS_KEY_SEED,    /* an integer in 0..ULONG_MAX */
  ADEIS_KEY_NUMBER,  /* one positive decimal number */
  ADEIS_KEY_LIST,    /* decimal numbers, on continued lines, or @FILE (.f64 or .npy) */
  ADEIS_KEY_PATH     /* a file name, relative to the problem file */
} adeis_key_kind;

typedef struct adeis_key {
  const char *name;
  adeis_key_kind kind;
  unsigned long min;       /* COUNT: the smallest value */
  const char *positive;    /* LIST: every number must be > 0, called this ("a positive variance") */
} adeis_key;

/* A list of numbers as given in the file. */
typedef struct adeis_numlist {
  size_t n;
  char **text;       /* n decimal strings, or NULL when the list came from a file */
  double *data;      /* n values read from `@FILE`, or NULL */
  int line;          /* line of the key, 0 when absent */
} adeis_numlist;

/* The value of one key. */
typedef struct adeis_param {
  int line;                /* line of the key, 0 when absent */
  unsigned long u;         /* COUNT, SEED */
  char *word;              /* WORD, NUMBER (its text), PATH (resolved against the problem file) */
  adeis_numlist list;      /* LIST */
} adeis_param;

/* The values of one section's keys. */
typedef struct adeis_param_set {
  const char *path;        /* the problem file, for messages */
  const char *section;     /* "problem" */
  const adeis_key *keys;
  size_t n_keys;
  adeis_param *v;          /* n_keys values, in the order of keys */
  int missing_line;        /* where a missing key is reported (the section's line) */
  adeis_ini_reader *ini;   /* the reader errors go to while checking; NULL once loaded */
} adeis_param_set;

/* Allocates the values (all absent). Returns 0 or ADEIS_ENOMEM. */
int adeis_param_set_init(adeis_param_set *ps, const char *path, const char *section,
                         const adeis_key *keys, size_t n_keys);
void adeis_param_set_clear(adeis_param_set *ps);
void adeis_numlist_clear(adeis_numlist *nl);

/* Index of the key called name, -1 for none. */
int adeis_param_index(const adeis_param_set *ps, const char *name);
/* The value of key name (NULL for an unknown name). */
const adeis_param *adeis_param_get(const adeis_param_set *ps, const char *name);

/* ---- numbers ---- */

/* 0 when text is one decimal number ([+-]digits[.digits][e[+-]digits], or with the digits
 * after the point only) whose value is finite and, unless every digit is 0, nonzero in MPFR's
 * exponent range, parsed into r (rounded to nearest at r's precision). -1 for anything else
 * ('1@2', '0x10', 'inf'); -2 for a number outside the exponent range ('1e-999999999999'). */
int adeis_parse_decimal(mpfr_ptr r, const char *text);

/* ---- checks once every key is read: errors go to ps->ini (the first one is kept) ---- */

/* "section.key" of key k into buf (n bytes); returns buf. */
const char *adeis_param_label(const adeis_param_set *ps, size_t k, char *buf, size_t n);
void adeis_param_fail(adeis_param_set *ps, int line, size_t k, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
/* 0 when key k is given, else reports "missing; expected EXPECTED" and returns -1. */
int adeis_param_require(adeis_param_set *ps, size_t k, const char *expected);
/* Reports a list k of other than n numbers. */
void adeis_param_check_length(adeis_param_set *ps, size_t k, size_t n);
/* require (expecting "N what") then check_length. */
void adeis_param_check_list(adeis_param_set *ps, size_t k, size_t n, const char *what);
/* Reports key k when it is given: WHY. */
void adeis_param_forbid(adeis_param_set *ps, size_t k, const char *why);

/* ---- building at a working precision (errors through adeis_set_error) ---- */

/* Number i of list nl (of key label) into r, at r's precision; ADEIS_EINPUT when the
 * backend is double and the number is outside its range. */
int adeis_numlist_get(mpfr_ptr r, const adeis_numlist *nl, size_t i, const adeis_backend *be,
                      const char *path, const char *label);

/* A list as MPFR numbers at the backend's precision (p: the same as const pointers). */
typedef struct adeis_numbers {
  size_t n;
  mpfr_t *v;
  mpfr_srcptr *p;
} adeis_numbers;

int adeis_param_numbers(adeis_numbers *a, const adeis_param_set *ps, size_t k,
                        const adeis_backend *be);
void adeis_numbers_clear(adeis_numbers *a);
/* A new vector holding list k. Returns 0, ADEIS_EINPUT or ADEIS_ENOMEM. */
int adeis_param_vec(adeis_vec **out, const adeis_param_set *ps, size_t k, const adeis_backend *be);
/* The same for a list that is not in a set (label: "section.key"). */
int adeis_numlist_vec(adeis_vec **out, const adeis_numlist *nl, const adeis_backend *be,
                      const char *path, const char *label);
/* A new vector of n numbers of list nl: numbers off, off + stride, ..., off + (n-1) stride
 * (a column of a row-major matrix, a block of a longer list), which must exist. Numbers read
 * from `@FILE` go in by bulk import_d (exact at 53 bits and more; rounded once to float or a
 * lower MPFR precision); decimal text is parsed at the backend's precision, rounded once.
 * Returns 0, ADEIS_EINPUT (a number outside double's range on a double backend) or
 * ADEIS_ENOMEM; *out is then freed by the caller. */
int adeis_numlist_slice_vec(adeis_vec **out, const adeis_numlist *nl, size_t off, size_t stride,
                            size_t n, const adeis_backend *be, const char *path, const char *label);

#endif

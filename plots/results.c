/* errors.csv and orders.csv -> rows. Plain CSV as the study runner writes it: no
 * quoting, fields separated by ',', one row per line; blank lines are skipped. */
#include "report.h"

#include "../core/status.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const errors_cols[] = {"problem",   "method", "grid",  "state",
                                          "precision", "sde",    "steps", "quantity",
                                          "rel_error", "nfe",    "nvjp",  "seconds"};
static const char *const orders_cols[] = {"problem", "method",   "grid",     "state",   "precision",
                                          "sde",     "quantity", "expected", "fitted",  "stderr",
                                          "status",  "used",     "pairwise", "excluded"};
#define N_ERRORS_COLS (sizeof errors_cols / sizeof *errors_cols)
#define N_ORDERS_COLS (sizeof orders_cols / sizeof *orders_cols)

static const char *const quantity_names[ADEIS_REPORT_N_QUANTITIES] = {"x_T", "z", "theta"};

const char *adeis_report_quantity_name(adeis_report_quantity q)
{
  return (unsigned)q < ADEIS_REPORT_N_QUANTITIES ? quantity_names[q] : "?";
}

/* One line split into fields (pointing into the file's text). */
typedef struct csv_line {
  char **field;
  size_t n;
  long line;
} csv_line;

/* The file being parsed: its path, the column names and the line at hand. */
typedef struct csv_ctx {
  const char *path;
  const char *const *cols;
  size_t n_cols;
  const csv_line *ln;
} csv_ctx;

static int bad(const csv_ctx *c, size_t col, const char *expected)
{
  adeis_set_error("%s:%ld: %s: expected %s, found '%s'", c->path, c->ln->line, c->cols[col],
                  expected, c->ln->field[col]);
  return ADEIS_EINPUT;
}

static char *read_text(const char *path, int *status)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    adeis_set_error("%s: cannot open: %s", path, strerror(errno));
    *status = ADEIS_EINPUT;
    return NULL;
  }
  size_t len = 0, cap = 4096;
  char *text = malloc(cap);
  for (size_t got = 1; text && got > 0;) {
    if (cap - len < 2) {
      char *t = cap > SIZE_MAX / 2 ? NULL : realloc(text, cap * 2);
      if (!t) {
        free(text);
        text = NULL;
        break;
      }
      text = t;
      cap *= 2;
    }
    got = fread(text + len, 1, cap - len - 1, f);
    len += got;
  }
  int err = ferror(f);
  fclose(f);
  if (!text || err) {
    free(text);
    adeis_set_error("%s: %s", path, err ? "read error" : "out of memory");
    *status = err ? ADEIS_EINPUT : ADEIS_ENOMEM;
    return NULL;
  }
  text[len] = '\0';
  if (strlen(text) != len) {
    free(text);
    adeis_set_error("%s: a NUL byte: expected a text file", path);
    *status = ADEIS_EINPUT;
    return NULL;
  }
  return text;
}

/* Split s at every sep (in place); returns the number of parts, fills parts when non-NULL. */
static size_t split(char *s, char sep, char **parts)
{
  size_t n = 1;
  if (parts)
    parts[0] = s;
  for (char *p = s; *p; p++)
    if (*p == sep) {
      if (parts) {
        *p = '\0';
        parts[n] = p + 1;
      }
      n++;
    }
  return n;
}

static int split_line(csv_line *ln, char *s, long line)
{
  size_t len = strlen(s);
  if (len > 0 && s[len - 1] == '\r')
    s[len - 1] = '\0';
  ln->line = line;
  ln->n = split(s, ',', NULL);
  ln->field = malloc(ln->n * sizeof *ln->field);
  if (!ln->field)
    return ADEIS_ENOMEM;
  split(s, ',', ln->field);
  return 0;
}

static void free_lines(csv_line *lines, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(lines[i].field);
  free(lines);
}

/* Split text into non-blank lines of fields; *n_lines includes the header. */
static int split_lines(char *text, csv_line **out, size_t *n_out)
{
  size_t n = split(text, '\n', NULL);
  char **raw = malloc(n * sizeof *raw);
  csv_line *lines = calloc(n, sizeof *lines);
  int st = raw && lines ? 0 : ADEIS_ENOMEM;
  size_t k = 0;
  if (!st) {
    split(text, '\n', raw);
    for (size_t i = 0; i < n && !st; i++)
      if (raw[i][0] != '\0' && strcmp(raw[i], "\r") != 0)
        st = split_line(&lines[k++], raw[i], (long)i + 1);
  }
  free(raw);
  if (st) {
    free_lines(lines, k);
    adeis_set_error("out of memory");
    return st;
  }
  *out = lines;
  *n_out = k;
  return 0;
}

static int check_header(const csv_ctx *c)
{
  const csv_line *h = c->ln;
  for (size_t j = 0; j < c->n_cols; j++)
    if (j >= h->n || strcmp(h->field[j], c->cols[j]) != 0) {
      adeis_set_error("%s:%ld: %s: expected header column %zu '%s', found '%s'", c->path, h->line,
                      c->cols[j], j + 1, c->cols[j], j < h->n ? h->field[j] : "");
      return ADEIS_EINPUT;
    }
  if (h->n > c->n_cols) {
    adeis_set_error("%s:%ld: %s: expected the last header column, found '%s' after it", c->path,
                    h->line, c->cols[c->n_cols - 1], h->field[c->n_cols]);
    return ADEIS_EINPUT;
  }
  return 0;
}

static int check_width(const csv_ctx *c)
{
  size_t n = c->ln->n, want = c->n_cols;
  if (n == want)
    return 0;
  size_t col = n < want ? n : want - 1;
  adeis_set_error("%s:%ld: %s: expected %zu columns, found %zu (%s)", c->path, c->ln->line,
                  c->cols[col], want, n, n < want ? "column missing" : "extra column");
  return ADEIS_EINPUT;
}

/* ---- field parsers ---- */

static int parse_long(const char *s, long min, long *out)
{
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end || errno || v < min || isspace((unsigned char)s[0]) || s[0] == '+')
    return -1;
  *out = v;
  return 0;
}

/* Any strtod number (nan and inf included) filling the whole field. */
static int parse_double(const char *s, double *out)
{
  char *end;
  if (!s[0] || isspace((unsigned char)s[0]))
    return -1;
  double v = strtod(s, &end);
  if (*end)
    return -1;
  *out = v;
  return 0;
}

static int field_long(const csv_ctx *c, size_t col, long min, const char *what, long *out)
{
  return parse_long(c->ln->field[col], min, out) ? bad(c, col, what) : 0;
}

static int field_text(const csv_ctx *c, size_t col, const char **out)
{
  if (!c->ln->field[col][0])
    return bad(c, col, "a name");
  *out = c->ln->field[col];
  return 0;
}

static int field_quantity(const csv_ctx *c, size_t col, adeis_report_quantity *q)
{
  for (int i = 0; i < ADEIS_REPORT_N_QUANTITIES; i++)
    if (strcmp(c->ln->field[col], quantity_names[i]) == 0) {
      *q = (adeis_report_quantity)i;
      return 0;
    }
  return bad(c, col, "x_T, z or theta");
}

/* problem, method, grid, state, precision, sde: the first six columns of both files. */
static int field_key(const csv_ctx *c, adeis_report_key *k)
{
  long sde = 0;
  int st = field_text(c, 0, &k->problem);
  st = st ? st : field_text(c, 1, &k->method);
  st = st ? st : field_text(c, 2, &k->grid);
  st = st ? st : field_text(c, 3, &k->state);
  st = st ? st : field_long(c, 4, 2, "a precision in bits (an integer >= 2)", &k->precision);
  st = st ? st : (parse_long(c->ln->field[5], 0, &sde) || sde > 1 ? bad(c, 5, "0 or 1") : 0);
  k->sde = (int)sde;
  return st;
}

/* ---- errors.csv ---- */

static int parse_error_row(const csv_ctx *c, adeis_report_error_row *row)
{
  char **f = c->ln->field;
  row->line = c->ln->line;
  int st = field_key(c, &row->key);
  st = st ? st : field_long(c, 6, 1, "a step count (an integer >= 1)", &row->steps);
  st = st ? st : field_quantity(c, 7, &row->quantity);
  if (!st && (parse_double(f[8], &row->rel_error) || row->rel_error < 0))
    st = bad(c, 8, "a relative error (a number >= 0 or nan)");
  st = st ? st : field_long(c, 9, 0, "a count of evaluations (an integer >= 0)", &row->nfe);
  st = st ? st : field_long(c, 10, 0, "a count of VJPs (an integer >= 0)", &row->nvjp);
  if (!st && (parse_double(f[11], &row->seconds) || !(row->seconds >= 0) || isinf(row->seconds)))
    st = bad(c, 11, "seconds (a finite number >= 0)");
  return st;
}

/* ---- orders.csv ---- */

static int bad_item(const csv_ctx *c, size_t col, const char *expected, const char *item)
{
  adeis_set_error("%s:%ld: %s: expected %s, found '%s'", c->path, c->ln->line, c->cols[col],
                  expected, item);
  return ADEIS_EINPUT;
}

/* Cut the ';'-separated list at *s: returns the first item and moves *s past it
 * (to NULL after the last). */
static char *next_item(char **s)
{
  char *item = *s, *end = strchr(item, ';');
  if (end)
    *end = '\0';
  *s = end ? end + 1 : NULL;
  return item;
}

static int parse_used(const csv_ctx *c, adeis_report_order_row *row)
{
  static const char what[] = "step counts separated by ';' (\"512;1024\")";
  char *s = c->ln->field[11];
  if (!s[0])
    return 0;
  row->used = malloc(split(s, ';', NULL) * sizeof *row->used);
  if (!row->used)
    return ADEIS_ENOMEM;
  while (s) {
    char *item = next_item(&s);
    if (parse_long(item, 1, &row->used[row->n_used]))
      return bad_item(c, 11, what, item);
    row->n_used++;
  }
  return 0;
}

/* "N:VALUE;N:VALUE": cuts the field into n (N, value-text) parts; vals[i] points at VALUE. */
static int split_pairs(const csv_ctx *c, size_t col, const char *what, long **ns, char ***vals,
                       size_t *n_out)
{
  char *s = c->ln->field[col];
  *n_out = 0;
  if (!s[0])
    return 0;
  size_t n = split(s, ';', NULL);
  *ns = malloc(n * sizeof **ns);
  *vals = malloc(n * sizeof **vals);
  if (!*ns || !*vals)
    return ADEIS_ENOMEM;
  for (size_t i = 0; s; i++) {
    char *item = next_item(&s), *colon = strchr(item, ':');
    if (!colon || !colon[1])
      return bad_item(c, col, what, item);
    *colon = '\0';
    int st = parse_long(item, 1, &(*ns)[i]);
    *colon = ':';
    if (st)
      return bad_item(c, col, what, item);
    (*vals)[i] = colon + 1;
    *n_out = i + 1;
  }
  return 0;
}

static int parse_pairwise(const csv_ctx *c, adeis_report_order_row *row)
{
  static const char what[] = "N:order pairs separated by ';' (\"256:1.021;512:1.004\")";
  long *ns = NULL;
  char **vals = NULL;
  size_t n = 0;
  int st = split_pairs(c, 12, what, &ns, &vals, &n);
  if (!st && n) {
    row->pairwise = malloc(n * sizeof *row->pairwise);
    st = row->pairwise ? 0 : ADEIS_ENOMEM;
  }
  for (size_t i = 0; i < n && !st; i++) {
    row->pairwise[i].n = ns[i];
    if (parse_double(vals[i], &row->pairwise[i].order))
      st = bad_item(c, 12, what, vals[i]);
    row->n_pairwise = i + 1;
  }
  free(ns);
  free(vals);
  return st;
}

static int parse_excluded(const csv_ctx *c, adeis_report_order_row *row)
{
  static const char what[] = "N:reason pairs separated by ';' (\"8:pre-asymptotic;16:floor\")";
  long *ns = NULL;
  char **vals = NULL;
  size_t n = 0;
  int st = split_pairs(c, 13, what, &ns, &vals, &n);
  if (!st && n) {
    row->excluded = malloc(n * sizeof *row->excluded);
    st = row->excluded ? 0 : ADEIS_ENOMEM;
  }
  for (size_t i = 0; i < n && !st; i++) {
    row->excluded[i] = (adeis_report_excluded){ns[i], vals[i]};
    row->n_excluded = i + 1;
  }
  free(ns);
  free(vals);
  return st;
}

static int parse_order_row(const csv_ctx *c, adeis_report_order_row *row)
{
  char **f = c->ln->field;
  row->line = c->ln->line;
  int st = field_key(c, &row->key);
  st = st ? st : field_quantity(c, 6, &row->quantity);
  if (!st && (parse_double(f[7], &row->expected) || !isfinite(row->expected)))
    st = bad(c, 7, "an expected order (a finite number)");
  if (!st && parse_double(f[8], &row->fitted))
    st = bad(c, 8, "a fitted order (a number or nan)");
  if (!st && parse_double(f[9], &row->se))
    st = bad(c, 9, "a standard error (a number or nan)");
  if (!st && strcmp(f[10], "ok") != 0 && strcmp(f[10], "FAIL") != 0)
    st = bad(c, 10, "ok or FAIL");
  row->ok = !st && strcmp(f[10], "ok") == 0;
  /* the list parsers cut their fields, so they come last */
  st = st ? st : parse_pairwise(c, row);
  st = st ? st : parse_excluded(c, row);
  st = st ? st : parse_used(c, row);
  if (st == ADEIS_ENOMEM)
    adeis_set_error("out of memory");
  return st;
}

/* ---- files ---- */

typedef int (*row_parser)(const csv_ctx *c, void *row);

static int parse_error_any(const csv_ctx *c, void *row) { return parse_error_row(c, row); }
static int parse_order_any(const csv_ctx *c, void *row) { return parse_order_row(c, row); }

/* Read path into *rows (n_rows of size bytes each, zeroed first); *text keeps the strings. */
static int read_csv(const char *path, const char *const *cols, size_t n_cols, row_parser parse,
                    size_t size, int need_rows, void **rows, size_t *n_rows, char **text)
{
  int st = 0;
  csv_line *lines = NULL;
  size_t n = 0;
  *text = read_text(path, &st);
  if (!st)
    st = split_lines(*text, &lines, &n);
  csv_ctx c = {path, cols, n_cols, lines};
  if (!st && n == 0) {
    adeis_set_error("%s:1: %s: expected the header line, found an empty file", path, cols[0]);
    st = ADEIS_EINPUT;
  }
  st = st ? st : check_header(&c);
  if (!st && n == 1 && need_rows) {
    adeis_set_error("%s:%ld: %s: expected a data row, found the end of the file", path,
                    lines[0].line + 1, cols[0]);
    st = ADEIS_EINPUT;
  }
  if (!st && !(*rows = calloc(n > 1 ? n - 1 : 1, size))) {
    adeis_set_error("out of memory");
    st = ADEIS_ENOMEM;
  }
  for (size_t i = 1; i < n && !st; i++) {
    c.ln = &lines[i];
    st = check_width(&c);
    st = st ? st : parse(&c, (char *)*rows + (i - 1) * size);
    *n_rows = i;
  }
  free_lines(lines, n);
  return st;
}

int adeis_report_read(adeis_report_results *r, const char *errors_csv, const char *orders_csv)
{
  memset(r, 0, sizeof *r);
  r->errors_path = strdup(errors_csv);
  r->orders_path = strdup(orders_csv);
  if (!r->errors_path || !r->orders_path) {
    adeis_set_error("out of memory");
    return ADEIS_ENOMEM;
  }
  void *rows = NULL;
  int st = read_csv(errors_csv, errors_cols, N_ERRORS_COLS, parse_error_any, sizeof *r->errors, 1,
                    &rows, &r->n_errors, &r->text[0]);
  r->errors = rows;
  if (st)
    return st;
  rows = NULL;
  st = read_csv(orders_csv, orders_cols, N_ORDERS_COLS, parse_order_any, sizeof *r->orders, 0,
                &rows, &r->n_orders, &r->text[1]);
  r->orders = rows;
  return st;
}

void adeis_report_results_free(adeis_report_results *r)
{
  for (size_t i = 0; i < r->n_orders; i++) {
    free(r->orders[i].used);
    free(r->orders[i].pairwise);
    free(r->orders[i].excluded);
  }
  free(r->errors);
  free(r->orders);
  free(r->errors_path);
  free(r->orders_path);
  free(r->text[0]);
  free(r->text[1]);
  memset(r, 0, sizeof *r);
}

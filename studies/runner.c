/* The study runner (runner.h): folder, resume, parallel sweep, errors.csv, orders.csv. */
#include "runner.h"
#include "../core/status.h"
#include "../plots/report.h"
#include "files.h"
#include "points.h"
#include "truth.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct run_ctx {
  const adeis_study *s;
  const adeis_run_opts *o;
  char *dir, *points_dir;
  size_t n;                   /* points */
  char **text;                /* per point: its file's text */
  const char **rows;          /* per point: its rows, inside text */
  double *err;                /* n x n_quantities relative errors (truth: the solver's) */
  double *total;              /* truth studies: n x n_quantities total errors */
  adeis_truth_data truth;     /* truth studies: the two converged gradients */
  char *truth_input;          /* truth studies: the truth file's bytes */
  size_t truth_len;
  char **input;               /* per problem: the file's bytes */
  size_t *input_len;
  uint64_t *hash;
  char *study_text;           /* the study file's bytes */
  size_t study_len;
  size_t n_shards;            /* o->n_shards; collecting without it, the folder's mark */
  size_t *shard_of;           /* with n_shards: per point, its shard */
  int lock_fd;                /* holds the folder's lock; -1 = none */
  /* progress */
  int progress;
  double t0;
  size_t n_ours, n_done, n_pending, n_computed;
  /* the first failure */
  int fail_rc;
  size_t fail_index;
  char fail_msg[ADEIS_ERRMSG_MAX];
} run_ctx;

void adeis_run_opts_init(adeis_run_opts *o)
{
  memset(o, 0, sizeof *o);
  o->render = 1;
}

static double now_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int io_error(const char *what, const char *path)
{
  adeis_set_error("%s: %s (%s)", path, what, strerror(errno));
  return errno == ENOMEM ? ADEIS_ENOMEM : ADEIS_EINPUT;
}

/* ---- setup ---- */

static int read_inputs(run_ctx *c)
{
  const adeis_study *s = c->s;
  c->input = calloc(s->n_problems, sizeof *c->input);
  c->input_len = calloc(s->n_problems, sizeof *c->input_len);
  c->hash = calloc(s->n_problems, sizeof *c->hash);
  if (!c->input || !c->input_len || !c->hash)
    return ADEIS_ENOMEM;
  for (size_t i = 0; i < s->n_problems; i++) {
    if (adeis_file_read(s->problems[i].path, &c->input[i], &c->input_len[i]))
      return io_error("cannot read the problem file", s->problems[i].path);
    c->hash[i] = adeis_fnv1a64(c->input[i], c->input_len[i]);
    /* the files it names (vectors, a network's weights): other weights, other points */
    uint64_t named[2] = {c->hash[i], ~c->hash[i]};
    if (adeis_problem_named_files_hash(&s->problems[i].spec, c->input[i], named))
      return io_error("cannot read a file the problem file names", s->problems[i].path);
    if (named[0] != c->hash[i])
      c->hash[i] ^= (named[0] << 7 | named[0] >> 57) ^ named[1];
  }
  if (s->truth) { /* a point's errors depend on both files: the stamp fingerprints both */
    if (adeis_file_read(s->truth->path, &c->truth_input, &c->truth_len))
      return io_error("cannot read the truth's problem file", s->truth->path);
    uint64_t h = adeis_fnv1a64(c->truth_input, c->truth_len);
    c->hash[0] ^= (h << 1 | h >> 63) * 0x9E3779B97F4A7C15ULL;
  }
  /* the study's bytes as the loader read them (a pipe is read once) */
  c->study_len = s->text_len;
  if (!(c->study_text = malloc(s->text_len + 1)))
    return ADEIS_ENOMEM;
  memcpy(c->study_text, s->text, s->text_len);
  c->study_text[s->text_len] = '\0';
  return ADEIS_OK;
}

/* Line `line` (1-based) of text, at most n - 1 characters of it, into buf. */
static void text_line(const char *text, size_t len, size_t line, char *buf, size_t n)
{
  const char *p = text, *end = text + len;
  for (size_t k = 1; k < line && p < end; k++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    p = nl ? nl + 1 : end;
  }
  const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
  size_t l = (size_t)((nl ? nl : end) - p);
  if (p >= end)
    snprintf(buf, n, "(end of file)");
  else
    snprintf(buf, n, "'%.*s%s'", (int)(l < 60 ? l : 60), p, l > 60 ? "..." : "");
  for (char *q = buf; *q; q++) /* no raw control characters on the terminal */
    if ((unsigned char)*q < 0x20 || *q == 0x7f)
      *q = '?';
}

/* A shard run (shared lock, computes its points only), not a whole run or a collect. */
static int is_shard_run(const adeis_run_opts *o) { return o->n_shards > 0 && !o->collect; }

/* The first line where a and b differ (1-based). */
static size_t first_difference(const char *a, size_t la, const char *b, size_t lb)
{
  size_t line = 1;
  for (size_t k = 0; k < la && k < lb && a[k] == b[k]; k++)
    line += a[k] == '\n';
  return line;
}

/* The folder holds this study: claim it with study.ini when it has none, else compare. */
static int claim_dir(run_ctx *c)
{
  int rc = adeis_file_create_once(c->dir, "study.ini", c->study_text, c->study_len);
  if (rc < 0)
    return io_error("cannot write", c->dir);
  if (rc == 0)
    return ADEIS_OK;
  char *path = adeis_path_join(c->dir, "study.ini"), *old;
  size_t len;
  if (!path)
    return ADEIS_ENOMEM;
  if (adeis_file_read(path, &old, &len)) {
    rc = io_error("cannot read", path);
    free(path);
    return rc;
  }
  rc = ADEIS_OK;
  int differs = len != c->study_len || memcmp(old, c->study_text, len) != 0;
  if (differs && !c->o->force) {
    size_t line = first_difference(old, len, c->study_text, c->study_len);
    char was[80], is[80];
    text_line(old, len, line, was, sizeof was);
    text_line(c->study_text, c->study_len, line, is, sizeof is);
    adeis_set_error("%s: the folder holds the results of another study file: its study.ini "
                    "differs from %s at line %zu (%s there, %s here); choose another -o DIR, "
                    "or give --force to replace them", path, c->s->path, line, was, is);
    rc = ADEIS_EINPUT;
  } else if (differs) {
    if (adeis_file_write_atomic(c->dir, "study.ini", c->study_text, c->study_len))
      rc = io_error("cannot write", path);
  }
  free(old);
  free(path);
  return rc;
}

static int lock_dir(run_ctx *c)
{
  c->lock_fd = adeis_dir_lock(c->dir, is_shard_run(c->o));
  if (c->lock_fd >= 0)
    return ADEIS_OK;
  if (errno == EWOULDBLOCK) {
    adeis_set_error("%s: the folder is in use by another adeis run (it holds the lock on "
                    "%s/%s); wait for it to end, or choose another -o DIR", c->dir, c->dir,
                    ADEIS_LOCK_NAME);
    return ADEIS_EINPUT;
  }
  return io_error("cannot lock the output folder", c->dir);
}

static int prepare_dir(run_ctx *c)
{
  if (c->o->dir)
    c->dir = strdup(c->o->dir);
  else if ((c->dir = malloc(strlen(c->s->name) + sizeof "results/")))
    sprintf(c->dir, "results/%s", c->s->name);
  if (!c->dir || !(c->points_dir = adeis_path_join(c->dir, "points")))
    return ADEIS_ENOMEM;
  if (!c->dir[0]) {
    adeis_set_error("-o: expected a folder name, got an empty one");
    return ADEIS_EINPUT;
  }
  if (adeis_mkdir_p(c->dir) || access(c->dir, W_OK | X_OK))
    return io_error("cannot create or write the output folder", c->dir);
  int rc = lock_dir(c);
  if (!rc)
    rc = claim_dir(c);
  if (rc)
    return rc;
  if (adeis_mkdir_p(c->points_dir) || access(c->points_dir, W_OK | X_OK))
    return io_error("cannot create or write the output folder", c->points_dir);
  if (is_shard_run(c->o) && adeis_shards_mark(c->dir, c->o->n_shards))
    return io_error("cannot write", c->dir);
  adeis_remove_stale_tmp(c->dir, !is_shard_run(c->o));
  adeis_remove_stale_tmp(c->points_dir, !is_shard_run(c->o));
  return ADEIS_OK;
}

static int alloc_points(run_ctx *c)
{
  c->n = adeis_points_count(c->s);
  c->text = calloc(c->n, sizeof *c->text);
  c->rows = calloc(c->n, sizeof *c->rows);
  c->err = calloc(c->n * c->s->n_quantities, sizeof *c->err);
  if (!c->text || !c->rows || !c->err)
    return ADEIS_ENOMEM;
  if (c->s->truth && !(c->total = calloc(c->n * c->s->n_quantities, sizeof *c->total)))
    return ADEIS_ENOMEM;
  if (!c->n_shards)
    return ADEIS_OK;
  if (!(c->shard_of = malloc(c->n * sizeof *c->shard_of)))
    return ADEIS_ENOMEM;
  return adeis_points_shard(c->s, c->n_shards, c->shard_of);
}

/* Whether this run computes (or, collecting, needs) point i. */
static int is_ours(const run_ctx *c, size_t i)
{
  return !c->shard_of || c->o->collect || c->shard_of[i] == c->o->shard;
}

/* Take text as point i's file if it is valid; frees it otherwise. Returns 1 when taken. */
static int adopt(run_ctx *c, size_t i, char *text)
{
  adeis_point p = adeis_point_at(c->s, i);
  char stamp[256];
  adeis_point_stamp(c->s, &p, c->hash[p.problem], stamp, sizeof stamp);
  if (adeis_point_parse(c->s, &p, stamp, text, &c->rows[i], &c->err[i * c->s->n_quantities],
                        c->total ? &c->total[i * c->s->n_quantities] : NULL)) {
    free(text);
    return 0;
  }
  c->text[i] = text;
  return 1;
}

/* Resume: reuse every valid point file (a stale or corrupt one is recomputed). */
static void load_finished(run_ctx *c)
{
  for (size_t i = 0; i < c->n && (!c->o->force || c->o->collect); i++) {
    if (!is_ours(c, i))
      continue;
    adeis_point p = adeis_point_at(c->s, i);
    char name[600], *path, *text;
    size_t len;
    adeis_point_file_name(c->s, &p, name, sizeof name);
    if (!(path = adeis_path_join(c->points_dir, name)))
      continue;
    if (adeis_file_read(path, &text, &len) == 0 && strlen(text) == len)
      adopt(c, i, text);
    else if (text)
      free(text);
    free(path);
  }
}

/* ---- one point ---- */

static void progress_line(run_ctx *c)
{
  double el = now_seconds() - c->t0;
  size_t computed = c->n_computed, left = c->n_ours - c->n_done;
  double eta = computed ? el / (double)computed * (double)left : 0;
  fprintf(stderr, "\r[%zu/%zu] elapsed %.0fs, eta %.0fs   ", c->n_done, c->n_ours, el, eta);
  fflush(stderr);
}

static void note_done(run_ctx *c)
{
#pragma omp critical(adeis_study_progress)
  {
    c->n_done++;
    c->n_computed++;
    if (c->progress)
      progress_line(c);
  }
}

static void note_failure(run_ctx *c, size_t i, int rc, const char *what)
{
  adeis_point p = adeis_point_at(c->s, i);
  char where[512];
  adeis_point_describe(c->s, &p, where, sizeof where);
#pragma omp critical(adeis_study_failure)
  if (!c->fail_rc || i < c->fail_index) {
    c->fail_rc = rc;
    c->fail_index = i;
    adeis_sbuf m = {0};
    adeis_sbuf_printf(&m, "%s: %s", where, what);
    /* a long path keeps the reason after it */
    adeis_abbreviate_middle(c->fail_msg, sizeof c->fail_msg, m.s ? m.s : "out of memory");
    adeis_sbuf_free(&m);
  }
}

/* Compute point i into its file text (stamp, header, rows). */
static int compute_text(run_ctx *c, const adeis_point *p, adeis_sbuf *b)
{
  const adeis_study *s = c->s;
  adeis_problem pb;
  int rc = adeis_problem_build_on(&s->problems[p->problem].spec, s->backend,
                                  s->precisions[p->precision], &pb);
  if (rc)
    return rc;
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);
  rq.method = s->methods[p->method].method->name;
  rq.steps = s->steps[p->steps];
  rq.grid = s->grids[p->grid];
  rq.state = adeis_study_state(s, p->method, p->state);
  rq.store = s->methods[p->method].store;
  rq.precision = s->precisions[p->precision];
  rq.backend = s->backend;
  rq.sde = s->sde;
  for (size_t i = 0; i < s->n_quantities; i++) /* only what the study measures is computed */
    rq.quantities |= 1u << s->quantities[i];
  rq.spec = &s->problems[p->problem].spec; /* references for quantities without exact values */
  if (s->truth) { /* measured against the converged gradients solved once (truth.h) */
    rq.want_reference = -1;
    rq.ref_max_steps = s->reference_steps;
  }
  adeis_grad_result res;
  rc = adeis_grad_compute(&pb, &rq, &res);
  if (!rc) {
    char stamp[256];
    adeis_point_stamp(s, p, c->hash[p->problem], stamp, sizeof stamp);
    adeis_sbuf_printf(b, "%s\n%s\n", stamp, ADEIS_ERRORS_HEADER);
    if (s->truth) {
      double solver[ADEIS_Q_COUNT], total[ADEIS_Q_COUNT];
      adeis_truth_errors(s, &c->truth, &res, solver, total);
      adeis_point_rows_truth(s, p, &res, solver, total, b);
    } else {
      adeis_point_rows(s, p, &res, b);
    }
    if (b->oom)
      rc = ADEIS_ENOMEM;
  }
  adeis_grad_result_clear(&res);
  adeis_problem_clear(&pb);
  return rc;
}

/* Returns 0, or nonzero after recording a failure. */
static int run_point(run_ctx *c, size_t i)
{
  adeis_point p = adeis_point_at(c->s, i);
  adeis_sbuf b = {0};
  int rc = compute_text(c, &p, &b);
  if (rc) {
    note_failure(c, i, rc == ADEIS_ENOMEM ? ADEIS_ENUMERIC : rc,
                 rc == ADEIS_ENOMEM ? "out of memory" : adeis_errmsg());
    adeis_sbuf_free(&b);
    return rc;
  }
  char name[600];
  adeis_point_file_name(c->s, &p, name, sizeof name);
  if (adeis_file_write_atomic(c->points_dir, name, b.s, b.len)) {
    adeis_sbuf msg = {0};
    adeis_sbuf_printf(&msg, "cannot write %s/%s (%s)", c->points_dir, name, strerror(errno));
    note_failure(c, i, ADEIS_EINPUT, msg.s ? msg.s : "cannot write a point (out of memory)");
    adeis_sbuf_free(&msg);
    adeis_sbuf_free(&b);
    return ADEIS_EINPUT;
  }
  if (!adopt(c, i, b.s)) {
    note_failure(c, i, ADEIS_ENUMERIC, "internal error: a point's rows did not read back");
    return ADEIS_ENUMERIC;
  }
  note_done(c);
  return 0;
}

typedef struct pending_point {
  size_t steps, index;
} pending_point;

/* Larger N first, so the long points do not end the sweep on one thread. */
static int cmp_cost(const void *a, const void *b)
{
  const pending_point *x = a, *y = b;
  if (x->steps != y->steps)
    return x->steps < y->steps ? 1 : -1;
  return (x->index > y->index) - (x->index < y->index);
}

static pending_point *pending_points(run_ctx *c, size_t *m)
{
  pending_point *pending = malloc((c->n + 1) * sizeof *pending);
  *m = 0;
  if (!pending)
    return NULL;
  for (size_t i = 0; i < c->n; i++)
    if (!c->text[i] && is_ours(c, i))
      pending[(*m)++] = (pending_point){c->s->steps[adeis_point_at(c->s, i).steps], i};
  qsort(pending, *m, sizeof *pending, cmp_cost);
  return pending;
}

static int sweep(run_ctx *c)
{
  size_t m;
  pending_point *pending = pending_points(c, &m);
  if (!pending)
    return ADEIS_ENOMEM;
  size_t ours = 0;
  for (size_t i = 0; i < c->n; i++)
    ours += is_ours(c, i);
  c->n_ours = ours;
  c->n_done = ours - m;
  c->n_pending = m;
  c->t0 = now_seconds();
  c->progress = !c->o->quiet && isatty(2) && m > 0;
  int threads = c->o->threads > 0 ? c->o->threads : omp_get_num_procs();
  int stop = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (size_t k = 0; k < m; k++) {
    int halt;
#pragma omp atomic read
    halt = stop;
    if (halt || run_point(c, pending[k].index) == 0)
      continue;
#pragma omp atomic write
    stop = 1;
  }
  free(pending);
  if (c->progress)
    fputc('\n', stderr);
  if (c->fail_rc) {
    adeis_set_error("%s", c->fail_msg);
    return c->fail_rc;
  }
  return ADEIS_OK;
}

/* ---- errors.csv and orders.csv ---- */

static int write_file(run_ctx *c, const char *name, adeis_sbuf *b)
{
  if (b->oom)
    return ADEIS_ENOMEM;
  if (adeis_file_write_atomic(c->dir, name, b->s ? b->s : "", b->len)) {
    char *path = adeis_path_join(c->dir, name);
    int rc = io_error("cannot write", path ? path : name);
    free(path);
    return rc;
  }
  return ADEIS_OK;
}

static int write_errors(run_ctx *c)
{
  adeis_sbuf b = {0};
  adeis_sbuf_printf(&b, "%s\n", ADEIS_ERRORS_HEADER);
  for (size_t i = 0; i < c->n; i++)
    adeis_sbuf_printf(&b, "%s", c->rows[i]);
  int rc = write_file(c, "errors.csv", &b);
  adeis_sbuf_free(&b);
  return rc;
}

/* Index of the first point of a series (steps index 0). */
static size_t series_first(const adeis_study *s, const adeis_order_row *r)
{
  size_t i = r->problem;
  i = i * s->n_methods + r->method;
  i = i * s->n_grids + r->grid;
  i = i * s->n_states + r->state;
  i = i * s->n_precisions + r->precision;
  return i * s->n_steps;
}

static int fit_row(run_ctx *c, adeis_order_row *r, size_t qi, double *N, double *e)
{
  const adeis_study *s = c->s;
  size_t first = series_first(s, r);
  for (size_t k = 0; k < s->n_steps; k++) {
    N[k] = (double)s->steps[k];
    e[k] = c->err[(first + k) * s->n_quantities + qi];
  }
  double ref_floor = s->truth ? c->truth.floor[r->quantity] : 0;
  int rc = s->truth ? ADEIS_OK
                    : adeis_grad_reference_floor(&s->problems[r->problem].spec, s->grids[r->grid],
                                                 s->precisions[r->precision], s->sde,
                                                 adeis_study_state(s, r->method, r->state),
                                                 r->quantity, &ref_floor);
  if (!rc)
    rc = adeis_order_estimate_ref(N, e, s->n_steps, s->precisions[r->precision], 1.0,
                                  ADEIS_ORDER_PRE_TOL, ref_floor, &r->fit);
  double expected, tol;
  adeis_order_row_expectation(s, r, &expected, &tol);
  r->ok = !rc && r->fit.used >= ADEIS_ORDER_MIN_POINTS && fabs(r->fit.fitted - expected) <= tol;
  return rc;
}

/* Rows in orders.csv order: problem, method, grid, state, precision, quantity. */
static int fit_orders(run_ctx *c, adeis_study_outcome *out)
{
  const adeis_study *s = c->s;
  size_t n = c->n / s->n_steps * s->n_quantities;
  double *N = malloc(s->n_steps * sizeof *N), *e = malloc(s->n_steps * sizeof *e);
  out->orders = calloc(n, sizeof *out->orders);
  int rc = N && e && out->orders ? ADEIS_OK : ADEIS_ENOMEM;
  for (size_t k = 0; k < n && !rc; k++) {
    size_t series = k / s->n_quantities, qi = k % s->n_quantities;
    adeis_point p = adeis_point_at(s, series * s->n_steps);
    adeis_order_row *r = &out->orders[k];
    *r = (adeis_order_row){.problem = p.problem, .method = p.method, .grid = p.grid,
                           .state = p.state, .precision = p.precision,
                           .quantity = s->quantities[qi]};
    out->n_orders = k + 1;
    rc = fit_row(c, r, qi, N, e);
  }
  free(N);
  free(e);
  return rc;
}

static void fmt_num(char *buf, size_t n, const char *fmt, double v)
{
  if (isnan(v))
    snprintf(buf, n, "nan");
  else
    snprintf(buf, n, fmt, v);
}

/* used, pairwise and excluded columns. */
static void order_lists(const adeis_study *s, const adeis_order_fit *f, adeis_sbuf *b)
{
  const char *sep = "";
  for (size_t k = 0; k < f->n; k++)
    if (f->mark[k] == ADEIS_ORDER_USED) {
      adeis_sbuf_printf(b, "%s%zu", sep, s->steps[k]);
      sep = ";";
    }
  adeis_sbuf_printf(b, ",");
  sep = "";
  for (size_t k = 0; k + 1 < f->n; k++)
    if (!isnan(f->local[k])) {
      adeis_sbuf_printf(b, "%s%zu:%.3f", sep, s->steps[k], f->local[k]);
      sep = ";";
    }
  adeis_sbuf_printf(b, ",");
  sep = "";
  for (size_t k = 0; k < f->n; k++)
    if (f->mark[k] != ADEIS_ORDER_USED) {
      adeis_sbuf_printf(b, "%s%zu:%s", sep, s->steps[k], adeis_order_mark_name(f->mark[k]));
      sep = ";";
    }
  adeis_sbuf_printf(b, "\n");
}

static void order_row(const adeis_study *s, const adeis_order_row *r, adeis_sbuf *b)
{
  char fitted[32], se[32];
  fmt_num(fitted, sizeof fitted, "%.4f", r->fit.fitted);
  fmt_num(se, sizeof se, "%.4f", r->fit.se);
  double expected, tol;
  adeis_order_row_expectation(s, r, &expected, &tol);
  adeis_sbuf_printf(b, "%s,%s,%s,%s,%ld,%d,%s,%g,%s,%s,%s,", s->problems[r->problem].name,
                    s->methods[r->method].label, adeis_grid_name(s->grids[r->grid]),
                    adeis_state_name(adeis_study_state(s, r->method, r->state)),
                    s->precisions[r->precision], s->sde,
                    adeis_quantity_names[r->quantity], expected, fitted, se,
                    r->ok ? "ok" : "FAIL");
  order_lists(s, &r->fit, b);
}

static int write_orders(run_ctx *c, const adeis_study_outcome *out)
{
  adeis_sbuf b = {0};
  adeis_sbuf_printf(&b, "%s\n", ADEIS_ORDERS_HEADER);
  for (size_t k = 0; k < out->n_orders; k++)
    order_row(c->s, &out->orders[k], &b);
  int rc = write_file(c, "orders.csv", &b);
  adeis_sbuf_free(&b);
  return rc;
}

/* The problem files, byte for byte (study.ini was written by claim_dir). */
static int copy_inputs(run_ctx *c)
{
  int rc = ADEIS_OK;
  for (size_t i = 0; i < c->s->n_problems && !rc; i++) {
    adeis_sbuf pb = {.s = c->input[i], .len = c->input_len[i]};
    rc = write_file(c, c->s->problems[i].file, &pb);
  }
  const adeis_study *s = c->s;
  if (!rc && s->truth && strcmp(s->truth->path, s->problems[0].path) != 0) {
    adeis_sbuf pb = {.s = c->truth_input, .len = c->truth_len};
    rc = write_file(c, s->truth->file, &pb);
  }
  return rc;
}

/* A truth study's split.csv, split.md and hlines.csv (truth.h). */
static int write_truth(run_ctx *c)
{
  const adeis_study *s = c->s;
  adeis_sbuf csv = {0}, md = {0}, lines = {0};
  adeis_truth_split_csv(s, &c->truth, c->err, c->total, &csv);
  adeis_truth_split_md(s, &c->truth, c->err, c->total, &md);
  adeis_truth_hlines(s, &c->truth, &lines);
  int rc = write_file(c, "split.csv", &csv);
  if (!rc)
    rc = write_file(c, "split.md", &md);
  if (!rc)
    rc = write_file(c, "hlines.csv", &lines);
  adeis_sbuf_free(&csv);
  adeis_sbuf_free(&md);
  adeis_sbuf_free(&lines);
  return rc;
}

/* ---- the whole run ---- */

static int assemble(run_ctx *c, adeis_study_outcome *out);

static void ctx_clear(run_ctx *c)
{
  for (size_t i = 0; c->text && i < c->n; i++)
    free(c->text[i]);
  for (size_t i = 0; c->input && i < c->s->n_problems; i++)
    free(c->input[i]);
  free(c->text);
  free(c->rows);
  free(c->err);
  free(c->total);
  free(c->truth_input);
  adeis_truth_clear(&c->truth);
  free(c->input);
  free(c->input_len);
  free(c->hash);
  free(c->study_text);
  free(c->shard_of);
  if (c->lock_fd >= 0)
    close(c->lock_fd);
  free(c->points_dir);
  free(c->dir);
}

/* Collect: every point must have its file; else say how many are missing and where. */
static int find_missing(run_ctx *c, adeis_study_outcome *out)
{
  out->n_points = c->n;
  out->reused = c->n;
  char *seen = c->shard_of ? calloc(c->n_shards, 1) : NULL;
  if (c->shard_of && !seen)
    return ADEIS_ENOMEM;
  for (size_t i = 0; i < c->n; i++) {
    if (c->text[i])
      continue;
    if (!out->n_missing++) {
      adeis_point p = adeis_point_at(c->s, i);
      adeis_point_describe(c->s, &p, out->first_missing, sizeof out->first_missing);
    }
    if (seen)
      seen[c->shard_of[i]] = 1;
  }
  out->reused -= out->n_missing;
  size_t k = 0;
  for (size_t j = 0; seen && j < c->n_shards; j++)
    k += seen[j];
  if (k && !(out->missing_shards = malloc(k * sizeof *out->missing_shards))) {
    free(seen);
    return ADEIS_ENOMEM;
  }
  for (size_t j = 0; seen && j < c->n_shards; j++)
    if (seen[j])
      out->missing_shards[out->n_missing_shards++] = j;
  free(seen);
  return out->n_missing ? ADEIS_OK : assemble(c, out);
}

/* The converged gradients of a truth study, before any point (their reference solves are
 * then in the disk cache for every later run). */
static int truth_solve(run_ctx *c)
{
  int rc = adeis_truth_solve(c->s, &c->truth);
  if (rc && rc != ADEIS_ENOMEM) {
    char msg[ADEIS_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "%s", adeis_errmsg());
    adeis_set_error("%s: the converged gradients of the problem and the truth: %s",
                    c->s->path, msg);
  }
  return rc;
}

/* The shard count: the one given; collecting without one, the count the folder's shard runs
 * marked when they all used the same (a point's shard is only defined with it). A count
 * larger than the study's points (a mark made by hand) names none. */
static void name_shards(run_ctx *c, adeis_study_outcome *out)
{
  c->n_shards = c->o->n_shards;
  if (c->o->collect && !c->n_shards) {
    size_t only = 0;
    out->n_shard_counts = adeis_shards_marked(c->dir, &only);
    if (out->n_shard_counts == 1 && only <= adeis_points_count(c->s))
      c->n_shards = only;
  }
  out->n_shards = c->n_shards;
}

static int run(run_ctx *c, adeis_study_outcome *out)
{
  /* a malformed SOURCE_DATE_EPOCH would stop the render after every point is computed */
  int rc = c->o->render && (!c->o->n_shards || c->o->collect) ? adeis_source_date_check() : 0;
  if (!rc)
    rc = read_inputs(c);
  if (!rc)
    rc = prepare_dir(c);
  if (!rc && !(out->dir = strdup(c->dir)))
    rc = ADEIS_ENOMEM;
  if (!rc)
    name_shards(c, out);
  if (!rc)
    rc = alloc_points(c);
  if (!rc && c->s->truth)
    rc = truth_solve(c);
  if (rc)
    return rc;
  load_finished(c);
  if (c->o->collect)
    return find_missing(c, out);
  rc = sweep(c);
  out->n_points = c->n_ours;
  out->computed = c->n_computed;
  out->reused = c->n_ours - c->n_pending;
  if (!rc && c->o->n_shards)
    return ADEIS_OK; /* a shard writes its points only */
  return rc ? rc : assemble(c, out);
}

/* errors.csv, orders.csv, the problem files, tables and figures from every point. */
static int assemble(run_ctx *c, adeis_study_outcome *out)
{
  int rc = fit_orders(c, out);
  if (!rc)
    rc = write_errors(c);
  if (!rc)
    rc = write_orders(c, out);
  if (!rc)
    rc = copy_inputs(c);
  if (!rc && c->s->truth)
    rc = write_truth(c);
  if (!rc && c->o->render) {
    /* the renderer runs its gnuplot scripts side by side only when -j allows threads */
    int saved = omp_get_max_threads();
    if (c->o->threads > 0)
      omp_set_num_threads(c->o->threads);
    rc = adeis_study_render(c->dir, c->o->latex);
    omp_set_num_threads(saved);
  }
  return rc;
}

int adeis_study_run(const adeis_study *s, const adeis_run_opts *o, adeis_study_outcome *out)
{
  memset(out, 0, sizeof *out);
  run_ctx c = {.s = s, .o = o, .lock_fd = -1};
  double t0 = now_seconds();
  int rc = run(&c, out);
  if (rc == ADEIS_ENOMEM)
    adeis_set_error("out of memory");
  out->wall_seconds = now_seconds() - t0;
  ctx_clear(&c);
  return rc;
}

int adeis_study_prepare(const adeis_study *s, const adeis_run_opts *o, char **dir)
{
  adeis_run_opts shard = *o;
  shard.n_shards = shard.n_shards ? shard.n_shards : 1;
  shard.collect = 0;
  run_ctx c = {.s = s, .o = &shard, .lock_fd = -1};
  *dir = NULL;
  int rc = read_inputs(&c);
  if (!rc)
    rc = prepare_dir(&c);
  if (!rc && !(*dir = strdup(c.dir)))
    rc = ADEIS_ENOMEM;
  if (rc == ADEIS_ENOMEM)
    adeis_set_error("out of memory");
  ctx_clear(&c);
  return rc;
}

void adeis_study_outcome_clear(adeis_study_outcome *out)
{
  for (size_t k = 0; k < out->n_orders; k++)
    adeis_order_fit_clear(&out->orders[k].fit);
  free(out->orders);
  free(out->missing_shards);
  free(out->dir);
  memset(out, 0, sizeof *out);
}

void adeis_study_check_line(const adeis_study *s, const adeis_order_row *r, char *buf, size_t n)
{
  char fitted[32];
  fmt_num(fitted, sizeof fitted, "%.3f", r->fit.fitted);
  double expected, tol;
  adeis_order_row_expectation(s, r, &expected, &tol);
  snprintf(buf, n, "%-4s %s %s %s %s %s %ld %s fitted %s expected %g tol %g used %zu",
           r->ok ? "ok" : "FAIL", s->name, s->problems[r->problem].name,
           s->methods[r->method].label, adeis_grid_name(s->grids[r->grid]),
           adeis_state_name(adeis_study_state(s, r->method, r->state)), s->precisions[r->precision],
           adeis_quantity_names[r->quantity], fitted, expected, tol, r->fit.used);
}

void adeis_order_row_expectation(const adeis_study *s, const adeis_order_row *r,
                                 double *expected, double *tolerance)
{
  size_t index[ADEIS_STUDY_DIM_COUNT] = {
    [ADEIS_STUDY_DIM_PROBLEM] = r->problem, [ADEIS_STUDY_DIM_METHOD] = r->method,
    [ADEIS_STUDY_DIM_GRID] = r->grid,       [ADEIS_STUDY_DIM_STATE] = r->state,
    [ADEIS_STUDY_DIM_PRECISION] = r->precision,
    [ADEIS_STUDY_DIM_QUANTITY] = (size_t)r->quantity};
  adeis_study_expectation(s, index, expected, tolerance);
}

int adeis_study_render(const char *dir, int latex) { return adeis_report_render(dir, latex); }

typedef struct ranked_point {
  size_t steps, index;
} ranked_point;

/* Larger N first, ties in canonical order. */
static int cmp_rank(const void *a, const void *b)
{
  const ranked_point *x = a, *y = b;
  if (x->steps != y->steps)
    return x->steps < y->steps ? 1 : -1;
  return (x->index > y->index) - (x->index < y->index);
}

int adeis_points_shard(const adeis_study *s, size_t n, size_t *shard_of)
{
  size_t count = adeis_points_count(s);
  ranked_point *r = malloc((count + 1) * sizeof *r);
  if (!r)
    return ADEIS_ENOMEM;
  for (size_t i = 0; i < count; i++)
    r[i] = (ranked_point){s->steps[adeis_point_at(s, i).steps], i};
  qsort(r, count, sizeof *r, cmp_rank);
  for (size_t k = 0; k < count; k++)
    shard_of[r[k].index] = k % n;
  free(r);
  return ADEIS_OK;
}

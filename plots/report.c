/* adeis_report_render: a study folder's CSV files -> tables, figure data, gnuplot scripts
 * and figures; every file written under a temporary name and renamed. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "report.h"

#include <omp.h>

#include "../core/status.h"

#include <errno.h>
#include <locale.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *concat(const char *a, const char *b, const char *c)
{
  size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
  char *s = malloc(la + lb + lc + 1);
  if (!s)
    return NULL;
  memcpy(s, a, la);
  memcpy(s + la, b, lb);
  memcpy(s + la + lb, c, lc + 1);
  return s;
}

/* A name unique to this process and call: PREFIX.tmp-PID-COUNT. */
static char *tmp_name(const char *prefix)
{
  static atomic_ulong counter;
  char tag[64];
  snprintf(tag, sizeof tag, ".tmp-%ld-%lu", (long)getpid(), atomic_fetch_add(&counter, 1));
  return concat(prefix, tag, "");
}

int adeis_report_write_atomic(const char *path, int (*fill)(FILE *f, const void *ctx),
                              const void *ctx)
{
  char *tmp = tmp_name(path);
  if (!tmp) {
    adeis_set_error("out of memory");
    return ADEIS_ENOMEM;
  }
  FILE *f = fopen(tmp, "wx");
  if (!f) {
    adeis_set_error("%s: cannot create: %s", tmp, strerror(errno));
    free(tmp);
    return ADEIS_EINPUT;
  }
  int st = fill(f, ctx);
  /* on disk before the rename, so a crash leaves the old file or the new one, never an empty one */
  if (!st && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
    adeis_set_error("%s: write error: %s", tmp, strerror(errno));
    st = ADEIS_EINPUT;
  }
  int closed = fclose(f);
  if (!st && closed != 0) {
    adeis_set_error("%s: write error: %s", tmp, strerror(errno));
    st = ADEIS_EINPUT;
  }
  if (!st && rename(tmp, path) != 0) {
    adeis_set_error("%s: cannot rename to %s: %s", tmp, path, strerror(errno));
    st = ADEIS_EINPUT;
  }
  if (st)
    remove(tmp);
  free(tmp);
  return st;
}

/* ---- what each file holds ---- */

typedef enum job_kind { JOB_MD, JOB_TEX, JOB_DAT, JOB_GUIDES, JOB_GP } job_kind;

typedef struct job {
  job_kind kind;
  const char *title;
  const adeis_report_results *r;
  const adeis_report_series_set *s;
  adeis_report_quantity q;
  adeis_report_figure fig;
  int latex;
} job;

static int fill_job(FILE *f, const void *ctx)
{
  const job *j = ctx;
  switch (j->kind) {
  case JOB_MD: return adeis_report_md_write(f, j->title, j->r, j->s);
  case JOB_TEX: return adeis_report_tex_write(f, j->title, j->r, j->s);
  case JOB_DAT: return adeis_report_dat_write(f, j->r, j->s, j->q);
  case JOB_GUIDES: return adeis_report_guides_write(f, j->r, j->s, j->q);
  case JOB_GP: return adeis_report_gp_write(f, j->fig, j->title, j->r, j->s, j->latex);
  }
  return ADEIS_EINPUT;
}

static int write_in(const char *dir, const char *name, const job *j)
{
  char *path = concat(dir, "/", name);
  if (!path) {
    adeis_set_error("out of memory");
    return ADEIS_ENOMEM;
  }
  int st = adeis_report_write_atomic(path, fill_job, j);
  free(path);
  return st;
}

static int write_data(const char *dir, job j)
{
  int st = 0;
  j.kind = JOB_MD;
  st = write_in(dir, "table.md", &j);
  j.kind = JOB_TEX;
  st = st ? st : write_in(dir, "table.tex", &j);
  for (int q = 0; q < ADEIS_REPORT_N_QUANTITIES && !st; q++) {
    if (!j.s->has[q])
      continue;
    char name[64];
    j.q = (adeis_report_quantity)q;
    j.kind = JOB_DAT;
    snprintf(name, sizeof name, "errors-%s.dat", adeis_report_quantity_name(j.q));
    st = write_in(dir, name, &j);
    j.kind = JOB_GUIDES;
    snprintf(name, sizeof name, "guides-%s.dat", adeis_report_quantity_name(j.q));
    st = st ? st : write_in(dir, name, &j);
  }
  j.kind = JOB_GP;
  for (int fig = 0; fig < 2 && !st; fig++) {
    char name[64];
    j.fig = (adeis_report_figure)fig;
    snprintf(name, sizeof name, "%s.gp", adeis_report_figure_name(j.fig));
    st = write_in(dir, name, &j);
  }
  return st;
}

/* ---- figures: gnuplot writes DIR/.NAME.tmp-*.EXT, renamed to DIR/NAME.EXT ---- */

static const char *const conv_exts[] = {".png", ".pdf", ".svg", "-latex.pdf", "-latex.tex"};
static const char *const wp_exts[] = {".png", ".pdf"};

static size_t figure_exts(adeis_report_figure fig, int latex, const char *const **exts)
{
  *exts = fig == ADEIS_REPORT_CONVERGENCE ? conv_exts : wp_exts;
  return fig == ADEIS_REPORT_CONVERGENCE ? (latex ? 5 : 3) : 2;
}

static int exists_nonempty(const char *path)
{
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0;
}

/* Read path whole (NUL-terminated); NULL on failure. */
static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t cap = 0;
  FILE *m = f ? open_memstream(&buf, &cap) : NULL;
  int ch;
  while (m && (ch = getc(f)) != EOF)
    putc(ch, m);
  int bad = !f || !m || ferror(f);
  if (f)
    fclose(f);
  if (m && fclose(m) != 0)
    bad = 1;
  if (bad) {
    free(buf);
    return NULL;
  }
  *len = cap;
  return buf;
}

typedef struct text_swap {
  const char *text, *from, *to;
} text_swap;

/* text with every "{from}" written as "{to}". */
static int fill_swapped(FILE *f, const void *ctx)
{
  const text_swap *t = ctx;
  size_t lf = strlen(t->from);
  for (const char *p = t->text; *p; p++) {
    if (p[0] == '{' && strncmp(p + 1, t->from, lf) == 0 && p[lf + 1] == '}') {
      fprintf(f, "{%s}", t->to);
      p += lf + 1;
    } else {
      fputc(*p, f);
    }
  }
  return ferror(f) ? ADEIS_EINPUT : 0;
}

/* The cairolatex .tex names its graphic by the temporary base: point it at the final one. */
static int fix_latex(const char *tmp_tex, const char *final_tex, const char *tmp_base,
                     const char *final_base)
{
  size_t len;
  char *text = slurp(tmp_tex, &len);
  if (!text) {
    adeis_set_error("%s: cannot read the gnuplot output", tmp_tex);
    return ADEIS_ENUMERIC;
  }
  char *from = concat(tmp_base, "-latex", ""), *to = concat(final_base, "-latex", "");
  text_swap t = {text, from, to};
  int st = from && to ? adeis_report_write_atomic(final_tex, fill_swapped, &t) : ADEIS_ENOMEM;
  if (st == ADEIS_ENOMEM)
    adeis_set_error("out of memory");
  remove(tmp_tex);
  free(from);
  free(to);
  free(text);
  return st;
}

/* The paths DIR/BASE+EXT of n extensions. */
static char **output_paths(const char *dir, const char *base, const char *const *exts, size_t n)
{
  char **p = calloc(n, sizeof *p);
  char *prefix = concat(dir, "/", base);
  int ok = p && prefix;
  for (size_t i = 0; ok && i < n; i++)
    ok = (p[i] = concat(prefix, exts[i], "")) != NULL;
  free(prefix);
  if (!ok && p) {
    for (size_t i = 0; i < n; i++)
      free(p[i]);
    free(p);
    p = NULL;
  }
  return p;
}

static void free_paths(char **p, size_t n)
{
  for (size_t i = 0; p && i < n; i++)
    free(p[i]);
  free(p);
}

/* Every tmp output present: rename each to its final name (the .tex through fix_latex). */
static int publish(char **tmp, char **final, const char *const *exts, size_t n,
                   const char *tmp_base, const char *final_base)
{
  for (size_t i = 0; i < n; i++)
    if (!exists_nonempty(tmp[i])) {
      adeis_set_error("gnuplot wrote no %s", tmp[i]);
      return ADEIS_ENUMERIC;
    }
  for (size_t i = 0; i < n; i++) {
    int st = 0;
    if (strcmp(exts[i], "-latex.tex") == 0)
      st = fix_latex(tmp[i], final[i], tmp_base, final_base);
    else if (rename(tmp[i], final[i]) != 0) {
      adeis_set_error("%s: cannot rename to %s: %s", tmp[i], final[i], strerror(errno));
      st = ADEIS_EINPUT;
    }
    if (st)
      return st;
  }
  return 0;
}

static int render_figure(const char *dir, adeis_report_figure fig, int latex)
{
  const char *name = adeis_report_figure_name(fig);
  const char *const *exts;
  size_t n = figure_exts(fig, latex, &exts);
  char *hidden = concat(".", name, ""), *base = hidden ? tmp_name(hidden) : NULL;
  char *script = concat(name, ".gp", "");
  char *setup = base ? concat("outbase='", base, "'") : NULL;
  char **tmp = base ? output_paths(dir, base, exts, n) : NULL;
  char **final = output_paths(dir, name, exts, n);
  int st = ADEIS_ENOMEM;
  if (!tmp || !final || !script || !setup)
    adeis_set_error("out of memory");
  else
    st = adeis_report_gnuplot_run(dir, script, setup);
  if (!st)
    st = publish(tmp, final, exts, n, base, name);
  for (size_t i = 0; tmp && i < n; i++)
    remove(tmp[i]);
  free_paths(tmp, n);
  free_paths(final, n);
  free(hidden);
  free(base);
  free(script);
  free(setup);
  return st;
}

/* The two figures are independent gnuplot runs: with more than one thread allowed
 * (adeis study -j), both run at once. The first failure in figure order is reported. */
static int render_figures(const char *dir, int latex)
{
  int st[2] = {0, 0};
  char msg[2][ADEIS_ERRMSG_MAX];   /* whole: a long path keeps its reason */
  int threads = omp_get_max_threads() > 1 ? 2 : 1;
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int k = 0; k < 2; k++) {
    st[k] = render_figure(dir, k ? ADEIS_REPORT_WORK_PRECISION : ADEIS_REPORT_CONVERGENCE,
                          k ? 0 : latex);
    snprintf(msg[k], sizeof msg[k], "%s", st[k] ? adeis_errmsg() : "");
  }
  for (int k = 0; k < 2; k++)
    if (st[k]) {
      adeis_set_error("%s", msg[k]);
      return st[k];
    }
  return 0;
}

/* ---- the whole folder ---- */

/* The folder's own name (after resolving "." and symbolic links). */
static char *folder_name(const char *dir)
{
  char *full = realpath(dir, NULL);
  if (!full)
    return NULL;
  char *slash = strrchr(full, '/');
  char *name = strdup(slash && slash[1] ? slash + 1 : full);
  free(full);
  return name;
}

static int check_dir(const char *dir)
{
  struct stat sb;
  if (stat(dir, &sb) != 0) {
    adeis_set_error("%s: cannot open the study folder: %s", dir, strerror(errno));
    return ADEIS_EINPUT;
  }
  if (!S_ISDIR(sb.st_mode)) {
    adeis_set_error("%s: expected a study folder, found a file", dir);
    return ADEIS_EINPUT;
  }
  return 0;
}

static int render(const char *dir, int latex)
{
  adeis_report_results r;
  adeis_report_series_set s;
  memset(&r, 0, sizeof r);
  memset(&s, 0, sizeof s);
  char *errors = concat(dir, "/", "errors.csv"), *orders = concat(dir, "/", "orders.csv");
  char *title = folder_name(dir);
  int st = errors && orders ? 0 : ADEIS_ENOMEM;
  if (st)
    adeis_set_error("out of memory");
  else if (!title) {
    adeis_set_error("%s: cannot resolve the folder's name: %s", dir, strerror(errno));
    st = ADEIS_EINPUT;
  }
  st = st ? st : adeis_report_read(&r, errors, orders);
  st = st ? st : adeis_report_series_build(&s, &r);
  job j = {JOB_MD, title, &r, &s, ADEIS_REPORT_X_T, ADEIS_REPORT_CONVERGENCE, latex != 0};
  st = st ? st : write_data(dir, j);
  st = st ? st : render_figures(dir, latex != 0);
  adeis_report_series_free(&s);
  adeis_report_results_free(&r);
  free(errors);
  free(orders);
  free(title);
  return st;
}

int adeis_report_render(const char *dir, int latex)
{
  if (!dir || !*dir) {
    adeis_set_error("no study folder given");
    return ADEIS_EINPUT;
  }
  int st = check_dir(dir);
  if (st)
    return st;
  /* numbers are read and written in the C locale, whatever the program set */
  locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
  locale_t old = c ? uselocale(c) : (locale_t)0;
  st = render(dir, latex);
  if (c) {
    uselocale(old);
    freelocale(c);
  }
  return st;
}

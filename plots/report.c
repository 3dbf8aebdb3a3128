/* adeis_report_render: a study folder's CSV files -> tables, figure data, gnuplot scripts
 * and figures; every file written under a temporary name and renamed. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "report.h"
#include "publish.h"

#include <omp.h>

#include "../core/status.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define concat adeis_publish_concat

/* ---- what each file holds ---- */

typedef enum job_kind { JOB_MD, JOB_TEX, JOB_DAT, JOB_GUIDES, JOB_GP } job_kind;

typedef struct job {
  job_kind kind;
  const char *title;
  const adeis_report_results *r;
  const adeis_report_series_set *s;
  const adeis_report_study *st;
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
  case JOB_GP: return adeis_report_gp_write(f, j->fig, j->title, j->r, j->s, j->st, j->latex);
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

/* ---- figures: gnuplot writes through /dev/fd/N to files we created ---- */

typedef struct fig_file {
  const char *fmt, *ext;
  adeis_publish_format kind;
} fig_file;

static const fig_file conv_files[] = {
    {"png", ".png", ADEIS_FMT_PNG}, {"pdf", ".pdf", ADEIS_FMT_PDF}, {"svg", ".svg", ADEIS_FMT_SVG}};
static const fig_file wp_files[] = {{"png", ".png", ADEIS_FMT_PNG}, {"pdf", ".pdf", ADEIS_FMT_PDF}};
#define MAX_FIG_FILES 3

/* One figure's outputs: the plain files and, with latex, the cairolatex pair. */
typedef struct fig_outputs {
  size_t n;
  const fig_file *files;
  int fd[MAX_FIG_FILES + 1];
  char *tmp[MAX_FIG_FILES], *final[MAX_FIG_FILES];
  int published[MAX_FIG_FILES];
  int latex;       /* the pair goes through the private folder below */
  char *latex_dir; /* DIR/.tmp.NAME-latex.PID.K */
  int latex_fd;
  char *latex_base; /* DIR/NAME-latex */
} fig_outputs;

static void outputs_close(fig_outputs *o)
{
  for (size_t i = 0; i < o->n; i++) {
    if (o->fd[i] >= 0)
      close(o->fd[i]);
    if (o->tmp[i] && !o->published[i])
      unlink(o->tmp[i]);
    free(o->tmp[i]);
    free(o->final[i]);
  }
  if (o->latex_fd >= 0)
    close(o->latex_fd);
  if (o->latex_dir)
    adeis_publish_remove_private_dir(o->latex_dir);
  free(o->latex_dir);
  free(o->latex_base);
}

static int outputs_open(fig_outputs *o, const char *dir, adeis_report_figure fig, int latex)
{
  const char *name = adeis_report_figure_name(fig);
  memset(o, 0, sizeof *o);
  o->latex_fd = -1;
  for (size_t i = 0; i < MAX_FIG_FILES + 1; i++)
    o->fd[i] = -1;
  o->files = fig == ADEIS_REPORT_CONVERGENCE ? conv_files : wp_files;
  size_t n = fig == ADEIS_REPORT_CONVERGENCE ? 3 : 2;
  char *base = concat(dir, "/", name);
  if (!base)
    return ADEIS_ENOMEM;
  for (; o->n < n; o->n++) {
    o->final[o->n] = concat(base, o->files[o->n].ext, "");
    if (!o->final[o->n]) {
      free(base);
      return ADEIS_ENOMEM;
    }
    o->fd[o->n] = adeis_publish_create(o->final[o->n], &o->tmp[o->n]);
    if (o->fd[o->n] < 0) {
      adeis_set_error("%s: cannot create a temporary file beside it: %s", o->final[o->n],
                      strerror(errno));
      o->n++;
      free(base);
      return ADEIS_ENUMERIC;
    }
  }
  o->latex = latex;
  if (o->latex) {
    o->latex_base = concat(base, "-latex", "");
    if (!o->latex_base) {
      free(base);
      return ADEIS_ENOMEM;
    }
    o->latex_fd = adeis_publish_private_dir(o->latex_base, &o->latex_dir);
    if (o->latex_fd < 0) {
      adeis_set_error("%s: cannot create a private temporary folder beside it: %s", o->latex_base,
                      strerror(errno));
      free(base);
      return ADEIS_ENUMERIC;
    }
  }
  free(base);
  return 0;
}

/* gnuplot -e "out_png='/dev/fd/5'; ...; out_tex='/dev/fd/8/convergence-latex.tex'". */
static char *outputs_setup(const fig_outputs *o, const char *name)
{
  char *s = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&s, &len);
  if (!m)
    return NULL;
  for (size_t i = 0; i < o->n; i++)
    fprintf(m, "out_%s='/dev/fd/%d'; ", o->files[i].fmt, o->fd[i]);
  if (o->latex)
    fprintf(m, "out_tex='/dev/fd/%d/%s-latex.tex'; ", o->latex_fd, name);
  if (fclose(m) != 0) {
    free(s);
    return NULL;
  }
  return s;
}

/* The cairolatex .tex as published: its graphic named by the final base name, scaled to
 * \adeiswidth (default \linewidth). */
typedef struct latex_text {
  const char *text, *from, *name;
} latex_text;

static int fill_latex(FILE *f, const void *ctx)
{
  const latex_text *t = ctx;
  fprintf(
      f,
      "%% %s-latex.tex: written by adeis through gnuplot's cairolatex terminal; the lines\n"
      "%% are in %s-latex.pdf beside it, found through \\CurrentFilePath when this file is\n"
      "%% \\input from another folder (LaTeX 2021-06 or later; older: \\graphicspath).\n"
      "%% Needs \\usepackage{graphicx,color}. Scaled to \\adeiswidth (default \\linewidth:\n"
      "%% \\newcommand\\adeiswidth{0.8\\linewidth} before the first \\input changes it).\n"
      "%% After the \\input, \\adeissetting holds the setting for the caption.\n"
      "\\providecommand\\adeiswidth{\\linewidth}%%\n"
      "\\ifdefined\\CurrentFilePath\n"
      "  \\edef\\adeisgraphicsdir{\\ifx\\CurrentFilePath\\empty\\else\\CurrentFilePath/\\fi}%%\n"
      "\\else\n  \\def\\adeisgraphicsdir{}%%\n\\fi\n"
      "\\ifdefined\\adeisfigurebox\\else\\newsavebox\\adeisfigurebox\\fi\n"
      "\\begin{lrbox}{\\adeisfigurebox}\\scriptsize%%\n",
      t->name, t->name);
  size_t lf = strlen(t->from);
  for (const char *p = t->text; *p; p++) {
    if (p[0] == '{' && strncmp(p + 1, t->from, lf) == 0 && p[lf + 1] == '}') {
      fprintf(f, "{\\adeisgraphicsdir %s-latex}", t->name);
      p += lf + 1;
    } else {
      fputc(*p, f);
    }
  }
  fputs("\\end{lrbox}%\n\\resizebox{\\adeiswidth}{!}{\\usebox{\\adeisfigurebox}}%\n", f);
  return ferror(f) ? ADEIS_ENUMERIC : 0;
}

/* Read the whole file behind fd (NUL-terminated); NULL on failure. */
static char *read_fd(int fd)
{
  struct stat sb;
  if (fstat(fd, &sb) != 0 || sb.st_size < 0 || sb.st_size > (64 << 20))
    return NULL;
  char *buf = malloc((size_t)sb.st_size + 1);
  if (buf && pread(fd, buf, (size_t)sb.st_size, 0) != sb.st_size) {
    free(buf);
    return NULL;
  }
  if (buf)
    buf[sb.st_size] = '\0';
  return buf;
}

/* The cairolatex pair from the private folder: the .pdf verified and renamed, the .tex
 * verified, rewritten and written atomically. */
static int publish_latex(fig_outputs *o, const char *name)
{
  char pdf_name[128], tex_name[128];
  snprintf(pdf_name, sizeof pdf_name, "%s-latex.pdf", name);
  snprintf(tex_name, sizeof tex_name, "%s-latex.tex", name);
  int pdf = openat(o->latex_fd, pdf_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  int tex = openat(o->latex_fd, tex_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  char *pdf_tmp = concat(o->latex_dir, "/", pdf_name),
       *pdf_final = concat(o->latex_base, ".pdf", "");
  char *tex_final = concat(o->latex_base, ".tex", ""), *text = NULL;
  char from[64];
  snprintf(from, sizeof from, "/dev/fd/%d/%s-latex", o->latex_fd, name);
  int st = 0;
  if (!pdf_tmp || !pdf_final || !tex_final) {
    adeis_set_error("out of memory");
    st = ADEIS_ENOMEM;
  } else if (pdf < 0 || tex < 0) {
    adeis_set_error("%s: gnuplot wrote no cairolatex %s", o->latex_base, pdf < 0 ? ".pdf" : ".tex");
    st = ADEIS_ENUMERIC;
  } else if (adeis_publish_incomplete(tex, ADEIS_FMT_TEX)) {
    st = adeis_publish_file(tex, "", tex_final, ADEIS_FMT_TEX, NULL); /* reports the cause */
  } else if (!(text = read_fd(tex))) {
    adeis_set_error("%s: cannot read gnuplot's output back", tex_final);
    st = ADEIS_ENUMERIC;
  } else if (!(st = adeis_publish_file(pdf, pdf_tmp, pdf_final, ADEIS_FMT_PDF, NULL))) {
    latex_text t = {text, from, name};
    st = adeis_report_write_atomic(tex_final, fill_latex, &t);
  }
  if (pdf >= 0)
    close(pdf);
  if (tex >= 0)
    close(tex);
  free(text);
  free(pdf_tmp);
  free(pdf_final);
  free(tex_final);
  return st;
}

static int outputs_publish(fig_outputs *o, const char *name)
{
  /* all complete before any is renamed: a figure's files come from one run */
  for (size_t i = 0; i < o->n; i++)
    if (adeis_publish_incomplete(o->fd[i], o->files[i].kind))
      return adeis_publish_file(o->fd[i], o->tmp[i], o->final[i], o->files[i].kind, NULL);
  for (size_t i = 0; i < o->n; i++) {
    int st = adeis_publish_file(o->fd[i], o->tmp[i], o->final[i], o->files[i].kind, NULL);
    if (st)
      return st;
    o->published[i] = 1;
  }
  return o->latex ? publish_latex(o, name) : 0;
}

static int render_figure(const char *dir, adeis_report_figure fig, int latex)
{
  const char *name = adeis_report_figure_name(fig);
  fig_outputs o;
  int st = outputs_open(&o, dir, fig, latex);
  char *script = concat(name, ".gp", ""), *setup = st ? NULL : outputs_setup(&o, name);
  if (!st && (!script || !setup))
    st = ADEIS_ENOMEM;
  if (st == ADEIS_ENOMEM)
    adeis_set_error("out of memory");
  int keep[MAX_FIG_FILES + 1];
  size_t n_keep = 0;
  for (size_t i = 0; i < o.n; i++)
    keep[n_keep++] = o.fd[i];
  if (o.latex)
    keep[n_keep++] = o.latex_fd;
  if (!st)
    st = adeis_report_gnuplot_run_fds(dir, script, setup, keep, n_keep);
  if (!st)
    st = outputs_publish(&o, name);
  outputs_close(&o);
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
#pragma omp parallel for num_threads(omp_get_max_threads() > 1 ? 2 : 1) schedule(static, 1)
  for (int k = 0; k < 2; k++) {
    st[k] = render_figure(dir, k ? ADEIS_REPORT_WORK_PRECISION : ADEIS_REPORT_CONVERGENCE, latex);
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
  adeis_report_study info;
  memset(&info, 0, sizeof info);
  st = st ? st : adeis_report_read(&r, errors, orders);
  st = st ? st : adeis_report_series_build(&s, &r);
  st = st ? st : adeis_report_study_read(&info, dir, &s);
  st = st ? st : adeis_report_series_relabel(&s, &info);
  /* headings and LaTeX labels name the study, not the folder it was written to */
  const char *name = info.name ? info.name : title;
  job j = {JOB_MD, name, &r, &s, &info, ADEIS_REPORT_X_T, ADEIS_REPORT_CONVERGENCE, latex != 0};
  st = st ? st : write_data(dir, j);
  st = st ? st : render_figures(dir, latex != 0);
  adeis_report_study_free(&info);
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
  if (!st)
    st = adeis_source_date_check();
  if (st)
    return st;
  adeis_publish_remove_stale(dir); /* of renders killed before they could clean up */
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

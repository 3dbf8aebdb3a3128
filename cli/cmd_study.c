/* adeis study, adeis check, adeis plot: parse the arguments and call the study runner. */
#include "cli_opts.h"
#include "commands.h"
#include "../core/status.h"
#include "../studies/runner.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char study_usage[] =
  "usage: adeis study FILE.ini [-o DIR] [-j N] [--quiet] [--force] [--latex] [--no-plots]\n"
  "       adeis study FILE.ini -o DIR --shard K/N [-j N] [--quiet] [--force]\n"
  "       adeis study FILE.ini -o DIR --collect [--shards N] [-j N] [--latex] [--no-plots]\n\n"
  "Run a convergence study (docs/studies.md): every problem x method x grid x state x\n"
  "precision x step count of the study file. Writes DIR/errors.csv, DIR/orders.csv,\n"
  "table.md, table.tex, convergence.{png,pdf,svg}, work-precision.{png,pdf} (with their\n"
  "gnuplot scripts), and copies of the study and problem files. Finished points are kept\n"
  "in DIR/points/, so an interrupted study resumes where it stopped. A folder holds one\n"
  "study: one whose study.ini differs from FILE.ini is refused (unless --force), and a\n"
  "folder another run is using is refused (docs/studies.md).\n\n"
  "options:\n"
  "  -o, --output DIR   output folder (default results/<study name>)\n"
  "  -j, --jobs N       threads (default: every core)\n"
  "  -q, --quiet        no progress line on stderr\n"
  "  -f, --force        recompute every point, even those already in DIR/points, and\n"
  "                     replace DIR/study.ini when it is another study's\n"
  "      --latex        also convergence-latex.tex and work-precision-latex.tex\n"
  "      --no-plots     write the CSV files only (no tables, figures or gnuplot)\n"
  "      --shard K/N    compute only the points of shard K of N (0 <= K < N) into\n"
  "                     DIR/points/; shards may run at the same time (docs/cluster.md)\n"
  "      --collect      compute nothing: once every point is in DIR/points/, write what\n"
  "                     a whole run writes; else list the missing points and exit 1\n"
  "      --shards N     with --collect: name the shards (of N) the missing points are in\n"
  "                     (default: the N the folder's shard runs used, when only one)\n"
  "  -h, --help         print this help\n\n"
  "Exit codes: 0 success, 1 --collect found points missing, 2 bad input, unwritable or\n"
  "busy folder, or another study's folder, 3 numerical failure (or gnuplot failed).\n";

static const char check_usage[] =
  "usage: adeis check FILE.ini... [-o DIR] [-j N] [--quiet] [--force] [--plots]\n\n"
  "Run each study into results/<study name>/ (or DIR, for one study file; reusing finished\n"
  "points) and print one line\n"
  "per problem, method, grid, state, precision and quantity:\n"
  "  ok   STUDY PROBLEM METHOD GRID STATE BITS QUANTITY fitted F expected E tol T used U\n"
  "or FAIL in the first column when |fitted - expected| > tol or fewer than 3 points\n"
  "were usable.\n\n"
  "options:\n"
  "  -o, --output DIR   output folder (one study file only)\n"
  "  -j, --jobs N       threads (default: every core)\n"
  "  -q, --quiet        no progress line on stderr\n"
  "  -f, --force        recompute every point, and replace the folder's study.ini when it\n"
  "                     is another study's\n"
  "      --plots        also write the tables and figures (like adeis study)\n"
  "  -h, --help         print this help\n\n"
  "Only errors.csv and orders.csv are written unless --plots is given.\n"
  "Exit codes: 0 every order holds, 1 a check failed, 2 bad input, 3 numerical failure.\n";

static const char plot_usage[] =
  "usage: adeis plot DIR [--latex]\n\n"
  "Redraw the tables and figures of a study folder from its errors.csv and orders.csv\n"
  "(table.md, table.tex, convergence.{png,pdf,svg}, work-precision.{png,pdf}).\n\n"
  "options:\n"
  "      --latex        also convergence-latex.tex and work-precision-latex.tex\n"
  "  -h, --help         print this help\n\n"
  "Exit codes: 0 success, 2 bad input, 3 gnuplot failed.\n";

enum { O_LATEX = 256, O_NO_PLOTS, O_PLOTS, O_SHARD, O_COLLECT, O_SHARDS };

static const struct option long_opts[] = {
  {"output", required_argument, NULL, 'o'},
  {"jobs", required_argument, NULL, 'j'},
  {"quiet", no_argument, NULL, 'q'},
  {"force", no_argument, NULL, 'f'},
  {"latex", no_argument, NULL, O_LATEX},
  {"no-plots", no_argument, NULL, O_NO_PLOTS},
  {"plots", no_argument, NULL, O_PLOTS},
  {"help", no_argument, NULL, 'h'},
  {"shard", required_argument, NULL, O_SHARD},
  {"collect", no_argument, NULL, O_COLLECT},
  {"shards", required_argument, NULL, O_SHARDS},
  {NULL, 0, NULL, 0},
};

static const char *option_name(int c)
{
  static const char *const names[] = {"--output", "--jobs", "--quiet", "--force", "--latex",
                                      "--no-plots", "--plots", "--help", "--shard",
                                      "--collect", "--shards"};
  for (size_t i = 0; long_opts[i].name; i++)
    if (long_opts[i].val == c)
      return names[i];
  return "?";
}

/* The letter standing for an option in the allowed lists of parse_opts. */
static int opt_letter(int c)
{
  switch (c) {
  case O_LATEX: return 'L';
  case O_NO_PLOTS: return 'N';
  case O_PLOTS: return 'P';
  case O_SHARD: return 'K';
  case O_COLLECT: return 'C';
  case O_SHARDS: return 'n';
  default: return c;
  }
}

/* "K/N" with 0 <= K < N <= ADEIS_MAX_SHARDS. */
static int parse_shard(const char *text, size_t *k, size_t *n)
{
  const char *slash = strchr(text, '/');
  char head[32];
  long kv, nv;
  if (!slash || (size_t)(slash - text) >= sizeof head)
    return -1;
  memcpy(head, text, (size_t)(slash - text));
  head[slash - text] = '\0';
  if (cli_parse_long(head, 0, ADEIS_MAX_SHARDS - 1, &kv) ||
      cli_parse_long(slash + 1, 1, ADEIS_MAX_SHARDS, &nv) || kv >= nv)
    return -1;
  *k = (size_t)kv;
  *n = (size_t)nv;
  return 0;
}

/* --shard, --collect and --shards: which go together. */
static int check_shard_opts(const char *cmd, const adeis_run_opts *o, int shard_given,
                            int shards_given)
{
  if (o->collect && shard_given)
    return cli_bad_option(cmd, "--collect", "--shard K/N computes one shard and --collect "
                          "assembles them all: give one of them");
  if (shards_given && (!o->collect || shard_given))
    return cli_bad_option(cmd, "--shards", "goes with --collect (a shard is --shard K/N)");
  return 0;
}

/* Options shared by the three commands; allowed: the letters (opt_letter) this command takes. */
static int parse_opts(const char *cmd, const char *allowed, const char *usage, int argc,
                      char **argv, adeis_run_opts *o)
{
  adeis_run_opts_init(o);
  optind = 1;
  opterr = 0;
  int c, shard_given = 0, shards_given = 0;
  long v;
  while ((c = getopt_long(argc, argv, ":o:j:qfh", long_opts, NULL)) != -1) {
    if (c != ':' && c != '?' && !strchr(allowed, opt_letter(c)))
      return cli_bad_option(cmd, option_name(c), "not an option of adeis %s (adeis %s --help)",
                            cmd, cmd);
    switch (c) {
    case 'h': fputs(usage, stdout); return -1;
    case 'o':
      if (!*optarg)
        return cli_bad_option(cmd, "--output", "expected a folder name, got an empty string");
      o->dir = optarg;
      break;
    case 'j':
      if (cli_parse_long(optarg, 1, 4096, &v))
        return cli_bad_option(cmd, "--jobs", "expected a thread count in 1..4096, got '%s'", optarg);
      o->threads = (int)v;
      break;
    case 'q': o->quiet = 1; break;
    case 'f': o->force = 1; break;
    case O_LATEX: o->latex = 1; break;
    case O_NO_PLOTS: o->render = 0; break;
    case O_PLOTS: o->render = 2; break;
    case O_SHARD:
      if (parse_shard(optarg, &o->shard, &o->n_shards))
        return cli_bad_option(cmd, "--shard", "expected K/N with 0 <= K < N <= %d, got '%s'",
                              ADEIS_MAX_SHARDS, optarg);
      shard_given = 1;
      break;
    case O_COLLECT: o->collect = 1; break;
    case O_SHARDS:
      if (cli_parse_long(optarg, 1, ADEIS_MAX_SHARDS, &v))
        return cli_bad_option(cmd, "--shards", "expected a shard count in 1..%d, got '%s'",
                              ADEIS_MAX_SHARDS, optarg);
      o->n_shards = (size_t)v;
      shards_given = 1;
      break;
    default: return cli_getopt_error(cmd, c, optopt, argv[optind - 1]);
    }
  }
  return check_shard_opts(cmd, o, shard_given, shards_given);
}

static int load(const char *cmd, const char *path, adeis_study *s)
{
  int rc = adeis_study_load(path, s);
  if (rc)
    fprintf(stderr, "adeis %s: %s\n", cmd, adeis_errmsg());
  return cli_exit_code(rc);
}

static int run(const char *cmd, const adeis_study *s, const adeis_run_opts *o,
               adeis_study_outcome *out)
{
  int rc = adeis_study_run(s, o, out);
  if (rc)
    fprintf(stderr, "adeis %s: %s: %s\n", cmd, s->path, adeis_errmsg());
  return cli_exit_code(rc);
}

/* --collect found points missing: how many, which shards, what to run. Returns 1. */
static int report_missing(const adeis_study *s, const adeis_study_outcome *out)
{
  fprintf(stderr, "adeis study: %s: %zu of %zu points missing (the first: %s)", out->dir,
          out->n_missing, out->n_points, out->first_missing);
  size_t n = out->n_shards;
  if (!n) {
    if (out->n_shard_counts > 1)
      fprintf(stderr, "; shard runs used %zu different shard counts here: give --shards N to "
              "name the shards they belong to\n", out->n_shard_counts);
    else
      fprintf(stderr, "; give --shards N to name the shards they belong to\n");
    return 1;
  }
  fprintf(stderr, "; they belong to %s ", out->n_missing_shards > 1 ? "shards" : "shard");
  for (size_t k = 0; k < out->n_missing_shards; k++)
    fprintf(stderr, "%s%zu", k == 0 ? "" : k + 1 == out->n_missing_shards ? " and " : ", ",
            out->missing_shards[k]);
  if (out->n_missing_shards == 1)
    fprintf(stderr, " of %zu: run adeis study %s -o %s --shard %zu/%zu, then collect again\n",
            n, s->path, out->dir, out->missing_shards[0], n);
  else
    fprintf(stderr, " of %zu: run adeis study %s -o %s --shard K/%zu for each, then collect "
            "again\n", n, s->path, out->dir, n);
  return 1;
}

static void report_done(const adeis_run_opts *o, const adeis_study_outcome *out)
{
  if (o->collect)
    fprintf(stderr, "adeis study: %s: collected %zu points in %.1f s\n", out->dir, out->n_points,
            out->wall_seconds);
  else if (o->n_shards)
    fprintf(stderr, "adeis study: %s: shard %zu/%zu: %zu points (%zu computed, %zu reused) in "
            "%.1f s\n", out->dir, o->shard, o->n_shards, out->n_points, out->computed,
            out->reused, out->wall_seconds);
  else
    fprintf(stderr, "adeis study: %s: %zu points (%zu computed, %zu reused) in %.1f s\n",
            out->dir, out->n_points, out->computed, out->reused, out->wall_seconds);
}

int adeis_cmd_study(int argc, char **argv)
{
  adeis_run_opts o;
  int rc = parse_opts("study", "ojqfhLNKCn", study_usage, argc, argv, &o);
  if (rc)
    return rc < 0 ? 0 : rc;
  if (optind != argc - 1)
    return cli_bad_option("study", optind < argc ? argv[optind + 1] : "FILE.ini",
                          "%s (adeis study --help)",
                          optind < argc ? "unexpected argument" : "expected one study file");
  adeis_study s;
  if ((rc = load("study", argv[optind], &s)))
    return rc;
  adeis_study_outcome out;
  rc = run("study", &s, &o, &out);
  if (!rc && out.n_missing)
    rc = report_missing(&s, &out);
  else if (!rc && !o.quiet)
    report_done(&o, &out);
  adeis_study_outcome_clear(&out);
  adeis_study_clear(&s);
  return rc;
}

/* Run one study and print its check lines; returns the exit code. */
static int check_one(const char *path, const adeis_run_opts *o)
{
  adeis_study s;
  int rc = load("check", path, &s);
  if (rc)
    return rc;
  adeis_study_outcome out;
  rc = run("check", &s, o, &out);
  int failed = 0;
  for (size_t k = 0; k < out.n_orders && !rc; k++) { /* every line, failures included */
    char line[1024];
    adeis_study_check_line(&s, &out.orders[k], line, sizeof line);
    puts(line);
    failed |= !out.orders[k].ok;
  }
  if (!rc && failed)
    rc = -1;
  adeis_study_outcome_clear(&out);
  adeis_study_clear(&s);
  return rc;
}

int adeis_cmd_check(int argc, char **argv)
{
  adeis_run_opts o;
  int rc = parse_opts("check", "ojqfhP", check_usage, argc, argv, &o);
  if (rc)
    return rc < 0 ? 0 : rc;
  o.render = o.render == 2;
  if (optind >= argc)
    return cli_bad_option("check", "FILE.ini", "expected one or more study files (adeis check "
                                               "--help)");
  if (o.dir && argc - optind > 1)
    return cli_bad_option("check", "--output", "takes one study file (a folder holds one study), "
                          "got %d", argc - optind);
  int failed = 0;
  for (int i = optind; i < argc; i++) {
    rc = check_one(argv[i], &o);
    if (rc > 0)
      return rc;
    failed |= rc < 0;
  }
  return failed ? 1 : 0;
}

int adeis_cmd_plot(int argc, char **argv)
{
  adeis_run_opts o;
  int rc = parse_opts("plot", "hL", plot_usage, argc, argv, &o);
  if (rc)
    return rc < 0 ? 0 : rc;
  if (optind != argc - 1)
    return cli_bad_option("plot", optind < argc ? argv[optind + 1] : "DIR", "%s (adeis plot --help)",
                          optind < argc ? "unexpected argument" : "expected one study folder");
  rc = adeis_study_render(argv[optind], o.latex);
  if (rc)
    fprintf(stderr, "adeis plot: %s\n", adeis_errmsg());
  return cli_exit_code(rc);
}

/* adeis study, adeis check, adeis plot: parse the arguments and call the study runner. */
#include "cli_opts.h"
#include "commands.h"
#include "../core/status.h"
#include "../studies/runner.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char study_usage[] =
  "usage: adeis study FILE.ini [-o DIR] [-j N] [--quiet] [--force] [--latex] [--no-plots]\n\n"
  "Run a convergence study (docs/studies.md): every problem x method x grid x state x\n"
  "precision x step count of the study file. Writes DIR/errors.csv, DIR/orders.csv,\n"
  "table.md, table.tex, convergence.{png,pdf,svg}, work-precision.{png,pdf} (with their\n"
  "gnuplot scripts), and copies of the study and problem files. Finished points are kept\n"
  "in DIR/points/, so an interrupted study resumes where it stopped.\n\n"
  "options:\n"
  "  -o, --output DIR   output folder (default results/<study name>)\n"
  "  -j, --jobs N       threads (default: every core)\n"
  "  -q, --quiet        no progress line on stderr\n"
  "  -f, --force        recompute every point, even those already in DIR/points\n"
  "      --latex        also the cairolatex figure (convergence-latex.tex)\n"
  "      --no-plots     write the CSV files only (no tables, figures or gnuplot)\n"
  "  -h, --help         print this help\n\n"
  "Exit codes: 0 success, 2 bad input or unwritable folder, 3 numerical failure\n"
  "(or gnuplot failed).\n";

static const char check_usage[] =
  "usage: adeis check FILE.ini... [-j N] [--quiet] [--force] [--plots]\n\n"
  "Run each study into results/<study name>/ (reusing finished points) and print one line\n"
  "per problem, method, grid, state, precision and quantity:\n"
  "  ok   STUDY PROBLEM METHOD GRID STATE BITS QUANTITY fitted F expected E tol T used U\n"
  "or FAIL in the first column when |fitted - expected| > tol or fewer than 3 points\n"
  "were usable.\n\n"
  "options:\n"
  "  -j, --jobs N       threads (default: every core)\n"
  "  -q, --quiet        no progress line on stderr\n"
  "  -f, --force        recompute every point\n"
  "      --plots        also write the tables and figures (like adeis study)\n"
  "  -h, --help         print this help\n\n"
  "Only errors.csv and orders.csv are written unless --plots is given.\n"
  "Exit codes: 0 every order holds, 1 a check failed, 2 bad input, 3 numerical failure.\n";

static const char plot_usage[] =
  "usage: adeis plot DIR [--latex]\n\n"
  "Redraw the tables and figures of a study folder from its errors.csv and orders.csv\n"
  "(table.md, table.tex, convergence.{png,pdf,svg}, work-precision.{png,pdf}).\n\n"
  "options:\n"
  "      --latex        also the cairolatex figure (convergence-latex.tex)\n"
  "  -h, --help         print this help\n\n"
  "Exit codes: 0 success, 2 bad input, 3 gnuplot failed.\n";

enum { O_LATEX = 256, O_NO_PLOTS, O_PLOTS };

static const struct option long_opts[] = {
  {"output", required_argument, NULL, 'o'},
  {"jobs", required_argument, NULL, 'j'},
  {"quiet", no_argument, NULL, 'q'},
  {"force", no_argument, NULL, 'f'},
  {"latex", no_argument, NULL, O_LATEX},
  {"no-plots", no_argument, NULL, O_NO_PLOTS},
  {"plots", no_argument, NULL, O_PLOTS},
  {"help", no_argument, NULL, 'h'},
  {NULL, 0, NULL, 0},
};

static const char *option_name(int c)
{
  static const char *const names[] = {"--output", "--jobs", "--quiet", "--force", "--latex",
                                      "--no-plots", "--plots", "--help"};
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
  default: return c;
  }
}

/* Options shared by the three commands; allowed: the letters (opt_letter) this command takes. */
static int parse_opts(const char *cmd, const char *allowed, const char *usage, int argc,
                      char **argv, adeis_run_opts *o)
{
  adeis_run_opts_init(o);
  optind = 1;
  opterr = 0;
  int c;
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
    default: return cli_getopt_error(cmd, c, optopt, argv[optind - 1]);
    }
  }
  return 0;
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

int adeis_cmd_study(int argc, char **argv)
{
  adeis_run_opts o;
  int rc = parse_opts("study", "ojqfhLN", study_usage, argc, argv, &o);
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
  if (!rc && !o.quiet)
    fprintf(stderr, "adeis study: %s: %zu points (%zu computed, %zu reused) in %.1f s\n", out.dir,
            out.n_points, out.computed, out.reused, out.wall_seconds);
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
  int rc = parse_opts("check", "jqfhP", check_usage, argc, argv, &o);
  if (rc)
    return rc < 0 ? 0 : rc;
  o.render = o.render == 2;
  if (optind >= argc)
    return cli_bad_option("check", "FILE.ini", "expected one or more study files (adeis check "
                                               "--help)");
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

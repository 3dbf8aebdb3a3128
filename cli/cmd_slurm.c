/* adeis slurm: write (and with --submit, submit) the Slurm jobs that run a study as shards
 * (a job array, one shard per task) and collect the results (docs/cluster.md). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli_opts.h"
#include "commands.h"
#include "../core/status.h"
#include "../studies/files.h"
#include "../studies/points.h"
#include "../studies/runner.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char slurm_usage[] =
  "usage: adeis slurm FILE.ini --shards N [-o DIR] [--time T] [--mem M] [--partition P]\n"
  "                  [--cpus-per-task C] [--account A] [--latex] [--no-plots] [--force]\n"
  "                  [--submit]\n\n"
  "Run a study on a Slurm cluster (docs/cluster.md): writes DIR/slurm/submit.sh, which\n"
  "submits a job array of N tasks (task K runs adeis study FILE.ini -o DIR --shard K/N)\n"
  "and a collect job (adeis study --collect) that starts once every task has succeeded\n"
  "and is cancelled when one fails. DIR must be on a file system every node shares, and\n"
  "this adeis, the study and its problem files at the same paths on every node. Running\n"
  "submit.sh again resumes: finished points are kept.\n\n"
  "options:\n"
  "  -o, --output DIR         output folder (default results/<study name>)\n"
  "      --shards N           number of shards (array tasks), 1 .. the study's points\n"
  "      --time T             sbatch --time for each job (e.g. 1:00:00)\n"
  "      --mem M              sbatch --mem for each job (e.g. 4G)\n"
  "      --partition P        sbatch --partition\n"
  "      --cpus-per-task C    sbatch --cpus-per-task, also the threads of each job (default 1)\n"
  "      --account A          sbatch --account\n"
  "      --latex, --no-plots  passed to the collect job (adeis study --help)\n"
  "  -f, --force              replace DIR/study.ini when it is another study's\n"
  "      --submit             run submit.sh now and print the job ids\n"
  "  -h, --help               print this help\n\n"
  "Exit codes: 0 success, 2 bad input, a folder in use or another study's, or a failed\n"
  "submission (sbatch's message is shown).\n";

enum { O_SHARDS = 256, O_TIME, O_MEM, O_PARTITION, O_CPUS, O_ACCOUNT, O_LATEX, O_NO_PLOTS,
       O_SUBMIT };

static const struct option long_opts[] = {
  {"output", required_argument, NULL, 'o'},
  {"shards", required_argument, NULL, O_SHARDS},
  {"time", required_argument, NULL, O_TIME},
  {"mem", required_argument, NULL, O_MEM},
  {"partition", required_argument, NULL, O_PARTITION},
  {"cpus-per-task", required_argument, NULL, O_CPUS},
  {"account", required_argument, NULL, O_ACCOUNT},
  {"latex", no_argument, NULL, O_LATEX},
  {"no-plots", no_argument, NULL, O_NO_PLOTS},
  {"force", no_argument, NULL, 'f'},
  {"submit", no_argument, NULL, O_SUBMIT},
  {"help", no_argument, NULL, 'h'},
  {NULL, 0, NULL, 0},
};

typedef struct slurm_opts {
  adeis_run_opts run;                        /* dir, force, latex, render */
  long shards, cpus;
  const char *sbatch[4];                     /* --time, --mem, --partition, --account */
  int submit;
} slurm_opts;

static const char *const sbatch_names[4] = {"time", "mem", "partition", "account"};

/* A value that goes into the scripts: printable, no newline. */
static int printable(const char *text)
{
  for (const char *p = text; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      return 0;
  return 1;
}

static int sbatch_value(const char *name, const char *text, const char **slot)
{
  if (!*text || !printable(text))
    return cli_bad_option("slurm", name, "expected a non-empty value without control "
                          "characters");
  *slot = text;
  return 0;
}

static int parse_slurm_opts(int argc, char **argv, slurm_opts *o)
{
  memset(o, 0, sizeof *o);
  adeis_run_opts_init(&o->run);
  o->cpus = 1;
  optind = 1;
  opterr = 0;
  int c, rc = 0;
  while (!rc && (c = getopt_long(argc, argv, ":o:fh", long_opts, NULL)) != -1) {
    switch (c) {
    case 'h': fputs(slurm_usage, stdout); return -1;
    case 'o': o->run.dir = optarg; break;
    case 'f': o->run.force = 1; break;
    case O_SHARDS:
      if (cli_parse_long(optarg, 1, ADEIS_MAX_SHARDS, &o->shards))
        rc = cli_bad_option("slurm", "--shards", "expected a shard count in 1..%d, got '%s'",
                            ADEIS_MAX_SHARDS, optarg);
      break;
    case O_CPUS:
      if (cli_parse_long(optarg, 1, 4096, &o->cpus))
        rc = cli_bad_option("slurm", "--cpus-per-task", "expected 1..4096, got '%s'", optarg);
      break;
    case O_TIME: rc = sbatch_value("--time", optarg, &o->sbatch[0]); break;
    case O_MEM: rc = sbatch_value("--mem", optarg, &o->sbatch[1]); break;
    case O_PARTITION: rc = sbatch_value("--partition", optarg, &o->sbatch[2]); break;
    case O_ACCOUNT: rc = sbatch_value("--account", optarg, &o->sbatch[3]); break;
    case O_LATEX: o->run.latex = 1; break;
    case O_NO_PLOTS: o->run.render = 0; break;
    case O_SUBMIT: o->submit = 1; break;
    default: return cli_getopt_error("slurm", c, optopt, argv[optind - 1]);
    }
  }
  if (!rc && !o->shards)
    rc = cli_bad_option("slurm", "--shards", "expected the number of shards (adeis slurm --help)");
  return rc;
}

/* text as one single-quoted shell word. */
static void shell_word(adeis_sbuf *b, const char *text)
{
  adeis_sbuf_append(b, "'", 1);
  for (const char *p = text; *p; p++)
    if (*p == '\'')
      adeis_sbuf_append(b, "'\\''", 4);
    else
      adeis_sbuf_append(b, p, 1);
  adeis_sbuf_append(b, "'", 1);
}

#define SLURM_DIR_MAX (PATH_MAX + 16)

typedef struct job_paths {
  const char *adeis, *study, *dir, *name;
} job_paths;

/* The batch script of the array tasks (shard) or of the collect job. */
static void job_script(adeis_sbuf *b, const job_paths *p, const slurm_opts *o, int collect)
{
  adeis_sbuf_printf(b, "#!/bin/sh\n# Written by adeis slurm (docs/cluster.md): %s of study %s.\n",
                    collect ? "the collect job" : "one shard (the array task's index)", p->name);
  adeis_sbuf_printf(b, "exec ");
  shell_word(b, p->adeis);
  adeis_sbuf_printf(b, " study ");
  shell_word(b, p->study);
  adeis_sbuf_printf(b, " -o ");
  shell_word(b, p->dir);
  if (collect)
    adeis_sbuf_printf(b, " --collect --shards %ld%s%s", o->shards, o->run.latex ? " --latex" : "",
                      o->run.render ? "" : " --no-plots");
  else
    adeis_sbuf_printf(b, " --shard \"$SLURM_ARRAY_TASK_ID/%ld\"", o->shards);
  adeis_sbuf_printf(b, " -j \"${SLURM_CPUS_PER_TASK:-1}\"\n");
}

/* The sbatch options both jobs share. */
static void sbatch_options(adeis_sbuf *b, const slurm_opts *o)
{
  adeis_sbuf_printf(b, " --cpus-per-task=%ld", o->cpus);
  for (int k = 0; k < 4; k++)
    if (o->sbatch[k]) {
      adeis_sbuf word = {0};
      adeis_sbuf_printf(&word, "--%s=%s", sbatch_names[k], o->sbatch[k]);
      adeis_sbuf_printf(b, " ");
      shell_word(b, word.s ? word.s : "");
      adeis_sbuf_free(&word);
    }
}

static void submit_script(adeis_sbuf *b, const job_paths *p, const slurm_opts *o,
                          const char *slurm_dir)
{
  adeis_sbuf_printf(b, "#!/bin/sh\n"
                    "# Written by adeis slurm (docs/cluster.md): study %s as %ld shards.\n"
                    "# A job array runs shard.sh, one shard per task; collect.sh runs once every\n"
                    "# task has succeeded (afterok) and is cancelled when one fails\n"
                    "# (--kill-on-invalid-dep=yes). Run this script again to resume: finished\n"
                    "# points are kept and each shard computes only what is missing.\n"
                    "set -eu\n"
                    "array=$(sbatch --parsable --job-name=", p->name, o->shards);
  char job[300];
  snprintf(job, sizeof job, "adeis-%s", p->name);
  shell_word(b, job);
  adeis_sbuf_printf(b, " --array=0-%ld", o->shards - 1);
  sbatch_options(b, o);
  adeis_sbuf_printf(b, " --output=");
  char *out = adeis_path_join(slurm_dir, "shard-%A_%a.out");
  shell_word(b, out ? out : "");
  free(out);
  adeis_sbuf_printf(b, " ");
  char *sh = adeis_path_join(slurm_dir, "shard.sh");
  shell_word(b, sh ? sh : "");
  free(sh);
  adeis_sbuf_printf(b, ")\narray=${array%%%%;*}\n"
                    "collect=$(sbatch --parsable --job-name=");
  snprintf(job, sizeof job, "adeis-%s-collect", p->name);
  shell_word(b, job);
  adeis_sbuf_printf(b, " --dependency=\"afterok:$array\" --kill-on-invalid-dep=yes");
  sbatch_options(b, o);
  adeis_sbuf_printf(b, " --output=");
  out = adeis_path_join(slurm_dir, "collect-%j.out");
  shell_word(b, out ? out : "");
  free(out);
  adeis_sbuf_printf(b, " ");
  sh = adeis_path_join(slurm_dir, "collect.sh");
  shell_word(b, sh ? sh : "");
  free(sh);
  adeis_sbuf_printf(b, ")\ncollect=${collect%%%%;*}\n"
                    "echo \"array job $array (%ld shards), collect job $collect\"\n", o->shards);
}

static int write_script(const char *dir, const char *name, adeis_sbuf *b)
{
  char *path = adeis_path_join(dir, name);
  int rc = 0;
  if (b->oom || !path) {
    fprintf(stderr, "adeis slurm: out of memory\n");
    rc = 3;
  } else if (adeis_file_write_atomic(dir, name, b->s, b->len) || chmod(path, 0755)) {
    fprintf(stderr, "adeis slurm: %s: cannot write (%s)\n", path, strerror(errno));
    rc = 2;
  }
  free(path);
  adeis_sbuf_free(b);
  return rc;
}

/* Absolute paths of this program, the study file and the folder. */
static int absolute_paths(const char *study, const char *dir, char *adeis, char *study_abs,
                          char *dir_abs)
{
  ssize_t n = readlink("/proc/self/exe", adeis, PATH_MAX - 1);
  if (n <= 0) {
    fprintf(stderr, "adeis slurm: cannot find this program's path (%s)\n", strerror(errno));
    return 2;
  }
  adeis[n] = '\0';
  if (!realpath(study, study_abs) || !realpath(dir, dir_abs)) {
    fprintf(stderr, "adeis slurm: %s: %s\n", study_abs[0] ? dir : study, strerror(errno));
    return 2;
  }
  const char *paths[3] = {adeis, study_abs, dir_abs};
  for (int k = 0; k < 3; k++)
    if (!printable(paths[k]) || (k == 2 && strchr(paths[k], '%'))) {
      fprintf(stderr, "adeis slurm: %s: expected a path without control characters%s\n",
              paths[k], k == 2 ? " or '%' (sbatch reads %-patterns in --output)" : "");
      return 2;
    }
  return 0;
}

static int write_scripts(const adeis_study *s, const slurm_opts *o, const char *dir,
                         char *slurm_dir)
{
  static char adeis[PATH_MAX], study[PATH_MAX], dir_abs[PATH_MAX];
  study[0] = '\0';
  int rc = absolute_paths(s->path, dir, adeis, study, dir_abs);
  if (rc)
    return rc;
  snprintf(slurm_dir, SLURM_DIR_MAX, "%s/slurm", dir_abs);
  if (adeis_mkdir_p(slurm_dir)) {
    fprintf(stderr, "adeis slurm: %s: cannot create (%s)\n", slurm_dir, strerror(errno));
    return 2;
  }
  job_paths p = {adeis, study, dir_abs, s->name};
  adeis_sbuf b = {0};
  job_script(&b, &p, o, 0);
  if ((rc = write_script(slurm_dir, "shard.sh", &b)))
    return rc;
  job_script(&b, &p, o, 1);
  if ((rc = write_script(slurm_dir, "collect.sh", &b)))
    return rc;
  submit_script(&b, &p, o, slurm_dir);
  return write_script(slurm_dir, "submit.sh", &b);
}

/* sh DIR/slurm/submit.sh, its output passed through. */
static int submit(const char *slurm_dir)
{
  char script[SLURM_DIR_MAX + 16];
  snprintf(script, sizeof script, "%s/submit.sh", slurm_dir);
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "adeis slurm: cannot start %s (%s)\n", script, strerror(errno));
    return 2;
  }
  if (pid == 0) {
    execl("/bin/sh", "sh", script, (char *)NULL);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return 2;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  fprintf(stderr, "adeis slurm: submitting failed: %s exited with status %d (sbatch's message "
          "is above)\n", script, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return 2;
}

int adeis_cmd_slurm(int argc, char **argv)
{
  slurm_opts o;
  int rc = parse_slurm_opts(argc, argv, &o);
  if (rc)
    return rc < 0 ? 0 : rc;
  if (optind != argc - 1)
    return cli_bad_option("slurm", optind < argc ? argv[optind + 1] : "FILE.ini",
                          "%s (adeis slurm --help)",
                          optind < argc ? "unexpected argument" : "expected one study file");
  adeis_study s;
  if ((rc = adeis_study_load(argv[optind], &s))) {
    fprintf(stderr, "adeis slurm: %s\n", adeis_errmsg());
    return cli_exit_code(rc);
  }
  size_t n = adeis_points_count(&s);
  char *dir = NULL;
  static char slurm_dir[SLURM_DIR_MAX];
  o.run.n_shards = (size_t)o.shards;
  if ((size_t)o.shards > n)
    rc = cli_bad_option("slurm", "--shards", "expected at most the study's %zu points, got %ld",
                        n, o.shards);
  else if ((rc = adeis_study_prepare(&s, &o.run, &dir))) {
    fprintf(stderr, "adeis slurm: %s: %s\n", s.path, adeis_errmsg());
    rc = cli_exit_code(rc);
  } else if (!(rc = write_scripts(&s, &o, dir, slurm_dir))) {
    if (o.submit)
      rc = submit(slurm_dir);
    else
      printf("%s/submit.sh\n", slurm_dir);
  }
  free(dir);
  adeis_study_clear(&s);
  return rc;
}

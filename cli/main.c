/* adeis <subcommand> [options]: dispatch to the subcommands of cli/commands.h. */
#include "commands.h"

#include <stdio.h>
#include <string.h>

#define ADEIS_VERSION "0.1.0"

typedef struct subcommand {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} subcommand;

static const subcommand subcommands[] = {
  {"list", adeis_cmd_list, "print the methods (with their orders), schedules, grids, state modes "
                           "and problem types"},
  {"grad", adeis_cmd_grad, "compute one gradient of a problem file and compare it with the exact one"},
  {"study", adeis_cmd_study, "run a convergence study from a study file"},
  {"check", adeis_cmd_check, "run a study and check the fitted orders (exit 1 when off)"},
  {"plot", adeis_cmd_plot, "redraw the figures of a study's results"},
  {"slurm", adeis_cmd_slurm, "run a study on a Slurm cluster: shards as a job array, then collect"},
  {"train", adeis_cmd_train, "train a noise predictor (Fashion-MNIST or a mixture's samples)"},
  {"sample", adeis_cmd_sample, "draw images from a trained unet into a PNG grid (one row per class)"},
};

#define N_SUBCOMMANDS (sizeof subcommands / sizeof *subcommands)

static void usage(FILE *out)
{
  fputs("usage: adeis <command> [options]\n"
        "       adeis --help | --version\n\n"
        "Numerical verification of gradients through diffusion samplers.\n\n"
        "commands:\n",
        out);
  for (size_t i = 0; i < N_SUBCOMMANDS; i++)
    fprintf(out, "  %-7s %s\n", subcommands[i].name, subcommands[i].summary);
  fputs("\n'adeis <command> --help' shows a command's options.\n"
        "Exit codes: 0 success, 1 a check failed, 2 bad input or usage, 3 numerical failure.\n",
        out);
}

static const subcommand *find_subcommand(const char *name)
{
  for (size_t i = 0; i < N_SUBCOMMANDS; i++)
    if (strcmp(subcommands[i].name, name) == 0)
      return &subcommands[i];
  return NULL;
}

/* A failed write to stdout (full disk, closed pipe) must not pass for success. */
static int finish(int rc)
{
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fputs("adeis: error writing the output\n", stderr);
    return rc ? rc : 3;
  }
  return rc;
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    if (strcmp(cmd, "help") == 0 && argc > 2 && find_subcommand(argv[2]))
      return finish(find_subcommand(argv[2])->run(2, (char *[]){argv[2], "--help", NULL}));
    usage(stdout);
    return finish(0);
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
    puts("adeis " ADEIS_VERSION);
    return finish(0);
  }
  const subcommand *sc = find_subcommand(cmd);
  if (!sc) {
    fprintf(stderr, "adeis: unknown command '%s'; expected one of list, grad, study, check, plot, slurm, train, sample "
                    "(adeis --help)\n", cmd);
    return 2;
  }
  return finish(sc->run(argc - 1, argv + 1));
}

/* adeis list: the method registry and every other name a problem or option may use. */
#include "cli_opts.h"
#include "commands.h"
#include "../core/backend.h"
#include "../core/grid.h"
#include "../core/status.h"
#include "../core/schedule.h"
#include "../runs/registry.h"
#include "../solvers/adjoint.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char list_usage[] =
  "usage: adeis list [--help]\n\n"
  "Print the registered adjoint methods (name, theoretical order, family, summary),\n"
  "the schedules, time grids, state modes and problem types, by the names that\n"
  "problem files and 'adeis grad' options use.\n";

static const char *family_name(adeis_method_family f)
{
  switch (f) {
  case ADEIS_FAMILY_ADJDEIS: return "adjdeis";
  case ADEIS_FAMILY_RK: return "rk";
  case ADEIS_FAMILY_ADAPTIVE: return "adaptive";
  case ADEIS_FAMILY_DTO: return "discrete";
  }
  return "?";
}

static int method_name_width(void)
{
  size_t w = strlen("name");
  for (size_t i = 0; adeis_methods[i]; i++)
    if (strlen(adeis_methods[i]->name) > w)
      w = strlen(adeis_methods[i]->name);
  return (int)w;
}

static void list_methods(void)
{
  int w = method_name_width();
  printf("methods\n  %-*s  %5s  %-8s  %s\n", w, "name", "order", "family", "summary");
  for (size_t i = 0; adeis_methods[i]; i++) {
    const adeis_method *m = adeis_methods[i];
    printf("  %-*s  %5u  %-8s  %s\n", w, m->name, m->order, family_name(m->family),
           m->summary ? m->summary : "");
  }
}

static void list_schedules(void)
{
  printf("\nschedules\n  %-10s  %-8s  %-8s  %s\n", "name", "T", "t_end", "kind");
  for (size_t i = 0; adeis_schedule_types[i]; i++) {
    const adeis_schedule_type *s = adeis_schedule_types[i];
    printf("  %-10s  %-8s  %-8s  %s\n", s->name, s->T_default, s->t_end_default,
           s->variance_preserving ? "variance preserving" : "variance exploding");
  }
}

static void list_grids(void)
{
  static const char *const what[ADEIS_GRID_COUNT] = {
    [ADEIS_GRID_UNIFORM_T] = "uniform in t",
    [ADEIS_GRID_UNIFORM_LAMBDA] = "uniform in log-SNR lambda (default)",
    [ADEIS_GRID_QUADRATIC_T] = "quadratic in t (DDIM)",
    [ADEIS_GRID_EDM_RHO] = "EDM, rho = 7, on sigma",
  };
  printf("\ngrids\n");
  for (int k = 0; k < ADEIS_GRID_COUNT; k++)
    printf("  %-14s  %s\n", adeis_grid_name((adeis_grid_kind)k), what[k] ? what[k] : "");
}

static void list_states(void)
{
  static const char *const what[ADEIS_STATE_COUNT] = {
    [ADEIS_STATE_ORACLE] = "exact x_t from the closed-form flow (default)",
    [ADEIS_STATE_CACHED] = "states stored by the forward sampler",
    [ADEIS_STATE_BACKSOLVE] = "x_t integrated backwards with the adjoint (ODE only)",
  };
  printf("\nstate modes\n");
  for (int k = 0; k < ADEIS_STATE_COUNT; k++)
    printf("  %-10s  %s\n", adeis_state_name((adeis_state_mode)k), what[k] ? what[k] : "");
}

static void list_backends(void)
{
  printf("\nvector backends (--backend)\n");
  for (size_t i = 0; adeis_backend_types[i]; i++) {
    const adeis_backend_type *t = adeis_backend_types[i];
    int ok = t->available();
    if (t->prec_min == t->prec_max)
      printf("  %-12s  %ld bits, %s%s%s\n", t->name, t->prec_min, t->device ? "device" : "host",
             ok ? "" : ": ", ok ? "" : adeis_errmsg());
    else
      printf("  %-12s  %ld..%ld bits (default %ld), %s\n", t->name, t->prec_min, t->prec_max,
             t->prec_default, t->device ? "device" : "host");
  }
  if (adeis_backend_cuda_built())
    printf("  (CUDA backends built)\n");
  else
    printf("  (CUDA backends cuda-float, cuda-double not built: make found no nvcc with cudart and cuBLAS)\n");
}

static void list_problem_types(void)
{
  printf("\nproblem types\n");
  for (size_t i = 0; adeis_model_types[i]; i++)
    printf("  %-10s  %s\n", adeis_model_types[i]->name, adeis_model_types[i]->summary);
  printf("\nloss types\n");
  for (size_t i = 0; adeis_loss_types[i]; i++)
    printf("  %-10s  %s\n", adeis_loss_types[i]->name, adeis_loss_types[i]->summary);
}

int adeis_cmd_list(int argc, char **argv)
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (c == 'h') {
      fputs(list_usage, stdout);
      return 0;
    }
    return cli_getopt_error("list", c, optopt, argv[optind - 1]);
  }
  if (optind < argc)
    return cli_bad_option("list", argv[optind], "unexpected argument (adeis list --help)");
  list_methods();
  list_schedules();
  list_grids();
  list_states();
  list_backends();
  list_problem_types();
  return 0;
}

/* The adeis subcommands: each parses its arguments and calls the library.
 * Each returns the process exit code (0 ok, 1 check failed, 2 bad input, 3 numerical failure). */
#ifndef ADEIS_COMMANDS_H
#define ADEIS_COMMANDS_H

int adeis_cmd_list(int argc, char **argv);   /* cli/cmd_list.c */
int adeis_cmd_grad(int argc, char **argv);   /* cli/cmd_grad.c */
int adeis_cmd_study(int argc, char **argv);  /* cli/cmd_study.c */
int adeis_cmd_check(int argc, char **argv);  /* cli/cmd_study.c */
int adeis_cmd_plot(int argc, char **argv);   /* cli/cmd_study.c */
int adeis_cmd_slurm(int argc, char **argv);  /* cli/cmd_slurm.c */
int adeis_cmd_train(int argc, char **argv);  /* cli/cmd_train.c */
int adeis_cmd_sample(int argc, char **argv); /* cli/cmd_sample.c */

#endif

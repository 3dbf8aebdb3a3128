/* Small helpers shared by the subcommands: option errors and number parsing. */
#ifndef ADEIS_CLI_OPTS_H
#define ADEIS_CLI_OPTS_H

/* Print "adeis CMD: OPTION: message" on stderr and return 2 (bad usage). */
int cli_bad_option(const char *cmd, const char *option, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

/* 0 and *out when text is a decimal integer in lo..hi (nothing else, no blanks). */
int cli_parse_long(const char *text, long lo, long hi, long *out);

/* 0 and *out when text is a finite decimal number (nothing else). */
int cli_parse_double(const char *text, double *out);

/* Exit code for a library status (core/status.h): 2 bad input, 3 numerical or memory, 1 check. */
int cli_exit_code(int status);

/* Report an unknown option or a missing argument the way every subcommand does;
 * returns 2. c is what getopt_long returned (':' or '?'), arg the offending word. */
int cli_getopt_error(const char *cmd, int c, int optopt_value, const char *arg);

#endif

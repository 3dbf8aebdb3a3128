#include "cli_opts.h"
#include "../core/status.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int cli_bad_option(const char *cmd, const char *option, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "adeis %s: %s: ", cmd, option);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 2;
}

int cli_parse_long(const char *text, long lo, long hi, long *out)
{
  if (!text || !(isdigit((unsigned char)*text) || *text == '-' || *text == '+'))
    return -1;
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno || end == text || *end || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

int cli_parse_double(const char *text, double *out)
{
  if (!text || !*text || isspace((unsigned char)*text))
    return -1;
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end || !isfinite(v))
    return -1;
  *out = v;
  return 0;
}

int cli_exit_code(int status)
{
  switch (status) {
  case ADEIS_OK: return 0;
  case ADEIS_ECHECK: return 1;
  case ADEIS_EINPUT: return 2;
  default: return 3;
  }
}

int cli_getopt_error(const char *cmd, int c, int optopt_value, const char *arg)
{
  if (c == ':')
    fprintf(stderr, "adeis %s: %s: missing its argument (adeis %s --help)\n", cmd, arg ? arg : "?",
            cmd);
  else if (optopt_value)
    fprintf(stderr, "adeis %s: -%c: unknown option (adeis %s --help)\n", cmd, optopt_value, cmd);
  else
    fprintf(stderr, "adeis %s: %s: unknown option (adeis %s --help)\n", cmd, arg ? arg : "?", cmd);
  return 2;
}

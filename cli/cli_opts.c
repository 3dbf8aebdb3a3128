#include "cli_opts.h"
#include "../core/status.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The word as typed, up to '=' for a long option, with bytes that are not printable ASCII
 * written as \xNN (a terminal must not receive control characters from a typo). */
static void put_option_word(const char *word, size_t n)
{
  for (size_t i = 0; i < n && word[i]; i++) {
    unsigned char ch = (unsigned char)word[i];
    if (ch >= 0x20 && ch < 0x7f)
      fputc(ch, stderr);
    else
      fprintf(stderr, "\\x%02X", ch);
  }
}

int cli_getopt_error(const char *cmd, int c, int optopt_value, const char *arg)
{
  const char *word = arg ? arg : "?";
  int is_long = strncmp(word, "--", 2) == 0;
  const char *eq = is_long ? strchr(word, '=') : NULL;
  const char *what = c == ':' ? "missing its argument"
                     /* getopt_long sets optopt to a known long option's value when it was
                      * given "=VALUE" but takes none; an unknown one leaves optopt 0 */
                     : eq && optopt_value ? "takes no value"
                     : "unknown option";
  fprintf(stderr, "adeis %s: ", cmd);
  if (is_long || c == ':')
    put_option_word(word, eq ? (size_t)(eq - word) : strlen(word));
  else if (optopt_value > 0x20 && optopt_value < 0x7f)
    fprintf(stderr, "-%c", optopt_value);
  else
    put_option_word(word, strlen(word));
  fprintf(stderr, ": %s (adeis %s --help)\n", what, cmd);
  return 2;
}

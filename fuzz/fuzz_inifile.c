/* libFuzzer target: the shared INI line reader (core/inifile.h) under inih, with every
 * line classified as the problem and study parsers do and each pair handed to a handler
 * that reads what it is given. Input: any bytes, read through fmemopen. */
#include "../core/inifile.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const sections[] = {"study", "methods", "check"};

typedef struct fuzz_ctx {
  adeis_ini_reader r;
  size_t seen;     /* bytes of keys and values handed over */
} fuzz_ctx;

static char *feed(char *str, int num, void *stream)
{
  fuzz_ctx *c = stream;
  int indented;
  char *s = adeis_ini_next_line(&c->r, &indented);
  if (!s)
    return NULL;
  adeis_ini_classify(&c->r, s, indented);
  snprintf(str, (size_t)num, "%s%s\n", c->r.cont ? " " : "", s);
  return str;
}

static int on_pair(void *user, const char *section, const char *name, const char *value)
{
  fuzz_ctx *c = user;
  c->seen += strlen(section) + strlen(name) + strlen(value);
  if (!*name && !c->r.cont)
    __builtin_trap();   /* an empty key name must never reach a handler */
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  FILE *f = fmemopen((void *)data, size, "r");
  if (!f)
    return 0;
  fuzz_ctx c = {0};
  adeis_ini_reader_init(&c.r, "fuzz.ini", f, sections, 3);
  c.r.unique_sections = size & 1;
  adeis_ini_parse(&c.r, feed, &c, on_pair, &c);
  if (c.r.has_error && strncmp(c.r.msg, "fuzz.ini:", 9) != 0)
    __builtin_trap();   /* every message names the file */
  fclose(f);
  adeis_ini_reader_clear(&c.r);
  return 0;
}

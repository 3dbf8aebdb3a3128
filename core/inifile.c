/* INI line reading shared by the problem-file and study-file parsers (inifile.h). */
#include "inifile.h"
#include "status.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define UTF8_BOM "\xEF\xBB\xBF"

void adeis_ini_reader_init(adeis_ini_reader *r, const char *path, FILE *f,
                           const char *const *sections, int n_sections)
{
  memset(r, 0, sizeof *r);
  r->path = path;
  r->f = f;
  r->sections = sections;
  r->n_sections = n_sections < ADEIS_INI_MAX_SECTIONS ? n_sections : ADEIS_INI_MAX_SECTIONS;
  r->what_cap = ADEIS_INI_WHAT_MAX;
}

void adeis_ini_reader_clear(adeis_ini_reader *r)
{
  free(r->buf);
  r->buf = NULL;
  r->cap = 0;
}

/* ---- strings ---- */

char *adeis_ini_lskip(char *s)
{
  while (*s && isspace((unsigned char)*s))
    s++;
  return s;
}

void adeis_ini_rstrip(char *s)
{
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1]))
    s[--n] = '\0';
}

void adeis_ini_cut_comment(char *s)
{
  for (char *p = s; *p; p++)
    if (*p == ';' && (p == s || isspace((unsigned char)p[-1]))) {
      *p = '\0';
      return;
    }
}

const char *adeis_ini_label(char *buf, size_t n, const char *section, const char *key)
{
  snprintf(buf, n, "%s.%s", section, key);
  return buf;
}

/* ---- errors ---- */

void adeis_ini_fail(adeis_ini_reader *r, int line, const char *key, const char *fmt, ...)
{
  if (r->has_error)
    return;
  char what[ADEIS_INI_WHAT_MAX];
  size_t cap = r->what_cap && r->what_cap < sizeof what ? r->what_cap : sizeof what;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, cap, fmt, ap);
  va_end(ap);
  const char *path = r->path ? r->path : "?";
  size_t n = strlen(path) + strlen(key) + strlen(what) + 32;
  char *full = malloc(n);
  if (full) {
    snprintf(full, n, "%s:%d: %s: %s", path, line, key, what);
    adeis_abbreviate_middle(r->msg, sizeof r->msg, full);
    free(full);
  } else {
    snprintf(r->msg, sizeof r->msg, "%s:%d: %s: %s", path, line, key, what);
  }
  r->has_error = 1;
}

void adeis_ini_fail_oom(adeis_ini_reader *r)
{
  adeis_ini_fail(r, r->lineno, "file", "out of memory");
  r->oom = 1;
}

void adeis_ini_fail_syntax(adeis_ini_reader *r, int line)
{
  adeis_ini_fail(r, line, "file", "expected 'key = value', '[section]' or a comment");
}

/* ---- sections ---- */

int adeis_ini_section_id(const adeis_ini_reader *r, const char *name)
{
  for (int i = 0; i < r->n_sections; i++)
    if (strcmp(r->sections[i], name) == 0)
      return i;
  return -1;
}

const char *adeis_ini_section_list(const adeis_ini_reader *r, char *buf, size_t n)
{
  buf[0] = '\0';
  for (int i = 0; i < r->n_sections; i++) {
    size_t len = strlen(buf);
    const char *sep = i == 0 ? "" : i == r->n_sections - 1 ? " or " : ", ";
    snprintf(buf + len, n - len, "%s[%s]", sep, r->sections[i]);
  }
  return buf;
}

/* A known section name: report it if unknown or (with unique_sections) repeated,
 * else note its first line. */
static void note_section(adeis_ini_reader *r, const char *name)
{
  int id = adeis_ini_section_id(r, name);
  if (id < 0) {
    char list[128];
    adeis_ini_fail(r, r->lineno, "file", "unknown section [%.60s]; expected %s", name,
                   adeis_ini_section_list(r, list, sizeof list));
  } else if (!r->section_line[id]) {
    r->section_line[id] = r->lineno;
  } else if (r->unique_sections) {
    adeis_ini_fail(r, r->lineno, "file", "section [%s] given twice (first on line %d)", name,
                   r->section_line[id]);
  }
}

void adeis_ini_section_line(adeis_ini_reader *r, char *s)
{
  char *end = strchr(s, ']');
  if (!end || *adeis_ini_lskip(end + 1)) {
    adeis_ini_fail(r, r->lineno, "file", "expected '[section]' alone on its line, got '%.60s'", s);
    *s = '\0';
    return;
  }
  *end = '\0';
  char *name = adeis_ini_lskip(s + 1);
  adeis_ini_rstrip(name);
  note_section(r, name);
  memmove(s + 1, name, strlen(name) + 1);
  strcat(s, "]");
}

/* ---- lines ---- */

/* One physical line into r->buf (with its newline), at most ADEIS_INI_MAX_LINE bytes and no NUL:
 * a binary file or an endless line (/dev/zero) is an input error, not a memory exhaustion. */
static int read_physical_line(adeis_ini_reader *r)
{
  size_t n = 0;
  int ch = EOF;
  errno = 0;
  while ((ch = getc_unlocked(r->f)) != EOF) {
    if (n + 2 > r->cap) {
      size_t cap = r->cap ? 2 * r->cap : 256;
      char *b = realloc(r->buf, cap);
      if (!b) {
        adeis_ini_fail_oom(r);
        return -1;
      }
      r->buf = b;
      r->cap = cap;
    }
    if (ch == '\0') {
      adeis_ini_fail(r, r->lineno + 1, "file", "expected text, found a NUL byte (a binary file?)");
      return -1;
    }
    r->buf[n++] = (char)ch;
    if (ch == '\n')
      break;
    if (n > ADEIS_INI_MAX_LINE) {
      adeis_ini_fail(r, r->lineno + 1, "file",
                     "line longer than %lu MiB; continue long lists on indented lines",
                     (unsigned long)(ADEIS_INI_MAX_LINE >> 20));
      return -1;
    }
  }
  if (n == 0) {
    r->read_errno = ferror(r->f) ? (errno ? errno : EIO) : 0;
    return -1;
  }
  r->buf[n] = '\0';
  return 0;
}

char *adeis_ini_next_line(adeis_ini_reader *r, int *indented)
{
  if (read_physical_line(r) != 0)
    return NULL;
  r->lineno++;
  char *s = r->buf;
  if (r->lineno == 1 && strncmp(s, UTF8_BOM, 3) == 0)
    s += 3;
  adeis_ini_cut_comment(s);
  adeis_ini_rstrip(s);
  *indented = isspace((unsigned char)*s) != 0;
  s = adeis_ini_lskip(s);
  /* inih drops a BOM at the start of the first line it is handed, so a BOM left there
   * (after blanks, or a second one) must go too, or inih would see another line than the
   * one classified (" \xEF\xBB\xBF= 3" would reach the handler with an empty key) */
  while (r->lineno == 1 && strncmp(s, UTF8_BOM, 3) == 0)
    s = adeis_ini_lskip(s + 3);
  return s;
}

void adeis_ini_classify(adeis_ini_reader *r, char *s, int may_continue)
{
  r->cont = 0;
  if (*s == '#') {
    *s = '\0';
  } else if (*s == '[') {
    adeis_ini_section_line(r, s);
  } else if (*s == '=' || *s == ':') {
    adeis_ini_fail(r, r->lineno, "file", "expected a key name before '%c', got '%.60s'", *s, s);
    *s = '\0';
  } else if (*s && !strpbrk(s, "=:")) {
    if (may_continue) {
      r->cont = 1;
    } else {
      adeis_ini_fail(r, r->lineno, "file",
                     "expected 'key = value', '[section]' or a comment, got '%.60s'", s);
      *s = '\0';
    }
  }
}

int adeis_ini_parse(adeis_ini_reader *r, ini_reader reader, void *stream, ini_handler handler,
                    void *user)
{
  int rc = ini_parse_stream(reader, stream, handler, user);
  if (!r->read_errno)
    return rc;
  adeis_ini_fail(r, r->lineno, "file", "cannot read (%s)", strerror(r->read_errno));
  return 0;
}

#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char errbuf[ADEIS_ERRMSG_MAX];

const char *adeis_errmsg(void) { return errbuf; }

/* A cut at byte k moved back to the start of a UTF-8 character. */
static size_t char_start(const char *s, size_t k)
{
  while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
    k--;
  return k;
}

size_t adeis_abbreviate_middle(char *dst, size_t cap, const char *src)
{
  static const char gap[] = " [...] ";
  size_t n = strlen(src);
  if (cap == 0)
    return n;
  if (n < cap || cap < sizeof gap + 2) {
    snprintf(dst, cap, "%s", src);
    return n;
  }
  /* a quarter of the room for the start (the file and line), the rest for the end (the
   * reason, which comes last) */
  size_t room = cap - sizeof gap;           /* bytes of src kept, the NUL counted in gap */
  size_t head = char_start(src, room / 4);
  size_t tail_from = n - (room - room / 4);
  while (tail_from < n && ((unsigned char)src[tail_from] & 0xC0) == 0x80)
    tail_from++;
  memmove(dst, src, head);                  /* src may be dst (in place) */
  memcpy(dst + head, gap, sizeof gap - 1);
  memmove(dst + head + sizeof gap - 1, src + tail_from, n - tail_from + 1);
  return n;
}

void adeis_set_error(const char *fmt, ...)
{
  /* formatted apart first: an argument may be adeis_errmsg() itself */
  va_list ap;
  va_start(ap, fmt);
  va_list again;
  va_copy(again, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (text) {
    vsnprintf(text, (size_t)n + 1, fmt, again);
    adeis_abbreviate_middle(errbuf, sizeof errbuf, text);
    free(text);
  } else {
    char small[256];
    vsnprintf(small, sizeof small, fmt, again);
    snprintf(errbuf, sizeof errbuf, "%s", small);
  }
  va_end(again);
}

/* Status codes shared by every module (docs/design.md: exit codes). */
#ifndef ADEIS_STATUS_H
#define ADEIS_STATUS_H

#include <stddef.h>

enum adeis_status {
  ADEIS_OK = 0,
  ADEIS_ECHECK = 1,    /* a check failed (orders off) */
  ADEIS_EINPUT = 2,    /* bad input or usage */
  ADEIS_ENUMERIC = 3,  /* NaN, infinity, divergence */
  ADEIS_ENOMEM = 4     /* allocation failure (reported as numeric failure by the CLI) */
};

/* Room for a message: two paths of PATH_MAX (4096) bytes and the words around them. */
#define ADEIS_ERRMSG_MAX 16384

/* Last error message (thread-local); set by the function that returns a nonzero status.
 * A message longer than ADEIS_ERRMSG_MAX - 1 bytes keeps its start and its end (the
 * reason) with " [...] " in place of the middle. */
const char *adeis_errmsg(void);
void adeis_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* src into dst (cap bytes): whole when it fits, else its first quarter, " [...] " and its
 * end, cut at UTF-8 character boundaries; dst may be src. Returns strlen(src). */
size_t adeis_abbreviate_middle(char *dst, size_t cap, const char *src);

#endif

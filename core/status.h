/* Status codes shared by every module (DESIGN.md: exit codes). */
#ifndef ADEIS_STATUS_H
#define ADEIS_STATUS_H

enum adeis_status {
  ADEIS_OK = 0,
  ADEIS_ECHECK = 1,    /* a check failed (orders off) */
  ADEIS_EINPUT = 2,    /* bad input or usage */
  ADEIS_ENUMERIC = 3,  /* NaN, infinity, divergence */
  ADEIS_ENOMEM = 4     /* allocation failure (reported as numeric failure by the CLI) */
};

/* Last error message (thread-local); set by the function that returns a nonzero status. */
const char *adeis_errmsg(void);
void adeis_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

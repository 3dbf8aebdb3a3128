#include "status.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char errbuf[512];

const char *adeis_errmsg(void) { return errbuf; }

void adeis_set_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errbuf, sizeof errbuf, fmt, ap);
  va_end(ap);
}

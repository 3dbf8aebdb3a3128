/* Temporary files of a render and their publication under the final names.
 *
 * Every temporary file is created by us, with O_EXCL | O_NOFOLLOW, in the folder of its
 * final name, as `.tmp.<final-name>.<PID>.<K>` with K random (the runner's convention: a
 * later run removes those of runs that have ended). gnuplot never opens a name in the folder: it
 * writes through /dev/fd/N to the file we created, or, for the cairolatex pair whose two names it
 * derives itself, into a private 0700 folder `.tmp.<name>-latex.<PID>.<K>` that it reaches
 * through /dev/fd/N/ as well. A figure is published only when complete (the format's
 * trailer), fsynced, and renamed. */
#define _GNU_SOURCE /* memmem; getrandom, fdopendir */
#include "publish.h"
#include "report.h"

#include "../core/status.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define TMP_PREFIX ".tmp."

static atomic_ulong counter;

char *adeis_publish_concat(const char *a, const char *b, const char *c)
{
  size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
  char *s = malloc(la + lb + lc + 1);
  if (!s)
    return NULL;
  memcpy(s, a, la);
  memcpy(s + la, b, lb);
  memcpy(s + la + lb, c, lc + 1);
  return s;
}

/* K of a temporary name: 64 random bits (getrandom), so that names cannot be guessed;
 * O_EXCL makes them safe even when they could. */
static unsigned long long tmp_key(void)
{
  unsigned long long k = 0;
  if (getrandom(&k, sizeof k, GRND_NONBLOCK) != (ssize_t)sizeof k) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    k = ((unsigned long long)ts.tv_nsec << 20) ^ (unsigned long long)ts.tv_sec;
  }
  return k ^ atomic_fetch_add(&counter, 1);
}

/* "DIR/.tmp.NAME.PID.K" for final = "DIR/NAME" (allocated). */
static char *tmp_path(const char *final)
{
  const char *slash = strrchr(final, '/');
  size_t dir_len = slash ? (size_t)(slash - final) + 1 : 0;
  size_t n = strlen(final) + sizeof TMP_PREFIX + 48;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%.*s%s%s.%ld.%llu", (int)dir_len, final, TMP_PREFIX, final + dir_len,
             (long)getpid(), tmp_key());
  return p;
}

int adeis_publish_create(const char *final, char **tmp)
{
  for (int tries = 0; tries < 100; tries++) {
    *tmp = tmp_path(final);
    if (!*tmp) {
      errno = ENOMEM;
      return -1;
    }
    int fd = open(*tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST)
      return fd;
    free(*tmp);
  }
  *tmp = NULL;
  errno = EEXIST;
  return -1;
}

int adeis_publish_private_dir(const char *final, char **tmp)
{
  for (int tries = 0; tries < 100; tries++) {
    *tmp = tmp_path(final);
    if (!*tmp) {
      errno = ENOMEM;
      return -1;
    }
    if (mkdir(*tmp, 0700) == 0) {
      int fd = open(*tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      struct stat sb;
      /* the folder we made: ours and private (a swapped-in one is refused) */
      if (fd >= 0 && fstat(fd, &sb) == 0 && sb.st_uid == geteuid() && (sb.st_mode & 077) == 0)
        return fd;
      int err = fd >= 0 ? EPERM : errno;
      if (fd >= 0)
        close(fd);
      free(*tmp); /* not ours to clean up: leave whatever is there alone */
      *tmp = NULL;
      errno = err;
      return -1;
    }
    if (errno != EEXIST)
      return -1;
    free(*tmp);
  }
  *tmp = NULL;
  errno = EEXIST;
  return -1;
}

/* ---- is it complete? ---- */

/* The last up to n bytes of fd (after trailing blanks when strip) into buf; returns their
 * count, -1 on a read error. */
static ssize_t tail(int fd, char *buf, size_t n, int strip, off_t *size)
{
  struct stat sb;
  if (fstat(fd, &sb) != 0)
    return -1;
  *size = sb.st_size;
  off_t from = sb.st_size > (off_t)n ? sb.st_size - (off_t)n : 0;
  ssize_t got = pread(fd, buf, (size_t)(sb.st_size - from), from);
  while (strip && got > 0 && strchr(" \t\r\n", buf[got - 1]))
    got--;
  return got;
}

static int ends_with(const char *buf, ssize_t len, const char *end, size_t n)
{
  return len >= (ssize_t)n && memcmp(buf + len - n, end, n) == 0;
}

static int starts_with(int fd, const char *magic, size_t n)
{
  char head[16];
  return n <= sizeof head && pread(fd, head, n, 0) == (ssize_t)n && memcmp(head, magic, n) == 0;
}

const char *adeis_publish_incomplete(int fd, adeis_publish_format fmt)
{
  static const char png_end[] = {0,   0,   0,          0,    'I',  'E',
                                 'N', 'D', (char)0xAE, 0x42, 0x60, (char)0x82};
  char buf[64];
  off_t size = 0;
  ssize_t n = tail(fd, buf, sizeof buf, fmt != ADEIS_FMT_PNG, &size);
  if (n < 0)
    return "cannot be read back";
  if (size == 0)
    return "is empty";
  switch (fmt) {
  case ADEIS_FMT_PNG:
    if (!starts_with(fd, "\x89PNG\r\n\x1a\n", 8))
      return "does not start as a PNG file";
    return ends_with(buf, n, png_end, sizeof png_end) ? NULL : "has no closing IEND chunk";
  case ADEIS_FMT_PDF:
    if (!starts_with(fd, "%PDF", 4))
      return "does not start as a PDF file";
    return ends_with(buf, n, "%%EOF", 5) ? NULL : "has no closing %%EOF";
  case ADEIS_FMT_SVG: return ends_with(buf, n, "</svg>", 6) ? NULL : "has no closing </svg>";
  case ADEIS_FMT_TEX:
    return ends_with(buf, n, "\\endgroup", 9) ? NULL : "has no closing \\endgroup";
  }
  return "is of an unknown format";
}

/* Why a write came out short: a (nearly) full file system says so; else gnuplot's words. */
static const char *cause(int fd)
{
  struct statvfs sv;
  if (fstatvfs(fd, &sv) == 0 && (unsigned long long)sv.f_bavail * sv.f_bsize < 65536)
    return strerror(ENOSPC);
  return "gnuplot's write failed";
}

/* ---- reproducible PDF dates ---- */

int adeis_source_date_epoch(long long *t)
{
  const char *v = getenv("SOURCE_DATE_EPOCH");
  if (!v)
    return 0;
  size_t n = strspn(v, "0123456789");
  if (n == 0 || n > 12 || v[n] != '\0')
    return -1;
  long long x = strtoll(v, NULL, 10);
  if (x > ADEIS_SOURCE_DATE_MAX)
    return -1;
  *t = x;
  return 1;
}

int adeis_source_date_check(void)
{
  long long t;
  if (adeis_source_date_epoch(&t) >= 0)
    return 0;
  adeis_set_error("SOURCE_DATE_EPOCH: expected seconds since 1970 (at most %lld), got '%s'",
                  (long long)ADEIS_SOURCE_DATE_MAX, getenv("SOURCE_DATE_EPOCH"));
  return ADEIS_EINPUT;
}

/* Rewrite the date after every `key` in data (a PDF date "D:YYYYMMDDHHmmSS" and an optional
 * zone "Z" or "+HH'mm") as the UTC date stamp (14 digits), the zone as "Z" or "+00'00": the
 * same number of bytes, so the file's cross-reference offsets stay right. Returns how many
 * dates were rewritten. */
static int set_pdf_dates(char *data, size_t n, const char *key, const char stamp[15])
{
  size_t k = strlen(key);
  int count = 0;
  for (char *p = data; (p = memmem(p, n - (size_t)(p - data), key, k)) != NULL; p += k) {
    char *d = p + k;
    size_t left = n - (size_t)(d - data);
    if (left < 16 || memcmp(d, "D:", 2) != 0 || strspn(d + 2, "0123456789") < 14)
      continue;
    memcpy(d + 2, stamp, 14);
    char *z = d + 16;
    left -= 16;
    if (left >= 6 && (*z == '+' || *z == '-') && z[3] == '\'')
      memcpy(z, "+00'00", 6);
    count++;
  }
  return count;
}

/* With SOURCE_DATE_EPOCH set, the PDF's /CreationDate and /ModDate become that time instead
 * of the clock's (cairo 1.16 writes the clock), so that two renders of the same results are
 * byte-identical. Files over 256 MB are left alone (cairo's figures are kilobytes). */
static int reproducible_pdf_dates(int fd, const char *final)
{
  long long epoch; /* a malformed value was refused before the render (report.c) */
  if (adeis_source_date_epoch(&epoch) <= 0)
    return 0;
  struct stat sb;
  if (fstat(fd, &sb) != 0 || sb.st_size > (off_t)256 << 20)
    return 0;
  char *data = malloc((size_t)sb.st_size + 1);
  if (!data)
    return ADEIS_ENOMEM;
  int st = 0;
  if (pread(fd, data, (size_t)sb.st_size, 0) != (ssize_t)sb.st_size) {
    adeis_set_error("%s: cannot read back: %s", final, strerror(errno));
    st = ADEIS_ENUMERIC;
  } else {
    data[sb.st_size] = '\0'; /* a stop for strspn past the last date */
    time_t t = (time_t)epoch;
    struct tm tm;
    char stamp[15];
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
    int changed = set_pdf_dates(data, (size_t)sb.st_size, "/CreationDate (", stamp) +
                  set_pdf_dates(data, (size_t)sb.st_size, "/ModDate (", stamp);
    if (changed && pwrite(fd, data, (size_t)sb.st_size, 0) != (ssize_t)sb.st_size) {
      adeis_set_error("%s: cannot write: %s", final, strerror(errno));
      st = ADEIS_ENUMERIC;
    }
  }
  free(data);
  return st;
}

int adeis_publish_file(int fd, const char *tmp, const char *final, adeis_publish_format fmt,
                       const char *gnuplot_err)
{
  const char *why = adeis_publish_incomplete(fd, fmt);
  if (why) {
    adeis_set_error("%s: gnuplot's output %s (incomplete): %s%s%s", final, why, cause(fd),
                    gnuplot_err && *gnuplot_err ? "; gnuplot said: " : "",
                    gnuplot_err ? gnuplot_err : "");
    return ADEIS_ENUMERIC;
  }
  int st = fmt == ADEIS_FMT_PDF ? reproducible_pdf_dates(fd, final) : 0;
  if (st)
    return st;
  if (fsync(fd) != 0) {
    adeis_set_error("%s: cannot write: %s", final, strerror(errno));
    return ADEIS_ENUMERIC;
  }
  if (rename(tmp, final) != 0) {
    adeis_set_error("%s: cannot rename to %s: %s", tmp, final, strerror(errno));
    return ADEIS_ENUMERIC;
  }
  return 0;
}

/* ---- atomic writes of our own files ---- */

int adeis_report_write_atomic(const char *path, int (*fill)(FILE *f, const void *ctx),
                              const void *ctx)
{
  char *tmp = NULL;
  int fd = adeis_publish_create(path, &tmp);
  if (fd < 0) {
    adeis_set_error("%s: cannot create a temporary file beside it: %s", path, strerror(errno));
    free(tmp);
    return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? ADEIS_EINPUT : ADEIS_ENUMERIC;
  }
  FILE *f = fdopen(fd, "w");
  if (!f) {
    adeis_set_error("%s: %s", tmp, strerror(errno));
    close(fd);
    unlink(tmp);
    free(tmp);
    return ADEIS_ENOMEM;
  }
  errno = 0;
  int st = fill(f, ctx);
  /* a write that failed while filling (stdio flushes as it goes) is reported as one, with
   * its cause, whatever fill said */
  if (ferror(f)) {
    adeis_set_error("%s: cannot write: %s", path, strerror(errno ? errno : EIO));
    st = ADEIS_ENUMERIC;
  }
  /* on disk before the rename, so a crash leaves the old file or the new one, never an
   * empty one; a full disk is a failed write (exit 3), named */
  if (!st && (fflush(f) != 0 || fsync(fd) != 0)) {
    adeis_set_error("%s: cannot write: %s", path, strerror(errno ? errno : EIO));
    st = ADEIS_ENUMERIC;
  }
  int closed = fclose(f);
  if (!st && closed != 0) {
    adeis_set_error("%s: cannot write: %s", path, strerror(errno));
    st = ADEIS_ENUMERIC;
  }
  if (!st && rename(tmp, path) != 0) {
    adeis_set_error("%s: cannot rename to %s: %s", tmp, path, strerror(errno));
    st = ADEIS_ENUMERIC;
  }
  if (st)
    unlink(tmp);
  free(tmp);
  return st;
}

/* ---- temporary files of runs that have ended ---- */

/* ".tmp.NAME.PID.K" with PID no longer running. */
static int stale(const char *name)
{
  if (strncmp(name, TMP_PREFIX, sizeof TMP_PREFIX - 1) != 0)
    return 0;
  const char *k = strrchr(name, '.');
  if (!k || k <= name + sizeof TMP_PREFIX - 1)
    return 0;
  const char *p = k - 1;
  while (p > name && *p != '.')
    p--;
  char *end;
  errno = 0;
  long pid = strtol(p + 1, &end, 10);
  if (end != k || errno || pid <= 0 || p + 1 == k)
    return 0;
  strtoul(k + 1, &end, 10);
  if (*end || end == k + 1)
    return 0;
  return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* A private folder of ours: its files, then itself (never through a symbolic link). */
static void remove_private_dir(int dirfd, const char *name)
{
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0)
      close(fd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
      unlinkat(fd, e->d_name, 0);
  closedir(d);
  unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* The names of earlier versions, NAME.tmp-PID-K and .NAME.tmp-PID-K.EXT, with PID no longer
 * running (renders killed before this naming). */
static int stale_legacy(const char *name)
{
  const char *t = strstr(name, ".tmp-");
  if (!t)
    return 0;
  char *end;
  errno = 0;
  long pid = strtol(t + 5, &end, 10);
  if (errno || pid <= 0 || end == t + 5 || *end != '-' || !(end[1] >= '0' && end[1] <= '9'))
    return 0;
  strtoul(end + 1, &end, 10);
  if (*end && *end != '.')
    return 0;
  return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

void adeis_publish_remove_stale(const char *dir)
{
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = dirfd >= 0 ? fdopendir(dirfd) : NULL;
  if (!d) {
    if (dirfd >= 0)
      close(dirfd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!stale(e->d_name) && !stale_legacy(e->d_name))
      continue;
    struct stat sb;
    if (fstatat(dirfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    if (S_ISDIR(sb.st_mode))
      remove_private_dir(dirfd, e->d_name);
    else
      unlinkat(dirfd, e->d_name, 0);
  }
  closedir(d);
}

void adeis_publish_remove_private_dir(const char *path) { remove_private_dir(AT_FDCWD, path); }

/* File helpers of the study runner (files.h). */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int sbuf_reserve(adeis_sbuf *b, size_t extra)
{
  if (b->oom)
    return -1;
  if (b->len + extra + 1 <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1)
    cap *= 2;
  char *s = realloc(b->s, cap);
  if (!s) {
    b->oom = 1;
    return -1;
  }
  b->s = s;
  b->cap = cap;
  return 0;
}

void adeis_sbuf_append(adeis_sbuf *b, const char *s, size_t n)
{
  if (sbuf_reserve(b, n))
    return;
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void adeis_sbuf_printf(adeis_sbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || sbuf_reserve(b, (size_t)n))
    return;
  va_start(ap, fmt);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void adeis_sbuf_free(adeis_sbuf *b)
{
  free(b->s);
  memset(b, 0, sizeof *b);
}

char *adeis_path_join(const char *dir, const char *name)
{
  size_t d = strlen(dir), n = strlen(name);
  char *p = malloc(d + n + 2);
  if (!p)
    return NULL;
  memcpy(p, dir, d);
  p[d] = '/';
  memcpy(p + d + 1, name, n + 1);
  return p;
}

int adeis_file_read(const char *path, char **out, size_t *len)
{
  *out = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  adeis_sbuf b = {0};
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    adeis_sbuf_append(&b, chunk, n);
  int err = ferror(f) ? EIO : b.oom ? ENOMEM : 0;
  fclose(f);
  if (!err && !b.s)
    adeis_sbuf_append(&b, "", 0);
  if (err || b.oom) {
    adeis_sbuf_free(&b);
    errno = err ? err : ENOMEM;
    return -1;
  }
  *out = b.s;
  *len = b.len;
  return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
  while (len > 0) {
    ssize_t w = write(fd, data, len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    data += w;
    len -= (size_t)w;
  }
  return 0;
}

/* Create dir/.tmp.NAME.PID.K exclusively, mode 0666 less the umask (as for any new file). */
static int create_tmp(const char *dir, const char *name, char *tmp, size_t n)
{
  static atomic_ulong counter;
  for (int tries = 0; tries < 100; tries++) {
    snprintf(tmp, n, "%s/%s%s.%ld.%lu", dir, ADEIS_TMP_PREFIX, name, (long)getpid(),
             atomic_fetch_add(&counter, 1));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST)
      return fd;
  }
  return -1;
}

int adeis_file_write_atomic(const char *dir, const char *name, const char *data, size_t len)
{
  size_t n = strlen(dir) + strlen(name) + sizeof ADEIS_TMP_PREFIX + 48;
  char *tmp = malloc(n);
  char *dst = adeis_path_join(dir, name);
  if (!tmp || !dst) {
    free(tmp);
    free(dst);
    errno = ENOMEM;
    return -1;
  }
  int fd = create_tmp(dir, name, tmp, n), rc = -1, err = 0;
  if (fd >= 0) {
    rc = write_all(fd, data, len) || fsync(fd) ? -1 : 0;
    err = errno;
    if (close(fd) && !rc) {
      rc = -1;
      err = errno;
    }
    if (!rc && rename(tmp, dst)) {
      rc = -1;
      err = errno;
    }
    if (rc)
      unlink(tmp);
  } else {
    err = errno;
  }
  free(tmp);
  free(dst);
  errno = err;
  return rc;
}

int adeis_mkdir_p(const char *path)
{
  if (!*path) {
    errno = EINVAL;   /* "" names no folder (and has no second byte to start from) */
    return -1;
  }
  char *p = strdup(path);
  if (!p) {
    errno = ENOMEM;
    return -1;
  }
  int rc = 0;
  for (char *s = p + 1; !rc; s++) {
    if (*s != '/' && *s != '\0')
      continue;
    char c = *s;
    *s = '\0';
    struct stat st;
    if (mkdir(p, 0777) && errno != EEXIST)
      rc = -1;
    else if (stat(p, &st) || !S_ISDIR(st.st_mode)) {
      rc = -1;
      errno = ENOTDIR;
    }
    *s = c;
    if (c == '\0')
      break;
  }
  int err = errno;
  free(p);
  errno = err;
  return rc;
}

/* A name of ours, .tmp.NAME.PID.K, whose writer PID has ended: left by a killed run. Other
 * names (a user's own file) and files of a live run (a concurrent study) are left alone. */
static int stale_tmp_name(const char *name)
{
  if (strncmp(name, ADEIS_TMP_PREFIX, sizeof ADEIS_TMP_PREFIX - 1) != 0)
    return 0;
  const char *k = strrchr(name, '.');
  if (!k || k == name)
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

void adeis_remove_stale_tmp(const char *dir)
{
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!stale_tmp_name(e->d_name))
      continue;
    char *p = adeis_path_join(dir, e->d_name);
    if (p)
      unlink(p);
    free(p);
  }
  closedir(d);
}

uint64_t adeis_fnv1a64(const char *data, size_t len)
{
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)data[i];
    h *= 1099511628211ULL;
  }
  return h;
}

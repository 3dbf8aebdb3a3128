/* File helpers of the study runner (files.h). */
#include "files.h"
#include "runner.h" /* ADEIS_MAX_SHARDS */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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

/* This machine's name as it appears in temporary names: [A-Za-z0-9.-], at most 63 chars. */
static const char *host_tag(void)
{
  static _Thread_local char host[64];
  if (host[0])
    return host;
  if (gethostname(host, sizeof host - 1))
    snprintf(host, sizeof host, "unknown");
  host[sizeof host - 1] = '\0';
  for (char *p = host; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '.' || *p == '-'))
      *p = '_';
  if (!host[0])
    snprintf(host, sizeof host, "unknown");
  return host;
}

/* Create dir/.tmp.NAME.PID.K@HOST exclusively, mode 0666 less the umask (as for any new file). */
static int create_tmp(const char *dir, const char *name, char *tmp, size_t n)
{
  static atomic_ulong counter;
  for (int tries = 0; tries < 100; tries++) {
    snprintf(tmp, n, "%s/%s%s.%ld.%lu@%s", dir, ADEIS_TMP_PREFIX, name, (long)getpid(),
             atomic_fetch_add(&counter, 1), host_tag());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST)
      return fd;
  }
  return -1;
}

/* dir/NAME's bytes written to a new temporary file in dir (its name in *tmp, allocated).
 * Returns 0, or -1 with errno set and nothing left behind. */
static int write_tmp(const char *dir, const char *name, const char *data, size_t len, char **tmp)
{
  size_t n = strlen(dir) + strlen(name) + sizeof ADEIS_TMP_PREFIX + 48 + 64;
  if (!(*tmp = malloc(n))) {
    errno = ENOMEM;
    return -1;
  }
  int fd = create_tmp(dir, name, *tmp, n), rc = -1, err;
  if (fd < 0) {
    err = errno;
    free(*tmp);
    *tmp = NULL;
    errno = err;
    return -1;
  }
  rc = write_all(fd, data, len) || fsync(fd) ? -1 : 0;
  err = errno;
  if (close(fd) && !rc) {
    rc = -1;
    err = errno;
  }
  if (rc) {
    unlink(*tmp);
    free(*tmp);
    *tmp = NULL;
  }
  errno = err;
  return rc;
}

int adeis_file_write_atomic(const char *dir, const char *name, const char *data, size_t len)
{
  char *tmp, *dst = adeis_path_join(dir, name);
  if (!dst) {
    errno = ENOMEM;
    return -1;
  }
  int rc = write_tmp(dir, name, data, len, &tmp), err = errno;
  if (!rc && rename(tmp, dst)) {
    err = errno;
    unlink(tmp);
    rc = -1;
  }
  free(tmp);
  free(dst);
  errno = err;
  return rc;
}

/* Where link() is not supported: rename unless dst exists (the check and the rename are
 * not one atomic step there; two runs starting in the same instant may both write). */
static int no_link_fallback(const char *tmp, const char *dst, int *err)
{
  struct stat st;
  if (lstat(dst, &st) == 0)
    return 1;
  if (rename(tmp, dst)) {
    *err = errno;
    return -1;
  }
  return 0;
}

int adeis_file_create_once(const char *dir, const char *name, const char *data, size_t len)
{
  char *tmp, *dst = adeis_path_join(dir, name);
  if (!dst) {
    errno = ENOMEM;
    return -1;
  }
  int rc = write_tmp(dir, name, data, len, &tmp), err = errno;
  if (!rc) {
    /* link() fails with EEXIST instead of replacing, atomically (also over NFS) */
    if (link(tmp, dst)) {
      err = errno;
      rc = err == EEXIST ? 1 : -1;
      if (err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == EMLINK)
        rc = no_link_fallback(tmp, dst, &err); /* a file system without hard links */
    }
    unlink(tmp);
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

/* A temporary name of ours, .tmp.NAME.PID.K@HOST (or .tmp.NAME.PID.K from older versions,
 * taken as this host's), left by a run that has ended. A file of another host is left by an
 * ended run only when the caller holds the folder's exclusive lock (no run anywhere can be
 * writing); on this host the PID tells. Other names (a user's own file) are left alone. */
static int stale_tmp_name(const char *name, int exclusive)
{
  if (strncmp(name, ADEIS_TMP_PREFIX, sizeof ADEIS_TMP_PREFIX - 1) != 0)
    return 0;
  char base[512];
  const char *at = strrchr(name, '@');
  size_t blen = at ? (size_t)(at - name) : strlen(name);
  if (blen >= sizeof base)
    return 0;
  memcpy(base, name, blen);
  base[blen] = '\0';
  const char *k = strrchr(base, '.');
  if (!k || k == base)
    return 0;
  const char *p = k - 1;
  while (p > base && *p != '.')
    p--;
  char *end;
  errno = 0;
  long pid = strtol(p + 1, &end, 10);
  if (end != k || errno || pid <= 0 || p + 1 == k)
    return 0;
  strtoul(k + 1, &end, 10);
  if (*end || end == k + 1)
    return 0;
  if (at && strcmp(at + 1, host_tag()) != 0)
    return exclusive;
  return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

void adeis_remove_stale_tmp(const char *dir, int exclusive)
{
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!stale_tmp_name(e->d_name, exclusive))
      continue;
    char *p = adeis_path_join(dir, e->d_name);
    if (p)
      unlink(p);
    free(p);
  }
  closedir(d);
}

int adeis_shards_mark(const char *dir, size_t n_shards)
{
  char name[64];
  snprintf(name, sizeof name, "%s%zu", ADEIS_SHARDS_MARK, n_shards);
  char *path = adeis_path_join(dir, name);
  if (!path) {
    errno = ENOMEM;
    return -1;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666), err = errno;
  free(path);
  if (fd < 0) {
    errno = err;
    return -1;
  }
  close(fd);
  return 0;
}

/* N of a mark's name (decimal, no sign or leading zero, 1..ADEIS_MAX_SHARDS); 0 if none. */
static size_t shards_of_mark(const char *name)
{
  size_t k = strlen(ADEIS_SHARDS_MARK);
  if (strncmp(name, ADEIS_SHARDS_MARK, k) != 0)
    return 0;
  const char *d = name + k;
  size_t n = strspn(d, "0123456789");
  if (n == 0 || n > 6 || d[n] != '\0' || d[0] == '0')
    return 0;
  size_t v = (size_t)strtoul(d, NULL, 10);
  return v <= ADEIS_MAX_SHARDS ? v : 0;
}

size_t adeis_shards_marked(const char *dir, size_t *only)
{
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  size_t distinct = 0; /* one name per count, so every mark is another count */
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t v = shards_of_mark(e->d_name);
    if (v) {
      distinct++;
      *only = v;
    }
  }
  closedir(d);
  return distinct;
}

int adeis_dir_lock(const char *dir, int shared)
{
  char *path = adeis_path_join(dir, ADEIS_LOCK_NAME);
  if (!path) {
    errno = ENOMEM;
    return -1;
  }
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666), err = errno;
  free(path);
  if (fd < 0) {
    errno = err;
    return -1;
  }
  while (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
    if (errno == EINTR)
      continue;
    err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
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

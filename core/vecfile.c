/* Vectors from .f64 and .npy files (vecfile.h). Bytes are decoded explicitly (or, for float64
 * on a little-endian host, read as they are), so the result does not depend on the host's
 * byte order. */
#include "vecfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_HEADER_MAX 65536UL     /* longer dictionaries are not written by NumPy */
#define VECFILE_MAX_VALUES (1UL << 32)

static int fail(char *what, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *what, size_t cap, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, cap, fmt, ap);
  va_end(ap);
  return -1;
}

static int ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static uint64_t le_bytes(const unsigned char *b, int n)
{
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | b[i];
  return v;
}

static int host_little_endian(void)
{
  const uint64_t one = 1;
  unsigned char b;
  memcpy(&b, &one, 1);
  return b == 1;
}

/* n values of size (4 or 8) bytes each from f into a new array. Little-endian float64 on a
 * little-endian host is read straight into the array (the bytes are the doubles). */
static int read_values(FILE *f, size_t n, int size, double **out, char *what, size_t cap)
{
  double *a = malloc((n ? n : 1) * sizeof *a);
  unsigned char buf[8 * 512];
  if (!a)
    return fail(what, cap, "out of memory for %zu numbers", n);
  int direct = size == 8 && host_little_endian();
  for (size_t i = 0; i < n;) {
    size_t chunk = n - i < 512 ? n - i : 512;
    if (fread(direct ? (void *)(a + i) : (void *)buf, (size_t)size, chunk, f) != chunk) {
      free(a);
      return fail(what, cap, "expected %zu numbers, the file ends after %zu", n, i);
    }
    if (direct) {
      i += chunk;
      continue;
    }
    for (size_t j = 0; j < chunk; j++, i++) {
      uint64_t bits = le_bytes(buf + j * (size_t)size, size);
      if (size == 8) {
        memcpy(&a[i], &bits, 8);
      } else {
        uint32_t b32 = (uint32_t)bits;
        float x;
        memcpy(&x, &b32, 4);
        a[i] = x;
      }
    }
  }
  if (getc(f) != EOF) {
    free(a);
    return fail(what, cap, "expected %zu numbers, the file holds more bytes", n);
  }
  *out = a;
  return 0;
}

/* Bytes left in f from the current position. */
static long bytes_left(FILE *f)
{
  long here = ftell(f);
  if (here < 0 || fseek(f, 0, SEEK_END) != 0)
    return -1;
  long end = ftell(f);
  if (fseek(f, here, SEEK_SET) != 0)
    return -1;
  return end - here;
}

static int read_f64(FILE *f, double **out, size_t *n, char *what, size_t cap)
{
  long size = bytes_left(f);
  if (size < 0)
    return fail(what, cap, "cannot read (%s)", strerror(errno));
  if (size % 8)
    return fail(what, cap, "expected a multiple of 8 bytes (float64), got %ld", size);
  *n = (size_t)size / 8;
  return read_values(f, *n, 8, out, what, cap);
}

/* The value of 'key' in a .npy header dictionary: a pointer past "'key':" and blanks. */
static const char *dict_value(const char *h, const char *key)
{
  char pat[32];
  snprintf(pat, sizeof pat, "'%s'", key);
  const char *p = strstr(h, pat);
  if (!p)
    return NULL;
  p += strlen(pat);
  while (*p == ' ')
    p++;
  if (*p != ':')
    return NULL;
  p++;
  while (*p == ' ')
    p++;
  return p;
}

/* The element count of a shape "(a, b, )"; -1 when malformed. */
static int shape_count(const char *p, size_t *count)
{
  if (*p != '(')
    return -1;
  p++;
  size_t n = 1;
  for (;;) {
    while (*p == ' ')
      p++;
    if (*p == ')')
      break;
    char *end;
    errno = 0;
    unsigned long long d = strtoull(p, &end, 10);
    if (end == p || errno || *p == '-')
      return -1;
    if (d && n > VECFILE_MAX_VALUES / d)
      return -1;
    n *= (size_t)d;
    p = end;
    while (*p == ' ')
      p++;
    if (*p == ',')
      p++;
    else if (*p != ')')
      return -1;
  }
  *count = n;
  return 0;
}

static int parse_npy_header(const char *h, int *size, size_t *n, char *what, size_t cap)
{
  const char *descr = dict_value(h, "descr"), *order = dict_value(h, "fortran_order");
  const char *shape = dict_value(h, "shape");
  if (!descr || !order || !shape)
    return fail(what, cap, "expected a .npy header with 'descr', 'fortran_order' and 'shape'");
  if (strncmp(descr, "'<f8'", 5) == 0)
    *size = 8;
  else if (strncmp(descr, "'<f4'", 5) == 0)
    *size = 4;
  else
    return fail(what, cap, "expected dtype '<f8' or '<f4', got %.12s", descr);
  if (strncmp(order, "False", 5) != 0)
    return fail(what, cap, "expected C order (fortran_order False), got %.8s", order);
  if (shape_count(shape, n))
    return fail(what, cap, "expected a shape of non-negative integers, got %.40s", shape);
  return 0;
}

static int read_npy(FILE *f, double **out, size_t *n, char *what, size_t cap)
{
  unsigned char head[12];
  if (fread(head, 1, 8, f) != 8 || memcmp(head, NPY_MAGIC, 6) != 0)
    return fail(what, cap, "expected a .npy file (magic \\x93NUMPY)");
  int major = head[6];
  if (major < 1 || major > 3)
    return fail(what, cap, "expected .npy format version 1, 2 or 3, got %d.%d", major, head[7]);
  int lenbytes = major == 1 ? 2 : 4;
  if (fread(head + 8, 1, (size_t)lenbytes, f) != (size_t)lenbytes)
    return fail(what, cap, "expected a .npy header, the file ends");
  uint64_t hlen = le_bytes(head + 8, lenbytes);
  if (hlen > NPY_HEADER_MAX)
    return fail(what, cap, "expected a .npy header of at most %lu bytes, got %llu", NPY_HEADER_MAX,
                (unsigned long long)hlen);
  char *h = malloc(hlen + 1);
  if (!h)
    return fail(what, cap, "out of memory");
  int rc = fread(h, 1, hlen, f) == hlen ? 0 : fail(what, cap, "expected a .npy header, the file ends");
  h[hlen] = '\0';
  int size = 8;
  if (!rc && strlen(h) != hlen)
    rc = fail(what, cap, "expected a text .npy header, found a NUL byte");
  if (!rc)
    rc = parse_npy_header(h, &size, n, what, cap);
  free(h);
  long left = rc ? 0 : bytes_left(f);
  if (!rc && (left < 0 || (unsigned long)left != *n * (size_t)size))
    rc = fail(what, cap, "expected %zu numbers (%zu bytes) after the header, got %ld bytes", *n,
              *n * (size_t)size, left);
  return rc ? rc : read_values(f, *n, size, out, what, cap);
}

int adeis_vecfile_read(const char *path, double **out, size_t *n, char *what, size_t cap)
{
  *out = NULL;
  *n = 0;
  int npy = ends_with(path, ".npy");
  if (!npy && !ends_with(path, ".f64"))
    return fail(what, cap, "expected a file named NAME.f64 (raw little-endian float64) or "
                           "NAME.npy");
  FILE *f = fopen(path, "rb");
  if (!f)
    return fail(what, cap, "cannot open (%s)", strerror(errno));
  int rc = npy ? read_npy(f, out, n, what, cap) : read_f64(f, out, n, what, cap);
  if (!rc && ferror(f))
    rc = fail(what, cap, "cannot read (%s)", strerror(errno ? errno : EIO));
  if (rc) {
    free(*out);
    *out = NULL;
    *n = 0;
  }
  fclose(f);
  return rc;
}

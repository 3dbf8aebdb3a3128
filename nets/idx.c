/* IDX files (the MNIST format), gzip-compressed, read with zlib (train.h). */
#include "train.h"
#include "../core/status.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_MAX_BYTES (1UL << 31)

static int idx_fail(gzFile g, const char *path, const char *what)
{
  adeis_set_error("%s: %s", path, what);
  if (g)
    gzclose(g);
  return ADEIS_EINPUT;
}

/* n bytes into buf, or an error naming what was being read; `before` bytes of the `whole`
 * were read already (for the message). */
static int read_part(gzFile g, const char *path, void *buf, size_t n, const char *what,
                     size_t before, size_t whole)
{
  size_t got = 0;
  while (got < n) {
    unsigned chunk = n - got > (1u << 30) ? 1u << 30 : (unsigned)(n - got);
    int r = gzread(g, (char *)buf + got, chunk);
    if (r < 0) {
      int err;
      const char *msg = gzerror(g, &err);
      adeis_set_error("%s: corrupt gzip data while reading the %s (%s)", path, what,
                      err == Z_ERRNO ? strerror(errno) : msg);
      return ADEIS_EINPUT;
    }
    if (r == 0) {
      adeis_set_error("%s: truncated: %zu of the %zu bytes of the %s", path, before + got, whole,
                      what);
      return ADEIS_EINPUT;
    }
    got += (size_t)r;
  }
  return ADEIS_OK;
}

static int read_exact(gzFile g, const char *path, void *buf, size_t n, const char *what)
{
  return read_part(g, path, buf, n, what, 0, n);
}

static int read_header(gzFile g, const char *path, int ndims, size_t dims[], size_t *total)
{
  unsigned char h[4];
  char msg[160];
  if (read_exact(g, path, h, 4, "magic number"))
    return ADEIS_EINPUT;
  if (gzdirect(g))
    return idx_fail(NULL, path, "not a gzip file (expected a gzip-compressed IDX file)");
  if (h[0] || h[1]) {
    snprintf(msg, sizeof msg, "bad magic number %02x %02x %02x %02x (expected 00 00 08 %02x)",
             h[0], h[1], h[2], h[3], (unsigned)ndims);
    return idx_fail(NULL, path, msg);
  }
  if (h[2] != 0x08) {
    snprintf(msg, sizeof msg, "element type 0x%02x (expected 0x08, unsigned bytes)", h[2]);
    return idx_fail(NULL, path, msg);
  }
  if (h[3] != ndims) {
    snprintf(msg, sizeof msg, "%u dimensions (expected %d)", h[3], ndims);
    return idx_fail(NULL, path, msg);
  }
  *total = 1;
  for (int i = 0; i < ndims; i++) {
    unsigned char b[4];
    if (read_exact(g, path, b, 4, "dimensions"))
      return ADEIS_EINPUT;
    dims[i] = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
    if (dims[i] == 0 || dims[i] > IDX_MAX_BYTES / *total) {
      snprintf(msg, sizeof msg, "dimension %d is %zu (expected 1.. with at most %lu bytes in all)",
               i + 1, dims[i], IDX_MAX_BYTES);
      return idx_fail(NULL, path, msg);
    }
    *total *= dims[i];
  }
  return ADEIS_OK;
}

/* The total bytes of data into *d (malloc'ed), the buffer doubled as they arrive: a header
 * that promises gigabytes costs no more memory than the file holds (up to twice). */
static int read_data(gzFile g, const char *path, size_t total, unsigned char **d)
{
  size_t have = 0;
  while (have < total) {
    size_t cap = have ? (have > total / 2 ? total : 2 * have) : (total < (1u << 20) ? total : 1u << 20);
    unsigned char *bigger = realloc(*d, cap);
    if (!bigger) {
      adeis_set_error("%s: out of memory for %zu bytes", path, cap);
      return ADEIS_ENOMEM;
    }
    *d = bigger;
    int rc = read_part(g, path, *d + have, cap - have, "data", have, total);
    if (rc)
      return rc;
    have = cap;
  }
  return ADEIS_OK;
}

int adeis_idx_read(const char *path, int ndims, size_t dims[], unsigned char **data)
{
  *data = NULL;
  gzFile g = gzopen(path, "rb");
  if (!g) {
    adeis_set_error("%s: cannot open (%s)", path, errno ? strerror(errno) : "out of memory");
    return ADEIS_EINPUT;
  }
  size_t total;
  if (read_header(g, path, ndims, dims, &total)) {
    gzclose(g);
    return ADEIS_EINPUT;
  }
  unsigned char *d = NULL, extra;
  int rc = read_data(g, path, total, &d);
  if (!rc && gzread(g, &extra, 1) != 0)
    rc = idx_fail(NULL, path, "data past the end given by the dimensions (or corrupt gzip data)");
  gzclose(g);
  if (rc) {
    free(d);
    return rc;
  }
  *data = d;
  return ADEIS_OK;
}

int adeis_train_data_fmnist(adeis_train_data *td, const char *dir)
{
  memset(td, 0, sizeof *td);
  char ip[4096], lp[4096];
  snprintf(ip, sizeof ip, "%s/train-images-idx3-ubyte.gz", dir);
  snprintf(lp, sizeof lp, "%s/train-labels-idx1-ubyte.gz", dir);
  size_t idim[3], ldim[1];
  unsigned char *img = NULL, *lab = NULL;
  int rc = adeis_idx_read(ip, 3, idim, &img);
  if (!rc)
    rc = adeis_idx_read(lp, 1, ldim, &lab);
  if (!rc && ldim[0] != idim[0]) {
    adeis_set_error("%s: %zu labels for the %zu images of %s", lp, ldim[0], idim[0], ip);
    rc = ADEIS_EINPUT;
  }
  if (!rc && (idim[1] != idim[2] || idim[1] % 4)) {
    adeis_set_error("%s: images of %zu x %zu pixels (expected square, a side divisible by 4)", ip,
                    idim[1], idim[2]);
    rc = ADEIS_EINPUT;
  }
  for (size_t i = 0; !rc && i < ldim[0]; i++)
    if (lab[i] > 9) {
      adeis_set_error("%s: label %u of item %zu (expected 0..9)", lp, lab[i], i + 1);
      rc = ADEIS_EINPUT;
    }
  if (!rc) {
    td->n = idim[0];
    td->size = idim[1];
    td->dim = idim[1] * idim[2];
    td->classes = 10;
    td->x = malloc(td->n * td->dim * sizeof *td->x);
    if (!td->x)
      rc = ADEIS_ENOMEM;
  }
  for (size_t i = 0; !rc && i < td->n * td->dim; i++)
    td->x[i] = (float)(img[i] / 127.5 - 1.0);
  free(img);
  if (rc) {
    free(lab);
    adeis_train_data_clear(td);
    return rc;
  }
  td->label = lab;
  return ADEIS_OK;
}

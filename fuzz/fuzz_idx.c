/* libFuzzer target: IDX files (the Fashion-MNIST reader of adeis train, nets/train.h). The
 * first byte picks the dimensions expected (1 + (b >> 1) % 3) and whether the rest is stored
 * gzip-compressed (b & 1, as the real files are: random bytes are rarely valid gzip) or as
 * is (refused). A failure must name the file; a read must fill dims with a positive product. */
#include "fuzz_file.h"
#include "../core/status.h"
#include "../nets/train.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  int ndims = 1 + (data[0] >> 1) % 3;
  char path[4096];
  if (adeis_fuzz_named_file(data + 1, size - 1, "d-idx.gz", data[0] & 1, path, sizeof path))
    return 0;
  size_t dims[3] = {0, 0, 0};
  unsigned char *d = NULL;
  int rc = adeis_idx_read(path, ndims, dims, &d);
  if (rc && strstr(adeis_errmsg(), path) == NULL)
    __builtin_trap(); /* every message names the file */
  if (!rc) {
    size_t total = 1;
    for (int i = 0; i < ndims; i++)
      total *= dims[i];
    if (total == 0 || total > size * 1032u) /* deflate expands at most 1032:1 */
      __builtin_trap();
    volatile unsigned char last = d[total - 1]; /* every byte is there (ASan) */
    (void)last;
  }
  free(d);
  return 0;
}

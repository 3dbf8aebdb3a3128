/* libFuzzer target: vector files (`key = @FILE`, core/vecfile.h). The first byte picks the
 * name the rest is read under: NAME.npy (odd) or NAME.f64 (even), since the reader goes by
 * the name. A failure must say what was wrong; a .f64 that reads holds one value per 8 bytes. */
#include "fuzz_file.h"
#include "../core/vecfile.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  int npy = data[0] & 1;
  char path[4096], what[256] = "";
  if (adeis_fuzz_named_file(data + 1, size - 1, npy ? "v.npy" : "v.f64", 0, path, sizeof path))
    return 0;
  double *v = NULL;
  size_t n = 0;
  int rc = adeis_vecfile_read(path, &v, &n, what, sizeof what);
  if (rc && !what[0])
    __builtin_trap(); /* a failure without a reason */
  if (!rc && !npy && n * 8 != size - 1)
    __builtin_trap(); /* a .f64 read as another number of values than it holds */
  free(v);
  return 0;
}

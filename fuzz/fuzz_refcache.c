/* libFuzzer target: entries of the reference cache (runs/reference_cache.h), which a later run
 * reads back from ADEIS_CACHE_DIR and must not trust. The first three bytes give the lengths
 * the reader expects of the three gradients (each & 7); the rest is the entry up to its
 * checksum line, which the target appends (with the right sum: random bytes would otherwise
 * stop at the checksum), under a fixed key. A read entry holds only finite numbers. */
#include <stdio.h>

#include "../runs/reference_cache.h"
#include "../studies/files.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_file.h"

static const char key[] = "adeis-reference 1\nproblem 00000000000000000000000000000000\n"
                          "grid uniform-lambda\nequation ode\nnoise_seed 1\nprecision 256\n"
                          "method rk4-lambda\nrule start 16 max 65536 tol 1e-30\n";

static void reference_init(adeis_reference *ref, const uint8_t n[3])
{
  memset(ref, 0, sizeof *ref);
  ref->prec = 256;
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    ref->n[q] = n[q] & 7;
    mpfr_init2(ref->error[q], 64);
    ref->value[q] = ref->n[q] ? malloc(ref->n[q] * sizeof(mpfr_t)) : NULL;
    for (size_t i = 0; i < ref->n[q]; i++)
      mpfr_init2(ref->value[q][i], ref->prec);
  }
  ref->initialised = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 3)
    return 0;
  size_t len = size - 3;
  char *text = malloc(len + 40);
  if (!text)
    return 0;
  memcpy(text, data + 3, len);
  len += (size_t)snprintf(text + len, 40, "checksum %016llx\n",
                          (unsigned long long)adeis_fnv1a64(text, len));
  char path[4096];
  adeis_reference ref;
  reference_init(&ref, data);
  if (adeis_fuzz_named_file((const uint8_t *)text, len, "entry", 0, path, sizeof path) == 0 &&
      adeis_reference_cache_load(path, key, &ref) == 0)
    for (int q = 0; q < ADEIS_Q_COUNT; q++)
      for (size_t i = 0; i < ref.n[q]; i++)
        if (!mpfr_number_p(ref.value[q][i]))
          __builtin_trap(); /* a NaN or infinity taken as a reference value */
  adeis_reference_clear(&ref);
  free(text);
  return 0;
}

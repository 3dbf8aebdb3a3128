/* libFuzzer target: problem files (adeis_problem_load), and, for the small problems a
 * load accepts, adeis_problem_build in double, which parses the numbers kept as text. */
#include "fuzz_file.h"
#include "../runs/problem.h"
#include "../core/status.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char path[64];
  int fd = adeis_fuzz_file(data, size, path, sizeof path);
  if (fd < 0)
    return 0;
  adeis_problem_spec spec;
  int rc = adeis_problem_load(path, &spec);
  if (rc && strncmp(adeis_errmsg(), path, strlen(path)) != 0)
    __builtin_trap();   /* every message names the file */
  if (rc == 0 && spec.dim <= 16) {
    adeis_problem pb;
    if (adeis_problem_build(&spec, 53, &pb) == 0)
      adeis_problem_clear(&pb);
  }
  if (rc == 0)
    adeis_problem_spec_clear(&spec);
  close(fd);
  return 0;
}

/* libFuzzer target: study files (adeis_study_load). The input is read as a study under
 * /proc/self/fd/N, whose relative problem paths are taken from the working folder: the
 * target works in the repository's studies/ folder, so the shipped studies' problem paths
 * (../problems/...) resolve as they do in place. */
#include "fuzz_file.h"
#include "../core/status.h"
#include "../studies/study.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  adeis_fuzz_chdir_studies();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char path[64];
  int fd = adeis_fuzz_file(data, size, path, sizeof path);
  if (fd < 0)
    return 0;
  adeis_study s;
  int rc = adeis_study_load(path, &s);
  if (rc && strncmp(adeis_errmsg(), path, strlen(path)) != 0)
    __builtin_trap();   /* every message names the file */
  if (rc == 0 && (s.text_len != size || memcmp(s.text, data, size) != 0))
    __builtin_trap();   /* the bytes kept are the bytes read */
  adeis_study_clear(&s);
  close(fd);
  return 0;
}

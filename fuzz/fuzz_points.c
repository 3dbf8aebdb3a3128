/* libFuzzer target: point files as a resumed study reads them back (adeis_point_parse,
 * studies/points.h). The first byte picks the study (even: studies/gaussian-ode.ini, odd:
 * studies/model-vs-solver.ini, a truth study with its second block of rows); the rest is a
 * point file, checked against every point of the study with its own first line as the stamp
 * (the stamp check is a plain comparison; the rows are what is parsed). A point that parses
 * has its rows inside the text and exactly one match. */
#include "fuzz_file.h"
#include "../core/status.h"
#include "../studies/points.h"
#include "../studies/study.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static adeis_study studies[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  const char *dir = adeis_fuzz_chdir_studies();
  static const char *const files[] = {"gaussian-ode.ini", "model-vs-solver.ini"};
  for (int k = 0; k < 2; k++)
    if (adeis_study_load(files[k], &studies[k]) != 0) {
      fprintf(stderr, "fuzz_points: %s/%s: %s\n", dir, files[k], adeis_errmsg());
      exit(2);
    }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  const adeis_study *s = &studies[data[0] & 1];
  char *text = malloc(size);
  if (!text)
    return 0;
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  char *nl = strchr(text, '\n'), stamp[512];
  snprintf(stamp, sizeof stamp, "%.*s", nl ? (int)(nl - text) : 0, text);
  size_t matches = 0, n = adeis_points_count(s);
  double err[8], total[8];
  for (size_t i = 0; i < n; i++) {
    adeis_point p = adeis_point_at(s, i);
    const char *rows = NULL;
    if (adeis_point_parse(s, &p, stamp, text, &rows, err, s->truth ? total : NULL) == 0) {
      matches++;
      if (rows < text || rows > text + strlen(text))
        __builtin_trap(); /* rows outside the text */
    }
  }
  if (matches > 1)
    __builtin_trap(); /* one file, one point */
  free(text);
  return 0;
}

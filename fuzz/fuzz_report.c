/* libFuzzer target: a study folder as `adeis plot` reads it, everything but gnuplot. The
 * input is up to four parts separated by a line "%%": errors.csv, orders.csv, study.ini and
 * hlines.csv (a part left out: no such file). Read (adeis_report_read: a failure must name
 * its file), grouped, labelled (adeis_report_study_read), and every table, data file and
 * gnuplot script written to /dev/null. */
#include "fuzz_file.h"
#include "../core/status.h"
#include "../plots/report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const part_names[] = {"errors.csv", "orders.csv", "study.ini", "hlines.csv"};
static FILE *null_out;

/* Write the parts of data into the folder; absent ones removed. */
static int put_parts(const uint8_t *data, size_t size, char paths[4][4096])
{
  const uint8_t *p = data, *end = data + size;
  for (int k = 0; k < 4; k++) {
    const uint8_t *sep = NULL;
    for (const uint8_t *q = p; q && q + 4 <= end; q++)
      if (memcmp(q, "\n%%\n", 4) == 0) {
        sep = q;
        break;
      }
    const uint8_t *stop = k < 3 && sep ? sep + 1 : end;
    if (p) {
      if (adeis_fuzz_named_file(p, (size_t)(stop - p), part_names[k], 0, paths[k], 4096))
        return -1;
    } else {
      snprintf(paths[k], 4096, "%s/%s", adeis_fuzz_dir(), part_names[k]);
      unlink(paths[k]);
    }
    p = k < 3 && sep ? sep + 4 : NULL;
  }
  return 0;
}

static void write_all(const adeis_report_results *r, const adeis_report_series_set *s,
                      const adeis_report_study *st)
{
  adeis_report_md_write(null_out, "t", r, s);
  adeis_report_tex_write(null_out, "t", r, s);
  for (int q = 0; q < ADEIS_REPORT_N_QUANTITIES; q++) {
    adeis_report_dat_write(null_out, r, s, (adeis_report_quantity)q);
    adeis_report_guides_write(null_out, r, s, (adeis_report_quantity)q);
  }
  for (int latex = 0; latex < 2; latex++) {
    adeis_report_gp_write(null_out, ADEIS_REPORT_CONVERGENCE, "t", r, s, st, latex);
    adeis_report_gp_write(null_out, ADEIS_REPORT_WORK_PRECISION, "t", r, s, st, latex);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!null_out && !(null_out = fopen("/dev/null", "w")))
    abort();
  char paths[4][4096];
  if (put_parts(data, size, paths))
    return 0;
  adeis_report_results r;
  int rc = adeis_report_read(&r, paths[0], paths[1]);
  if (rc == ADEIS_EINPUT && strstr(adeis_errmsg(), adeis_fuzz_dir()) == NULL)
    __builtin_trap(); /* every message names its file */
  adeis_report_series_set s = {0};
  adeis_report_study st = {0};
  if (!rc && !adeis_report_series_build(&s, &r) &&
      !adeis_report_study_read(&st, adeis_fuzz_dir(), &s) && !adeis_report_series_relabel(&s, &st))
    write_all(&r, &s, &st);
  adeis_report_study_free(&st);
  adeis_report_series_free(&s);
  adeis_report_results_free(&r);
  return 0;
}

/* Tests' scratch folders: a fresh /tmp/adeis-TAG-test-XXXXXX per test, removed with all it
 * holds afterwards (read-only entries too); path_of gives a path inside it; csv_field reads
 * one field of a CSV text; load_fails (with studies/study.h) checks a study file is refused. Header-only, one scratch per test file. */
#ifndef ADEIS_TEST_SCRATCH_H
#define ADEIS_TEST_SCRATCH_H

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char scratch[256];

static int scratch_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  chmod(path, 0700);
  return remove(path);
}

static inline void scratch_make_tagged(const char *tag)
{
  snprintf(scratch, sizeof scratch, "/tmp/adeis-%s-test-XXXXXX", tag);
  cr_assert_not_null(mkdtemp(scratch));
}

static inline void scratch_remove(void)
{
  if (scratch[0])
    nftw(scratch, scratch_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  scratch[0] = '\0';
}

/* scratch/rel (allocated). */
static inline char *path_of(const char *rel)
{
  char *p = malloc(strlen(scratch) + strlen(rel) + 2);
  cr_assert_not_null(p);
  sprintf(p, "%s/%s", scratch, rel);
  return p;
}

/* Field col (0-based) of row (0-based, header excluded) of CSV text, into buf; its value.
 * Not inlined: gcc 12 then warns of a dangling pointer it imagines into slurp_rel. */
__attribute__((noinline, unused)) static double csv_field(const char *text, size_t row,
                                                           size_t col, char *buf, size_t n)
{
  cr_assert_not_null(text);
  const char *p = strchr(text, '\n') + 1;
  for (size_t k = 0; k < row; k++)
    p = strchr(p, '\n') + 1;
  for (size_t c = 0; c < col; c++)
    p = strchr(p, ',') + 1;
  size_t len = strcspn(p, ",\n");
  snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), p);
  return strtod(buf, NULL);
}

#ifdef ADEIS_STUDY_H
/* With studies/study.h included first: write text to scratch/s.ini and expect loading it to
 * fail with a message holding want1 (and want2 when not NULL). */
__attribute__((unused)) static void load_fails(const char *text, const char *want1,
                                               const char *want2)
{
  char *path = path_of("s.ini");
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "%s", path);
  fputs(text, f);
  fclose(f);
  adeis_study s;
  cr_expect_eq(adeis_study_load(path, &s), ADEIS_EINPUT, "accepted:\n%s", text);
  cr_expect(strstr(adeis_errmsg(), want1) != NULL, "message '%s' lacks '%s'", adeis_errmsg(),
            want1);
  if (want2)
    cr_expect(strstr(adeis_errmsg(), want2) != NULL, "message '%s' lacks '%s'", adeis_errmsg(),
              want2);
  adeis_study_clear(&s);
  free(path);
}
#endif

#endif

/* Tests' scratch folders: a fresh /tmp/adeis-TAG-test-XXXXXX per test, removed with all it
 * holds afterwards; path_of gives a path inside it. Header-only, one scratch per test file. */
#ifndef ADEIS_TEST_SCRATCH_H
#define ADEIS_TEST_SCRATCH_H

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char scratch[256];

static int scratch_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
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

#endif

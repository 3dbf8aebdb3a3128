#define _GNU_SOURCE   /* memfd_create */
#include "fuzz_file.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

int adeis_fuzz_file(const uint8_t *data, size_t size, char *path, size_t n)
{
  int fd = memfd_create("adeis-fuzz", MFD_CLOEXEC);
  if (fd < 0)
    return -1;
  size_t done = 0;
  while (done < size) {
    ssize_t w = write(fd, data + done, size - done);
    if (w <= 0) {
      close(fd);
      return -1;
    }
    done += (size_t)w;
  }
  snprintf(path, n, "/proc/self/fd/%d", fd);
  return fd;
}

#ifndef ADEIS_FUZZ_ROOT
#define ADEIS_FUZZ_ROOT "."
#endif

const char *adeis_fuzz_chdir_studies(void)
{
  static char dir[4096];
  const char *root = getenv("ADEIS_ROOT");
  snprintf(dir, sizeof dir, "%s/studies", root && *root ? root : ADEIS_FUZZ_ROOT);
  if (chdir(dir) != 0) {
    perror(dir);
    exit(2);
  }
  return dir;
}

static char fuzz_dir[64];

static void remove_fuzz_dir(void)
{
  DIR *d = opendir(fuzz_dir);
  struct dirent *e;
  char p[4096];
  while (d && (e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(p, sizeof p, "%s/%s", fuzz_dir, e->d_name);
      unlink(p);
    }
  if (d)
    closedir(d);
  rmdir(fuzz_dir);
}

const char *adeis_fuzz_dir(void)
{
  if (!fuzz_dir[0]) {
    strcpy(fuzz_dir, "/tmp/adeis-fuzz-XXXXXX");
    if (!mkdtemp(fuzz_dir)) {
      perror("adeis-fuzz: mkdtemp");
      exit(2);
    }
    atexit(remove_fuzz_dir);
  }
  return fuzz_dir;
}

int adeis_fuzz_named_file(const uint8_t *data, size_t size, const char *name, int gzip,
                          char *path, size_t n)
{
  snprintf(path, n, "%s/%s", adeis_fuzz_dir(), name);
  if (gzip) {
    gzFile g = gzopen(path, "wb1");
    int ok = g && (size == 0 || gzwrite(g, data, (unsigned)size) == (int)size);
    return (g && gzclose(g) == Z_OK && ok) ? 0 : -1;
  }
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  int ok = fwrite(data, 1, size, f) == size;
  return fclose(f) == 0 && ok ? 0 : -1;
}

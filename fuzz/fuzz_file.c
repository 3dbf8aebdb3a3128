#define _GNU_SOURCE   /* memfd_create */
#include "fuzz_file.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

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

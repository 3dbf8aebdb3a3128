/* The fuzz input as a file with a path (the parsers open files by name): an anonymous
 * in-memory file (memfd), named /proc/self/fd/N, so nothing touches the disk. */
#ifndef ADEIS_FUZZ_FILE_H
#define ADEIS_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Writes data to a fresh memfd; path (at least 64 bytes) gets its name. Returns the fd
 * (close it when done) or -1. */
int adeis_fuzz_file(const uint8_t *data, size_t size, char *path, size_t n);

/* Work in the repository's studies/ folder ($ADEIS_ROOT/studies, else the checkout the
 * target was built from), so that the shipped studies' ../problems/... paths resolve;
 * exits 2 when it cannot. Returns the folder. */
const char *adeis_fuzz_chdir_studies(void);

/* For parsers that look at a file's name or read a folder: a private folder of this process
 * (mode 0700 under /tmp, made on first use, removed with its files at exit). */
const char *adeis_fuzz_dir(void);
/* Writes data to adeis_fuzz_dir()/name (replacing it); path (n bytes) gets its path. With
 * gzip != 0 the file holds data gzip-compressed. Returns 0 or -1. */
int adeis_fuzz_named_file(const uint8_t *data, size_t size, const char *name, int gzip,
                          char *path, size_t n);

#endif

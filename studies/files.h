/* Small file helpers of the study runner: growable text buffers, whole-file reads,
 * atomic writes (temporary file in the same folder, fsync, rename), folders. */
#ifndef ADEIS_STUDY_FILES_H
#define ADEIS_STUDY_FILES_H

#include <stddef.h>
#include <stdint.h>

/* Temporary files start with this prefix; a run removes stale ones from its folders. */
#define ADEIS_TMP_PREFIX ".tmp."

typedef struct adeis_sbuf {
  char *s;
  size_t len, cap;
  int oom;          /* set when an append failed; the buffer then holds a prefix */
} adeis_sbuf;

void adeis_sbuf_printf(adeis_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void adeis_sbuf_append(adeis_sbuf *b, const char *s, size_t n);
void adeis_sbuf_free(adeis_sbuf *b);

/* "dir/name" (allocated), or NULL when out of memory. */
char *adeis_path_join(const char *dir, const char *name);

/* Read a whole file. Returns 0, or -1 with errno set. *out is NUL-terminated. */
int adeis_file_read(const char *path, char **out, size_t *len);

/* Write len bytes to dir/name atomically. Returns 0, or -1 with errno set
 * (nothing is left at the temporary name and dir/name is untouched). */
int adeis_file_write_atomic(const char *dir, const char *name, const char *data, size_t len);

/* mkdir -p. Returns 0, or -1 with errno set (EINVAL for the empty path). */
int adeis_mkdir_p(const char *path);

/* Remove files named ADEIS_TMP_PREFIX* in dir (left by a killed run). */
void adeis_remove_stale_tmp(const char *dir);

/* FNV-1a, 64 bits. */
uint64_t adeis_fnv1a64(const char *data, size_t len);

#endif

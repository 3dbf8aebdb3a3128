/* Small file helpers of the study runner: growable text buffers, whole-file reads,
 * atomic writes (temporary file in the same folder, fsync, rename), folders. */
#ifndef ADEIS_STUDY_FILES_H
#define ADEIS_STUDY_FILES_H

#include <stddef.h>
#include <stdint.h>

/* Temporary files start with this prefix (.tmp.NAME.PID.K@HOST); a run removes stale ones
 * from its folders. */
#define ADEIS_TMP_PREFIX ".tmp."

/* The lock file of a results folder (adeis_dir_lock). */
#define ADEIS_LOCK_NAME ".adeis.lock"

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

/* Create dir/name with these bytes only if it does not exist, atomically (complete file or
 * none, and of two concurrent callers exactly one creates it). Returns 0 when created, 1 when
 * dir/name existed (left untouched), -1 with errno set. */
int adeis_file_create_once(const char *dir, const char *name, const char *data, size_t len);

/* mkdir -p. Returns 0, or -1 with errno set (EINVAL for the empty path). */
int adeis_mkdir_p(const char *path);

/* Remove the temporary files of ended runs from dir: ours on this host whose PID has ended,
 * and, when exclusive (the caller holds the folder's exclusive lock), those of other hosts. */
void adeis_remove_stale_tmp(const char *dir, int exclusive);

/* Lock the folder dir through flock on dir/ADEIS_LOCK_NAME (created when missing): shared or
 * exclusive, without waiting. Returns the descriptor holding the lock (close it to release),
 * or -1 with errno set: EWOULDBLOCK when another process holds a conflicting lock. */
int adeis_dir_lock(const char *dir, int shared);

/* Shard runs mark the folder with their shard count N as an empty file
 * dir/ADEIS_SHARDS_MARK"N", so that a collect without --shards can name the shards of the
 * missing points. adeis_shards_mark returns 0, or -1 with errno set. ADEIS_MAX_SHARDS: runner.h. */
#define ADEIS_SHARDS_MARK ".adeis.shards-"
int adeis_shards_mark(const char *dir, size_t n_shards);
/* The shard counts marked in dir (1..ADEIS_MAX_SHARDS, written as adeis_shards_mark does):
 * how many different ones, and in *only the count when there is exactly one. */
size_t adeis_shards_marked(const char *dir, size_t *only);

/* FNV-1a, 64 bits. */
uint64_t adeis_fnv1a64(const char *data, size_t len);

#endif

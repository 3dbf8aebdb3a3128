/* safetensors files: an 8-byte little-endian header length n, n bytes of UTF-8 JSON
 * {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}},
 * then the little-endian data. Tensors F32 or F64. The reader maps the file (mmap) and checks
 * everything: a malformed file is ADEIS_EINPUT with a message naming the file, the tensor
 * and what was expected. The writer writes atomically (temporary file, fsync, rename). */
#ifndef ADEIS_NETS_SAFETENSORS_H
#define ADEIS_NETS_SAFETENSORS_H

#include <stddef.h>

typedef enum adeis_st_dtype { ADEIS_ST_F32 = 0, ADEIS_ST_F64 = 1 } adeis_st_dtype;

#define ADEIS_ST_MAX_NDIM 8
#define ADEIS_ST_MAX_HEADER (100u << 20) /* header lengths above 100 MiB are refused */

typedef struct adeis_st_tensor {
  char *name;
  adeis_st_dtype dtype;
  int ndim;
  size_t shape[ADEIS_ST_MAX_NDIM];
  size_t numel;
  size_t begin, end;               /* byte offsets in the data section */
  const unsigned char *data;       /* little-endian, maybe unaligned: use adeis_st_get */
} adeis_st_tensor;

typedef struct adeis_st_file {
  char *path;
  void *map;                       /* the mapping (NULL when parsed from memory) */
  size_t map_size;
  size_t ntensors;
  adeis_st_tensor *tensors;        /* in header order */
  size_t nmeta;
  char **meta_keys, **meta_vals;
} adeis_st_file;

/* Map and check a file. Returns 0, ADEIS_EINPUT (unreadable or malformed) or ADEIS_ENOMEM. */
int adeis_safetensors_open(adeis_st_file **out, const char *path);
/* Check a file's bytes held in memory (which must outlive the result); `label` names it in
 * messages. */
int adeis_safetensors_parse(adeis_st_file **out, const void *buf, size_t size, const char *label);
void adeis_safetensors_close(adeis_st_file *f);

const adeis_st_tensor *adeis_safetensors_find(const adeis_st_file *f, const char *name);
/* Metadata value, or NULL. */
const char *adeis_safetensors_meta(const adeis_st_file *f, const char *key);
/* Element i as a double (F32 widened exactly). */
double adeis_st_get(const adeis_st_tensor *t, size_t i);

/* Write n tensors (names unique, not "__metadata__"; shapes[i] has ndims[i] entries;
 * data[i] points to float[] for F32 or double[] for F64, host order) and nmeta metadata
 * strings. Atomic: a temporary file next to `path`, fsync, rename. Returns 0,
 * ADEIS_EINPUT (bad arguments, or the file cannot be written) or ADEIS_ENOMEM. */
int adeis_safetensors_write(const char *path, size_t n, const char *const names[],
                            const int ndims[], const size_t *const shapes[],
                            const adeis_st_dtype dtypes[], const void *const data[], size_t nmeta,
                            const char *const keys[], const char *const vals[]);

#endif

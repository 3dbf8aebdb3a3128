/* safetensors reader (mmap, every field checked) and atomic writer. */
#include "safetensors.h"
#include "../core/status.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data are read in place: little-endian hosts only"
#endif

static const char *dtype_name(adeis_st_dtype d) { return d == ADEIS_ST_F32 ? "F32" : "F64"; }
static size_t dtype_size(adeis_st_dtype d) { return d == ADEIS_ST_F32 ? 4 : 8; }

double adeis_st_get(const adeis_st_tensor *t, size_t i)
{
  if (t->dtype == ADEIS_ST_F32) {
    float f;
    memcpy(&f, t->data + 4 * i, 4);
    return (double)f;
  }
  double d;
  memcpy(&d, t->data + 8 * i, 8);
  return d;
}

void adeis_safetensors_close(adeis_st_file *f)
{
  if (!f)
    return;
  for (size_t i = 0; i < f->ntensors; i++)
    free(f->tensors[i].name);
  for (size_t i = 0; i < f->nmeta; i++) {
    free(f->meta_keys[i]);
    free(f->meta_vals[i]);
  }
  free(f->tensors);
  free(f->meta_keys);
  free(f->meta_vals);
  if (f->map)
    munmap(f->map, f->map_size);
  free(f->path);
  free(f);
}

const adeis_st_tensor *adeis_safetensors_find(const adeis_st_file *f, const char *name)
{
  for (size_t i = 0; i < f->ntensors; i++)
    if (strcmp(f->tensors[i].name, name) == 0)
      return &f->tensors[i];
  return NULL;
}

const char *adeis_safetensors_meta(const adeis_st_file *f, const char *key)
{
  for (size_t i = 0; i < f->nmeta; i++)
    if (strcmp(f->meta_keys[i], key) == 0)
      return f->meta_vals[i];
  return NULL;
}

/* Offset of the first byte that is not part of valid UTF-8 (RFC 3629), or n. */
static size_t utf8_invalid_at(const unsigned char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    size_t len;
    unsigned min;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      min = 0x10000;
    } else {
      return i;
    }
    if (n - i < len)
      return i;
    unsigned cp = c & (0x7F >> len);
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return n;
}

/* "[a, b, c]" of a shape */
static const char *shape_text(char *buf, size_t cap, int ndim, const size_t *shape)
{
  size_t k = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < ndim && k < cap; i++)
    k += (size_t)snprintf(buf + k, cap - k, i ? ", %zu" : "%zu", shape[i]);
  if (k < cap)
    snprintf(buf + k, cap - k, "]");
  return buf;
}

static int fail(const char *label, const char *fmt, const char *a, const char *b)
{
  char msg[400];
  snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
  adeis_set_error("%s: %s", label, msg);
  return ADEIS_EINPUT;
}

static int read_meta(adeis_st_file *f, json_t *meta, const char *label)
{
  if (!json_is_object(meta))
    return fail(label, "__metadata__ is not an object (expected {string: string})", NULL, NULL);
  size_t n = json_object_size(meta);
  f->meta_keys = calloc(n ? n : 1, sizeof *f->meta_keys);
  f->meta_vals = calloc(n ? n : 1, sizeof *f->meta_vals);
  if (!f->meta_keys || !f->meta_vals)
    return ADEIS_ENOMEM;
  const char *key;
  json_t *val;
  json_object_foreach(meta, key, val) {
    if (!json_is_string(val))
      return fail(label, "__metadata__ entry '%s' is not a string (expected string values)", key,
                  NULL);
    const char *s = json_string_value(val);
    if (strlen(s) != json_string_length(val))
      return fail(label, "__metadata__ entry '%s' holds a NUL character", key, NULL);
    f->meta_keys[f->nmeta] = strdup(key);
    f->meta_vals[f->nmeta] = strdup(s);
    if (!f->meta_keys[f->nmeta] || !f->meta_vals[f->nmeta]) {
      free(f->meta_keys[f->nmeta]);
      free(f->meta_vals[f->nmeta]);
      return ADEIS_ENOMEM;
    }
    f->nmeta++;
  }
  return ADEIS_OK;
}

static int nonneg_int(json_t *v, size_t *out)
{
  if (!json_is_integer(v) || json_integer_value(v) < 0)
    return 0;
  unsigned long long u = (unsigned long long)json_integer_value(v);
  if (u > SIZE_MAX)
    return 0;
  *out = (size_t)u;
  return 1;
}

static int read_tensor(adeis_st_tensor *t, const char *name, json_t *e, size_t data_size,
                       const char *label)
{
  char sb[200];
  if (!*name)
    return fail(label, "a tensor has an empty name (expected a non-empty name)", NULL, NULL);
  if (!json_is_object(e))
    return fail(label, "tensor '%s' is not an object (expected dtype, shape, data_offsets)",
                name, NULL);
  const char *key;
  json_t *val;
  json_object_foreach(e, key, val) if (strcmp(key, "dtype") && strcmp(key, "shape") &&
                                       strcmp(key, "data_offsets"))
      return fail(label, "tensor '%s' has an unexpected key '%s' (expected dtype, shape, "
                  "data_offsets)", name, key);
  json_t *dt = json_object_get(e, "dtype"), *sh = json_object_get(e, "shape");
  json_t *of = json_object_get(e, "data_offsets");
  if (!json_is_string(dt))
    return fail(label, "tensor '%s': dtype missing or not a string (expected F32 or F64)", name,
                NULL);
  if (strcmp(json_string_value(dt), "F32") == 0)
    t->dtype = ADEIS_ST_F32;
  else if (strcmp(json_string_value(dt), "F64") == 0)
    t->dtype = ADEIS_ST_F64;
  else
    return fail(label, "tensor '%s': dtype '%s' (expected F32 or F64)", name,
                json_string_value(dt));
  if (!json_is_array(sh) || json_array_size(sh) > ADEIS_ST_MAX_NDIM)
    return fail(label, "tensor '%s': shape missing or not an array of at most 8 integers%s",
                name, NULL);
  t->ndim = (int)json_array_size(sh);
  t->numel = 1;
  for (int i = 0; i < t->ndim; i++) {
    if (!nonneg_int(json_array_get(sh, (size_t)i), &t->shape[i]))
      return fail(label, "tensor '%s': shape entry not a non-negative integer%s", name, NULL);
    if (t->shape[i] && t->numel > SIZE_MAX / 8 / t->shape[i])
      return fail(label, "tensor '%s': shape too large%s", name, NULL);
    t->numel *= t->shape[i];
  }
  if (!json_is_array(of) || json_array_size(of) != 2 ||
      !nonneg_int(json_array_get(of, 0), &t->begin) ||
      !nonneg_int(json_array_get(of, 1), &t->end) || t->begin > t->end)
    return fail(label, "tensor '%s': data_offsets (expected [begin, end] with 0 <= begin <= end)",
                name, NULL);
  if (t->end > data_size) {
    char m[120];
    snprintf(m, sizeof m, "[%zu, %zu] out of range (the data section has %zu bytes)", t->begin,
             t->end, data_size);
    return fail(label, "tensor '%s': data_offsets %s", name, m);
  }
  size_t want = t->numel * dtype_size(t->dtype);
  if (t->end - t->begin != want) {
    char m[300];
    snprintf(m, sizeof m, "[%zu, %zu] hold %zu bytes (expected %zu for %s of shape %s)", t->begin,
             t->end, t->end - t->begin, want, dtype_name(t->dtype),
             shape_text(sb, sizeof sb, t->ndim, t->shape));
    return fail(label, "tensor '%s': data_offsets %s", name, m);
  }
  t->name = strdup(name);
  return t->name ? ADEIS_OK : ADEIS_ENOMEM;
}

static int by_offsets(const void *a, const void *b)
{
  const adeis_st_tensor *x = *(adeis_st_tensor *const *)a, *y = *(adeis_st_tensor *const *)b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return (x->end > y->end) - (x->end < y->end);
}

/* The tensors must cover the data section exactly: no overlaps, no holes. */
static int check_layout(adeis_st_file *f, size_t data_size, const char *label)
{
  adeis_st_tensor **s = malloc((f->ntensors ? f->ntensors : 1) * sizeof *s);
  if (!s)
    return ADEIS_ENOMEM;
  for (size_t i = 0; i < f->ntensors; i++)
    s[i] = &f->tensors[i];
  qsort(s, f->ntensors, sizeof *s, by_offsets);
  size_t pos = 0;
  const adeis_st_tensor *prev = NULL;
  int rc = ADEIS_OK;
  char m[160];
  for (size_t i = 0; i < f->ntensors && !rc; i++) {
    if (s[i]->begin < pos) {
      snprintf(m, sizeof m, "' [%zu, %zu] overlap (expected disjoint data_offsets)", s[i]->begin,
               s[i]->end);
      adeis_set_error("%s: tensors '%s' and '%s%s", label, prev->name, s[i]->name, m);
      rc = ADEIS_EINPUT;
    } else if (s[i]->begin > pos) {
      snprintf(m, sizeof m, "bytes %zu..%zu of the data section belong to no tensor", pos,
               s[i]->begin);
      rc = fail(label, "%s (expected contiguous data_offsets; next tensor '%s')", m, s[i]->name);
    }
    if (s[i]->end > s[i]->begin) {
      pos = s[i]->end;
      prev = s[i];
    }
  }
  if (!rc && pos != data_size) {
    snprintf(m, sizeof m, "bytes %zu..%zu of the data section belong to no tensor", pos, data_size);
    rc = fail(label, "%s (expected the tensors to end where the file ends)%s", m, NULL);
  }
  free(s);
  return rc;
}

static int parse_header(adeis_st_file *f, json_t *root, size_t data_size, const char *label)
{
  if (!json_is_object(root))
    return fail(label, "header is not a JSON object (expected {name: {dtype, shape, "
                "data_offsets}})%s", NULL, NULL);
  size_t n = json_object_size(root);
  f->tensors = calloc(n ? n : 1, sizeof *f->tensors);
  if (!f->tensors)
    return ADEIS_ENOMEM;
  const char *key;
  json_t *val;
  int rc = ADEIS_OK;
  json_object_foreach(root, key, val) {
    if (strcmp(key, "__metadata__") == 0)
      rc = read_meta(f, val, label);
    else if (!(rc = read_tensor(&f->tensors[f->ntensors], key, val, data_size, label)))
      f->ntensors++;
    if (rc)
      return rc;
  }
  return check_layout(f, data_size, label);
}

int adeis_safetensors_parse(adeis_st_file **out, const void *buf, size_t size, const char *label)
{
  *out = NULL;
  const unsigned char *b = buf;
  char m[300];
  if (size < 8) {
    snprintf(m, sizeof m, "truncated: %zu bytes (expected at least 8, the header length)", size);
    return fail(label, "%s%s", m, NULL);
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--)
    n = (n << 8) | b[i];
  if (n > size - 8) {
    snprintf(m, sizeof m, "header length %llu past the end of the file (%zu bytes follow it)",
             (unsigned long long)n, size - 8);
    return fail(label, "%s%s", m, NULL);
  }
  if (n < 2 || n > ADEIS_ST_MAX_HEADER) {
    snprintf(m, sizeof m, "header length %llu (expected 2..%u bytes of JSON)",
             (unsigned long long)n, ADEIS_ST_MAX_HEADER);
    return fail(label, "%s%s", m, NULL);
  }
  size_t bad = utf8_invalid_at(b + 8, (size_t)n);
  if (bad < n) {
    snprintf(m, sizeof m, "header is not valid UTF-8 (byte %zu of the header)", bad);
    return fail(label, "%s%s", m, NULL);
  }
  json_error_t err;
  json_t *root = json_loadb((const char *)b + 8, (size_t)n, JSON_REJECT_DUPLICATES, &err);
  if (!root) {
    snprintf(m, sizeof m, "header JSON: %s (line %d, column %d)", err.text, err.line, err.column);
    return fail(label, "%s%s", m, NULL);
  }
  adeis_st_file *f = calloc(1, sizeof *f);
  int rc = f ? ADEIS_OK : ADEIS_ENOMEM;
  if (!rc && !(f->path = strdup(label)))
    rc = ADEIS_ENOMEM;
  if (!rc)
    rc = parse_header(f, root, size - 8 - (size_t)n, label);
  json_decref(root);
  if (rc) {
    if (rc == ADEIS_ENOMEM)
      adeis_set_error("%s: out of memory reading the header", label);
    adeis_safetensors_close(f);
    return rc;
  }
  for (size_t i = 0; i < f->ntensors; i++)
    f->tensors[i].data = b + 8 + n + f->tensors[i].begin;
  *out = f;
  return ADEIS_OK;
}

int adeis_safetensors_open(adeis_st_file **out, const char *path)
{
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    adeis_set_error("%s: cannot open: %s", path, strerror(errno));
    return ADEIS_EINPUT;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    adeis_set_error("%s: not a regular file (expected a safetensors file)", path);
    return ADEIS_EINPUT;
  }
  size_t size = (size_t)st.st_size;
  void *map = NULL;
  if (size >= 8) {
    map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      close(fd);
      adeis_set_error("%s: cannot map: %s", path, strerror(errno));
      return ADEIS_EINPUT;
    }
  }
  close(fd);
  static const unsigned char none[1];
  int rc = adeis_safetensors_parse(out, map ? map : none, size, path);
  if (rc) {
    if (map)
      munmap(map, size);
    return rc;
  }
  (*out)->map = map;
  (*out)->map_size = size;
  return ADEIS_OK;
}

/* ---- writer ---- */

static json_t *tensor_entry(const char *dt, int ndim, const size_t *shape, size_t begin,
                            size_t end)
{
  json_t *e = json_object(), *sh = json_array(), *of = json_array();
  if (!e || !sh || !of) {
    json_decref(e);
    json_decref(sh);
    json_decref(of);
    return NULL;
  }
  json_object_set_new(e, "dtype", json_string(dt));
  for (int i = 0; i < ndim; i++)
    json_array_append_new(sh, json_integer((json_int_t)shape[i]));
  json_object_set_new(e, "shape", sh);
  json_array_append_new(of, json_integer((json_int_t)begin));
  json_array_append_new(of, json_integer((json_int_t)end));
  json_object_set_new(e, "data_offsets", of);
  return e;
}

static int write_all(int fd, const void *p, size_t n)
{
  const char *c = p;
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

static char *build_header(size_t n, const char *const names[], const int ndims[],
                          const size_t *const shapes[], const adeis_st_dtype dtypes[],
                          size_t nmeta, const char *const keys[], const char *const vals[],
                          const char *path, int *rc)
{
  json_t *root = json_object(), *meta = json_object();
  *rc = ADEIS_ENOMEM;
  if (!root || !meta)
    goto out;
  for (size_t i = 0; i < nmeta; i++)
    if (json_object_set_new(meta, keys[i], json_string(vals[i])))
      goto out;
  if (nmeta) {
    json_object_set(root, "__metadata__", meta);
  }
  size_t off = 0;
  for (size_t i = 0; i < n; i++) {
    *rc = ADEIS_EINPUT;
    if (!*names[i] || strcmp(names[i], "__metadata__") == 0 || json_object_get(root, names[i]) ||
        ndims[i] < 0 || ndims[i] > ADEIS_ST_MAX_NDIM) {
      adeis_set_error("%s: tensor '%s': name empty, reserved or repeated, or more than 8 "
                      "dimensions", path, names[i]);
      goto out;
    }
    size_t numel = 1;
    for (int d = 0; d < ndims[i]; d++)
      numel *= shapes[i][d];
    size_t end = off + numel * dtype_size(dtypes[i]);
    json_t *e = tensor_entry(dtype_name(dtypes[i]), ndims[i], shapes[i], off, end);
    *rc = ADEIS_ENOMEM;
    if (!e || json_object_set_new(root, names[i], e))
      goto out;
    off = end;
  }
  char *s = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII);
  json_decref(root);
  json_decref(meta);
  *rc = s ? ADEIS_OK : ADEIS_ENOMEM;
  return s;
out:
  json_decref(root);
  json_decref(meta);
  return NULL;
}

static int write_body(int fd, const char *hdr, size_t n, const int ndims[],
                      const size_t *const shapes[], const adeis_st_dtype dtypes[],
                      const void *const data[])
{
  size_t hl = strlen(hdr), pad = (8 - hl % 8) % 8;
  unsigned char len[8];
  for (int i = 0; i < 8; i++)
    len[i] = (unsigned char)(((uint64_t)(hl + pad) >> (8 * i)) & 0xFF);
  static const char spaces[8] = "        ";
  if (write_all(fd, len, 8) || write_all(fd, hdr, hl) || write_all(fd, spaces, pad))
    return -1;
  for (size_t i = 0; i < n; i++) {
    size_t numel = 1;
    for (int d = 0; d < ndims[i]; d++)
      numel *= shapes[i][d];
    if (numel && write_all(fd, data[i], numel * dtype_size(dtypes[i])))
      return -1;
  }
  return 0;
}

int adeis_safetensors_write(const char *path, size_t n, const char *const names[],
                            const int ndims[], const size_t *const shapes[],
                            const adeis_st_dtype dtypes[], const void *const data[], size_t nmeta,
                            const char *const keys[], const char *const vals[])
{
  int rc;
  char *hdr = build_header(n, names, ndims, shapes, dtypes, nmeta, keys, vals, path, &rc);
  if (!hdr) {
    if (rc == ADEIS_ENOMEM)
      adeis_set_error("%s: out of memory building the header", path);
    return rc;
  }
  size_t pl = strlen(path);
  char *tmp = malloc(pl + 16);
  if (!tmp) {
    free(hdr);
    adeis_set_error("%s: out of memory", path);
    return ADEIS_ENOMEM;
  }
  snprintf(tmp, pl + 16, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    adeis_set_error("%s: cannot create a temporary file: %s", path, strerror(errno));
    free(hdr);
    free(tmp);
    return ADEIS_EINPUT;
  }
  int bad = write_body(fd, hdr, n, ndims, shapes, dtypes, data) || fchmod(fd, 0644) ||
            fsync(fd);
  int err = errno;
  bad = close(fd) || bad;
  if (!bad && rename(tmp, path) != 0) {
    err = errno;
    bad = 1;
  }
  if (bad) {
    unlink(tmp);
    adeis_set_error("%s: cannot write: %s", path, strerror(err));
  } else {
    char *dcopy = strdup(path);
    int dfd = dcopy ? open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
    free(dcopy);
  }
  free(hdr);
  free(tmp);
  return bad ? ADEIS_EINPUT : ADEIS_OK;
}

/* The disk cache of reference solves (docs/solvers.md, "References"): the key, the file
 * format, atomic writes, and reads that trust nothing they cannot check. */
#include <stdio.h> /* before mpfr.h, for mpfr_fprintf */

#include "reference_cache.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RND MPFR_RNDN


static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001B3ULL;
  }
  return h;
}

#define FNV_BASIS 0xCBF29CE484222325ULL
#define FNV_BASIS2 0x84222325CBF29CE4ULL

/* The whole file, NUL-terminated; NULL when unreadable. */
static char *slurp(const char *path, size_t *len)
{
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n - 1, fp);
    if (n < cap - 1)
      break;
    char *b2 = realloc(buf, 2 * cap);
    if (!b2) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = b2;
    cap *= 2;
  }
  int err = ferror(fp);
  fclose(fp);
  if (!buf || err) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* Fold the bytes of one file into the two hashes; -1 when unreadable. */
static int hash_file(const char *path, uint64_t h[2])
{
  size_t len;
  char *bytes = slurp(path, &len);
  if (!bytes)
    return -1;
  h[0] = fnv1a(bytes, len, h[0]);
  h[1] = fnv1a(bytes, len, h[1]);
  free(bytes);
  return 0;
}

/* The file a line `key = @FILE` names (relative to the problem file's folder), or "". */
static void vector_file(const char *problem, const char *line, size_t len, char *path,
                        size_t size)
{
  const char *eq = memchr(line, '=', len), *end = line + len;
  path[0] = '\0';
  if (!eq)
    return;
  const char *v = eq + 1;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  if (v >= end || *v != '@')
    return;
  size_t n = 0;
  while (v + 1 + n < end && !strchr(" \t\r;#", v[1 + n]))
    n++;
  const char *slash = strrchr(problem, '/');
  int dir = v[1] == '/' || !slash ? 0 : (int)(slash - problem + 1);
  snprintf(path, size, "%.*s%.*s", dir, problem, (int)n, v + 1);
}

/* Fold the bytes of every vector file the problem file names into h. */
static int hash_vector_files(const char *problem, const char *text, uint64_t h[2])
{
  char path[4096];
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    vector_file(problem, line, len, path, sizeof path);
    if (path[0] && hash_file(path, h))
      return -1;
    line += len + (end != NULL);
  }
  return 0;
}

/* Fold the bytes of every file a [problem] key of the model type names (a network's
 * `weights`) into h: other weights are another reference. */
static int hash_model_files(const adeis_param_set *ps, uint64_t h[2])
{
  for (size_t i = 0; i < ps->n_keys; i++)
    if (ps->keys[i].kind == ADEIS_KEY_PATH && ps->v[i].word && hash_file(ps->v[i].word, h))
      return -1;
  return 0;
}

/* problem.h: the files a problem file names, folded into h (0 files: h untouched) */
int adeis_problem_named_files_hash(const adeis_problem_spec *spec, const char *text,
                                   uint64_t h[2])
{
  if (hash_vector_files(spec->path, text, h) || hash_model_files(&spec->model, h))
    return -1;
  return 0;
}

/* Everything the reference depends on, as text (the cache key): the problem file's bytes and
 * those of the vector and weights files it names, grid, equation, noise seed, precision,
 * method, rule. */
int adeis_reference_key(const adeis_reference_request *rq, char *buf, size_t size)
{
  size_t len;
  char *bytes = slurp(rq->spec->path, &len);
  if (!bytes)
    return -1;
  uint64_t h[2] = {fnv1a(bytes, len, FNV_BASIS), fnv1a(bytes, len, FNV_BASIS2)};
  int rc = adeis_problem_named_files_hash(rq->spec, bytes, h);
  free(bytes);
  if (rc)
    return -1;
  int n = snprintf(buf, size,
                   "adeis-reference 1\nproblem %016llx%016llx\ngrid %s\nequation %s\n"
                   "noise_seed %lu\nprecision %ld\nmethod %s\nrule start %d max %zu tol %.17g\n",
                   (unsigned long long)h[0], (unsigned long long)h[1], adeis_grid_name(rq->grid),
                   rq->sde ? "sde" : "ode", rq->spec->noise_seed,
                   adeis_reference_request_precision(rq), ADEIS_REF_METHOD,
                   ADEIS_REF_START_STEPS, adeis_reference_max_steps(rq), adeis_reference_target(rq));
  return n > 0 && (size_t)n < size ? 0 : -1;
}

void adeis_reference_cache_dir(const adeis_reference_request *rq, char *buf, size_t size)
{
  const char *env;
  buf[0] = '\0';
  if (rq->cache_dir)
    snprintf(buf, size, "%s", rq->cache_dir);
  else if ((env = getenv("ADEIS_CACHE_DIR")) && *env)
    snprintf(buf, size, "%s", env);
  else if ((env = getenv("XDG_CACHE_HOME")) && *env)
    snprintf(buf, size, "%s/adeis", env);
  else if ((env = getenv("HOME")) && *env)
    snprintf(buf, size, "%s/.cache/adeis", env);
}

int adeis_reference_cache_path(const adeis_reference_request *rq, char *buf, size_t size)
{
  char dir[2048], key[1024];
  adeis_reference_cache_dir(rq, dir, sizeof dir);
  if (!dir[0] || adeis_reference_key(rq, key, sizeof key))
    return -1;
  size_t len = strlen(key);
  int n = snprintf(buf, size, "%s/ref-%016llx%016llx.txt", dir,
                   (unsigned long long)fnv1a(key, len, FNV_BASIS),
                   (unsigned long long)fnv1a(key, len, FNV_BASIS2));
  return n > 0 && (size_t)n < size ? 0 : -1;
}

/* mkdir -p (0 when the folder exists afterwards) */
static int make_dirs(const char *path)
{
  char tmp[2048];
  if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
    return -1;
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      if (mkdir(tmp, 0777) && errno != EEXIST)
        return -1;
      *p = '/';
    }
  return mkdir(tmp, 0777) && errno != EEXIST ? -1 : 0;
}

/* Body: the key, then "steps S levels L", then per quantity "q NAME n N error E" and one
 * value per line, numbers in exact hexadecimal (%Ra); then "checksum H" over the body. */
static char *format_entry(const char *key, const adeis_reference *ref, size_t *len)
{
  char *body = NULL;
  size_t blen = 0;
  FILE *fp = open_memstream(&body, &blen);
  if (!fp)
    return NULL;
  fputs(key, fp);
  fprintf(fp, "steps %zu levels %u\n", ref->steps, ref->levels);
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    mpfr_fprintf(fp, "q %s n %zu error %Ra\n", adeis_quantity_names[q], ref->n[q], ref->error[q]);
    for (size_t i = 0; i < ref->n[q]; i++)
      mpfr_fprintf(fp, "%Ra\n", ref->value[q][i]);
  }
  fflush(fp);
  size_t sum_at = blen;
  fprintf(fp, "checksum %016llx\n", (unsigned long long)fnv1a(body, sum_at, FNV_BASIS));
  if (fclose(fp)) {
    free(body);
    return NULL;
  }
  *len = blen;
  return body;
}

/* Write atomically: a temporary file in the same folder, fsynced, renamed over the entry. */
void adeis_reference_cache_store(const char *path, const char *dir, const char *key,
                                 const adeis_reference *ref)
{
  size_t len;
  char *text = format_entry(key, ref, &len);
  char tmp[2200];
  if (!text || make_dirs(dir) ||
      snprintf(tmp, sizeof tmp, "%s/.ref-tmp.XXXXXX", dir) >= (int)sizeof tmp) {
    free(text);
    return;
  }
  int fd = mkstemp(tmp);
  if (fd >= 0) {
    int ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    ok &= close(fd) == 0;
    if (!ok || rename(tmp, path))
      unlink(tmp);
  }
  free(text);
}

/* Read one number line "%Ra" exactly into x; 0 on success. */
static int parse_number(char **pos, mpfr_ptr x)
{
  char *end;
  if (mpfr_strtofr(x, *pos, &end, 16, RND) != 0 || end == *pos || *end != '\n' ||
      !mpfr_number_p(x))
    return -1;
  *pos = end + 1;
  return 0;
}

static int parse_entry(char *text, const char *key, adeis_reference *ref)
{
  const char *mark = "checksum ";
  char *sum = NULL;
  for (char *p = strstr(text, mark); p; p = strstr(p + 1, mark))
    sum = p;
  if (!sum || strtoull(sum + strlen(mark), NULL, 16) != fnv1a(text, (size_t)(sum - text), FNV_BASIS))
    return -1;
  size_t klen = strlen(key);
  if (strncmp(text, key, klen) != 0)
    return -1;
  char *pos = text + klen;
  int used;
  if (sscanf(pos, "steps %zu levels %u\n%n", &ref->steps, &ref->levels, &used) != 2)
    return -1;
  pos += used;
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    char head[64];
    size_t n;
    snprintf(head, sizeof head, "q %s n %%zu error %%n", adeis_quantity_names[q]);
    used = 0;
    if (sscanf(pos, head, &n, &used) != 1 || !used || n != ref->n[q])
      return -1;
    pos += used;
    if (parse_number(&pos, ref->error[q]))
      return -1;
    for (size_t i = 0; i < n; i++)
      if (parse_number(&pos, ref->value[q][i]))
        return -1;
  }
  return pos == sum ? 0 : -1;
}

/* 0 when a valid entry was read; anything else (absent, corrupt, another key) is -1. */
int adeis_reference_cache_load(const char *path, const char *key, adeis_reference *ref)
{
  size_t len;
  char *text = slurp(path, &len);
  if (!text)
    return -1;
  int rc = strlen(text) == len ? parse_entry(text, key, ref) : -1;
  free(text);
  return rc;
}

/* Problem-file keys and values (params.h). */
#include "params.h"
#include "status.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RND MPFR_RNDN

int adeis_param_set_init(adeis_param_set *ps, const char *path, const char *section,
                         const adeis_key *keys, size_t n_keys)
{
  memset(ps, 0, sizeof *ps);
  ps->path = path;
  ps->section = section;
  ps->keys = keys;
  ps->n_keys = n_keys;
  ps->v = calloc(n_keys ? n_keys : 1, sizeof *ps->v);
  return ps->v ? ADEIS_OK : ADEIS_ENOMEM;
}

void adeis_numlist_clear(adeis_numlist *nl)
{
  if (nl->text)
    for (size_t i = 0; i < nl->n; i++)
      free(nl->text[i]);
  free(nl->text);
  free(nl->data);
  memset(nl, 0, sizeof *nl);
}

void adeis_param_set_clear(adeis_param_set *ps)
{
  if (ps->v)
    for (size_t k = 0; k < ps->n_keys; k++) {
      free(ps->v[k].word);
      adeis_numlist_clear(&ps->v[k].list);
    }
  free(ps->v);
  memset(ps, 0, sizeof *ps);
}

int adeis_param_index(const adeis_param_set *ps, const char *name)
{
  for (size_t k = 0; k < ps->n_keys; k++)
    if (strcmp(ps->keys[k].name, name) == 0)
      return (int)k;
  return -1;
}

const adeis_param *adeis_param_get(const adeis_param_set *ps, const char *name)
{
  int k = adeis_param_index(ps, name);
  return k < 0 ? NULL : &ps->v[k];
}

/* ---- numbers ---- */

static size_t digits(const char *s)
{
  size_t n = 0;
  while (isdigit((unsigned char)s[n]))
    n++;
  return n;
}

/* 1 when s is [+-]M[e[+-]D] with M = d+[.d*] or .d+; *nonzero: some mantissa digit is not 0. */
static int decimal_syntax(const char *s, int *nonzero)
{
  *nonzero = 0;
  if (*s == '+' || *s == '-')
    s++;
  const char *m = s;
  size_t a = digits(s);
  s += a;
  size_t b = 0;
  if (*s == '.') {
    b = digits(s + 1);
    s += 1 + b;
  }
  if (a + b == 0)
    return 0;
  for (const char *p = m; p < s; p++)
    *nonzero |= *p >= '1' && *p <= '9';
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-')
      s++;
    size_t e = digits(s);
    if (e == 0)
      return 0;
    s += e;
  }
  return *s == '\0';
}

int adeis_parse_decimal(mpfr_ptr r, const char *text)
{
  int nonzero;
  if (!decimal_syntax(text, &nonzero))
    return -1;
  char *end;
  mpfr_strtofr(r, text, &end, 10, RND);
  if (*end != '\0')
    return -1;
  if (!mpfr_number_p(r) || (mpfr_zero_p(r) && nonzero))
    return -2;
  return 0;
}

/* ---- checks ---- */

const char *adeis_param_label(const adeis_param_set *ps, size_t k, char *buf, size_t n)
{
  return adeis_ini_label(buf, n, ps->section, ps->keys[k].name);
}

void adeis_param_fail(adeis_param_set *ps, int line, size_t k, const char *fmt, ...)
{
  if (!ps->ini || ps->ini->has_error)
    return;
  char what[ADEIS_INI_WHAT_MAX], label[96];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  adeis_ini_fail(ps->ini, line, adeis_param_label(ps, k, label, sizeof label), "%s", what);
}

int adeis_param_require(adeis_param_set *ps, size_t k, const char *expected)
{
  if (ps->v[k].line)
    return 0;
  adeis_param_fail(ps, ps->missing_line, k, "missing; expected %s", expected);
  return -1;
}

void adeis_param_check_length(adeis_param_set *ps, size_t k, size_t n)
{
  const adeis_numlist *nl = &ps->v[k].list;
  if (nl->n != n)
    adeis_param_fail(ps, nl->line, k, "expected %zu number%s, got %zu", n, n == 1 ? "" : "s",
                     nl->n);
}

void adeis_param_check_list(adeis_param_set *ps, size_t k, size_t n, const char *what)
{
  char expected[128];
  snprintf(expected, sizeof expected, "%zu %s", n, what);
  if (adeis_param_require(ps, k, expected) == 0)
    adeis_param_check_length(ps, k, n);
}

void adeis_param_forbid(adeis_param_set *ps, size_t k, const char *why)
{
  if (ps->v[k].line)
    adeis_param_fail(ps, ps->v[k].line, k, "%s", why);
}

/* ---- building ---- */

/* A double backend cannot hold numbers outside the normal double range. */
static int fits_backend(const adeis_backend *be, mpfr_srcptr x)
{
  if (be->prec != 53 || mpfr_zero_p(x))
    return 1;
  mpfr_exp_t e = mpfr_get_exp(x);
  return e >= -1021 && e <= 1024;
}

int adeis_numlist_get(mpfr_ptr r, const adeis_numlist *nl, size_t i, const adeis_backend *be,
                      const char *path, const char *label)
{
  if (nl->text)
    mpfr_set_str(r, nl->text[i], 10, RND);
  else
    mpfr_set_d(r, nl->data[i], RND);
  if (fits_backend(be, r))
    return ADEIS_OK;
  char shown[64];
  if (nl->text)
    snprintf(shown, sizeof shown, "%.60s", nl->text[i]);
  else
    snprintf(shown, sizeof shown, "%.17g", nl->data[i]);
  adeis_set_error("%s:%d: %s: '%s' is outside the range of double precision; use a higher "
                  "precision", path, nl->line, label, shown);
  return ADEIS_EINPUT;
}

void adeis_numbers_clear(adeis_numbers *a)
{
  if (a->v)
    for (size_t i = 0; i < a->n; i++)
      mpfr_clear(a->v[i]);
  free(a->v);
  free(a->p);
  memset(a, 0, sizeof *a);
}

int adeis_param_numbers(adeis_numbers *a, const adeis_param_set *ps, size_t k,
                        const adeis_backend *be)
{
  const adeis_numlist *nl = &ps->v[k].list;
  char label[96];
  adeis_param_label(ps, k, label, sizeof label);
  memset(a, 0, sizeof *a);
  if (nl->n == 0)
    return ADEIS_OK;
  a->v = malloc(nl->n * sizeof *a->v);
  a->p = malloc(nl->n * sizeof *a->p);
  if (!a->v || !a->p) {
    adeis_numbers_clear(a);
    adeis_set_error("out of memory reading %s", label);
    return ADEIS_ENOMEM;
  }
  int rc = ADEIS_OK;
  for (size_t i = 0; i < nl->n; i++) {
    mpfr_init2(a->v[i], be->prec);
    a->n = i + 1;
    a->p[i] = a->v[i];
    if (!rc)
      rc = adeis_numlist_get(a->v[i], nl, i, be, ps->path, label);
  }
  return rc;
}

/* Index of the first of n doubles (finite: the reader checks) that a double backend cannot
 * hold (a subnormal), or n. */
static size_t first_subnormal(const double *a, size_t n)
{
  int bad = 0;
  for (size_t i = 0; i < n; i++)      /* branch-free: one pass, the index only on failure */
    bad |= a[i] != 0 && fabs(a[i]) < DBL_MIN;
  if (!bad)
    return n;
  size_t i = 0;
  while (!(a[i] != 0 && fabs(a[i]) < DBL_MIN))
    i++;
  return i;
}

/* The doubles data[off + i * stride], i < n, into v by bulk imports of at most IMPORT_CHUNK
 * (stride 1: straight from data). Returns the index of the first number a double backend
 * cannot hold (nothing after it imported), or n. */
#define IMPORT_CHUNK 4096
static size_t import_doubles(adeis_vec *v, const double *data, size_t off, size_t stride, size_t n)
{
  double buf[IMPORT_CHUNK];
  for (size_t i0 = 0; i0 < n; i0 += IMPORT_CHUNK) {
    size_t m = n - i0 < IMPORT_CHUNK ? n - i0 : IMPORT_CHUNK;
    const double *src = data + off + i0 * stride;
    if (stride != 1)
      for (size_t i = 0; i < m; i++)
        buf[i] = src[i * stride];
    const double *a = stride == 1 ? src : buf;
    size_t bad = v->be->prec == 53 ? first_subnormal(a, m) : m;
    if (bad < m)
      return i0 + bad;
    adeis_vec_import_d(v, i0, a, m);
  }
  return n;
}

int adeis_numlist_slice_vec(adeis_vec **out, const adeis_numlist *nl, size_t off, size_t stride,
                            size_t n, const adeis_backend *be, const char *path, const char *label)
{
  *out = adeis_vec_alloc(be, n);
  if (!*out) {
    adeis_set_error("out of memory allocating %s (dimension %zu)", label, n);
    return ADEIS_ENOMEM;
  }
  mpfr_t r;
  mpfr_init2(r, be->prec);
  int rc = ADEIS_OK;
  if (nl->data) {
    size_t bad = import_doubles(*out, nl->data, off, stride, n);
    if (bad < n) /* the message of the number that does not fit */
      rc = adeis_numlist_get(r, nl, off + bad * stride, be, path, label);
  } else {
    for (size_t i = 0; i < n && !rc; i++)
      if (!(rc = adeis_numlist_get(r, nl, off + i * stride, be, path, label)))
        adeis_vec_set(*out, i, r);
  }
  mpfr_clear(r);
  return rc;
}

int adeis_numlist_vec(adeis_vec **out, const adeis_numlist *nl, const adeis_backend *be,
                      const char *path, const char *label)
{
  return adeis_numlist_slice_vec(out, nl, 0, 1, nl->n, be, path, label);
}

int adeis_param_vec(adeis_vec **out, const adeis_param_set *ps, size_t k, const adeis_backend *be)
{
  char label[96];
  return adeis_numlist_vec(out, &ps->v[k].list, be, ps->path,
                           adeis_param_label(ps, k, label, sizeof label));
}

/* Backend-independent front end of the vector ops table, and the registry of backends. */
#include "backend.h"
#include "status.h"
#ifdef ADEIS_HAVE_CUDA
#include "../gpu/cuda.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_D 512     /* elements per chunk when converting through double or float */
#define CHUNK_MPFR 32   /* ... through MPFR numbers */

static int adeis_cpu_available(void) { return 1; }

const adeis_backend_type adeis_backend_type_double = {
  "double", ADEIS_ELEM_F64, 53, 53, 53, 0, &adeis_backend_double_ops, adeis_cpu_available};
const adeis_backend_type adeis_backend_type_float = {
  "float", ADEIS_ELEM_F32, 24, 24, 24, 0, &adeis_backend_float_ops, adeis_cpu_available};
const adeis_backend_type adeis_backend_type_mpfr = {
  "mpfr", ADEIS_ELEM_MPFR, ADEIS_PREC_MIN, ADEIS_PREC_MAX, 256, 0, &adeis_backend_mpfr_ops,
  adeis_cpu_available};

const adeis_backend_type *const adeis_backend_types[] = {
  &adeis_backend_type_double,
  &adeis_backend_type_float,
  &adeis_backend_type_mpfr,
#ifdef ADEIS_HAVE_CUDA
  &adeis_backend_type_cuda_float,
  &adeis_backend_type_cuda_double,
#endif
  NULL,
};

const adeis_backend_type *adeis_backend_lookup(const char *name)
{
  for (size_t i = 0; name && adeis_backend_types[i]; i++)
    if (strcmp(adeis_backend_types[i]->name, name) == 0)
      return adeis_backend_types[i];
  return NULL;
}

static void backend_set(adeis_backend *be, const adeis_backend_type *t, long prec)
{
  be->type = t;
  be->ops = t->ops;
  be->prec = (mpfr_prec_t)prec;
}

/* "double, float, mpfr" */
static void backend_names(char *buf, size_t size)
{
  buf[0] = '\0';
  for (size_t i = 0, used = 0; adeis_backend_types[i] && used < size; i++) {
    int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", adeis_backend_types[i]->name);
    used += w > 0 ? (size_t)w : 0;
  }
}

int adeis_backend_cuda_built(void)
{
#ifdef ADEIS_HAVE_CUDA
  return 1;
#else
  return 0;
#endif
}

int adeis_backend_init_named(adeis_backend *be, const char *name, long prec)
{
  const adeis_backend_type *t = adeis_backend_lookup(name);
  if (!t && name && strncmp(name, "cuda-", 5) == 0 && !adeis_backend_cuda_built()) {
    adeis_set_error("--backend %.40s: the CUDA backends were not built (make found no nvcc "
                    "with cudart and cuBLAS; docs/gpu.md)", name);
    return ADEIS_EINPUT;
  }
  if (!t) {
    char names[256];
    backend_names(names, sizeof names);
    adeis_set_error("--backend: expected one of %s, got '%.40s'", names, name ? name : "");
    return ADEIS_EINPUT;
  }
  if (!t->available()) {
    char why[256];
    snprintf(why, sizeof why, "%s", adeis_errmsg());
    adeis_set_error("--backend %s: not available here: %s", t->name, why);
    return ADEIS_EINPUT;
  }
  if (prec == 0)
    prec = t->prec_default;
  if (prec < t->prec_min || prec > t->prec_max) {
    if (t->prec_min == t->prec_max)
      adeis_set_error("--precision: backend %s stores %ld bits (give %ld or leave it out), got %ld",
                      t->name, t->prec_min, t->prec_min, prec);
    else
      adeis_set_error("--precision: backend %s expects bits in %ld..%ld, got %ld", t->name,
                      t->prec_min, t->prec_max, prec);
    return ADEIS_EINPUT;
  }
  backend_set(be, t, prec);
  return ADEIS_OK;
}

int adeis_backend_init(adeis_backend *be, long prec)
{
  if (prec < ADEIS_PREC_MIN || prec > ADEIS_PREC_MAX) {
    adeis_set_error("precision %ld outside %d..%d", prec, ADEIS_PREC_MIN, ADEIS_PREC_MAX);
    return ADEIS_EINPUT;
  }
  backend_set(be, prec == 53 ? &adeis_backend_type_double : &adeis_backend_type_mpfr, prec);
  return ADEIS_OK;
}

void adeis_backend_init_mpfr(adeis_backend *be, mpfr_prec_t prec)
{
  backend_set(be, &adeis_backend_type_mpfr, (long)prec);
}

int adeis_backend_same(const adeis_backend *a, const adeis_backend *b)
{
  return a == b || (a->ops == b->ops && a->prec == b->prec);
}

double adeis_scalar_bytes(mpfr_prec_t prec)
{
  return (double)sizeof(mpfr_t) + 8.0 * (double)((prec + 63) / 64);
}

double adeis_backend_bytes_per_value(const adeis_backend *be)
{
  switch (be->type->elem) {
  case ADEIS_ELEM_F32:
    return 4.0;
  case ADEIS_ELEM_F64:
    return 8.0;
  default:
    return 8.0 + (double)mpfr_custom_get_size(be->prec);
  }
}

mpfr_prec_t adeis_backend_scalar_prec(const adeis_backend *be)
{
  return be->prec + ADEIS_GUARD_BITS;
}

/* ---- vectors ---- */

adeis_vec *adeis_vec_alloc(const adeis_backend *be, size_t n)
{
  adeis_vec *v = malloc(sizeof *v);
  if (!v)
    return NULL;
  *v = (adeis_vec){.be = be, .n = n, .data = NULL, .aux = NULL, .view = 0};
  if (be->ops->alloc(v) != 0) {
    free(v);
    return NULL;
  }
  return v;
}

void adeis_vec_free(adeis_vec *v)
{
  if (!v)
    return;
  if (!v->view)
    v->be->ops->free(v);
  free(v);
}

int adeis_vec_view_init(adeis_vec *v, const adeis_vec *parent, size_t off, size_t n)
{
  if (off > parent->n || n > parent->n - off) {
    adeis_set_error("view of elements %zu..%zu+%zu of a vector of %zu", off, off, n, parent->n);
    return ADEIS_EINPUT;
  }
  *v = (adeis_vec){.be = parent->be, .n = n, .data = NULL, .aux = NULL, .view = 1};
  parent->be->ops->view(v, parent, off);
  return ADEIS_OK;
}

adeis_vec *adeis_vec_view(const adeis_vec *parent, size_t off, size_t n)
{
  adeis_vec *v = malloc(sizeof *v);
  if (v && adeis_vec_view_init(v, parent, off, n) != ADEIS_OK) {
    free(v);
    return NULL;
  }
  return v;
}

/* chunks of double (or float) values: exact out of float/double storage, one rounding
 * into the destination */
static void convert_through_d(adeis_vec *dst, const adeis_vec *src)
{
  double buf[CHUNK_D];
  for (size_t off = 0; off < src->n; off += CHUNK_D) {
    size_t m = src->n - off < CHUNK_D ? src->n - off : CHUNK_D;
    src->be->ops->export_d(src, off, buf, m);
    dst->be->ops->import_d(dst, off, buf, m);
  }
}

static void convert_through_f(adeis_vec *dst, const adeis_vec *src)
{
  float buf[CHUNK_D];
  for (size_t off = 0; off < src->n; off += CHUNK_D) {
    size_t m = src->n - off < CHUNK_D ? src->n - off : CHUNK_D;
    src->be->ops->export_f(src, off, buf, m);
    dst->be->ops->import_f(dst, off, buf, m);
  }
}

/* chunks of MPFR numbers at the source's precision (exact), rounded once into dst */
static void convert_through_mpfr(adeis_vec *dst, const adeis_vec *src)
{
  __mpfr_struct buf[CHUNK_MPFR];
  size_t m0 = src->n < CHUNK_MPFR ? src->n : CHUNK_MPFR;
  for (size_t i = 0; i < m0; i++)
    mpfr_init2(buf + i, src->be->prec);
  for (size_t off = 0; off < src->n; off += CHUNK_MPFR) {
    size_t m = src->n - off < CHUNK_MPFR ? src->n - off : CHUNK_MPFR;
    src->be->ops->export_mpfr(src, off, buf, m);
    dst->be->ops->import_mpfr(dst, off, buf, m);
  }
  for (size_t i = 0; i < m0; i++)
    mpfr_clear(buf + i);
}

int adeis_vec_convert(adeis_vec *dst, const adeis_vec *src)
{
  if (dst->n != src->n) {
    adeis_set_error("convert: %zu elements into %zu", src->n, dst->n);
    return ADEIS_EINPUT;
  }
  if (adeis_backend_same(dst->be, src->be)) {
    if (dst->data != src->data)
      dst->be->ops->copy(dst, src);
    return ADEIS_OK;
  }
  switch (dst->be->type->elem) {
  case ADEIS_ELEM_F32:
    convert_through_f(dst, src);
    break;
  case ADEIS_ELEM_F64:
    convert_through_d(dst, src);
    break;
  default:
    convert_through_mpfr(dst, src);
  }
  return ADEIS_OK;
}

void adeis_vec_copy(adeis_vec *y, const adeis_vec *x)
{
  if (y != x)
    adeis_vec_convert(y, x);
}

void adeis_vec_fill(adeis_vec *y, mpfr_srcptr c) { y->be->ops->fill(y, c); }

void adeis_vec_import_d(adeis_vec *v, size_t off, const double *a, size_t n)
{
  v->be->ops->import_d(v, off, a, n);
}

void adeis_vec_export_d(const adeis_vec *v, size_t off, double *a, size_t n)
{
  v->be->ops->export_d(v, off, a, n);
}

void adeis_vec_import_f(adeis_vec *v, size_t off, const float *a, size_t n)
{
  v->be->ops->import_f(v, off, a, n);
}

void adeis_vec_export_f(const adeis_vec *v, size_t off, float *a, size_t n)
{
  v->be->ops->export_f(v, off, a, n);
}

void adeis_vec_import_mpfr(adeis_vec *v, size_t off, mpfr_srcptr a, size_t n)
{
  v->be->ops->import_mpfr(v, off, a, n);
}

void adeis_vec_export_mpfr(const adeis_vec *v, size_t off, mpfr_ptr a, size_t n)
{
  v->be->ops->export_mpfr(v, off, a, n);
}

int adeis_vec_lincomb(adeis_vec *y, size_t k, mpfr_srcptr const c[], const adeis_vec *const x[])
{
  return y->be->ops->lincomb(y, k, c, x);
}

void adeis_vec_axpb(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x, mpfr_srcptr b)
{
  y->be->ops->axpb(y, a, x, b);
}

void adeis_vec_scale(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x)
{
  mpfr_srcptr c[1] = {a};
  const adeis_vec *xs[1] = {x};
  y->be->ops->lincomb(y, 1, c, xs);
}

void adeis_vec_set_zero(adeis_vec *y)
{
  mpfr_t zero;
  mpfr_init2(zero, MPFR_PREC_MIN);
  mpfr_set_zero(zero, 1);
  y->be->ops->fill(y, zero);
  mpfr_clear(zero);
}

void adeis_vec_prod(adeis_vec *z, const adeis_vec *x, const adeis_vec *y) { z->be->ops->prod(z, x, y); }
void adeis_vec_div(adeis_vec *z, const adeis_vec *x, const adeis_vec *y) { z->be->ops->div(z, x, y); }
void adeis_vec_sqrt(adeis_vec *z, const adeis_vec *x) { z->be->ops->sqrt(z, x); }
void adeis_vec_dot(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y) { x->be->ops->dot(r, x, y); }

void adeis_vec_mdot(mpfr_ptr r, const adeis_vec *x, size_t k, const adeis_vec *const y[])
{
  x->be->ops->mdot(r, x, k, y);
}

void adeis_vec_dot2(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y)
{
  const adeis_backend_ops *o = x->be->ops;
  (o->dot2 ? o->dot2 : o->dot)(r, x, y);
}

void adeis_vec_nrm2(mpfr_ptr r, const adeis_vec *x)
{
  x->be->ops->dot(r, x, x);
  mpfr_sqrt(r, r, MPFR_RNDN);
}

void adeis_vec_nrm_max(mpfr_ptr r, const adeis_vec *x) { x->be->ops->nrm_max(r, x); }

void adeis_vec_get(mpfr_ptr r, const adeis_vec *x, size_t i) { x->be->ops->get(r, x, i); }
void adeis_vec_set(adeis_vec *x, size_t i, mpfr_srcptr r) { x->be->ops->set(x, i, r); }

double adeis_vec_get_d(const adeis_vec *x, size_t i)
{
  double d;
  x->be->ops->export_d(x, i, &d, 1);
  return d;
}

void adeis_vec_set_d(adeis_vec *x, size_t i, double d) { x->be->ops->import_d(x, i, &d, 1); }

int adeis_vec_isfinite(const adeis_vec *x) { return x->be->ops->isfinite(x); }

/* |d|^2 / |ref|^2 (or |d|^2 when ref = 0) at precision p, square root into r. The sums by
 * dot2, except |ref|^2 when ref is stored less precisely than d: its dot (exact for double)
 * then keeps the distance to the higher precision. */
static void rel_dist_from(mpfr_ptr r, const adeis_vec *d, const adeis_vec *ref, mpfr_prec_t p)
{
  mpfr_t dd, ss;
  mpfr_inits2(p, dd, ss, (mpfr_ptr)0);
  adeis_vec_dot2(dd, d, d);
  if (adeis_backend_same(ref->be, d->be))
    adeis_vec_dot2(ss, ref, ref);
  else
    adeis_vec_dot(ss, ref, ref);
  if (!mpfr_zero_p(ss))
    mpfr_div(dd, dd, ss, MPFR_RNDN);
  mpfr_sqrt(r, dd, MPFR_RNDN);
  mpfr_clears(dd, ss, (mpfr_ptr)0);
}

int adeis_vec_rel_dist(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y)
{
  /* the difference at the more precise storage: the other vector is converted to it */
  const adeis_backend *be = x->be->prec >= y->be->prec ? x->be : y->be;
  mpfr_prec_t p = adeis_backend_scalar_prec(be);
  if (mpfr_get_prec(r) > p)
    p = mpfr_get_prec(r);
  adeis_vec *d = adeis_vec_alloc(be, x->n);
  if (!d) {
    mpfr_set_nan(r);
    adeis_set_error("out of memory for a vector of %zu", x->n);
    return ADEIS_ENOMEM;
  }
  mpfr_t one, mone;
  mpfr_inits2(MPFR_PREC_MIN, one, mone, (mpfr_ptr)0);
  mpfr_set_si(one, 1, MPFR_RNDN);
  mpfr_set_si(mone, -1, MPFR_RNDN);
  int x_here = be == x->be;
  adeis_vec_convert(d, x_here ? y : x);
  const adeis_vec *xs[2] = {x_here ? x : d, x_here ? d : y};
  adeis_vec_lincomb(d, 2, (mpfr_srcptr[]){one, mone}, xs);
  rel_dist_from(r, d, y, p);
  mpfr_clears(one, mone, (mpfr_ptr)0);
  adeis_vec_free(d);
  return ADEIS_OK;
}

/* Index of the first element of a that is not a finite number > 0, or n. */
static size_t first_nonpositive_d(const double *a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!(a[i] > 0) || a[i] - a[i] != 0)
      return i;
  return n;
}

static size_t first_nonpositive_f(const float *a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!(a[i] > 0) || a[i] - a[i] != 0)
      return i;
  return n;
}

#define SIGN_CHUNK 64

size_t adeis_vec_find_nonpositive(const adeis_vec *x)
{
  const double *d = adeis_vec_double_cdata(x);
  const float *f = adeis_vec_float_cdata(x);
  if (d)
    return first_nonpositive_d(d, x->n);
  if (f)
    return first_nonpositive_f(f, x->n);
  __mpfr_struct a[SIGN_CHUNK];   /* other storage: exported at its precision, exactly */
  for (size_t j = 0; j < SIGN_CHUNK; j++)
    mpfr_init2(a + j, x->be->prec);
  size_t found = x->n;
  for (size_t i0 = 0; i0 < x->n && found == x->n; i0 += SIGN_CHUNK) {
    size_t m = x->n - i0 < SIGN_CHUNK ? x->n - i0 : SIGN_CHUNK;
    adeis_vec_export_mpfr(x, i0, a, m);
    for (size_t j = 0; j < m && found == x->n; j++)
      if (!mpfr_number_p(a + j) || mpfr_sgn(a + j) <= 0)
        found = i0 + j;
  }
  for (size_t j = 0; j < SIGN_CHUNK; j++)
    mpfr_clear(a + j);
  return found;
}

const void *adeis_vec_storage(const adeis_vec *x)
{
  if (x->view || x->be->type->device)
    return NULL;
  return x->be->type->elem == ADEIS_ELEM_MPFR ? x->aux : x->data;
}

void *adeis_vec_raw(adeis_vec *x) { return x->be->ops->raw(x); }

double *adeis_vec_double_data(adeis_vec *x)
{
  return x->be->type->elem == ADEIS_ELEM_F64 ? (double *)x->be->ops->raw(x) : NULL;
}

const double *adeis_vec_double_cdata(const adeis_vec *x)
{
  return adeis_vec_double_data((adeis_vec *)x);
}

float *adeis_vec_float_data(adeis_vec *x)
{
  return x->be->type->elem == ADEIS_ELEM_F32 ? (float *)x->be->ops->raw(x) : NULL;
}

const float *adeis_vec_float_cdata(const adeis_vec *x)
{
  return adeis_vec_float_data((adeis_vec *)x);
}

/* Vector backend: an ops table in the manner of SUNDIALS' N_Vector.
 * Solvers and models touch storage only through these functions, so the same
 * algorithm runs on float, double and MPFR storage, and on CUDA devices (gpu/, docs/gpu.md).
 * A backend is chosen by name from a registry (adeis_backend_types); its precision is a
 * separate setting. Scalar coefficients always arrive as MPFR numbers; each backend rounds
 * them once per call. Copies between backends go through bulk import/export of arrays,
 * so no backend knows another. */
#ifndef ADEIS_BACKEND_H
#define ADEIS_BACKEND_H

#include <stddef.h>
#include <mpfr.h>

#define ADEIS_PREC_MIN 24      /* float storage; MPFR accepts 24.. too */
#define ADEIS_PREC_MAX 65536
#define ADEIS_GUARD_BITS 64    /* extra bits for scalar coefficients */

typedef struct adeis_vec adeis_vec;
typedef struct adeis_backend adeis_backend;

/* How one element is stored. */
typedef enum adeis_elem { ADEIS_ELEM_F32, ADEIS_ELEM_F64, ADEIS_ELEM_MPFR } adeis_elem;

/* The ops every backend implements. Vectors given to one op share the backend (the same
 * type and precision); adeis_vec_convert moves values between backends. Offsets and counts
 * are in elements. */
typedef struct adeis_backend_ops {
  const char *name;
  /* storage for v->n elements, all +0; returns 0, or -1 when out of memory */
  int (*alloc)(adeis_vec *v);
  void (*free)(adeis_vec *v);
  /* v (whose n the caller has set) shares the storage of parent from element off on */
  void (*view)(adeis_vec *v, const adeis_vec *parent, size_t off);
  void (*copy)(adeis_vec *y, const adeis_vec *x);
  void (*fill)(adeis_vec *y, mpfr_srcptr c);
  /* elements off .. off+n-1 from / into plain arrays; import rounds to the storage,
   * export to double or float rounds to nearest, export to MPFR rounds to each
   * destination's precision (exact for float and double storage) */
  void (*import_d)(adeis_vec *v, size_t off, const double *a, size_t n);
  void (*export_d)(const adeis_vec *v, size_t off, double *a, size_t n);
  void (*import_f)(adeis_vec *v, size_t off, const float *a, size_t n);
  void (*export_f)(const adeis_vec *v, size_t off, float *a, size_t n);
  void (*import_mpfr)(adeis_vec *v, size_t off, mpfr_srcptr a, size_t n);
  void (*export_mpfr)(const adeis_vec *v, size_t off, mpfr_ptr a, size_t n);
  /* returns 1 when every component of y is finite, 0 otherwise */
  int (*lincomb)(adeis_vec *y, size_t k, mpfr_srcptr const c[], const adeis_vec *const x[]);
  void (*axpb)(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x, mpfr_srcptr b);
  void (*prod)(adeis_vec *z, const adeis_vec *x, const adeis_vec *y);
  void (*div)(adeis_vec *z, const adeis_vec *x, const adeis_vec *y);
  void (*sqrt)(adeis_vec *z, const adeis_vec *x);
  void (*dot)(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y);
  /* r[j] = x . y[j] for j < k (r: k contiguous MPFR numbers), one pass over x */
  void (*mdot)(mpfr_ptr r, const adeis_vec *x, size_t k, const adeis_vec *const y[]);
  /* r = max_i |x_i| (0 for an empty vector; NaN when x holds a NaN) */
  void (*nrm_max)(mpfr_ptr r, const adeis_vec *x);
  /* x . y as if accumulated in twice the storage precision (see adeis_vec_dot2); NULL:
   * adeis_vec_dot2 uses dot */
  void (*dot2)(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y);
  void (*get)(mpfr_ptr r, const adeis_vec *x, size_t i);
  void (*set)(adeis_vec *x, size_t i, mpfr_srcptr r);
  int (*isfinite)(const adeis_vec *x);
  /* the plain element array (float[] or double[]) in host memory, or NULL */
  void *(*raw)(adeis_vec *x);
} adeis_backend_ops;

/* One entry of the registry: a backend by name, with its allowed storage precisions. */
typedef struct adeis_backend_type {
  const char *name;
  adeis_elem elem;
  long prec_min, prec_max, prec_default;
  int device;                      /* 1: storage lives on an accelerator */
  const adeis_backend_ops *ops;
  /* 1 when usable here; 0 with the reason set by adeis_set_error */
  int (*available)(void);
} adeis_backend_type;

struct adeis_backend {
  const adeis_backend_type *type;
  const adeis_backend_ops *ops;
  mpfr_prec_t prec;        /* storage precision: 24 for float, 53 for double */
};

struct adeis_vec {
  const adeis_backend *be;
  size_t n;
  void *data;              /* float[n], double[n], or the MPFR significands (n x limbs) */
  void *aux;               /* MPFR: exponent and kind of each element; else unused */
  int view;                /* 1: storage belongs to another vector */
};

extern const adeis_backend_ops adeis_backend_double_ops;
extern const adeis_backend_ops adeis_backend_float_ops;
extern const adeis_backend_ops adeis_backend_mpfr_ops;

extern const adeis_backend_type adeis_backend_type_double;
extern const adeis_backend_type adeis_backend_type_float;
extern const adeis_backend_type adeis_backend_type_mpfr;

/* Every backend, NULL-terminated, in the order `adeis list` shows them. */
extern const adeis_backend_type *const adeis_backend_types[];

/* 1 when the CUDA backends cuda-float and cuda-double (gpu/) were compiled into this
 * library (make found nvcc); they are then in the registry, usable when a device is. */
int adeis_backend_cuda_built(void);

/* The registered backend called name, or NULL. */
const adeis_backend_type *adeis_backend_lookup(const char *name);

/* Backend by name at a storage precision (0: the type's default). float accepts only 24,
 * double only 53, mpfr ADEIS_PREC_MIN..ADEIS_PREC_MAX. Returns 0, or ADEIS_EINPUT for an
 * unknown or unavailable name or a precision out of range (the message names --backend or
 * --precision). */
int adeis_backend_init_named(adeis_backend *be, const char *name, long prec);
/* The old rule, for precision numbers alone (study files, --precision without --backend):
 * 53 selects double storage, anything else in [ADEIS_PREC_MIN, ADEIS_PREC_MAX] MPFR
 * storage at that many bits. Returns 0, or ADEIS_EINPUT for a precision out of range. */
int adeis_backend_init(adeis_backend *be, long prec);
/* MPFR storage at prec bits, even at 53 (for tests). */
void adeis_backend_init_mpfr(adeis_backend *be, mpfr_prec_t prec);
/* 1 when a and b store the same way (same type, same precision). */
int adeis_backend_same(const adeis_backend *a, const adeis_backend *b);

/* Largest working memory a single run may plan for; runs that would need more are refused
 * up front (exit 2) instead of being killed by the system part-way. */
#define ADEIS_MEMORY_LIMIT_BYTES (16.0 * 1024 * 1024 * 1024)

/* Bytes one stored component takes: 4 for float, 8 for double; for MPFR the significand's
 * limbs plus 8 bytes of exponent and kind (vectors are packed, see backend_mpfr.c). */
double adeis_backend_bytes_per_value(const adeis_backend *be);
/* Bytes one MPFR scalar of precision prec takes. */
double adeis_scalar_bytes(mpfr_prec_t prec);

/* Precision at which scalar coefficients are computed for this backend. */
mpfr_prec_t adeis_backend_scalar_prec(const adeis_backend *be);

adeis_vec *adeis_vec_alloc(const adeis_backend *be, size_t n);
/* Frees v; for a view, only v itself (never the parent's storage). NULL is ignored. */
void adeis_vec_free(adeis_vec *v);
/* v = parent[off .. off+n-1] without a copy: writes through v land in parent. v may live on
 * the stack (nothing to free) and must not outlive parent. Returns 0, or ADEIS_EINPUT when
 * the range does not fit in parent. */
int adeis_vec_view_init(adeis_vec *v, const adeis_vec *parent, size_t off, size_t n);
/* The same as a heap object, freed by adeis_vec_free; NULL when out of memory or range. */
adeis_vec *adeis_vec_view(const adeis_vec *parent, size_t off, size_t n);
/* y = x; between different backends through adeis_vec_convert (rounded once). */
void adeis_vec_copy(adeis_vec *y, const adeis_vec *x);
/* dst = src for vectors of any two backends, through bounded chunks: MPFR numbers at the
 * source's precision when dst is MPFR, float when dst is float, double when dst is double.
 * Returns 0, or ADEIS_EINPUT when the lengths differ, ADEIS_ENOMEM. */
int adeis_vec_convert(adeis_vec *dst, const adeis_vec *src);
/* y_i = c for every i (c rounded once to the storage) */
void adeis_vec_fill(adeis_vec *y, mpfr_srcptr c);
void adeis_vec_import_d(adeis_vec *v, size_t off, const double *a, size_t n);
void adeis_vec_export_d(const adeis_vec *v, size_t off, double *a, size_t n);
void adeis_vec_import_f(adeis_vec *v, size_t off, const float *a, size_t n);
void adeis_vec_export_f(const adeis_vec *v, size_t off, float *a, size_t n);
/* a: n contiguous, initialised MPFR numbers (an array of __mpfr_struct) */
void adeis_vec_import_mpfr(adeis_vec *v, size_t off, mpfr_srcptr a, size_t n);
void adeis_vec_export_mpfr(const adeis_vec *v, size_t off, mpfr_ptr a, size_t n);
/* y = sum_{i<k} c[i] x[i]; y may be one of the x[i]. Returns 1 when every component of
 * the result is finite (checked in the same pass), 0 otherwise. */
int adeis_vec_lincomb(adeis_vec *y, size_t k, mpfr_srcptr const c[], const adeis_vec *const x[]);
/* y = a x + b (b a scalar added to every component). */
void adeis_vec_axpb(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x, mpfr_srcptr b);
void adeis_vec_scale(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x);
/* y = 0, clearing any Inf or NaN */
void adeis_vec_set_zero(adeis_vec *y);
void adeis_vec_prod(adeis_vec *z, const adeis_vec *x, const adeis_vec *y);
void adeis_vec_div(adeis_vec *z, const adeis_vec *x, const adeis_vec *y);
void adeis_vec_sqrt(adeis_vec *z, const adeis_vec *x);
void adeis_vec_dot(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y);
/* r[j] = x . y[j], j < k; r is an array of k initialised MPFR numbers */
void adeis_vec_mdot(mpfr_ptr r, const adeis_vec *x, size_t k, const adeis_vec *const y[]);
/* x . y for norms and errors that are reported, not computed with: not correctly rounded,
 * but as if accumulated in twice the storage precision. double: compensated (Dot2, about 15
 * instructions per element against about 135 for the exact dot), error at most
 * gamma_n^2 sum_i |x_i y_i| + n 2^-1073 before the rounding into r (gamma_n = n u / (1 - n u),
 * u = 2^-53: relative 1.2e-20 for a sum of squares at n = 10^6), the exact dot where that
 * overflows, or for Inf and NaN; float: the products (exact in double) summed in double,
 * error at most gamma_n sum_i |x_i y_i| with u = 2^-53 (below gamma_n^2 with float's 2^-24);
 * MPFR and backends without the op: dot (MPFR: accumulated with 64 guard bits over r's
 * precision). */
void adeis_vec_dot2(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y);
void adeis_vec_nrm2(mpfr_ptr r, const adeis_vec *x);
void adeis_vec_nrm_max(mpfr_ptr r, const adeis_vec *x);
/* One element (tests and small things only: hot paths use import/export). */
void adeis_vec_get(mpfr_ptr r, const adeis_vec *x, size_t i);
void adeis_vec_set(adeis_vec *x, size_t i, mpfr_srcptr r);
double adeis_vec_get_d(const adeis_vec *x, size_t i);
void adeis_vec_set_d(adeis_vec *x, size_t i, double d);
int adeis_vec_isfinite(const adeis_vec *x);
/* Relative distance |x - y| / |y| (y the reference; |x - y| when y = 0) into r, for
 * reporting. The difference is formed at the storage precision of the more precise backend
 * (the other vector converted to it), the two sums of squares by dot2 (at most gamma_n^2
 * relative error, no cancellation; |y|^2 by dot when y is the less precise vector) at its
 * scalar precision or r's if higher, then divided and square-rooted (rounded once each).
 * Returns 0, or ADEIS_ENOMEM (r then NaN). */
int adeis_vec_rel_dist(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y);
/* Index of the first element of x that is not a finite number > 0 (zero, negative, infinite,
 * NaN), or x->n when there is none. One pass over the plain array for float and double
 * storage; MPFR and device storage are exported in chunks at their own precision (exact). */
size_t adeis_vec_find_nonpositive(const adeis_vec *x);
/* The plain element array behind x (float[] or double[] in host memory), or NULL. */
void *adeis_vec_raw(adeis_vec *x);
/* The double array behind x, or NULL when x is not a host double vector (fast paths only). */
double *adeis_vec_double_data(adeis_vec *x);
const double *adeis_vec_double_cdata(const adeis_vec *x);
/* The allocation holding x's elements, for measuring memory (malloc_usable_size); NULL for
 * views and device storage. */
const void *adeis_vec_storage(const adeis_vec *x);
/* The same for float vectors. */
float *adeis_vec_float_data(adeis_vec *x);
const float *adeis_vec_float_cdata(const adeis_vec *x);

#endif

/* Vector backend: an ops table in the manner of SUNDIALS' N_Vector.
 * Solvers and models touch storage only through these functions, so the same
 * algorithm runs on double and MPFR (and later CUDA) storage.
 * Scalar coefficients always arrive as MPFR numbers; each backend rounds them once. */
#ifndef ADEIS_BACKEND_H
#define ADEIS_BACKEND_H

#include <stddef.h>
#include <mpfr.h>

#define ADEIS_PREC_MIN 53
#define ADEIS_PREC_MAX 65536
#define ADEIS_GUARD_BITS 64  /* extra bits for scalar coefficients */

typedef struct adeis_vec adeis_vec;
typedef struct adeis_backend adeis_backend;

typedef struct adeis_backend_ops {
  const char *name;
  int (*alloc_data)(adeis_vec *v);
  void (*free_data)(adeis_vec *v);
  void (*copy)(adeis_vec *y, const adeis_vec *x);
  /* returns 1 when every component of y is finite, 0 otherwise */
  int (*lincomb)(adeis_vec *y, size_t k, mpfr_srcptr const c[], const adeis_vec *const x[]);
  void (*axpb)(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x, mpfr_srcptr b);
  void (*prod)(adeis_vec *z, const adeis_vec *x, const adeis_vec *y);
  void (*div)(adeis_vec *z, const adeis_vec *x, const adeis_vec *y);
  void (*sqrt)(adeis_vec *z, const adeis_vec *x);
  void (*dot)(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y);
  void (*get)(mpfr_ptr r, const adeis_vec *x, size_t i);
  void (*set)(adeis_vec *x, size_t i, mpfr_srcptr r);
  int (*isfinite)(const adeis_vec *x);
} adeis_backend_ops;

struct adeis_backend {
  const adeis_backend_ops *ops;
  mpfr_prec_t prec;        /* storage precision: 53 for double */
};

struct adeis_vec {
  const adeis_backend *be;
  size_t n;
  void *data;              /* double[n] or mpfr_t[n] */
};

extern const adeis_backend_ops adeis_backend_double_ops;
extern const adeis_backend_ops adeis_backend_mpfr_ops;

/* Backend for a working precision: 53 selects double storage, anything in
 * [ADEIS_PREC_MIN, ADEIS_PREC_MAX] else MPFR storage at that many bits.
 * Returns 0, or ADEIS_EINPUT for a precision out of range. */
int adeis_backend_init(adeis_backend *be, long prec);
/* Same storage choice but forced MPFR even at 53 bits (for tests). */
void adeis_backend_init_mpfr(adeis_backend *be, mpfr_prec_t prec);

/* Largest working memory a single run may plan for; runs that would need more are refused
 * up front (exit 2) instead of being killed by the system part-way. */
#define ADEIS_MEMORY_LIMIT_BYTES (16.0 * 1024 * 1024 * 1024)

/* Bytes one stored component takes (8 for double; the mpfr_t and its limbs for MPFR). */
double adeis_backend_bytes_per_value(const adeis_backend *be);
/* Bytes one MPFR scalar of precision prec takes. */
double adeis_scalar_bytes(mpfr_prec_t prec);

/* Precision at which scalar coefficients are computed for this backend. */
mpfr_prec_t adeis_backend_scalar_prec(const adeis_backend *be);

adeis_vec *adeis_vec_alloc(const adeis_backend *be, size_t n);
void adeis_vec_free(adeis_vec *v);
void adeis_vec_copy(adeis_vec *y, const adeis_vec *x);
/* y = sum_{i<k} c[i] x[i]; y may be one of the x[i]. Returns 1 when every component of
 * the result is finite (checked in the same pass), 0 otherwise. */
int adeis_vec_lincomb(adeis_vec *y, size_t k, mpfr_srcptr const c[], const adeis_vec *const x[]);
/* y = a x + b (b a scalar added to every component). */
void adeis_vec_axpb(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x, mpfr_srcptr b);
void adeis_vec_scale(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x);
void adeis_vec_set_zero(adeis_vec *y);
void adeis_vec_prod(adeis_vec *z, const adeis_vec *x, const adeis_vec *y);
void adeis_vec_div(adeis_vec *z, const adeis_vec *x, const adeis_vec *y);
void adeis_vec_sqrt(adeis_vec *z, const adeis_vec *x);
void adeis_vec_dot(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y);
void adeis_vec_nrm2(mpfr_ptr r, const adeis_vec *x);
void adeis_vec_get(mpfr_ptr r, const adeis_vec *x, size_t i);
void adeis_vec_set(adeis_vec *x, size_t i, mpfr_srcptr r);
double adeis_vec_get_d(const adeis_vec *x, size_t i);
void adeis_vec_set_d(adeis_vec *x, size_t i, double d);
int adeis_vec_isfinite(const adeis_vec *x);
/* Relative distance |x - y| / |y| (y the reference; |x - y| when y = 0), computed at the scalar
 * precision of x's backend (or r's, if higher) and rounded once into r. */
void adeis_vec_rel_dist(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y);
/* The double array behind x, or NULL when x is not a double vector (fast paths only). */
double *adeis_vec_double_data(adeis_vec *x);
const double *adeis_vec_double_cdata(const adeis_vec *x);

#endif

/* Vector backends cuda-float and cuda-double (core/backend.h) on device memory.
 * One template for both element types. Coefficients are rounded once on the host (to the
 * storage type, as the CPU backends do) and passed as kernel arguments; lincomb checks
 * finiteness in the same pass and reads back one flag; dot, mdot, nrm_max and isfinite are
 * fixed-order reductions (cuda_util.cuh) read back as one small result. */
#include "cuda_util.cuh"

#include <stdlib.h>
#include <string.h>

#define LC_MAX 16     /* coefficients per lincomb kernel */
#define MDOT_MAX 4    /* dot products per pass over x */
#define STAGE 65536   /* elements per host staging buffer */

template <typename T> static T round_coef(mpfr_srcptr c);
template <> float round_coef<float>(mpfr_srcptr c) { return mpfr_get_flt(c, MPFR_RNDN); }
template <> double round_coef<double>(mpfr_srcptr c) { return mpfr_get_d(c, MPFR_RNDN); }

template <typename T> static T *D(const adeis_vec *v) { return (T *)v->data; }

/* ---- kernels ---- */

template <typename T> __global__ void k_fill(T *y, T a, size_t n)
{
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    y[i] = a;
}

template <typename T> struct lc_args {
  const T *x[LC_MAX];
  T c[LC_MAX];
};

/* y = sum_j c_j x_j in index order j; *bad = 1 when a result is not finite */
template <typename T> __global__ void k_lincomb(T *y, lc_args<T> a, int k, size_t n, int *bad)
{
  int mine = 0;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
    T v = a.c[0] * a.x[0][i];
    for (int j = 1; j < k; j++)
      v += a.c[j] * a.x[j][i];
    y[i] = v;
    mine |= !isfinite(v);
  }
  if (mine)
    *bad = 1;
}

template <typename T> __global__ void k_axpb(T *y, T a, const T *x, T b, size_t n)
{
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    y[i] = a * x[i] + b;
}

/* op 0: x y, 1: x / y, 2: sqrt x */
template <typename T> __global__ void k_binary(T *z, const T *x, const T *y, int op, size_t n)
{
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    z[i] = op == 0 ? x[i] * y[i] : op == 1 ? x[i] / y[i] : sqrt(x[i]);
}

/* Block-level tree over ADEIS_CU_THREADS double-doubles in shared memory, result in s[0]. */
__device__ static void tree_dd(adeis_dd *s)
{
  for (unsigned w = ADEIS_CU_THREADS / 2; w > 0; w /= 2) {
    __syncthreads();
    if (threadIdx.x < w)
      s[threadIdx.x] = adeis_dd_add(s[threadIdx.x], s[threadIdx.x + w]);
  }
  __syncthreads();
}

template <typename T> struct md_args {
  const T *y[MDOT_MAX];
};

/* part[j][block] = sum over the block's threads of x . y_j (k <= MDOT_MAX) */
template <typename T> __global__ void k_mdot_part(adeis_dd *part, const T *x, md_args<T> a, int k, size_t n)
{
  __shared__ adeis_dd s[ADEIS_CU_THREADS];
  adeis_dd acc[MDOT_MAX];
  for (int j = 0; j < MDOT_MAX; j++)
    acc[j] = adeis_dd{0.0, 0.0};
  size_t stride = (size_t)ADEIS_CU_RED_BLOCKS * ADEIS_CU_THREADS;
  for (size_t i = blockIdx.x * (size_t)ADEIS_CU_THREADS + threadIdx.x; i < n; i += stride) {
    double xi = (double)x[i];
    for (int j = 0; j < k; j++)
      acc[j] = adeis_dd_fma(acc[j], xi, (double)a.y[j][i]);
  }
  for (int j = 0; j < k; j++) {
    s[threadIdx.x] = acc[j];
    tree_dd(s);
    if (threadIdx.x == 0)
      part[j * ADEIS_CU_RED_BLOCKS + blockIdx.x] = s[0];
    __syncthreads();
  }
}

/* out[j] = sum over blocks of part[j][.], one block per j */
__global__ void k_dd_final(adeis_dd *out, const adeis_dd *part)
{
  __shared__ adeis_dd s[ADEIS_CU_THREADS];
  const adeis_dd *p = part + blockIdx.x * ADEIS_CU_RED_BLOCKS;
  adeis_dd a{0.0, 0.0};
  for (unsigned i = threadIdx.x; i < ADEIS_CU_RED_BLOCKS; i += ADEIS_CU_THREADS)
    a = adeis_dd_add(a, p[i]);
  s[threadIdx.x] = a;
  tree_dd(s);
  if (threadIdx.x == 0)
    out[blockIdx.x] = s[0];
}

/* max |x_i| with NaN winning (order-independent apart from which NaN) */
__device__ static inline double max_nan(double a, double b)
{
  return isnan(a) || isnan(b) ? (double)NAN : fmax(a, b);
}

template <typename T> __global__ void k_maxabs_part(double *part, const T *x, size_t n)
{
  __shared__ double s[ADEIS_CU_THREADS];
  double m = 0;
  size_t stride = (size_t)ADEIS_CU_RED_BLOCKS * ADEIS_CU_THREADS;
  for (size_t i = blockIdx.x * (size_t)ADEIS_CU_THREADS + threadIdx.x; i < n; i += stride)
    m = max_nan(m, fabs((double)x[i]));
  s[threadIdx.x] = m;
  for (unsigned w = ADEIS_CU_THREADS / 2; w > 0; w /= 2) {
    __syncthreads();
    if (threadIdx.x < w)
      s[threadIdx.x] = max_nan(s[threadIdx.x], s[threadIdx.x + w]);
  }
  if (threadIdx.x == 0)
    part[blockIdx.x] = s[0];
}

__global__ void k_max_final(double *out, const double *part)
{
  __shared__ double s[ADEIS_CU_THREADS];
  double m = 0;
  for (unsigned i = threadIdx.x; i < ADEIS_CU_RED_BLOCKS; i += ADEIS_CU_THREADS)
    m = max_nan(m, part[i]);
  s[threadIdx.x] = m;
  for (unsigned w = ADEIS_CU_THREADS / 2; w > 0; w /= 2) {
    __syncthreads();
    if (threadIdx.x < w)
      s[threadIdx.x] = max_nan(s[threadIdx.x], s[threadIdx.x + w]);
  }
  if (threadIdx.x == 0)
    out[0] = s[0];
}

template <typename T> __global__ void k_nonfinite(int *bad, const T *x, size_t n)
{
  int mine = 0;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    mine |= !isfinite(x[i]);
  if (mine)
    *bad = 1;
}

/* ---- ops ---- */

template <typename T> static int cu_alloc(adeis_vec *v)
{
  v->data = NULL;
  if (v->n == 0)
    return 0;
  v->data = adeis_cu_alloc(v->n * sizeof(T));
  adeis_cu_take_error();
  return v->data ? 0 : -1;
}

template <typename T> static void cu_free(adeis_vec *v) { adeis_cu_free(v->data, v->n * sizeof(T)); }

template <typename T> static void cu_view(adeis_vec *v, const adeis_vec *parent, size_t off)
{
  v->data = parent->data ? (void *)(D<T>(parent) + off) : NULL;
}

template <typename T> static void cu_copy(adeis_vec *y, const adeis_vec *x)
{
  if (x->n && y->data != x->data)
    adeis_cu_check(cudaMemcpy(y->data, x->data, x->n * sizeof(T), cudaMemcpyDeviceToDevice), "copy");
}

template <typename T> static void cu_fill(adeis_vec *y, mpfr_srcptr c)
{
  if (y->n)
    k_fill<T><<<adeis_cu_blocks(y->n), ADEIS_CU_THREADS>>>(D<T>(y), round_coef<T>(c), y->n);
}

/* host <-> device through a staging array of T when the host type differs */
template <typename T, typename H> static void cu_import(adeis_vec *v, size_t off, const H *a, size_t n)
{
  if (sizeof(T) == sizeof(H) && (T)0.1 == (H)0.1) {
    adeis_cu_check(cudaMemcpy(D<T>(v) + off, a, n * sizeof(T), cudaMemcpyHostToDevice), "import");
    return;
  }
  T *st = (T *)malloc((n < STAGE ? n : STAGE) * sizeof(T) + 1);
  if (!st) {
    adeis_cu_check(cudaErrorMemoryAllocation, "import staging");
    return;
  }
  for (size_t o = 0; o < n; o += STAGE) {
    size_t m = n - o < STAGE ? n - o : STAGE;
    for (size_t i = 0; i < m; i++)
      st[i] = (T)a[o + i];
    adeis_cu_check(cudaMemcpy(D<T>(v) + off + o, st, m * sizeof(T), cudaMemcpyHostToDevice), "import");
  }
  free(st);
}

template <typename T, typename H> static void cu_export(const adeis_vec *v, size_t off, H *a, size_t n)
{
  if (sizeof(T) == sizeof(H) && (T)0.1 == (H)0.1) {
    adeis_cu_check(cudaMemcpy(a, D<T>(v) + off, n * sizeof(T), cudaMemcpyDeviceToHost), "export");
    return;
  }
  T *st = (T *)malloc((n < STAGE ? n : STAGE) * sizeof(T) + 1);
  if (!st) {
    adeis_cu_check(cudaErrorMemoryAllocation, "export staging");
    return;
  }
  for (size_t o = 0; o < n; o += STAGE) {
    size_t m = n - o < STAGE ? n - o : STAGE;
    adeis_cu_check(cudaMemcpy(st, D<T>(v) + off + o, m * sizeof(T), cudaMemcpyDeviceToHost), "export");
    for (size_t i = 0; i < m; i++)
      a[o + i] = (H)st[i];
  }
  free(st);
}

template <typename T> static void cu_import_d(adeis_vec *v, size_t off, const double *a, size_t n)
{
  cu_import<T, double>(v, off, a, n);
}
template <typename T> static void cu_export_d(const adeis_vec *v, size_t off, double *a, size_t n)
{
  cu_export<T, double>(v, off, a, n);
}
template <typename T> static void cu_import_f(adeis_vec *v, size_t off, const float *a, size_t n)
{
  cu_import<T, float>(v, off, a, n);
}
template <typename T> static void cu_export_f(const adeis_vec *v, size_t off, float *a, size_t n)
{
  cu_export<T, float>(v, off, a, n);
}

template <typename T> static void cu_import_mpfr(adeis_vec *v, size_t off, mpfr_srcptr a, size_t n)
{
  T *st = (T *)malloc((n < STAGE ? n : STAGE) * sizeof(T) + 1);
  if (!st) {
    adeis_cu_check(cudaErrorMemoryAllocation, "import staging");
    return;
  }
  for (size_t o = 0; o < n; o += STAGE) {
    size_t m = n - o < STAGE ? n - o : STAGE;
    for (size_t i = 0; i < m; i++)
      st[i] = round_coef<T>(a + o + i);
    adeis_cu_check(cudaMemcpy(D<T>(v) + off + o, st, m * sizeof(T), cudaMemcpyHostToDevice), "import");
  }
  free(st);
}

template <typename T> static void cu_export_mpfr(const adeis_vec *v, size_t off, mpfr_ptr a, size_t n)
{
  double *st = (double *)malloc((n < STAGE ? n : STAGE) * sizeof(double) + 1);
  if (!st) {
    adeis_cu_check(cudaErrorMemoryAllocation, "export staging");
    return;
  }
  for (size_t o = 0; o < n; o += STAGE) {
    size_t m = n - o < STAGE ? n - o : STAGE;
    cu_export<T, double>(v, off + o, st, m);
    for (size_t i = 0; i < m; i++)
      mpfr_set_d(a + o + i, st[i], MPFR_RNDN);
  }
  free(st);
}

/* one fused pass for up to LC_MAX terms; returns 0 when a result is not finite */
template <typename T> static int lincomb_pass(T *y, size_t n, size_t k, const T *cf, const T *const *x, int *flag)
{
  lc_args<T> a;
  for (size_t j = 0; j < k; j++) {
    a.x[j] = x[j];
    a.c[j] = cf[j];
  }
  if (!adeis_cu_check(cudaMemsetAsync(flag, 0, sizeof(int)), "lincomb flag"))
    return 0;
  k_lincomb<T><<<adeis_cu_blocks(n), ADEIS_CU_THREADS>>>(y, a, (int)k, n, flag);
  int bad = 1;
  adeis_cu_check(cudaMemcpy(&bad, flag, sizeof(int), cudaMemcpyDeviceToHost), "lincomb flag");
  return !bad;
}

/* More than LC_MAX terms: partial sums in a temporary (y may be one of the x). */
template <typename T> static int lincomb_long(adeis_vec *y, size_t k, const T *cf, const T *const *x, int *flag)
{
  size_t n = y->n;
  T *t = (T *)adeis_cu_alloc(n * sizeof(T));
  if (!t)
    return 0;
  int ok = lincomb_pass<T>(t, n, LC_MAX, cf, x, flag);
  for (size_t j = LC_MAX; j < k; j += LC_MAX - 1) {
    size_t m = k - j < LC_MAX - 1 ? k - j : LC_MAX - 1;
    T c2[LC_MAX];
    const T *x2[LC_MAX];
    c2[0] = (T)1;
    x2[0] = t;
    for (size_t i = 0; i < m; i++) {
      c2[1 + i] = cf[j + i];
      x2[1 + i] = x[j + i];
    }
    ok = lincomb_pass<T>(t, n, m + 1, c2, x2, flag);
  }
  adeis_cu_check(cudaMemcpy(y->data, t, n * sizeof(T), cudaMemcpyDeviceToDevice), "lincomb");
  adeis_cu_free(t, n * sizeof(T));
  return ok;
}

template <typename T> static int cu_lincomb(adeis_vec *y, size_t k, mpfr_srcptr const c[], const adeis_vec *const x[])
{
  if (y->n == 0)
    return 1;
  int *flag = (int *)adeis_cu_scratch(sizeof(int));
  T cf_stack[LC_MAX], *cf = k <= LC_MAX ? cf_stack : (T *)malloc(k * sizeof(T));
  const T *xs_stack[LC_MAX], **xs = k <= LC_MAX ? xs_stack : (const T **)malloc(k * sizeof(T *));
  int ok = 0;
  if (flag && cf && xs && k > 0) {
    for (size_t j = 0; j < k; j++) {
      cf[j] = round_coef<T>(c[j]);
      xs[j] = D<T>(x[j]);
    }
    ok = k <= LC_MAX ? lincomb_pass<T>(D<T>(y), y->n, k, cf, xs, flag)
                     : lincomb_long<T>(y, k, cf, xs, flag);
  } else if (k == 0) {
    mpfr_t zero;
    mpfr_init2(zero, MPFR_PREC_MIN);
    mpfr_set_zero(zero, 1);
    cu_fill<T>(y, zero);
    mpfr_clear(zero);
    ok = 1;
  }
  if (cf != cf_stack)
    free(cf);
  if (xs != xs_stack)
    free(xs);
  return adeis_cu_take_error() ? 0 : ok;
}

template <typename T> static void cu_axpb(adeis_vec *y, mpfr_srcptr a, const adeis_vec *x, mpfr_srcptr b)
{
  if (y->n)
    k_axpb<T><<<adeis_cu_blocks(y->n), ADEIS_CU_THREADS>>>(D<T>(y), round_coef<T>(a), D<T>(x), round_coef<T>(b), y->n);
}

template <typename T> static void cu_prod(adeis_vec *z, const adeis_vec *x, const adeis_vec *y)
{
  if (z->n)
    k_binary<T><<<adeis_cu_blocks(z->n), ADEIS_CU_THREADS>>>(D<T>(z), D<T>(x), D<T>(y), 0, z->n);
}

template <typename T> static void cu_div(adeis_vec *z, const adeis_vec *x, const adeis_vec *y)
{
  if (z->n)
    k_binary<T><<<adeis_cu_blocks(z->n), ADEIS_CU_THREADS>>>(D<T>(z), D<T>(x), D<T>(y), 1, z->n);
}

template <typename T> static void cu_sqrt(adeis_vec *z, const adeis_vec *x)
{
  if (z->n)
    k_binary<T><<<adeis_cu_blocks(z->n), ADEIS_CU_THREADS>>>(D<T>(z), D<T>(x), D<T>(x), 2, z->n);
}

/* r[j] = x . y[j] for j < k: passes of MDOT_MAX, each result hi + lo rounded into r[j] */
template <typename T> static void cu_mdot(mpfr_ptr r, const adeis_vec *x, size_t k, const adeis_vec *const y[])
{
  size_t part_bytes = (size_t)MDOT_MAX * ADEIS_CU_RED_BLOCKS * sizeof(adeis_dd);
  char *scr = (char *)adeis_cu_scratch(part_bytes + MDOT_MAX * sizeof(adeis_dd));
  for (size_t j0 = 0; j0 < k; j0 += MDOT_MAX) {
    size_t m = k - j0 < MDOT_MAX ? k - j0 : MDOT_MAX;
    adeis_dd res[MDOT_MAX] = {};
    if (scr && x->n) {
      md_args<T> a;
      for (size_t j = 0; j < m; j++)
        a.y[j] = D<T>(y[j0 + j]);
      adeis_dd *part = (adeis_dd *)scr, *out = (adeis_dd *)(scr + part_bytes);
      k_mdot_part<T><<<ADEIS_CU_RED_BLOCKS, ADEIS_CU_THREADS>>>(part, D<T>(x), a, (int)m, x->n);
      k_dd_final<<<(unsigned)m, ADEIS_CU_THREADS>>>(out, part);
      adeis_cu_check(cudaMemcpy(res, out, m * sizeof(adeis_dd), cudaMemcpyDeviceToHost), "dot");
    }
    for (size_t j = 0; j < m; j++) {
      mpfr_set_d(r + j0 + j, res[j].hi, MPFR_RNDN);
      mpfr_add_d(r + j0 + j, r + j0 + j, res[j].lo, MPFR_RNDN);
    }
  }
  if (adeis_cu_take_error())
    for (size_t j = 0; j < k; j++)
      mpfr_set_nan(r + j);
}

template <typename T> static void cu_dot(mpfr_ptr r, const adeis_vec *x, const adeis_vec *y)
{
  const adeis_vec *ys[1] = {y};
  cu_mdot<T>(r, x, 1, ys);
}

template <typename T> static void cu_nrm_max(mpfr_ptr r, const adeis_vec *x)
{
  double m = 0;
  double *scr = (double *)adeis_cu_scratch((ADEIS_CU_RED_BLOCKS + 1) * sizeof(double));
  if (scr && x->n) {
    k_maxabs_part<T><<<ADEIS_CU_RED_BLOCKS, ADEIS_CU_THREADS>>>(scr, D<T>(x), x->n);
    k_max_final<<<1, ADEIS_CU_THREADS>>>(scr + ADEIS_CU_RED_BLOCKS, scr);
    adeis_cu_check(cudaMemcpy(&m, scr + ADEIS_CU_RED_BLOCKS, sizeof m, cudaMemcpyDeviceToHost), "nrm_max");
  }
  if (adeis_cu_take_error())
    m = NAN;
  mpfr_set_d(r, m, MPFR_RNDN);
}

template <typename T> static void cu_get(mpfr_ptr r, const adeis_vec *x, size_t i)
{
  double d = NAN;
  cu_export<T, double>(x, i, &d, 1);
  mpfr_set_d(r, d, MPFR_RNDN);
}

template <typename T> static void cu_set(adeis_vec *x, size_t i, mpfr_srcptr r)
{
  T v = round_coef<T>(r);
  adeis_cu_check(cudaMemcpy(D<T>(x) + i, &v, sizeof v, cudaMemcpyHostToDevice), "set");
}

template <typename T> static int cu_isfinite(const adeis_vec *x)
{
  int *flag = (int *)adeis_cu_scratch(sizeof(int)), bad = 1;
  if (!x->n)
    return 1;
  if (flag && adeis_cu_check(cudaMemsetAsync(flag, 0, sizeof(int)), "isfinite")) {
    k_nonfinite<T><<<adeis_cu_blocks(x->n), ADEIS_CU_THREADS>>>(flag, D<T>(x), x->n);
    adeis_cu_check(cudaMemcpy(&bad, flag, sizeof(int), cudaMemcpyDeviceToHost), "isfinite");
  }
  return adeis_cu_take_error() ? 0 : !bad;
}

/* no host array: callers fall back to import/export */
template <typename T> static void *cu_raw(adeis_vec *x)
{
  (void)x;
  return NULL;
}

template <typename T> static adeis_backend_ops make_ops(const char *name)
{
  adeis_backend_ops o;
  memset(&o, 0, sizeof o);
  o.name = name;
  o.alloc = cu_alloc<T>;
  o.free = cu_free<T>;
  o.view = cu_view<T>;
  o.copy = cu_copy<T>;
  o.fill = cu_fill<T>;
  o.import_d = cu_import_d<T>;
  o.export_d = cu_export_d<T>;
  o.import_f = cu_import_f<T>;
  o.export_f = cu_export_f<T>;
  o.import_mpfr = cu_import_mpfr<T>;
  o.export_mpfr = cu_export_mpfr<T>;
  o.lincomb = cu_lincomb<T>;
  o.axpb = cu_axpb<T>;
  o.prod = cu_prod<T>;
  o.div = cu_div<T>;
  o.sqrt = cu_sqrt<T>;
  o.dot = cu_dot<T>;
  o.mdot = cu_mdot<T>;
  o.nrm_max = cu_nrm_max<T>;
  o.get = cu_get<T>;
  o.set = cu_set<T>;
  o.isfinite = cu_isfinite<T>;
  o.raw = cu_raw<T>;
  return o;
}

extern "C" {
const adeis_backend_ops adeis_backend_cuda_float_ops = make_ops<float>("cuda-float");
const adeis_backend_ops adeis_backend_cuda_double_ops = make_ops<double>("cuda-double");
const adeis_backend_type adeis_backend_type_cuda_float = {
  "cuda-float", ADEIS_ELEM_F32, 24, 24, 24, 1, &adeis_backend_cuda_float_ops, adeis_cuda_available};
const adeis_backend_type adeis_backend_type_cuda_double = {
  "cuda-double", ADEIS_ELEM_F64, 53, 53, 53, 1, &adeis_backend_cuda_double_ops, adeis_cuda_available};

void *adeis_cuda_vec_device_ptr(adeis_vec *x)
{
  const adeis_backend_ops *o = x->be->ops;
  return o == &adeis_backend_cuda_float_ops || o == &adeis_backend_cuda_double_ops ? x->data : NULL;
}
}

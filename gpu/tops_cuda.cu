/* Tensor ops (nets/tops.h) on device arrays, float and double (one template). GEMM is
 * cuBLAS (row-major calls mapped onto its column-major interface, default math mode: no
 * TF32); every other op is a kernel. Sums (bias gradients, group-norm statistics) are
 * accumulated in double in a fixed order (one block per sum, each thread its elements in
 * index order, then a binary tree), as the CPU table accumulates in double; col2im gathers
 * the contributions of each input element in the CPU's order instead of scattering them.
 * Scalars are rounded once on the host and passed as kernel arguments. */
#include "cuda_util.cuh"

#include <cublas_v2.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define STAGE 65536

template <typename T> static T rnd(mpfr_srcptr c);
template <> float rnd<float>(mpfr_srcptr c) { return mpfr_get_flt(c, MPFR_RNDN); }
template <> double rnd<double>(mpfr_srcptr c) { return mpfr_get_d(c, MPFR_RNDN); }

__device__ static inline float dexp(float x) { return expf(x); }
__device__ static inline double dexp(double x) { return exp(x); }

#define GRID_STRIDE(i, n)                                                                      \
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n);                      \
       i += (size_t)gridDim.x * blockDim.x)

/* s[0] = sum of s[0 .. ADEIS_CU_THREADS - 1] by a fixed binary tree (all threads call it) */
__device__ static double tree_sum(double *s)
{
  for (unsigned w = ADEIS_CU_THREADS / 2; w > 0; w /= 2) {
    __syncthreads();
    if (threadIdx.x < w)
      s[threadIdx.x] += s[threadIdx.x + w];
  }
  __syncthreads();
  double r = s[0];
  __syncthreads();
  return r;
}

/* ---- elementwise kernels ---- */

template <typename T> __global__ void k_axpy(T *y, T a, const T *x, size_t n)
{
  GRID_STRIDE(i, n) y[i] += a * x[i];
}

template <typename T> __global__ void k_scale(T *x, T a, size_t n)
{
  GRID_STRIDE(i, n) x[i] *= a;
}

/* C[i][j] = beta ? bt C[i][j] : 0 (the k = 0 GEMM) */
template <typename T> __global__ void k_gemm_k0(T *c, size_t ldc, size_t m, size_t n, T bt, int beta)
{
  GRID_STRIDE(idx, m * n)
  {
    T *p = c + (idx / n) * ldc + idx % n;
    *p = beta ? bt * *p : (T)0;
  }
}

template <typename T>
__global__ void k_bias_add(T *y, const T *b, size_t bstride, size_t ch, size_t inner, size_t total)
{
  GRID_STRIDE(idx, total)
  {
    size_t rc = idx / inner;
    y[idx] += b[(rc / ch) * bstride + rc % ch];
  }
}

/* one block per output: gb[out] += sc * sum over `count` elements gy[base + (j / inner) *
 * jump + j % inner] */
template <typename T>
__global__ void k_bias_grad(T *gb, double sc, size_t bstride, const T *gy, size_t rows, size_t ch,
                            size_t inner)
{
  __shared__ double s[ADEIS_CU_THREADS];
  size_t out = blockIdx.x, count, c, r0;
  if (bstride == 0) {
    c = out;
    r0 = 0;
    count = rows * inner;
  } else {
    c = out % ch;
    r0 = out / ch;
    count = inner;
  }
  double acc = 0;
  for (size_t j = threadIdx.x; j < count; j += ADEIS_CU_THREADS) {
    size_t r = r0 + j / inner, i = j % inner;
    acc += (double)gy[(r * ch + c) * inner + i];
  }
  s[threadIdx.x] = acc;
  acc = tree_sum(s);
  if (threadIdx.x == 0) {
    size_t o = bstride == 0 ? c : r0 * bstride + c;
    gb[o] += (T)(sc * acc);
  }
}

template <typename T> __device__ static inline T sigmoid(T u) { return (T)1 / ((T)1 + dexp(-u)); }

template <typename T> __global__ void k_silu(T *y, const T *x, size_t n)
{
  GRID_STRIDE(i, n)
  {
    T u = x[i];
    y[i] = u * sigmoid(u);
  }
}

template <typename T> __global__ void k_silu_vjp(T *gx, const T *x, const T *gy, size_t n, int acc)
{
  GRID_STRIDE(i, n)
  {
    T u = x[i], sg = sigmoid(u);
    T d = gy[i] * sg * ((T)1 + u * ((T)1 - sg));
    gx[i] = acc ? gx[i] + d : d;
  }
}

/* ---- group norm: one block per (sample, group) or per channel ---- */

template <typename T>
__global__ void k_gn_fwd(T *y, T *mean, T *rstd, const T *x, const T *w, const T *b, size_t ch,
                         size_t inner, size_t groups, double e)
{
  __shared__ double s[ADEIS_CU_THREADS];
  size_t ng = blockIdx.x, n = ng / groups, g = ng % groups, cg = ch / groups, m = cg * inner;
  size_t off = (n * ch + g * cg) * inner;
  double acc = 0;
  for (size_t j = threadIdx.x; j < m; j += ADEIS_CU_THREADS)
    acc += (double)x[off + j];
  s[threadIdx.x] = acc;
  T mu = (T)(tree_sum(s) / (double)m);
  acc = 0;
  for (size_t j = threadIdx.x; j < m; j += ADEIS_CU_THREADS) {
    double d = (double)x[off + j] - (double)mu;
    acc += d * d;
  }
  s[threadIdx.x] = acc;
  T rs = (T)(1.0 / sqrt(tree_sum(s) / (double)m + (double)(T)e));
  if (threadIdx.x == 0) {
    mean[ng] = mu;
    rstd[ng] = rs;
  }
  for (size_t j = threadIdx.x; j < m; j += ADEIS_CU_THREADS) {
    size_t c = g * cg + j / inner;
    y[off + j] = (x[off + j] - mu) * rs * w[c] + b[c];
  }
}

/* gw[c] += sc sum gy xhat, gb[c] += sc sum gy over the batch: one block per channel */
template <typename T>
__global__ void k_gn_wgrad(T *gw, T *gb, double sc, const T *gy, const T *x, const T *mean,
                           const T *rstd, size_t batch, size_t ch, size_t inner, size_t groups)
{
  __shared__ double s[ADEIS_CU_THREADS];
  size_t c = blockIdx.x, g = c / (ch / groups);
  double aw = 0, ab = 0;
  for (size_t j = threadIdx.x; j < batch * inner; j += ADEIS_CU_THREADS) {
    size_t n = j / inner, i = j % inner;
    T mu = mean[n * groups + g], rs = rstd[n * groups + g];
    T gv = gy[(n * ch + c) * inner + i], xv = x[(n * ch + c) * inner + i];
    aw += (double)gv * (double)((xv - mu) * rs);
    ab += (double)gv;
  }
  s[threadIdx.x] = aw;
  aw = tree_sum(s);
  s[threadIdx.x] = ab;
  ab = tree_sum(s);
  if (threadIdx.x == 0) {
    gw[c] += (T)(sc * aw);
    gb[c] += (T)(sc * ab);
  }
}

/* gx of one (sample, group) per block */
template <typename T>
__global__ void k_gn_xgrad(T *gx, const T *gy, const T *x, const T *mean, const T *rstd,
                           const T *w, size_t ch, size_t inner, size_t groups)
{
  __shared__ double s[ADEIS_CU_THREADS];
  size_t ng = blockIdx.x, n = ng / groups, g = ng % groups, cg = ch / groups, m = cg * inner;
  size_t off = (n * ch + g * cg) * inner;
  T mu = mean[ng], rs = rstd[ng];
  double s1 = 0, s2 = 0;
  for (size_t j = threadIdx.x; j < m; j += ADEIS_CU_THREADS) {
    double gi = (double)gy[off + j] * (double)w[g * cg + j / inner];
    s1 += gi;
    s2 += gi * (double)((x[off + j] - mu) * rs);
  }
  s[threadIdx.x] = s1;
  T m1 = (T)(tree_sum(s) / (double)m);
  s[threadIdx.x] = s2;
  T m2 = (T)(tree_sum(s) / (double)m);
  for (size_t j = threadIdx.x; j < m; j += ADEIS_CU_THREADS) {
    T xh = (x[off + j] - mu) * rs;
    gx[off + j] = rs * (gy[off + j] * w[g * cg + j / inner] - m1 - xh * m2);
  }
}

/* ---- convolution patches, resampling ---- */

template <typename T>
__global__ void k_im2col(T *col, const T *x, size_t ch, size_t h, size_t w, size_t st, size_t ho,
                         size_t wo)
{
  GRID_STRIDE(idx, ch * 9 * ho * wo)
  {
    size_t ox = idx % wo, oy = (idx / wo) % ho, ck = idx / (wo * ho), c = ck / 9, k = ck % 9;
    size_t iy = st * oy + k / 3, ix = st * ox + k % 3; /* row + 1, column + 1 */
    col[idx] = (iy >= 1 && iy <= h && ix >= 1 && ix <= w) ? x[(c * h + iy - 1) * w + ix - 1] : (T)0;
  }
}

/* x[c][y][x] += its patch entries, gathered in (ky, kx) order as the CPU adds them */
template <typename T>
__global__ void k_col2im(T *x, const T *col, size_t ch, size_t h, size_t w, size_t st, size_t ho,
                         size_t wo)
{
  GRID_STRIDE(idx, ch * h * w)
  {
    size_t px = idx % w, py = (idx / w) % h, c = idx / (w * h);
    T acc = x[idx];
    for (size_t ky = 0; ky < 3; ky++) {
      if (py + 1 < ky || (py + 1 - ky) % st)
        continue;
      size_t oy = (py + 1 - ky) / st;
      if (oy >= ho)
        continue;
      for (size_t kx = 0; kx < 3; kx++) {
        if (px + 1 < kx || (px + 1 - kx) % st)
          continue;
        size_t ox = (px + 1 - kx) / st;
        if (ox < wo)
          acc += col[((c * 9 + ky * 3 + kx) * ho + oy) * wo + ox];
      }
    }
    x[idx] = acc;
  }
}

template <typename T> __global__ void k_up2(T *y, const T *x, size_t planes, size_t h, size_t w)
{
  GRID_STRIDE(idx, planes * 4 * h * w)
  {
    size_t ox = idx % (2 * w), oy = (idx / (2 * w)) % (2 * h), p = idx / (4 * h * w);
    y[idx] = x[(p * h + oy / 2) * w + ox / 2];
  }
}

template <typename T>
__global__ void k_up2_vjp(T *gx, const T *gy, size_t planes, size_t h, size_t w, int acc)
{
  GRID_STRIDE(idx, planes * h * w)
  {
    size_t ix = idx % w, iy = (idx / w) % h, p = idx / (w * h);
    const T *g = gy + (p * 2 * h + 2 * iy) * 2 * w + 2 * ix;
    T sum = (g[0] + g[1]) + (g[2 * w] + g[2 * w + 1]);
    gx[idx] = acc ? gx[idx] + sum : sum;
  }
}

/* y[n] = (a[n], b[n]) with na and nb elements per sample */
template <typename T>
__global__ void k_concat(T *y, const T *a, size_t na, const T *b, size_t nb, size_t total)
{
  GRID_STRIDE(idx, total)
  {
    size_t n = idx / (na + nb), r = idx % (na + nb);
    y[idx] = r < na ? a[n * na + r] : b[n * nb + r - na];
  }
}

/* g[n] = (acc ? g[n] : 0) + gy[n][off .. off + np - 1], rows of nt elements */
template <typename T>
__global__ void k_part(T *g, int acc, const T *gy, size_t off, size_t np, size_t nt, size_t total)
{
  GRID_STRIDE(idx, total)
  {
    T v = gy[(idx / np) * nt + off + idx % np];
    g[idx] = acc ? g[idx] + v : v;
  }
}

/* e[k] = cos(c w_k), e[half + k] = sin(c w_k), w_k = exp(-ln(10000) k / half), in double as
 * the CPU tables compute it, rounded to T */
template <typename T> __global__ void k_time_embed(T *e, double c, size_t half)
{
  GRID_STRIDE(k, half)
  {
    double w = exp(-log(10000.0) * (double)k / (double)half), a = c * w;
    e[k] = (T)cos(a);
    e[half + k] = (T)sin(a);
  }
}

/* ---- the table ---- */

#define TP(x) ((T *)(x))
#define CTP(x) ((const T *)(x))
#define LAUNCH(n) adeis_cu_blocks(n), ADEIS_CU_THREADS

template <typename T> static void *t_alloc(adeis_tbe_p be, size_t n)
{
  (void)be;
  return adeis_cu_alloc((n ? n : 1) * sizeof(T));
}

template <typename T> static void t_free(adeis_tbe_p be, void *x, size_t n)
{
  (void)be;
  adeis_cu_free(x, (n ? n : 1) * sizeof(T));
}

template <typename T> static void t_zero(adeis_tbe_p be, void *x, size_t n)
{
  (void)be;
  if (n)
    adeis_cu_check(cudaMemsetAsync(x, 0, n * sizeof(T)), "zero");
}

template <typename T> static void t_copy(adeis_tbe_p be, void *y, const void *x, size_t n)
{
  (void)be;
  if (n && y != x)
    adeis_cu_check(cudaMemcpyAsync(y, x, n * sizeof(T), cudaMemcpyDeviceToDevice), "copy");
}

template <typename T, typename H> static void t_from(T *y, const H *x, size_t n)
{
  if (sizeof(T) == sizeof(H)) {
    adeis_cu_check(cudaMemcpy(y, x, n * sizeof(T), cudaMemcpyHostToDevice), "from host");
    return;
  }
  size_t m0 = n < STAGE ? n : STAGE;
  T *st = (T *)malloc(m0 * sizeof(T) + 1);
  if (!st) {
    adeis_cu_check(cudaErrorMemoryAllocation, "staging");
    return;
  }
  for (size_t o = 0; o < n; o += STAGE) {
    size_t m = n - o < STAGE ? n - o : STAGE;
    for (size_t i = 0; i < m; i++)
      st[i] = (T)x[o + i];
    adeis_cu_check(cudaMemcpy(y + o, st, m * sizeof(T), cudaMemcpyHostToDevice), "from host");
  }
  free(st);
}

template <typename T> static void t_from_double(adeis_tbe_p be, void *y, const double *x, size_t n)
{
  (void)be;
  t_from<T, double>(TP(y), x, n);
}

template <typename T> static void t_from_float(adeis_tbe_p be, void *y, const float *x, size_t n)
{
  (void)be;
  t_from<T, float>(TP(y), x, n);
}

template <typename T> static void t_to_double(adeis_tbe_p be, double *y, const void *x, size_t n)
{
  (void)be;
  if (sizeof(T) == sizeof(double)) {
    adeis_cu_check(cudaMemcpy(y, x, n * sizeof(T), cudaMemcpyDeviceToHost), "to host");
    return;
  }
  size_t m0 = n < STAGE ? n : STAGE;
  T *st = (T *)malloc(m0 * sizeof(T) + 1);
  if (!st) {
    adeis_cu_check(cudaErrorMemoryAllocation, "staging");
    return;
  }
  for (size_t o = 0; o < n; o += STAGE) {
    size_t m = n - o < STAGE ? n - o : STAGE;
    adeis_cu_check(cudaMemcpy(st, CTP(x) + o, m * sizeof(T), cudaMemcpyDeviceToHost), "to host");
    for (size_t i = 0; i < m; i++)
      y[o + i] = (double)st[i];
  }
  free(st);
}

template <typename T> static void t_set_mpfr(adeis_tbe_p be, void *x, size_t i, mpfr_srcptr r)
{
  (void)be;
  T v = rnd<T>(r);
  adeis_cu_check(cudaMemcpy(TP(x) + i, &v, sizeof v, cudaMemcpyHostToDevice), "set");
}

template <typename T> static void t_get_mpfr(adeis_tbe_p be, mpfr_ptr r, const void *x, size_t i)
{
  (void)be;
  T v = (T)NAN;
  adeis_cu_check(cudaMemcpy(&v, CTP(x) + i, sizeof v, cudaMemcpyDeviceToHost), "get");
  mpfr_set_d(r, (double)v, MPFR_RNDN);
}

template <typename T> static void t_axpy(adeis_tbe_p be, void *y, mpfr_srcptr a, const void *x, size_t n)
{
  (void)be;
  if (n)
    k_axpy<T><<<LAUNCH(n)>>>(TP(y), a ? rnd<T>(a) : (T)1, CTP(x), n);
}

template <typename T> static void t_scale(adeis_tbe_p be, void *x, mpfr_srcptr a, size_t n)
{
  (void)be;
  if (n)
    k_scale<T><<<LAUNCH(n)>>>(TP(x), a ? rnd<T>(a) : (T)1, n);
}

/* one cuBLAS handle per thread, created on first use */
static cublasHandle_t blas_handle(void)
{
  static thread_local cublasHandle_t h;
  static thread_local int made;
  if (!made) {
    if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) {
      adeis_cu_check(cudaErrorInitializationError, "cublasCreate");
      return NULL;
    }
    cublasSetMathMode(h, CUBLAS_DEFAULT_MATH);
    made = 1;
  }
  return h;
}

static cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t oa, cublasOperation_t ob, int m,
                                int n, int k, const float *al, const float *a, int lda,
                                const float *b, int ldb, const float *bt, float *c, int ldc)
{
  return cublasSgemm(h, oa, ob, m, n, k, al, a, lda, b, ldb, bt, c, ldc);
}

static cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t oa, cublasOperation_t ob, int m,
                                int n, int k, const double *al, const double *a, int lda,
                                const double *b, int ldb, const double *bt, double *c, int ldc)
{
  return cublasDgemm(h, oa, ob, m, n, k, al, a, lda, b, ldb, bt, c, ldc);
}

/* Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: the operands swap. */
template <typename T>
static void t_gemm(adeis_tbe_p be, int ta, int tb, size_t m, size_t n, size_t k, mpfr_srcptr alpha,
                   const void *a, size_t lda, const void *b, size_t ldb, mpfr_srcptr beta, void *c,
                   size_t ldc)
{
  (void)be;
  if (m == 0 || n == 0)
    return;
  T al = alpha ? rnd<T>(alpha) : (T)1, bt = beta ? rnd<T>(beta) : (T)0;
  if (k == 0) {
    k_gemm_k0<T><<<LAUNCH(m * n)>>>(TP(c), ldc, m, n, bt, beta != NULL);
    return;
  }
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX || ldb > INT_MAX || ldc > INT_MAX) {
    adeis_cu_check(cudaErrorInvalidValue, "gemm dimensions beyond int");
    return;
  }
  cublasHandle_t h = blas_handle();
  if (!h)
    return;
  /* beta = 0: cuBLAS does not read C, so garbage or NaN there cannot leak in */
  cublasStatus_t s = gemm_call(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                               (int)n, (int)m, (int)k, &al, CTP(b), (int)ldb, CTP(a), (int)lda, &bt,
                               TP(c), (int)ldc);
  if (s != CUBLAS_STATUS_SUCCESS)
    adeis_cu_check(cudaErrorLaunchFailure, "cublas gemm");
}

template <typename T>
static void t_bias_add(adeis_tbe_p be, void *y, const void *b, size_t bstride, size_t rows, size_t ch,
                       size_t inner)
{
  (void)be;
  size_t total = rows * ch * inner;
  if (total)
    k_bias_add<T><<<LAUNCH(total)>>>(TP(y), CTP(b), bstride, ch, inner, total);
}

template <typename T>
static void t_bias_grad(adeis_tbe_p be, void *gb, mpfr_srcptr s, size_t bstride, const void *gy,
                        size_t rows, size_t ch, size_t inner)
{
  (void)be;
  size_t outs = bstride == 0 ? ch : rows * ch;
  if (outs)
    k_bias_grad<T><<<(unsigned)outs, ADEIS_CU_THREADS>>>(TP(gb), s ? mpfr_get_d(s, MPFR_RNDN) : 1.0,
                                                         bstride, CTP(gy), rows, ch, inner);
}

template <typename T> static void t_silu(adeis_tbe_p be, void *y, const void *x, size_t n)
{
  (void)be;
  if (n)
    k_silu<T><<<LAUNCH(n)>>>(TP(y), CTP(x), n);
}

template <typename T>
static void t_silu_vjp(adeis_tbe_p be, void *gx, const void *x, const void *gy, size_t n, int acc)
{
  (void)be;
  if (n)
    k_silu_vjp<T><<<LAUNCH(n)>>>(TP(gx), CTP(x), CTP(gy), n, acc);
}

template <typename T>
static void t_gn_fwd(adeis_tbe_p be, void *y, void *mean, void *rstd, const void *x, const void *w,
                     const void *b, size_t batch, size_t ch, size_t inner, size_t groups, mpfr_srcptr eps)
{
  (void)be;
  if (batch * groups != 0)
    k_gn_fwd<T><<<(unsigned)(batch * groups), ADEIS_CU_THREADS>>>(
        TP(y), TP(mean), TP(rstd), CTP(x), CTP(w), CTP(b), ch, inner, groups, mpfr_get_d(eps, MPFR_RNDN));
}

template <typename T>
static void t_gn_vjp(adeis_tbe_p be, void *gx, void *gw, void *gb, mpfr_srcptr s, const void *gy,
                     const void *x, const void *mean, const void *rstd, const void *w, size_t batch,
                     size_t ch, size_t inner, size_t groups)
{
  (void)be;
  if (gw && ch)
    k_gn_wgrad<T><<<(unsigned)ch, ADEIS_CU_THREADS>>>(TP(gw), TP(gb), s ? mpfr_get_d(s, MPFR_RNDN) : 1.0,
                                                     CTP(gy), CTP(x), CTP(mean), CTP(rstd), batch,
                                                     ch, inner, groups);
  if (gx && batch * groups != 0)
    k_gn_xgrad<T><<<(unsigned)(batch * groups), ADEIS_CU_THREADS>>>(
        TP(gx), CTP(gy), CTP(x), CTP(mean), CTP(rstd), CTP(w), ch, inner, groups);
}

template <typename T>
static void t_im2col(adeis_tbe_p be, void *col, const void *x, size_t ch, size_t h, size_t w, int stride)
{
  (void)be;
  size_t st = (size_t)stride, ho = (h - 1) / st + 1, wo = (w - 1) / st + 1, n = ch * 9 * ho * wo;
  if (n && h && w)
    k_im2col<T><<<LAUNCH(n)>>>(TP(col), CTP(x), ch, h, w, st, ho, wo);
}

template <typename T>
static void t_col2im(adeis_tbe_p be, void *x, const void *col, size_t ch, size_t h, size_t w, int stride)
{
  (void)be;
  size_t st = (size_t)stride, ho = (h - 1) / st + 1, wo = (w - 1) / st + 1, n = ch * h * w;
  if (n)
    k_col2im<T><<<LAUNCH(n)>>>(TP(x), CTP(col), ch, h, w, st, ho, wo);
}

template <typename T>
static void t_up2(adeis_tbe_p be, void *y, const void *x, size_t planes, size_t h, size_t w)
{
  (void)be;
  if (planes * h * w != 0)
    k_up2<T><<<LAUNCH(planes * 4 * h * w)>>>(TP(y), CTP(x), planes, h, w);
}

template <typename T>
static void t_up2_vjp(adeis_tbe_p be, void *gx, const void *gy, size_t planes, size_t h, size_t w, int acc)
{
  (void)be;
  if (planes * h * w != 0)
    k_up2_vjp<T><<<LAUNCH(planes * h * w)>>>(TP(gx), CTP(gy), planes, h, w, acc);
}

template <typename T>
static void t_concat(adeis_tbe_p be, void *y, const void *a, size_t ca, const void *b, size_t cb,
                     size_t batch, size_t inner)
{
  (void)be;
  size_t na = ca * inner, nb = cb * inner, total = batch * (na + nb);
  if (total)
    k_concat<T><<<LAUNCH(total)>>>(TP(y), CTP(a), na, CTP(b), nb, total);
}

template <typename T>
static void t_split(adeis_tbe_p be, void *ga, int acca, void *gb, int accb, const void *gy, size_t ca,
                    size_t cb, size_t batch, size_t inner)
{
  (void)be;
  size_t na = ca * inner, nb = cb * inner;
  if (ga && batch * na != 0)
    k_part<T><<<LAUNCH(batch * na)>>>(TP(ga), acca, CTP(gy), 0, na, na + nb, batch * na);
  if (gb && batch * nb != 0)
    k_part<T><<<LAUNCH(batch * nb)>>>(TP(gb), accb, CTP(gy), na, nb, na + nb, batch * nb);
}

template <typename T> static void t_time_embed(adeis_tbe_p be, void *e, double c, size_t e_dim)
{
  (void)be;
  if (e_dim / 2)
    k_time_embed<T><<<LAUNCH(e_dim / 2)>>>(TP(e), c, e_dim / 2);
}

template <typename T> static adeis_tops make_tops(const char *name, mpfr_prec_t prec)
{
  adeis_tops o;
  memset(&o, 0, sizeof o);
  o.name = name;
  o.esize = sizeof(T);
  o.fixed_prec = prec;
  o.alloc = t_alloc<T>;
  o.free = t_free<T>;
  o.zero = t_zero<T>;
  o.copy = t_copy<T>;
  o.from_double = t_from_double<T>;
  o.from_float = t_from_float<T>;
  o.to_double = t_to_double<T>;
  o.set_mpfr = t_set_mpfr<T>;
  o.get_mpfr = t_get_mpfr<T>;
  o.axpy = t_axpy<T>;
  o.scale = t_scale<T>;
  o.gemm = t_gemm<T>;
  o.bias_add = t_bias_add<T>;
  o.bias_grad = t_bias_grad<T>;
  o.silu = t_silu<T>;
  o.silu_vjp = t_silu_vjp<T>;
  o.gn_fwd = t_gn_fwd<T>;
  o.gn_vjp = t_gn_vjp<T>;
  o.im2col = t_im2col<T>;
  o.col2im = t_col2im<T>;
  o.up2 = t_up2<T>;
  o.up2_vjp = t_up2_vjp<T>;
  o.concat = t_concat<T>;
  o.split = t_split<T>;
  o.time_embed = t_time_embed<T>;
  return o;
}

extern "C" {
const adeis_tops adeis_tops_cuda_float = make_tops<float>("cuda-float", 24);
const adeis_tops adeis_tops_cuda_double = make_tops<double>("cuda-double", 53);
}

/* Internal helpers shared by the CUDA backends (gpu/, .cu files): error reporting, launch shapes,
 * device allocation with a peak counter, double-double sums for deterministic reductions. */
#ifndef ADEIS_GPU_CUDA_UTIL_CUH
#define ADEIS_GPU_CUDA_UTIL_CUH

#include <cuda_runtime.h>
#include <math.h>
#include <stddef.h>

#include <mpfr.h>
#include "cuda.h"
extern "C" {
#include "../core/status.h"
}

#define ADEIS_CU_THREADS 256
/* Reductions always use this many blocks of ADEIS_CU_THREADS threads, whatever the device:
 * element i goes to thread i mod (RED_BLOCKS * THREADS), each thread sums its elements in
 * index order, then fixed binary trees combine threads and blocks. Same order, same result,
 * every run and every device. */
#define ADEIS_CU_RED_BLOCKS 256

/* Reports a failed CUDA call (adeis_set_error) and remembers it for the calling thread until
 * adeis_cu_take_error; returns 1 when e is cudaSuccess. */
int adeis_cu_check(cudaError_t e, const char *what);
/* 1 when an error was reported since the last call (which clears it). */
int adeis_cu_take_error(void);

/* cudaMalloc of n bytes (n = 0: NULL), zeroed; NULL on failure (error set). */
void *adeis_cu_alloc(size_t bytes);
void adeis_cu_free(void *p, size_t bytes);

/* Per-thread device scratch of at least `bytes` (grown, never shrunk); NULL on failure. */
void *adeis_cu_scratch(size_t bytes);

static inline unsigned adeis_cu_blocks(size_t n)
{
  size_t b = (n + ADEIS_CU_THREADS - 1) / ADEIS_CU_THREADS;
  if (b > 65535)
    b = 65535; /* grid-stride loops cover the rest */
  return b ? (unsigned)b : 1u;
}

/* ---- double-double sums: (hi, lo) with hi = fl(hi + lo) ---- */
struct adeis_dd {
  double hi, lo;
};

__device__ static inline adeis_dd adeis_dd_add(adeis_dd a, adeis_dd b)
{
  double s = a.hi + b.hi, bb = s - a.hi;
  double e = (a.hi - (s - bb)) + (b.hi - bb); /* two-sum error */
  e += a.lo + b.lo;
  double h = s + e;
  return adeis_dd{h, e - (h - s)};
}

/* a + x * y, the product split exactly with an fma */
__device__ static inline adeis_dd adeis_dd_fma(adeis_dd a, double x, double y)
{
  double p = x * y, pe = fma(x, y, -p);
  return adeis_dd_add(a, adeis_dd{p, pe});
}

#endif

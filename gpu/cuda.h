/* CUDA backends (built when make finds nvcc; ADEIS_HAVE_CUDA is then defined): the vector
 * backends cuda-float and cuda-double (core/backend.h) and the tensor-ops tables of the same
 * element types (nets/tops.h). Every element array lives in device memory; scalars arrive as
 * MPFR numbers, are rounded once on the host and passed as kernel arguments. docs/gpu.md. */
#ifndef ADEIS_GPU_CUDA_H
#define ADEIS_GPU_CUDA_H

#include <stddef.h>

#include "../core/backend.h"
#include "../nets/tops.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const adeis_backend_ops adeis_backend_cuda_float_ops;
extern const adeis_backend_ops adeis_backend_cuda_double_ops;
extern const adeis_backend_type adeis_backend_type_cuda_float;
extern const adeis_backend_type adeis_backend_type_cuda_double;

/* Tensor ops on device arrays: alloc/free are cudaMalloc/cudaFree, from_double/to_double
 * copy between host and device, every other op runs on the device. */
extern const adeis_tops adeis_tops_cuda_float;
extern const adeis_tops adeis_tops_cuda_double;

/* 1 when a CUDA device can be used; 0 with the error "no CUDA device: <the runtime's reason>"
 * (adeis_errmsg). */
int adeis_cuda_available(void);

/* The device pointer behind a cuda-float or cuda-double vector (for the tensor ops), or NULL
 * for any other backend. raw() of these backends is NULL: there is no host array. */
void *adeis_cuda_vec_device_ptr(adeis_vec *x);

/* "NAME, compute capability M.m, driver X.Y, runtime X.Y, N MiB" of device 0, or the reason
 * there is none; returns 1 when a device was described. */
int adeis_cuda_describe(char *buf, size_t size);

/* Peak device memory in use (total minus free, cudaMemGetInfo: this process's arrays,
 * cuBLAS's workspace, the context), sampled at every allocation of these backends since the
 * last reset, in bytes; 0 without a device. */
size_t adeis_cuda_peak_bytes(void);
/* Peak of the bytes allocated by these backends and tables and not yet freed (vectors,
 * network weights and activations, scratch; not cuBLAS's workspace or the context) since the
 * last reset: the figure comparable to PyTorch's torch.cuda.max_memory_allocated. */
size_t adeis_cuda_peak_alloc_bytes(void);
void adeis_cuda_peak_reset(void);

/* Wait for every kernel launched so far (timings). */
void adeis_cuda_sync(void);

#ifdef __cplusplus
}
#endif

#endif

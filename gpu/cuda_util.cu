/* Error reporting, allocation and scratch shared by the CUDA backends. */
#include "cuda_util.cuh"

#include <atomic>
#include <stdio.h>

static thread_local int cu_failed;
static std::atomic<size_t> cu_bytes_peak;
/* bytes allocated through adeis_cu_alloc and not yet freed, and their peak */
static std::atomic<size_t> cu_live, cu_live_peak;

/* device memory in use (all of it: this process's allocations, cuBLAS, the context) */
static size_t used_bytes(void)
{
  size_t fr = 0, tot = 0;
  if (cudaMemGetInfo(&fr, &tot) != cudaSuccess)
    return 0;
  return tot - fr;
}

int adeis_cu_check(cudaError_t e, const char *what)
{
  if (e == cudaSuccess)
    return 1;
  cu_failed = 1;
  adeis_set_error("CUDA %s: %s", what, cudaGetErrorString(e));
  return 0;
}

int adeis_cu_take_error(void)
{
  cudaError_t e = cudaGetLastError(); /* launch failures */
  if (e != cudaSuccess)
    adeis_cu_check(e, "kernel launch");
  int f = cu_failed;
  cu_failed = 0;
  return f;
}

void *adeis_cu_alloc(size_t bytes)
{
  void *p = NULL;
  if (bytes == 0)
    return NULL;
  if (!adeis_cu_check(cudaMalloc(&p, bytes), "cudaMalloc"))
    return NULL;
  if (!adeis_cu_check(cudaMemset(p, 0, bytes), "cudaMemset")) {
    cudaFree(p);
    return NULL;
  }
  size_t now = used_bytes(), peak = cu_bytes_peak.load();
  while (now > peak && !cu_bytes_peak.compare_exchange_weak(peak, now)) {
  }
  size_t live = cu_live += bytes, lp = cu_live_peak.load();
  while (live > lp && !cu_live_peak.compare_exchange_weak(lp, live)) {
  }
  return p;
}

void adeis_cu_free(void *p, size_t bytes)
{
  if (p) {
    cudaFree(p);
    cu_live -= bytes;
  }
}

void *adeis_cu_scratch(size_t bytes)
{
  static thread_local void *buf;
  static thread_local size_t have;
  if (bytes <= have)
    return buf;
  void *p = adeis_cu_alloc(bytes);
  if (!p)
    return NULL;
  adeis_cu_free(buf, have);
  buf = p;
  have = bytes;
  return buf;
}

extern "C" int adeis_cuda_available(void)
{
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError(); /* clear it */
    adeis_set_error("no CUDA device: %s", cudaGetErrorString(e));
    return 0;
  }
  if (count < 1) {
    adeis_set_error("no CUDA device: cudaGetDeviceCount found none");
    return 0;
  }
  return 1;
}

extern "C" int adeis_cuda_describe(char *buf, size_t size)
{
  if (!adeis_cuda_available()) {
    snprintf(buf, size, "%s", adeis_errmsg());
    return 0;
  }
  cudaDeviceProp p;
  int drv = 0, rt = 0;
  if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) {
    snprintf(buf, size, "no CUDA device: cudaGetDeviceProperties failed");
    return 0;
  }
  cudaDriverGetVersion(&drv);
  cudaRuntimeGetVersion(&rt);
  snprintf(buf, size, "%s, compute capability %d.%d, driver %d.%d, runtime %d.%d, %zu MiB", p.name,
           p.major, p.minor, drv / 1000, (drv % 1000) / 10, rt / 1000, (rt % 1000) / 10,
           (size_t)(p.totalGlobalMem >> 20));
  return 1;
}

extern "C" size_t adeis_cuda_peak_bytes(void)
{
  size_t now = used_bytes(), peak = cu_bytes_peak.load();
  return now > peak ? now : peak;
}
extern "C" size_t adeis_cuda_peak_alloc_bytes(void) { return cu_live_peak.load(); }
extern "C" void adeis_cuda_peak_reset(void)
{
  cu_bytes_peak.store(used_bytes());
  cu_live_peak.store(cu_live.load());
}
extern "C" void adeis_cuda_sync(void) { adeis_cu_check(cudaDeviceSynchronize(), "synchronize"); }

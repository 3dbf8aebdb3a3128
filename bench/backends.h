/* make bench: the vector backends' section of docs/benchmarks.md. */
#ifndef ADEIS_BENCH_BACKENDS_H
#define ADEIS_BENCH_BACKENDS_H

/* Measures every backend and rewrites its marked section of path; 0 or -1. */
int adeis_bench_backends(const char *path);

#endif

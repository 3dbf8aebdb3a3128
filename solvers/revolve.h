/* Binomial checkpointing (Griewank-Walther "revolve", docs/math.md section 14): with s
 * snapshots (the one holding the start included), reversing n steps needs at least
 * T(n, s) = r n - beta(s + 1, r - 1) forward steps besides the reversals, where
 * beta(s, r) = C(s + r, s) and r is the least integer with beta(s, r) >= n. */
#ifndef ADEIS_REVOLVE_H
#define ADEIS_REVOLVE_H

#include <stddef.h>

/* C(s + r, s), saturated at 2^62; 0 for r < 0. */
unsigned long long adeis_revolve_beta(size_t s, long r);
/* T(n, s): forward steps of the optimal schedule (ULLONG_MAX when s = 0 and n > 1). */
unsigned long long adeis_revolve_cost(size_t n, size_t s);
/* The first snapshot's offset m in 1..n-1 for n > 1 steps and s >= 2 snapshots:
 * m + T(n - m, s - 1) + T(m, s) = T(n, s). */
size_t adeis_revolve_split(size_t n, size_t s);

#endif

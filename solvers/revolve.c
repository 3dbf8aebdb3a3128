/* Binomial checkpointing schedules (revolve.h). */
#include "revolve.h"

#include <limits.h>

#define BETA_CAP (1ULL << 62)

unsigned long long adeis_revolve_beta(size_t s, long r)
{
  if (r < 0)
    return 0;
  unsigned long long b = 1;
  for (long i = 1; i <= r; i++) {
    /* C(s+i, i) = C(s+i-1, i-1) (s+i) / i, exact in integers */
    unsigned long long num = (unsigned long long)s + (unsigned long long)i;
    if (b > BETA_CAP / num)
      return BETA_CAP;
    b = b * num / (unsigned long long)i;
  }
  return b;
}

unsigned long long adeis_revolve_cost(size_t n, size_t s)
{
  if (n <= 1)
    return 0;
  if (s == 0)
    return ULLONG_MAX;
  long r = 0;
  while (adeis_revolve_beta(s, r) < n)
    r++;
  return (unsigned long long)r * n - adeis_revolve_beta(s + 1, r - 1);
}

/* total forward steps with the first snapshot at m (convex in m) */
static unsigned long long split_cost(size_t n, size_t s, size_t m)
{
  unsigned long long right = adeis_revolve_cost(n - m, s - 1), left = adeis_revolve_cost(m, s);
  if (right == ULLONG_MAX)
    return ULLONG_MAX;
  return m + right + left;
}

size_t adeis_revolve_split(size_t n, size_t s)
{
  /* the least m where the cost stops decreasing */
  size_t lo = 1, hi = n - 1;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (split_cost(n, s, mid + 1) < split_cost(n, s, mid))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

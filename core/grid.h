/* Time grids with N steps from T (index 0) down to t_end (index N), in sampling order.
 * Computed in the schedule's precision (docs/math.md section 1). */
#ifndef ADEIS_GRID_H
#define ADEIS_GRID_H

#include "schedule.h"
#include <stddef.h>

typedef enum adeis_grid_kind {
  ADEIS_GRID_UNIFORM_T,
  ADEIS_GRID_UNIFORM_LAMBDA,
  ADEIS_GRID_QUADRATIC_T,
  ADEIS_GRID_EDM_RHO,
  ADEIS_GRID_COUNT
} adeis_grid_kind;

typedef struct adeis_grid {
  adeis_grid_kind kind;
  size_t n;               /* number of steps */
  adeis_tpoint *pts;      /* n + 1 points; pts[0].t = T, pts[n].t = t_end */
} adeis_grid;

const char *adeis_grid_name(adeis_grid_kind kind);
/* Returns 0 and sets *kind, or -1 for an unknown name. */
int adeis_grid_lookup(const char *name, adeis_grid_kind *kind);

/* Returns 0, or ADEIS_ENOMEM. */
int adeis_grid_init(adeis_grid *g, adeis_grid_kind kind, const adeis_schedule *s, size_t n);
void adeis_grid_clear(adeis_grid *g);

#endif

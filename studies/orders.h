/* Observed orders of convergence (docs/math.md section 10) from errors e_i at step counts N_i.
 *
 * The rule, applied in this order (docs/studies.md, "How orders are estimated"):
 * 1. nan:   an error that is NaN, infinite or negative is left out.
 * 2. floor: an error at or under the precision floor 1e3 * 2^-bits * scale is left out
 *           (0 included); an error at or under the reference floor (10x the reference's
 *           error estimate, for quantities measured against a reference) is left out as
 *           reference-floor. Then, walking back from the largest N, a point is a plateau point
 *           while its local order from the previous point is under ADEIS_ORDER_PLATEAU_SLOPE
 *           and its error is under 2^-(bits/2) * scale (the lower half of the digits); every
 *           plateau point, and every point within ADEIS_ORDER_PLATEAU_MARGIN of the largest
 *           plateau error, is left out as floor.
 * 3. pre-asymptotic: among the points left, local orders q_j between consecutive points;
 *           ref = median of the last (up to 3) of them; the fit keeps the longest tail of
 *           points whose local orders all satisfy |q_j - ref| <= pre_tol (every point before
 *           the last offending q_j is dropped), and always at least ADEIS_ORDER_MIN_POINTS.
 * 4. fit:   fitted order = minus the least-squares slope of log e on log N over the points
 *           left (gsl_fit_linear), standard error sqrt(cov11) (NaN with fewer than 3 points).
 * Local (pairwise) orders are log(e_i/e_{i+1}) / log(N_{i+1}/N_i), which is log(e_N/e_2N)/log 2
 * for a doubling step list. */
#ifndef ADEIS_ORDERS_H
#define ADEIS_ORDERS_H

#include <stddef.h>

#define ADEIS_ORDER_MIN_POINTS 3
#define ADEIS_ORDER_PRE_TOL 0.05
#define ADEIS_ORDER_PLATEAU_SLOPE 0.5
#define ADEIS_ORDER_PLATEAU_MARGIN 100.0

typedef enum adeis_order_mark {
  ADEIS_ORDER_USED,
  ADEIS_ORDER_PRE,     /* "pre-asymptotic" */
  ADEIS_ORDER_FLOOR,   /* "floor" */
  ADEIS_ORDER_NAN,     /* "nan" */
  ADEIS_ORDER_REF_FLOOR /* "reference-floor" */
} adeis_order_mark;

/* A measured error below this multiple of the reference's error estimate is no measurement. */
#define ADEIS_ORDER_REF_FLOOR_FACTOR 10.0

typedef struct adeis_order_fit {
  size_t n;                 /* number of points */
  adeis_order_mark *mark;   /* per point */
  double *local;            /* local[i]: order from point i to i+1, NaN where undefined (and at n-1) */
  size_t used;              /* points marked ADEIS_ORDER_USED */
  double fitted;            /* NaN with fewer than 2 used points */
  double se;                /* standard error of the fitted order; NaN with fewer than 3 */
} adeis_order_fit;

/* "used", "pre-asymptotic", "floor", "nan", "reference-floor". */
const char *adeis_order_mark_name(adeis_order_mark m);

/* Estimate from n points with N strictly increasing. bits: the working precision;
 * scale: the size of the error quantity (1 for relative errors); pre_tol: the
 * pre-asymptotic tolerance (ADEIS_ORDER_PRE_TOL by default).
 * Returns 0, ADEIS_EINPUT (N not increasing or not positive) or ADEIS_ENOMEM.
 * fit is always safe to clear afterwards. */
int adeis_order_estimate(const double *N, const double *e, size_t n, long bits, double scale,
                         double pre_tol, adeis_order_fit *fit);
/* The same with a reference floor: errors at or under ref_floor are marked reference-floor
 * (0: none, as adeis_order_estimate). */
int adeis_order_estimate_ref(const double *N, const double *e, size_t n, long bits, double scale,
                             double pre_tol, double ref_floor, adeis_order_fit *fit);
void adeis_order_fit_clear(adeis_order_fit *fit);

#endif

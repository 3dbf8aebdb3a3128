/* Time grids (docs/math.md section 1): every kind on every schedule. Each grid is checked in
 * its own coordinate u, where it must be equally spaced:
 *   uniform-t      u = t
 *   uniform-lambda u = lambda
 *   quadratic-t    u = sqrt((t - t_end)/(T - t_end))
 *   edm-rho        u = exp(-lambda)^(1/7)
 * against u_0 + (u_N - u_0) i/N formed at 3p + 64 bits, within a few units of 2^-p
 * times the scale of the arithmetic that produced the point. */
#include <criterion/criterion.h>

#include "../core/grid.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define RND MPFR_RNDN

static const mpfr_prec_t precs[] = {53, 113, 256};
#define N_PRECS (sizeof precs / sizeof *precs)
static const size_t steps[] = {1, 7, 64};
#define N_STEPS (sizeof steps / sizeof *steps)

static void note(const char *fmt, ...)
{
  if (!getenv("ADEIS_TEST_VERBOSE"))
    return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

/* |got - ref| / |scale| in units of 2^-p */
static double err_units(mpfr_srcptr got, mpfr_srcptr ref, double scale, mpfr_prec_t p)
{
  mpfr_t d;
  mpfr_init2(d, mpfr_get_prec(ref) + 64);
  mpfr_sub(d, got, ref, RND);
  mpfr_abs(d, d, RND);
  mpfr_div_d(d, d, scale, RND);
  mpfr_mul_2si(d, d, (long)p, RND);
  double e = mpfr_get_d(d, RND);
  mpfr_clear(d);
  return e;
}

static double dabs(mpfr_srcptr x) { return fabs(mpfr_get_d(x, RND)); }

/* The grid coordinate u of a point, at the precision of u. */
static void grid_coord(mpfr_ptr u, adeis_grid_kind kind, const adeis_schedule *s,
                       const adeis_tpoint *tp)
{
  mpfr_t d;
  mpfr_init2(d, mpfr_get_prec(u));
  switch (kind) {
  case ADEIS_GRID_UNIFORM_T: mpfr_set(u, tp->t, RND); break;
  case ADEIS_GRID_UNIFORM_LAMBDA: mpfr_set(u, tp->lambda, RND); break;
  case ADEIS_GRID_QUADRATIC_T:
    mpfr_sub(u, tp->t, s->t_end, RND);
    mpfr_sub(d, s->T, s->t_end, RND);
    mpfr_div(u, u, d, RND);
    mpfr_sqrt(u, u, RND);
    break;
  default:
    mpfr_div_si(u, tp->lambda, -7, RND);
    mpfr_exp(u, u, RND);
    break;
  }
  mpfr_clear(d);
}

/* Allowed error of u_i in units of 2^-p: the arithmetic that made point i.
 * uniform-t: |T|; uniform-lambda: 2 max |lambda| (the span is up to that); quadratic-t: t rounded (|T| + |t_end|)
 * divided by (T - t_end) and by 2u for the square root; edm-rho: u |lambda|/7 from lambda's
 * rounding, the exponentials, the log and the sum, bounded by u (1 + |lambda|) + max u. */
static double coord_scale(adeis_grid_kind kind, const adeis_schedule *s, const adeis_grid *g,
                          size_t i, mpfr_srcptr u, mpfr_srcptr u0, mpfr_srcptr uN)
{
  double lmax = fmax(dabs(g->pts[0].lambda), dabs(g->pts[g->n].lambda));
  double T = dabs(s->T), te = dabs(s->t_end), ui = dabs(u);
  switch (kind) {
  case ADEIS_GRID_UNIFORM_T: return T;
  case ADEIS_GRID_UNIFORM_LAMBDA: return 2 * lmax;
  case ADEIS_GRID_QUADRATIC_T: return i == g->n ? 1.0 : (T + te) / (T - te) / (2 * ui);
  default: return ui * (1 + dabs(g->pts[i].lambda)) + fmax(dabs(u0), dabs(uN));
  }
}

/* u_i against the straight line through u_0 and u_N */
static double check_equal_spacing(adeis_grid_kind kind, const adeis_schedule *s,
                                  const adeis_grid *g)
{
  mpfr_prec_t p = s->prec, P = 3 * p + 64;
  mpfr_t u0, uN, u, ref;
  mpfr_inits2(P, u0, uN, u, ref, (mpfr_ptr)0);
  grid_coord(u0, kind, s, &g->pts[0]);
  grid_coord(uN, kind, s, &g->pts[g->n]);
  double worst = 0.0;
  for (size_t i = 0; i <= g->n; i++) {
    grid_coord(u, kind, s, &g->pts[i]);
    mpfr_sub(ref, uN, u0, RND);
    mpfr_mul_ui(ref, ref, (unsigned long)i, RND);
    mpfr_div_ui(ref, ref, (unsigned long)g->n, RND);
    mpfr_add(ref, ref, u0, RND);
    double e = err_units(u, ref, coord_scale(kind, s, g, i, u, u0, uN), p);
    worst = e > worst ? e : worst;
    cr_assert(e <= 4, "%s on %s, N=%zu, %ld bits, point %zu: %.3g units off the line",
              adeis_grid_name(kind), s->type->name, g->n, (long)p, i, e);
  }
  mpfr_clears(u0, uN, u, ref, (mpfr_ptr)0);
  return worst;
}

/* N+1 points from T to t_end, t strictly decreasing, lambda strictly increasing */
static void check_shape(adeis_grid_kind kind, const adeis_schedule *s, const adeis_grid *g, size_t n)
{
  mpfr_prec_t p = s->prec;
  const char *gn = adeis_grid_name(kind);
  cr_assert_eq(g->n, n);
  cr_assert_eq(g->kind, kind);
  cr_assert(err_units(g->pts[0].t, s->T, dabs(s->T), p) <= 1, "%s: pts[0].t != T", gn);
  cr_assert(err_units(g->pts[n].t, s->t_end, dabs(s->t_end), p) <= 1, "%s: pts[N].t != t_end", gn);
  for (size_t i = 0; i < n; i++) {
    cr_assert(mpfr_cmp(g->pts[i + 1].t, g->pts[i].t) < 0, "%s on %s N=%zu: t not decreasing at %zu",
              gn, s->type->name, n, i);
    cr_assert(mpfr_cmp(g->pts[i + 1].lambda, g->pts[i].lambda) > 0,
              "%s on %s N=%zu: lambda not increasing at %zu", gn, s->type->name, n, i);
  }
}

/* every point's alpha, sigma, lambda agree with the schedule at the point's own t (at 3p+64
 * bits), within a few units of 2^-p times 1 + |lambda| + |t lambda'| (the last for points
 * placed by lambda, whose t is rounded) */
static double check_points_consistent(const adeis_schedule *s, const adeis_grid *g)
{
  mpfr_prec_t p = s->prec, P = 3 * p + 64;
  adeis_tpoint ref;
  adeis_tpoint_init(&ref, P);
  mpfr_t dl;
  mpfr_init2(dl, 64);
  double worst = 0.0;
  for (size_t i = 0; i <= g->n; i++) {
    const adeis_tpoint *q = &g->pts[i];
    adeis_schedule_point_t(s, &ref, q->t);
    adeis_schedule_dlambda_dt(dl, s, q->t);
    double c = 1 + dabs(ref.lambda) + dabs(q->t) * dabs(dl);
    double ea = err_units(q->alpha, ref.alpha, dabs(ref.alpha) * c, p);
    double es = err_units(q->sigma, ref.sigma, dabs(ref.sigma) * c, p);
    double el = err_units(q->lambda, ref.lambda, c, p);
    double e = fmax(ea, fmax(es, el));
    worst = e > worst ? e : worst;
    cr_assert(e <= 4, "%s on %s, %ld bits, point %zu: alpha %.3g sigma %.3g lambda %.3g units",
              adeis_grid_name(g->kind), s->type->name, (long)p, i, ea, es, el);
  }
  mpfr_clear(dl);
  adeis_tpoint_clear(&ref);
  return worst;
}

static void sweep_schedule(const adeis_schedule_type *type)
{
  for (size_t ip = 0; ip < N_PRECS; ip++) {
    adeis_schedule s;
    adeis_schedule_init(&s, type, precs[ip]);
    for (int k = 0; k < ADEIS_GRID_COUNT; k++) {
      double ws = 0, wc = 0;
      for (size_t in = 0; in < N_STEPS; in++) {
        adeis_grid g;
        cr_assert_eq(adeis_grid_init(&g, (adeis_grid_kind)k, &s, steps[in]), 0);
        check_shape((adeis_grid_kind)k, &s, &g, steps[in]);
        ws = fmax(ws, check_equal_spacing((adeis_grid_kind)k, &s, &g));
        wc = fmax(wc, check_points_consistent(&s, &g));
        adeis_grid_clear(&g);
        cr_assert_null(g.pts);
        adeis_grid_clear(&g); /* twice is harmless */
      }
      note("%-9s %-14s %4ld bits: spacing %.2f, points %.2f units\n", type->name,
           adeis_grid_name((adeis_grid_kind)k), (long)precs[ip], ws, wc);
    }
    adeis_schedule_clear(&s);
  }
}

Test(grid, every_kind_on_vp_linear) { sweep_schedule(&adeis_schedule_vp_linear); }
Test(grid, every_kind_on_vp_cosine) { sweep_schedule(&adeis_schedule_vp_cosine); }
Test(grid, every_kind_on_ve_edm) { sweep_schedule(&adeis_schedule_ve_edm); }

Test(grid, names_round_trip)
{
  static const char *const names[] = {"uniform-t", "uniform-lambda", "quadratic-t", "edm-rho"};
  cr_assert_eq(ADEIS_GRID_COUNT, 4);
  for (int k = 0; k < ADEIS_GRID_COUNT; k++) {
    cr_assert_str_eq(adeis_grid_name((adeis_grid_kind)k), names[k]);
    adeis_grid_kind got = ADEIS_GRID_COUNT;
    cr_assert_eq(adeis_grid_lookup(names[k], &got), 0, "lookup(%s)", names[k]);
    cr_assert_eq(got, (adeis_grid_kind)k);
  }
  adeis_grid_kind got = ADEIS_GRID_UNIFORM_T;
  cr_assert_eq(adeis_grid_lookup("uniform-x", &got), -1);
  cr_assert_eq(adeis_grid_lookup("", &got), -1);
  cr_assert_eq(adeis_grid_lookup("Uniform-T", &got), -1);
  cr_assert_eq(got, ADEIS_GRID_UNIFORM_T, "a failed lookup must not write *kind");
  cr_assert_str_eq(adeis_grid_name(ADEIS_GRID_COUNT), "?");
}

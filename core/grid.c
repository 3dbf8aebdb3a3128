#include "grid.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>

#define RND MPFR_RNDN

static const char *const grid_names[ADEIS_GRID_COUNT] = {
  "uniform-t", "uniform-lambda", "quadratic-t", "edm-rho"};

const char *adeis_grid_name(adeis_grid_kind kind)
{
  return kind < ADEIS_GRID_COUNT ? grid_names[kind] : "?";
}

int adeis_grid_lookup(const char *name, adeis_grid_kind *kind)
{
  for (int k = 0; k < ADEIS_GRID_COUNT; k++)
    if (strcmp(grid_names[k], name) == 0) {
      *kind = (adeis_grid_kind)k;
      return 0;
    }
  return -1;
}

/* frac = i/N */
static void grid_frac(mpfr_ptr r, size_t i, size_t n)
{
  mpfr_set_ui(r, (unsigned long)i, RND);
  mpfr_div_ui(r, r, (unsigned long)n, RND);
}

/* t_i = T + (t_end - T) i/N */
static void uniform_t(const adeis_schedule *s, adeis_tpoint *tp, size_t i, size_t n, mpfr_ptr w)
{
  grid_frac(w, i, n);
  mpfr_sub(tp->t, s->t_end, s->T, RND);
  mpfr_mul(w, w, tp->t, RND);
  mpfr_add(w, w, s->T, RND);
  adeis_schedule_point_t(s, tp, w);
}

/* t_i = t_end + (T - t_end) ((N - i)/N)^2 */
static void quadratic_t(const adeis_schedule *s, adeis_tpoint *tp, size_t i, size_t n, mpfr_ptr w)
{
  grid_frac(w, n - i, n);
  mpfr_sqr(w, w, RND);
  mpfr_sub(tp->t, s->T, s->t_end, RND);
  mpfr_mul(w, w, tp->t, RND);
  mpfr_add(w, w, s->t_end, RND);
  adeis_schedule_point_t(s, tp, w);
}

/* lambda_i = lambda_T + (lambda_end - lambda_T) i/N */
static void uniform_lambda(const adeis_schedule *s, adeis_tpoint *tp, size_t i, size_t n,
                           mpfr_srcptr l_T, mpfr_srcptr l_end, mpfr_ptr w)
{
  grid_frac(w, i, n);
  mpfr_sub(tp->lambda, l_end, l_T, RND);
  mpfr_mul(w, w, tp->lambda, RND);
  mpfr_add(w, w, l_T, RND);
  adeis_schedule_point_lambda(s, tp, w);
}

/* EDM: on the noise level e^{-lambda}: s_i = (s_max^{1/rho} + i/N (s_min^{1/rho} - s_max^{1/rho}))^rho */
static void edm_rho(const adeis_schedule *s, adeis_tpoint *tp, size_t i, size_t n,
                    mpfr_srcptr l_T, mpfr_srcptr l_end, mpfr_ptr w)
{
  const unsigned rho = 7;
  mpfr_t a, b;
  mpfr_inits2(mpfr_get_prec(w), a, b, (mpfr_ptr)0);
  mpfr_div_si(a, l_T, -(long)rho, RND);     /* s_max^{1/rho} = exp(-lambda_T/rho) */
  mpfr_exp(a, a, RND);
  mpfr_div_si(b, l_end, -(long)rho, RND);
  mpfr_exp(b, b, RND);
  mpfr_sub(b, b, a, RND);
  grid_frac(w, i, n);
  mpfr_mul(b, b, w, RND);
  mpfr_add(a, a, b, RND);
  mpfr_log(a, a, RND);                      /* lambda = -rho log(...) */
  mpfr_mul_si(w, a, -(long)rho, RND);
  mpfr_clears(a, b, (mpfr_ptr)0);
  adeis_schedule_point_lambda(s, tp, w);
}

int adeis_grid_init(adeis_grid *g, adeis_grid_kind kind, const adeis_schedule *s, size_t n)
{
  g->kind = kind;
  g->n = n;
  g->pts = malloc((n + 1) * sizeof *g->pts);
  if (!g->pts) {
    adeis_set_error("out of memory for a grid of %zu steps", n);
    return ADEIS_ENOMEM;
  }
  mpfr_t l_T, l_end, w;
  mpfr_inits2(s->prec, l_T, l_end, w, (mpfr_ptr)0);
  adeis_schedule_lambda(l_T, s, s->T);
  adeis_schedule_lambda(l_end, s, s->t_end);
  for (size_t i = 0; i <= n; i++) {
    adeis_tpoint *tp = &g->pts[i];
    adeis_tpoint_init(tp, s->prec);
    if (i == 0 || i == n) { /* end points exactly T and t_end on every grid */
      adeis_schedule_point_t(s, tp, i == 0 ? s->T : s->t_end);
      continue;
    }
    switch (kind) {
    case ADEIS_GRID_UNIFORM_T: uniform_t(s, tp, i, n, w); break;
    case ADEIS_GRID_QUADRATIC_T: quadratic_t(s, tp, i, n, w); break;
    case ADEIS_GRID_UNIFORM_LAMBDA: uniform_lambda(s, tp, i, n, l_T, l_end, w); break;
    default: edm_rho(s, tp, i, n, l_T, l_end, w); break;
    }
  }
  mpfr_clears(l_T, l_end, w, (mpfr_ptr)0);
  return ADEIS_OK;
}

void adeis_grid_clear(adeis_grid *g)
{
  if (!g->pts)
    return;
  for (size_t i = 0; i <= g->n; i++)
    adeis_tpoint_clear(&g->pts[i]);
  free(g->pts);
  g->pts = NULL;
}

/* Test fixture: the worked example of docs/math.md section 11, built directly from the
 * Gaussian model (independent of the problem-file parser). Header-only. */
#ifndef ADEIS_TEST_FIXTURE_H
#define ADEIS_TEST_FIXTURE_H

#include "../analytic/gaussian.h"
#include "../runs/problem.h"
#include "../runs/grad.h"

#include <stdlib.h>
#include <string.h>

/* vp-linear, t_end 1e-3, T 1, mu = (0.5,-1,2), s2 = (0.04,1,0.25), x_T = (0.7,-0.4,1.1),
 * target (0.3,0.1,-0.2); with cond = 1 a 3x2 W = (1 0; 0 1; 0.5 0.5) and z = (0.2,-0.1). */
static inline void fixture_worked(adeis_problem *pb, long prec, unsigned long rotation_seed, int cond)
{
  static const char *m[] = {"0.5", "-1", "2"}, *s2[] = {"0.04", "1", "0.25"};
  static const char *xt[] = {"0.7", "-0.4", "1.1"}, *tg[] = {"0.3", "0.1", "-0.2"};
  static const char *W[] = {"1", "0", "0", "1", "0.5", "0.5"}, *z[] = {"0.2", "-0.1"};
  memset(pb, 0, sizeof *pb);   /* loss NULL: quadratic */
  adeis_backend_init(&pb->be, prec);
  mpfr_prec_t sp = adeis_backend_scalar_prec(&pb->be);
  adeis_schedule_init(&pb->sched, &adeis_schedule_vp_linear, sp);
  mpfr_t v[16];
  mpfr_srcptr pm[3], ps[3], pw[6], pz[2];
  for (int i = 0; i < 16; i++)
    mpfr_init2(v[i], sp);
  for (int i = 0; i < 3; i++) {
    mpfr_set_str(v[i], m[i], 10, MPFR_RNDN);
    mpfr_set_str(v[3 + i], s2[i], 10, MPFR_RNDN);
    pm[i] = v[i];
    ps[i] = v[3 + i];
  }
  for (int i = 0; i < 6; i++) {
    mpfr_set_str(v[6 + i], W[i], 10, MPFR_RNDN);
    pw[i] = v[6 + i];
  }
  for (int i = 0; i < 2; i++) {
    mpfr_set_str(v[12 + i], z[i], 10, MPFR_RNDN);
    pz[i] = v[12 + i];
  }
  adeis_gaussian_init(&pb->model, &pb->be, 3, cond ? 2 : 0, pm, ps, cond ? pw : NULL,
                      cond ? pz : NULL, rotation_seed);
  pb->x_T = adeis_vec_alloc(&pb->be, 3);
  pb->target = adeis_vec_alloc(&pb->be, 3);
  for (int i = 0; i < 3; i++) {
    mpfr_set_str(v[14], xt[i], 10, MPFR_RNDN);
    adeis_vec_set(pb->x_T, i, v[14]);
    mpfr_set_str(v[14], tg[i], 10, MPFR_RNDN);
    adeis_vec_set(pb->target, i, v[14]);
  }
  pb->noise_seed = 7;
  for (int i = 0; i < 16; i++)
    mpfr_clear(v[i]);
}

static inline void fixture_clear(adeis_problem *pb)
{
  adeis_gaussian_clear(&pb->model);
  adeis_vec_free(pb->x_T);
  adeis_vec_free(pb->target);
  adeis_schedule_clear(&pb->sched);
}

#endif

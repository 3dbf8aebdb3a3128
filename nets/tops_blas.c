/* float and double tensor ops on OpenBLAS (one template, two element types). */
#include "tops.h"
#include "../core/backend.h"
#include "../core/status.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define T float
#define F(x) x##_float
#define CBLAS_GEMM cblas_sgemm
#define FIXED_PREC 24
#define NAME "float"
#define GET_MPFR(r) mpfr_get_flt((r), MPFR_RNDN)
#define EXP expf
#include "tops_real.inc"
#undef T
#undef F
#undef CBLAS_GEMM
#undef FIXED_PREC
#undef NAME
#undef GET_MPFR
#undef EXP

#define T double
#define F(x) x##_double
#define CBLAS_GEMM cblas_dgemm
#define FIXED_PREC 53
#define NAME "double"
#define GET_MPFR(r) mpfr_get_d((r), MPFR_RNDN)
#define EXP exp
#include "tops_real.inc"

int adeis_tbe_init(adeis_tbe *be, const char *name, long prec)
{
  if (strcmp(name, "float") == 0) {
    be->ops = &adeis_tops_float;
    be->prec = 24;
  } else if (strcmp(name, "double") == 0) {
    be->ops = &adeis_tops_double;
    be->prec = 53;
  } else if (strcmp(name, "mpfr") == 0) {
    if (prec < ADEIS_PREC_MIN || prec > ADEIS_PREC_MAX) {
      adeis_set_error("mpfr tensor precision %ld outside %d..%d", prec, ADEIS_PREC_MIN,
                      ADEIS_PREC_MAX);
      return ADEIS_EINPUT;
    }
    be->ops = &adeis_tops_mpfr;
    be->prec = (mpfr_prec_t)prec;
  } else {
    adeis_set_error("tensor type '%s' (expected float, double or mpfr)", name);
    return ADEIS_EINPUT;
  }
  return ADEIS_OK;
}

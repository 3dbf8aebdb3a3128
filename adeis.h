/* adeis: numerical verification of gradients through diffusion-model samplers.
 * The umbrella header of the installed library: #include <adeis/adeis.h>.
 * docs/library.md describes the public API (what a caller owns, error codes, threads). */
#ifndef ADEIS_ADEIS_H
#define ADEIS_ADEIS_H

#include "core/status.h"     /* status codes, adeis_errmsg() */
#include "core/backend.h"    /* vector backends and vectors */
#include "core/schedule.h"   /* noise schedules and time points */
#include "core/grid.h"       /* time grids */
#include "core/phi.h"        /* phi_k functions */
#include "core/model.h"      /* the model interface */
#include "core/model_type.h" /* model types: problem-file keys, check, build */
#include "analytic/gaussian.h"
#include "analytic/gmm.h"
#include "runs/problem.h"    /* problem files */
#include "runs/registry.h"   /* the registries of model types and losses */
#include "solvers/adjoint.h" /* adjoint problem, state providers, method registry */
#include "solvers/forward.h" /* forward samplers */
#include "runs/grad.h"       /* one gradient computation */
#include "studies/study.h"   /* study files */
#include "studies/runner.h"  /* the study runner and order checks */

#define ADEIS_VERSION_STRING "0.1.0"

#endif

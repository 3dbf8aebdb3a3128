/* adeis grad's vector output: the full gradients as a safetensors file (--vectors), and the
 * numbers of a vector printed at the working precision without a per-element MPFR call where
 * the storage is plain double. */
#ifndef ADEIS_CLI_GRAD_VECTORS_H
#define ADEIS_CLI_GRAD_VECTORS_H

#include "../runs/grad.h"

#include <stdio.h>

/* Vectors longer than this are printed as a norm in the text output (all of them go to
 * --vectors FILE). */
#define CLI_PRINT_COMPONENTS_MAX 16

/* Write every gradient of res, and the exact and reference values where present, to path as
 * F64 tensors: grad.x_T [B, dim/B], grad.z [B, cond_dim/B] (B the model's batch, 1 unless it
 * declares one), grad.theta [theta_dim], or for a model with parameter blocks (a network:
 * adeis_model_ops.theta_blocks) grad.theta.NAME per block in its own shape; the same for
 * exact.* and reference.*, with the run's setting in the metadata. Atomic (temporary file, fsync, rename). Returns 0, or a
 * status with adeis_errmsg() naming the file. */
int cli_write_vectors(const char *path, const adeis_problem *pb, const adeis_grad_request *rq,
                      const adeis_grad_result *res);

/* Print v's components as JSON decimal strings with `digits` significant digits:
 * ["1.2e+00", ...]. */
void cli_json_numbers(FILE *out, const adeis_vec *v, int digits);

/* The 2-norm of v as a double, from adeis_vec_dot2 (for printing: not correctly rounded). */
double cli_norm(const adeis_vec *v);

#endif

/* Gaussian mixtures p_0 = sum_k pi_k N(mu_k, diag(s2_k)), pi = softmax(z) (docs/math.md
 * section 9): the noise predictor eps = -sigma grad log p_t by responsibilities computed with
 * log-sum-exp, and its products with x (the Hessian formula), z (through the softmax) and
 * theta = (mu_1..mu_K, log s2_1..log s2_K), at any precision. No closed-form flow.
 * `type = gmm` in a problem file (docs/problem-files.md). */
#ifndef ADEIS_GMM_H
#define ADEIS_GMM_H

#include "../core/model_type.h"

extern const adeis_model_ops adeis_gmm_ops;
extern const adeis_model_type adeis_gmm_type;

/* means[k*dim + i] and var[k*dim + i] (> 0) of component k, logits[k] = z_k; k < K.
 * Returns 0, ADEIS_EINPUT or ADEIS_ENOMEM; the model is released by adeis_model_clear. */
int adeis_gmm_init(adeis_model *model, const adeis_backend *be, size_t dim, size_t K,
                   mpfr_srcptr const means[], mpfr_srcptr const var[],
                   mpfr_srcptr const logits[]);
/* The same from vectors on be (copied): means and var of K*dim components, component after
 * component. Problem files build through this (bulk import, no MPFR scalar per number). */
int adeis_gmm_init_vecs(adeis_model *model, const adeis_backend *be, size_t dim, size_t K,
                        const adeis_vec *means, const adeis_vec *var, mpfr_srcptr const logits[]);

#endif

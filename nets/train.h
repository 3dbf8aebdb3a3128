/* Training noise predictors by denoising score matching (docs/networks.md, "Training"):
 * t ~ U(t_end, T), noise ~ N(0, I), x_t = alpha_t x_0 + sigma_t noise, loss
 * mean |eps(x_t, z, t) - noise|^2, z the one-hot label replaced by zeros with probability
 * 0.1; Adam (0.9, 0.999, 1e-8); the exponential moving average (0.999) of the weights is
 * what is saved. Float arithmetic (the float tensor-ops table), every random number from one
 * GSL mt19937 generator seeded by the seed and drawn on one thread; each sample's gradient is
 * computed on its own (its own time t) and the batch's gradients are summed in sample order,
 * so a run is bit-reproducible given the seed, for any number of threads. Checkpoints hold
 * the weights, Adam's moments, the average, the generator's state and the step: a resumed
 * run equals an uninterrupted one bit for bit. */
#ifndef ADEIS_NETS_TRAIN_H
#define ADEIS_NETS_TRAIN_H

#include "net.h"

#include <stdio.h>

/* Training data: a data set of n samples (x [n][dim] in float, labels 0..classes-1 or none),
 * or a Gaussian mixture sampled afresh at every step (K > 0: the labels are the
 * components). */
typedef struct adeis_train_data {
  size_t n, dim, size, classes;     /* size: image side (0 for vectors) */
  float *x;
  unsigned char *label;
  size_t K;                         /* mixture components */
  double *mu, *sd, *cum;            /* K x dim means and standard deviations; cumulative weights */
} adeis_train_data;

/* An IDX file (gzip) of unsigned bytes with ndims dimensions: dims[] and the data (malloc'ed).
 * Returns 0, ADEIS_EINPUT (unreadable or malformed: the message names the file and what was
 * wrong) or ADEIS_ENOMEM. */
int adeis_idx_read(const char *path, int ndims, size_t dims[], unsigned char **data);
/* Fashion-MNIST's training set from dir (train-images-idx3-ubyte.gz,
 * train-labels-idx1-ubyte.gz), pixels p -> p/127.5 - 1, 10 classes. */
int adeis_train_data_fmnist(adeis_train_data *td, const char *dir);
/* A mixture with K components: means and variances [K][dim], weights softmax(logits). */
int adeis_train_data_mixture(adeis_train_data *td, size_t dim, size_t K, const double *means,
                             const double *var, const double *logits);
void adeis_train_data_clear(adeis_train_data *td);

typedef struct adeis_train_config {
  long batch;
  double lr;
  unsigned long seed;
  const char *schedule;             /* a schedule name (core/schedule.h) */
  double t_end, T;
  double p_uncond;                  /* 0.1 */
  double ema;                       /* 0.999 */
} adeis_train_config;

typedef struct adeis_trainer adeis_trainer;

/* A new run: the network's weights from adeis_net_init_uniform(seed). The network must use
 * the float table; the trainer owns it. Returns 0, ADEIS_EINPUT or ADEIS_ENOMEM. */
int adeis_trainer_new(adeis_trainer **out, adeis_net *net, const adeis_train_config *cfg,
                      const adeis_train_data *data, int threads);
/* A run resumed from a checkpoint (its network, configuration and state); the data must be
 * the same as the checkpoint's run had. */
int adeis_trainer_resume(adeis_trainer **out, const char *checkpoint,
                         const adeis_train_data *data, int threads);
void adeis_trainer_free(adeis_trainer *tr);

/* One step of Adam on a fresh batch; *loss = the batch's mean |eps - noise|^2. Returns 0 or
 * ADEIS_ENUMERIC (a non-finite loss or gradient). */
int adeis_trainer_step(adeis_trainer *tr, double *loss);
long adeis_trainer_steps_done(const adeis_trainer *tr);
const adeis_train_config *adeis_trainer_config(const adeis_trainer *tr);
/* Mean loss of the last (up to 100) steps. */
double adeis_trainer_recent_loss(const adeis_trainer *tr);
/* Wall seconds of every step so far, resumed segments included. */
double adeis_trainer_wall(const adeis_trainer *tr);
void adeis_trainer_add_wall(adeis_trainer *tr, double seconds);

/* The checkpoint (atomically written safetensors file: the live weights under their own
 * names, train.* tensors and metadata for the rest). */
int adeis_trainer_checkpoint(const adeis_trainer *tr, const char *path);
/* The averaged weights as a weights file (F32), adeis.trained = trained. */
int adeis_trainer_save(const adeis_trainer *tr, const char *path, const char *trained);
/* The same with live = 1: the live weights instead of their average (for comparison). */
int adeis_trainer_save_which(const adeis_trainer *tr, const char *path, const char *trained,
                             int live);
/* The averaged weights (a float array of ntheta) and the live network. */
const double *adeis_trainer_ema(const adeis_trainer *tr);
const adeis_net *adeis_trainer_net(const adeis_trainer *tr);

#endif

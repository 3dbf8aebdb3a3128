/* A trained network as a model (core/model.h) and as a model type (`type = network` in a
 * problem file, docs/networks.md): eps(x, z, t) of a batch of B samples sharing theta and t,
 * the state being the batch flattened sample after sample. One fused evaluation runs the
 * network's forward pass once and the backward pass from the saved activations in a
 * per-thread workspace. Float and double vectors are handed to the network's tensor-ops
 * table as they are (their raw arrays); MPFR vectors are exported to and imported from the
 * MPFR table's arrays at the same precision (exact). */
#ifndef ADEIS_NETS_NETWORK_MODEL_H
#define ADEIS_NETS_NETWORK_MODEL_H

#include "../core/model_type.h"
#include "net.h"

extern const adeis_model_ops adeis_network_ops;
extern const adeis_model_type adeis_network_type;

/* The model of network `net` (whose table must match the backend: float for float vectors,
 * double for double, MPFR at the vectors' precision) for batches of B samples with the
 * conditioning z [B][cond_dim] (an array of the table's type, copied; NULL: zeros). The model
 * takes ownership of net. Returns 0, ADEIS_EINPUT (table and backend differ) or ADEIS_ENOMEM;
 * released by adeis_model_clear. */
int adeis_network_model_init(adeis_model *m, const adeis_backend *be, adeis_net *net, size_t B,
                             const void *z);

/* The tensor-ops table matching a vector backend (float, double, MPFR at its precision). */
int adeis_network_tbe(adeis_tbe *tbe, const adeis_backend *be);

/* The network behind a model built by adeis_network_model_init. */
const adeis_net *adeis_network_model_net(const adeis_model *m);

#endif

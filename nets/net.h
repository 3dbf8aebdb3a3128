/* Noise-predictor networks eps(x, z, t) (docs/networks.md; docs/math.md section 15):
 * architectures `mlp` and `unet`, their parameters in a canonical order, and one evaluation
 * call that runs the forward pass and, from its saved activations, the vector-Jacobian
 * products with respect to x, z and theta. Arrays are of the element type of the tensor-ops
 * table the network was built for (nets/tops.h). A network is immutable once built (and
 * its weights set); evaluations need a workspace per thread. */
#ifndef ADEIS_NETS_NET_H
#define ADEIS_NETS_NET_H

#include "tops.h"

typedef enum adeis_net_arch { ADEIS_NET_MLP = 0, ADEIS_NET_UNET = 1 } adeis_net_arch;

/* Hyperparameters (names as in the weights files' metadata, adeis.NAME). */
typedef struct adeis_net_hyper {
  adeis_net_arch arch;
  long dim, width, depth;            /* mlp */
  long channels, size, base, groups; /* unet */
  long emb_dim, hidden, cond_dim;    /* both */
} adeis_net_hyper;

#define ADEIS_NET_NAME_MAX 48

/* One parameter tensor: PyTorch's name and shape, and where it lies in theta. */
typedef struct adeis_net_param {
  char name[ADEIS_NET_NAME_MAX];
  int ndim;
  size_t shape[4];
  size_t offset, numel;
} adeis_net_param;

typedef struct adeis_net adeis_net;
typedef struct adeis_net_ws adeis_net_ws;

/* Building blocks of a network: a module is a Linear, a Conv2d or a GroupNorm
 * (its weight then its bias). */
enum { ADEIS_NET_LINEAR = 0, ADEIS_NET_CONV3 = 1, ADEIS_NET_CONV1 = 2, ADEIS_NET_GNORM = 3 };

typedef struct adeis_net_module {
  int kind;            /* ADEIS_NET_LINEAR, _CONV3 (3x3), _CONV1 (1x1), _GNORM */
  size_t in, out;      /* features or channels (group norm: in = out = C) */
  size_t w, b;         /* offsets of weight and bias in theta */
} adeis_net_module;

/* Module indices (into modules[]) used by the evaluation. mlp: in, blocks (fc1, emb, fc2 of
 * block k at blocks + 3k), out. unet: in = conv_in, out = conv_out, res blocks down0, down1,
 * mid1, mid2, up1, up0 (gn1, conv1, emb, gn2, conv2[, skip] from res[i]), down[2], up[2]
 * (up1, up0), gn_out. cond is meaningful when cond_dim > 0. */
typedef struct adeis_net_layout {
  size_t tfc1, tfc2, cond, in, out, blocks;
  size_t res[6], down[2], up[2], gn_out;
} adeis_net_layout;

struct adeis_net {
  adeis_tbe be;
  adeis_net_hyper hp;
  size_t dim;          /* state dimension of one sample (d, or C_in S S) */
  size_t cond_dim;
  size_t nparams;
  adeis_net_param *params;   /* canonical order */
  size_t ntheta;             /* sum of numel: theta = params flattened, concatenated */
  size_t nmodules;
  adeis_net_module *modules;
  adeis_net_layout lay;
  void *theta;               /* ntheta elements of the table's type */
  char *schedule;            /* metadata adeis.schedule (may be NULL) */
  char *trained;             /* metadata adeis.trained (may be NULL) */
};

/* Names of the hyperparameters of an architecture, in metadata order, NULL-terminated. */
const char *const *adeis_net_hyper_names(adeis_net_arch arch);
const char *adeis_net_arch_name(adeis_net_arch arch);
/* The field of hp called `name` (NULL when the architecture has none). */
long *adeis_net_hyper_field(adeis_net_hyper *hp, const char *name);

/* Check hyperparameters (ranges, S divisible by 4, groups dividing base, even emb_dim);
 * ADEIS_EINPUT with a message naming the hyperparameter otherwise. */
int adeis_net_hyper_check(const adeis_net_hyper *hp);

/* Parameter list (canonical order) of an architecture without building the network:
 * *params is malloc'ed (free it). Returns 0, ADEIS_EINPUT (bad hyperparameters), ADEIS_ENOMEM. */
int adeis_net_param_list(const adeis_net_hyper *hp, adeis_net_param **params, size_t *n,
                         size_t *ntheta);

/* A network with zero weights for a tensor-ops table. Returns 0 or a status. */
int adeis_net_create(adeis_net **out, const adeis_net_hyper *hp, adeis_tbe_p be);
void adeis_net_free(adeis_net *net);
/* Deterministic initialisation: weights and biases of Linear and Conv2d uniform in
 * (-1/sqrt(fan_in), 1/sqrt(fan_in)) drawn in canonical order from GSL's mt19937 seeded with
 * `seed`, each rounded to float (so the same numbers in every element type); group norms
 * weight 1, bias 0. */
void adeis_net_init_uniform(adeis_net *net, unsigned long seed);
/* Index of a parameter by name, or -1. */
long adeis_net_param_find(const adeis_net *net, const char *name);
/* Set the metadata strings (copied; NULL leaves one unset). Returns 0 or ADEIS_ENOMEM. */
int adeis_net_set_meta(adeis_net *net, const char *schedule, const char *trained);

/* ---- weights files (safetensors, docs/networks.md) ---- */
struct adeis_st_file;
/* Load a network from a safetensors file (F32 or F64 tensors; metadata adeis.arch, every
 * hyperparameter as adeis.NAME, adeis.schedule; adeis.trained optional) for a table.
 * Returns 0, ADEIS_EINPUT (malformed file: the message names the file, the tensor and what
 * was expected) or ADEIS_ENOMEM. */
int adeis_net_load(adeis_net **out, const char *path, adeis_tbe_p be);
int adeis_net_from_safetensors(adeis_net **out, const struct adeis_st_file *f, adeis_tbe_p be);
/* Save as F32 (f64 = 0: each weight rounded to float) or F64, atomically. The network must
 * have a schedule (adeis_net_set_meta). */
int adeis_net_save(const adeis_net *net, const char *path, int f64);

/* Workspace for batches of `batch` samples (activations of one forward pass). NULL when out
 * of memory. One per thread; tied to its network. */
adeis_net_ws *adeis_net_ws_alloc(const adeis_net *net, size_t batch);
void adeis_net_ws_free(adeis_net_ws *ws);
size_t adeis_net_ws_batch(const adeis_net_ws *ws);
/* Bytes a workspace for `batch` samples takes (without allocating it), for memory limits. */
double adeis_net_ws_bytes(const adeis_net *net, size_t batch);

enum {
  ADEIS_NET_EPS = 1u,     /* write eps */
  ADEIS_NET_JX = 2u,      /* jx  = v^T d eps / dx              (overwritten) */
  ADEIS_NET_JZ = 4u,      /* jz += sz v^T d eps / dz           (accumulated) */
  ADEIS_NET_JTHETA = 8u   /* jtheta += stheta v^T d eps / dtheta (accumulated) */
};

/* One evaluation at time t of the batch x [B][dim] with conditioning z [B][cond_dim]
 * (NULL: zeros): eps [B][dim] (the batch shares theta) and, from the activations saved in
 * ws, the VJPs of the cotangent v [B][dim]. sz / stheta NULL mean 1. Outputs asked for in
 * `want` must be non-NULL (and v when a VJP is asked for); the others are not touched (may
 * be NULL). Returns 0, or ADEIS_EINPUT (workspace of
 * another network). */
int adeis_net_eval(const adeis_net *net, adeis_net_ws *ws, const void *x, mpfr_srcptr t,
                   const void *z, unsigned want, void *eps, const void *v, void *jx, void *jz,
                   mpfr_srcptr sz, void *jtheta, mpfr_srcptr stheta);

/* The VJPs (want: ADEIS_NET_JX, _JZ, _JTHETA as above) of cotangent v from the activations
 * that the last adeis_net_eval with this workspace saved, whose x and z (the same pointers'
 * values, z NULL if it was NULL) must be passed again: a caller that needs eps to form v
 * (training) runs the forward pass once. Returns 0 or ADEIS_EINPUT. */
int adeis_net_vjp_saved(const adeis_net *net, adeis_net_ws *ws, const void *x, const void *z,
                        unsigned want, const void *v, void *jx, void *jz, mpfr_srcptr sz,
                        void *jtheta, mpfr_srcptr stheta);

#endif

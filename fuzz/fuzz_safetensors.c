/* libFuzzer target: the safetensors reader and the network loader on arbitrary bytes
 * (make fuzz-nets). Accepted networks small enough are also evaluated once, with VJPs. */
#include "../core/status.h"
#include "../nets/net.h"
#include "../nets/safetensors.h"

#include <stdint.h>
#include <stdlib.h>

static void evaluate(const adeis_net *net)
{
  if (net->ntheta > 20000 || net->dim > 1024)
    return;
  adeis_tbe_p be = &net->be;
  adeis_net_ws *ws = adeis_net_ws_alloc(net, 1);
  size_t nx = net->dim, nz = net->cond_dim ? net->cond_dim : 1;
  void *x = be->ops->alloc(be, nx), *y = be->ops->alloc(be, nx), *jx = be->ops->alloc(be, nx);
  void *jz = be->ops->alloc(be, nz), *jt = be->ops->alloc(be, net->ntheta);
  mpfr_t t;
  mpfr_init2(t, 53);
  mpfr_set_d(t, 0.5, MPFR_RNDN);
  if (ws && x && y && jx && jz && jt)
    adeis_net_eval(net, ws, x, t, NULL, 15u, y, x, jx, jz, NULL, jt, NULL);
  mpfr_clear(t);
  void *bufs[5] = {x, y, jx, jz, jt};
  for (int i = 0; i < 5; i++)
    be->ops->free(be, bufs[i], 0);
  adeis_net_ws_free(ws);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  adeis_st_file *f;
  if (adeis_safetensors_parse(&f, data, size, "fuzz.safetensors") != 0)
    return 0;
  for (size_t i = 0; i < f->ntensors; i++)
    for (size_t k = 0; k < f->tensors[i].numel && k < 64; k++)
      (void)adeis_st_get(&f->tensors[i], k);
  adeis_tbe be;
  adeis_tbe_init(&be, "double", 0);
  adeis_net *net;
  if (adeis_net_from_safetensors(&net, f, &be) == 0) {
    evaluate(net);
    adeis_net_free(net);
  }
  adeis_safetensors_close(f);
  return 0;
}

/* CUDA backends (gpu/) against the CPU backends of the same precision: every vector op on
 * random data, every tensor op, and eps with every VJP of a small mlp and unet through the
 * tensor ops (gpu/parity_checks.h): double within 1e-12 relative, float within 1e-5, exact
 * where both sides must agree bit for bit. Without a device each test is skipped with
 * "no CUDA device: <the runtime's reason>" (and without nvcc at build time, "CUDA backends
 * not built"). The full gradient through a sampler waits for the network model type.
 * The same harness with MPFR at 53 and 24 bits in place of CUDA runs everywhere: two
 * independent CPU implementations meet the same tolerances. */
#include <criterion/criterion.h>

#include "../core/backend.h"
#include "../core/status.h"
#include "../gpu/parity_checks.h"

#include <stdio.h>
#include <stdlib.h>

static void assert_report(void *ctx, const char *what, double err, double tol)
{
  (void)ctx;
  if (getenv("ADEIS_TEST_VERBOSE"))
    fprintf(stderr, "%-60s %10.3g  (<= %g)\n", what, err, tol);
  cr_expect(err <= tol, "%s: difference %.3g above %.3g", what, err, tol);
}

static void harness_mpfr(int dbl)
{
  gp_ctx g;
  gp_init_mpfr(&g, dbl, assert_report, NULL);
  gp_vector_ops(&g, 5);
  gp_vector_ops(&g, 1003);
  gp_tensor_ops(&g);
  adeis_net_hyper m = gp_small_mlp(), u = gp_small_unet();
  gp_network(&g, &m, "mlp", 2);
  gp_network(&g, &u, "unet", 2);
}

Test(gpu, parity_harness_mpfr53_matches_double) { harness_mpfr(1); }
Test(gpu, parity_harness_mpfr24_matches_float) { harness_mpfr(0); }

#ifdef ADEIS_HAVE_CUDA

static void need_device(void)
{
  if (!adeis_cuda_available())
    cr_skip_test("skipped: %s", adeis_errmsg());
}

static void run(int dbl, void (*body)(gp_ctx *))
{
  need_device();
  gp_ctx g;
  gp_init(&g, dbl, assert_report, NULL);
  body(&g);
}

static void vectors(gp_ctx *g)
{
  gp_vector_ops(g, 5);
  gp_vector_ops(g, 100003);
}

static void tensors(gp_ctx *g) { gp_tensor_ops(g); }

static void mlp(gp_ctx *g)
{
  adeis_net_hyper h = gp_small_mlp();
  gp_network(g, &h, "mlp", 4);
}

static void unet(gp_ctx *g)
{
  adeis_net_hyper h = gp_small_unet();
  gp_network(g, &h, "unet", 3);
}

Test(gpu, vector_ops_double_match_cpu) { run(1, vectors); }
Test(gpu, vector_ops_float_match_cpu) { run(0, vectors); }
Test(gpu, tensor_ops_double_match_cpu) { run(1, tensors); }
Test(gpu, tensor_ops_float_match_cpu) { run(0, tensors); }
Test(gpu, mlp_eps_and_vjps_double_match_cpu) { run(1, mlp); }
Test(gpu, mlp_eps_and_vjps_float_match_cpu) { run(0, mlp); }
Test(gpu, unet_eps_and_vjps_double_match_cpu) { run(1, unet); }
Test(gpu, unet_eps_and_vjps_float_match_cpu) { run(0, unet); }

/* The registry lists both CUDA backends on the device with their widths; without a device
 * choosing one fails with the runtime's reason (runs everywhere). */
Test(gpu, registry_entries_and_refusal_without_device)
{
  const adeis_backend_type *f = adeis_backend_lookup("cuda-float");
  const adeis_backend_type *d = adeis_backend_lookup("cuda-double");
  cr_assert(f && d && adeis_backend_cuda_built());
  cr_assert(f->device && d->device);
  cr_assert_eq(f->elem, ADEIS_ELEM_F32);
  cr_assert_eq(d->elem, ADEIS_ELEM_F64);
  cr_assert_eq(f->prec_default, 24);
  cr_assert_eq(d->prec_default, 53);
  adeis_backend be;
  int rc = adeis_backend_init_named(&be, "cuda-double", 0);
  if (adeis_cuda_available()) {
    cr_assert_eq(rc, ADEIS_OK, "%s", adeis_errmsg());
    cr_assert_eq(adeis_backend_init_named(&be, "cuda-double", 24), ADEIS_EINPUT);
  } else {
    cr_assert_eq(rc, ADEIS_EINPUT);
    cr_assert(strstr(adeis_errmsg(), "no CUDA device: "), "message: %s", adeis_errmsg());
  }
}

#else

Test(gpu, cuda_backends_not_built)
{
  cr_assert_not(adeis_backend_cuda_built());
  cr_assert_null(adeis_backend_lookup("cuda-float"));
  adeis_backend be;
  cr_assert_eq(adeis_backend_init_named(&be, "cuda-float", 0), ADEIS_EINPUT);
  cr_assert(strstr(adeis_errmsg(), "not built"), "message: %s", adeis_errmsg());
  cr_skip_test("skipped: CUDA backends not built (make found no nvcc with cudart and cuBLAS)");
}

#endif

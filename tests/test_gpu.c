/* CUDA backends (gpu/) against the CPU backends of the same precision: every vector op on
 * random data, every tensor op, and eps with every VJP of a small mlp and unet through the
 * tensor ops (gpu/parity_checks.h): double within 1e-12 relative, float within 1e-5, exact
 * where both sides must agree bit for bit. Without a device each test is skipped with
 * "no CUDA device: <the runtime's reason>" (and without nvcc at build time, "CUDA backends
 * not built"). The full gradient of both shipped networks through a sampler (adjdeis-2m,
 * N = 32, backsolve: problems/net-mlp.ini and problems/net-unet.ini) on the CUDA backend
 * against the CPU backend of the same precision. The same harness with MPFR at 53 and 24 bits in place of CUDA runs everywhere: two
 * independent CPU implementations meet the same tolerances. */
#include <criterion/criterion.h>

#include "../core/backend.h"
#include "../core/status.h"
#include "../gpu/parity_checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* a file of the repository (make check sets ADEIS_ROOT) */
static const char *root_file(char *buf, size_t n, const char *rel)
{
  const char *root = getenv("ADEIS_ROOT");
  snprintf(buf, n, "%s/%s", root && *root ? root : ".", rel);
  return buf;
}

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

/* the full-gradient check of the harness on the shipped mlp with MPFR in place of CUDA */
static void harness_mpfr_gradient(int dbl)
{
  gp_ctx g;
  char path[4096];
  gp_init_mpfr(&g, dbl, assert_report, NULL);
  gp_full_gradient(&g, root_file(path, sizeof path, "problems/net-mlp.ini"), "net-mlp");
}

Test(gpu, parity_harness_gradient_mpfr53_matches_double) { harness_mpfr_gradient(1); }
Test(gpu, parity_harness_gradient_mpfr24_matches_float) { harness_mpfr_gradient(0); }

/* bench/torch_unet.py (a PyTorch module written from docs/networks.md, autograd through its
 * own DPM-Solver-2M) against adeis's discrete adjoint of the same sampler, dto-dpm-2m, on the
 * shipped unet, batch 2: torch in float64 against double at N = 4 (within 1e-11; measured
 * 1.8e-13), and in float32 against float at N = 10 (within 1e-5; measured 4e-6; at N = 4 the
 * float gradient dL/dtheta of either side is itself 1.1e-5 from the double one, so two float
 * implementations cannot be asked to agree closer). Skipped without PyTorch (ADEIS_PYTHON,
 * default /usr/bin/python3). */
static void torch_vs_dto(const char *dtype, const char *backend, int steps)
{
  const char *py = getenv("ADEIS_PYTHON");
  char cmd[16384], script[4096], weights[4096], dir[64] = "/tmp/adeis-torch-XXXXXX";
  py = py && *py ? py : "/usr/bin/python3";
  snprintf(cmd, sizeof cmd, "'%s' -c 'import torch' > /dev/null 2>&1", py);
  if (system(cmd) != 0)
    cr_skip_test("skipped: no PyTorch (%s -c 'import torch' failed)", py);
  cr_assert(mkdtemp(dir));
  root_file(script, sizeof script, "bench/torch_unet.py");
  root_file(weights, sizeof weights, "nets/models/fmnist-unet.safetensors");
  snprintf(cmd, sizeof cmd, "'%s' '%s' --weights '%s' grad '%s' --steps %d --batch 2 --dtype %s",
           py, script, weights, dir, steps, dtype);
  int st = system(cmd);
  int rc = st == 0 ? gp_torch_grad(dir, (size_t)steps, backend, assert_report, NULL) : -2;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(st, 0, "torch_unet.py grad failed");
  cr_assert_eq(rc, 0, "adeis could not read what torch_unet.py wrote");
}

Test(gpu, torch_autograd_float64_matches_dto_dpm_2m_double, .timeout = 120)
{
  torch_vs_dto("float64", "double", 4);
}

Test(gpu, torch_autograd_float32_matches_dto_dpm_2m_float, .timeout = 120)
{
  torch_vs_dto("float32", "float", 10);
}

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

static void grad_mlp(gp_ctx *g)
{
  char path[4096];
  gp_full_gradient(g, root_file(path, sizeof path, "problems/net-mlp.ini"), "net-mlp");
}

static void grad_unet(gp_ctx *g)
{
  char path[4096];
  gp_full_gradient(g, root_file(path, sizeof path, "problems/net-unet.ini"), "net-unet");
}

Test(gpu, vector_ops_double_match_cpu) { run(1, vectors); }
Test(gpu, vector_ops_float_match_cpu) { run(0, vectors); }
Test(gpu, tensor_ops_double_match_cpu) { run(1, tensors); }
Test(gpu, tensor_ops_float_match_cpu) { run(0, tensors); }
Test(gpu, mlp_eps_and_vjps_double_match_cpu) { run(1, mlp); }
Test(gpu, mlp_eps_and_vjps_float_match_cpu) { run(0, mlp); }
Test(gpu, unet_eps_and_vjps_double_match_cpu) { run(1, unet); }
Test(gpu, unet_eps_and_vjps_float_match_cpu) { run(0, unet); }
Test(gpu, shipped_mlp_gradient_adjdeis_2m_double_matches_cpu) { run(1, grad_mlp); }
Test(gpu, shipped_mlp_gradient_adjdeis_2m_float_matches_cpu) { run(0, grad_mlp); }
Test(gpu, shipped_unet_gradient_adjdeis_2m_double_matches_cpu, .timeout = 120) { run(1, grad_unet); }
Test(gpu, shipped_unet_gradient_adjdeis_2m_float_matches_cpu, .timeout = 120) { run(0, grad_unet); }

/* A problem of a tiny mlp (weights adeis_net_init_uniform(5)) on a batch of 2 in a new
 * temporary folder dir; its path in path. */
static void tiny_network_problem(char *dir, char *path, size_t cap)
{
  static const adeis_net_hyper hp = {.arch = ADEIS_NET_MLP, .dim = 3, .width = 5, .depth = 2,
                                     .emb_dim = 4, .hidden = 6, .cond_dim = 2};
  cr_assert(mkdtemp(dir));
  adeis_tbe tbe;
  adeis_net *net = NULL;
  cr_assert_eq(adeis_tbe_init(&tbe, "double", 53), 0);
  cr_assert_eq(adeis_net_create(&net, &hp, &tbe), 0, "%s", adeis_errmsg());
  adeis_net_init_uniform(net, 5);
  adeis_net_set_meta(net, "vp-linear", "test weights");
  snprintf(path, cap, "%s/w.safetensors", dir);
  cr_assert_eq(adeis_net_save(net, path, 0), 0, "%s", adeis_errmsg());
  adeis_net_free(net);
  snprintf(path, cap, "%s/p.ini", dir);
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fputs("[problem]\ntype = network\nweights = w.safetensors\nbatch = 2\nclass = 1\n\n"
        "[schedule]\nname = vp-linear\n\n[loss]\ntype = quadratic\ntarget = 1 2 3 4 5 6\n\n"
        "[start]\nseed = 4\n", f);
  fclose(f);
}

/* `adeis grad --json` of problem on backend: its exit status, and dL/dx_T (6 numbers) when 0 */
static int cli_grad(const char *bin, const char *problem, const char *backend, double g[6],
                    char *out, size_t cap)
{
  char cmd[8400];
  snprintf(cmd, sizeof cmd, "'%s' grad --problem '%s' --backend %s --method adjdeis-2m --steps 8 "
           "--state backsolve --ref-max-steps 256 --json 2>&1", bin, problem, backend);
  FILE *p = popen(cmd, "r");
  cr_assert(p);
  size_t len = fread(out, 1, cap - 1, p);
  out[len] = '\0';
  int st = pclose(p);
  int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  const char *q = rc == 0 ? strstr(out, "\"grad\": {\"x_T\": [") : NULL;
  for (int i = 0; i < 6; i++) {
    q = q ? strchr(q, i ? '"' : '[') : NULL;   /* number i's opening quote (first: the list) */
    if (q && !i)
      q = strchr(q, '"');
    g[i] = q ? strtod(q + 1, NULL) : NAN;
    q = q ? strchr(q + 1, '"') : NULL;         /* its closing quote */
    q = q ? q + 1 : NULL;
  }
  return rc;
}

/* `adeis grad` on a network problem with --backend cuda-float: without a device, exit 2 and
 * the runtime's reason; with one, dL/dx_T within 1e-5 of the same run on the CPU's float */
Test(gpu, cli_grad_network_on_cuda_float, .timeout = 120)
{
  const char *bin = getenv("ADEIS_BIN");
  if (!bin || !*bin)
    cr_skip_test("ADEIS_BIN is not set (run the tests with make check)");
  char dir[64] = "/tmp/adeis-gpu-cli-XXXXXX", path[4096], out[1 << 14], cmd[128];
  double gd[6], gc[6];
  tiny_network_problem(dir, path, sizeof path);
  int rd = cli_grad(bin, path, "cuda-float", gd, out, sizeof out);
  if (adeis_cuda_available()) {
    cr_expect_eq(rd, 0, "%s", out);
    cr_expect_eq(cli_grad(bin, path, "float", gc, out, sizeof out), 0, "%s", out);
    cr_expect_leq(gp_rel(gd, gc, 6), 1e-5, "cuda-float against float: %g", gp_rel(gd, gc, 6));
  } else {
    cr_expect_eq(rd, 2, "%s", out);
    cr_expect(strstr(out, "--backend cuda-float: not available here: no CUDA device: "), "%s", out);
  }
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

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

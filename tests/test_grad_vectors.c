/* adeis grad's vector output: --vectors FILE.safetensors holds exactly the gradients the JSON
 * prints, --json then prints their norms, and long vectors print as norms in the table. */
#include "../nets/safetensors.h"
#include "../runs/grad.h"
#include "../runs/problem.h"
#include "../core/status.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
  strcpy(dir, "/tmp/adeis-vectors-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(grad_vectors, .init = make_dir, .fini = remove_dir);

/* Output of `adeis ARGS` (stdout), asserting exit 0. */
static char *adeis(const char *args)
{
  const char *bin = getenv("ADEIS_BIN"), *root = getenv("ADEIS_ROOT");
  cr_assert(bin && root, "ADEIS_BIN and ADEIS_ROOT must be set (make check does)");
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s", root, bin, args);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  size_t cap = 1 << 16, len = 0;
  char *out = malloc(cap);
  size_t k;
  while ((k = fread(out + len, 1, cap - 1 - len, p)) > 0)
    len += k;
  out[len] = '\0';
  int st = pclose(p);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "adeis %s: status %d\n%s", args, st, out);
  return out;
}

/* The k-th decimal string after `"key": {"q": [` in a JSON text. */
static double json_component(const char *json, const char *key, const char *q, int k)
{
  char want[64];
  snprintf(want, sizeof want, "\"%s\": {", key);
  const char *p = strstr(json, want);
  cr_assert_not_null(p, "%s missing", want);
  snprintf(want, sizeof want, "\"%s\": [", q);
  p = strstr(p, want);
  cr_assert_not_null(p, "%s.%s missing", key, q);
  p += strlen(want);
  for (int i = 0; i < k; i++)
    p = strchr(p, ',') + 1;
  return strtod(strchr(p, '"') + 1, NULL);
}

static double tensor_at(const adeis_st_file *f, const char *name, size_t i, size_t *numel)
{
  for (size_t t = 0; t < f->ntensors; t++)
    if (strcmp(f->tensors[t].name, name) == 0) {
      *numel = f->tensors[t].numel;
      double d;
      memcpy(&d, f->tensors[t].data + 8 * i, 8);
      return d;
    }
  cr_assert_fail("tensor %s missing", name);
  return 0;
}

Test(grad_vectors, file_holds_the_printed_gradients)
{
  const char *run = "grad --problem problems/worked.ini --method adjdeis-2m --steps 64 --json";
  char *plain = adeis(run), args[512], path[128];
  snprintf(path, sizeof path, "%s/v.safetensors", dir);
  snprintf(args, sizeof args, "%s --vectors %s", run, path);
  char *norms = adeis(args);
  adeis_st_file *f;
  cr_assert_eq(adeis_safetensors_open(&f, path), 0);
  const char *q[] = {"x_T", "z", "theta"};
  for (int k = 0; k < 3; k++) {
    char name[32];
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < 3; i++) {
      snprintf(name, sizeof name, "grad.%s", q[k]);
      double v = tensor_at(f, name, i, &n), want = json_component(plain, "grad", q[k], (int)i);
      cr_expect(fabs(v - want) <= 1e-15 * fabs(want), "%s[%zu]: %.17g vs %.17g", name, i, v, want);
      snprintf(name, sizeof name, "exact.%s", q[k]);
      tensor_at(f, name, i, &n);
      sum += want * want;
    }
    cr_expect_eq(n, 3);
    /* the JSON with --vectors prints the norm of the same vector */
    char key[64];
    snprintf(key, sizeof key, "\"%s\": {\"n\": 3, \"norm\": \"", q[k]);
    const char *p = strstr(strstr(norms, "\"grad\": {"), key);
    cr_assert_not_null(p, "%s", norms);
    double norm = strtod(p + strlen(key), NULL);
    cr_expect(fabs(norm - sqrt(sum)) <= 1e-14 * norm, "%s: norm %.17g vs %.17g", q[k], norm,
              sqrt(sum));
  }
  /* x_T and z are [B, dim] with B = 1 for one sample, theta one tensor */
  for (size_t t = 0; t < f->ntensors; t++)
    cr_expect_eq(f->tensors[t].ndim, strstr(f->tensors[t].name, "theta") ? 1 : 2, "%s",
                 f->tensors[t].name);
  adeis_safetensors_close(f);
  free(plain);
  free(norms);
}

/* A 20-dimensional problem: the table gives norms (with the component count), not 20 lines. */
Test(grad_vectors, long_vectors_print_as_norms)
{
  char path[128];
  snprintf(path, sizeof path, "%s/d20.ini", dir);
  FILE *p = fopen(path, "w");
  cr_assert_not_null(p);
  fputs("[problem]\ntype = gaussian\ndim = 20\nmean =", p);
  for (int i = 0; i < 20; i++)
    fprintf(p, " %d", i % 3);
  fputs("\nvar =", p);
  for (int i = 0; i < 20; i++)
    fprintf(p, " 0.%d", 1 + i % 9);
  fputs("\n[schedule]\nname = vp-linear\n[loss]\ntype = quadratic\ntarget =", p);
  for (int i = 0; i < 20; i++)
    fputs(" 0.5", p);
  fputs("\n[start]\nx_T =", p);
  for (int i = 0; i < 20; i++)
    fprintf(p, " %d", (i % 5) - 2);
  fputs("\n", p);
  fclose(p);
  char args[512], *json, *text;
  snprintf(args, sizeof args, "grad --problem %s --method adjdeis-1 --steps 16 --precision 53 --json",
           path);
  json = adeis(args);
  snprintf(args, sizeof args, "grad --problem %s --method adjdeis-1 --steps 16 --precision 53",
           path);
  text = adeis(args);
  cr_expect_not_null(strstr(text, "(20 components; --vectors FILE writes them all)"), "%s", text);
  double sum = 0;
  for (int i = 0; i < 20; i++) {
    double v = json_component(json, "grad", "x_T", i);
    sum += v * v;
  }
  const char *l = strstr(text, "x_T    |.|_2");
  cr_assert_not_null(l, "%s", text);
  double norm = strtod(l + strlen("x_T    |.|_2"), NULL);
  cr_expect(fabs(norm - sqrt(sum)) <= 1e-14 * norm, "norm %.17g vs %.17g", norm, sqrt(sum));
  free(json);
  free(text);
}

/* A network (problems/net-mlp.ini, double): theta is written as one tensor per parameter,
 * grad.theta.NAME, with the names and shapes of the weights file's tensors, and the tensors
 * laid end to end in the weights' order are the library's single theta gradient. */
Test(grad_vectors, network_theta_per_parameter_tensor, .timeout = 120)
{
  char path[128], args[512], root_ini[512], weights[512];
  const char *root = getenv("ADEIS_ROOT");
  cr_assert_not_null(root);
  snprintf(path, sizeof path, "%s/net.safetensors", dir);
  snprintf(args, sizeof args,
           "grad --problem problems/net-mlp.ini --method adjdeis-2m --steps 8 --state backsolve "
           "--precision 53 --json --vectors %s",
           path);
  free(adeis(args));
  snprintf(root_ini, sizeof root_ini, "%s/problems/net-mlp.ini", root);
  snprintf(weights, sizeof weights, "%s/nets/models/gmm2d-mlp.safetensors", root);

  adeis_problem_spec sp;
  adeis_problem pb;
  adeis_grad_result lib;
  adeis_grad_request rq;
  cr_assert_eq(adeis_problem_load(root_ini, &sp), ADEIS_OK, "%s", adeis_errmsg());
  cr_assert_eq(adeis_problem_build(&sp, 53, &pb), ADEIS_OK, "%s", adeis_errmsg());
  adeis_grad_request_init(&rq);
  rq.method = "adjdeis-2m";
  rq.steps = 8;
  rq.precision = 53;
  rq.state = ADEIS_STATE_BACKSOLVE;
  cr_assert_eq(adeis_grad_compute(&pb, &rq, &lib), ADEIS_OK, "%s", adeis_errmsg());
  const adeis_vec *gt = lib.grad[ADEIS_Q_THETA];

  adeis_st_file *f, *w;
  cr_assert_eq(adeis_safetensors_open(&f, path), 0, "%s", adeis_errmsg());
  cr_assert_eq(adeis_safetensors_open(&w, weights), 0, "%s", adeis_errmsg());
  cr_expect_null(adeis_safetensors_find(f, "grad.theta"));
  size_t off = 0, nt = 0;
  double gmax = 0, dmax = 0;
  for (size_t k = 0; k < w->ntensors; k++) {
    const adeis_st_tensor *p = &w->tensors[k];
    char name[160];
    snprintf(name, sizeof name, "grad.theta.%s", p->name);
    const adeis_st_tensor *g = adeis_safetensors_find(f, name);
    cr_assert_not_null(g, "%s missing", name);
    cr_expect_eq(g->dtype, ADEIS_ST_F64, "%s", name);
    cr_assert_eq(g->ndim, p->ndim, "%s", name);
    for (int i = 0; i < p->ndim; i++)
      cr_expect_eq(g->shape[i], p->shape[i], "%s dim %d", name, i);
    nt++;
  }
  /* the weights file's tensors in the order of their data are theta's blocks in order */
  size_t prev_end = 0;
  for (size_t k = 0; k < w->ntensors; k++) {
    const adeis_st_tensor *p = NULL;
    for (size_t j = 0; j < w->ntensors; j++)
      if (w->tensors[j].begin >= prev_end && (!p || w->tensors[j].begin < p->begin))
        p = &w->tensors[j];
    cr_assert_not_null(p);
    prev_end = p->end;
    char name[160];
    snprintf(name, sizeof name, "grad.theta.%s", p->name);
    const adeis_st_tensor *g = adeis_safetensors_find(f, name);
    cr_assert_leq(off + g->numel, gt->n, "%s runs past theta", name);
    for (size_t i = 0; i < g->numel; i++) {
      double a = adeis_st_get(g, i), b = adeis_vec_get_d(gt, off + i);
      dmax = fmax(dmax, fabs(a - b));
      gmax = fmax(gmax, fabs(b));
    }
    off += g->numel;
  }
  cr_expect_eq(off, gt->n, "the blocks cover %zu of %zu components", off, gt->n);
  cr_expect_gt(gmax, 0.0);
  cr_expect_eq(dmax, 0.0, "largest difference %g (largest component %g)", dmax, gmax);
  for (size_t t = 0; t < f->ntensors; t++)
    nt -= strncmp(f->tensors[t].name, "grad.theta.", 11) == 0;
  cr_expect_eq(nt, 0, "grad.theta.* tensors that the weights file does not have");
  /* x_T and z keep their [B, dim] shapes */
  const adeis_st_tensor *gx = adeis_safetensors_find(f, "grad.x_T");
  cr_assert_not_null(gx);
  cr_expect(gx->ndim == 2 && gx->shape[0] == 2 && gx->shape[1] == 2);
  adeis_safetensors_close(w);
  adeis_safetensors_close(f);
  adeis_grad_result_clear(&lib);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&sp);
}

/* Without --reference or --ref-max-steps a network run solves no reference and uses cached
 * states (oracle states would need a converged solve too): the JSON has no reference, and its
 * gradient is the library's with cached states, to the last bit. */
Test(grad_vectors, network_default_is_quick_and_cached, .timeout = 60)
{
  char args[512], path[128];
  snprintf(path, sizeof path, "%s/q.safetensors", dir);
  snprintf(args, sizeof args,
           "grad --problem problems/net-mlp.ini --method adjdeis-2m --steps 8 --precision 53 "
           "--json --vectors %s",
           path);
  char *out = adeis(args);
  cr_expect_not_null(strstr(out, "\"reference\": null"), "%s", out);
  cr_expect_not_null(strstr(out, "\"rel_error\": {\"x_T\": null, \"z\": null, \"theta\": null}"), "%s",
                    out);
  cr_expect_not_null(strstr(out, "\"state\": \"cached\""), "%s", out);
  char ini[512];
  snprintf(ini, sizeof ini, "%s/problems/net-mlp.ini", getenv("ADEIS_ROOT"));
  adeis_problem_spec sp;
  adeis_problem pb;
  adeis_grad_result lib;
  adeis_grad_request rq;
  cr_assert_eq(adeis_problem_load(ini, &sp), ADEIS_OK, "%s", adeis_errmsg());
  cr_assert_eq(adeis_problem_build(&sp, 53, &pb), ADEIS_OK, "%s", adeis_errmsg());
  adeis_grad_request_init(&rq);
  rq.method = "adjdeis-2m";
  rq.steps = 8;
  rq.precision = 53;
  rq.state = ADEIS_STATE_CACHED;
  cr_assert_eq(adeis_grad_compute(&pb, &rq, &lib), ADEIS_OK, "%s", adeis_errmsg());
  adeis_st_file *f;
  cr_assert_eq(adeis_safetensors_open(&f, path), 0, "%s", adeis_errmsg());
  cr_expect_null(adeis_safetensors_find(f, "reference.x_T"));
  for (size_t i = 0; i < 4; i++) {
    size_t n;
    double got = tensor_at(f, "grad.x_T", i, &n);
    double want = adeis_vec_get_d(lib.grad[ADEIS_Q_X_T], i);
    cr_expect_eq(got, want, "x_T[%zu]: %.17g vs %.17g", i, got, want);
  }
  adeis_safetensors_close(f);
  adeis_grad_result_clear(&lib);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&sp);
  free(out);
}

/* The network as a model (nets/network_model.h): the model interface against the raw network
 * API, its products against central differences at 256 bits (x, z, theta), float / double /
 * MPFR agreement, `type = network` problem files and their errors, and `adeis grad` on one. */
#include "nets_check.h"
#include "../core/status.h"
#include "../nets/network_model.h"
#include "../nets/safetensors.h"
#include "../runs/problem.h"

#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define B 2

static const adeis_net_hyper mlp_hp = {.arch = ADEIS_NET_MLP, .dim = 3, .width = 5, .depth = 2,
                                       .emb_dim = 4, .hidden = 6, .cond_dim = 2};
static const adeis_net_hyper unet_hp = {.arch = ADEIS_NET_UNET, .channels = 2, .size = 8,
                                        .base = 4, .groups = 2, .emb_dim = 4, .hidden = 6,
                                        .cond_dim = 3};

/* a network for backend be with weights from seed 5 (float numbers: the same in every type) */
static adeis_net *make_net(const adeis_net_hyper *hp, const adeis_backend *be)
{
  adeis_tbe tbe;
  cr_assert_eq(adeis_network_tbe(&tbe, be), 0);
  adeis_net *net = NULL;
  cr_assert_eq(adeis_net_create(&net, hp, &tbe), 0, "%s", adeis_errmsg());
  adeis_net_init_uniform(net, 5);
  return net;
}

/* a vector of float-rounded uniforms in (-1, 1) from seed */
static adeis_vec *rand_vec(const adeis_backend *be, size_t n, unsigned long seed)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  adeis_vec *v = adeis_vec_alloc(be, n);
  for (size_t i = 0; i < n; i++)
    adeis_vec_set_d(v, i, (double)(float)(2 * gsl_rng_uniform(r) - 1));
  gsl_rng_free(r);
  return v;
}

static void tpoint(adeis_tpoint *tp, const adeis_backend *be, adeis_schedule *s, const char *t)
{
  adeis_schedule_init(s, adeis_schedule_lookup("vp-linear"), adeis_backend_scalar_prec(be));
  adeis_tpoint_init(tp, adeis_backend_scalar_prec(be));
  mpfr_t tt;
  mpfr_init2(tt, adeis_backend_scalar_prec(be));
  mpfr_set_str(tt, t, 10, MPFR_RNDN);
  adeis_schedule_point_t(s, tp, tt);
  mpfr_clear(tt);
}

/* the model of hp on be with conditioning z (a vector of B cond_dim numbers, or NULL) */
static void make_model(adeis_model *m, const adeis_net_hyper *hp, const adeis_backend *be,
                       const adeis_vec *z, adeis_net *net)
{
  void *za = NULL;
  size_t nz = B * (size_t)hp->cond_dim;
  if (!net)
    net = make_net(hp, be);
  adeis_tbe tbe = net->be;
  if (z) {
    za = tbe.ops->alloc(&tbe, nz);
    for (size_t i = 0; i < nz; i++) {
      mpfr_t r;
      mpfr_init2(r, be->prec);
      adeis_vec_get(r, z, i);
      tbe.ops->set_mpfr(&tbe, za, i, r);
      mpfr_clear(r);
    }
  }
  cr_assert_eq(adeis_network_model_init(m, be, net, B, za), 0, "%s", adeis_errmsg());
  if (za)
    tbe.ops->free(&tbe, za, nz);
}

/* ---- the model interface against the raw API ---- */

static void model_vs_raw(const adeis_net_hyper *hp)
{
  adeis_backend be;
  adeis_backend_init_mpfr(&be, 256);
  adeis_model m;
  size_t dim, nz, nt;
  adeis_vec *z0 = rand_vec(&be, B * (size_t)hp->cond_dim, 9);
  make_model(&m, hp, &be, z0, NULL);
  dim = m.dim, nz = m.cond_dim, nt = m.theta_dim;
  adeis_vec *x = rand_vec(&be, dim, 1), *v = rand_vec(&be, dim, 2);
  adeis_vec *eps = adeis_vec_alloc(&be, dim), *jx = rand_vec(&be, dim, 3);
  adeis_vec *jz = rand_vec(&be, nz, 4), *jt = rand_vec(&be, nt, 5);
  mpfr_t sz, st;
  mpfr_inits2(256, sz, st, (mpfr_ptr)0);
  mpfr_set_d(sz, 0.75, MPFR_RNDN);
  mpfr_set_d(st, -1.25, MPFR_RNDN);
  adeis_schedule s;
  adeis_tpoint tp;
  tpoint(&tp, &be, &s, "0.37");
  /* the raw API on the same inputs, arrays of the MPFR table */
  const adeis_net *net = adeis_network_model_net(&m);
  adeis_tbe_p tb = &net->be;
  void *ax = tb->ops->alloc(tb, dim), *av = tb->ops->alloc(tb, dim), *ae = tb->ops->alloc(tb, dim);
  void *ajx = tb->ops->alloc(tb, dim), *az = tb->ops->alloc(tb, nz), *ajz = tb->ops->alloc(tb, nz);
  void *ajt = tb->ops->alloc(tb, nt);
  adeis_vec_export_mpfr(x, 0, ax, dim);
  adeis_vec_export_mpfr(v, 0, av, dim);
  adeis_vec_export_mpfr(z0, 0, az, nz);
  adeis_vec_export_mpfr(jz, 0, ajz, nz);
  adeis_vec_export_mpfr(jt, 0, ajt, nt);
  adeis_net_ws *ws = adeis_net_ws_alloc(net, B);
  cr_assert_eq(adeis_net_eval(net, ws, ax, tp.t, az, 15u, ae, av, ajx, ajz, sz, ajt, st), 0);
  adeis_eval io = {.want = ADEIS_WANT_EPS | ADEIS_WANT_JX | ADEIS_WANT_JZ | ADEIS_WANT_JTHETA,
                   .eps = eps, .v = v, .jx = jx, .jz = jz, .sz = sz, .jtheta = jt, .stheta = st};
  cr_assert_eq(adeis_model_eval(&m, NULL, x, &tp, &io), 0);
  struct { const adeis_vec *vec; void *arr; size_t n; const char *name; } cmp[] = {
    {eps, ae, dim, "eps"}, {jx, ajx, dim, "jx"}, {jz, ajz, nz, "jz"}, {jt, ajt, nt, "jtheta"}};
  mpfr_t a, b;
  mpfr_inits2(256, a, b, (mpfr_ptr)0);
  for (int k = 0; k < 4; k++)
    for (size_t i = 0; i < cmp[k].n; i++) {
      adeis_vec_get(a, cmp[k].vec, i);
      tb->ops->get_mpfr(tb, b, cmp[k].arr, i);
      cr_assert(mpfr_equal_p(a, b), "%s[%zu] differs from the raw API", cmp[k].name, i);
    }
  mpfr_clears(a, b, sz, st, (mpfr_ptr)0);
  adeis_net_ws_free(ws);
  void *arrs[] = {ax, av, ae, ajx};
  for (int k = 0; k < 4; k++)
    tb->ops->free(tb, arrs[k], dim);
  tb->ops->free(tb, az, nz);
  tb->ops->free(tb, ajz, nz);
  tb->ops->free(tb, ajt, nt);
  adeis_vec *vs[] = {x, v, eps, jx, jz, jt, z0};
  for (int k = 0; k < 7; k++)
    adeis_vec_free(vs[k]);
  adeis_tpoint_clear(&tp);
  adeis_schedule_clear(&s);
  adeis_model_clear(&m);
}

Test(network_model, mlp_equals_the_raw_api) { model_vs_raw(&mlp_hp); }
Test(network_model, unet_equals_the_raw_api) { model_vs_raw(&unet_hp); }

/* ---- central differences at 256 bits through the model interface ---- */

typedef enum { WRT_X, WRT_Z, WRT_THETA } wrt;

typedef struct fd_ctx {
  const adeis_net_hyper *hp;
  const adeis_backend *be;
  const adeis_tpoint *tp;
  const adeis_vec *x, *z, *v, *d;
  wrt what;
} fd_ctx;

/* phi(h) = <v, eps> at the input moved by h d */
static void phi(mpfr_ptr out, mpfr_srcptr h, void *p)
{
  fd_ctx *c = p;
  adeis_vec *x = adeis_vec_alloc(c->be, c->x->n), *z = adeis_vec_alloc(c->be, c->z->n);
  adeis_vec_copy(x, c->x);
  adeis_vec_copy(z, c->z);
  adeis_net *net = make_net(c->hp, c->be);
  const adeis_vec *one[2];
  mpfr_t unit;
  mpfr_init2(unit, 512);
  mpfr_set_ui(unit, 1, MPFR_RNDN);
  mpfr_srcptr co[2] = {unit, h};
  if (c->what == WRT_X || c->what == WRT_Z) {
    adeis_vec *y = c->what == WRT_X ? x : z;
    one[0] = y;
    one[1] = c->d;
    adeis_vec_lincomb(y, 2, co, one);
  } else {
    adeis_tbe_p tb = &net->be;
    mpfr_t a, dd;
    mpfr_inits2(512, a, dd, (mpfr_ptr)0);
    for (size_t i = 0; i < net->ntheta; i++) {
      tb->ops->get_mpfr(tb, a, net->theta, i);
      adeis_vec_get(dd, c->d, i);
      mpfr_fma(a, h, dd, a, MPFR_RNDN);
      tb->ops->set_mpfr(tb, net->theta, i, a);
    }
    mpfr_clears(a, dd, (mpfr_ptr)0);
  }
  adeis_model m;
  make_model(&m, c->hp, c->be, z, net);
  adeis_vec *eps = adeis_vec_alloc(c->be, m.dim);
  cr_assert_eq(adeis_model_eps(&m, NULL, eps, x, c->tp), 0);
  adeis_vec_dot(out, c->v, eps);
  mpfr_clear(unit);
  adeis_vec_free(eps);
  adeis_vec_free(x);
  adeis_vec_free(z);
  adeis_model_clear(&m);
}

static void products_vs_fd(const adeis_net_hyper *hp)
{
  adeis_backend be;
  adeis_backend_init_mpfr(&be, NC_PREC);
  adeis_schedule s;
  adeis_tpoint tp;
  tpoint(&tp, &be, &s, "0.21");
  adeis_model m;
  adeis_vec *z = rand_vec(&be, B * (size_t)hp->cond_dim, 19);
  make_model(&m, hp, &be, z, NULL);
  adeis_vec *x = rand_vec(&be, m.dim, 11), *v = rand_vec(&be, m.dim, 12);
  adeis_vec *jx = adeis_vec_alloc(&be, m.dim), *jz = adeis_vec_alloc(&be, m.cond_dim);
  adeis_vec *jt = adeis_vec_alloc(&be, m.theta_dim);
  cr_assert_eq(adeis_model_vjp(&m, NULL, x, &tp, v, jx, jz, jt), 0);
  const adeis_vec *prod[3] = {jx, jz, jt};
  size_t n[3] = {m.dim, m.cond_dim, m.theta_dim};
  static const char *const names[3] = {"x", "z", "theta"};
  for (int w = 0; w < 3; w++) {
    adeis_vec *d = rand_vec(&be, n[w], 40 + (unsigned long)w);
    fd_ctx c = {hp, &be, &tp, x, z, v, d, (wrt)w};
    mpfr_t fd, an;
    mpfr_inits2(NC_ACC_PREC, fd, an, (mpfr_ptr)0);
    nc_fd5(fd, phi, &c);
    adeis_vec_dot(an, d, prod[w]);
    double digits = nc_digits(an, fd);
    cr_log_info("%s: %s product agrees with the central difference to %.1f digits",
                hp->arch == ADEIS_NET_MLP ? "mlp" : "unet", names[w], digits);
    cr_expect_geq(digits, 30.0, "%s: %.1f digits", names[w], digits);
    mpfr_clears(fd, an, (mpfr_ptr)0);
    adeis_vec_free(d);
  }
  adeis_vec *vs[] = {x, v, jx, jz, jt, z};
  for (int k = 0; k < 6; k++)
    adeis_vec_free(vs[k]);
  adeis_model_clear(&m);
  adeis_tpoint_clear(&tp);
  adeis_schedule_clear(&s);
}

Test(network_model, mlp_products_match_central_differences) { products_vs_fd(&mlp_hp); }
Test(network_model, unet_products_match_central_differences, .timeout = 120)
{
  products_vs_fd(&unet_hp);
}

/* ---- float, double and MPFR ---- */

typedef struct outs {
  adeis_vec *eps, *jx, *jz, *jt;
} outs;

static void eval_on(outs *o, const adeis_net_hyper *hp, const adeis_backend *be)
{
  adeis_schedule s;
  adeis_tpoint tp;
  tpoint(&tp, be, &s, "0.6");
  adeis_vec *z = rand_vec(be, B * (size_t)hp->cond_dim, 29);
  adeis_model m;
  make_model(&m, hp, be, z, NULL);
  adeis_vec *x = rand_vec(be, m.dim, 21), *v = rand_vec(be, m.dim, 22);
  o->eps = adeis_vec_alloc(be, m.dim);
  o->jx = adeis_vec_alloc(be, m.dim);
  o->jz = adeis_vec_alloc(be, m.cond_dim);
  o->jt = adeis_vec_alloc(be, m.theta_dim);
  cr_assert_eq(adeis_model_eps(&m, NULL, o->eps, x, &tp), 0);
  cr_assert_eq(adeis_model_vjp(&m, NULL, x, &tp, v, o->jx, o->jz, o->jt), 0);
  adeis_vec_free(x);
  adeis_vec_free(v);
  adeis_vec_free(z);
  adeis_model_clear(&m);
  adeis_tpoint_clear(&tp);
  adeis_schedule_clear(&s);
}

static void outs_free(outs *o)
{
  adeis_vec_free(o->eps);
  adeis_vec_free(o->jx);
  adeis_vec_free(o->jz);
  adeis_vec_free(o->jt);
}

/* max |a - ref| / max |ref| in units of the storage's epsilon */
static double eps_units(const adeis_vec *a, const adeis_vec *ref, double unit)
{
  mpfr_t x, y;
  mpfr_inits2(256, x, y, (mpfr_ptr)0);
  double diff = 0, scale = 0;
  for (size_t i = 0; i < ref->n; i++) {
    adeis_vec_get(x, a, i);
    adeis_vec_get(y, ref, i);
    scale = fmax(scale, fabs(mpfr_get_d(y, MPFR_RNDN)));
    mpfr_sub(x, x, y, MPFR_RNDN);
    diff = fmax(diff, fabs(mpfr_get_d(x, MPFR_RNDN)));
  }
  mpfr_clears(x, y, (mpfr_ptr)0);
  return diff / scale / unit;
}

static void precisions_agree(const adeis_net_hyper *hp, double allowed)
{
  adeis_backend ref_be, bes[2];
  adeis_backend_init_mpfr(&ref_be, 256);
  cr_assert_eq(adeis_backend_init_named(&bes[0], "float", 0), 0);
  cr_assert_eq(adeis_backend_init_named(&bes[1], "double", 0), 0);
  const double unit[2] = {0x1p-24, 0x1p-53};
  outs ref, o;
  eval_on(&ref, hp, &ref_be);
  for (int k = 0; k < 2; k++) {
    eval_on(&o, hp, &bes[k]);
    const adeis_vec *a[4] = {o.eps, o.jx, o.jz, o.jt}, *r[4] = {ref.eps, ref.jx, ref.jz, ref.jt};
    static const char *const names[4] = {"eps", "jx", "jz", "jtheta"};
    for (int q = 0; q < 4; q++) {
      double e = eps_units(a[q], r[q], unit[k]);
      cr_log_info("%s on %s: %s within %.2f eps of MPFR-256", hp->arch ? "unet" : "mlp",
                  bes[k].type->name, names[q], e);
      cr_expect_leq(e, allowed, "%s %s: %.2f eps", bes[k].type->name, names[q], e);
    }
    outs_free(&o);
  }
  outs_free(&ref);
}

/* The same bounds as the raw network's agreement test (docs/networks.md): 64 eps max|ref| for
 * the mlp, 256 for the unet (its double time embedding). */
Test(network_model, mlp_float_double_mpfr_agree) { precisions_agree(&mlp_hp, 64); }
Test(network_model, unet_float_double_mpfr_agree) { precisions_agree(&unet_hp, 256); }

/* ---- problem files ---- */

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
  char path[256];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fputs(text, f);
  fclose(f);
}

static void make_tmp_weights(void)
{
  strcpy(tmpdir, "/tmp/adeis-netmodel-XXXXXX");
  cr_assert(mkdtemp(tmpdir));
  adeis_backend be;
  adeis_backend_init_named(&be, "double", 0);
  adeis_net *net = make_net(&mlp_hp, &be);
  adeis_net_set_meta(net, "vp-linear", "test weights");
  char path[256];
  snprintf(path, sizeof path, "%s/w.safetensors", tmpdir);
  cr_assert_eq(adeis_net_save(net, path, 0), 0, "%s", adeis_errmsg());
  adeis_net_free(net);
}

static void remove_tmp(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  cr_assert_eq(system(cmd), 0);
}

static const char *problem_text(char *buf, size_t n, const char *problem_extra,
                                const char *schedule)
{
  snprintf(buf, n,
           "[problem]\ntype = network\nweights = w.safetensors\nbatch = 2\n%s\n"
           "[schedule]\nname = %s\n\n[loss]\ntype = quadratic\ntarget = 1 2 3 4 5 6\n\n"
           "[start]\nseed = 4\n",
           problem_extra, schedule);
  return buf;
}

static int load_text(const char *text, adeis_problem_spec *sp)
{
  char path[256];
  write_file("p.ini", text);
  snprintf(path, sizeof path, "%s/p.ini", tmpdir);
  return adeis_problem_load(path, sp);
}

/* class = 1 builds the model of one-hot z = e_1 for both samples, at 53 and 256 bits */
Test(network_model, problem_file_builds_the_network, .init = make_tmp_weights, .fini = remove_tmp)
{
  char text[1024];
  adeis_problem_spec sp;
  cr_assert_eq(load_text(problem_text(text, sizeof text, "class = 1", "vp-linear"), &sp), 0, "%s",
               adeis_errmsg());
  cr_assert_eq(sp.dim, B * 3);
  long precs[2] = {53, 256};
  for (int k = 0; k < 2; k++) {
    adeis_problem pb;
    cr_assert_eq(adeis_problem_build(&sp, precs[k], &pb), 0, "%s", adeis_errmsg());
    cr_assert_eq(pb.model.cond_dim, B * 2);
    cr_assert_eq(pb.model.theta_dim, adeis_network_model_net(&pb.model)->ntheta);
    adeis_vec *z = adeis_vec_alloc(&pb.be, B * 2);
    adeis_vec_set_d(z, 1, 1.0);
    adeis_vec_set_d(z, 3, 1.0);
    adeis_model m;
    make_model(&m, &mlp_hp, &pb.be, z, NULL);
    adeis_schedule s;
    adeis_tpoint tp;
    tpoint(&tp, &pb.be, &s, "0.4");
    adeis_vec *a = adeis_vec_alloc(&pb.be, sp.dim), *b = adeis_vec_alloc(&pb.be, sp.dim);
    cr_assert_eq(adeis_model_eps(&pb.model, NULL, a, pb.x_T, &tp), 0);
    cr_assert_eq(adeis_model_eps(&m, NULL, b, pb.x_T, &tp), 0);
    for (size_t i = 0; i < sp.dim; i++)
      cr_assert_eq(adeis_vec_get_d(a, i), adeis_vec_get_d(b, i));
    adeis_vec_free(a);
    adeis_vec_free(b);
    adeis_vec_free(z);
    adeis_tpoint_clear(&tp);
    adeis_schedule_clear(&s);
    adeis_model_clear(&m);
    adeis_problem_clear(&pb);
  }
  adeis_problem_spec_clear(&sp);
}

Test(network_model, problem_file_errors, .init = make_tmp_weights, .fini = remove_tmp)
{
  static const struct { const char *extra, *schedule, *expect; } cases[] = {
    {"class = 1", "vp-cosine", "p.ini:3: problem.weights: the weights were trained for schedule "
                               "'vp-linear', the [schedule] section names 'vp-cosine'"},
    {"class = 2", "vp-linear", "p.ini:5: problem.class: expected a class in 0..1"},
    {"class = 1\nz = 1 0 0 1", "vp-linear", "p.ini:6: problem.z: expected either problem.z or "
                                            "problem.class, not both"},
    {"z = 1 0 0", "vp-linear", "p.ini:5: problem.z: expected 4 numbers"},
    {"allow_schedule_mismatch = maybe", "vp-linear", "problem.allow_schedule_mismatch: expected "
                                                     "true or false"},
  };
  char text[1024];
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    adeis_problem_spec sp;
    int rc = load_text(problem_text(text, sizeof text, cases[i].extra, cases[i].schedule), &sp);
    cr_expect_eq(rc, ADEIS_EINPUT, "case %zu", i);
    cr_expect(strstr(adeis_errmsg(), cases[i].expect), "case %zu: got '%s'", i, adeis_errmsg());
  }
  adeis_problem_spec sp;
  cr_assert_eq(load_text(problem_text(text, sizeof text, "allow_schedule_mismatch = true",
                                      "vp-cosine"), &sp), 0, "%s", adeis_errmsg());
  adeis_problem_spec_clear(&sp);
  /* a weights file that is not one */
  write_file("w.safetensors", "junk");
  cr_assert_eq(load_text(problem_text(text, sizeof text, "", "vp-linear"), &sp), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "p.ini:3: problem.weights: ") &&
              strstr(adeis_errmsg(), "w.safetensors: truncated"), "got '%s'", adeis_errmsg());
}

/* ---- adeis grad on a network problem ---- */

static int run_capture(char *buf, size_t n, const char *const args[])
{
  const char *bin = getenv("ADEIS_BIN");
  if (!bin || !*bin)
    cr_skip_test("ADEIS_BIN is not set (run the tests with make check)");
  int out[2];
  cr_assert_eq(pipe(out), 0);
  pid_t pid = fork();
  cr_assert_neq(pid, -1);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execv(bin, (char *const *)args);
    _exit(127);
  }
  close(out[1]);
  size_t len = 0;
  ssize_t r;
  while (len + 1 < n && (r = read(out[0], buf + len, n - 1 - len)) > 0)
    len += (size_t)r;
  buf[len] = '\0';
  close(out[0]);
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* the first n numbers of "grad": {"x_T": [...] */
static void grad_x_T(const char *json, double *g, size_t n)
{
  const char *p = strstr(json, "\"grad\": {\"x_T\": [");
  cr_assert(p, "no grad.x_T in %s", json);
  p = strchr(p, '[') + 1;
  for (size_t i = 0; i < n; i++) {
    p = strchr(p, '"') + 1;
    g[i] = strtod(p, NULL);
    p = strchr(p, '"') + 1;
  }
}

/* adjdeis-2m, 16 steps, backsolve: the double run against the same run at 256 bits (the
 * reference solve every network run gets is kept short: --ref-max-steps 256) */
Test(network_model, cli_grad_adjdeis_2m_backsolve, .init = make_tmp_weights, .fini = remove_tmp)
{
  char text[1024], path[256];
  write_file("p.ini", problem_text(text, sizeof text, "class = 0", "vp-linear"));
  snprintf(path, sizeof path, "%s/p.ini", tmpdir);
  static char out53[1 << 16], out256[1 << 16];
  const char *a53[] = {"adeis", "grad", "--problem", path, "--method", "adjdeis-2m", "--steps",
                       "16", "--state", "backsolve", "--json", "--precision", "53",
                       "--ref-max-steps", "256", NULL};
  const char *a256[] = {"adeis", "grad", "--problem", path, "--method", "adjdeis-2m", "--steps",
                        "16", "--state", "backsolve", "--json", "--precision", "256",
                        "--ref-max-steps", "256", NULL};
  cr_assert_eq(run_capture(out53, sizeof out53, a53), 0, "%s", out53);
  cr_assert_eq(run_capture(out256, sizeof out256, a256), 0, "%s", out256);
  double g53[6], g256[6], d = 0, s = 0;
  grad_x_T(out53, g53, 6);
  grad_x_T(out256, g256, 6);
  for (int i = 0; i < 6; i++) {
    d = fmax(d, fabs(g53[i] - g256[i]));
    s = fmax(s, fabs(g256[i]));
  }
  cr_log_info("adeis grad on a network: double vs 256 bits, max rel. difference %.2e", d / s);
  cr_assert_gt(s, 0.0);
  cr_assert_lt(d / s, 1e-10);
}

/* ---- the shipped weights ---- */

static const char *root_file(char *buf, size_t n, const char *rel)
{
  const char *root = getenv("ADEIS_ROOT");
  snprintf(buf, n, "%s/%s", root && *root ? root : ".", rel);
  return buf;
}

/* relative distance (2-norm over every point) of the network's eps from the mixture's
 * eps at t = 0.05 .. 0.95 and the 5 x 5 points x in [-2, 2]^2, at z = 0 */
static double net_vs_mixture(const adeis_model *net, const adeis_model *mix,
                             const adeis_backend *be, const adeis_schedule *s)
{
  adeis_vec *x = adeis_vec_alloc(be, 2), *a = adeis_vec_alloc(be, 2), *b = adeis_vec_alloc(be, 2);
  adeis_vec *xb = adeis_vec_alloc(be, net->dim), *eb = adeis_vec_alloc(be, net->dim);
  double num = 0, den = 0;
  adeis_tpoint tp;
  adeis_tpoint_init(&tp, adeis_backend_scalar_prec(be));
  mpfr_t t;
  mpfr_init2(t, 53);
  for (int k = 0; k < 10; k++) {
    mpfr_set_d(t, 0.05 + 0.1 * k, MPFR_RNDN);
    adeis_schedule_point_t(s, &tp, t);
    for (int i = 0; i < 25; i++) {
      adeis_vec_set_d(x, 0, -2 + (i % 5));
      adeis_vec_set_d(x, 1, -2 + (i / 5));
      for (size_t j = 0; j < net->dim; j++)   /* every sample of the batch at x */
        adeis_vec_set_d(xb, j, adeis_vec_get_d(x, j % 2));
      cr_assert_eq(adeis_model_eps(net, NULL, eb, xb, &tp), 0);
      cr_assert_eq(adeis_model_eps(mix, NULL, b, x, &tp), 0);
      for (int c = 0; c < 2; c++) {
        double d = adeis_vec_get_d(eb, (size_t)c) - adeis_vec_get_d(b, (size_t)c);
        num += d * d;
        den += adeis_vec_get_d(b, (size_t)c) * adeis_vec_get_d(b, (size_t)c);
      }
    }
  }
  mpfr_clear(t);
  adeis_tpoint_clear(&tp);
  adeis_vec *vs[] = {x, a, b, xb, eb};
  for (int k = 0; k < 5; k++)
    adeis_vec_free(vs[k]);
  return sqrt(num / den);
}

/* problems/net-mlp.ini loads the shipped gmm2d-mlp, whose unconditional eps (z = 0) is near
 * the exact mixture's of problems/gmm-2d.ini: measured 2-norm distance 0.0495 relative, against
 * 1.061 for the same network at its initial weights (adeis_net_init_uniform(1)); asserted: the
 * trained network at least 5 times closer than the initial one. */
Test(network_model, shipped_gmm2d_mlp_approximates_the_mixture)
{
  char p1[512], p2[512];
  adeis_problem_spec net_sp, mix_sp;
  cr_assert_eq(adeis_problem_load(root_file(p1, sizeof p1, "problems/net-mlp.ini"), &net_sp), 0,
               "%s", adeis_errmsg());
  cr_assert_eq(adeis_problem_load(root_file(p2, sizeof p2, "problems/gmm-2d.ini"), &mix_sp), 0,
               "%s", adeis_errmsg());
  adeis_problem net, mix;
  cr_assert_eq(adeis_problem_build(&net_sp, 53, &net), 0, "%s", adeis_errmsg());
  cr_assert_eq(adeis_problem_build(&mix_sp, 53, &mix), 0, "%s", adeis_errmsg());
  const adeis_net *trained = adeis_network_model_net(&net.model);
  cr_assert(trained->trained && strstr(trained->trained, "command: adeis train"));
  double e_trained = net_vs_mixture(&net.model, &mix.model, &net.be, &net.sched);
  adeis_net *init = NULL;
  adeis_tbe tbe = trained->be;
  cr_assert_eq(adeis_net_create(&init, &trained->hp, &tbe), 0);
  adeis_net_init_uniform(init, 1);
  adeis_model m0;
  cr_assert_eq(adeis_network_model_init(&m0, &net.be, init, 2, NULL), 0);
  double e_init = net_vs_mixture(&m0, &mix.model, &net.be, &net.sched);
  cr_log_info("shipped gmm2d-mlp vs the mixture: %.4f relative (initial weights: %.4f)",
              e_trained, e_init);
  cr_assert_lt(5 * e_trained, e_init);
  adeis_model_clear(&m0);
  adeis_problem_clear(&net);
  adeis_problem_clear(&mix);
  adeis_problem_spec_clear(&net_sp);
  adeis_problem_spec_clear(&mix_sp);
}

/* nets/models/fmnist-unet.safetensors is the moving average (train.ema) of the committed
 * checkpoint nets/models/fmnist-unet.ckpt.safetensors rounded to float, weight for weight,
 * and problems/net-unet.ini builds it on a batch of two images */
Test(network_model, shipped_fmnist_unet_is_its_checkpoint_average)
{
  char w[512], ck[512], pf[512];
  adeis_tbe tbe;
  adeis_tbe_init(&tbe, "float", 24);
  adeis_net *net = NULL;
  cr_assert_eq(adeis_net_load(&net, root_file(w, sizeof w, "nets/models/fmnist-unet.safetensors"),
                              &tbe), 0, "%s", adeis_errmsg());
  cr_assert(net->hp.arch == ADEIS_NET_UNET && net->hp.base == 16 && net->cond_dim == 10);
  cr_assert(net->trained && strstr(net->trained, "adeis train"));
  adeis_st_file *f = NULL;
  cr_assert_eq(adeis_safetensors_open(&f, root_file(ck, sizeof ck,
                                                    "nets/models/fmnist-unet.ckpt.safetensors")),
               0, "%s", adeis_errmsg());
  const adeis_st_tensor *ema = adeis_safetensors_find(f, "train.ema");
  cr_assert(ema && ema->numel == net->ntheta);
  const float *th = net->theta;
  for (size_t i = 0; i < net->ntheta; i++)
    cr_assert_eq(th[i], (float)adeis_st_get(ema, i), "weight %zu", i);
  adeis_safetensors_close(f);
  adeis_net_free(net);
  adeis_problem_spec sp;
  cr_assert_eq(adeis_problem_load(root_file(pf, sizeof pf, "problems/net-unet.ini"), &sp), 0, "%s",
               adeis_errmsg());
  cr_assert_eq(sp.dim, 2 * 784);
  adeis_problem pb;
  cr_assert_eq(adeis_problem_build(&sp, 53, &pb), 0, "%s", adeis_errmsg());
  cr_assert_eq(pb.model.cond_dim, 20);
  adeis_problem_clear(&pb);
  adeis_problem_spec_clear(&sp);
}

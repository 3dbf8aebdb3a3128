/* adeis sample: images from a trained unet by a forward sampler (dpm-2m by default), one row
 * per class, written as a PNG grid (docs/networks.md). */
#include "cli_opts.h"
#include "commands.h"
#include "../core/grid.h"
#include "../core/status.h"
#include "../nets/network_model.h"
#include "../plots/png.h"
#include "../solvers/forward.h"

#include <getopt.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OpenBLAS (its cblas.h clashes with GSL's): one thread, as the machine is shared */
void openblas_set_num_threads(int num_threads);

static const char sample_usage[] =
  "usage: adeis sample --weights FILE.safetensors --out FILE.png [options]\n\n"
  "Draws x_T ~ N(0, I) and samples with a forward solver on the network's PF-ODE (double),\n"
  "one row per class (z one-hot; one row of unconditional samples when cond_dim = 0), and\n"
  "writes the images as a PNG grid (pixels x -> (x + 1) 127.5, clipped to 0..255).\n\n"
  "  --per-class N   images per row (default 8)\n"
  "  --steps N       solver steps (default 50), grid uniform-lambda on the weights' schedule\n"
  "  --method NAME   dpm-1, dpm-2m (default) or dpm-2s\n"
  "  --seed S        x_T's generator seed (default 1)\n"
  "  --scale K       each pixel drawn K x K (default 2)\n";

enum { O_WEIGHTS = 256, O_OUT, O_PER, O_STEPS, O_METHOD, O_SEED, O_SCALE };

static const struct option sample_long_opts[] = {
  {"weights", required_argument, NULL, O_WEIGHTS},
  {"out", required_argument, NULL, O_OUT},
  {"per-class", required_argument, NULL, O_PER},
  {"steps", required_argument, NULL, O_STEPS},
  {"method", required_argument, NULL, O_METHOD},
  {"seed", required_argument, NULL, O_SEED},
  {"scale", required_argument, NULL, O_SCALE},
  {"help", no_argument, NULL, 'h'},
  {NULL, 0, NULL, 0},
};

typedef struct sample_opts {
  const char *weights, *out, *method;
  long per, steps, seed, scale;
} sample_opts;

static int set_option(sample_opts *o, int c, const char *arg)
{
  static const struct { int c; const char *name; long lo, hi; } nums[] = {
    {O_PER, "--per-class", 1, 64}, {O_STEPS, "--steps", 1, 100000},
    {O_SEED, "--seed", 0, 4294967295L}, {O_SCALE, "--scale", 1, 16}};
  long *dst[] = {&o->per, &o->steps, &o->seed, &o->scale};
  for (int i = 0; i < 4; i++)
    if (nums[i].c == c) {
      if (cli_parse_long(arg, nums[i].lo, nums[i].hi, dst[i]) == 0)
        return 0;
      return cli_bad_option("sample", nums[i].name, "expected an integer in %ld..%ld, got '%s'",
                            nums[i].lo, nums[i].hi, arg);
    }
  switch (c) {
  case O_WEIGHTS: o->weights = arg; return 0;
  case O_OUT: o->out = arg; return 0;
  case O_METHOD:
    if (!adeis_forward_lookup(arg) || adeis_forward_lookup(arg)->stochastic)
      return cli_bad_option("sample", "--method", "expected dpm-1, dpm-2m or dpm-2s, got '%s'", arg);
    o->method = arg;
    return 0;
  default: return 2;
  }
}

static int parse_options(sample_opts *o, int argc, char **argv)
{
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":h", sample_long_opts, NULL)) != -1) {
    if (c == 'h') {
      fputs(sample_usage, stdout);
      return -1;
    }
    if (c == '?' || c == ':')
      return cli_getopt_error("sample", c, optopt, argv[optind - 1]);
    if ((rc = set_option(o, c, optarg)))
      return rc;
  }
  if (optind < argc)
    return cli_bad_option("sample", argv[optind], "unexpected argument (adeis sample --help)");
  if (!o->weights)
    return cli_bad_option("sample", "--weights", "missing; expected a FILE.safetensors");
  if (!o->out)
    return cli_bad_option("sample", "--out", "missing; expected a FILE.png");
  return 0;
}

/* the grid image: rows x cols cells of S x S pixels scaled by k, 2-pixel gaps */
static unsigned char *to_pixels(const adeis_vec *x, size_t rows, size_t cols, size_t S, size_t k,
                                size_t *w, size_t *h)
{
  size_t gap = 2, cell = S * k;
  *w = cols * cell + (cols + 1) * gap;
  *h = rows * cell + (rows + 1) * gap;
  unsigned char *p = malloc(*w * *h);
  if (!p)
    return NULL;
  memset(p, 255, *w * *h);
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++)
      for (size_t i = 0; i < cell; i++)
        for (size_t j = 0; j < cell; j++) {
          double v = adeis_vec_get_d(x, (r * cols + c) * S * S + (i / k) * S + j / k);
          double g = (v + 1) * 127.5;
          g = g < 0 ? 0 : g > 255 ? 255 : g;
          p[(gap + r * (cell + gap) + i) * *w + gap + c * (cell + gap) + j] =
            (unsigned char)(g + 0.5);
        }
  return p;
}

static int load_model(const sample_opts *o, adeis_model *m, const adeis_backend *be, size_t *rows)
{
  adeis_tbe tbe;
  adeis_net *net = NULL;
  adeis_network_tbe(&tbe, be);
  int rc = adeis_net_load(&net, o->weights, &tbe);
  if (rc)
    return rc;
  if (net->hp.arch != ADEIS_NET_UNET || net->hp.channels != 1) {
    adeis_set_error("%s: expected a unet with one channel (images)", o->weights);
    adeis_net_free(net);
    return ADEIS_EINPUT;
  }
  size_t C = net->cond_dim, per = (size_t)o->per;
  *rows = C ? C : 1;
  size_t B = *rows * per;
  double *z = C ? calloc(B * C, sizeof *z) : NULL;
  if (C && !z) {
    adeis_net_free(net);
    return ADEIS_ENOMEM;
  }
  for (size_t r = 0; C && r < C; r++)
    for (size_t j = 0; j < per; j++)
      z[(r * per + j) * C + r] = 1.0;
  if (!adeis_schedule_lookup(net->schedule)) {
    adeis_set_error("%s: unknown schedule '%s'", o->weights, net->schedule);
    free(z);
    adeis_net_free(net);
    return ADEIS_EINPUT;
  }
  rc = adeis_network_model_init(m, be, net, B, z);
  free(z);
  return rc;
}

static int sample(const sample_opts *o, adeis_model *m, const adeis_backend *be, size_t rows)
{
  const adeis_net *net = adeis_network_model_net(m);
  adeis_schedule s;
  adeis_schedule_init(&s, adeis_schedule_lookup(net->schedule), adeis_backend_scalar_prec(be));
  adeis_grid g;
  memset(&g, 0, sizeof g);
  int rc = adeis_grid_init(&g, ADEIS_GRID_UNIFORM_LAMBDA, &s, (size_t)o->steps);
  adeis_vec *x = rc ? NULL : adeis_vec_alloc(be, m->dim);
  void *ws = x ? adeis_model_ws_alloc(m) : NULL;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!x || !ws || !r)
    rc = rc ? rc : ADEIS_ENOMEM;
  if (!rc) {
    gsl_rng_set(r, (unsigned long)o->seed);
    for (size_t i = 0; i < m->dim; i++)
      adeis_vec_set_d(x, i, gsl_ran_gaussian(r, 1.0));
    adeis_counts counts = {0, 0};
    rc = adeis_forward_run(adeis_forward_lookup(o->method), m, ws, &s, g.pts, g.n, x, NULL, NULL,
                           &counts);
  }
  size_t w, h, S = (size_t)net->hp.size;
  unsigned char *pix = rc ? NULL : to_pixels(x, rows, (size_t)o->per, S, (size_t)o->scale, &w, &h);
  if (!rc && !pix)
    rc = ADEIS_ENOMEM;
  if (!rc)
    rc = adeis_png_write_gray(o->out, w, h, pix);
  if (!rc)
    fprintf(stderr, "adeis sample: wrote %s (%zu rows of %ld, %s, %ld steps)\n", o->out, rows,
            o->per, o->method, o->steps);
  free(pix);
  if (r)
    gsl_rng_free(r);
  if (ws)
    adeis_model_ws_free(m, ws);
  adeis_vec_free(x);
  if (g.pts)
    adeis_grid_clear(&g);
  adeis_schedule_clear(&s);
  return rc;
}

int adeis_cmd_sample(int argc, char **argv)
{
  sample_opts o = {.method = "dpm-2m", .per = 8, .steps = 50, .seed = 1, .scale = 2};
  int rc = parse_options(&o, argc, argv);
  if (rc)
    return rc < 0 ? 0 : rc;
  adeis_backend be;
  adeis_backend_init_named(&be, "double", 0);
  openblas_set_num_threads(1);
  adeis_model m;
  size_t rows = 0;
  memset(&m, 0, sizeof m);
  rc = load_model(&o, &m, &be, &rows);
  if (!rc)
    rc = sample(&o, &m, &be, rows);
  if (rc)
    fprintf(stderr, "adeis sample: %s\n", adeis_errmsg());
  adeis_model_clear(&m);
  return rc ? cli_exit_code(rc) : 0;
}

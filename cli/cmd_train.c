/* adeis train: a noise predictor by denoising score matching (nets/train.h,
 * docs/networks.md "Training"). */
#include "cli_opts.h"
#include "commands.h"
#include "../core/status.h"
#include "../nets/train.h"
#include "../runs/problem.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char train_usage[] =
  "usage: adeis train --data fmnist|PROBLEM.ini --out FILE.safetensors --steps N [options]\n"
  "       adeis train --resume CHECKPOINT --data ... --out FILE --steps N [options]\n\n"
  "Trains a noise predictor by denoising score matching (docs/networks.md): t ~ U(t_end, T),\n"
  "x_t = alpha x_0 + sigma noise, loss mean |eps - noise|^2, the one-hot label replaced by\n"
  "zeros with probability 0.1, Adam, and saves the moving average (0.999) of the weights.\n"
  "One thread or many give the same bits for the same seed.\n\n"
  "data:\n"
  "  --data fmnist        Fashion-MNIST's training set (class-conditional, 10 classes)\n"
  "  --data FILE.ini      samples of a `type = gmm` problem file (labels: the components);\n"
  "                       its [schedule] (name, t_end, T) is the training schedule\n"
  "  --fmnist-dir DIR     where the IDX files are (default /usr/share/datasets/fashion-mnist)\n"
  "network (a new run):\n"
  "  --arch mlp|unet      default: mlp for a problem file, unet for fmnist\n"
  "  --width W --depth D  mlp (default 64, 2)\n"
  "  --base C --groups G  unet (default 16, 8)\n"
  "  --emb-dim E --hidden H   time embedding (default 32, 64)\n"
  "  --uncond             no conditioning input (cond_dim = 0)\n"
  "training:\n"
  "  --steps N            train until N steps are done (required)\n"
  "  --batch B            samples per step (default 64)\n"
  "  --lr LR              Adam's step size (default 1e-3)\n"
  "  --seed S             weights and every random draw (default 1)\n"
  "  -j T                 threads over the samples of a batch (same result for any T)\n"
  "  --checkpoint FILE    written every --checkpoint-every steps (default 500) and at the end\n"
  "  --resume FILE        continue a checkpoint's run (its network and settings: the\n"
  "                       network and training options above are refused with it)\n"
  "  --log-every N        a progress line every N steps when stderr is not a terminal\n"
  "                       (default steps/20; 0: none)\n"
  "  --out FILE           the averaged weights (safetensors, F32, adeis.trained = what, how)\n"
  "  --live               --out gets the live weights instead of their average (to compare)\n";

enum { O_DATA = 256, O_DIR, O_ARCH, O_WIDTH, O_DEPTH, O_BASE, O_GROUPS, O_EMB, O_HIDDEN,
       O_UNCOND, O_STEPS, O_BATCH, O_LR, O_SEED, O_CKPT, O_CKPT_EVERY, O_RESUME, O_LOG, O_OUT, O_LIVE };

static const struct option train_long_opts[] = {
  {"data", required_argument, NULL, O_DATA},
  {"fmnist-dir", required_argument, NULL, O_DIR},
  {"arch", required_argument, NULL, O_ARCH},
  {"width", required_argument, NULL, O_WIDTH},
  {"depth", required_argument, NULL, O_DEPTH},
  {"base", required_argument, NULL, O_BASE},
  {"groups", required_argument, NULL, O_GROUPS},
  {"emb-dim", required_argument, NULL, O_EMB},
  {"hidden", required_argument, NULL, O_HIDDEN},
  {"uncond", no_argument, NULL, O_UNCOND},
  {"steps", required_argument, NULL, O_STEPS},
  {"batch", required_argument, NULL, O_BATCH},
  {"lr", required_argument, NULL, O_LR},
  {"seed", required_argument, NULL, O_SEED},
  {"checkpoint", required_argument, NULL, O_CKPT},
  {"checkpoint-every", required_argument, NULL, O_CKPT_EVERY},
  {"resume", required_argument, NULL, O_RESUME},
  {"log-every", required_argument, NULL, O_LOG},
  {"out", required_argument, NULL, O_OUT},
  {"live", no_argument, NULL, O_LIVE},
  {"help", no_argument, NULL, 'h'},
  {NULL, 0, NULL, 0},
};

typedef struct train_opts {
  const char *data, *dir, *arch, *ckpt, *resume, *out;
  long width, depth, base, groups, emb, hidden, steps, batch, threads, ckpt_every, log_every;
  int uncond, live;
  const char *setting;   /* the last network or training setting given (refused with --resume) */
  double lr;
  unsigned long seed;
} train_opts;

static int set_long(const char *opt, const char *arg, long lo, long hi, long *out)
{
  if (cli_parse_long(arg, lo, hi, out) == 0)
    return 0;
  return cli_bad_option("train", opt, "expected an integer in %ld..%ld, got '%s'", lo, hi, arg);
}

static int set_option(train_opts *o, int c, const char *arg)
{
  long v;
  static const char *const names[] = {
    [O_ARCH - O_DATA] = "--arch", [O_WIDTH - O_DATA] = "--width", [O_DEPTH - O_DATA] = "--depth",
    [O_BASE - O_DATA] = "--base", [O_GROUPS - O_DATA] = "--groups", [O_EMB - O_DATA] = "--emb-dim",
    [O_HIDDEN - O_DATA] = "--hidden", [O_UNCOND - O_DATA] = "--uncond",
    [O_BATCH - O_DATA] = "--batch", [O_LR - O_DATA] = "--lr", [O_SEED - O_DATA] = "--seed"};
  if (c >= O_DATA && (size_t)(c - O_DATA) < sizeof names / sizeof *names && names[c - O_DATA])
    o->setting = names[c - O_DATA];
  switch (c) {
  case O_DATA: o->data = arg; return 0;
  case O_DIR: o->dir = arg; return 0;
  case O_ARCH:
    if (strcmp(arg, "mlp") && strcmp(arg, "unet"))
      return cli_bad_option("train", "--arch", "expected mlp or unet, got '%s'", arg);
    o->arch = arg;
    return 0;
  case O_WIDTH: return set_long("--width", arg, 1, 1 << 16, &o->width);
  case O_DEPTH: return set_long("--depth", arg, 0, 1024, &o->depth);
  case O_BASE: return set_long("--base", arg, 1, 4096, &o->base);
  case O_GROUPS: return set_long("--groups", arg, 1, 4096, &o->groups);
  case O_EMB: return set_long("--emb-dim", arg, 2, 1 << 16, &o->emb);
  case O_HIDDEN: return set_long("--hidden", arg, 1, 1 << 16, &o->hidden);
  case O_UNCOND: o->uncond = 1; return 0;
  case O_STEPS: return set_long("--steps", arg, 1, 1000000000L, &o->steps);
  case O_BATCH: return set_long("--batch", arg, 1, 1 << 20, &o->batch);
  case 'j': return set_long("-j", arg, 1, 1024, &o->threads);
  case O_CKPT: o->ckpt = arg; return 0;
  case O_CKPT_EVERY: return set_long("--checkpoint-every", arg, 1, 1000000000L, &o->ckpt_every);
  case O_RESUME: o->resume = arg; return 0;
  case O_LOG: return set_long("--log-every", arg, 0, 1000000000L, &o->log_every);
  case O_OUT: o->out = arg; return 0;
  case O_LIVE: o->live = 1; return 0;
  case O_LR:
    if (cli_parse_double(arg, &o->lr) == 0 && o->lr > 0 && o->lr < 1)
      return 0;
    return cli_bad_option("train", "--lr", "expected a number in (0, 1), got '%s'", arg);
  case O_SEED:
    if (set_long("--seed", arg, 0, 4294967295L, &v))
      return 2;
    o->seed = (unsigned long)v;
    return 0;
  default: return 2;
  }
}

/* Returns -1 after --help, 0 to go on, or an exit code. */
static int parse_options(train_opts *o, int argc, char **argv)
{
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":hj:", train_long_opts, NULL)) != -1) {
    if (c == 'h') {
      fputs(train_usage, stdout);
      return -1;
    }
    if (c == '?' || c == ':')
      return cli_getopt_error("train", c, optopt, argv[optind - 1]);
    if ((rc = set_option(o, c, optarg)))
      return rc;
  }
  if (optind < argc)
    return cli_bad_option("train", argv[optind], "unexpected argument (adeis train --help)");
  if (!o->data)
    return cli_bad_option("train", "--data", "missing; expected fmnist or a gmm problem file");
  if (!o->out)
    return cli_bad_option("train", "--out", "missing; expected a FILE.safetensors");
  if (!o->steps)
    return cli_bad_option("train", "--steps", "missing; expected the number of steps");
  if (o->resume && o->setting)
    return cli_bad_option("train", o->setting, "a resumed run keeps its checkpoint's network and "
                          "settings (given with --resume %s)", o->resume);
  return 0;
}

/* ---- data ---- */

static double text_or_data(const adeis_numlist *nl, size_t i)
{
  return nl->text ? strtod(nl->text[i], NULL) : nl->data[i];
}

/* samples of a gmm problem file; its schedule is the training schedule */
static int mixture_data(adeis_train_data *td, adeis_train_config *cfg, const char *path)
{
  adeis_problem_spec spec;
  int rc = adeis_problem_load(path, &spec);
  if (rc) {
    fprintf(stderr, "adeis train: %s\n", adeis_errmsg());
    return cli_exit_code(rc);
  }
  if (strcmp(spec.type->name, "gmm") != 0) {
    fprintf(stderr, "adeis train: %s: --data: expected a problem file of type gmm, got %s\n", path,
            spec.type->name);
    adeis_problem_spec_clear(&spec);
    return 2;
  }
  size_t dim = spec.dim, K = adeis_problem_param(&spec, "components")->u;
  const adeis_numlist *mu = &adeis_problem_param(&spec, "means")->list;
  const adeis_numlist *var = &adeis_problem_param(&spec, "var")->list;
  const adeis_numlist *lg = &adeis_problem_param(&spec, "logits")->list;
  double *m = malloc(K * dim * sizeof *m), *v = malloc(K * dim * sizeof *v);
  double *l = malloc(K * sizeof *l);
  rc = m && v && l ? 0 : ADEIS_ENOMEM;
  for (size_t i = 0; !rc && i < K * dim; i++) {
    m[i] = text_or_data(mu, i);
    v[i] = text_or_data(var, i);
  }
  for (size_t k = 0; !rc && k < K; k++)
    l[k] = text_or_data(lg, k);
  if (!rc)
    rc = adeis_train_data_mixture(td, dim, K, m, v, l);
  free(m);
  free(v);
  free(l);
  cfg->schedule = spec.schedule->name;
  cfg->T = strtod(spec.T ? spec.T : spec.schedule->T_default, NULL);
  cfg->t_end = strtod(spec.t_end ? spec.t_end : spec.schedule->t_end_default, NULL);
  adeis_problem_spec_clear(&spec);
  if (rc)
    fputs("adeis train: out of memory\n", stderr);
  return rc ? 3 : 0;
}

static int load_data(const train_opts *o, adeis_train_data *td, adeis_train_config *cfg)
{
  cfg->schedule = "vp-linear";
  cfg->t_end = 1e-3;
  cfg->T = 1;
  if (strcmp(o->data, "fmnist") != 0)
    return mixture_data(td, cfg, o->data);
  int rc = adeis_train_data_fmnist(td, o->dir ? o->dir : "/usr/share/datasets/fashion-mnist");
  if (rc) {
    fprintf(stderr, "adeis train: %s\n", adeis_errmsg());
    return cli_exit_code(rc);
  }
  return 0;
}

/* ---- the network of a new run ---- */

static long or_default(long v, long d) { return v ? v : d; }

static int new_net(const train_opts *o, const adeis_train_data *td, adeis_net **net)
{
  adeis_net_hyper hp = {0};
  const char *arch = o->arch ? o->arch : td->size ? "unet" : "mlp";
  hp.emb_dim = or_default(o->emb, 32);
  hp.hidden = or_default(o->hidden, 64);
  hp.cond_dim = o->uncond ? 0 : (long)td->classes;
  if (strcmp(arch, "mlp") == 0) {
    hp.arch = ADEIS_NET_MLP;
    hp.dim = (long)td->dim;
    hp.width = or_default(o->width, 64);
    hp.depth = o->depth ? o->depth : 2;
  } else {
    if (!td->size)
      return cli_bad_option("train", "--arch", "unet needs image data (--data fmnist)");
    hp.arch = ADEIS_NET_UNET;
    hp.channels = 1;
    hp.size = (long)td->size;
    hp.base = or_default(o->base, 16);
    hp.groups = or_default(o->groups, 8);
  }
  adeis_tbe tbe;
  adeis_tbe_init(&tbe, "float", 24);
  int rc = adeis_net_create(net, &hp, &tbe);
  if (rc) {
    fprintf(stderr, "adeis train: %s\n", adeis_errmsg());
    return cli_exit_code(rc);
  }
  return 0;
}

/* ---- the loop ---- */

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress(const adeis_trainer *tr, long steps, double loss, double rate, int tty)
{
  fprintf(stderr, "%sstep %ld/%ld  loss %.5f  (mean of last 100: %.5f)  %.2f steps/s%s",
          tty ? "\r" : "", adeis_trainer_steps_done(tr), steps, loss,
          adeis_trainer_recent_loss(tr), rate, tty ? "  " : "\n");
  fflush(stderr);
}

static int save_checkpoint(const train_opts *o, const adeis_trainer *tr)
{
  if (!o->ckpt || adeis_trainer_checkpoint(tr, o->ckpt) == 0)
    return 0;
  fprintf(stderr, "adeis train: %s\n", adeis_errmsg());
  return 2;
}

static int run_loop(const train_opts *o, adeis_trainer *tr)
{
  int tty = isatty(2);
  long every = o->ckpt_every ? o->ckpt_every : 500;
  long log = o->log_every >= 0 ? o->log_every : o->steps / 20 > 0 ? o->steps / 20 : 1;
  double t0 = now(), last = t0, loss = 0;
  long s0 = adeis_trainer_steps_done(tr);
  while (adeis_trainer_steps_done(tr) < o->steps) {
    double ts = now();
    int rc = adeis_trainer_step(tr, &loss);
    adeis_trainer_add_wall(tr, now() - ts);
    if (rc) {
      fprintf(stderr, "%sadeis train: %s\n", tty ? "\n" : "", adeis_errmsg());
      return cli_exit_code(rc);
    }
    long k = adeis_trainer_steps_done(tr);
    double rate = (double)(k - s0) / (now() - t0);
    if (tty ? now() - last > 0.5 || k == o->steps : (log > 0 && k % log == 0)) {
      progress(tr, o->steps, loss, rate, tty);
      last = now();
    }
    if (k % every == 0 && k < o->steps && (rc = save_checkpoint(o, tr)))
      return rc;
  }
  if (tty)
    fputc('\n', stderr);
  return save_checkpoint(o, tr);
}

static char *command_text(int argc, char **argv)
{
  size_t n = 16;
  for (int i = 0; i < argc; i++)
    n += strlen(argv[i]) + 1;
  char *s = malloc(n);
  if (!s)
    return NULL;
  strcpy(s, "adeis");
  for (int i = 0; i < argc; i++) {
    strcat(s, " ");
    strcat(s, i == 0 ? "train" : argv[i]);
  }
  return s;
}

static int save_weights(const train_opts *o, const adeis_trainer *tr, int argc, char **argv)
{
  const adeis_train_config *c = adeis_trainer_config(tr);
  char *cmd = command_text(argc, argv);
  size_t n = (cmd ? strlen(cmd) : 0) + 1024;
  char *text = malloc(n);
  if (!cmd || !text) {
    free(cmd);
    free(text);
    fputs("adeis train: out of memory\n", stderr);
    return 3;
  }
  snprintf(text, n,
           "%sdata: %s; command: %s; seed %lu; steps %ld; batch %ld; lr %g; schedule %s on "
           "[%g, %g]; wall %.1f s; final loss %.6f (mean |eps - noise|^2 over the last %ld "
           "steps' batches)",
           o->live ? "live weights, not their average; " : "",
           strcmp(o->data, "fmnist") == 0 ? "Fashion-MNIST training set" : o->data, cmd, c->seed,
           adeis_trainer_steps_done(tr), c->batch, c->lr, c->schedule, c->t_end, c->T,
           adeis_trainer_wall(tr), adeis_trainer_recent_loss(tr),
           adeis_trainer_steps_done(tr) < 100 ? adeis_trainer_steps_done(tr) : 100);
  int rc = adeis_trainer_save_which(tr, o->out, text, o->live);
  if (rc)
    fprintf(stderr, "adeis train: %s\n", adeis_errmsg());
  else
    fprintf(stderr, "adeis train: wrote %s (%s)\n", o->out, text);
  free(cmd);
  free(text);
  return rc ? cli_exit_code(rc) : 0;
}

int adeis_cmd_train(int argc, char **argv)
{
  train_opts o = {.batch = 64, .lr = 1e-3, .seed = 1, .threads = 1, .log_every = -1};
  int rc = parse_options(&o, argc, argv);
  if (rc)
    return rc < 0 ? 0 : rc;
  adeis_train_data td;
  adeis_train_config cfg = {.batch = o.batch, .lr = o.lr, .seed = o.seed, .p_uncond = 0.1,
                            .ema = 0.999};
  memset(&td, 0, sizeof td);
  if ((rc = load_data(&o, &td, &cfg)))
    return rc;
  adeis_trainer *tr = NULL;
  adeis_net *net = NULL;
  if (o.resume)
    rc = adeis_trainer_resume(&tr, o.resume, &td, (int)o.threads);
  else if (!(rc = new_net(&o, &td, &net)))
    rc = adeis_trainer_new(&tr, net, &cfg, &td, (int)o.threads);
  else {
    adeis_train_data_clear(&td);
    return rc;
  }
  if (rc) {
    fprintf(stderr, "adeis train: %s\n", adeis_errmsg());
    adeis_train_data_clear(&td);
    return cli_exit_code(rc);
  }
  rc = run_loop(&o, tr);
  if (!rc)
    rc = save_weights(&o, tr, argc, argv);
  adeis_trainer_free(tr);
  adeis_train_data_clear(&td);
  return rc;
}

/* Training (nets/train.h): bit reproducibility given the seed (and for any number of threads),
 * resuming from a checkpoint equals an uninterrupted run bit for bit, the loss falls on a
 * small mixture, and the IDX reader on synthetic gzip files, malformed ones included. */
#include "../core/status.h"
#include "../nets/train.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

/* problems/gmm-2d.ini's mixture */
static const double means[6] = {-1.5, 0.0, 1.0, 1.0, 0.5, -1.2};
static const double var[6] = {0.30, 0.20, 0.25, 0.40, 0.50, 0.15};
static const double logits[3] = {0, 0.5, -0.3};

static const adeis_net_hyper tiny = {.arch = ADEIS_NET_MLP, .dim = 2, .width = 16, .depth = 2,
                                     .emb_dim = 8, .hidden = 16, .cond_dim = 3};

static adeis_train_config config(void)
{
  return (adeis_train_config){.batch = 16, .lr = 1e-3, .seed = 7, .schedule = "vp-linear",
                              .t_end = 1e-3, .T = 1, .p_uncond = 0.1, .ema = 0.999};
}

static adeis_trainer *new_run(const adeis_train_data *td, int threads)
{
  adeis_tbe tbe;
  adeis_tbe_init(&tbe, "float", 24);
  adeis_net *net = NULL;
  cr_assert_eq(adeis_net_create(&net, &tiny, &tbe), 0);
  adeis_train_config cfg = config();
  adeis_trainer *tr = NULL;
  cr_assert_eq(adeis_trainer_new(&tr, net, &cfg, td, threads), 0, "%s", adeis_errmsg());
  return tr;
}

static double run_steps(adeis_trainer *tr, long n)
{
  double loss = 0;
  for (long i = 0; i < n; i++)
    cr_assert_eq(adeis_trainer_step(tr, &loss), 0, "%s", adeis_errmsg());
  return loss;
}

/* the weights and the average of two runs, bit for bit */
static void assert_same(const adeis_trainer *a, const adeis_trainer *b)
{
  const adeis_net *na = adeis_trainer_net(a), *nb = adeis_trainer_net(b);
  cr_assert_eq(na->ntheta, nb->ntheta);
  cr_assert_eq(memcmp(na->theta, nb->theta, na->ntheta * sizeof(float)), 0, "weights differ");
  cr_assert_eq(memcmp(adeis_trainer_ema(a), adeis_trainer_ema(b), na->ntheta * sizeof(double)),
               0, "averages differ");
  cr_assert_eq(adeis_trainer_steps_done(a), adeis_trainer_steps_done(b));
}

Test(train, same_seed_same_bits_for_any_thread_count)
{
  adeis_train_data td;
  cr_assert_eq(adeis_train_data_mixture(&td, 2, 3, means, var, logits), 0);
  adeis_trainer *a = new_run(&td, 1), *b = new_run(&td, 1), *c = new_run(&td, 2);
  double la = run_steps(a, 40), lb = run_steps(b, 40), lc = run_steps(c, 40);
  cr_assert_eq(la, lb);
  cr_assert_eq(la, lc);
  assert_same(a, b);
  assert_same(a, c);
  /* and the weights did move: the run is not trivially equal */
  adeis_trainer *d = new_run(&td, 1);
  cr_assert_neq(memcmp(adeis_trainer_net(a)->theta, adeis_trainer_net(d)->theta,
                       adeis_trainer_net(a)->ntheta * sizeof(float)), 0);
  adeis_trainer_free(a);
  adeis_trainer_free(b);
  adeis_trainer_free(c);
  adeis_trainer_free(d);
  adeis_train_data_clear(&td);
}

Test(train, resume_equals_an_uninterrupted_run)
{
  adeis_train_data td;
  cr_assert_eq(adeis_train_data_mixture(&td, 2, 3, means, var, logits), 0);
  char dir[] = "/tmp/adeis-train-XXXXXX", ck[64];
  cr_assert(mkdtemp(dir));
  snprintf(ck, sizeof ck, "%s/ck.safetensors", dir);
  adeis_trainer *whole = new_run(&td, 1), *first = new_run(&td, 1), *rest = NULL;
  double lw = run_steps(whole, 30);
  run_steps(first, 13);
  adeis_trainer_add_wall(first, 1.5);
  cr_assert_eq(adeis_trainer_checkpoint(first, ck), 0, "%s", adeis_errmsg());
  adeis_trainer_free(first);
  cr_assert_eq(adeis_trainer_resume(&rest, ck, &td, 2), 0, "%s", adeis_errmsg());
  cr_assert_eq(adeis_trainer_steps_done(rest), 13);
  cr_assert_eq(adeis_trainer_wall(rest), 1.5);
  double lr = run_steps(rest, 17);
  cr_assert_eq(lw, lr);
  assert_same(whole, rest);
  cr_assert_eq(adeis_trainer_recent_loss(whole), adeis_trainer_recent_loss(rest));
  /* --live: the live weights as they are, the default the average rounded to float */
  adeis_tbe tbe;
  adeis_tbe_init(&tbe, "float", 24);
  adeis_net *live = NULL, *avg = NULL;
  cr_assert_eq(adeis_trainer_save_which(whole, ck, "live", 1), 0);
  cr_assert_eq(adeis_net_load(&live, ck, &tbe), 0, "%s", adeis_errmsg());
  cr_assert_eq(adeis_trainer_save(whole, ck, "average"), 0);
  cr_assert_eq(adeis_net_load(&avg, ck, &tbe), 0, "%s", adeis_errmsg());
  const float *lt = live->theta, *at = avg->theta, *wt = adeis_trainer_net(whole)->theta;
  for (size_t i = 0; i < live->ntheta; i++) {
    cr_assert_eq(lt[i], wt[i]);
    cr_assert_eq(at[i], (float)adeis_trainer_ema(whole)[i]);
  }
  adeis_net_free(live);
  adeis_net_free(avg);
  /* a file that is not a checkpoint */
  adeis_trainer *bad = NULL;
  cr_assert_eq(adeis_trainer_save(whole, ck, "weights only"), 0);
  cr_assert_eq(adeis_trainer_resume(&bad, ck, &td, 1), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "not a training checkpoint"), "%s", adeis_errmsg());
  adeis_trainer_free(whole);
  adeis_trainer_free(rest);
  adeis_train_data_clear(&td);
  char cmd[96];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
}

/* Measured with seed 7 (batch 16, lr 1e-3, this tiny mlp): the mean batch loss of steps
 * 1-50 is 0.922 and of steps 551-600 0.275, a factor 3.35. Asserted: a factor
 * of at least 2. */
Test(train, loss_falls_on_the_mixture)
{
  adeis_train_data td;
  cr_assert_eq(adeis_train_data_mixture(&td, 2, 3, means, var, logits), 0);
  adeis_trainer *tr = new_run(&td, 1);
  double first = 0, last = 0, loss;
  for (int i = 0; i < 600; i++) {
    cr_assert_eq(adeis_trainer_step(tr, &loss), 0);
    if (i < 50)
      first += loss / 50;
    if (i >= 550)
      last += loss / 50;
  }
  cr_log_info("mixture: mean loss %.4f (steps 1-50), %.4f (steps 551-600), factor %.2f", first,
              last, first / last);
  cr_assert_gt(first / last, 2.0);
  adeis_trainer_free(tr);
  adeis_train_data_clear(&td);
}

/* ---- IDX files ---- */

static char idxdir[64];

static void idx_setup(void)
{
  strcpy(idxdir, "/tmp/adeis-idx-XXXXXX");
  cr_assert(mkdtemp(idxdir));
}

static void idx_teardown(void)
{
  char cmd[96];
  snprintf(cmd, sizeof cmd, "rm -rf %s", idxdir);
  cr_assert_eq(system(cmd), 0);
}

static const char *idx_path(char *buf, size_t n, const char *name)
{
  snprintf(buf, n, "%s/%s", idxdir, name);
  return buf;
}

/* bytes gzip-compressed (gz = 1) or plain into name */
static void write_bytes(const char *name, const unsigned char *b, size_t n, int gz)
{
  char p[256];
  idx_path(p, sizeof p, name);
  if (gz) {
    gzFile g = gzopen(p, "wb");
    cr_assert(g);
    cr_assert_eq(gzwrite(g, b, (unsigned)n), (int)n);
    gzclose(g);
  } else {
    FILE *f = fopen(p, "wb");
    cr_assert(f);
    fwrite(b, 1, n, f);
    fclose(f);
  }
}

/* an IDX image file of n images of s x s pixels, pixel (k, i) = (k + i) % 256 */
static size_t image_file(unsigned char *b, size_t n, size_t s)
{
  unsigned char h[16] = {0, 0, 8, 3, 0, 0, 0, (unsigned char)n, 0, 0, 0, (unsigned char)s,
                         0, 0, 0, (unsigned char)s};
  memcpy(b, h, 16);
  for (size_t k = 0; k < n; k++)
    for (size_t i = 0; i < s * s; i++)
      b[16 + k * s * s + i] = (unsigned char)((k + i) % 256);
  return 16 + n * s * s;
}

Test(idx, reads_images_and_labels, .init = idx_setup, .fini = idx_teardown)
{
  unsigned char b[4096];
  size_t n = image_file(b, 3, 8);
  write_bytes("train-images-idx3-ubyte.gz", b, n, 1);
  unsigned char l[11] = {0, 0, 8, 1, 0, 0, 0, 3, 9, 0, 4};
  write_bytes("train-labels-idx1-ubyte.gz", l, sizeof l, 1);
  size_t dims[3];
  unsigned char *data;
  char p[256];
  cr_assert_eq(adeis_idx_read(idx_path(p, sizeof p, "train-images-idx3-ubyte.gz"), 3, dims, &data),
               0, "%s", adeis_errmsg());
  cr_assert(dims[0] == 3 && dims[1] == 8 && dims[2] == 8);
  cr_assert_eq(memcmp(data, b + 16, 3 * 64), 0);
  free(data);
  adeis_train_data td;
  cr_assert_eq(adeis_train_data_fmnist(&td, idxdir), 0, "%s", adeis_errmsg());
  cr_assert(td.n == 3 && td.dim == 64 && td.size == 8 && td.classes == 10);
  cr_assert_eq(td.label[0], 9);
  cr_assert_eq(td.label[2], 4);
  /* pixel p maps to p / 127.5 - 1: item 2, pixel 5 is 7 */
  cr_assert_eq(td.x[2 * 64 + 5], (float)(7 / 127.5 - 1));
  cr_assert_eq(td.x[0], -1.0f);
  adeis_train_data_clear(&td);
}

typedef struct bad_case {
  const char *what;
  unsigned char bytes[40];
  size_t n;
  int gz;
  int ndims;
  const char *expect;
} bad_case;

Test(idx, malformed_files_name_the_file_and_the_defect, .init = idx_setup, .fini = idx_teardown)
{
  static const bad_case cases[] = {
    {"plain", {0, 0, 8, 1, 0, 0, 0, 1, 5}, 9, 0, 1, "not a gzip file"},
    {"magic", {1, 0, 8, 1, 0, 0, 0, 1, 5}, 9, 1, 1, "bad magic number 01 00 08 01"},
    {"type", {0, 0, 9, 1, 0, 0, 0, 1, 5}, 9, 1, 1, "element type 0x09 (expected 0x08"},
    {"ndims", {0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 1, 5}, 13, 1, 1, "2 dimensions (expected 1)"},
    {"zero", {0, 0, 8, 1, 0, 0, 0, 0}, 8, 1, 1, "dimension 1 is 0"},
    {"huge", {0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1}, 16, 1, 3,
     "dimension 1 is 4294967295"},
    {"header", {0, 0, 8, 1, 0, 0}, 6, 1, 1, "truncated: 2 of the 4 bytes of the dimensions"},
    {"empty", {0}, 0, 1, 1, "truncated: 0 of the 4 bytes of the magic number"},
    {"data", {0, 0, 8, 1, 0, 0, 0, 4, 1, 2}, 10, 1, 1, "truncated: 2 of the 4 bytes of the data"},
    {"trailing", {0, 0, 8, 1, 0, 0, 0, 1, 5, 6}, 10, 1, 1, "data past the end"},
  };
  char p[256];
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char name[32];
    snprintf(name, sizeof name, "%s.gz", cases[i].what);
    write_bytes(name, cases[i].bytes, cases[i].n, cases[i].gz);
    size_t dims[3];
    unsigned char *data = (unsigned char *)1;
    int rc = adeis_idx_read(idx_path(p, sizeof p, name), cases[i].ndims, dims, &data);
    cr_expect_eq(rc, ADEIS_EINPUT, "%s", cases[i].what);
    cr_expect_null(data, "%s", cases[i].what);
    cr_expect(strncmp(adeis_errmsg(), p, strlen(p)) == 0 && strstr(adeis_errmsg(), cases[i].expect),
              "%s: got '%s'", cases[i].what, adeis_errmsg());
  }
  /* missing file */
  size_t dims[1];
  unsigned char *data;
  cr_expect_eq(adeis_idx_read(idx_path(p, sizeof p, "none.gz"), 1, dims, &data), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "none.gz: cannot open"), "%s", adeis_errmsg());
  /* a gzip stream with a damaged body: the file name and a gzip or length complaint */
  unsigned char b[4096];
  size_t n = image_file(b, 2, 16);
  write_bytes("damaged.gz", b, n, 1);
  FILE *f = fopen(idx_path(p, sizeof p, "damaged.gz"), "r+b");
  cr_assert(f);
  fseek(f, 20, SEEK_SET);
  fwrite("\xff\xff\xff\xff\xff\xff", 1, 6, f);
  fclose(f);
  cr_expect_eq(adeis_idx_read(p, 3, dims, &data), ADEIS_EINPUT);
  cr_expect(strncmp(adeis_errmsg(), p, strlen(p)) == 0, "%s", adeis_errmsg());
}

#ifndef __SANITIZE_ADDRESS__
/* This process's address space in bytes (VmSize), 0 when unknown. */
static size_t address_space(void)
{
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  size_t kb = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmSize: %zu kB", &kb) == 1)
      break;
  if (f)
    fclose(f);
  return kb * 1024;
}
#endif

/* A header that promises 2 GiB (the most it may) with 4 bytes of data behind it: the reader
 * grows its buffer as the data arrives, so with 1 GiB of address space to spare it still
 * reports the truncation; allocating what the header says at once fails for lack of memory.
 * Not under ASan, whose shadow memory takes terabytes of address space. */
Test(idx, a_header_promising_gigabytes_costs_only_the_data, .init = idx_setup,
     .fini = idx_teardown)
{
#ifdef __SANITIZE_ADDRESS__
  cr_skip_test("an address space limit and ASan do not mix");
#else
  unsigned char b[] = {0, 0, 8, 3, 0, 0, 0x80, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 2, 3, 4};
  write_bytes("huge.gz", b, sizeof b, 1);
  size_t now = address_space();
  cr_assert_gt(now, 0);
  struct rlimit rl = {now + (1ul << 30), now + (1ul << 30)};
  cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);
  size_t dims[3];
  unsigned char *data = NULL;
  char p[256];
  cr_expect_eq(adeis_idx_read(idx_path(p, sizeof p, "huge.gz"), 3, dims, &data), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "truncated: 4 of the 2147483648 bytes of the data") != NULL,
            "%s", adeis_errmsg());
  cr_expect_null(data);
#endif
}

Test(idx, fmnist_labels_must_fit_the_images, .init = idx_setup, .fini = idx_teardown)
{
  unsigned char b[4096];
  size_t n = image_file(b, 3, 8);
  write_bytes("train-images-idx3-ubyte.gz", b, n, 1);
  unsigned char l[10] = {0, 0, 8, 1, 0, 0, 0, 2, 1, 2};
  write_bytes("train-labels-idx1-ubyte.gz", l, sizeof l, 1);
  adeis_train_data td;
  cr_assert_eq(adeis_train_data_fmnist(&td, idxdir), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "train-labels-idx1-ubyte.gz: 2 labels for the 3 images"), "%s",
            adeis_errmsg());
  unsigned char l2[11] = {0, 0, 8, 1, 0, 0, 0, 3, 1, 10, 2};
  write_bytes("train-labels-idx1-ubyte.gz", l2, sizeof l2, 1);
  cr_assert_eq(adeis_train_data_fmnist(&td, idxdir), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "label 10 of item 2 (expected 0..9)"), "%s", adeis_errmsg());
  n = image_file(b, 3, 6);
  write_bytes("train-images-idx3-ubyte.gz", b, n, 1);
  cr_assert_eq(adeis_train_data_fmnist(&td, idxdir), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "images of 6 x 6 pixels"), "%s", adeis_errmsg());
}

/* adeis train on a malformed data folder: exit 2, the message names the file */
Test(idx, cli_train_bad_data_exits_2, .init = idx_setup, .fini = idx_teardown)
{
  const char *bin = getenv("ADEIS_BIN");
  if (!bin || !*bin)
    cr_skip_test("ADEIS_BIN is not set (run the tests with make check)");
  unsigned char bad[9] = {1, 0, 8, 3, 0, 0, 0, 1, 5};
  write_bytes("train-images-idx3-ubyte.gz", bad, sizeof bad, 1);
  char out[256], cmd[1024];
  idx_path(out, sizeof out, "w.safetensors");
  snprintf(cmd, sizeof cmd, "%s train --data fmnist --fmnist-dir %s --out %s --steps 1 2>%s/err",
           bin, idxdir, out, idxdir);
  int st = system(cmd);
  cr_assert(WIFEXITED(st));
  cr_assert_eq(WEXITSTATUS(st), 2);
  char ep[256], msg[512] = {0};
  FILE *f = fopen(idx_path(ep, sizeof ep, "err"), "r");
  cr_assert(f);
  cr_assert(fgets(msg, sizeof msg, f));
  fclose(f);
  cr_expect(strstr(msg, "train-images-idx3-ubyte.gz: bad magic number"), "%s", msg);
  cr_expect_neq(access(out, F_OK), 0, "no weights written");
}

/* a resumed run keeps its checkpoint's settings: another one given with --resume is exit 2 */
Test(train, cli_resume_refuses_new_settings)
{
  const char *bin = getenv("ADEIS_BIN");
  if (!bin || !*bin)
    cr_skip_test("ADEIS_BIN is not set (run the tests with make check)");
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s train --data fmnist --resume /nonexistent.ck --batch 8 --steps 2 "
           "--out /nonexistent.safetensors 2>/dev/null", bin);
  int st = system(cmd);
  cr_assert(WIFEXITED(st));
  cr_assert_eq(WEXITSTATUS(st), 2);
}

/* adeis train, interrupted and resumed from its checkpoint, writes the weights of the
 * uninterrupted run */
Test(train, cli_resume_equals_an_uninterrupted_run)
{
  const char *bin = getenv("ADEIS_BIN"), *root = getenv("ADEIS_ROOT");
  if (!bin || !*bin)
    cr_skip_test("ADEIS_BIN is not set (run the tests with make check)");
  char dir[] = "/tmp/adeis-trcli-XXXXXX", cmd[1024], p[3][128];
  cr_assert(mkdtemp(dir));
  const char *base = "--data %s/problems/gmm-2d.ini --batch 4 --log-every 0";
  char data[256];
  snprintf(data, sizeof data, base, root && *root ? root : ".");
  snprintf(p[0], sizeof p[0], "%s/whole.safetensors", dir);
  snprintf(p[1], sizeof p[1], "%s/ck.safetensors", dir);
  snprintf(p[2], sizeof p[2], "%s/resumed.safetensors", dir);
  snprintf(cmd, sizeof cmd, "%s train %s --steps 9 --out %s 2>/dev/null", bin, data, p[0]);
  cr_assert_eq(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "%s train %s --steps 4 --checkpoint %s --out %s 2>/dev/null", bin,
           data, p[1], p[2]);
  cr_assert_eq(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "%s train --data %s/problems/gmm-2d.ini --resume %s --steps 9 -j 2 "
           "--out %s 2>/dev/null", bin, root && *root ? root : ".", p[1], p[2]);
  cr_assert_eq(system(cmd), 0);
  adeis_tbe tbe;
  adeis_tbe_init(&tbe, "float", 24);
  adeis_net *a = NULL, *b = NULL;
  cr_assert_eq(adeis_net_load(&a, p[0], &tbe), 0, "%s", adeis_errmsg());
  cr_assert_eq(adeis_net_load(&b, p[2], &tbe), 0, "%s", adeis_errmsg());
  cr_assert_eq(memcmp(a->theta, b->theta, a->ntheta * sizeof(float)), 0);
  adeis_net_free(a);
  adeis_net_free(b);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
}

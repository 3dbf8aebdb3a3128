/* safetensors (nets/safetensors.h) and network files: round trips checked byte by byte
 * against the format read by hand, and every malformed file refused with a message that
 * names the file, the tensor and what was expected. */
#include <criterion/criterion.h>

#include "../core/status.h"
#include "../nets/net.h"
#include "../nets/safetensors.h"
#include "nets_check.h"

#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
  snprintf(dir, sizeof dir, "/tmp/adeis-st-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  char p[512];
  while (d && (e = readdir(d)))
    if (e->d_name[0] != '.') {
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      unlink(p);
    }
  if (d)
    closedir(d);
  rmdir(dir);
}

static size_t count_files(void)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  size_t n = 0;
  while (d && (e = readdir(d)))
    n += e->d_name[0] != '.';
  if (d)
    closedir(d);
  return n;
}

static adeis_net_hyper mlp_hyper(void)
{
  return (adeis_net_hyper){.arch = ADEIS_NET_MLP, .dim = 3, .width = 5, .depth = 1,
                           .emb_dim = 4, .hidden = 6, .cond_dim = 2};
}

static adeis_net_hyper unet_hyper(void)
{
  return (adeis_net_hyper){.arch = ADEIS_NET_UNET, .channels = 1, .size = 4, .base = 2,
                           .groups = 1, .emb_dim = 2, .hidden = 3, .cond_dim = 0};
}

static adeis_net *new_net(adeis_net_hyper hp, const char *tname, unsigned long seed)
{
  adeis_tbe be;
  adeis_tbe_init(&be, tname, 113);
  adeis_net *net;
  cr_assert_eq(adeis_net_create(&net, &hp, &be), 0, "%s", adeis_errmsg());
  adeis_net_init_uniform(net, seed);
  cr_assert_eq(adeis_net_set_meta(net, "vp-linear", "test weights, seed 1"), 0);
  return net;
}

/* The file read by hand: length, JSON, data of one tensor. */
static void check_by_hand(const char *path, const adeis_net *net, int f64)
{
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f);
  unsigned char l8[8];
  cr_assert_eq(fread(l8, 1, 8, f), 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--)
    n = n << 8 | l8[i];
  cr_expect_eq(n % 8, 0, "header padded to 8 bytes");
  char *h = malloc(n + 1);
  cr_assert_eq(fread(h, 1, n, f), n);
  h[n] = 0;
  json_error_t err;
  json_t *root = json_loads(h, 0, &err);
  cr_assert_not_null(root, "%s", err.text);
  json_t *meta = json_object_get(root, "__metadata__");
  cr_expect_str_eq(json_string_value(json_object_get(meta, "adeis.arch")),
                   adeis_net_arch_name(net->hp.arch));
  cr_expect_str_eq(json_string_value(json_object_get(meta, "adeis.schedule")), "vp-linear");
  cr_expect_eq(json_object_size(root), net->nparams + 1);
  const adeis_net_param *p = &net->params[net->nparams - 1];
  json_t *e = json_object_get(root, p->name);
  cr_expect_str_eq(json_string_value(json_object_get(e, "dtype")), f64 ? "F64" : "F32");
  json_t *off = json_object_get(e, "data_offsets");
  long b = (long)json_integer_value(json_array_get(off, 0));
  double want, got;
  net->be.ops->to_double(&net->be, &want, adeis_tcat(&net->be, net->theta, p->offset), 1);
  fseek(f, (long)(8 + n) + b, SEEK_SET);
  if (f64) {
    cr_assert_eq(fread(&got, 8, 1, f), 1);
  } else {
    float g;
    cr_assert_eq(fread(&g, 4, 1, f), 1);
    got = g;
  }
  cr_expect_eq(got, want, "%s[0]: %g in the file, %g in the network", p->name, got, want);
  json_decref(root);
  free(h);
  fclose(f);
}

static void round_trip(adeis_net_hyper hp, int f64)
{
  make_dir();
  char path[128];
  snprintf(path, sizeof path, "%s/w.safetensors", dir);
  adeis_net *net = new_net(hp, "mpfr", 3);
  cr_assert_eq(adeis_net_save(net, path, f64), 0, "%s", adeis_errmsg());
  cr_expect_eq(count_files(), 1, "no temporary file left");
  check_by_hand(path, net, f64);
  static const char *types[3] = {"float", "double", "mpfr"};
  for (int q = 0; q < 3; q++) {
    adeis_tbe be;
    adeis_tbe_init(&be, types[q], 113);
    adeis_net *back;
    cr_assert_eq(adeis_net_load(&back, path, &be), 0, "%s", adeis_errmsg());
    cr_expect_eq(back->ntheta, net->ntheta);
    cr_expect_eq(memcmp(&back->hp, &net->hp, sizeof hp), 0);
    cr_expect_str_eq(back->schedule, "vp-linear");
    cr_expect_str_eq(back->trained, "test weights, seed 1");
    double d, s;
    nc_maxdiff(&be, back->theta, &net->be, net->theta, net->ntheta, &d, &s);
    cr_expect_eq(d, 0.0, "%s: weights are float numbers: stored and read exactly", types[q]);
    adeis_net_free(back);
  }
  adeis_net_free(net);
  remove_dir();
}

Test(nets_safetensors, round_trip_mlp_f32) { round_trip(mlp_hyper(), 0); }
Test(nets_safetensors, round_trip_unet_f64) { round_trip(unet_hyper(), 1); }

Test(nets_safetensors, writes_and_reads_arbitrary_f64_tensors)
{
  make_dir();
  char path[128];
  snprintf(path, sizeof path, "%s/v.safetensors", dir);
  double a[6] = {1.5, -2, 3.25, 0, 1e-300, -7}, c[1] = {42};
  float b[2] = {0.1f, -3.0f};
  const char *names[3] = {"grad.x_T", "grad.theta.w", "scalar"};
  size_t sa[2] = {2, 3}, sb[1] = {2};
  const size_t *shapes[3] = {sa, sb, NULL};
  int nd[3] = {2, 1, 0};
  adeis_st_dtype dt[3] = {ADEIS_ST_F64, ADEIS_ST_F32, ADEIS_ST_F64};
  const void *data[3] = {a, b, c};
  const char *keys[1] = {"note"}, *vals[1] = {"caf\xc3\xa9 \"quoted\""};
  cr_assert_eq(adeis_safetensors_write(path, 3, names, nd, shapes, dt, data, 1, keys, vals), 0,
               "%s", adeis_errmsg());
  adeis_st_file *f;
  cr_assert_eq(adeis_safetensors_open(&f, path), 0, "%s", adeis_errmsg());
  cr_assert_eq(f->ntensors, 3);
  const adeis_st_tensor *t = adeis_safetensors_find(f, "grad.x_T");
  cr_assert_not_null(t);
  cr_expect(t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3 && t->dtype == ADEIS_ST_F64);
  for (size_t i = 0; i < 6; i++)
    cr_expect_eq(adeis_st_get(t, i), a[i]);
  t = adeis_safetensors_find(f, "grad.theta.w");
  cr_expect_eq(adeis_st_get(t, 0), (double)0.1f);
  t = adeis_safetensors_find(f, "scalar");
  cr_expect(t->ndim == 0 && t->numel == 1 && adeis_st_get(t, 0) == 42);
  cr_expect_str_eq(adeis_safetensors_meta(f, "note"), vals[0]);
  adeis_safetensors_close(f);
  /* a repeated name is refused and nothing is written */
  const char *dup[2] = {"a", "a"};
  cr_expect_eq(adeis_safetensors_write(path, 2, dup, nd, shapes, dt, data, 0, NULL, NULL),
               ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "'a'") != NULL, "%s", adeis_errmsg());
  char bad[160];
  snprintf(bad, sizeof bad, "%s/no/such/dir/x.safetensors", dir);
  cr_expect_eq(adeis_safetensors_write(bad, 1, names, nd, shapes, dt, data, 0, NULL, NULL),
               ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), bad) != NULL, "%s", adeis_errmsg());
  cr_expect_eq(count_files(), 1);
  remove_dir();
}

/* ---- malformed files, by their bytes ---- */

/* header length, header text, then `data` bytes of zeros */
static int parse_bytes(uint64_t hlen, const char *hdr, size_t data, size_t total_override)
{
  size_t hl = strlen(hdr), total = 8 + hl + data;
  unsigned char *buf = calloc(total, 1);
  for (int i = 0; i < 8; i++)
    buf[i] = (unsigned char)(hlen >> (8 * i));
  memcpy(buf + 8, hdr, hl);
  adeis_st_file *f = NULL;
  int rc = adeis_safetensors_parse(&f, buf, total_override ? total_override : total, "bad.st");
  adeis_safetensors_close(f);
  free(buf);
  return rc;
}

static int parse_hdr(const char *hdr, size_t data)
{
  return parse_bytes(strlen(hdr), hdr, data, 0);
}

#define EXPECT_MSG(...)                                                                       \
  do {                                                                                        \
    const char *want_[] = {__VA_ARGS__};                                                      \
    for (size_t k_ = 0; k_ < sizeof want_ / sizeof *want_; k_++)                              \
      cr_expect(strstr(adeis_errmsg(), want_[k_]) != NULL, "'%s' not in '%s'", want_[k_],     \
                adeis_errmsg());                                                              \
  } while (0)

#define T1 "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}"

Test(nets_safetensors, valid_minimal_file_is_accepted)
{
  cr_expect_eq(parse_hdr("{" T1 "}", 4), 0, "%s", adeis_errmsg());
  cr_expect_eq(parse_hdr("{" T1 "}   ", 4), 0, "trailing spaces (padding) allowed");
  cr_expect_eq(parse_hdr("{}", 0), 0, "no tensors");
}

Test(nets_safetensors, truncated_and_bad_header_lengths)
{
  cr_expect_eq(parse_bytes(0, "", 0, 5), ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "truncated: 5 bytes", "expected at least 8");
  cr_expect_eq(parse_bytes(1000, "{}", 0, 0), ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "header length 1000 past the end", "2 bytes follow");
  cr_expect_eq(parse_bytes(0, "", 4, 0), ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "header length 0", "expected 2..");
  cr_expect_eq(parse_hdr("{" T1 "}", 3), ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "tensor 'a'", "[0, 4] out of range", "3 bytes");
}

Test(nets_safetensors, bad_json_and_non_utf8)
{
  cr_expect_eq(parse_hdr("{\"a\xff\":1}", 0), ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "not valid UTF-8", "byte 3");
  cr_expect_eq(parse_hdr("{\"\xed\xa0\x80\":1}", 0), ADEIS_EINPUT); /* a surrogate */
  EXPECT_MSG("not valid UTF-8");
  cr_expect_eq(parse_hdr("{\"a\":", 0), ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "header JSON");
  cr_expect_eq(parse_hdr("[1,2]", 0), ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "not a JSON object");
  cr_expect_eq(parse_hdr("{" T1 "," T1 "}", 8), ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "header JSON", "duplicate");
  cr_expect_eq(parse_hdr("{" T1 "} x", 4), ADEIS_EINPUT);
  EXPECT_MSG("header JSON");
}

Test(nets_safetensors, bad_tensor_entries)
{
  cr_expect_eq(parse_hdr("{\"w\":3}", 0), ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "tensor 'w' is not an object", "expected dtype, shape, data_offsets");
  cr_expect_eq(parse_hdr("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],"
                         "\"x\":1}}", 4), ADEIS_EINPUT);
  EXPECT_MSG("tensor 'w' has an unexpected key 'x'");
  cr_expect_eq(parse_hdr("{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8),
               ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "tensor 'w'", "dtype 'I64' (expected F32 or F64)");
  cr_expect_eq(parse_hdr("{\"w\":{\"shape\":[1],\"data_offsets\":[0,8]}}", 8), ADEIS_EINPUT);
  EXPECT_MSG("tensor 'w'", "dtype missing");
  cr_expect_eq(parse_hdr("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4),
               ADEIS_EINPUT);
  EXPECT_MSG("tensor 'w'", "shape entry not a non-negative integer");
  cr_expect_eq(parse_hdr("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4),
               ADEIS_EINPUT);
  EXPECT_MSG("tensor 'w'", "shape entry");
  cr_expect_eq(parse_hdr("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                         "\"data_offsets\":[0,4]}}", 4), ADEIS_EINPUT);
  EXPECT_MSG("tensor 'w'", "shape too large");
  cr_expect_eq(parse_hdr("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4),
               ADEIS_EINPUT);
  EXPECT_MSG("tensor 'w'", "expected [begin, end] with 0 <= begin <= end");
  cr_expect_eq(parse_hdr("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4),
               ADEIS_EINPUT);
  EXPECT_MSG("tensor 'w'", "hold 4 bytes (expected 8 for F32 of shape [2])");
  cr_expect_eq(parse_hdr("{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
               ADEIS_EINPUT);
  EXPECT_MSG("empty name");
}

Test(nets_safetensors, overlaps_and_holes)
{
  cr_expect_eq(parse_hdr("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                         "\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[4,12]}}", 12),
               ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "tensors 'a' and 'b' [4, 12] overlap");
  cr_expect_eq(parse_hdr("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12),
               ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "bytes 4..8", "no tensor", "'b'");
  cr_expect_eq(parse_hdr("{" T1 "}", 8), ADEIS_EINPUT);
  EXPECT_MSG("bytes 4..8", "no tensor");
}

Test(nets_safetensors, bad_metadata_block)
{
  cr_expect_eq(parse_hdr("{\"__metadata__\":[1]}", 0), ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "__metadata__ is not an object");
  cr_expect_eq(parse_hdr("{\"__metadata__\":{\"adeis.width\":5}}", 0), ADEIS_EINPUT);
  EXPECT_MSG("bad.st:", "'adeis.width' is not a string");
}

Test(nets_safetensors, files_that_cannot_be_read)
{
  adeis_st_file *f;
  cr_expect_eq(adeis_safetensors_open(&f, "/nonexistent/w.safetensors"), ADEIS_EINPUT);
  EXPECT_MSG("/nonexistent/w.safetensors", "cannot open");
  cr_expect_eq(adeis_safetensors_open(&f, "/tmp"), ADEIS_EINPUT);
  EXPECT_MSG("/tmp", "not a regular file");
  make_dir();
  char path[128];
  snprintf(path, sizeof path, "%s/empty.safetensors", dir);
  FILE *e = fopen(path, "wb");
  fclose(e);
  cr_expect_eq(adeis_safetensors_open(&f, path), ADEIS_EINPUT);
  EXPECT_MSG(path, "truncated: 0 bytes");
  remove_dir();
}

/* ---- network files that do not match the architecture ---- */

typedef struct variant {
  const char *skip, *reshape, *extra, *nan_in;
  const char *meta[16];   /* key, value pairs replacing the network's; value NULL: drop */
} variant;

static int save_variant(const char *path, const adeis_net *net, const variant *v)
{
  size_t np = net->nparams, k = 0;
  const char *names[200];
  int nd[200];
  const size_t *shapes[200];
  adeis_st_dtype dt[200];
  const void *data[200];
  double *all = malloc(net->ntheta * sizeof *all);
  net->be.ops->to_double(&net->be, all, net->theta, net->ntheta);
  static size_t wrong[2] = {5, 4}, one[1] = {1};
  static double nanv[1];
  nanv[0] = NAN;
  for (size_t i = 0; i < np; i++) {
    const adeis_net_param *p = &net->params[i];
    if (v->skip && strcmp(p->name, v->skip) == 0)
      continue;
    names[k] = p->name;
    nd[k] = p->ndim;
    shapes[k] = p->shape;
    dt[k] = ADEIS_ST_F64;
    data[k] = all + p->offset;
    if (v->reshape && strcmp(p->name, v->reshape) == 0) {
      nd[k] = 2;
      shapes[k] = wrong;
    }
    if (v->nan_in && strcmp(p->name, v->nan_in) == 0)
      all[p->offset + p->numel - 1] = NAN;
    k++;
  }
  if (v->extra) {
    names[k] = v->extra;
    nd[k] = 1;
    shapes[k] = one;
    dt[k] = ADEIS_ST_F64;
    data[k++] = nanv;
  }
  const char *keys[32], *vals[32];
  size_t nm = 0;
  static const char *base[] = {"adeis.arch", "mlp", "adeis.dim", "3", "adeis.width", "5",
                               "adeis.depth", "1", "adeis.emb_dim", "4", "adeis.hidden", "6",
                               "adeis.cond_dim", "2", "adeis.schedule", "vp-linear"};
  for (size_t i = 0; i < 16; i += 2) {
    const char *val = base[i + 1];
    int drop = 0;
    for (size_t j = 0; v->meta[j]; j += 2)
      if (strcmp(v->meta[j], base[i]) == 0) {
        val = v->meta[j + 1];
        drop = !val;
      }
    if (!drop) {
      keys[nm] = base[i];
      vals[nm++] = val;
    }
  }
  for (size_t j = 0; v->meta[j]; j += 2) {
    int known = 0;
    for (size_t i = 0; i < 16; i += 2)
      known |= strcmp(v->meta[j], base[i]) == 0;
    if (!known) {
      keys[nm] = v->meta[j];
      vals[nm++] = v->meta[j + 1];
    }
  }
  int rc = adeis_safetensors_write(path, k, names, nd, shapes, dt, data, nm, keys, vals);
  free(all);
  return rc;
}

static int load_variant(const variant *v, char *path, size_t cap)
{
  snprintf(path, cap, "%s/n.safetensors", dir);
  adeis_net *net = new_net(mlp_hyper(), "double", 1);
  cr_assert_eq(save_variant(path, net, v), 0, "%s", adeis_errmsg());
  adeis_net_free(net);
  adeis_tbe be;
  adeis_tbe_init(&be, "double", 0);
  adeis_net *back = NULL;
  int rc = adeis_net_load(&back, path, &be);
  adeis_net_free(back);
  return rc;
}

Test(nets_safetensors, network_file_must_match_the_architecture)
{
  make_dir();
  char p[160];
  cr_expect_eq(load_variant(&(variant){0}, p, sizeof p), 0, "%s", adeis_errmsg());
  cr_expect_eq(load_variant(&(variant){.skip = "out.bias"}, p, sizeof p), ADEIS_EINPUT);
  EXPECT_MSG(p, "tensor 'out.bias' missing", "expected F32 or F64 of shape [3] for arch mlp");
  cr_expect_eq(load_variant(&(variant){.extra = "blocks.1.fc1.weight"}, p, sizeof p), ADEIS_EINPUT);
  EXPECT_MSG(p, "tensor 'blocks.1.fc1.weight' unexpected", "not a parameter of arch mlp");
  cr_expect_eq(load_variant(&(variant){.reshape = "in.weight"}, p, sizeof p), ADEIS_EINPUT);
  EXPECT_MSG(p, "tensor 'in.weight' has shape [5, 4] (expected [5, 3] for arch mlp)");
  cr_expect_eq(load_variant(&(variant){.nan_in = "cond.weight"}, p, sizeof p), ADEIS_EINPUT);
  EXPECT_MSG(p, "tensor 'cond.weight' element 11 is not finite");
  remove_dir();
}

Test(nets_safetensors, network_metadata_checked)
{
  make_dir();
  char p[160];
  cr_expect_eq(load_variant(&(variant){.meta = {"adeis.arch", NULL}}, p, sizeof p), ADEIS_EINPUT);
  EXPECT_MSG(p, "metadata adeis.arch missing (expected mlp or unet)");
  cr_expect_eq(load_variant(&(variant){.meta = {"adeis.arch", "cnn"}}, p, sizeof p), ADEIS_EINPUT);
  EXPECT_MSG(p, "adeis.arch = 'cnn' (expected mlp or unet)");
  cr_expect_eq(load_variant(&(variant){.meta = {"adeis.width", NULL}}, p, sizeof p), ADEIS_EINPUT);
  EXPECT_MSG(p, "metadata adeis.width missing", "expected a decimal integer");
  cr_expect_eq(load_variant(&(variant){.meta = {"adeis.width", "5x"}}, p, sizeof p), ADEIS_EINPUT);
  EXPECT_MSG(p, "adeis.width = '5x'", "expected a decimal integer");
  cr_expect_eq(load_variant(&(variant){.meta = {"adeis.width", " 5"}}, p, sizeof p), ADEIS_EINPUT);
  EXPECT_MSG(p, "adeis.width = ' 5'");
  cr_expect_eq(load_variant(&(variant){.meta = {"adeis.emb_dim", "3"}}, p, sizeof p), ADEIS_EINPUT);
  EXPECT_MSG(p, "emb_dim = 3 (expected an even number)");
  cr_expect_eq(load_variant(&(variant){.meta = {"adeis.schedule", NULL}}, p, sizeof p),
               ADEIS_EINPUT);
  EXPECT_MSG(p, "metadata adeis.schedule missing");
  cr_expect_eq(load_variant(&(variant){.meta = {"adeis.size", "8"}}, p, sizeof p), ADEIS_EINPUT);
  EXPECT_MSG(p, "metadata key 'adeis.size' unknown for arch mlp");
  /* other keys (PyTorch's "format") are allowed */
  cr_expect_eq(load_variant(&(variant){.meta = {"format", "pt"}}, p, sizeof p), 0, "%s",
               adeis_errmsg());
  /* the width read is a valid one that does not match the tensors */
  cr_expect_eq(load_variant(&(variant){.meta = {"adeis.width", "4"}}, p, sizeof p), ADEIS_EINPUT);
  EXPECT_MSG(p, "tensor 'in.weight' has shape [5, 3] (expected [4, 3] for arch mlp)");
  remove_dir();
}

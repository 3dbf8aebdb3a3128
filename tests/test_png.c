/* The PNG writer (plots/png.h) read back by hand: signature, chunk lengths and CRC-32s (a
 * bitwise CRC written here from the PNG specification, not zlib's table), IHDR fields, and
 * the inflated image rows. And `adeis sample` writes the grid it says. */
#include "../core/status.h"
#include "../nets/network_model.h"
#include "../plots/png.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

static unsigned long bitwise_crc(const unsigned char *p, size_t n)
{
  unsigned long c = 0xffffffffUL;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++)
      c = (c & 1) ? 0xedb88320UL ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xffffffffUL;
}

static unsigned long get32(const unsigned char *p)
{
  return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

typedef struct png_read {
  size_t w, h;
  unsigned char *pix;   /* h rows of w */
} png_read;

/* parse a grayscale PNG of one IDAT chunk, checking every CRC */
static void read_png(const char *path, png_read *out)
{
  FILE *f = fopen(path, "rb");
  cr_assert(f, "%s", path);
  static unsigned char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  cr_assert_eq(memcmp(buf, sig, 8), 0);
  size_t off = 8;
  const unsigned char *idat = NULL;
  size_t idat_n = 0;
  int seen_end = 0;
  while (off + 12 <= n) {
    size_t len = get32(buf + off);
    cr_assert_leq(off + 12 + len, n);
    const unsigned char *type = buf + off + 4, *data = buf + off + 8;
    cr_assert_eq(get32(data + len), bitwise_crc(type, 4 + len), "CRC of %.4s", type);
    if (memcmp(type, "IHDR", 4) == 0) {
      cr_assert_eq(len, 13);
      out->w = get32(data);
      out->h = get32(data + 4);
      cr_assert(data[8] == 8 && data[9] == 0 && data[10] == 0 && data[11] == 0 && data[12] == 0);
    } else if (memcmp(type, "IDAT", 4) == 0) {
      idat = data;
      idat_n = len;
    } else if (memcmp(type, "IEND", 4) == 0) {
      cr_assert_eq(len, 0);
      seen_end = 1;
    }
    off += 12 + len;
  }
  cr_assert(seen_end && off == n && idat);
  uLongf raw_n = out->h * (out->w + 1);
  unsigned char *raw = malloc(raw_n);
  cr_assert_eq(uncompress(raw, &raw_n, idat, idat_n), Z_OK);
  cr_assert_eq(raw_n, out->h * (out->w + 1));
  out->pix = malloc(out->w * out->h);
  for (size_t r = 0; r < out->h; r++) {
    cr_assert_eq(raw[r * (out->w + 1)], 0, "filter byte of row %zu", r);
    memcpy(out->pix + r * out->w, raw + r * (out->w + 1) + 1, out->w);
  }
  free(raw);
}

Test(png, gray_image_reads_back)
{
  char path[] = "/tmp/adeis-png-XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  close(fd);
  unsigned char pix[5 * 3];
  for (int i = 0; i < 15; i++)
    pix[i] = (unsigned char)(17 * i);
  cr_assert_eq(adeis_png_write_gray(path, 5, 3, pix), 0, "%s", adeis_errmsg());
  png_read r;
  read_png(path, &r);
  cr_assert(r.w == 5 && r.h == 3);
  cr_assert_eq(memcmp(r.pix, pix, 15), 0);
  free(r.pix);
  remove(path);
  cr_assert_eq(adeis_png_write_gray("/nonexistent-dir/x.png", 5, 3, pix), ADEIS_EINPUT);
  cr_expect(strstr(adeis_errmsg(), "/nonexistent-dir/x.png: cannot write"), "%s", adeis_errmsg());
}

/* adeis sample on a small unet: one row per class, cells of S x S with 2-pixel gaps, white
 * gaps, and each cell's pixels in 0..255 */
Test(png, cli_sample_writes_one_row_per_class)
{
  const char *bin = getenv("ADEIS_BIN");
  if (!bin || !*bin)
    cr_skip_test("ADEIS_BIN is not set (run the tests with make check)");
  char dir[] = "/tmp/adeis-sample-XXXXXX", w[96], png[96], cmd[512];
  cr_assert(mkdtemp(dir));
  snprintf(w, sizeof w, "%s/w.safetensors", dir);
  snprintf(png, sizeof png, "%s/s.png", dir);
  adeis_net_hyper hp = {.arch = ADEIS_NET_UNET, .channels = 1, .size = 8, .base = 4, .groups = 2,
                        .emb_dim = 4, .hidden = 6, .cond_dim = 3};
  adeis_tbe tbe;
  adeis_tbe_init(&tbe, "double", 53);
  adeis_net *net = NULL;
  cr_assert_eq(adeis_net_create(&net, &hp, &tbe), 0);
  adeis_net_init_uniform(net, 3);
  adeis_net_set_meta(net, "vp-linear", "test");
  cr_assert_eq(adeis_net_save(net, w, 0), 0);
  adeis_net_free(net);
  snprintf(cmd, sizeof cmd, "%s sample --weights %s --out %s --per-class 4 --steps 3 --scale 1 "
           "2>/dev/null", bin, w, png);
  int st = system(cmd);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  png_read r;
  read_png(png, &r);
  cr_assert_eq(r.w, 4 * 8 + 5 * 2);
  cr_assert_eq(r.h, 3 * 8 + 4 * 2);
  for (size_t x = 0; x < r.w; x++)   /* the top gap and the gap between rows 1 and 2 */
    cr_assert(r.pix[x] == 255 && r.pix[(2 + 8) * r.w + x] == 255);
  free(r.pix);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
}

/* PNG files, 8-bit grayscale (png.h). */
#include "png.h"
#include "../core/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void be32(unsigned char *p, unsigned long v)
{
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* length, type, data, CRC-32 of type and data */
static int chunk(FILE *f, const char *type, const unsigned char *data, size_t n)
{
  unsigned char head[8], tail[4];
  be32(head, (unsigned long)n);
  memcpy(head + 4, type, 4);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, (const Bytef *)type, 4);
  if (n)
    crc = crc32(crc, data, (uInt)n);
  be32(tail, crc);
  return fwrite(head, 1, 8, f) == 8 && (!n || fwrite(data, 1, n, f) == n) &&
         fwrite(tail, 1, 4, f) == 4;
}

int adeis_png_write_gray(const char *path, size_t w, size_t h, const unsigned char *pix)
{
  if (!w || !h || w > 1u << 24 || h > 1u << 24) {
    adeis_set_error("%s: a PNG of %zu x %zu pixels", path, w, h);
    return ADEIS_EINPUT;
  }
  size_t raw_n = h * (w + 1);
  uLongf z_n = compressBound((uLong)raw_n);
  unsigned char *raw = malloc(raw_n), *z = malloc(z_n);
  if (!raw || !z) {
    free(raw);
    free(z);
    adeis_set_error("%s: out of memory for a PNG", path);
    return ADEIS_ENOMEM;
  }
  for (size_t r = 0; r < h; r++) {
    raw[r * (w + 1)] = 0;   /* filter type 0: the row as it is */
    memcpy(raw + r * (w + 1) + 1, pix + r * w, w);
  }
  int zrc = compress2(z, &z_n, raw, (uLong)raw_n, 9);
  free(raw);
  FILE *f = zrc == Z_OK ? fopen(path, "wb") : NULL;
  if (!f) {
    free(z);
    adeis_set_error("%s: cannot write (%s)", path, zrc != Z_OK ? "deflate failed" : strerror(errno));
    return ADEIS_EINPUT;
  }
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  unsigned char ihdr[13];
  be32(ihdr, (unsigned long)w);
  be32(ihdr + 4, (unsigned long)h);
  ihdr[8] = 8;    /* bit depth */
  ihdr[9] = 0;    /* grayscale */
  ihdr[10] = ihdr[11] = ihdr[12] = 0;   /* deflate, filter method 0, no interlace */
  int ok = fwrite(sig, 1, 8, f) == 8 && chunk(f, "IHDR", ihdr, 13) && chunk(f, "IDAT", z, z_n) &&
           chunk(f, "IEND", NULL, 0);
  free(z);
  if (fclose(f) != 0 || !ok) {
    adeis_set_error("%s: cannot write (%s)", path, strerror(errno));
    return ADEIS_EINPUT;
  }
  return ADEIS_OK;
}

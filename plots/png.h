/* A small PNG writer: 8-bit grayscale, no interlace, filter 0 on every row, the image data
 * deflated with zlib and each chunk's CRC-32 from zlib (the PNG specification, ISO/IEC 15948). */
#ifndef ADEIS_PNG_H
#define ADEIS_PNG_H

#include <stddef.h>

/* Write pix (h rows of w bytes, 0 black .. 255 white) to path. Returns 0, ADEIS_EINPUT (the
 * file cannot be written; message names it) or ADEIS_ENOMEM. */
int adeis_png_write_gray(const char *path, size_t w, size_t h, const unsigned char *pix);

#endif

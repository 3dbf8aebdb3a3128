/* Vectors from binary files (`key = @FILE` in a problem file): raw little-endian float64
 * (`NAME.f64`) or NumPy `.npy` (format version 1, 2 or 3, dtype '<f8' or '<f4', C order,
 * any shape, read as its elements in order). */
#ifndef ADEIS_VECFILE_H
#define ADEIS_VECFILE_H

#include <stddef.h>

/* Reads path into a new array *out of *n doubles (float32 values converted exactly).
 * Returns 0, or -1 with what (cap bytes) saying what was wrong ("expected ..., got ..."). */
int adeis_vecfile_read(const char *path, double **out, size_t *n, char *what, size_t cap);

#endif

/* The disk cache of reference solves (runs/reference.h). Internal to runs/. */
#ifndef ADEIS_REFERENCE_CACHE_H
#define ADEIS_REFERENCE_CACHE_H

#include "reference.h"

/* The cache key of a request: a text holding everything the reference depends on (a format
 * version, hashes of the problem file's bytes and of the vector files it names, grid,
 * equation, noise seed, reference precision, method, N_ref rule). 0, or -1 when a file
 * cannot be read (then nothing is cached). */
int adeis_reference_key(const adeis_reference_request *rq, char *buf, size_t size);

/* 0 when a valid entry for this key was read into ref (allocated for the right dimensions);
 * -1 for anything else: absent, unreadable, corrupt, another key. */
int adeis_reference_cache_load(const char *path, const char *key, adeis_reference *ref);

/* Write ref for this key atomically (a temporary file in dir, fsynced, renamed to path);
 * failures leave the cache as it was. */
void adeis_reference_cache_store(const char *path, const char *dir, const char *key,
                                 const adeis_reference *ref);

#endif

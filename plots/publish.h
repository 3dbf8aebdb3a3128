/* Temporary files of a render, created by us and published only when complete
 * (plots/publish.c). Internal to plots/. */
#ifndef ADEIS_PUBLISH_H
#define ADEIS_PUBLISH_H

typedef enum adeis_publish_format {
  ADEIS_FMT_PNG,
  ADEIS_FMT_PDF,
  ADEIS_FMT_SVG,
  ADEIS_FMT_TEX
} adeis_publish_format;

/* a + b + c, allocated (NULL when out of memory). */
char *adeis_publish_concat(const char *a, const char *b, const char *c);

/* Create DIR/.tmp.NAME.PID.K for final = DIR/NAME with O_EXCL | O_NOFOLLOW (read-write,
 * close-on-exec). Returns the descriptor and *tmp (allocated), or -1 with errno. */
int adeis_publish_create(const char *final, char **tmp);
/* The same as a private folder (mode 0700, verified ours); returns an O_DIRECTORY
 * descriptor of it, or -1 with errno. */
int adeis_publish_private_dir(const char *final, char **tmp);

/* NULL when the file behind fd is complete in its format (PNG: IEND chunk last; PDF:
 * %%EOF; SVG: </svg>; cairolatex .tex: \endgroup), else what is wrong. */
const char *adeis_publish_incomplete(int fd, adeis_publish_format fmt);

/* Verify fd's file complete, fsync it and rename tmp to final. Returns 0 or ADEIS_ENUMERIC
 * with "FINAL: ... (incomplete): CAUSE", the cause "No space left on device" when the file
 * system is full. */
int adeis_publish_file(int fd, const char *tmp, const char *final, adeis_publish_format fmt,
                       const char *gnuplot_err);

/* SOURCE_DATE_EPOCH: 0 unset, 1 set (*t, seconds since 1970, at most
 * ADEIS_SOURCE_DATE_MAX = 9999-12-31 23:59:59 UTC), -1 malformed (report.h). A PDF published
 * with it set has its /CreationDate and /ModDate rewritten to that time, in place. */
#define ADEIS_SOURCE_DATE_MAX 253402300799LL
int adeis_source_date_epoch(long long *t);

/* Remove DIR's temporary files and private folders of processes that have ended. */
void adeis_publish_remove_stale(const char *dir);
/* Remove a private folder made by adeis_publish_private_dir, with its files. */
void adeis_publish_remove_private_dir(const char *path);

#endif

/* INI line reading shared by the problem-file and study-file parsers.
 *
 * A reader pulls physical lines from a stream and counts them (inih's handler gets no
 * line number), drops a UTF-8 BOM, inline comments and surrounding blanks, checks
 * "[section]" lines against the caller's section names and rewrites them without inner
 * blanks, marks indented lines without '=' or ':' as continuation lines, and keeps the
 * first error as "PATH:LINE: KEY: what". Each parser builds its inih line callback
 * (ini_reader) on adeis_ini_next_line() and adeis_ini_classify(). */
#ifndef ADEIS_INIFILE_H
#define ADEIS_INIFILE_H

#include <ini.h>
#include <stddef.h>
#include <stdio.h>

#define ADEIS_INI_MAX_SECTIONS 8
#define ADEIS_INI_MSG_MAX 16384      /* = ADEIS_ERRMSG_MAX: a message may name two long paths */
#define ADEIS_INI_WHAT_MAX 12288     /* what_cap's default and largest value */

/* Longest physical line read (lists of numbers may continue on indented lines). */
#define ADEIS_INI_MAX_LINE (256UL << 20)

typedef struct adeis_ini_reader {
  /* set by adeis_ini_reader_init() */
  const char *path;                  /* the file's name, for messages */
  FILE *f;
  const char *const *sections;       /* the names of the sections a file may hold */
  int n_sections;
  /* options, after init */
  int unique_sections;               /* a section given twice is an error (default: allowed) */
  size_t what_cap;                   /* a message's "what" is cut to what_cap - 1 characters */
  /* state */
  char *buf;                         /* the physical line last read (freed by _clear) */
  size_t cap;
  int lineno;                        /* physical lines read so far */
  int cont;                          /* the line last classified continues the previous value */
  int section_line[ADEIS_INI_MAX_SECTIONS];  /* first line of each section, 0 = not seen */
  int read_errno;                    /* set when a read failed (0 at the end of the file) */
  int has_error, oom;
  char msg[ADEIS_INI_MSG_MAX];       /* the first error, "PATH:LINE: KEY: what" */
} adeis_ini_reader;

/* A reader of f (the caller opens and closes it) with n_sections <= ADEIS_INI_MAX_SECTIONS
 * section names; path and sections must outlive the reader. */
void adeis_ini_reader_init(adeis_ini_reader *r, const char *path, FILE *f,
                           const char *const *sections, int n_sections);
/* Frees the line buffer; r itself belongs to the caller. */
void adeis_ini_reader_clear(adeis_ini_reader *r);

/* ---- strings ---- */

/* s past its leading whitespace. */
char *adeis_ini_lskip(char *s);
/* Cuts trailing whitespace (CR of CRLF included) in place. */
void adeis_ini_rstrip(char *s);
/* Cuts an inline comment in place: ';' at the start or after whitespace (inih's rule). */
void adeis_ini_cut_comment(char *s);
/* "section.key" in buf (n bytes, truncated to fit); returns buf. */
const char *adeis_ini_label(char *buf, size_t n, const char *section, const char *key);

/* ---- errors ---- */

/* Keeps "PATH:LINE: KEY: what" in r->msg unless an error is already kept: the file is
 * read in order, so the first is the earliest. "what" is cut at what_cap - 1 bytes; a
 * whole message longer than r->msg keeps its start and its end (adeis_abbreviate_middle). */
void adeis_ini_fail(adeis_ini_reader *r, int line, const char *key, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
/* "PATH:LINE: file: out of memory" at the current line; sets r->oom. */
void adeis_ini_fail_oom(adeis_ini_reader *r);
/* inih rejected a line: "PATH:LINE: file: expected 'key = value', '[section]' or a comment". */
void adeis_ini_fail_syntax(adeis_ini_reader *r, int line);

/* ---- sections ---- */

/* Index of name in the reader's sections, -1 if it is none of them. */
int adeis_ini_section_id(const adeis_ini_reader *r, const char *name);
/* "[a], [b] or [c]": the reader's sections, for messages; returns buf. */
const char *adeis_ini_section_list(const adeis_ini_reader *r, char *buf, size_t n);
/* A line s starting with '[': checks that it is "[name]" alone with a known name, records
 * the section's first line and rewrites s as "[name]" without inner blanks; a malformed
 * line is reported and emptied. */
void adeis_ini_section_line(adeis_ini_reader *r, char *s);

/* ---- lines ---- */

/* The next physical line with a first-line UTF-8 BOM, an inline comment and surrounding
 * whitespace removed (a pointer into r->buf, valid until the next call); *indented is
 * 1 when it started with whitespace, else 0. NULL at the end of the file or on a read
 * error (r->read_errno). */
char *adeis_ini_next_line(adeis_ini_reader *r, int *indented);
/* Prepares a stripped line s for inih: '#' comment lines are emptied, '[' lines go through
 * adeis_ini_section_line(), a line starting with '=' or ':' (no key name) is reported and
 * emptied, and a line without '=' or ':' continues the previous value (r->cont = 1) when
 * may_continue, else it is reported and emptied. */
void adeis_ini_classify(adeis_ini_reader *r, char *s, int may_continue);
/* ini_parse_stream(reader, stream, handler, user), then a read error kept as
 * "cannot read (...)". Returns inih's result: 0, the first rejected line it counted, or
 * negative when out of memory; 0 after a read error. */
int adeis_ini_parse(adeis_ini_reader *r, ini_reader reader, void *stream, ini_handler handler,
                    void *user);

#endif

/* INI line reading (core/inifile.h), each function on its own: comment cutting, stripping,
 * "[section]" lines and their errors, first-error-only messages, continuation lines,
 * CRLF and BOM, long lines, read errors. Streams come from tmpfile(). */
#include "../core/inifile.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"study", "methods", "check"};

/* A reader of the bytes text[0..len) (len 0: strlen(text)), sections study, methods, check. */
static void reader_on(adeis_ini_reader *r, const char *text, size_t len)
{
  FILE *f = tmpfile();
  cr_assert_not_null(f);
  len = len ? len : strlen(text);
  cr_assert_eq(fwrite(text, 1, len, f), len);
  rewind(f);
  adeis_ini_reader_init(r, "dir/f.ini", f, names, 3);
}

static void reader_done(adeis_ini_reader *r)
{
  fclose(r->f);
  adeis_ini_reader_clear(r);
}

/* A reader with no stream, for the functions that read nothing. */
static adeis_ini_reader bare(void)
{
  adeis_ini_reader r;
  adeis_ini_reader_init(&r, "dir/f.ini", NULL, names, 3);
  return r;
}

/* The next line, which must exist, copied to a static buffer. */
static const char *next(adeis_ini_reader *r, int *indented)
{
  static char line[256];
  const char *s = adeis_ini_next_line(r, indented);
  cr_assert_not_null(s, "line %d: no line", r->lineno + 1);
  snprintf(line, sizeof line, "%s", s);
  return line;
}

/* ---- init and clear ---- */

Test(inifile, init_sets_defaults)
{
  adeis_ini_reader r = bare();
  cr_assert_str_eq(r.path, "dir/f.ini");
  cr_assert_eq(r.n_sections, 3);
  cr_assert_eq(r.what_cap, (size_t)ADEIS_INI_WHAT_MAX);
  cr_assert_eq(r.unique_sections, 0);
  cr_assert_eq(r.lineno, 0);
  cr_assert_eq(r.has_error, 0);
  cr_assert_eq(r.oom, 0);
  cr_assert_str_eq(r.msg, "");
  for (int i = 0; i < ADEIS_INI_MAX_SECTIONS; i++)
    cr_assert_eq(r.section_line[i], 0);
}

Test(inifile, clear_frees_the_line_buffer)
{
  adeis_ini_reader r;
  int ind;
  reader_on(&r, "a = 1\n", 0);
  next(&r, &ind);
  cr_assert_not_null(r.buf);
  fclose(r.f);
  adeis_ini_reader_clear(&r);
  cr_assert_null(r.buf);
  cr_assert_eq(r.cap, 0);
  adeis_ini_reader_clear(&r); /* twice is harmless */
}

/* ---- strings ---- */

Test(inifile, lskip_skips_leading_whitespace)
{
  char a[] = " \t\v\f x = 1 ", b[] = "x", c[] = " \t ";
  cr_assert_str_eq(adeis_ini_lskip(a), "x = 1 ");
  cr_assert_eq(adeis_ini_lskip(b), b);
  cr_assert_str_eq(adeis_ini_lskip(c), "");
  cr_assert_eq(adeis_ini_lskip(c), c + 3);
}

Test(inifile, rstrip_cuts_trailing_whitespace_and_cr)
{
  char a[] = "x = 1 2 \t\r\n", b[] = "  x", c[] = " \r\n", d[] = "";
  adeis_ini_rstrip(a);
  adeis_ini_rstrip(b);
  adeis_ini_rstrip(c);
  adeis_ini_rstrip(d);
  cr_assert_str_eq(a, "x = 1 2");
  cr_assert_str_eq(b, "  x");
  cr_assert_str_eq(c, "");
  cr_assert_str_eq(d, "");
}

Test(inifile, cut_comment_follows_inih)
{
  struct { const char *in, *out; } cases[] = {
    {"x = 1 ; note", "x = 1 "},     /* ';' after a blank starts a comment */
    {"x = 1\t;note", "x = 1\t"},
    {"; whole line", ""},           /* ';' at the start */
    {"x = 1;2", "x = 1;2"},         /* ';' inside a word does not */
    {"x = a;b ;c ;d", "x = a;b "},  /* the first comment ends the line */
    {"# hash", "# hash"},           /* '#' is the caller's business */
    {"", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char s[64];
    strcpy(s, cases[i].in);
    adeis_ini_cut_comment(s);
    cr_assert_str_eq(s, cases[i].out, "'%s'", cases[i].in);
  }
}

Test(inifile, label_joins_section_and_key)
{
  char buf[64], small[10];
  cr_assert_eq(adeis_ini_label(buf, sizeof buf, "study", "steps"), buf);
  cr_assert_str_eq(buf, "study.steps");
  cr_assert_str_eq(adeis_ini_label(small, sizeof small, "schedule", "t_end"), "schedule.");
}

/* ---- errors ---- */

Test(inifile, fail_formats_path_line_key_what)
{
  adeis_ini_reader r = bare();
  adeis_ini_fail(&r, 12, "study.steps", "expected %d numbers, got '%s'", 3, "x y");
  cr_assert_eq(r.has_error, 1);
  cr_assert_eq(r.oom, 0);
  cr_assert_str_eq(r.msg, "dir/f.ini:12: study.steps: expected 3 numbers, got 'x y'");
}

Test(inifile, fail_keeps_only_the_first_error)
{
  adeis_ini_reader r = bare();
  adeis_ini_fail(&r, 3, "file", "first");
  adeis_ini_fail(&r, 2, "file", "second");
  adeis_ini_fail_syntax(&r, 1);
  cr_assert_str_eq(r.msg, "dir/f.ini:3: file: first");
}

Test(inifile, fail_cuts_what_at_what_cap)
{
  adeis_ini_reader r = bare();
  r.what_cap = 8;
  adeis_ini_fail(&r, 1, "k", "%s", "abcdefghij");
  cr_assert_str_eq(r.msg, "dir/f.ini:1: k: abcdefg");

  static char what[ADEIS_INI_WHAT_MAX + 1000];
  memset(what, 'x', sizeof what - 1);
  what[sizeof what - 1] = '\0';
  adeis_ini_reader d = bare();
  adeis_ini_fail(&d, 1, "k", "%s", what);
  cr_assert_eq(strlen(d.msg), strlen("dir/f.ini:1: k: ") + ADEIS_INI_WHAT_MAX - 1);
}

Test(inifile, fail_oom_reports_at_the_current_line)
{
  adeis_ini_reader r = bare();
  r.lineno = 7;
  adeis_ini_fail_oom(&r);
  cr_assert_eq(r.oom, 1);
  cr_assert_eq(r.has_error, 1);
  cr_assert_str_eq(r.msg, "dir/f.ini:7: file: out of memory");

  adeis_ini_reader e = bare();
  adeis_ini_fail(&e, 2, "file", "earlier");
  adeis_ini_fail_oom(&e);
  cr_assert_eq(e.oom, 1);
  cr_assert_str_eq(e.msg, "dir/f.ini:2: file: earlier");
}

Test(inifile, fail_syntax_message)
{
  adeis_ini_reader r = bare();
  adeis_ini_fail_syntax(&r, 4);
  cr_assert_str_eq(r.msg, "dir/f.ini:4: file: expected 'key = value', '[section]' or a comment");
}

/* ---- sections ---- */

Test(inifile, section_id_finds_known_names)
{
  adeis_ini_reader r = bare();
  cr_assert_eq(adeis_ini_section_id(&r, "study"), 0);
  cr_assert_eq(adeis_ini_section_id(&r, "check"), 2);
  cr_assert_eq(adeis_ini_section_id(&r, "Study"), -1);
  cr_assert_eq(adeis_ini_section_id(&r, ""), -1);
}

Test(inifile, section_list_for_messages)
{
  static const char *const four[] = {"problem", "schedule", "loss", "start"};
  char buf[128], small[12];
  adeis_ini_reader r = bare();
  cr_assert_str_eq(adeis_ini_section_list(&r, buf, sizeof buf), "[study], [methods] or [check]");
  r.sections = four;
  r.n_sections = 4;
  cr_assert_str_eq(adeis_ini_section_list(&r, buf, sizeof buf),
                   "[problem], [schedule], [loss] or [start]");
  r.n_sections = 2;
  cr_assert_str_eq(adeis_ini_section_list(&r, buf, sizeof buf), "[problem] or [schedule]");
  r.n_sections = 1;
  cr_assert_str_eq(adeis_ini_section_list(&r, buf, sizeof buf), "[problem]");
  r.n_sections = 4;
  cr_assert_str_eq(adeis_ini_section_list(&r, small, sizeof small), "[problem], ");
}

Test(inifile, section_line_normalised_and_recorded)
{
  adeis_ini_reader r = bare();
  char a[] = "[ \tmethods  ]", b[] = "[check]";
  r.lineno = 4;
  adeis_ini_section_line(&r, a);
  r.lineno = 9;
  adeis_ini_section_line(&r, b);
  cr_assert_str_eq(a, "[methods]");
  cr_assert_str_eq(b, "[check]");
  cr_assert_eq(r.section_line[0], 0);
  cr_assert_eq(r.section_line[1], 4);
  cr_assert_eq(r.section_line[2], 9);
  cr_assert_eq(r.has_error, 0);
}

Test(inifile, section_line_not_alone_is_emptied)
{
  const char *bad[] = {"[study] x", "[study", "[study]]"};
  for (size_t i = 0; i < 3; i++) {
    adeis_ini_reader r = bare();
    char s[32], want[128];
    strcpy(s, bad[i]);
    r.lineno = 2;
    adeis_ini_section_line(&r, s);
    snprintf(want, sizeof want,
             "dir/f.ini:2: file: expected '[section]' alone on its line, got '%s'", bad[i]);
    cr_assert_str_eq(r.msg, want);
    cr_assert_str_eq(s, "");
    cr_assert_eq(r.section_line[0], 0);
  }
}

Test(inifile, section_line_unknown_name)
{
  adeis_ini_reader r = bare();
  char s[] = "[ bogus ]";
  r.lineno = 5;
  adeis_ini_section_line(&r, s);
  cr_assert_str_eq(r.msg,
                   "dir/f.ini:5: file: unknown section [bogus]; expected [study], [methods] or [check]");
  cr_assert_str_eq(s, "[bogus]");
}

Test(inifile, section_line_unknown_name_cut_at_60)
{
  adeis_ini_reader r = bare();
  char s[100], want[256];
  s[0] = '[';
  memset(s + 1, 'x', 80);
  strcpy(s + 81, "]");
  adeis_ini_section_line(&r, s);
  snprintf(want, sizeof want, "dir/f.ini:0: file: unknown section [%.60s]; expected [study], "
           "[methods] or [check]", s + 1);
  cr_assert_str_eq(r.msg, want);
}

Test(inifile, section_given_twice)
{
  adeis_ini_reader r = bare();
  char a[] = "[study]", b[] = "[ study ]";
  r.lineno = 1;
  adeis_ini_section_line(&r, a);
  r.lineno = 6;
  adeis_ini_section_line(&r, b);
  cr_assert_eq(r.has_error, 0, "repeats are allowed by default");
  cr_assert_eq(r.section_line[0], 1);
  cr_assert_str_eq(b, "[study]");

  adeis_ini_reader u = bare();
  u.unique_sections = 1;
  char c[] = "[study]", d[] = "[ study ]";
  u.lineno = 1;
  adeis_ini_section_line(&u, c);
  u.lineno = 6;
  adeis_ini_section_line(&u, d);
  cr_assert_str_eq(u.msg, "dir/f.ini:6: file: section [study] given twice (first on line 1)");
  cr_assert_eq(u.section_line[0], 1);
}

/* ---- lines ---- */

Test(inifile, next_line_strips_and_counts)
{
  adeis_ini_reader r;
  int ind = -1;
  reader_on(&r, "[study]\n  steps = 8 16 ; comment\n\n\t; only a comment\nlast", 0);
  cr_assert_str_eq(next(&r, &ind), "[study]");
  cr_assert_eq(ind, 0);
  cr_assert_str_eq(next(&r, &ind), "steps = 8 16");
  cr_assert_eq(ind, 1);
  cr_assert_eq(r.lineno, 2);
  cr_assert_str_eq(next(&r, &ind), "");
  cr_assert_eq(ind, 0);
  cr_assert_str_eq(next(&r, &ind), "");
  cr_assert_eq(ind, 0, "a blank line is not indented");
  cr_assert_str_eq(next(&r, &ind), "last", "a last line without newline");
  cr_assert_eq(r.lineno, 5);
  cr_assert_null(adeis_ini_next_line(&r, &ind));
  cr_assert_eq(r.read_errno, 0);
  cr_assert_eq(r.lineno, 5);
  reader_done(&r);
}

Test(inifile, next_line_crlf_and_bom)
{
  adeis_ini_reader r;
  int ind;
  reader_on(&r, "\xEF\xBB\xBF[study]\r\n\xEF\xBB\xBFname = x\r\n  1 2\r\n\r\n", 0);
  cr_assert_str_eq(next(&r, &ind), "[study]", "the BOM of line 1 is dropped");
  cr_assert_str_eq(next(&r, &ind), "\xEF\xBB\xBFname = x", "a BOM after line 1 is text");
  cr_assert_str_eq(next(&r, &ind), "1 2");
  cr_assert_eq(ind, 1);
  cr_assert_str_eq(next(&r, &ind), "");
  cr_assert_null(adeis_ini_next_line(&r, &ind));
  cr_assert_eq(r.lineno, 4);
  reader_done(&r);
}

Test(inifile, next_line_reads_long_lines_whole)
{
  size_t n = 100000;
  char *text = malloc(n + 16);
  cr_assert_not_null(text);
  strcpy(text, "x = ");
  memset(text + 4, '7', n);
  strcpy(text + 4 + n, " ;c\ny = 1\n");
  adeis_ini_reader r;
  int ind;
  reader_on(&r, text, 0);
  const char *s = adeis_ini_next_line(&r, &ind);
  cr_assert_not_null(s);
  cr_assert_eq(strlen(s), n + 4);
  cr_assert_eq(s[n + 3], '7');
  cr_assert_str_eq(next(&r, &ind), "y = 1");
  cr_assert_eq(r.lineno, 2);
  reader_done(&r);
  free(text);
}

Test(inifile, next_line_rejects_a_nul_byte)
{
  /* a NUL byte means binary data (or /dev/zero): an input error on its line, not a cut line */
  adeis_ini_reader r;
  int ind;
  reader_on(&r, "a = 1\nb = 2\0junk\n", 17);
  cr_assert_str_eq(next(&r, &ind), "a = 1");
  cr_assert_null(adeis_ini_next_line(&r, &ind));
  cr_assert(r.has_error);
  cr_assert(strstr(r.msg, "dir/f.ini:2: file: expected text, found a NUL byte") != NULL, "%s",
            r.msg);
  reader_done(&r);
}

Test(inifile, next_line_read_error)
{
  adeis_ini_reader r;
  int ind;
  FILE *f = fopen("/dev/null", "w");
  cr_assert_not_null(f);
  adeis_ini_reader_init(&r, "dir/f.ini", f, names, 3);
  cr_assert_null(adeis_ini_next_line(&r, &ind));
  cr_assert_eq(r.read_errno, EBADF);
  cr_assert_eq(r.lineno, 0);
  reader_done(&r);
}

Test(inifile, classify_lines)
{
  adeis_ini_reader r = bare();
  char comment[] = "# note", sect[] = "[ check ]", pair[] = "a = 1", colon[] = "a: 1";
  char empty[] = "";
  r.lineno = 3;
  adeis_ini_classify(&r, comment, 1);
  cr_assert_str_eq(comment, "");
  cr_assert_eq(r.cont, 0);
  adeis_ini_classify(&r, sect, 1);
  cr_assert_str_eq(sect, "[check]");
  cr_assert_eq(r.section_line[2], 3);
  cr_assert_eq(r.cont, 0);
  adeis_ini_classify(&r, pair, 1);
  adeis_ini_classify(&r, colon, 1);
  adeis_ini_classify(&r, empty, 1);
  cr_assert_str_eq(pair, "a = 1");
  cr_assert_str_eq(colon, "a: 1");
  cr_assert_eq(r.cont, 0);
  cr_assert_eq(r.has_error, 0);
}

Test(inifile, classify_continuation_lines)
{
  adeis_ini_reader r = bare();
  char more[] = "0.5 0.6", stray[] = "0.5 0.6";
  adeis_ini_classify(&r, more, 1);
  cr_assert_eq(r.cont, 1);
  cr_assert_str_eq(more, "0.5 0.6");
  cr_assert_eq(r.has_error, 0);
  char pair[] = "b = 2";
  adeis_ini_classify(&r, pair, 1);
  cr_assert_eq(r.cont, 0, "each line is classified afresh");
  r.lineno = 8;
  adeis_ini_classify(&r, stray, 0);
  cr_assert_eq(r.cont, 0);
  cr_assert_str_eq(stray, "");
  cr_assert_str_eq(r.msg, "dir/f.ini:8: file: expected 'key = value', '[section]' or a comment, "
                   "got '0.5 0.6'");
}

/* ---- parsing through inih ---- */

typedef struct seen {
  adeis_ini_reader r;
  char log[512];
} seen;

/* A minimal ini_reader: the stripped, classified line, continuations with a leading blank. */
static char *feed(char *str, int num, void *stream)
{
  seen *t = stream;
  int ind;
  char *s = adeis_ini_next_line(&t->r, &ind);
  if (!s)
    return NULL;
  adeis_ini_classify(&t->r, s, ind);
  snprintf(str, (size_t)num, "%s%s\n", t->r.cont ? " " : "", s);
  return str;
}

static int note(void *user, const char *section, const char *name, const char *value)
{
  seen *t = user;
  size_t n = strlen(t->log);
  snprintf(t->log + n, sizeof t->log - n, "%d%s %s.%s=%s|", t->r.lineno, t->r.cont ? "+" : "",
           section, name, value);
  return 1;
}

static void parse_text(seen *t, const char *text)
{
  t->log[0] = '\0';
  reader_on(&t->r, text, 0);
}

Test(inifile, parse_delivers_pairs_and_continuations)
{
  seen t;
  parse_text(&t, "\xEF\xBB\xBF; head\r\n[ study ]\r\nsteps = 8 16 ; c\r\n  32 64\r\n"
             "# note\r\n\r\n[check]\r\ntolerance = 0.1");
  cr_assert_eq(adeis_ini_parse(&t.r, feed, &t, note, &t), 0);
  cr_assert_str_eq(t.log, "3 study.steps=8 16|4+ study.steps=32 64|8 check.tolerance=0.1|");
  cr_assert_eq(t.r.has_error, 0);
  cr_assert_eq(t.r.section_line[0], 2);
  cr_assert_eq(t.r.section_line[2], 7);
  reader_done(&t.r);
}

Test(inifile, parse_returns_the_line_inih_rejects)
{
  seen t;
  parse_text(&t, "[study]\n  stray\na = 1\n");
  cr_assert_eq(adeis_ini_parse(&t.r, feed, &t, note, &t), 2);
  cr_assert_eq(t.r.has_error, 0, "the caller reports it");
  cr_assert_str_eq(t.log, "3 study.a=1|");
  reader_done(&t.r);
}

Test(inifile, parse_reports_a_read_error)
{
  seen t;
  t.log[0] = '\0';
  FILE *f = fopen("/dev/null", "w");
  cr_assert_not_null(f);
  adeis_ini_reader_init(&t.r, "dir/f.ini", f, names, 3);
  cr_assert_eq(adeis_ini_parse(&t.r, feed, &t, note, &t), 0);
  cr_assert_eq(t.r.read_errno, EBADF);
  char want[128];
  snprintf(want, sizeof want, "dir/f.ini:0: file: cannot read (%s)", strerror(EBADF));
  cr_assert_str_eq(t.r.msg, want);
  reader_done(&t.r);
}

/* ---- hostile lines (issue: empty key names, long '#' comments, long paths) ---- */

Test(inifile, classify_rejects_an_empty_key_name)
{
  /* inih would hand " = 3" to the handler with the key "" */
  adeis_ini_reader r = bare();
  char eq[] = "= 3", colon[] = ": 3";
  r.lineno = 4;
  adeis_ini_classify(&r, eq, 1);
  cr_assert_str_eq(eq, "", "the line is not handed on");
  cr_assert_eq(r.cont, 0);
  cr_assert_str_eq(r.msg, "dir/f.ini:4: file: expected a key name before '=', got '= 3'");
  adeis_ini_reader s = bare();
  s.lineno = 9;
  adeis_ini_classify(&s, colon, 0);
  cr_assert_str_eq(colon, "");
  cr_assert_str_eq(s.msg, "dir/f.ini:9: file: expected a key name before ':', got ': 3'");
}

Test(inifile, parse_rejects_an_empty_key_name_with_its_line)
{
  seen t;
  parse_text(&t, "[study]\na = 1\n  = 3\n");
  adeis_ini_parse(&t.r, feed, &t, note, &t);
  cr_assert_str_eq(t.log, "2 study.a=1|", "no key '' reaches the handler");
  cr_assert_str_eq(t.r.msg, "dir/f.ini:3: file: expected a key name before '=', got '= 3'");
  reader_done(&t.r);
}

/* '#' and ';' comment lines of any length are comments: emptied, never an error. */
Test(inifile, long_comment_lines_of_both_kinds)
{
  size_t n = 5000;
  char *text = malloc(2 * n + 64);
  cr_assert_not_null(text);
  char *p = text + sprintf(text, "[study]\n# ");
  memset(p, 'h', n);
  p += n;
  p += sprintf(p, "\n; ");
  memset(p, 's', n);
  p += n;
  strcpy(p, "\na = 1\n");
  seen t;
  parse_text(&t, text);
  cr_assert_eq(adeis_ini_parse(&t.r, feed, &t, note, &t), 0);
  cr_assert_eq(t.r.has_error, 0, "%s", t.r.msg);
  cr_assert_str_eq(t.log, "4 study.a=1|");
  reader_done(&t.r);
  free(text);
}

Test(inifile, fail_keeps_the_reason_of_a_message_naming_a_long_path)
{
  /* a 20000-character path: the message keeps the path's start, the line and the reason */
  size_t n = 20000;
  char *path = malloc(n + 1);
  cr_assert_not_null(path);
  for (size_t i = 0; i < n; i++)
    path[i] = i % 100 == 0 ? '/' : 'd';
  path[n] = '\0';
  adeis_ini_reader r;
  adeis_ini_reader_init(&r, path, NULL, names, 3);
  adeis_ini_fail(&r, 7, "study.steps", "expected step counts, got '%s'", "x");
  const char *want_end = ":7: study.steps: expected step counts, got 'x'";
  size_t len = strlen(r.msg);
  cr_assert_lt(len, sizeof r.msg);
  cr_assert_gt(len, sizeof r.msg / 2, "the room is used");
  cr_assert_str_eq(r.msg + len - strlen(want_end), want_end);
  cr_assert(strncmp(r.msg, path, 1000) == 0, "the path's start is kept");
  cr_assert_not_null(strstr(r.msg, " [...] "));
  free(path);
}

/* Found by fuzz_inifile (make fuzz): a BOM after blanks on line 1 was left to inih, which
 * drops a BOM at the start of its first line, so the handler got the key "" of ":l..". */
Test(inifile, fuzz_bom_after_blanks_on_line_1)
{
  seen t;
  parse_text(&t, " \xEF\xBB\xBF  :l\xFF\xFF ");
  adeis_ini_parse(&t.r, feed, &t, note, &t);
  cr_assert_str_eq(t.log, "", "no key '' reaches the handler");
  cr_assert_str_eq(t.r.msg, "dir/f.ini:1: file: expected a key name before ':', got ':l\xFF\xFF'");
  reader_done(&t.r);

  parse_text(&t, "\xEF\xBB\xBF\xEF\xBB\xBF = 3\n");
  adeis_ini_parse(&t.r, feed, &t, note, &t);
  cr_assert_str_eq(t.log, "");
  cr_assert_str_eq(t.r.msg, "dir/f.ini:1: file: expected a key name before '=', got '= 3'");
  reader_done(&t.r);

  /* the section line inih would see after dropping the BOM is the one classified */
  parse_text(&t, "  \xEF\xBB\xBF[ check ]\ntolerance = 1\n\xEF\xBB\xBF[study]\n");
  adeis_ini_parse(&t.r, feed, &t, note, &t);
  cr_assert_eq(t.r.section_line[2], 1);
  cr_assert_str_eq(t.log, "2 check.tolerance=1|");
  cr_assert_str_eq(t.r.msg, "dir/f.ini:3: file: expected 'key = value', '[section]' or a comment, "
                            "got '\xEF\xBB\xBF[study]'", "a BOM after line 1 is text");
  reader_done(&t.r);
}

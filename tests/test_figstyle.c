/* The styling of a figure's series (plots/figmodel.h, docs/figures.md "Colour and rows",
 * "Coinciding curves"): colour from the method's name before '@', marker and dash from its
 * variant, at most 8 colours for many variants, and the detection of curves that would
 * hide each other, on synthetic series whose answer is known by construction. */
#include <criterion/criterion.h>

#include "../core/status.h"
#include "../plots/figmodel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
  strcpy(dir, "/tmp/adeis-figstyle-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
}

static void drop_dir(void)
{
  char p[128];
  snprintf(p, sizeof p, "%s/errors.csv", dir);
  remove(p);
  snprintf(p, sizeof p, "%s/orders.csv", dir);
  remove(p);
  rmdir(dir);
}

/* errors.csv with one x_T curve per method: error c_k * N^-1 at N = 8..256, c_k given;
 * orders.csv with its header only. */
static void write_study(const char *const *methods, const double *scale, size_t n)
{
  char p[128];
  snprintf(p, sizeof p, "%s/errors.csv", dir);
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f);
  fputs("problem,method,grid,state,precision,sde,steps,quantity,rel_error,nfe,nvjp,seconds\n", f);
  for (size_t k = 0; k < n; k++)
    for (long steps = 8; steps <= 256; steps *= 2)
      fprintf(f, "p,%s,g,cached,53,0,%ld,x_T,%.17g,%ld,%ld,0.1\n", methods[k], steps,
              scale[k] / (double)steps, steps, steps);
  fclose(f);
  snprintf(p, sizeof p, "%s/orders.csv", dir);
  f = fopen(p, "w");
  cr_assert_not_null(f);
  fputs("problem,method,grid,state,precision,sde,quantity,expected,fitted,stderr,status,used,"
        "pairwise,excluded\n",
        f);
  fclose(f);
}

typedef struct built {
  adeis_report_results r;
  adeis_report_series_set s;
  adeis_fig_model m;
} built;

static void build(built *b)
{
  char e[128], o[128];
  snprintf(e, sizeof e, "%s/errors.csv", dir);
  snprintf(o, sizeof o, "%s/orders.csv", dir);
  memset(b, 0, sizeof *b);
  cr_assert_eq(adeis_report_read(&b->r, e, o), 0, "%s", adeis_errmsg());
  cr_assert_eq(adeis_report_series_build(&b->s, &b->r), 0, "%s", adeis_errmsg());
  cr_assert_eq(adeis_fig_model_build(&b->m, ADEIS_REPORT_CONVERGENCE, &b->r, &b->s, NULL), 0);
}

static void unbuild(built *b)
{
  adeis_fig_model_free(&b->m);
  adeis_report_series_free(&b->s);
  adeis_report_results_free(&b->r);
}

/* The series of method name (the study has one series per method). */
static size_t series_of(const built *b, const char *method)
{
  for (size_t i = 0; i < b->s.n_series; i++)
    if (strcmp(b->s.series[i].key.method, method) == 0)
      return i;
  cr_assert_fail("no series %s", method);
  return 0;
}

Test(figstyle, method_base_and_variant)
{
  cr_assert_eq(adeis_fig_method_base("dto-dpm-1@checkpoint-4"), strlen("dto-dpm-1"));
  cr_assert_str_eq(adeis_fig_method_variant("dto-dpm-1@checkpoint-4"), "checkpoint-4");
  cr_assert_eq(adeis_fig_method_base("rk4-lambda"), strlen("rk4-lambda"));
  cr_assert_str_eq(adeis_fig_method_variant("rk4-lambda"), "");
  cr_assert_eq(adeis_fig_method_base("@x"), 0);
  cr_assert_str_eq(adeis_fig_method_variant("a@"), "");
}

/* The otd-vs-dto "cached" row: 11 series over 5 methods. */
static const char *const otd[] = {"adjdeis-1",   "adjdeis-2m",          "dto-dpm-1",
                                  "dto-dpm-1@checkpoint-4",             "dto-dpm-1@reversible",
                                  "dto-dpm-2m",  "dto-dpm-2m@checkpoint-4",
                                  "dto-dpm-2s",  "dto-dpm-2s@reversible",
                                  "dto-rk4-lambda", "dto-rk4-lambda@checkpoint-4"};
#define N_OTD (sizeof otd / sizeof *otd)

Test(figstyle, colour_from_the_method_and_marker_from_the_variant, .init = make_dir,
     .fini = drop_dir)
{
  double scale[N_OTD];
  for (size_t k = 0; k < N_OTD; k++) /* 2 decades apart: no curve hides another */
    scale[k] = pow(10, -2.0 * (double)k);
  write_study(otd, scale, N_OTD);
  built b;
  build(&b);
  const adeis_fig_model *m = &b.m;
  cr_assert(m->by_variant);
  cr_assert_eq(m->colour_field, ADEIS_FIG_METHOD);
  cr_assert_eq(m->n_colours, 6, "adjdeis-1, adjdeis-2m, dto-dpm-1, -2m, -2s, dto-rk4-lambda");
  cr_assert_leq(m->n_colours, 8);
  cr_assert_eq(m->n_rows, 1);
  cr_assert_eq(m->n_styles, N_OTD, "one legend entry per series");
  cr_assert_eq(m->n_variants, 2, "checkpoint-4 and reversible");
  for (size_t i = 0; i < N_OTD; i++)
    for (size_t j = 0; j < N_OTD; j++) {
      const char *a = b.s.series[i].key.method, *c = b.s.series[j].key.method;
      size_t na = adeis_fig_method_base(a), nc = adeis_fig_method_base(c);
      int same_base = na == nc && strncmp(a, c, na) == 0;
      int same_variant = strcmp(adeis_fig_method_variant(a), adeis_fig_method_variant(c)) == 0;
      cr_assert_eq(m->colour_of[i] == m->colour_of[j], same_base, "%s, %s", a, c);
      cr_assert_eq(m->variant_of[i] == m->variant_of[j], same_variant, "%s, %s", a, c);
      cr_assert_eq(m->style_of[i] == m->style_of[j], i == j, "%s, %s", a, c);
    }
  cr_assert_eq(m->variant_of[series_of(&b, "dto-dpm-1")], 0, "no variant: the plain style");
  cr_assert_eq(m->variant_of[series_of(&b, "dto-dpm-2m@checkpoint-4")],
               m->variant_of[series_of(&b, "dto-rk4-lambda@checkpoint-4")]);
  for (size_t k = 0; k < m->n_styles; k++)
    cr_assert_eq(m->layer[k], 0, "curves 2 decades apart are not shifted");
  unbuild(&b);
}

/* The style line of legend entry k in the script: colour, dash type and point type. */
static void style_line(const char *gp, size_t k, char *colour, int *dt, int *pt)
{
  char head[48];
  snprintf(head, sizeof head, "set style line %zu lc rgb '", k);
  const char *at = strstr(gp, head);
  cr_assert_not_null(at, "no style line %zu", k);
  double lw, ps;
  cr_assert_eq(sscanf(at + strlen(head), "%7[^']' lw %lf dt %d pt %d ps %lf", colour, &lw, dt, pt,
                      &ps),
               5);
}

Test(figstyle, the_script_draws_variants_in_the_colour_of_their_method, .init = make_dir,
     .fini = drop_dir)
{
  double scale[N_OTD];
  for (size_t k = 0; k < N_OTD; k++)
    scale[k] = pow(10, -2.0 * (double)k);
  write_study(otd, scale, N_OTD);
  built b;
  build(&b);
  char *gp = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&gp, &len);
  cr_assert_eq(adeis_report_gp_write(f, ADEIS_REPORT_CONVERGENCE, "t", &b.r, &b.s, NULL, 0), 0);
  fclose(f);
  char colour[N_OTD][8], distinct[N_OTD][8];
  int dt[N_OTD], pt[N_OTD];
  size_t n_distinct = 0;
  for (size_t k = 0; k < N_OTD; k++) {
    style_line(gp, k + 1, colour[k], &dt[k], &pt[k]);
    size_t d = 0;
    while (d < n_distinct && strcmp(distinct[d], colour[k]) != 0)
      d++;
    if (d == n_distinct)
      strcpy(distinct[n_distinct++], colour[k]);
  }
  cr_assert_eq(n_distinct, 6, "6 colours for 11 series");
  /* legend entries in order of the series: 2 dto-dpm-1, 3 @checkpoint-4, 4 @reversible */
  cr_assert_str_eq(colour[2], colour[3]);
  cr_assert_str_eq(colour[2], colour[4]);
  cr_assert_str_neq(colour[2], colour[5]);
  cr_assert(pt[2] != pt[3] && pt[3] != pt[4] && pt[2] != pt[4], "a marker per variant");
  cr_assert(dt[2] == 1 && dt[3] != 1 && dt[4] != 1 && dt[3] != dt[4], "a dash per variant");
  cr_assert_eq(pt[3], pt[6], "checkpoint-4 has one marker for every method");
  cr_assert_eq(dt[3], dt[6]);
  cr_assert_eq(pt[0], pt[2], "methods without a variant share the plain marker");
  cr_assert_not_null(strstr(gp, "NAME@VARIANT by marker and dash"), "the setting says so");
  cr_assert_not_null(strstr(gp, "titles[4] = 'dto-dpm-1@checkpoint-4'"));
  free(gp);
  unbuild(&b);
}

Test(figstyle, without_variants_each_colour_has_its_marker, .init = make_dir, .fini = drop_dir)
{
  static const char *const methods[] = {"adjdeis-1", "adjdeis-2m", "rk4-t"};
  static const double scale[] = {1, 1e-3, 1e-6};
  write_study(methods, scale, 3);
  built b;
  build(&b);
  cr_assert(!b.m.by_variant);
  cr_assert_eq(b.m.n_colours, 3);
  cr_assert_eq(b.m.n_styles, 3);
  for (size_t i = 0; i < 3; i++)
    cr_assert_eq(b.m.variant_of[i], 0);
  unbuild(&b);
}

Test(figstyle, curves_coincide_within_the_tolerance_at_most_points)
{
  double a[6], b[6];
  for (int i = 0; i < 6; i++)
    a[i] = -1.0 - i;
  for (int i = 0; i < 6; i++)
    b[i] = a[i] + 0.1;
  cr_assert(adeis_fig_curves_coincide(a, b, 6, 0.2), "0.1 decades apart everywhere");
  cr_assert(!adeis_fig_curves_coincide(a, b, 6, 0.05));
  for (int i = 0; i < 6; i++) /* 3 of 6 close: half is not most */
    b[i] = a[i] + (i < 3 ? 0.1 : 1.0);
  cr_assert(!adeis_fig_curves_coincide(a, b, 6, 0.2));
  b[3] = a[3] + 0.1; /* 4 of 6: two thirds */
  cr_assert(adeis_fig_curves_coincide(a, b, 6, 0.2));
  for (int i = 0; i < 6; i++) /* only one common point: no curve to hide */
    b[i] = i == 2 ? a[i] : NAN;
  cr_assert(!adeis_fig_curves_coincide(a, b, 6, 0.2));
  b[4] = a[4]; /* two common points, both close */
  cr_assert(adeis_fig_curves_coincide(a, b, 6, 0.2));
  /* the tolerance: 3.5 px of a 232 px high panel */
  cr_assert_float_eq(adeis_fig_coincide_tol(232.0 / 3.5), 1.0, 1e-12);
}

Test(figstyle, a_hidden_curve_is_shifted_and_a_distinct_one_is_not, .init = make_dir,
     .fini = drop_dir)
{
  /* b lies 0.05 decades above a (about 2 px in a panel of 5.6 decades: 3.6 of data, 2 of
   * padding), c 2 decades below */
  static const char *const methods[] = {"a", "b", "c"};
  static const double scale[] = {1, 1.1220184543019633, 1e-2};
  write_study(methods, scale, 3);
  built b;
  build(&b);
  double span = 2 + (log10(1.1220184543019633 / 8) - log10(1e-2 / 256)); /* widest + 2 */
  cr_assert_lt(0.05, adeis_fig_coincide_tol(span));
  cr_assert_gt(2.0, adeis_fig_coincide_tol(span));
  cr_assert_eq(b.m.layer[b.m.style_of[series_of(&b, "a")]], 0);
  cr_assert_eq(b.m.layer[b.m.style_of[series_of(&b, "b")]], 1, "b is drawn shifted");
  cr_assert_eq(b.m.layer[b.m.style_of[series_of(&b, "c")]], 0);
  unbuild(&b);
  /* the same curves as variants of one method: shifted all the same */
  static const char *const variants[] = {"a", "a@store", "a@other"};
  write_study(variants, scale, 3);
  build(&b);
  cr_assert_eq(b.m.n_colours, 1);
  cr_assert_eq(b.m.layer[b.m.style_of[series_of(&b, "a@store")]], 1);
  cr_assert_eq(b.m.layer[b.m.style_of[series_of(&b, "a@other")]], 0);
  unbuild(&b);
}

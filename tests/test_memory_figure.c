/* scripts/memory-precision.sh (REPLOT=1: the figure from an existing memory.csv, no runs):
 * the series whose peak memory is the same at every N go to the O(1) panel, those of equal
 * memory side by side around it, the others to the log-memory panel; the error axis is
 * padded past the data; colours follow the method's name before '@'. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
  strcpy(dir, "/tmp/adeis-memfig-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
}

static void drop_dir(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

static void put(const char *name, const char *text)
{
  char p[128];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

static char *get(const char *name)
{
  char p[128];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "rb");
  if (!f)
    return NULL;
  char *buf = calloc(1, 1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* The number after "name = " in the script (the first match). */
static double value_of(const char *gp, const char *name)
{
  char key[64];
  snprintf(key, sizeof key, "%s = ", name);
  const char *at = strstr(gp, key);
  cr_assert_not_null(at, "no %s in the script", name);
  return strtod(at + strlen(key), NULL);
}

Test(memory_figure, flat_series_in_their_own_panel_side_by_side, .init = make_dir,
     .fini = drop_dir)
{
  const char *root = getenv("ADEIS_ROOT"), *bin = getenv("ADEIS_BIN");
  cr_assert_not_null(root);
  cr_assert_not_null(bin);
  if (system("command -v gnuplot >/dev/null 2>&1") != 0)
    cr_skip_test("gnuplot is not installed");
  put("s.ini", "[study]\nname = mem\nproblem = p.ini\nprecision = 53\ngrid = uniform-lambda\n"
               "state = cached\nsteps = 8 16\n[methods]\na = 1\na@backsolve = 1\nb@x = 1\nc = 1\n");
  /* a: memory grows; a@backsolve and b@x: 2000 bytes at both N (tied); c: 3000 bytes */
  put("memory.csv",
      "method,steps,nfe,nvjp,peak_vectors,peak_bytes,rel_error_x_T,rel_error_theta,"
      "rel_error_discrete_x_T\n"
      "a,8,16,8,10,4000,0.5,0.1,\n"
      "a,16,32,16,18,8000,0.25,0.05,\n"
      "a@backsolve,8,24,8,5,2000,0.4,0.1,\n"
      "a@backsolve,16,48,16,5,2000,0.2,0.05,\n"
      "b@x,8,16,8,5,2000,0.01,0.1,\n"
      "b@x,16,32,16,5,2000,0.002,0.05,\n"
      "c,8,16,8,7,3000,0.03,0.1,\n"
      "c,16,32,16,7,3000,0.015,0.05,\n");
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && REPLOT=1 bash '%s/scripts/memory-precision.sh' s.ini . '%s' >/dev/null",
           dir, root, bin);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
  char *gp = get("memory-precision.gp"), *png = get("memory-precision.png");
  cr_assert_not_null(gp);
  cr_assert_not_null(png);
  cr_assert(memcmp(png, "\x89PNG", 4) == 0);
  /* series 1 a grows; 2 and 3 tie at 2000 bytes, one step apart around it; 4 c alone */
  cr_assert_eq(value_of(gp, "flat[1]"), 0);
  cr_assert_not_null(strstr(gp, "xc[1] = NaN"));
  double x2 = value_of(gp, "xc[2]"), x3 = value_of(gp, "xc[3]"), x4 = value_of(gp, "xc[4]");
  cr_assert_eq(value_of(gp, "flat[2]"), 1);
  cr_assert_eq(value_of(gp, "flat[3]"), 1);
  cr_assert_eq(value_of(gp, "flat[4]"), 1);
  cr_assert_float_eq(x2 + x3, 4000, 1e-6, "centred on 2000: %g, %g", x2, x3);
  cr_assert_gt(x3 - x2, 0.03 * (3000 - 2000), "apart by a visible step");
  cr_assert_float_eq(x4, 3000, 1e-9, "a series of its own memory is not moved");
  cr_assert_eq(value_of(gp, "tied"), 1);
  /* the O(1) panel spans 2000..3000 with room on both sides */
  cr_assert_lt(value_of(gp, "flo"), x2);
  cr_assert_gt(value_of(gp, "fhi"), 3000);
  /* errors 0.002 .. 0.5: the axis at least 0.3 decades beyond, on whole decades */
  double ylo = value_of(gp, "ylo"), yhi = value_of(gp, "yhi");
  cr_assert_leq(ylo, 0.002 / pow(10, 0.3));
  cr_assert_geq(yhi, 0.5 * pow(10, 0.3));
  cr_assert_float_eq(log10(ylo), round(log10(ylo)), 1e-9);
  cr_assert_float_eq(log10(yhi), round(log10(yhi)), 1e-9);
  /* the cost axis: beyond 24 .. 48 (a@backsolve: nfe + nvjp) */
  cr_assert_lt(value_of(gp, "clo"), 24);
  cr_assert_gt(value_of(gp, "chi"), 48);
  /* a and a@backsolve share a colour, b@x and c have others */
  cr_assert_not_null(strstr(gp, "titles[1] = \"a\"; colours[1] = \"#0072B2\""));
  cr_assert_not_null(strstr(gp, "titles[2] = \"a@backsolve\"; colours[2] = \"#0072B2\""));
  cr_assert_not_null(strstr(gp, "titles[3] = \"b@x\"; colours[3] = \"#D55E00\""));
  cr_assert_not_null(strstr(gp, "titles[4] = \"c\"; colours[4] = \"#009E73\""));
  free(gp);
  free(png);
}

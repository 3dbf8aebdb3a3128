/* Vector backends (double, float, MPFR): every op against the same computed directly in
 * MPFR with enough bits to be exact (or nearly), within a few units of 2^-prec; the
 * registry, views, bulk import/export, conversion between every pair of backends, multi-dot,
 * max-norm and the memory a vector takes. */
#include <criterion/criterion.h>

#include "../core/backend.h"
#include "../core/status.h"

#include <gmp.h>
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RND MPFR_RNDN
#define DIM 7
#define KMAX 5

static void note(const char *fmt, ...)
{
  if (!getenv("ADEIS_TEST_VERBOSE"))
    return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

/* The storages swept: double, float, MPFR at 24 and 53 (the float and double widths),
 * 113, 256, 1024. */
typedef struct case_t {
  const char *name;
  long prec;
} case_t;
static const case_t cases[] = {{"double", 53}, {"float", 24},   {"mpfr", 24},  {"mpfr", 53},
                               {"mpfr", 113},  {"mpfr", 256},   {"mpfr", 1024}};
#define N_CASES (sizeof cases / sizeof *cases)

static void backend_for(adeis_backend *be, case_t c)
{
  cr_assert_eq(adeis_backend_init_named(be, c.name, c.prec), ADEIS_OK, "%s %ld: %s", c.name,
               c.prec, adeis_errmsg());
}

/* float and double round every operation to their width; MPFR forms results with guard bits */
static int fixed_width(const adeis_backend *be) { return be->type->elem != ADEIS_ELEM_MPFR; }

/* Reference precision: products of two stored numbers and sums of a few are exact here. */
static mpfr_prec_t ref_prec(const adeis_backend *be) { return 4 * adeis_backend_scalar_prec(be) + 64; }

/* A random number of either sign with magnitude in [2^-6, 2^6), at precision p. */
static void random_number(mpfr_ptr r, gmp_randstate_t st)
{
  mpfr_urandomb(r, st);
  mpfr_mul_2ui(r, r, 1, RND);
  mpfr_sub_ui(r, r, 1, RND);
  long e = (long)(gmp_urandomm_ui(st, 13)) - 6;
  mpfr_mul_2si(r, r, e, RND);
}

static adeis_vec *random_vec(const adeis_backend *be, gmp_randstate_t st)
{
  adeis_vec *v = adeis_vec_alloc(be, DIM);
  cr_assert_not_null(v);
  mpfr_t r;
  mpfr_init2(r, be->prec + 20);
  for (size_t i = 0; i < DIM; i++) {
    random_number(r, st);
    adeis_vec_set(v, i, r);
  }
  mpfr_clear(r);
  return v;
}

/* |got - ref| in units of 2^-prec * scale */
static double err_units(mpfr_srcptr got, mpfr_srcptr ref, mpfr_srcptr scale, mpfr_prec_t prec)
{
  mpfr_t d;
  mpfr_init2(d, mpfr_get_prec(ref) + 64);
  mpfr_sub(d, got, ref, RND);
  mpfr_div(d, d, scale, RND);
  mpfr_abs(d, d, RND);
  mpfr_mul_2si(d, d, (long)prec, RND);
  double e = mpfr_get_d(d, RND);
  mpfr_clear(d);
  return e;
}

/* component i of v, exactly, at precision P */
static void comp(mpfr_ptr r, const adeis_vec *v, size_t i)
{
  mpfr_t t;
  mpfr_init2(t, v->be->prec);
  adeis_vec_get(t, v, i);
  mpfr_set(r, t, RND);
  mpfr_clear(t);
}

typedef struct fixture {
  adeis_backend be;
  mpfr_prec_t sprec, P;
  gmp_randstate_t st;
} fixture;

static void fixture_init(fixture *f, case_t c, unsigned long seed)
{
  backend_for(&f->be, c);
  f->sprec = adeis_backend_scalar_prec(&f->be);
  f->P = ref_prec(&f->be);
  gmp_randinit_default(f->st);
  gmp_randseed_ui(f->st, seed);
}

static void fixture_clear(fixture *f) { gmp_randclear(f->st); }

/* ---- the registry and adeis_backend_init_named / adeis_backend_init ---- */

Test(backend, registry_lists_double_float_mpfr)
{
  static const char *const names[] = {"double", "float", "mpfr"};
  static const long pmin[] = {53, 24, 24}, pmax[] = {53, 24, 65536}, pdef[] = {53, 24, 256};
  static const adeis_elem elem[] = {ADEIS_ELEM_F64, ADEIS_ELEM_F32, ADEIS_ELEM_MPFR};
  size_t n = 0;
  while (adeis_backend_types[n])
    n++;
  /* then cuda-float and cuda-double when built (tests/test_gpu.c) */
  cr_assert_eq(n, adeis_backend_cuda_built() ? 5 : 3);
  for (size_t i = 0; i < 3; i++) {
    const adeis_backend_type *t = adeis_backend_types[i];
    cr_assert_str_eq(t->name, names[i]);
    cr_assert_eq(adeis_backend_lookup(names[i]), t);
    cr_assert_eq(t->elem, elem[i]);
    cr_assert_eq(t->prec_min, pmin[i]);
    cr_assert_eq(t->prec_max, pmax[i]);
    cr_assert_eq(t->prec_default, pdef[i]);
    cr_assert_eq(t->device, 0);
    cr_assert(t->available());
    adeis_backend be;
    cr_assert_eq(adeis_backend_init_named(&be, names[i], 0), ADEIS_OK);
    cr_assert_eq(be.type, t);
    cr_assert_eq(be.ops, t->ops);
    cr_assert_eq(be.prec, pdef[i]);
  }
  cr_assert_null(adeis_backend_lookup("quad"));
  cr_assert_null(adeis_backend_lookup(NULL));
}

static void named_fails(const char *name, long prec, const char *want1, const char *want2)
{
  adeis_backend be;
  cr_assert_eq(adeis_backend_init_named(&be, name, prec), ADEIS_EINPUT, "%s %ld accepted", name,
               prec);
  cr_assert(strstr(adeis_errmsg(), want1) && strstr(adeis_errmsg(), want2),
            "%s %ld: message '%s' lacks '%s' or '%s'", name, prec, adeis_errmsg(), want1, want2);
}

Test(backend, init_named_checks_precision_per_type)
{
  adeis_backend be;
  cr_assert_eq(adeis_backend_init_named(&be, "float", 24), ADEIS_OK);
  cr_assert_eq(be.ops, &adeis_backend_float_ops);
  cr_assert_eq(adeis_backend_init_named(&be, "double", 53), ADEIS_OK);
  cr_assert_eq(be.ops, &adeis_backend_double_ops);
  const long ok[] = {24, 53, 65536};
  for (size_t i = 0; i < 3; i++) {
    cr_assert_eq(adeis_backend_init_named(&be, "mpfr", ok[i]), ADEIS_OK);
    cr_assert_eq(be.ops, &adeis_backend_mpfr_ops);
    cr_assert_eq(be.prec, ok[i]);
    cr_assert_eq(adeis_backend_scalar_prec(&be), ok[i] + ADEIS_GUARD_BITS);
  }
  named_fails("float", 53, "--precision", "24");
  named_fails("double", 24, "--precision", "53");
  named_fails("double", 113, "--precision", "53");
  named_fails("mpfr", 23, "--precision", "24..65536");
  named_fails("mpfr", 65537, "--precision", "24..65536");
  named_fails("mpfr", -1, "--precision", "24..65536");
  named_fails("quad", 0, "--backend", "double, float, mpfr");
}

/* The old rule for a precision number alone: 53 is double, anything else MPFR. */
Test(backend, init_by_precision_keeps_the_old_rule)
{
  adeis_backend be;
  cr_assert_eq(adeis_backend_init(&be, ADEIS_PREC_MIN - 1), ADEIS_EINPUT);
  cr_assert_eq(adeis_backend_init(&be, 65537), ADEIS_EINPUT);
  cr_assert_eq(adeis_backend_init(&be, -1), ADEIS_EINPUT);
  cr_assert_eq(adeis_backend_init(&be, 53), ADEIS_OK);
  cr_assert_eq(be.ops, &adeis_backend_double_ops);
  cr_assert_eq(be.type, &adeis_backend_type_double);
  cr_assert_eq(be.prec, 53);
  cr_assert_eq(adeis_backend_scalar_prec(&be), 53 + ADEIS_GUARD_BITS);
  const long ok[] = {24, 52, 54, 65536};
  for (size_t i = 0; i < 4; i++) {
    cr_assert_eq(adeis_backend_init(&be, ok[i]), ADEIS_OK);
    cr_assert_eq(be.ops, &adeis_backend_mpfr_ops);
    cr_assert_eq(be.type, &adeis_backend_type_mpfr);
    cr_assert_eq(be.prec, ok[i]);
  }
  adeis_backend_init_mpfr(&be, 53);
  cr_assert_eq(be.type, &adeis_backend_type_mpfr);
  cr_assert_eq(be.prec, 53);
}

/* The largest precision actually works: 1/3 stored to 65536 bits and read back. */
Test(backend, largest_precision_stores_and_combines)
{
  adeis_backend be;
  cr_assert_eq(adeis_backend_init_named(&be, "mpfr", 65536), ADEIS_OK);
  adeis_vec *x = adeis_vec_alloc(&be, 2);
  mpfr_t third, two, got;
  mpfr_inits2(65536 + 64, third, two, got, (mpfr_ptr)0);
  mpfr_set_ui(third, 1, RND);
  mpfr_div_ui(third, third, 3, RND);
  mpfr_set_ui(two, 2, RND);
  adeis_vec_set(x, 0, third);
  adeis_vec_scale(x, two, x);          /* 2/3 */
  adeis_vec_get(got, x, 0);
  mpfr_mul_ui(third, third, 2, RND);
  double e = err_units(got, third, third, 65536);
  cr_assert(e <= 2.0, "2 * (1/3) at 65536 bits: %.3g units of 2^-65536", e);
  mpfr_clears(third, two, got, (mpfr_ptr)0);
  adeis_vec_free(x);
}

/* ---- lincomb, with y aliasing one of the x[i] ---- */

/* sum_j c_j x_j and sum_j |c_j x_j| at component i, at precision P (exact for k <= 5) */
static void lincomb_ref(mpfr_ptr s, mpfr_ptr a, size_t k, mpfr_t c[], adeis_vec *const x[],
                        size_t i)
{
  mpfr_t t;
  mpfr_init2(t, mpfr_get_prec(s));
  mpfr_set_zero(s, 1);
  mpfr_set_zero(a, 1);
  for (size_t j = 0; j < k; j++) {
    comp(t, x[j], i);
    mpfr_mul(t, t, c[j], RND);
    mpfr_add(s, s, t, RND);
    mpfr_abs(t, t, RND);
    mpfr_add(a, a, t, RND);
  }
  mpfr_clear(t);
}

/* Error bound: float and double round k coefficients, k products and k-1 sums, each at most
 * 2^-prec relative to sum |c_j x_j| (prec = 24 or 53); MPFR rounds once (2^-prec |result|)
 * after accumulating with guard bits. */
static void check_lincomb(fixture *f, size_t k, size_t alias, double *worst)
{
  adeis_vec *x[KMAX], *y;
  const adeis_vec *xp[KMAX];
  mpfr_t c[KMAX], ref[DIM], sabs[DIM], got;
  mpfr_srcptr cp[KMAX];
  for (size_t j = 0; j < k; j++) {
    xp[j] = x[j] = random_vec(&f->be, f->st);
    mpfr_init2(c[j], f->sprec);
    random_number(c[j], f->st);
    cp[j] = c[j];
  }
  for (size_t i = 0; i < DIM; i++) {
    mpfr_inits2(f->P, ref[i], sabs[i], (mpfr_ptr)0);
    lincomb_ref(ref[i], sabs[i], k, c, x, i);
  }
  y = alias < k ? x[alias] : adeis_vec_alloc(&f->be, DIM);
  adeis_vec_lincomb(y, k, cp, xp);
  int dbl = fixed_width(&f->be);
  mpfr_init2(got, f->P);
  for (size_t i = 0; i < DIM; i++) {
    comp(got, y, i);
    double e_abs = err_units(got, ref[i], sabs[i], f->be.prec);
    double e_rel = err_units(got, ref[i], ref[i], f->be.prec);
    double e = dbl ? e_abs : e_rel;
    *worst = e > *worst ? e : *worst;
    if (dbl)
      cr_assert(e_abs <= 2.0 * k + 1, "%s lincomb k=%zu: %.3g units (> %zu)", f->be.ops->name, k,
                e_abs, 2 * k + 1);
    else
      cr_assert(e_rel <= 1.0 + 1e-6 * k, "mpfr %ld lincomb k=%zu alias=%zu: %.3g ulps", (long)f->be.prec,
                k, alias, e_rel);
  }
  mpfr_clear(got);
  for (size_t i = 0; i < DIM; i++)
    mpfr_clears(ref[i], sabs[i], (mpfr_ptr)0);
  for (size_t j = 0; j < k; j++) {
    adeis_vec_free(x[j]);
    mpfr_clear(c[j]);
  }
  if (alias >= k)
    adeis_vec_free(y);
}

Test(backend, lincomb_k1_to_5_with_aliasing)
{
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 11 + ic);
    double worst = 0.0;
    for (size_t k = 1; k <= KMAX; k++)
      for (size_t alias = 0; alias <= k; alias++) /* alias == k: a separate y */
        check_lincomb(&f, k, alias, &worst);
    note("lincomb %s %ld: worst %.3g units\n", f.be.ops->name, (long)f.be.prec, worst);
    fixture_clear(&f);
  }
}

/* ---- axpb, scale, set_zero ---- */

/* Float and double: a, b rounded, a x rounded, the sum rounded: at most 3 units of 2^-prec
 * (|a x| + |b|).
 * MPFR: a x formed with guard bits, then one rounding: 1 unit of 2^-prec |a x + b|. */
static void check_axpb(fixture *f, mpfr_srcptr a, mpfr_srcptr b, const adeis_vec *x,
                       const adeis_vec *out, double *worst)
{
  int dbl = fixed_width(&f->be);
  mpfr_t xi, ref, sabs, got;
  mpfr_inits2(f->P, xi, ref, sabs, got, (mpfr_ptr)0);
  for (size_t i = 0; i < DIM; i++) {
    comp(xi, x, i);
    mpfr_fma(ref, a, xi, b, RND);
    mpfr_mul(sabs, a, xi, RND);
    mpfr_abs(sabs, sabs, RND);
    mpfr_abs(got, b, RND);
    mpfr_add(sabs, sabs, got, RND);
    comp(got, out, i);
    double e = dbl ? err_units(got, ref, sabs, f->be.prec) : err_units(got, ref, ref, f->be.prec);
    *worst = e > *worst ? e : *worst;
    cr_assert(e <= (dbl ? 3.0 : 1.0 + 1e-6), "axpb %s %ld: %.3g units", f->be.ops->name,
              (long)f->be.prec, e);
  }
  mpfr_clears(xi, ref, sabs, got, (mpfr_ptr)0);
}

/* Float and double: a rounded, product rounded: 2 ulps; MPFR: 1 ulp. */
static void check_scale(fixture *f, mpfr_srcptr a, const adeis_vec *x, const adeis_vec *out,
                        double *worst)
{
  int dbl = fixed_width(&f->be);
  mpfr_t xi, ref, got;
  mpfr_inits2(f->P, xi, ref, got, (mpfr_ptr)0);
  for (size_t i = 0; i < DIM; i++) {
    comp(xi, x, i);
    mpfr_mul(ref, a, xi, RND);
    comp(got, out, i);
    double e = err_units(got, ref, ref, f->be.prec);
    *worst = e > *worst ? e : *worst;
    cr_assert(e <= (dbl ? 2.0 : 1.0 + 1e-6), "scale %s %ld: %.3g ulps", f->be.ops->name,
              (long)f->be.prec, e);
  }
  mpfr_clears(xi, ref, got, (mpfr_ptr)0);
}

Test(backend, axpb_scale_set_zero)
{
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 101 + ic);
    adeis_vec *x = random_vec(&f.be, f.st), *x0 = adeis_vec_alloc(&f.be, DIM);
    adeis_vec *y = adeis_vec_alloc(&f.be, DIM);
    mpfr_t a, b, got;
    mpfr_inits2(f.sprec, a, b, got, (mpfr_ptr)0);
    random_number(a, f.st);
    random_number(b, f.st);
    double worst_axpb = 0.0, worst_scale = 0.0;
    adeis_vec_copy(x0, x);
    adeis_vec_axpb(y, a, x, b);
    check_axpb(&f, a, b, x0, y, &worst_axpb);
    adeis_vec_axpb(x, a, x, b);                 /* aliased */
    check_axpb(&f, a, b, x0, x, &worst_axpb);
    adeis_vec_copy(x, x0);
    adeis_vec_scale(y, a, x);
    check_scale(&f, a, x0, y, &worst_scale);
    adeis_vec_scale(x, a, x);                   /* aliased */
    check_scale(&f, a, x0, x, &worst_scale);
    mpfr_set_inf(got, 1);
    adeis_vec_set(y, 0, got);                   /* set_zero clears an Inf / NaN too */
    mpfr_set_nan(got);
    adeis_vec_set(y, 1, got);
    adeis_vec_set_zero(y);
    for (size_t i = 0; i < DIM; i++) {
      adeis_vec_get(got, y, i);
      cr_assert(mpfr_zero_p(got), "set_zero left a nonzero component");
    }
    note("axpb/scale %s %ld: worst %.3g / %.3g units\n", f.be.ops->name, (long)f.be.prec,
         worst_axpb, worst_scale);
    mpfr_clears(a, b, got, (mpfr_ptr)0);
    adeis_vec_free(x);
    adeis_vec_free(x0);
    adeis_vec_free(y);
    fixture_clear(&f);
  }
}

/* ---- prod, div, sqrt: correctly rounded in both backends ---- */

typedef enum { OP_PROD, OP_DIV, OP_SQRT } elem_op;

static void elem_ref(mpfr_ptr r, elem_op op, mpfr_srcptr a, mpfr_srcptr b)
{
  if (op == OP_PROD)
    mpfr_mul(r, a, b, RND);
  else if (op == OP_DIV)
    mpfr_div(r, a, b, RND);
  else
    mpfr_sqrt(r, a, RND);
}

static void elem_apply(elem_op op, adeis_vec *z, const adeis_vec *x, const adeis_vec *y)
{
  if (op == OP_PROD)
    adeis_vec_prod(z, x, y);
  else if (op == OP_DIV)
    adeis_vec_div(z, x, y);
  else
    adeis_vec_sqrt(z, x);
}

static void abs_vec(fixture *f, adeis_vec *v)
{
  mpfr_t t;
  mpfr_init2(t, f->be.prec);
  for (size_t i = 0; i < DIM; i++) {
    adeis_vec_get(t, v, i);
    mpfr_abs(t, t, RND);
    adeis_vec_set(v, i, t);
  }
  mpfr_clear(t);
}

Test(backend, prod_div_sqrt_correctly_rounded)
{
  static const char *const names[] = {"prod", "div", "sqrt"};
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 201 + ic);
    for (int op = OP_PROD; op <= OP_SQRT; op++) {
      adeis_vec *x = random_vec(&f.be, f.st), *y = random_vec(&f.be, f.st);
      adeis_vec *z = adeis_vec_alloc(&f.be, DIM);
      if (op == OP_SQRT)
        abs_vec(&f, x);
      mpfr_t a, b, ref, got;
      mpfr_inits2(f.P, a, b, ref, got, (mpfr_ptr)0);
      elem_apply((elem_op)op, z, x, y);
      double worst = 0.0;
      for (size_t i = 0; i < DIM; i++) {
        comp(a, x, i);
        comp(b, y, i);
        elem_ref(ref, (elem_op)op, a, b);
        comp(got, z, i);
        double e = err_units(got, ref, ref, f.be.prec);
        worst = e > worst ? e : worst;
        cr_assert(e <= 1.0, "%s %s %ld: %.3g ulps", names[op], f.be.ops->name, (long)f.be.prec, e);
      }
      elem_apply((elem_op)op, x, x, y); /* in place */
      for (size_t i = 0; i < DIM; i++) {
        comp(a, z, i);
        comp(b, x, i);
        cr_assert(err_units(b, a, a, f.be.prec) <= 1e-30, "%s in place differs", names[op]);
      }
      note("%s %s %ld: worst %.3g ulps\n", names[op], f.be.ops->name, (long)f.be.prec, worst);
      mpfr_clears(a, b, ref, got, (mpfr_ptr)0);
      adeis_vec_free(x);
      adeis_vec_free(y);
      adeis_vec_free(z);
    }
    fixture_clear(&f);
  }
}

/* ---- dot, mdot and nrm2: accumulated at the caller's precision (in double for float) ---- */

/* float sums its (exact) products in double; the others at the result's precision */
static mpfr_prec_t acc_prec(const fixture *f)
{
  return f->be.type->elem == ADEIS_ELEM_F32 ? 53 : f->sprec;
}

/* x . y and sum |x_i y_i| at precision P */
static void dot_ref(mpfr_ptr ref, mpfr_ptr sabs, const adeis_vec *x, const adeis_vec *y)
{
  mpfr_t a, b;
  mpfr_inits2(mpfr_get_prec(ref), a, b, (mpfr_ptr)0);
  mpfr_set_zero(ref, 1);
  mpfr_set_zero(sabs, 1);
  for (size_t i = 0; i < x->n; i++) {
    comp(a, x, i);
    comp(b, y, i);
    mpfr_fma(ref, a, b, ref, RND);
    mpfr_mul(a, a, b, RND);
    mpfr_abs(a, a, RND);
    mpfr_add(sabs, sabs, a, RND);
  }
  mpfr_clears(a, b, (mpfr_ptr)0);
}

/* result rounded once (1 unit of 2^-acc |ref|) plus n roundings of partial sums */
static double check_dot(const fixture *f, mpfr_srcptr got, const adeis_vec *x, const adeis_vec *y,
                        const char *what)
{
  mpfr_t ref, sabs;
  mpfr_inits2(f->P, ref, sabs, (mpfr_ptr)0);
  dot_ref(ref, sabs, x, y);
  mpfr_prec_t ap = acc_prec(f);
  double e = err_units(got, ref, ref, ap);
  double bound = 1.0 + (double)x->n * mpfr_get_d(sabs, RND) / fabs(mpfr_get_d(ref, RND));
  cr_assert(e <= bound, "%s %s %ld: %.3g units of 2^-%ld (> %.3g)", what, f->be.ops->name,
            (long)f->be.prec, e, (long)ap, bound);
  mpfr_clears(ref, sabs, (mpfr_ptr)0);
  return e;
}

Test(backend, dot_and_nrm2)
{
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 301 + ic);
    adeis_vec *x = random_vec(&f.be, f.st), *y = random_vec(&f.be, f.st);
    mpfr_t ref, got;
    mpfr_init2(ref, f.P);
    mpfr_init2(got, f.sprec);
    adeis_vec_dot(got, x, y);
    double ed = check_dot(&f, got, x, y, "dot");
    /* nrm2 = sqrt(x.x): no cancellation */
    mpfr_set_zero(ref, 1);
    for (size_t i = 0; i < DIM; i++) {
      comp(got, x, i);
      mpfr_fma(ref, got, got, ref, RND);
    }
    mpfr_sqrt(ref, ref, RND);
    adeis_vec_nrm2(got, x);
    mpfr_prec_t ap = acc_prec(&f);
    double e = err_units(got, ref, ref, ap);
    cr_assert(e <= DIM + 2.0, "nrm2 %s %ld: %.3g units of 2^-%ld", f.be.ops->name, (long)f.be.prec,
              e, (long)ap);
    note("dot/nrm2 %s %ld: %.3g / %.3g units of 2^-%ld\n", f.be.ops->name, (long)f.be.prec, ed, e,
         (long)ap);
    mpfr_clears(ref, got, (mpfr_ptr)0);
    adeis_vec_free(x);
    adeis_vec_free(y);
    fixture_clear(&f);
  }
}

/* The double backend's dot and mdot are exact sums rounded once: checked against MPFR at
 * 4400 bits (enough for any sum of double products) on values from subnormal to 2^1000 with
 * heavy cancellation, at result precisions 24, 53, 117 and 300. */
Test(backend, double_dot_is_correctly_rounded)
{
  enum { N = 200 };
  adeis_backend be;
  backend_for(&be, cases[0]);
  adeis_vec *x = adeis_vec_alloc(&be, N), *y = adeis_vec_alloc(&be, N);
  gmp_randstate_t st;
  gmp_randinit_default(st);
  gmp_randseed_ui(st, 99);
  mpfr_t ref, t, got, want;
  mpfr_inits2(4400, ref, t, (mpfr_ptr)0);
  mpfr_set_zero(ref, 1);
  for (size_t i = 0; i < N; i++) {
    mpfr_t u;
    mpfr_init2(u, 53);
    mpfr_urandomb(u, st);
    long e = (long)gmp_urandomm_ui(st, 2000) - 1000;
    double xi = ldexp(mpfr_get_d(u, RND) - 0.5, (int)e), yi = i % 3 ? 1.0 : ldexp(1.0, -70);
    if (i == 7)
      xi = 4.9e-324;                      /* subnormal */
    if (i % 2 && i > 100)                 /* cancel half of the earlier terms exactly */
      xi = -adeis_vec_get_d(x, i - 101), yi = adeis_vec_get_d(y, i - 101);
    adeis_vec_set_d(x, i, xi);
    adeis_vec_set_d(y, i, yi);
    mpfr_set_d(t, xi, RND);
    mpfr_mul_d(t, t, yi, RND);
    mpfr_add(ref, ref, t, RND);
    mpfr_clear(u);
  }
  const mpfr_prec_t precs[] = {24, 53, 117, 300};
  for (size_t p = 0; p < 4; p++) {
    mpfr_inits2(precs[p], got, want, (mpfr_ptr)0);
    mpfr_set(want, ref, RND);
    adeis_vec_dot(got, x, y);
    cr_assert(mpfr_equal_p(got, want), "dot at %ld bits not correctly rounded", (long)precs[p]);
    const adeis_vec *ys[2] = {y, x};
    __mpfr_struct r2[2];
    mpfr_init2(r2 + 0, precs[p]);
    mpfr_init2(r2 + 1, precs[p]);
    adeis_vec_mdot(r2, x, 2, ys);
    cr_assert(mpfr_equal_p(r2 + 0, want), "mdot at %ld bits not correctly rounded", (long)precs[p]);
    adeis_vec_dot(got, x, x);
    cr_assert(mpfr_equal_p(r2 + 1, got), "mdot x.x differs from dot");
    mpfr_clears(got, want, r2 + 0, r2 + 1, (mpfr_ptr)0);
  }
  /* 1e300 - 1e300 + 1: exactly 1; Inf and NaN as IEEE arithmetic has them */
  mpfr_init2(got, 117);
  adeis_vec *a = adeis_vec_alloc(&be, 3), *b = adeis_vec_alloc(&be, 3);
  adeis_vec_import_d(a, 0, (const double[]){1e300, 1.0, -1e300}, 3);
  adeis_vec_import_d(b, 0, (const double[]){1e10, 1.0, 1e10}, 3);
  adeis_vec_dot(got, a, b);
  cr_assert(mpfr_cmp_ui(got, 1) == 0, "1e310 + 1 - 1e310 is not 1");
  adeis_vec_import_d(a, 0, (const double[]){1.0, HUGE_VAL, 2.0}, 3);
  adeis_vec_import_d(b, 0, (const double[]){1.0, 1.0, 1.0}, 3);
  adeis_vec_dot(got, a, b);
  cr_assert(mpfr_inf_p(got), "Inf lost");
  adeis_vec_set_d(b, 1, 0.0);
  adeis_vec_dot(got, a, b);
  cr_assert(mpfr_nan_p(got), "Inf * 0 is not NaN");
  mpfr_clears(ref, t, got, (mpfr_ptr)0);
  adeis_vec_free(a), adeis_vec_free(b), adeis_vec_free(x), adeis_vec_free(y);
  gmp_randclear(st);
}

/* k = 3, and k = 11 (more than one block of float's accumulators) */
Test(backend, mdot_equals_each_dot)
{
  enum { K = 11 };
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 351 + ic);
    adeis_vec *x = random_vec(&f.be, f.st), *y[K];
    __mpfr_struct r[K];
    for (size_t j = 0; j < K; j++) {
      y[j] = random_vec(&f.be, f.st);
      mpfr_init2(r + j, f.sprec);
    }
    const size_t ks[] = {3, K};
    for (size_t t = 0; t < 2; t++) {
      adeis_vec_mdot(r, x, ks[t], (const adeis_vec *const *)y);
      for (size_t j = 0; j < ks[t]; j++)
        check_dot(&f, r + j, x, y[j], "mdot");
    }
    for (size_t j = 0; j < K; j++) {
      adeis_vec_free(y[j]);
      mpfr_clear(r + j);
    }
    adeis_vec_free(x);
    fixture_clear(&f);
  }
}

/* ---- nrm_max: exact, NaN-propagating ---- */

Test(backend, nrm_max_is_the_largest_magnitude)
{
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 381 + ic);
    adeis_vec *x = random_vec(&f.be, f.st);
    mpfr_t ref, a, got;
    mpfr_inits2(f.P, ref, a, (mpfr_ptr)0);
    mpfr_init2(got, f.be.prec);
    mpfr_set_zero(ref, 1);
    for (size_t i = 0; i < DIM; i++) {
      comp(a, x, i);
      mpfr_abs(a, a, RND);
      mpfr_max(ref, ref, a, RND);
    }
    adeis_vec_nrm_max(got, x);
    cr_assert(mpfr_equal_p(got, ref), "nrm_max %s %ld not exact", f.be.ops->name, (long)f.be.prec);
    mpfr_set_inf(a, -1);
    adeis_vec_set(x, 3, a);
    adeis_vec_nrm_max(got, x);
    cr_assert(mpfr_inf_p(got) && mpfr_sgn(got) > 0, "nrm_max with -Inf: not +Inf");
    mpfr_set_nan(a);
    adeis_vec_set(x, 5, a);
    adeis_vec_nrm_max(got, x);
    cr_assert(mpfr_nan_p(got), "nrm_max %s %ld: NaN lost", f.be.ops->name, (long)f.be.prec);
    adeis_vec *empty = adeis_vec_alloc(&f.be, 0);
    adeis_vec_nrm_max(got, empty);
    cr_assert(mpfr_zero_p(got), "nrm_max of an empty vector not 0");
    adeis_vec_free(empty);
    mpfr_clears(ref, a, got, (mpfr_ptr)0);
    adeis_vec_free(x);
    fixture_clear(&f);
  }
}

/* ---- get/set, get_d/set_d ---- */

Test(backend, get_set_round_to_storage)
{
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 401 + ic);
    adeis_vec *x = adeis_vec_alloc(&f.be, DIM);
    mpfr_t val, got, rounded;
    mpfr_inits2(f.P, val, got, (mpfr_ptr)0);
    mpfr_init2(rounded, f.be.prec);
    for (size_t i = 0; i < DIM; i++) {
      random_number(val, f.st);        /* far more bits than the storage holds */
      adeis_vec_set(x, i, val);
      comp(got, x, i);
      mpfr_set(rounded, val, RND);
      cr_assert(mpfr_equal_p(got, rounded), "set/get %s %ld: not rounded to nearest",
                f.be.ops->name, (long)f.be.prec);
      double d = adeis_vec_get_d(x, i);
      cr_assert(d == mpfr_get_d(got, RND), "get_d %s %ld: not the element rounded to double",
                f.be.ops->name, (long)f.be.prec);
      adeis_vec_set_d(x, i, 0.1 * (double)(i + 1));
      comp(got, x, i);
      mpfr_set_d(rounded, 0.1 * (double)(i + 1), RND);
      cr_assert(mpfr_equal_p(got, rounded), "set_d %s %ld: not rounded to nearest",
                f.be.ops->name, (long)f.be.prec);
    }
    mpfr_clears(val, got, rounded, (mpfr_ptr)0);
    adeis_vec_free(x);
    fixture_clear(&f);
  }
}

/* ---- fill ---- */

Test(backend, fill_rounds_once_and_clears)
{
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 451 + ic);
    adeis_vec *x = random_vec(&f.be, f.st);
    mpfr_t c, rounded, got;
    mpfr_inits2(f.P, c, got, (mpfr_ptr)0);
    mpfr_init2(rounded, f.be.prec);
    random_number(c, f.st);
    mpfr_set(rounded, c, RND);
    adeis_vec_fill(x, c);
    for (size_t i = 0; i < DIM; i++) {
      comp(got, x, i);
      cr_assert(mpfr_equal_p(got, rounded), "fill %s %ld: element %zu", f.be.ops->name,
                (long)f.be.prec, i);
    }
    mpfr_set_nan(c);
    adeis_vec_set(x, 2, c);
    mpfr_set_zero(c, -1);
    adeis_vec_fill(x, c);                  /* -0 everywhere, the NaN gone */
    for (size_t i = 0; i < DIM; i++) {
      comp(got, x, i);
      cr_assert(mpfr_zero_p(got) && mpfr_signbit(got), "fill -0 %s: element %zu", f.be.ops->name, i);
    }
    mpfr_clears(c, rounded, got, (mpfr_ptr)0);
    adeis_vec_free(x);
    fixture_clear(&f);
  }
}

/* ---- bulk import/export at offsets ---- */

static void check_import_export(fixture *f)
{
  enum { N = DIM + 5, OFF = 3, M = 6 };
  adeis_vec *v = adeis_vec_alloc(&f->be, N);
  double a[M], back[M];
  float af[M], backf[M];
  mpfr_t e, want;
  mpfr_inits2(f->P, e, (mpfr_ptr)0);
  mpfr_init2(want, f->be.prec);
  for (size_t i = 0; i < M; i++) {
    mpfr_urandomb(e, f->st);
    a[i] = (mpfr_get_d(e, RND) - 0.5) * 1e3;
  }
  adeis_vec_import_d(v, OFF, a, M);
  for (size_t i = 0; i < N; i++) {
    comp(e, v, i);
    int inside = i >= OFF && i < OFF + M;
    mpfr_set_d(want, inside ? a[i - OFF] : 0.0, RND);
    cr_assert(mpfr_equal_p(e, want), "import_d %s %ld: element %zu", f->be.ops->name,
              (long)f->be.prec, i);
  }
  adeis_vec_export_d(v, OFF, back, M);
  adeis_vec_export_f(v, OFF, backf, M);
  for (size_t i = 0; i < M; i++) {
    comp(e, v, OFF + i);
    cr_assert(back[i] == mpfr_get_d(e, RND), "export_d %s: element %zu", f->be.ops->name, i);
    cr_assert(backf[i] == mpfr_get_flt(e, RND), "export_f %s: element %zu", f->be.ops->name, i);
    af[i] = (float)a[i] * 0.25f;
  }
  /* float values are exact in every storage: the round trip gives them back */
  adeis_vec_import_f(v, OFF + 1, af, M);
  adeis_vec_export_f(v, OFF + 1, backf, M);
  for (size_t i = 0; i < M; i++)
    cr_assert(backf[i] == af[i], "import_f/export_f %s: element %zu", f->be.ops->name, i);
  mpfr_clears(e, want, (mpfr_ptr)0);
  adeis_vec_free(v);
}

/* MPFR arrays: rounded to the storage on the way in, to each destination on the way out */
static void check_import_export_mpfr(fixture *f)
{
  enum { N = DIM + 5, OFF = 2, M = 7 };
  adeis_vec *v = adeis_vec_alloc(&f->be, N);
  __mpfr_struct a[M], wide[M], narrow[M];
  mpfr_t e, want, n20;
  mpfr_init2(e, f->P);
  mpfr_init2(want, f->be.prec);
  mpfr_init2(n20, 20);
  for (size_t i = 0; i < M; i++) {
    mpfr_init2(a + i, f->P);
    mpfr_init2(wide + i, f->be.prec + 20);
    mpfr_init2(narrow + i, 20);
    random_number(a + i, f->st);
  }
  adeis_vec_import_mpfr(v, OFF, a, M);
  adeis_vec_export_mpfr(v, OFF, wide, M);
  adeis_vec_export_mpfr(v, OFF, narrow, M);
  for (size_t i = 0; i < M; i++) {
    mpfr_set(want, a + i, RND);
    comp(e, v, OFF + i);
    cr_assert(mpfr_equal_p(e, want), "import_mpfr %s %ld: element %zu", f->be.ops->name,
              (long)f->be.prec, i);
    cr_assert(mpfr_equal_p(wide + i, want), "export_mpfr (wider) %s: element %zu", f->be.ops->name, i);
    mpfr_set(n20, want, RND);
    cr_assert(mpfr_equal_p(narrow + i, n20), "export_mpfr (20 bits) %s: element %zu", f->be.ops->name, i);
  }
  comp(e, v, OFF - 1);
  cr_assert(mpfr_zero_p(e), "import_mpfr wrote before the offset");
  comp(e, v, OFF + M);
  cr_assert(mpfr_zero_p(e), "import_mpfr wrote after the range");
  for (size_t i = 0; i < M; i++)
    mpfr_clears(a + i, wide + i, narrow + i, (mpfr_ptr)0);
  mpfr_clears(e, want, n20, (mpfr_ptr)0);
  adeis_vec_free(v);
}

Test(backend, import_export_at_offsets)
{
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 471 + ic);
    check_import_export(&f);
    check_import_export_mpfr(&f);
    fixture_clear(&f);
  }
}

/* ---- views ---- */

static void check_view(fixture *f)
{
  enum { OFF = 2, M = 3 };
  adeis_vec *p = random_vec(&f->be, f->st), *p0 = adeis_vec_alloc(&f->be, DIM);
  adeis_vec_copy(p0, p);
  adeis_vec v;
  cr_assert_eq(adeis_vec_view_init(&v, p, OFF, M), ADEIS_OK);
  cr_assert_eq(v.n, M);
  mpfr_t a, b, two;
  mpfr_inits2(f->P, a, b, two, (mpfr_ptr)0);
  for (size_t i = 0; i < M; i++) {
    comp(a, &v, i);
    comp(b, p, OFF + i);
    cr_assert(mpfr_equal_p(a, b), "view %s: element %zu is not the parent's", f->be.ops->name, i);
  }
  /* v = 2 v: exact, and only elements OFF..OFF+M-1 of the parent change */
  mpfr_set_ui(two, 2, RND);
  adeis_vec_scale(&v, two, &v);
  for (size_t i = 0; i < DIM; i++) {
    comp(a, p, i);
    comp(b, p0, i);
    if (i >= OFF && i < OFF + M)
      mpfr_mul_2ui(b, b, 1, RND);
    cr_assert(mpfr_equal_p(a, b), "scale through a view %s: parent element %zu", f->be.ops->name, i);
  }
  double d = 0.375;
  adeis_vec_import_d(&v, 1, &d, 1);
  cr_assert(adeis_vec_get_d(p, OFF + 1) == d, "import_d through a view %s", f->be.ops->name);
  adeis_vec_set_zero(&v);
  for (size_t i = 0; i < DIM; i++) {
    comp(a, p, i);
    comp(b, p0, i);
    cr_assert(i >= OFF && i < OFF + M ? mpfr_zero_p(a) : mpfr_equal_p(a, b),
              "set_zero through a view %s: parent element %zu", f->be.ops->name, i);
  }
  /* a heap view of a view, freed alone */
  adeis_vec *w = adeis_vec_view(p, 1, DIM - 1), src;
  cr_assert_not_null(w);
  cr_assert_eq(adeis_vec_view_init(&src, p0, 0, DIM - 1), ADEIS_OK);
  adeis_vec_copy(w, &src);            /* p[1..DIM-1] = p0[0..DIM-2] */
  adeis_vec_free(w);
  for (size_t i = 1; i < DIM; i++) {
    comp(a, p, i);
    comp(b, p0, i - 1);
    cr_assert(mpfr_equal_p(a, b), "copy into a heap view %s: element %zu", f->be.ops->name, i);
  }
  cr_assert_eq(adeis_vec_view_init(&v, p, DIM - 1, 2), ADEIS_EINPUT);
  cr_assert_null(adeis_vec_view(p, DIM + 1, 0));
  cr_assert_eq(adeis_vec_view_init(&v, p, DIM, 0), ADEIS_OK);
  mpfr_clears(a, b, two, (mpfr_ptr)0);
  adeis_vec_free(p);
  adeis_vec_free(p0);
}

Test(backend, views_share_the_parents_storage)
{
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 481 + ic);
    check_view(&f);
    fixture_clear(&f);
  }
}

/* The plain array: float[] and double[] for float and double, none for MPFR. */
Test(backend, raw_arrays)
{
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 491 + ic);
    adeis_vec *x = random_vec(&f.be, f.st);
    adeis_elem el = f.be.type->elem;
    cr_assert_eq(adeis_vec_raw(x) != NULL, el != ADEIS_ELEM_MPFR);
    cr_assert_eq(adeis_vec_double_data(x) != NULL, el == ADEIS_ELEM_F64);
    cr_assert_eq(adeis_vec_float_data(x) != NULL, el == ADEIS_ELEM_F32);
    if (el != ADEIS_ELEM_MPFR) {
      double d = adeis_vec_get_d(x, 4);
      double r = el == ADEIS_ELEM_F64 ? adeis_vec_double_data(x)[4] : adeis_vec_float_data(x)[4];
      cr_assert(d == r, "raw element differs from get_d");
    }
    adeis_vec_free(x);
    fixture_clear(&f);
  }
}

/* ---- conversion between every pair of backends ---- */

static adeis_vec *random_vec_n(const adeis_backend *be, gmp_randstate_t st, size_t n)
{
  adeis_vec *v = adeis_vec_alloc(be, n);
  cr_assert_not_null(v);
  mpfr_t r;
  mpfr_init2(r, be->prec + 20);
  for (size_t i = 0; i < n; i++) {
    random_number(r, st);
    adeis_vec_set(v, i, r);
  }
  mpfr_clear(r);
  return v;
}

/* 1100 elements: more than two chunks of either kind */
static void check_convert(case_t from, case_t to)
{
  enum { N = 1100 };
  fixture f;
  fixture_init(&f, from, 501 + (unsigned long)from.prec + 7 * (unsigned long)to.prec);
  adeis_backend be_to;
  backend_for(&be_to, to);
  adeis_vec *x = random_vec_n(&f.be, f.st, N), *y = adeis_vec_alloc(&be_to, N);
  cr_assert_eq(adeis_vec_convert(y, x), ADEIS_OK);
  mpfr_t a, b, want;
  mpfr_inits2(f.P + to.prec, a, b, (mpfr_ptr)0);
  mpfr_init2(want, to.prec);
  for (size_t i = 0; i < N; i++) {
    comp(a, x, i);
    comp(b, y, i);
    mpfr_set(want, a, RND);          /* one rounding to nearest (exact when widening) */
    cr_assert(mpfr_equal_p(b, want), "convert %s %ld -> %s %ld: element %zu", from.name,
              from.prec, to.name, to.prec, i);
  }
  adeis_vec *z = adeis_vec_alloc(&be_to, N - 1);
  cr_assert_eq(adeis_vec_convert(z, x), ADEIS_EINPUT);
  adeis_vec_free(z);
  mpfr_clears(a, b, want, (mpfr_ptr)0);
  adeis_vec_free(x);
  adeis_vec_free(y);
  fixture_clear(&f);
}

Test(backend, convert_between_all_pairs)
{
  for (size_t i = 0; i < N_CASES; i++)
    for (size_t j = 0; j < N_CASES; j++)
      check_convert(cases[i], cases[j]);
}

/* adeis_vec_copy between backends is the same conversion */
Test(backend, copy_between_backends_rounds_once)
{
  fixture f;
  fixture_init(&f, cases[5], 577);                 /* mpfr 256 */
  adeis_backend bf;
  backend_for(&bf, cases[1]);                      /* float */
  adeis_vec *x = random_vec(&f.be, f.st), *y = adeis_vec_alloc(&bf, DIM);
  adeis_vec_copy(y, x);
  mpfr_t a;
  mpfr_init2(a, 256);
  for (size_t i = 0; i < DIM; i++) {
    comp(a, x, i);
    cr_assert(adeis_vec_get_d(y, i) == (double)mpfr_get_flt(a, RND), "copy 256 -> float: element %zu", i);
  }
  mpfr_clear(a);
  adeis_vec_free(x);
  adeis_vec_free(y);
  fixture_clear(&f);
}

/* ---- isfinite ---- */

Test(backend, isfinite_detects_nan_and_inf)
{
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 601 + ic);
    mpfr_t bad;
    mpfr_init2(bad, 53);
    for (int kind = 0; kind < 3; kind++) {
      adeis_vec *x = random_vec(&f.be, f.st);
      cr_assert(adeis_vec_isfinite(x), "finite vector reported non-finite");
      if (kind == 0)
        mpfr_set_nan(bad);
      else
        mpfr_set_inf(bad, kind == 1 ? 1 : -1);
      adeis_vec_set(x, DIM - 1 - (size_t)kind, bad);
      cr_assert(!adeis_vec_isfinite(x), "%s %ld: %s not detected", f.be.ops->name, (long)f.be.prec,
                kind == 0 ? "NaN" : kind == 1 ? "+Inf" : "-Inf");
      /* lincomb reports it in the same pass */
      mpfr_set_ui(bad, 1, RND);
      cr_assert(!adeis_vec_lincomb(x, 1, (mpfr_srcptr[]){bad}, (const adeis_vec *[]){x}),
                "%s %ld: lincomb flag missed a non-finite value", f.be.ops->name, (long)f.be.prec);
      adeis_vec_free(x);
    }
    adeis_vec *x = adeis_vec_alloc(&f.be, DIM);
    adeis_vec_set_d(x, 0, HUGE_VAL);
    cr_assert(!adeis_vec_isfinite(x), "set_d(HUGE_VAL) not detected");
    adeis_vec_free(x);
    mpfr_clear(bad);
    fixture_clear(&f);
  }
}

/* ---- rel_dist ---- */

/* |x - y| / |y| at precision P from the elements */
static void rel_dist_ref(mpfr_ptr d, const adeis_vec *x, const adeis_vec *y)
{
  mpfr_prec_t P = mpfr_get_prec(d);
  mpfr_t a, b, s;
  mpfr_inits2(P, a, b, s, (mpfr_ptr)0);
  mpfr_set_zero(d, 1);
  mpfr_set_zero(s, 1);
  for (size_t i = 0; i < x->n; i++) {
    comp(a, x, i);
    comp(b, y, i);
    mpfr_fma(s, b, b, s, RND);
    mpfr_sub(a, a, b, RND);
    mpfr_fma(d, a, a, d, RND);
  }
  if (!mpfr_zero_p(s))
    mpfr_div(d, d, s, RND);
  mpfr_sqrt(d, d, RND);
  mpfr_clears(a, b, s, (mpfr_ptr)0);
}

/* The difference is rounded once per element at the storage precision (at most 2^-prec of
 * each |x_i - y_i|), the sums carry guard bits (or, for float, double): within 2 units of
 * 2^-prec of the distance. */
Test(backend, rel_dist)
{
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 701 + ic);
    adeis_vec *x = random_vec(&f.be, f.st), *y = random_vec(&f.be, f.st);
    mpfr_t d, got;
    mpfr_init2(d, f.P);
    mpfr_init2(got, f.sprec);
    rel_dist_ref(d, x, y);
    cr_assert_eq(adeis_vec_rel_dist(got, x, y), ADEIS_OK);
    double e = err_units(got, d, d, f.be.prec);
    cr_assert(e <= 2.0, "rel_dist %s %ld: %.3g units of 2^-%ld", f.be.ops->name, (long)f.be.prec,
              e, (long)f.be.prec);
    /* reference zero: the absolute distance |x| */
    adeis_vec *zero = adeis_vec_alloc(&f.be, DIM);
    adeis_vec_rel_dist(got, x, zero);
    rel_dist_ref(d, x, zero);
    e = err_units(got, d, d, f.be.prec);
    cr_assert(e <= 2.0, "rel_dist to zero %s %ld: %.3g units", f.be.ops->name, (long)f.be.prec, e);
    /* identical vectors: 0 to every bit */
    adeis_vec_rel_dist(got, x, x);
    cr_assert(mpfr_zero_p(got), "rel_dist(x, x) not 0");
    adeis_vec_free(zero);
    mpfr_clears(d, got, (mpfr_ptr)0);
    adeis_vec_free(x);
    adeis_vec_free(y);
    fixture_clear(&f);
  }
}

/* Between backends the distance is taken at the higher precision: a double result against
 * a 256-bit reference is measured to 2^-256, not to 2^-53. */
Test(backend, rel_dist_between_backends_uses_the_higher_precision)
{
  static const size_t pairs[][2] = {{0, 5}, {5, 0}, {1, 0}, {0, 1}, {1, 6}, {2, 4}};
  for (size_t t = 0; t < sizeof pairs / sizeof *pairs; t++) {
    case_t cx = cases[pairs[t][0]], cy = cases[pairs[t][1]];
    fixture f;
    fixture_init(&f, cx, 751 + t);
    adeis_backend bey;
    backend_for(&bey, cy);
    adeis_vec *x = random_vec(&f.be, f.st), *y = random_vec(&bey, f.st);
    long hi = cx.prec > cy.prec ? cx.prec : cy.prec;
    mpfr_t d, got;
    mpfr_init2(d, 4 * hi + 200);
    mpfr_init2(got, hi + ADEIS_GUARD_BITS);
    rel_dist_ref(d, x, y);
    cr_assert_eq(adeis_vec_rel_dist(got, x, y), ADEIS_OK);
    double e = err_units(got, d, d, hi);
    cr_assert(e <= 2.0, "rel_dist %s %ld vs %s %ld: %.3g units of 2^-%ld", cx.name, cx.prec,
              cy.name, cy.prec, e, hi);
    mpfr_clears(d, got, (mpfr_ptr)0);
    adeis_vec_free(x);
    adeis_vec_free(y);
    fixture_clear(&f);
  }
}

/* ---- memory per element ---- */

/* The allocator's own size of the block behind a vector of n elements, per element: float 4,
 * double 8, MPFR 8 bytes of exponent and kind plus the limbs (40 at 256 bits; the former
 * array of mpfr_t with a separate significand per element took 80). */
Test(backend, memory_per_element)
{
  enum { N = 10000 };
  static const case_t mem_cases[] = {{"float", 24}, {"double", 53}, {"mpfr", 53}, {"mpfr", 256},
                                     {"mpfr", 1024}};
  static const double want[] = {4.0, 8.0, 16.0, 40.0, 136.0};
  for (size_t c = 0; c < sizeof mem_cases / sizeof *mem_cases; c++) {
    adeis_backend be;
    backend_for(&be, mem_cases[c]);
    cr_assert_float_eq(adeis_backend_bytes_per_value(&be), want[c], 1e-12);
    adeis_vec *v = adeis_vec_alloc(&be, N);
    cr_assert_not_null(v);
    const void *block = adeis_vec_storage(v);
    cr_assert_not_null(block);
    double per = (double)malloc_usable_size((void *)block) / N;
    /* usable sizes round up to the allocator's granule (a page for large blocks) */
    cr_assert(per >= want[c] && per <= want[c] + 4096.0 / N, "%s %ld: %.3f bytes per element",
              mem_cases[c].name, mem_cases[c].prec, per);
    note("memory %s %ld: %.3f bytes per element\n", mem_cases[c].name, mem_cases[c].prec, per);
    adeis_vec view;
    adeis_vec_view_init(&view, v, 10, 20);
    cr_assert_null(adeis_vec_storage(&view));
    adeis_vec_free(v);
  }
}

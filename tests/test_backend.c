/* Vector backends (double, MPFR): every op against the same computed directly in
 * MPFR with enough bits to be exact (or nearly), within a few units of 2^-prec. */
#include <criterion/criterion.h>

#include "../core/backend.h"
#include "../core/status.h"

#include <gmp.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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

/* The storages swept: double, MPFR at 53 (forced), 113, 256, 1024. */
typedef struct case_t {
  long prec;
  int force_mpfr;
} case_t;
static const case_t cases[] = {{53, 0}, {53, 1}, {113, 0}, {256, 0}, {1024, 0}};
#define N_CASES (sizeof cases / sizeof *cases)

static void backend_for(adeis_backend *be, case_t c)
{
  if (c.force_mpfr)
    adeis_backend_init_mpfr(be, (mpfr_prec_t)c.prec);
  else
    cr_assert_eq(adeis_backend_init(be, c.prec), ADEIS_OK);
}

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

/* ---- adeis_backend_init ---- */

Test(backend, init_rejects_and_accepts_precisions)
{
  adeis_backend be;
  cr_assert_eq(adeis_backend_init(&be, 52), ADEIS_EINPUT);
  cr_assert_eq(adeis_backend_init(&be, 65537), ADEIS_EINPUT);
  cr_assert_eq(adeis_backend_init(&be, -1), ADEIS_EINPUT);
  cr_assert_eq(adeis_backend_init(&be, 53), ADEIS_OK);
  cr_assert_eq(be.ops, &adeis_backend_double_ops);
  cr_assert_eq(be.prec, 53);
  cr_assert_eq(adeis_backend_scalar_prec(&be), 53 + ADEIS_GUARD_BITS);
  const long ok[] = {54, 65536};
  for (size_t i = 0; i < 2; i++) {
    cr_assert_eq(adeis_backend_init(&be, ok[i]), ADEIS_OK);
    cr_assert_eq(be.ops, &adeis_backend_mpfr_ops);
    cr_assert_eq(be.prec, ok[i]);
  }
}

/* The largest precision actually works: 1/3 stored to 65536 bits and read back. */
Test(backend, largest_precision_stores_and_combines)
{
  adeis_backend be;
  cr_assert_eq(adeis_backend_init(&be, 65536), ADEIS_OK);
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

/* Error bound: double rounds k coefficients, k products and k-1 sums, each at most
 * 2^-53 relative to sum |c_j x_j|; MPFR rounds once (2^-prec |result|) after
 * accumulating with guard bits. */
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
  int dbl = f->be.ops == &adeis_backend_double_ops;
  mpfr_init2(got, f->P);
  for (size_t i = 0; i < DIM; i++) {
    comp(got, y, i);
    double e_abs = err_units(got, ref[i], sabs[i], f->be.prec);
    double e_rel = err_units(got, ref[i], ref[i], f->be.prec);
    double e = dbl ? e_abs : e_rel;
    *worst = e > *worst ? e : *worst;
    if (dbl)
      cr_assert(e_abs <= 2.0 * k + 1, "double lincomb k=%zu: %.3g units (> %zu)", k, e_abs, 2 * k + 1);
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

/* Double: a, b rounded, a x rounded, the sum rounded: at most 3 units of 2^-53 (|a x| + |b|).
 * MPFR: a x formed with guard bits, then one rounding: 1 unit of 2^-prec |a x + b|. */
static void check_axpb(fixture *f, mpfr_srcptr a, mpfr_srcptr b, const adeis_vec *x,
                       const adeis_vec *out, double *worst)
{
  int dbl = f->be.ops == &adeis_backend_double_ops;
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
    double e = dbl ? err_units(got, ref, sabs, 53) : err_units(got, ref, ref, f->be.prec);
    *worst = e > *worst ? e : *worst;
    cr_assert(e <= (dbl ? 3.0 : 1.0 + 1e-6), "axpb %s %ld: %.3g units", f->be.ops->name,
              (long)f->be.prec, e);
  }
  mpfr_clears(xi, ref, sabs, got, (mpfr_ptr)0);
}

/* Double: a rounded, product rounded: 2 ulps; MPFR: 1 ulp. */
static void check_scale(fixture *f, mpfr_srcptr a, const adeis_vec *x, const adeis_vec *out,
                        double *worst)
{
  int dbl = f->be.ops == &adeis_backend_double_ops;
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

/* ---- dot and nrm2, accumulated at the caller's precision ---- */

Test(backend, dot_and_nrm2)
{
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 301 + ic);
    adeis_vec *x = random_vec(&f.be, f.st), *y = random_vec(&f.be, f.st);
    mpfr_t a, b, ref, sabs, got;
    mpfr_inits2(f.P, a, b, ref, sabs, (mpfr_ptr)0);
    mpfr_init2(got, f.sprec);
    mpfr_set_zero(ref, 1);
    mpfr_set_zero(sabs, 1);
    for (size_t i = 0; i < DIM; i++) {
      comp(a, x, i);
      comp(b, y, i);
      mpfr_fma(ref, a, b, ref, RND);
      mpfr_mul(a, a, b, RND);
      mpfr_abs(a, a, RND);
      mpfr_add(sabs, sabs, a, RND);
    }
    /* result rounded once (1 unit of 2^-sprec |ref|) plus DIM roundings of partial sums */
    adeis_vec_dot(got, x, y);
    double e = err_units(got, ref, ref, f.sprec);
    double bound = 1.0 + DIM * mpfr_get_d(sabs, RND) / fabs(mpfr_get_d(ref, RND));
    cr_assert(e <= bound, "dot %s %ld: %.3g units of 2^-%ld (> %.3g)", f.be.ops->name,
              (long)f.be.prec, e, (long)f.sprec, bound);
    double ed = e;
    /* nrm2 = sqrt(x.x): no cancellation */
    mpfr_set_zero(ref, 1);
    for (size_t i = 0; i < DIM; i++) {
      comp(a, x, i);
      mpfr_fma(ref, a, a, ref, RND);
    }
    mpfr_sqrt(ref, ref, RND);
    adeis_vec_nrm2(got, x);
    e = err_units(got, ref, ref, f.sprec);
    cr_assert(e <= DIM + 2.0, "nrm2 %s %ld: %.3g units of 2^-%ld", f.be.ops->name, (long)f.be.prec,
              e, (long)f.sprec);
    note("dot/nrm2 %s %ld: %.3g / %.3g units of 2^-%ld\n", f.be.ops->name, (long)f.be.prec, ed, e,
         (long)f.sprec);
    mpfr_clears(a, b, ref, sabs, got, (mpfr_ptr)0);
    adeis_vec_free(x);
    adeis_vec_free(y);
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
    mpfr_t val, got;
    mpfr_inits2(f.P, val, got, (mpfr_ptr)0);
    for (size_t i = 0; i < DIM; i++) {
      random_number(val, f.st);        /* far more bits than the storage holds */
      adeis_vec_set(x, i, val);
      comp(got, x, i);
      double e = err_units(got, val, val, f.be.prec);
      cr_assert(e <= 1.0, "set/get %s %ld: %.3g ulps", f.be.ops->name, (long)f.be.prec, e);
      /* double view */
      double d = adeis_vec_get_d(x, i);
      mpfr_set_d(val, d, RND);
      e = err_units(val, got, got, 53);
      cr_assert(e <= 1.0, "get_d %s %ld: %.3g ulps of double", f.be.ops->name, (long)f.be.prec, e);
      adeis_vec_set_d(x, i, 0.1 * (double)(i + 1));
      comp(got, x, i);
      mpfr_set_d(val, 0.1 * (double)(i + 1), RND);
      cr_assert(err_units(got, val, val, f.be.prec) <= 1e-30, "set_d not exact at %ld bits",
                (long)f.be.prec);
    }
    mpfr_clears(val, got, (mpfr_ptr)0);
    adeis_vec_free(x);
    fixture_clear(&f);
  }
}

/* ---- copy between backends ---- */

static void check_copy(case_t from, case_t to)
{
  fixture f;
  fixture_init(&f, from, 501 + (unsigned long)from.prec + 7 * (unsigned long)to.prec);
  adeis_backend be_to;
  backend_for(&be_to, to);
  adeis_vec *x = random_vec(&f.be, f.st), *y = adeis_vec_alloc(&be_to, DIM);
  adeis_vec_copy(y, x);
  mpfr_t a, b;
  mpfr_inits2(f.P + to.prec, a, b, (mpfr_ptr)0);
  mpfr_prec_t p = to.prec < from.prec ? to.prec : from.prec;
  for (size_t i = 0; i < DIM; i++) {
    comp(a, x, i);
    comp(b, y, i);
    /* rounding into a narrower storage costs up to one unit of 2^-p; widening is exact */
    double e = err_units(b, a, a, p);
    double tol = to.prec < from.prec ? 1.0 : 1e-30;
    cr_assert(e <= tol, "copy %ld%s -> %ld%s: %.3g units of 2^-%ld", from.prec,
              from.force_mpfr ? "m" : "", to.prec, to.force_mpfr ? "m" : "", e, (long)p);
  }
  mpfr_clears(a, b, (mpfr_ptr)0);
  adeis_vec_free(x);
  adeis_vec_free(y);
  fixture_clear(&f);
}

Test(backend, copy_between_backends)
{
  for (size_t i = 0; i < N_CASES; i++)
    for (size_t j = 0; j < N_CASES; j++)
      check_copy(cases[i], cases[j]);
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

Test(backend, rel_dist)
{
  for (size_t ic = 0; ic < N_CASES; ic++) {
    fixture f;
    fixture_init(&f, cases[ic], 701 + ic);
    adeis_vec *x = random_vec(&f.be, f.st), *y = random_vec(&f.be, f.st);
    mpfr_t a, b, d, s, got;
    mpfr_inits2(f.P, a, b, d, s, (mpfr_ptr)0);
    mpfr_init2(got, f.sprec);
    mpfr_set_zero(d, 1);
    mpfr_set_zero(s, 1);
    for (size_t i = 0; i < DIM; i++) {
      comp(a, x, i);
      comp(b, y, i);
      mpfr_fma(s, b, b, s, RND);
      mpfr_sub(a, a, b, RND);
      mpfr_fma(d, a, a, d, RND);
    }
    mpfr_div(d, d, s, RND);
    mpfr_sqrt(d, d, RND);
    adeis_vec_rel_dist(got, x, y);
    double e = err_units(got, d, d, f.sprec);
    cr_assert(e <= 4.0 * DIM, "rel_dist %s %ld: %.3g units of 2^-%ld", f.be.ops->name,
              (long)f.be.prec, e, (long)f.sprec);
    /* reference zero: the absolute distance |x| */
    adeis_vec *zero = adeis_vec_alloc(&f.be, DIM);
    adeis_vec_rel_dist(got, x, zero);
    adeis_vec_nrm2(d, x);
    e = err_units(got, d, d, f.sprec);
    cr_assert(e <= 4.0 * DIM, "rel_dist to zero %s %ld: %.3g units", f.be.ops->name,
              (long)f.be.prec, e);
    /* identical vectors: 0 to every bit */
    adeis_vec_rel_dist(got, x, x);
    cr_assert(mpfr_cmpabs_ui(got, 0) <= 0 || mpfr_get_exp(got) < -(mpfr_exp_t)f.sprec,
              "rel_dist(x, x) not 0");
    adeis_vec_free(zero);
    mpfr_clears(a, b, d, s, got, (mpfr_ptr)0);
    adeis_vec_free(x);
    adeis_vec_free(y);
    fixture_clear(&f);
  }
}

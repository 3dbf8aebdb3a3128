/* adeis grad: one gradient of a problem file, with the exact value and the relative error. */
#include <stdio.h> /* before mpfr.h, for mpfr_fprintf */

#include "cli_opts.h"
#include "commands.h"
#include "../core/status.h"
#include "../runs/grad.h"
#include "grad_vectors.h"
#include "../runs/reference.h"

#include <getopt.h>
#include <math.h>
#include <string.h>

static const char grad_usage[] =
  "usage: adeis grad --problem FILE.ini --method NAME --steps N [options]\n\n"
  "Compute dL/dx_T, dL/dz and dL/dtheta of a problem file with one adjoint method\n"
  "and compare them with the exact values.\n\n"
  "required:\n"
  "  --problem FILE     problem file (docs/problem-files.md)\n"
  "  --method NAME      adjoint method (adeis list)\n"
  "  --steps N          number of steps, 1..10000000\n"
  "options:\n"
  "  --grid G           uniform-t | uniform-lambda (default) | quadratic-t | edm-rho\n"
  "  --backend NAME     double | float | mpfr (default: from --precision, 53 is double)\n"
  "  --precision BITS   working precision: float 24, double 53, mpfr 24..65536 (the\n"
  "                     storage precision); alone, 53 means double; default 256\n"
  "  --state MODE       oracle (default) | cached | backsolve; a model with neither a flow\n"
  "                     nor exact gradients (network, mixture) defaults to cached unless a\n"
  "                     reference is asked for (--reference, --ref-max-steps)\n"
  "  --sde              gradient through the reverse SDE (default: the PF-ODE)\n"
  "  --tol TOL          tolerance of the adaptive methods, default 1e-8\n"
  "  --store POLICY     dto-* methods: all (default) | checkpoint[:S] | reversible\n"
  "                     (reversible: dto-dpm-1 and dto-dpm-2s)\n"
  "  --zeta Z           coupling constant of --store reversible, in (0, 1], default 0.999\n"
  "  --reference        compute the reference solve (docs/solvers.md) for every quantity,\n"
  "                     beside exact values too. Without it: references where exact\n"
  "                     values are missing, except for a model with no exact gradients at\n"
  "                     all (network, mixture), which gets none unless --ref-max-steps is\n"
  "                     given (a reference solve of a network takes minutes to hours)\n"
  "  --ref-max-steps N  bound on the reference's finest level, default 16384\n"
  "                     (65536 with --sde)\n"
  "  --json             print one JSON object instead of the table\n"
  "  --vectors FILE     write every gradient (and exact and reference values) to FILE as\n"
  "                     F64 safetensors tensors; --json then prints norms, not vectors\n"
  "  -h, --help         print this help\n\n"
  "Exit codes: 0 success, 2 bad input, 3 numerical failure or out of memory.\n";

typedef struct grad_opts {
  adeis_grad_request rq;
  const char *problem;
  const char *vectors;           /* --vectors FILE.safetensors */
  int have_backend;
  int json, have_steps, have_state, have_precision, have_store, have_zeta;
} grad_opts;

enum { O_PROBLEM = 256, O_METHOD, O_STEPS, O_GRID, O_PRECISION, O_STATE, O_SDE, O_TOL, O_JSON,
       O_VECTORS, O_BACKEND,
       O_STORE, O_ZETA, O_REFERENCE, O_REF_MAX_STEPS };

static const struct option grad_long_opts[] = {
  {"problem", required_argument, NULL, O_PROBLEM},
  {"method", required_argument, NULL, O_METHOD},
  {"steps", required_argument, NULL, O_STEPS},
  {"grid", required_argument, NULL, O_GRID},
  {"precision", required_argument, NULL, O_PRECISION},
  {"state", required_argument, NULL, O_STATE},
  {"sde", no_argument, NULL, O_SDE},
  {"tol", required_argument, NULL, O_TOL},
  {"json", no_argument, NULL, O_JSON},
  {"vectors", required_argument, NULL, O_VECTORS},
  {"backend", required_argument, NULL, O_BACKEND},
  {"store", required_argument, NULL, O_STORE},
  {"zeta", required_argument, NULL, O_ZETA},
  {"reference", no_argument, NULL, O_REFERENCE},
  {"ref-max-steps", required_argument, NULL, O_REF_MAX_STEPS},
  {"help", no_argument, NULL, 'h'},
  {NULL, 0, NULL, 0},
};

/* ---- options ---- */

static int set_method(grad_opts *o, const char *arg)
{
  if (!adeis_method_lookup(arg))
    return cli_bad_option("grad", "--method", "unknown method '%s' (adeis list shows them)", arg);
  o->rq.method = arg;
  return 0;
}

static int set_steps(grad_opts *o, const char *arg)
{
  long v;
  if (cli_parse_long(arg, 1, (long)ADEIS_STEPS_MAX, &v))
    return cli_bad_option("grad", "--steps", "expected an integer in 1..%lu, got '%s'",
                          ADEIS_STEPS_MAX, arg);
  o->rq.steps = (size_t)v;
  o->have_steps = 1;
  return 0;
}

static int set_grid(grad_opts *o, const char *arg)
{
  if (adeis_grid_lookup(arg, &o->rq.grid) == 0)
    return 0;
  return cli_bad_option("grad", "--grid", "unknown grid '%s'; expected one of uniform-t, "
                        "uniform-lambda, quadratic-t, edm-rho", arg);
}

static int set_precision(grad_opts *o, const char *arg)
{
  o->have_precision = 1;
  if (cli_parse_long(arg, ADEIS_PREC_MIN, ADEIS_PREC_MAX, &o->rq.precision) == 0)
    return 0;
  return cli_bad_option("grad", "--precision", "expected an integer in %d..%d (bits), got '%s'",
                        ADEIS_PREC_MIN, ADEIS_PREC_MAX, arg);
}

static int set_state(grad_opts *o, const char *arg)
{
  o->have_state = 1;
  if (adeis_state_lookup(arg, &o->rq.state) == 0)
    return 0;
  return cli_bad_option("grad", "--state", "unknown state mode '%s'; expected one of oracle, "
                        "cached, backsolve", arg);
}

static int set_tol(grad_opts *o, const char *arg)
{
  if (cli_parse_double(arg, &o->rq.tol) == 0 && o->rq.tol >= ADEIS_TOL_MIN && o->rq.tol < 1)
    return 0;
  return cli_bad_option("grad", "--tol", "expected a number in [%g, 1) (the adaptive methods run "
                        "in double), got '%s'", ADEIS_TOL_MIN, arg);
}

static int set_store(grad_opts *o, const char *arg)
{
  o->have_store = 1;
  if (adeis_store_parse(arg, &o->rq.store) == 0)
    return 0;
  return cli_bad_option("grad", "--store", "expected all, checkpoint, checkpoint:S (S in 1..%lu) "
                        "or reversible, got '%s'", ADEIS_SNAPSHOTS_MAX, arg);
}

static int set_zeta(grad_opts *o, const char *arg)
{
  o->have_zeta = 1;
  if (cli_parse_double(arg, &o->rq.zeta) == 0 && o->rq.zeta > 0 && o->rq.zeta <= 1)
    return 0;
  return cli_bad_option("grad", "--zeta", "expected a coupling constant in (0, 1], got '%s'", arg);
}

/* --store and --zeta belong to the discrete adjoints (--zeta to --store reversible) */
static int check_discrete_options(const grad_opts *o, const adeis_method *m)
{
  int discrete = m && (m->flags & ADEIS_METHOD_DISCRETE);
  if (o->have_store && m && !discrete)
    return cli_bad_option("grad", "--store", "%s is not a discrete adjoint; --store is for the "
                          "dto-* methods", m->name);
  if (o->have_zeta && m && !discrete)
    return cli_bad_option("grad", "--zeta", "%s is not a discrete adjoint; --zeta is for the "
                          "dto-* methods with --store reversible", m->name);
  if (o->have_zeta && discrete && o->rq.store.kind != ADEIS_STORE_REVERSIBLE)
    return cli_bad_option("grad", "--zeta", "only --store reversible takes a coupling constant");
  return 0;
}

static int set_ref_max_steps(grad_opts *o, const char *arg)
{
  long v;
  if (cli_parse_long(arg, 4 * ADEIS_REF_START_STEPS, (long)ADEIS_STEPS_MAX, &v))
    return cli_bad_option("grad", "--ref-max-steps", "expected an integer in %d..%lu, got '%s'",
                          4 * ADEIS_REF_START_STEPS, ADEIS_STEPS_MAX, arg);
  o->rq.ref_max_steps = (size_t)v;
  return 0;
}

static int set_option(grad_opts *o, int c, const char *arg)
{
  switch (c) {
  case O_PROBLEM: o->problem = arg; return 0;
  case O_METHOD: return set_method(o, arg);
  case O_STEPS: return set_steps(o, arg);
  case O_GRID: return set_grid(o, arg);
  case O_PRECISION: return set_precision(o, arg);
  case O_STATE: return set_state(o, arg);
  case O_SDE: o->rq.sde = 1; return 0;
  case O_TOL: return set_tol(o, arg);
  case O_JSON: o->json = 1; return 0;
  case O_BACKEND:
    if (!adeis_backend_lookup(arg))
      return cli_bad_option("grad", "--backend", "unknown backend '%s'; expected double, float or "
                            "mpfr (adeis list)", arg);
    o->rq.backend = arg;
    o->have_backend = 1;
    return 0;
  case O_VECTORS:
    if (!*arg)
      return cli_bad_option("grad", "--vectors", "expected a file name, got ''");
    o->vectors = arg;
    return 0;
  case O_STORE: return set_store(o, arg);
  case O_ZETA: return set_zeta(o, arg);
  case O_REFERENCE: o->rq.want_reference = 1; return 0;
  case O_REF_MAX_STEPS: return set_ref_max_steps(o, arg);
  default: return 2;
  }
}

static int check_required(const grad_opts *o)
{
  if (!o->problem)
    return cli_bad_option("grad", "--problem", "missing; expected a problem file (adeis grad --help)");
  if (!o->rq.method)
    return cli_bad_option("grad", "--method", "missing; expected a method name (adeis list)");
  if (!o->have_steps)
    return cli_bad_option("grad", "--steps", "missing; expected an integer in 1..%lu",
                          ADEIS_STEPS_MAX);
  return 0;
}

/* Returns -1 after --help, 0 to go on, or an exit code. */
static int parse_grad_options(grad_opts *o, int argc, char **argv)
{
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":h", grad_long_opts, NULL)) != -1) {
    if (c == 'h') {
      fputs(grad_usage, stdout);
      return -1;
    }
    if (c == '?' || c == ':')
      return cli_getopt_error("grad", c, optopt, argv[optind - 1]);
    if ((rc = set_option(o, c, optarg)))
      return rc;
  }
  if (optind < argc)
    return cli_bad_option("grad", argv[optind], "unexpected argument (adeis grad --help)");
  if (o->rq.sde && !o->have_state) /* the SDE adjoint reads the path its sampler wrote */
    o->rq.state = ADEIS_STATE_CACHED;
  const adeis_method *m = o->rq.method ? adeis_method_lookup(o->rq.method) : NULL;
  if (m && (m->flags & ADEIS_METHOD_DOUBLE_ONLY) && !o->have_precision && !o->have_backend)
    o->rq.precision = 53; /* the adaptive GSL methods run in double: choose it for them */
  if (o->have_backend && !o->have_precision) /* the backend's own: float 24, double 53 */
    o->rq.precision = adeis_backend_lookup(o->rq.backend)->prec_default;
  if (m && (m->flags & ADEIS_METHOD_DISCRETE) && !o->have_state)
    o->rq.state = ADEIS_STATE_CACHED; /* a discrete adjoint reads its own sampler's states */
  if ((rc = check_discrete_options(o, m)))
    return rc;
  return check_required(o);
}

/* ---- output ---- */

/* Significant decimal digits that carry a precision: ceil(prec log10 2) + 1. */
static int digits_for(mpfr_prec_t prec)
{
  return (int)ceil((double)prec * 0.30102999566398119521) + 1;
}

/* A vector as decimal strings, or only its norm when the vectors go to a file (--vectors) */
static int json_norms_only;

static void json_vec(const adeis_vec *v, int digits)
{
  if (!v)
    fputs("null", stdout);
  else if (json_norms_only)
    printf("{\"n\": %zu, \"norm\": \"%.17g\"}", v->n, cli_norm(v));
  else
    cli_json_numbers(stdout, v, digits);
}

/* "key": {"x_T": [...], ...}, or "key": null when no quantity has a value (exact values of a
 * model without a closed form) */
static void json_vecs(const char *key, adeis_vec *const v[ADEIS_Q_COUNT], int digits)
{
  int any = 0;
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    any |= v[q] != NULL;
  if (!any) {
    printf(",\n  \"%s\": null", key);
    return;
  }
  printf(",\n  \"%s\": {", key);
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    printf("%s\"%s\": ", q ? ", " : "", adeis_quantity_names[q]);
    json_vec(v[q], digits);
  }
  putchar('}');
}

/* Relative errors as decimal strings at the working precision, like the gradients. */
static void json_errors(const adeis_grad_result *res, int digits)
{
  printf(",\n  \"rel_error\": {");
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    printf("%s\"%s\": ", q ? ", " : "", adeis_quantity_names[q]);
    if (mpfr_number_p(res->rel_error[q]))
      mpfr_printf("\"%.*Re\"", digits - 1, res->rel_error[q]);
    else
      fputs("null", stdout);
  }
  putchar('}');
}

static void json_discrete_errors(const adeis_grad_result *res, int digits)
{
  int any = 0;
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    any |= res->grad[q] && mpfr_number_p(res->rel_error_discrete[q]);
  printf(",\n  \"rel_error_discrete\": ");
  if (!any) {
    fputs("null", stdout);
    return;
  }
  putchar('{');
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    printf("%s\"%s\": ", q ? ", " : "", adeis_quantity_names[q]);
    if (res->grad[q] && mpfr_number_p(res->rel_error_discrete[q]))
      mpfr_printf("\"%.*Re\"", digits - 1, res->rel_error_discrete[q]);
    else
      fputs("null", stdout);
  }
  putchar('}');
}

/* The memory and discrete-adjoint keys (docs/solvers.md) */
static void json_discrete(const adeis_grad_request *rq, const adeis_grad_result *res, int digits)
{
  adeis_store st = adeis_grad_store(rq);
  char name[64];
  if (st.kind == ADEIS_STORE_NONE) {
    printf(",\n  \"store\": null");
  } else {
    adeis_store_format(name, sizeof name, &st, rq->steps);
    printf(",\n  \"store\": \"%s\"", name);
  }
  printf(",\n  \"peak_vectors\": %zu,\n  \"peak_bytes\": %.0f", res->peak_vectors,
         res->peak_bytes);
  json_discrete_errors(res, digits);
  if (isnan(res->reconstruction_error))
    printf(",\n  \"reconstruction_error\": null");
  else
    printf(",\n  \"reconstruction_error\": \"%.17g\"", res->reconstruction_error);
}

/* reference: a map like exact (null when none was computed); reference_error: per quantity,
 * relative estimates (null where none); reference_steps: its finest level. */
static void json_reference(const adeis_grad_result *res, int digits)
{
  int any = 0;
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    any |= res->reference[q] != NULL;
  if (!any) {
    fputs(",\n  \"reference\": null,\n  \"reference_error\": null,\n  \"reference_steps\": null",
          stdout);
    return;
  }
  json_vecs("reference", res->reference, digits);
  printf(",\n  \"reference_error\": {");
  for (int q = 0; q < ADEIS_Q_COUNT; q++) {
    printf("%s\"%s\": ", q ? ", " : "", adeis_quantity_names[q]);
    if (res->reference[q] && mpfr_number_p(res->reference_error[q]))
      mpfr_printf("\"%.6Re\"", res->reference_error[q]);
    else
      fputs("null", stdout);
  }
  printf("},\n  \"reference_steps\": %zu", res->reference_steps);
}

static void print_json(const adeis_grad_request *rq, const adeis_grad_result *res)
{
  int digits = digits_for(rq->precision);
  printf("{\n  \"method\": \"%s\",\n  \"steps\": %zu,\n  \"precision\": %ld,\n"
         "  \"grid\": \"%s\",\n  \"state\": \"%s\",\n  \"sde\": %s,\n"
         "  \"nfe\": %lu,\n  \"nvjp\": %lu,\n  \"seconds\": %.6f",
         rq->method, rq->steps, rq->precision, adeis_grid_name(rq->grid),
         adeis_state_name(rq->state), rq->sde ? "true" : "false", res->nfe, res->nvjp,
         res->seconds);
  json_vecs("grad", res->grad, digits);
  json_vecs("exact", res->exact, digits);
  json_reference(res, digits);
  json_errors(res, digits);
  json_discrete(rq, res, digits);
  adeis_backend be;
  printf(",\n  \"backend\": \"%s\"",
         adeis_grad_request_backend(rq, &be) == 0 ? be.ops->name : "?");
  puts("\n}");
}

static void print_header(const adeis_grad_request *rq, const adeis_grad_result *res)
{
  const adeis_method *m = adeis_method_lookup(rq->method);
  printf("method     %s (order %u)\n", rq->method, m ? m->order : 0);
  printf("steps      %zu\n", rq->steps);
  printf("grid       %s\n", adeis_grid_name(rq->grid));
  printf("precision  %ld bits%s\n", rq->precision, rq->precision == 53 ? " (double)" : "");
  printf("state      %s\n", adeis_state_name(rq->state));
  printf("equation   %s\n", rq->sde ? "sde (reverse SDE)" : "ode (PF-ODE)");
  printf("nfe        %lu\n", res->nfe);
  printf("nvjp       %lu\n", res->nvjp);
  adeis_store st = adeis_grad_store(rq);
  if (st.kind != ADEIS_STORE_NONE) {
    char name[64];
    adeis_store_format(name, sizeof name, &st, rq->steps);
    printf("store      %s\n", name);
  }
  printf("memory     %zu state vectors at peak, %.0f bytes\n", res->peak_vectors, res->peak_bytes);
  if (!isnan(res->reconstruction_error))
    printf("x_T back   relative error %.6e of the x_T reconstructed by the reversible sweep\n",
           res->reconstruction_error);
  printf("seconds    %.3g\n", res->seconds);
}

/* The reference of quantity q: its relative error estimate, and its values when an exact
 * value took the main column (--reference). */
static void print_reference(int q, const adeis_grad_result *res, mpfr_ptr a)
{
  const adeis_vec *r = res->reference[q];
  if (!r)
    return;
  for (size_t i = 0; res->exact[q] && r->n <= CLI_PRINT_COMPONENTS_MAX && i < r->n; i++) {
    adeis_vec_get(a, r, i);
    mpfr_printf("%-6s %5zu  %24s  %24.16Re (reference)\n", "", i, "", a);
  }
  mpfr_printf("%-6s %5s  reference error estimate %.3Re (%zu steps of %s)\n", "", "",
              res->reference_error[q], res->reference_steps, "rk4-lambda");
}

/* A long vector as its norm beside the exact or reference value's norm. */
static void print_norms(int q, const adeis_vec *g, const adeis_vec *e)
{
  printf("%-6s %5s  %24.16e", adeis_quantity_names[q], "|.|_2", cli_norm(g));
  if (e)
    printf("  %24.16e\n", cli_norm(e));
  else
    printf("  %24s\n", "n/a");
  printf("%-6s %5s  (%zu components; --vectors FILE writes them all)\n", "", "", g->n);
}

static void print_quantity(int q, const adeis_grad_result *res, mpfr_ptr a, mpfr_ptr b)
{
  const adeis_vec *g = res->grad[q], *e = res->exact[q] ? res->exact[q] : res->reference[q];
  size_t n = g ? g->n : 0;
  if (n > CLI_PRINT_COMPONENTS_MAX) {
    print_norms(q, g, e);
    n = 0;
  }
  for (size_t i = 0; i < n; i++) {
    adeis_vec_get(a, g, i);
    mpfr_printf("%-6s %5zu  %24.16Re", i ? "" : adeis_quantity_names[q], i, a);
    if (e) {
      adeis_vec_get(b, e, i);
      mpfr_printf("  %24.16Re\n", b);
    } else {
      printf("  %24s\n", "n/a");
    }
  }
  double err = mpfr_get_d(res->rel_error[q], MPFR_RNDN);
  if (e && !isnan(err))
    printf("%-6s %5s  relative error %.6e%s\n", "", "", err,
           res->exact[q] ? "" : " (against the reference)");
  else
    printf("%-6s %5s  relative error n/a\n", "", "");
  double ed = mpfr_get_d(res->rel_error_discrete[q], MPFR_RNDN);
  if (g && !isnan(ed))
    printf("%-6s %5s  vs discrete    %.6e\n", "", "", ed);
  print_reference(q, res, a);
  putchar('\n');
}

/* backsolve: how well the noise-ward integration reproduced x_T */
static void print_backsolve(const adeis_problem *pb, const adeis_grad_result *res)
{
  if (!res->x_T_backsolved)
    return;
  mpfr_t d;
  mpfr_init2(d, 64);
  adeis_vec_rel_dist(d, res->x_T_backsolved, pb->x_T);
  mpfr_printf("x_T back   relative error %.6Re of the x_T reconstructed by backsolve\n", d);
  mpfr_clear(d);
}

static void print_table(const adeis_problem *pb, const adeis_grad_request *rq,
                        const adeis_grad_result *res)
{
  print_header(rq, res);
  print_backsolve(pb, res);
  printf("\n%-6s %5s  %24s  %24s\n", "grad", "i", "computed", "exact (or reference)");
  mpfr_t a, b;
  mpfr_inits2(rq->precision, a, b, (mpfr_ptr)0);
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    print_quantity(q, res, a, b);
  mpfr_clears(a, b, (mpfr_ptr)0);
}

/* ---- running ---- */

static int report(int status)
{
  const char *msg = adeis_errmsg();
  if (status == ADEIS_ENOMEM && !*msg)
    msg = "out of memory";
  fprintf(stderr, "adeis: %s\n", msg);
  return cli_exit_code(status);
}

/* Safety net: a result that is not finite is a numerical failure, never output. */
static int check_finite(const adeis_grad_result *res)
{
  for (int q = 0; q < ADEIS_Q_COUNT; q++)
    if (res->grad[q] && !adeis_vec_isfinite(res->grad[q])) {
      adeis_set_error("the computed dL/d%s is not finite (NaN or infinity)",
                      adeis_quantity_names[q]);
      return ADEIS_ENUMERIC;
    }
  return ADEIS_OK;
}

static int run_grad(const grad_opts *o)
{
  adeis_problem_spec spec;
  adeis_problem pb;
  adeis_grad_result res;
  memset(&res, 0, sizeof res);
  int rc = adeis_problem_load(o->problem, &spec);
  if (rc)
    return report(rc);
  rc = adeis_problem_build_on(&spec, o->rq.backend, o->rq.precision, &pb);
  if (!rc) {
    adeis_grad_request rq = o->rq;
    rq.spec = &spec; /* references rebuild the problem at a higher precision */
    /* no exact gradients (a network, a mixture): the costly reference solve only on request,
     * and without a flow no oracle states by default (they come from a converged solve too) */
    if (!rq.want_reference && !rq.ref_max_steps && !adeis_model_has(&pb.model, ADEIS_CAP_EXACT_ODE)) {
      rq.want_reference = -1;
      if (!o->have_state && !adeis_model_has(&pb.model, ADEIS_CAP_FLOW))
        rq.state = ADEIS_STATE_CACHED;
    }
    rc = adeis_grad_compute(&pb, &rq, &res);
    if (!rc)
      rc = check_finite(&res);
    if (!rc && o->vectors)
      rc = cli_write_vectors(o->vectors, &pb, &rq, &res);
    json_norms_only = o->vectors != NULL;
    if (!rc && o->json)
      print_json(&rq, &res);
    else if (!rc)
      print_table(&pb, &rq, &res);
    adeis_grad_result_clear(&res);
    adeis_problem_clear(&pb);
  }
  adeis_problem_spec_clear(&spec);
  return rc ? report(rc) : 0;
}

int adeis_cmd_grad(int argc, char **argv)
{
  grad_opts o;
  memset(&o, 0, sizeof o);
  adeis_grad_request_init(&o.rq);
  int rc = parse_grad_options(&o, argc, argv);
  if (rc)
    return rc < 0 ? 0 : rc;
  /* rel_error_discrete: for the discrete adjoints (their store-all run), null for the rest */
  const adeis_method *m = adeis_method_lookup(o.rq.method);
  o.rq.discrete_error = m && (m->flags & ADEIS_METHOD_DISCRETE);
  if ((rc = adeis_grad_check(&o.rq)))
    return report(rc);
  return run_grad(&o);
}

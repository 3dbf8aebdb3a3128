/* examples/grad.c: load a problem file, compute one gradient, print it.
 *
 *   cc grad.c $(pkg-config --cflags --libs adeis) -o grad
 *   ./grad problems/worked.ini adjdeis-2m 1024
 *
 * Prints dL/dx_T, dL/dz and dL/dtheta component by component with the exact values (where
 * the model has them) and each relative error; exit 0 on success, 2 on bad input, 3 on a
 * numerical failure. */
#include <adeis/adeis.h>

#include <stdio.h>
#include <stdlib.h>

static int fail(int status)
{
  fprintf(stderr, "grad: %s\n", adeis_errmsg());
  return status == ADEIS_EINPUT ? 2 : 3;
}

static void print_quantity(const adeis_grad_result *res, int q)
{
  const adeis_vec *g = res->grad[q], *e = res->exact[q];
  if (!g)
    return;
  for (size_t i = 0; i < g->n; i++)
    printf("%-5s %3zu  % .17e  % .17e\n", adeis_quantity_names[q], i, adeis_vec_get_d(g, i),
           e ? adeis_vec_get_d(e, i) : 0.0);
  if (e)
    printf("%-5s relative error %.6e\n", adeis_quantity_names[q],
           mpfr_get_d(res->rel_error[q], MPFR_RNDN));
}

int main(int argc, char **argv)
{
  if (argc != 4) {
    fprintf(stderr, "usage: grad PROBLEM.ini METHOD STEPS\n");
    return 2;
  }
  adeis_grad_request rq;
  adeis_grad_request_init(&rq);          /* uniform-lambda, 256 bits, oracle states, PF-ODE */
  rq.method = argv[2];
  rq.steps = strtoul(argv[3], NULL, 10);
  int rc = adeis_grad_check(&rq);
  if (rc)
    return fail(rc);

  adeis_problem_spec spec;               /* the parsed file: owned by the caller */
  if ((rc = adeis_problem_load(argv[1], &spec)))
    return fail(rc);
  adeis_problem pb;                      /* the problem built at the run's precision */
  rc = adeis_problem_build(&spec, rq.precision, &pb);
  if (!rc) {
    adeis_grad_result res;               /* always safe to clear after compute */
    rc = adeis_grad_compute(&pb, &rq, &res);
    if (!rc)
      for (int q = 0; q < ADEIS_Q_COUNT; q++)
        print_quantity(&res, q);
    adeis_grad_result_clear(&res);
    adeis_problem_clear(&pb);
  }
  adeis_problem_spec_clear(&spec);
  return rc ? fail(rc) : 0;
}

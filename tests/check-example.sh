#!/bin/sh
# Runs examples/grad.c (built against the installed library) on the worked example and checks
# its numbers against independent answers: the exact dL/dx_T of docs/math.md section 11 and the
# relative error adeis grad reports for the same run (adjdeis-2m, N = 1024: 5.292724e-04).
set -eu
bin=$1
out=$("$bin" problems/worked.ini adjdeis-2m 1024)
echo "$out" | awk '
  $1 == "x_T" && $2 == "0" { e0 = $4 }
  $1 == "x_T" && $2 == "relative" { err = $4 }
  END {
    exact0 = 0.067991326192542021852
    if (e0 == "" || (e0 - exact0) > 1e-15 || (exact0 - e0) > 1e-15) { print "example: exact x_T[0] " e0 " != " exact0; exit 1 }
    if (err == "" || err < 5.2927e-4 || err > 5.2928e-4) { print "example: relative error " err " != 5.29272e-04"; exit 1 }
    print "check-example: examples/grad.c against the installed library: exact x_T and error ok"
  }'

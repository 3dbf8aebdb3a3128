#!/bin/sh
# MPFR instruction counts per adjoint step (make bench): adjdeis-2m, oracle states, 256 bits,
# uniform-lambda grid, dL/dx_T, dL/dz, dL/dtheta, on the worked example (vp-linear, d = 3) and
# a 4-d vp-cosine problem, against the transcendental floor of a step (one exp for the new grid
# point, one expm1(h), the schedule's inverse t(lambda)). Instruction counts from callgrind
# are repeatable on a shared machine; per-step counts are differences of two runs (N = 512
# and 1024), so set-up and output cancel. Writes the marked section of docs/benchmarks.md.
set -eu
BUILD=${1:-build}
OUT=${2:-docs/benchmarks.md}
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind missing, skipped" >&2; exit 0; }
irefs() {  # total instructions of a command under callgrind
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
    sed -n 's/.*I *refs: *//p' | tr -d ,
}
per_step() {  # problem file
  a=$(irefs "$BUILD/adeis" grad --problem "$1" --method adjdeis-2m --steps 512 --json)
  b=$(irefs "$BUILD/adeis" grad --problem "$1" --method adjdeis-2m --steps 1024 --json)
  echo $(( (b - a) / 512 ))
}
floor() {  # schedule name [no-t]
  a=$(irefs "$BUILD/adeis-bench" --floor "$1" 512 ${2:-})
  b=$(irefs "$BUILD/adeis-bench" --floor "$1" 1024 ${2:-})
  echo $(( (b - a) / 512 ))
}
s1=$(per_step problems/worked.ini); f1=$(floor vp-linear); g1=$(floor vp-linear no-t)
s2=$(per_step bench/vp-cosine-4d.ini); f2=$(floor vp-cosine); g2=$(floor vp-cosine no-t)
text=$(awk -v s1="$s1" -v f1="$f1" -v s2="$s2" -v f2="$f2" -v g1="$g1" -v g2="$g2" \
           -v d="$(date -u +%Y-%m-%d)" 'BEGIN {
  printf "## MPFR instruction counts per step (`make bench`, %s)\n\n", d
  printf "`bench/instructions.sh`: callgrind instruction counts (repeatable on a shared machine) of "
  printf "`adeis grad --method adjdeis-2m --state oracle --precision 256` (dL/dx_T, dL/dz, dL/dtheta), "
  printf "per step as the difference of N = 1024 and N = 512 runs, against the transcendental floor "
  printf "of a step at the scalar precision (320 bits): one exp for the new grid point, one expm1(h) "
  printf "and the schedule`s inverse t(lambda) (`adeis-bench --floor`).\n\n"
  printf "| problem | per step | floor | ratio | goal | floor without t | ratio |\n"
  printf "|---|---|---|---|---|---|---|\n"
  printf "| worked example (vp-linear, d = 3) | %.0fk | %.0fk | %.2f | <= 1.5 | %.0fk | %.2f |\n", s1/1000, f1/1000, s1/f1, g1/1000, s1/g1
  printf "| bench/vp-cosine-4d.ini (vp-cosine, d = 4) | %.0fk | %.0fk | %.2f | <= 1.5 | %.0fk | %.2f |\n", s2/1000, f2/1000, s2/f2, g2/1000, s2/g2
  printf "\nA step no longer computes t at all when neither the method (steps and stages in lambda) "
  printf "nor the model (ADEIS_CAP_NO_T) reads it, so it can come in under the floor that counts "
  printf "the inverse; the last two columns compare it with one exp and one expm1 alone. Before "
  printf "this work (the first version of the model interface) the same runs took 270k and 500k "
  printf "instructions per step.\n"
}')
echo "$text"
sh "$(dirname "$0")/splice.sh" "$OUT" mpfr-instr "$text"

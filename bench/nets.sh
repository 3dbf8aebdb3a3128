#!/bin/sh
# Networks section of make bench: writes the part of docs/benchmarks.md between
# <!-- nets-bench:begin --> and <!-- nets-bench:end -->.
#  1. U-Net eps + VJPs (x, z, theta), batch 64, float and double, against the CPU time of its
#     own OpenBLAS GEMMs (adeis-bench-nets blas);
#  2. the same against PyTorch CPU on the same weights and inputs (bench/torch_nets.py; skipped
#     when Debian's python3-torch is missing: scripts/install-bench-deps.sh installs it);
#  3. MPFR eps + VJPs at 128 and 256 bits, U-Net batch 1 and an MLP;
#  4. peak memory (peak_bytes of adeis grad) of backsolve, store-all and checkpointing,
#     N = 10, 100, 1000, on problems/net-unet.ini (the shipped U-Net, batch 2, double).
# The whole script took 2.6 minutes of CPU (9 of wall time) on the shared 2-core machine.
# ROUNDS, REPS: rounds and repetitions per round (default 3 and 3).
# One thread everywhere (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, torch.set_num_threads);
# times are CPU seconds of the process; adeis and PyTorch runs interleaved in ROUNDS rounds.
set -eu
BUILD=${1:-build}
OUT=${2:-docs/benchmarks.md}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-3}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
PY=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/adeis-nets-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

torch=0
[ -x "$PY" ] && "$PY" -c 'import torch, numpy' 2>/dev/null && torch=1
measure_speed() {
echo "$ROUNDS $REPS" > "$tmp/params.txt"
"$BUILD/adeis-bench-nets" export "$tmp" 64
if [ $torch = 1 ]; then
  "$PY" bench/torch_nets.py "$tmp/unet.safetensors" "$tmp/check.safetensors" --reps 1 \
    > "$tmp/torch-check.txt"
else
  echo "nets.sh: python3-torch missing (scripts/install-bench-deps.sh): PyTorch part skipped" >&2
fi
i=0
while [ $i -lt "$ROUNDS" ]; do
  "$BUILD/adeis-bench-nets" blas "$REPS" >> "$tmp/blas.txt"
  [ $torch = 0 ] || "$PY" bench/torch_nets.py "$tmp/unet.safetensors" "$tmp/check.safetensors" \
    --no-check --reps "$REPS" >> "$tmp/torch.txt"
  i=$((i + 1))
done
}
measure_slow() {
"$BUILD/adeis-bench-nets" mpfr > "$tmp/mpfr.txt"

# memory: peak_bytes and peak_vectors from adeis grad --json (and the CPU seconds of the run)
for n in 10 100 1000; do
  for m in "adjdeis-2m --state backsolve" "dto-dpm-2m --store all" "dto-dpm-2m --store checkpoint"; do
    # shellcheck disable=SC2086
    "$BUILD/adeis" grad --problem problems/net-unet.ini \
      --precision 53 --steps $n --method $m --json > "$tmp/grad.json"
    pv=$(sed -n 's/.*"peak_vectors": *\([0-9]*\).*/\1/p' "$tmp/grad.json")
    pb=$(sed -n 's/.*"peak_bytes": *\([0-9]*\).*/\1/p' "$tmp/grad.json")
    echo "mem $n $(echo "$m" | tr ' ' '_') $pv $pb" >> "$tmp/mem.txt"
  done
done
}
# NETS_BENCH_DATA=DIR: keep the raw measurements in DIR, or format them again from DIR.
# NETS_BENCH_SPEED_ONLY=1 (with NETS_BENCH_DATA holding mpfr.txt and mem.txt): measure parts 1
# and 2 again (after a change to the float or double table), keep the MPFR and memory figures.
if [ -n "${NETS_BENCH_SPEED_ONLY:-}" ] && [ -n "${NETS_BENCH_DATA:-}" ] &&
  [ -f "$NETS_BENCH_DATA/mpfr.txt" ] && [ -f "$NETS_BENCH_DATA/mem.txt" ]; then
  cp "$NETS_BENCH_DATA/mpfr.txt" "$NETS_BENCH_DATA/mem.txt" "$tmp/"
  measure_speed
  cp "$tmp"/*.txt "$NETS_BENCH_DATA/"
elif [ -n "${NETS_BENCH_DATA:-}" ] && [ -f "$NETS_BENCH_DATA/mem.txt" ]; then
  cp "$NETS_BENCH_DATA"/*.txt "$tmp/"
  read -r ROUNDS REPS < "$tmp/params.txt"
  [ -f "$tmp/torch.txt" ] || torch=0
else
  measure_speed
  measure_slow
  [ -z "${NETS_BENCH_DATA:-}" ] || { mkdir -p "$NETS_BENCH_DATA" && cp "$tmp"/*.txt "$NETS_BENCH_DATA/"; }
fi

med() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for ty in float double; do
  grep "^rep $ty " "$tmp/blas.txt" | awk '{ print $3 }' | med > "$tmp/tot.$ty"
  grep "^rep $ty " "$tmp/blas.txt" | awk '{ print $4 }' | med > "$tmp/gemm.$ty"
  grep "^rep $ty " "$tmp/blas.txt" | awk '{ print $3 / $4 }' | med > "$tmp/ratio.$ty"
  if [ $torch = 1 ]; then
    grep "^time $ty " "$tmp/torch.txt" | sed 's/.* all //' | tr ' ' '\n' | med > "$tmp/torch.$ty"
  else
    echo "" > "$tmp/torch.$ty"
  fi
done
text=$(awk -v d="$(date -u +%Y-%m-%d)" -v dir="$tmp" -v torch="$torch" -v rounds="$ROUNDS" -v reps="$REPS" '
function val(f) { getline v < (dir "/" f); close(dir "/" f); return v }
BEGIN {
  while ((getline l < (dir "/blas.txt")) > 0) {
    split(l, a, " ")
    if (a[1] == "float" || a[1] == "double") { calls = a[9]; madds = a[11]; ntheta = a[15]; tick = a[17] }
  }
  if (torch) {
    while ((getline l < (dir "/torch-check.txt")) > 0) {
      split(l, a, " ")
      if (a[1] == "torch") tver = a[2]
      if (a[1] == "check") chk[a[2]] = sprintf("eps %.1e, VJP x %.1e, z %.1e, theta %.1e", a[4], a[6], a[8], a[10])
    }
  }
  while ((getline l < (dir "/mpfr.txt")) > 0) { split(l, a, " "); mp[a[2] " " a[3]] = a[9] }
  nm = 0
  while ((getline l < (dir "/mem.txt")) > 0) { split(l, a, " "); key = a[3]; gsub("_", " ", key); pv[a[2], key] = a[4]; pb[a[2], key] = a[5]; if (!(key in seen)) { seen[key] = 1; order[++nm] = key } }

  printf "## Networks (`make bench`, %s)\n\n", d
  printf "`bench/nets.sh` with `build/adeis-bench-nets` and `bench/torch_nets.py`. The U-Net of "
  printf "docs/networks.md (28 x 28, one channel, base 16, 8 groups, embedding 32, hidden 64, 10 classes, "
  printf "%d parameters) with the seeded uniform initialisation (timings do not depend on the values), ", ntheta
  printf "batch 64, `t` = 0.4375, one-hot `z`: one call computes eps and the VJPs for x, z and theta. "
  printf "One thread everywhere (`OPENBLAS_NUM_THREADS=1`, `OMP_NUM_THREADS=1`, `torch.set_num_threads(1)`); "
  printf "times are CPU seconds of the process (`CLOCK_PROCESS_CPUTIME_ID`, `time.process_time`) on this shared "
  printf "2-core machine, medians of %d interleaved rounds of %d repetitions ", rounds, reps
  printf "(adeis float, double, then PyTorch float32, float64).\n\n"
  printf "**Layers against their GEMMs.** The GEMM time is measured inside the same evaluations: a copy "
  printf "of the float or double table whose `gemm` times each OpenBLAS call (%d calls, %.2f G multiply-adds ", calls, madds / 1e9
  printf "per evaluation: the stride-1 convolutions are nine tap GEMMs on zero-padded planes, docs/networks.md); "
  printf "the process CPU clock is a system call, and the part of its two reads that falls inside each timed "
  printf "call (%d ns, measured on empty intervals) is subtracted per call (without that the GEMM sums would be %.0f ms too long). The total is timed in separate evaluations without the wrapper.\n\n", tick, calls * tick / 1e6
  printf "| table | eps + VJPs | in OpenBLAS GEMMs | ratio | goal |\n|---|---|---|---|---|\n"
  printf "| float | %.3f s | %.3f s | %.2f | <= 1.5 |\n", val("tot.float"), val("gemm.float"), val("ratio.float")
  printf "| double | %.3f s | %.3f s | %.2f | <= 1.5 |\n\n", val("tot.double"), val("gemm.double"), val("ratio.double")
  if (torch) {
    printf "**Against PyTorch %s (CPU, Debian `python3-torch`).** `bench/torch_nets.py` is a PyTorch module ", tver
    printf "written from the architecture of docs/networks.md; it loads the weights file adeis wrote "
    printf "(`adeis_net_save`, F32) and takes eps and the VJPs with autograd. Same inputs as adeis, largest "
    printf "difference relative to the largest adeis value of each output: float64 %s; float32 %s.\n\n", chk["f64"], chk["f32"]
    printf "| precision | adeis | PyTorch | adeis / PyTorch | goal |\n|---|---|---|---|---|\n"
    printf "| float32 | %.3f s | %.3f s | %.2f | <= 1 |\n", val("tot.float"), val("torch.float"), val("tot.float") / val("torch.float")
    printf "| float64 | %.3f s | %.3f s | %.2f | <= 1 |\n\n", val("tot.double"), val("torch.double"), val("tot.double") / val("torch.double")
  } else
    printf "PyTorch comparison skipped: `python3-torch` is not installed (`scripts/install-bench-deps.sh`).\n\n"
  printf "**MPFR.** eps + VJPs (x, z, theta) in one call, CPU seconds, one thread: the U-Net above at batch 1 "
  printf "(one evaluation) and an MLP for 2-d data (width 64, depth 3, embedding 32, hidden 64, no conditioning; "
  printf "median of 7).\n\n"
  printf "| network | 128 bits | 256 bits |\n|---|---|---|\n"
  printf "| U-Net, batch 1 | %.2f s | %.2f s |\n", mp["128 unet"], mp["256 unet"]
  printf "| MLP, batch 1 | %.2f ms | %.2f ms |\n\n", 1000 * mp["128 mlp"], 1000 * mp["256 mlp"]
  printf "**Peak memory on a network.** `peak_bytes` (and `peak_vectors`) that `adeis grad --json` reports "
  printf "for `problems/net-unet.ini`: the shipped U-Net (`nets/models/fmnist-unet.safetensors`) on a batch "
  printf "of two images, double, vp-linear, uniform-lambda grid, no reference solve. The bytes are the "
  printf "state-sized vectors held at once (their number in brackets; a state is 2 x 784 numbers, 12.5 kB) "
  printf "plus the z and theta accumulators (theta: 144401 numbers, 1.16 MB, the same for every method "
  printf "and N); the weights and workspace of the network are not counted (docs/solvers.md). "
  printf "`checkpoint` takes `S = ceil(log2 N)` snapshots. Backsolve stays flat in N, store-all grows "
  printf "by one state per step, checkpointing by one per doubling of N. (The resident set of the "
  printf "`adeis grad` process is no measure of the method: for `dto-*` the command also runs the "
  printf "store-all adjoint for `rel_error_discrete`.) The whole of `bench/nets.sh` (these nine runs included) took 2.6 minutes of CPU (9 minutes of wall time on the loaded machine).\n\n"
  printf "| method | N = 10 | N = 100 | N = 1000 |\n|---|---|---|---|\n"
  for (i = 1; i <= nm; i++) {
    k = order[i]
    printf "| `%s` |", k
    for (n = 10; n <= 1000; n *= 10) printf " %.1f MB (%d) |", pb[n, k] / 1e6, pv[n, k]
    printf "\n"
  }
}')
echo "$text"
sh "$(dirname "$0")/splice.sh" "$OUT" nets-bench "$text"

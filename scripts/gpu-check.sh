#!/usr/bin/env bash
# scripts/gpu-check.sh OUTDIR [DEBDIR]: the one command for a machine with an NVIDIA GPU
# (docs/gpu.md). Builds adeis with nvcc, runs every parity figure of the CUDA backends against
# the CPU backends (build/adeis-gpu-parity: no Criterion needed) and the GPU benchmark, runs
# the PyTorch comparison when a weights file and PyTorch are there, and writes
# OUTDIR/gpu-report.md (device, driver, every parity figure, every timing) in under 8 minutes.
#
# Without package access: given DEBDIR, or when pkg-config does not find the build's
# libraries, the .deb files of DEBDIR (default: the repository's shared/ folder, or
# shared/debs; made on a machine with access by scripts/fetch-debs.sh DIR) are unpacked into
# OUTDIR/prefix (scripts/unpack-debs.sh) and the build uses make DEPS_PREFIX=OUTDIR/prefix.
# Environment: ADEIS_WEIGHTS (default weights/fmnist-unet.safetensors) for the network benchmark
# and the PyTorch comparison; NVCC to name the compiler.
# Exit status: 0 report written and every parity figure ok; 1 a figure failed or a step broke
# (the report says which); 77 no CUDA device (report written, says why); 2 bad usage.
set -uo pipefail
out=${1:?usage: scripts/gpu-check.sh OUTDIR [DEBDIR]}
root=$(cd "$(dirname "$0")/.." && pwd)
debdir=${2:-}
weights=${ADEIS_WEIGHTS:-$root/weights/fmnist-unet.safetensors}
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
report=$out/gpu-report.md
log=$out/gpu-check.log
start=$(date +%s)
: > "$log"
status=0
elapsed() { echo $(( $(date +%s) - start )); }
note() { echo "gpu-check: $*" | tee -a "$log" >&2; }

{
  echo "# adeis GPU check"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- host: $(uname -n), $(nproc) CPUs"
} > "$report"

# ---- the device and driver, as the driver reports them ----
if command -v nvidia-smi >/dev/null; then
  smi=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -4)
else
  smi="nvidia-smi not found"
fi
echo "- nvidia-smi: $smi" >> "$report"

# ---- nvcc ----
nvcc=${NVCC:-$(command -v nvcc || { test -x /usr/local/cuda/bin/nvcc && echo /usr/local/cuda/bin/nvcc; })}
if [ -z "$nvcc" ]; then
  note "no nvcc on PATH or in /usr/local/cuda/bin"
  printf '\n**Not built: no nvcc.**\n' >> "$report"
  exit 1
fi
echo "- nvcc: $("$nvcc" --version | tail -1)" >> "$report"

# ---- dependencies: the system's, or the carried .deb files unpacked into a prefix ----
makeargs=(BUILD=build-gpu NVCC="$nvcc")
if [ -n "$debdir" ] || ! pkg-config --exists gsl mpfr inih openblas jansson 2>/dev/null; then
  if [ -z "$debdir" ]; then
    for d in "$root/shared" "$root/shared/debs"; do
      ls "$d"/*.deb >/dev/null 2>&1 && { debdir=$d; break; }
    done
  fi
  if [ -z "$debdir" ] || ! ls "$debdir"/*.deb >/dev/null 2>&1; then
    note "the build's libraries are missing and no .deb files were found (shared/ or DEBDIR)"
    printf '\n**Not built: libraries missing, no .deb files (scripts/fetch-debs.sh).**\n' >> "$report"
    exit 1
  fi
  bash "$root/scripts/unpack-debs.sh" "$debdir" "$out/prefix" >> "$log" 2>&1 || { note "unpack failed"; exit 1; }
  makeargs+=(DEPS_PREFIX="$out/prefix")
  echo "- libraries: $(ls "$debdir"/*.deb | wc -l) .deb files from $debdir unpacked into $out/prefix" >> "$report"
else
  echo "- libraries: the system's (pkg-config)" >> "$report"
fi

# ---- build (the library, the program, the parity program) ----
b0=$(date +%s)
if ! (cd "$root" && timeout 300 make -j"$(nproc)" "${makeargs[@]}" build-gpu/adeis build-gpu/adeis-gpu-parity) >> "$log" 2>&1; then
  note "build failed (the end of $log):"
  tail -20 "$log" >&2
  { printf '\n**Build failed** (last lines of the log):\n\n```\n'; tail -20 "$log"; printf '```\n'; } >> "$report"
  exit 1
fi
echo "- build: $(( $(date +%s) - b0 )) s" >> "$report"
echo >> "$report"

# ---- parity figures and the benchmark ----
args=()
[ -f "$weights" ] && args+=(--weights "$weights")
# the whole check stays under 8 minutes: the parity program gets what the build left of 450 s
left=$(( 450 - $(elapsed) )); [ "$left" -lt 60 ] && left=60
timeout "$left" "$root/build-gpu/adeis-gpu-parity" "${args[@]}" > "$out/parity.md" 2>> "$log"
rc=$?
cat "$out/parity.md" >> "$report"
case $rc in
  0) ;;
  77) note "$(cat "$out/parity.md")"; status=77 ;;
  124) note "parity program timed out"; echo "**Timed out after $left s.**" >> "$report"; status=1 ;;
  *) note "parity program: exit $rc"; status=1 ;;
esac

# ---- PyTorch (docs/gpu.md): the same weights through its own sampler ----
{
  echo
  echo "## PyTorch comparison"
  echo
  if [ ! -f "$weights" ]; then
    echo "not run: no weights ($weights does not exist)"
  elif ! python3 -c 'import torch' 2>/dev/null; then
    echo "not run: no PyTorch (python3 -c 'import torch' failed)"
  elif [ "$(elapsed)" -gt 420 ]; then
    echo "not run: out of time (the 8 minutes of the check are nearly spent)"
  else
    python3 "$root/bench/torch_unet.py" --weights "$weights" eps "$out/torch-eps.txt" 2>> "$log" &&
      "$root/build-gpu/adeis-gpu-parity" --weights "$weights" --torch-eps "$out/torch-eps.txt" 2>> "$log"
    echo
    timeout $(( 470 - $(elapsed) > 10 ? 470 - $(elapsed) : 10 )) \
      python3 "$root/bench/torch_unet.py" --weights "$weights" bench 2>> "$log" ||
      echo "PyTorch benchmark failed or timed out (see gpu-check.log)"
    echo
    echo "adeis adjdeis-2m / dto-dpm-2m / dto-dpm-1 on cuda-float: not run (networks are not yet models of the samplers)."
  fi
} >> "$report"

echo >> "$report"
echo "Total: $(elapsed) s." >> "$report"
note "report: $report ($(elapsed) s)"
exit $status

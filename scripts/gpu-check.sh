#!/usr/bin/env bash
# scripts/gpu-check.sh OUTDIR [DEBDIR]: the one command for a machine with an NVIDIA GPU
# (docs/gpu.md). Builds adeis with nvcc into build-gpu/, runs every parity figure of the CUDA
# backends against the CPU backends (build-gpu/adeis-gpu-parity: no Criterion needed), the GPU
# benchmark, and the PyTorch comparison (bench/torch_unet.py: the same weights through its own
# DPM-Solver-2M by autograd, against adeis's adjoints on cuda-float) when PyTorch is there, and
# writes OUTDIR/gpu-report.md (device, driver, every parity figure, every timing) in under 8
# minutes: every step runs under `timeout`, within what the steps before it left.
#
# Without package access: given DEBDIR, or when pkg-config does not find the build's
# libraries, the .deb files of DEBDIR (default: the repository's shared/ folder, or
# shared/debs; made on a machine with access by scripts/fetch-debs.sh DIR) are unpacked into
# OUTDIR/prefix (scripts/unpack-debs.sh) and the build uses make DEPS_PREFIX=OUTDIR/prefix.
# Environment: ADEIS_WEIGHTS (default nets/models/fmnist-unet.safetensors, the shipped network)
# for the benchmarks and the PyTorch comparison; NVCC to name the compiler; PYTHON (default
# python3) for PyTorch.
# Exit status: 0 report written and every parity figure ok; 1 a figure failed or a step broke
# (the report says which); 77 no CUDA device (report written, says why); 2 bad usage.
set -uo pipefail
out=${1:?usage: scripts/gpu-check.sh OUTDIR [DEBDIR]}
root=$(cd "$(dirname "$0")/.." && pwd)
debdir=${2:-}
weights=${ADEIS_WEIGHTS:-$root/nets/models/fmnist-unet.safetensors}
py=${PYTHON:-python3}
total=440   # seconds for everything; the steps below share what is left of it
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
report=$out/gpu-report.md
log=$out/gpu-check.log
start=$(date +%s)
: > "$log"
status=0
elapsed() { echo $(( $(date +%s) - start )); }
# seconds a step may take: its cap, or what is left of the total less `reserve`, if less
allow() { local cap=$1 reserve=${2:-0} left; left=$(( total - $(elapsed) - reserve ))
  [ "$left" -lt "$cap" ] && cap=$left; [ "$cap" -lt 5 ] && cap=5; echo "$cap"; }
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
ldp=
if [ -n "$debdir" ] || ! pkg-config --exists gsl mpfr inih openblas jansson zlib 2>/dev/null; then
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
  # the Makefile's $(shell pkg-config ...) does not see the variables it exports (GNU make
  # before 4.4): set them here too, so that the headers come from the prefix as well
  plib=$out/prefix/usr/lib/x86_64-linux-gnu
  export PKG_CONFIG_SYSROOT_DIR=$out/prefix
  export PKG_CONFIG_LIBDIR=$plib/pkgconfig:$plib/openblas-pthread/pkgconfig:$out/prefix/usr/share/pkgconfig
  # the programs' rpath serves their own NEEDED entries only: the libraries those need in turn
  # (libgslcblas for GSL, libgfortran and libquadmath for OpenBLAS) are found through this
  ldp=$plib:$plib/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  # no pkg-config on the machine: the prefix's pkgconf, its library found through a wrapper
  # (not through make's environment: the compiler must keep its own libraries)
  if ! command -v pkg-config >/dev/null && [ -x "$out/prefix/usr/bin/pkgconf" ]; then
    mkdir -p "$out/bin"
    printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$plib" "$out/prefix/usr/bin/pkgconf" > "$out/bin/pkg-config"
    chmod +x "$out/bin/pkg-config"
    export PATH=$out/bin:$PATH
    echo "- pkg-config: the prefix's pkgconf" >> "$report"
  fi
  echo "- libraries: $(ls "$debdir"/*.deb | wc -l) .deb files from $debdir unpacked into $out/prefix" >> "$report"
else
  echo "- libraries: the system's (pkg-config)" >> "$report"
fi

# ---- build (the library, the program, the parity program) ----
b0=$(date +%s)
if ! (cd "$root" && timeout "$(allow 300 120)" make -j"$(nproc)" "${makeargs[@]}" build-gpu/adeis build-gpu/adeis-gpu-parity) >> "$log" 2>&1; then
  note "build failed (the end of $log):"
  tail -20 "$log" >&2
  { printf '\n**Build failed** (last lines of the log):\n\n```\n'; tail -20 "$log"; printf '```\n'; } >> "$report"
  exit 1
fi
echo "- build: $(( $(date +%s) - b0 )) s" >> "$report"
echo >> "$report"

# ---- parity figures ----
# adeis-gpu-parity, with the prefix's libraries on the loader's path when they are used
par=("$root/build-gpu/adeis-gpu-parity")
[ -n "$ldp" ] && par=(env "LD_LIBRARY_PATH=$ldp" "${par[@]}")
t=$(allow 150 150)
(cd "$root" && timeout "$t" "${par[@]}" --root "$root") > "$out/parity.md" 2>> "$log"
rc=$?
cat "$out/parity.md" >> "$report"
case $rc in
  0) ;;
  77) note "$(cat "$out/parity.md")"; status=77 ;;
  124) note "parity program timed out"; echo "**Timed out after $t s.**" >> "$report"; status=1 ;;
  *) note "parity program: exit $rc"; status=1 ;;
esac

wargs=()
[ -f "$weights" ] && wargs=(--weights "$weights")
if [ "$status" -ne 77 ]; then
  # ---- vector ops and one network evaluation ----
  echo >> "$report"
  timeout "$(allow 60 120)" "${par[@]}" --bench "${wargs[@]}" >> "$report" 2>> "$log" ||
    { note "benchmark failed or timed out"; echo "**Benchmark failed or timed out.**" >> "$report"; }
fi

# ---- PyTorch (docs/gpu.md): the same weights through its own sampler ----
{
  echo
  echo "## PyTorch comparison"
  echo
} >> "$report"
torch_ok=0
if [ ! -f "$weights" ]; then
  echo "not run: no weights ($weights does not exist)" >> "$report"
elif ! "$py" -c 'import torch' 2>> "$log"; then
  echo "not run: no PyTorch ($py -c 'import torch' failed)" >> "$report"
else
  torch_ok=1
  echo "PyTorch $("$py" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>> "$log")." >> "$report"
  echo >> "$report"
  # the module and its sampler against adeis, in double on the CPU (no device needed)
  echo "| check | quantity | difference | tolerance | |" >> "$report"
  echo "|---|---|---|---|---|" >> "$report"
  if timeout "$(allow 30)" "$py" "$root/bench/torch_unet.py" --weights "$weights" eps "$out/torch-eps.txt" 2>> "$log"; then
    "${par[@]}" --weights "$weights" --torch-eps "$out/torch-eps.txt" >> "$report" 2>> "$log" ||
      status=$(( status == 0 ? 1 : status ))
  else
    echo "| torch_unet.py eps | | failed | | **FAIL** |" >> "$report"; status=$(( status == 0 ? 1 : status ))
  fi
  # its gradient through its DPM-Solver-2M against adeis's discrete adjoint of that sampler,
  # batch 2 on the CPU: float64 against double at N = 4, float32 against float at N = 10
  for c in "float64 double 4" "float32 float 10"; do
    set -- $c
    d=$out/torch-grad-$1
    rm -rf "$d"
    if timeout "$(allow 60)" "$py" "$root/bench/torch_unet.py" --weights "$weights" grad "$d" --steps "$3" --batch 2 --dtype "$1" 2>> "$log"; then
      timeout "$(allow 60)" "${par[@]}" --torch-grad "$d" --steps "$3" --backend "$2" >> "$report" 2>> "$log" ||
        status=$(( status == 0 ? 1 : status ))
    else
      echo "| torch_unet.py grad --dtype $1 | | failed | | **FAIL** |" >> "$report"; status=$(( status == 0 ? 1 : status ))
    fi
  done
fi

torch_gpu=0
[ "$torch_ok" = 1 ] && "$py" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>> "$log" &&
  torch_gpu=1
if [ "$status" -ne 77 ] && [ -f "$weights" ]; then
  # the timings on the GPU: with PyTorch, each side gets half of what is left (less 20 s for
  # the report), at most 150 s; a budget is spent by predicted run times, `timeout` is the stop
  budget() { local b=$(( (total - $(elapsed) - 20) / $1 )); [ "$b" -gt 150 ] && b=150; [ "$b" -lt 10 ] && b=10; echo "$b"; }
  mkdir -p "$out/bench-grad"
  printf '\n### adeis on cuda-float (adeis-gpu-parity --bench-grad)\n\n' >> "$report"
  b=$(budget $(( torch_gpu ? 2 : 1 )))
  timeout $(( b + 30 )) "${par[@]}" --bench-grad "$out/bench-grad" --weights "$weights" \
    --budget "$b" >> "$report" 2>> "$log"
  rc=$?
  [ "$rc" -eq 0 ] || { note "adeis gradient benchmark: exit $rc"; status=$(( status == 0 ? 1 : status )); }
  printf '\n### PyTorch eager, autograd through its own DPM-Solver-2M (torch_unet.py bench)\n\n' >> "$report"
  if [ "$torch_gpu" = 1 ]; then
    b=$(budget 1)
    timeout $(( b + 30 )) "$py" "$root/bench/torch_unet.py" --weights "$weights" bench --device cuda \
      --budget "$b" --tsv "$out/bench-grad/torch.tsv" >> "$report" 2>> "$log" ||
      { note "PyTorch benchmark failed or timed out"; status=$(( status == 0 ? 1 : status ))
        echo "PyTorch benchmark failed or timed out (see gpu-check.log)." >> "$report"; }
  else
    echo "not run: no PyTorch with CUDA (torch.cuda.is_available() is not true)" >> "$report"
  fi
  printf '\n### Comparison\n\n' >> "$report"
  if [ -s "$out/bench-grad/adeis.tsv" ] && [ -s "$out/bench-grad/torch.tsv" ]; then
    "$py" "$root/bench/torch_unet.py" report "$out/bench-grad/adeis.tsv" "$out/bench-grad/torch.tsv" >> "$report" 2>> "$log"
  else
    echo "not made: a side has no timings (see above and gpu-check.log)" >> "$report"
  fi
fi

echo >> "$report"
echo "Total: $(elapsed) s." >> "$report"
note "report: $report ($(elapsed) s)"
exit $status

#!/usr/bin/env bash
# Install the Debian packages adeis needs. Idempotent: does nothing when all are present.
#   scripts/install-deps.sh           what make and make check need
#   scripts/install-deps.sh cluster   only what make check-cluster adds: a local Slurm
#                                     (slurm-wlm, munge; scripts/slurm-local.sh) and procps
#                                     (pgrep, for the test's killed shard)
#   scripts/install-deps.sh fuzz      only what make fuzz adds: the libFuzzer runtime and
#                                     clang's OpenMP runtime
#   scripts/install-deps.sh bench     optional packages for make bench (not needed by make,
#                                     make check or CI): PyTorch for bench/torch_nets.py,
#                                     valgrind for bench/instructions.sh
# texlive-latex-recommended (booktabs, with graphicx and color from texlive-latex-base):
# the test that compiles a paper with the LaTeX tables and figures (skipped without it).
set -eu
pkgs="build-essential pkg-config libgsl-dev libmpfr-dev libgmp-dev libcriterion-dev libinih-dev gnuplot-nox libopenblas-dev libjansson-dev clang texlive-latex-recommended zlib1g-dev dataset-fashion-mnist"
case "${1:-}" in
  cluster) pkgs="slurm-wlm munge procps" ;;
  fuzz) pkgs="clang libclang-rt-14-dev libomp-14-dev" ;;
  bench) pkgs="python3-torch python3-numpy valgrind" ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
if [ "${1:-}" = cluster ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  # the packages would start their daemons with the system's configuration; we start our
  # own (scripts/slurm-local.sh): deny service starts while installing
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod 755 /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing

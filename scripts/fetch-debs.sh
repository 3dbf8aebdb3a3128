#!/usr/bin/env bash
# scripts/fetch-debs.sh DIR: download (do not install) the Debian packages the build needs into
# DIR, on a machine that has package access, so that a machine without it (a GPU machine) can
# unpack them into a private prefix (scripts/unpack-debs.sh) and build against that prefix.
# The packages are the libraries and their -dev packages: GSL, MPFR, GMP, inih, jansson,
# OpenBLAS (and the Fortran runtime it needs), zlib, and pkg-config itself (pkgconf), which a
# machine without Debian's packages may lack; the C library, compiler and its runtime are
# assumed present on the target. Prints the files fetched.
set -euo pipefail
dir=${1:?usage: scripts/fetch-debs.sh DIR}
mkdir -p "$dir"
pkgs="libgsl-dev libgsl27 libgslcblas0 libmpfr-dev libmpfr6 libgmp-dev libgmp10 libgmpxx4ldbl
      libinih-dev libinih1 libinireader0 libjansson-dev libjansson4
      libopenblas-dev libopenblas-pthread-dev libopenblas0 libopenblas0-pthread libgfortran5
      libquadmath0 zlib1g-dev zlib1g pkgconf pkgconf-bin libpkgconf3"
cd "$dir"
if ! apt-get download $pkgs >/dev/null 2>download.log; then
  # an out-of-date package list is the usual cause: refresh it once (needs root) and retry
  [ "$(id -u)" -eq 0 ] && apt-get update -qq && apt-get download $pkgs >/dev/null 2>download.log ||
    { cat download.log >&2; echo "fetch-debs: apt-get download failed" >&2; exit 1; }
fi
rm -f download.log
ls -1 ./*.deb

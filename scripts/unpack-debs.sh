#!/usr/bin/env bash
# scripts/unpack-debs.sh DEBDIR PREFIX: unpack every .deb of DEBDIR into PREFIX with dpkg -x
# (no root, no maintainer scripts) and repair what the maintainer scripts would have done:
# OpenBLAS's libopenblas.so and libblas.so are alternatives links, made here by hand.
# Then `make DEPS_PREFIX=PREFIX` builds against the libraries under PREFIX.
set -euo pipefail
debs=${1:?usage: scripts/unpack-debs.sh DEBDIR PREFIX}
prefix=${2:?usage: scripts/unpack-debs.sh DEBDIR PREFIX}
mkdir -p "$prefix"
n=0
for d in "$debs"/*.deb; do
  [ -e "$d" ] || { echo "unpack-debs: no .deb files in $debs" >&2; exit 1; }
  dpkg -x "$d" "$prefix"
  n=$((n + 1))
done
lib="$prefix/usr/lib/x86_64-linux-gnu"
if [ -d "$lib/openblas-pthread" ]; then
  for so in libopenblas.so libopenblas.so.0 libblas.so libblas.so.3 libcblas.so libcblas.so.3; do
    [ -e "$lib/openblas-pthread/$so" ] && ln -sfn "openblas-pthread/$so" "$lib/$so"
  done
fi
echo "unpack-debs: $n packages unpacked into $prefix"

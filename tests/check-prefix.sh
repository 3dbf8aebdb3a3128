#!/bin/sh
# make check-prefix: the two halves of building without package access, tried on this machine.
# 1. scripts/fetch-debs.sh downloads the packages; 2. scripts/unpack-debs.sh unpacks them into a
# scratch prefix; then the library and program are built against that prefix only
# (make DEPS_PREFIX=...): the compiler gets the prefix's headers, the program must load MPFR
# and GSL from the prefix (ldd), and its gradient of the worked example must equal the normal
# build's, digit for digit.
set -eu
work=$(mktemp -d /tmp/adeis-prefix-XXXXXX)
trap 'rm -rf "$work"' EXIT
bash scripts/fetch-debs.sh "$work/debs" >/dev/null
bash scripts/unpack-debs.sh "$work/debs" "$work/prefix"
make --no-print-directory BUILD=build-prefix DEPS_PREFIX="$work/prefix" build-prefix/adeis >/dev/null
# the headers too come from the prefix (make's $(shell pkg-config) must see the prefix's settings)
make --no-print-directory -n -B BUILD=build-prefix DEPS_PREFIX="$work/prefix" build-prefix/core/backend_mpfr.o |
  grep -q -- "-I$work/prefix/usr/include" ||
  { echo "check-prefix: the compiler is not given the prefix's headers"; exit 1; }
for lib in libmpfr libgsl; do
  ldd build-prefix/adeis | grep "$lib" | grep -q "$work/prefix" ||
    { echo "check-prefix: $lib not loaded from the prefix:"; ldd build-prefix/adeis; exit 1; }
done
make --no-print-directory build/adeis >/dev/null
a=$(build-prefix/adeis grad --problem problems/worked.ini --method adjdeis-2m --steps 64 --json | grep -v seconds)
b=$(build/adeis grad --problem problems/worked.ini --method adjdeis-2m --steps 64 --json | grep -v seconds)
[ "$a" = "$b" ] || { echo "check-prefix: the prefix build computes a different gradient"; exit 1; }
echo "check-prefix: built against $(ls "$work/debs" | wc -l) unpacked packages; same gradient as the normal build"

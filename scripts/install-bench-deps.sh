#!/usr/bin/env bash
# Optional packages for make bench (not needed by make, make check or CI): Debian's PyTorch
# for the comparison in bench/torch_nets.py (bench/nets.sh skips it without them) and
# valgrind for bench/instructions.sh. Idempotent: does nothing when all are present.
set -eu
pkgs="python3-torch python3-numpy valgrind"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-bench-deps: installing$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing

#!/usr/bin/env bash
# Install what `make fuzz` needs besides scripts/install-deps.sh: Debian's clang and the
# libFuzzer runtime (libclang-rt-14-dev on bookworm). Idempotent.
set -eu
bash "$(dirname "$0")/install-deps.sh"
pkgs="clang libclang-rt-14-dev"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-fuzz-deps: installing$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing

#!/usr/bin/env bash
# Install the Debian packages adeis needs. Idempotent: does nothing when all are present.
# texlive-latex-recommended (booktabs, with graphicx and color from texlive-latex-base):
# the test that compiles a paper with the LaTeX tables and figures (skipped without it).
set -eu
pkgs="build-essential pkg-config libgsl-dev libmpfr-dev libgmp-dev libcriterion-dev libinih-dev gnuplot-nox texlive-latex-recommended"
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
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing

#!/bin/sh
# bench/splice.sh OUT NAME TEXT: replace the section between <!-- NAME:begin --> and
# <!-- NAME:end --> of OUT with TEXT (appended when absent), through a temporary file.
set -eu
out=$1; b="<!-- $2:begin -->"; e="<!-- $2:end -->"; text=$3
tmp="$out.tmp.$$"
if grep -q "$b" "$out" 2>/dev/null; then
  awk -v b="$b" -v e="$e" -v t="$text" '
    $0 == b { print b; print t; skip = 1; next }
    $0 == e { print e; skip = 0; next }
    !skip { print }' "$out" > "$tmp"
else
  { cat "$out" 2>/dev/null; printf '%s\n%s\n%s\n' "$b" "$text" "$e"; } > "$tmp"
fi
mv "$tmp" "$out"

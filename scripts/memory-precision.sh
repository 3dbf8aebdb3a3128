#!/bin/bash
# Error against model evaluations and against peak memory for every method line and step
# count of a study file (docs/studies.md, "otd-vs-dto"): runs `adeis grad --json` per point
# (study results do not record memory) and writes, into OUTDIR,
#   memory.csv               method,steps,nfe,nvjp,peak_vectors,peak_bytes,rel_error_x_T,
#                            rel_error_theta,rel_error_discrete_x_T
#   memory-precision.gp      the gnuplot script (re-run it from OUTDIR to restyle)
#   memory-precision.png/pdf two panels: error of dL/dx_T against NFE + NVJP and against
#                            peak bytes
# usage: scripts/memory-precision.sh STUDY.ini OUTDIR [ADEIS_BINARY]   (REPLOT=1: redraw only)
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 STUDY.ini OUTDIR [ADEIS_BINARY]" >&2
  exit 2
fi
study=$1
out=$2
adeis=${3:-build/adeis}
[ -r "$study" ] || { echo "$0: cannot read $study" >&2; exit 2; }
[ -x "$adeis" ] || { echo "$0: no adeis binary at $adeis (make first)" >&2; exit 2; }
mkdir -p "$out"

# value of KEY in section [study] (comments after ';' removed)
study_key() {
  awk -v key="$1" '
    /^\[/ { sec = $0; next }
    sec == "[study]" {
      sub(/;.*/, ""); n = index($0, "=")
      if (n) { k = substr($0, 1, n - 1); v = substr($0, n + 1)
               gsub(/^[ \t]+|[ \t]+$/, "", k); gsub(/^[ \t]+|[ \t]+$/, "", v)
               if (k == key) { print v; exit } }
    }' "$study"
}
methods=$(awk '
  /^\[/ { sec = $0; next }
  sec == "[methods]" {
    sub(/;.*/, ""); n = index($0, "=")
    if (n) { k = substr($0, 1, n - 1); gsub(/^[ \t]+|[ \t]+$/, "", k); print k }
  }' "$study")
problem="$(dirname "$study")/$(study_key problem)"
precision=$(study_key precision)
grid=$(study_key grid)
state=$(study_key state)
steps=$(study_key steps)

csv="$out/memory.csv"
tmp="$out/.memory.csv.tmp"
if [ "${REPLOT:-0}" = 1 ] && [ -r "$csv" ]; then  # REPLOT=1: redraw from an existing memory.csv
  cp "$csv" "$tmp"
else
echo "method,steps,nfe,nvjp,peak_vectors,peak_bytes,rel_error_x_T,rel_error_theta,rel_error_discrete_x_T" > "$tmp"
# one JSON key's value from adeis grad --json (numbers, or the x_T/theta entry of a map)
json_num() { sed -n "s/^  \"$1\": \([0-9.e+-]*\),\{0,1\}\$/\1/p" <<< "$2"; }
json_q() { sed -n "s/^  \"$1\": {.*\"$2\": \"\([^\"]*\)\".*/\1/p" <<< "$3"; }
for label in $methods; do
  base=${label%%@*}
  args=(--state "$state")
  if [ "$base" != "$label" ]; then
    variant=${label#*@}
    case $variant in
      oracle|cached|backsolve) args=(--state "$variant") ;;
      *) args+=(--store "${variant/checkpoint-/checkpoint:}") ;;
    esac
  fi
  for n in $steps; do
    json=$("$adeis" grad --problem "$problem" --method "$base" --steps "$n" --precision "$precision" \
             --grid "$grid" "${args[@]}" --json)
    echo "$label,$n,$(json_num nfe "$json"),$(json_num nvjp "$json"),$(json_num peak_vectors "$json"),$(json_num peak_bytes "$json"),$(json_q rel_error x_T "$json"),$(json_q rel_error theta "$json"),$(json_q rel_error_discrete x_T "$json")" >> "$tmp"
  done
done
fi
mv "$tmp" "$csv"

# gnuplot data: one block per method (nfe + nvjp, peak bytes, error of x_T)
dat="$out/memory.dat"
awk -F, 'NR > 1 { if ($1 != prev) { if (NR > 2) printf "\n\n"; printf "# %s\n", $1; prev = $1 }
                  printf "%d %s %s\n", $3 + $4, $6, $7 }' "$csv" > "$dat"
nseries=$(awk -F, 'NR > 1 { print $1 }' "$csv" | uniq | wc -l)
# per series: title; colour by the base method, point by the variant, dashes for the
# continuous adjoints
styles=$(awk -F, 'NR > 1 { print $1 }' "$csv" | uniq | awk '
  BEGIN { split("#0072B2 #D55E00 #009E73 #CC79A7 #E69F00 #56B4E9 #000000 #999999", pal, " ") }
  { base = $0; sub(/@.*/, "", base); v = ($0 ~ /@/) ? $0 : ""; sub(/^[^@]*@?/, "", v)
    if (!(base in colour)) colour[base] = pal[1 + (nb++ % 8)]
    pt = 7; if (v == "backsolve") pt = 5; if (v == "oracle") pt = 9
    if (v ~ /^checkpoint/) pt = 11; if (v == "reversible") pt = 13
    printf "titles[%d] = \"%s\"; colours[%d] = \"%s\"; points[%d] = %d; dashes[%d] = %d\n",
           NR, $0, NR, colour[base], NR, pt, NR, (base ~ /^dto-/) ? 1 : 2 }')

cat > "$out/memory-precision.gp" <<EOF
# memory-precision.gp: relative error of dL/dx_T against model evaluations (NFE + NVJP) and
# against peak memory (every state-sized vector held at once, in bytes), for the study
# $(study_key name). Written by scripts/memory-precision.sh from memory.csv; re-run from this
# folder with   gnuplot memory-precision.gp
# Colour: the method; points: the state mode or storage policy (circle: cached or store-all,
# square: backsolve, triangle: oracle, down-triangle: checkpointing, diamond: reversible);
# continuous adjoints (adjdeis-*, rk4-*) dashed, discrete adjoints (dto-*) solid.
array titles[$nseries]
array colours[$nseries]
array points[$nseries]
array dashes[$nseries]
$styles
set logscale xy
set format y '10^{%T}'
set format x '10^{%T}'
set grid
set ylabel 'relative error of dL/dx_T'
do for [fmt in 'png pdf'] {
  if (fmt eq 'png') { set terminal pngcairo size 1500,620 font ',11'; set output 'memory-precision.png' }
  if (fmt eq 'pdf') { set terminal pdfcairo size 15in,6.2in font ',11'; set output 'memory-precision.pdf' }
  set multiplot layout 1,2 title 'Continuous (dashed) against discrete (solid) adjoints: error against cost and against memory'
  set xlabel 'model evaluations (NFE + NVJP)'
  unset key
  plot for [i=1:$nseries] 'memory.dat' index (i-1) using 1:3 with linespoints dt dashes[i] \\
       lw 2 pt points[i] ps 1.1 lc rgb colours[i] title titles[i]
  set xlabel 'peak memory (bytes of state-sized vectors; vertical lines: flat in N)'
  set key outside right top font ',9' noenhanced
  plot for [i=1:$nseries] 'memory.dat' index (i-1) using 2:3 with linespoints dt dashes[i] \\
       lw 2 pt points[i] ps 1.1 lc rgb colours[i] title titles[i]
  unset multiplot
  set output
}
EOF
(cd "$out" && gnuplot memory-precision.gp)
echo "$0: $csv, $out/memory-precision.png and .pdf"

#!/bin/bash
# Error against model evaluations and against peak memory for every method line and step
# count of a study file (docs/studies.md, "otd-vs-dto"): runs `adeis grad --json` per point
# (study results do not record memory) and writes, into OUTDIR,
#   memory.csv               method,steps,nfe,nvjp,peak_vectors,peak_bytes,rel_error_x_T,
#                            rel_error_theta,rel_error_discrete_x_T
#   memory-precision.gp      the gnuplot script (re-run it from OUTDIR to restyle)
#   memory-precision.png/pdf three panels: error of dL/dx_T against NFE + NVJP, against
#                            peak bytes where it grows with N, and (linear axis) of the
#                            O(1)-memory series; the legend below the panels
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
# Per series: title; colour by the base method (the name before '@'), point by the
# variant, dashes for the continuous adjoints; flat[i] = 1 when its peak memory is the same
# at every N (O(1) memory: panel c), with its x there (xc[i], bytes) moved apart from the
# series of the same memory by a fixed step. Then the axis ranges, padded so that no point
# touches the frame: y shared by the panels (whole decades, 0.3 decade of room at least);
# x of (a) and (b) a factor 1.5 beyond the data, of (c) 15 % of its span.
styles=$(awk -F, '
  BEGIN { split("#0072B2 #D55E00 #009E73 #CC79A7 #E69F00 #56B4E9 #000000 #999933", pal, " ")
          ylo = clo = mlo = flo = 1e300; yhi = chi = mhi = fhi = -1e300 }
  NR == 1 { next }
  { m = $1; e = $7 + 0; c = $3 + $4; b = $6 + 0
    if (!(m in idx)) { idx[m] = ++n; name[n] = m; bmin[n] = bmax[n] = b }
    i = idx[m]; if (b < bmin[i]) bmin[i] = b; if (b > bmax[i]) bmax[i] = b
    if (e > 0) { if (e < ylo) ylo = e; if (e > yhi) yhi = e }
    if (c < clo) clo = c; if (c > chi) chi = c }
  function fl(x) { return x >= 0 || x == int(x) ? int(x) : int(x) - 1 }
  END {
    for (i = 1; i <= n; i++) {
      m = name[i]; base = m; sub(/@.*/, "", base); v = m; if (!sub(/^[^@]*@/, "", v)) v = ""
      if (!(base in colour)) colour[base] = pal[1 + (nb++ % 8)]
      pt = 7; if (v == "backsolve") pt = 5; if (v == "oracle") pt = 9
      if (v ~ /^checkpoint/) pt = 11; if (v == "reversible") pt = 13
      flat[i] = bmin[i] == bmax[i]
      if (flat[i]) { if (bmin[i] < flo) flo = bmin[i]; if (bmin[i] > fhi) fhi = bmin[i]; nflat++ }
      else { if (bmin[i] < mlo) mlo = bmin[i]; if (bmax[i] > mhi) mhi = bmax[i] }
      printf "titles[%d] = \"%s\"; colours[%d] = \"%s\"; points[%d] = %d; dashes[%d] = %d\n",
             i, m, i, colour[base], i, pt, i, (base ~ /^dto-/) ? 1 : 2
    }
    if (!nflat) { flo = 1; fhi = 2 }
    w = fhi - flo; if (w < 0.2 * fhi) w = 0.2 * fhi
    step = 0.05 * w  # series of equal memory: this far apart in panel (c)
    for (i = 1; i <= n; i++) {
      if (!flat[i]) { printf "flat[%d] = 0; xc[%d] = NaN\n", i, i; continue }
      k = 0; same = 0
      for (j = 1; j <= n; j++) if (flat[j] && bmin[j] == bmin[i]) { same++; if (j < i) k++ }
      printf "flat[%d] = 1; xc[%d] = %.6g\n", i, i, bmin[i] + (k - (same - 1) / 2) * step
      if (same > 1) tied = 1
    }
    if (mlo > mhi) { mlo = flo; mhi = fhi }
    printf "ylo = 1e%d; yhi = 1e%d\n", fl(log(ylo) / log(10) - 0.3), -fl(-(log(yhi) / log(10) + 0.3))
    printf "clo = %.6g; chi = %.6g; mlo = %.6g; mhi = %.6g\n", clo / 1.5, chi * 1.5, mlo / 1.5,
           mhi * 1.5
    printf "flo = %.6g; fhi = %.6g; band_lo = %.6g; band_hi = %.6g\n", flo - 0.15 * w,
           fhi + 0.15 * w, flo / 1.08, fhi * 1.08
    printf "nflat = %d; tied = %d\n", nflat, tied + 0
  }' "$csv")

setting="problem $(basename "$problem" .ini) · $precision-bit arithmetic · grid $grid · ODE adjoint · state $state unless NAME@STATE says otherwise"

cat > "$out/memory-precision.gp" <<EOF
# memory-precision.gp: relative error of dL/dx_T against model evaluations (NFE + NVJP) and
# against peak memory (every state-sized vector held at once, in bytes), for the study
# $(study_key name). Written by scripts/memory-precision.sh from memory.csv; re-run from this
# folder with   gnuplot memory-precision.gp
# Panels: (a) error against cost; (b) against peak memory, the series whose memory grows
# with N (the grey band: where the O(1)-memory series lie); (c) the O(1)-memory series
# (the same memory at every N: a vertical line each) on a linear axis; series of equal
# memory are drawn side by side (xc[i]), as its x label says. Legend below the panels.
# Colour: the method; points: the state mode or storage policy (circle: cached or store-all,
# square: backsolve, triangle: oracle, down-triangle: checkpointing, diamond: reversible);
# continuous adjoints (adjdeis-*, rk4-*) dashed, discrete adjoints (dto-*) solid.
array titles[$nseries]
array colours[$nseries]
array points[$nseries]
array dashes[$nseries]
array flat[$nseries]
array xc[$nseries]
$styles
set encoding utf8
unset key
do for [fmt in 'png pdf'] {
  if (fmt eq 'png') { set terminal pngcairo size 1650,740 enhanced font 'Sans,11'; set output 'memory-precision.png' }
  if (fmt eq 'pdf') { set terminal pdfcairo size 12.4in,5.55in enhanced font 'Sans,8'; set output 'memory-precision.pdf' }
  set multiplot
  set grid lt 1 lc rgb '#dddddd'; set border; set tics
  set logscale y; set format y '10^{%T}'; set yrange [ylo:yhi]
  set label 1 '$(study_key name): continuous (dashed) against discrete (solid) adjoints, error against cost and against memory' at screen 0.5, screen 0.975 center font ',13' noenhanced
  set label 2 '$setting' at screen 0.5, screen 0.945 center noenhanced
  set label 3 'relative error ‖g − g_ref‖₂ / ‖g_ref‖₂ of the computed gradient dL/dx_T against its reference' at screen 0.5, screen 0.918 center noenhanced
  set tmargin at screen 0.85; set bmargin at screen 0.32
  set title '(a) against cost'
  set lmargin at screen 0.065; set rmargin at screen 0.335
  set logscale x; set format x '10^{%T}'; set xrange [clo:chi]
  set xlabel 'model evaluations (NFE + NVJP)'
  set ylabel 'relative error of dL/dx_T'
  plot for [i=1:$nseries] 'memory.dat' index (i-1) using 1:3 with linespoints dt dashes[i] \\
       lw 2 pt points[i] ps 1.1 lc rgb colours[i] notitle
  unset label
  set title '(b) against peak memory: memory growing with N'
  set lmargin at screen 0.39; set rmargin at screen 0.66
  set xrange [mlo:mhi]
  set xlabel 'peak memory in bytes (grey: where the O(1) series of (c) lie)'
  set ylabel ''
  if (nflat) { set object 1 rect from band_lo, graph 0 to band_hi, graph 1 behind fc rgb '#e4e4e4' fs solid noborder }
  plot for [i=1:$nseries] 'memory.dat' index (i-1) using 2:(flat[i] ? NaN : \$3) with linespoints \\
       dt dashes[i] lw 2 pt points[i] ps 1.1 lc rgb colours[i] notitle
  unset object 1
  set title '(c) O(1) memory: the same at every N'
  set lmargin at screen 0.715; set rmargin at screen 0.985
  unset logscale x; set format x '%g'; set xrange [flo:fhi]
  set xlabel (tied ? 'peak bytes, linear axis (equal values side by side)' : 'peak bytes, linear axis')
  plot for [i=1:$nseries] 'memory.dat' index (i-1) using (xc[i]):(flat[i] ? \$3 : NaN) \\
       with linespoints dt dashes[i] lw 2 pt points[i] ps 1.1 lc rgb colours[i] notitle
  # the legend, below the panels
  unset title; unset xlabel; unset ylabel; unset grid; unset border; unset tics
  unset logscale; set xrange [0:1]; set yrange [0:1]
  set lmargin at screen 0.02; set rmargin at screen 0.98
  set tmargin at screen 0.215; set bmargin at screen 0.01
  set key center top horizontal maxcols 4 Left reverse samplen 3 spacing 1.1 width 2 noenhanced
  plot for [i=1:$nseries] NaN with linespoints dt dashes[i] lw 2 pt points[i] ps 1.1 \\
       lc rgb colours[i] title titles[i]
  unset key
  unset multiplot
  set output
}
EOF
(cd "$out" && gnuplot memory-precision.gp)
echo "$0: $csv, $out/memory-precision.png and .pdf"

# memory-precision.gp: relative error of dL/dx_T against model evaluations (NFE + NVJP) and
# against peak memory (every state-sized vector held at once, in bytes), for the study
# otd-vs-dto-gmm. Written by scripts/memory-precision.sh from memory.csv; re-run from this
# folder with   gnuplot memory-precision.gp
# Panels: (a) error against cost; (b) against peak memory, the series whose memory grows
# with N (the grey band: where the O(1)-memory series lie); (c) the O(1)-memory series
# (the same memory at every N: a vertical line each) on a linear axis; series of equal
# memory are drawn side by side (xc[i]), as its x label says. Legend below the panels.
# Colour: the method; points: the state mode or storage policy (circle: cached or store-all,
# square: backsolve, triangle: oracle, down-triangle: checkpointing, diamond: reversible);
# continuous adjoints (adjdeis-*, rk4-*) dashed, discrete adjoints (dto-*) solid.
array titles[15]
array colours[15]
array points[15]
array dashes[15]
array flat[15]
array xc[15]
titles[1] = "adjdeis-1"; colours[1] = "#0072B2"; points[1] = 7; dashes[1] = 2
titles[2] = "adjdeis-1@backsolve"; colours[2] = "#0072B2"; points[2] = 5; dashes[2] = 2
titles[3] = "adjdeis-2m"; colours[3] = "#D55E00"; points[3] = 7; dashes[3] = 2
titles[4] = "adjdeis-2m@backsolve"; colours[4] = "#D55E00"; points[4] = 5; dashes[4] = 2
titles[5] = "rk4-lambda@oracle"; colours[5] = "#009E73"; points[5] = 9; dashes[5] = 2
titles[6] = "rk4-lambda@backsolve"; colours[6] = "#009E73"; points[6] = 5; dashes[6] = 2
titles[7] = "dto-dpm-1"; colours[7] = "#CC79A7"; points[7] = 7; dashes[7] = 1
titles[8] = "dto-dpm-1@checkpoint-4"; colours[8] = "#CC79A7"; points[8] = 11; dashes[8] = 1
titles[9] = "dto-dpm-1@reversible"; colours[9] = "#CC79A7"; points[9] = 13; dashes[9] = 1
titles[10] = "dto-dpm-2m"; colours[10] = "#E69F00"; points[10] = 7; dashes[10] = 1
titles[11] = "dto-dpm-2m@checkpoint-4"; colours[11] = "#E69F00"; points[11] = 11; dashes[11] = 1
titles[12] = "dto-dpm-2s"; colours[12] = "#56B4E9"; points[12] = 7; dashes[12] = 1
titles[13] = "dto-dpm-2s@reversible"; colours[13] = "#56B4E9"; points[13] = 13; dashes[13] = 1
titles[14] = "dto-rk4-lambda"; colours[14] = "#000000"; points[14] = 7; dashes[14] = 1
titles[15] = "dto-rk4-lambda@checkpoint-4"; colours[15] = "#000000"; points[15] = 11; dashes[15] = 1
flat[1] = 0; xc[1] = NaN
flat[2] = 1; xc[2] = 1653.6
flat[3] = 0; xc[3] = NaN
flat[4] = 1; xc[4] = 1706.4
flat[5] = 0; xc[5] = NaN
flat[6] = 1; xc[6] = 1941.6
flat[7] = 0; xc[7] = NaN
flat[8] = 1; xc[8] = 1872
flat[9] = 1; xc[9] = 1994.4
flat[10] = 0; xc[10] = NaN
flat[11] = 1; xc[11] = 2544
flat[12] = 0; xc[12] = NaN
flat[13] = 1; xc[13] = 2256
flat[14] = 0; xc[14] = NaN
flat[15] = 1; xc[15] = 2736
ylo = 1e-15; yhi = 1e5
clo = 16; chi = 367778; mlo = 1440; mhi = 2.36268e+06
flo = 1521.6; fhi = 2894.4; band_lo = 1555.56; band_hi = 2954.88
nflat = 8; tied = 1
set encoding utf8
unset key
do for [fmt in 'png pdf'] {
  if (fmt eq 'png') { set terminal pngcairo size 1650,740 enhanced font 'Sans,11'; set output 'memory-precision.png' }
  if (fmt eq 'pdf') { set terminal pdfcairo size 12.4in,5.55in enhanced font 'Sans,8'; set output 'memory-precision.pdf' }
  set multiplot
  set grid lt 1 lc rgb '#dddddd'; set border; set tics
  set logscale y; set format y '10^{%T}'; set yrange [ylo:yhi]
  set label 1 'otd-vs-dto-gmm: continuous (dashed) against discrete (solid) adjoints, error against cost and against memory' at screen 0.5, screen 0.975 center font ',13' noenhanced
  set label 2 'problem gmm-2d · 128-bit arithmetic · grid uniform-lambda · ODE adjoint · state cached unless NAME@STATE says otherwise' at screen 0.5, screen 0.945 center noenhanced
  set label 3 'relative error ‖g − g_ref‖₂ / ‖g_ref‖₂ of the computed gradient dL/dx_T against its reference' at screen 0.5, screen 0.918 center noenhanced
  set tmargin at screen 0.85; set bmargin at screen 0.32
  set title '(a) against cost'
  set lmargin at screen 0.065; set rmargin at screen 0.335
  set logscale x; set format x '10^{%T}'; set xrange [clo:chi]
  set xlabel 'model evaluations (NFE + NVJP)'
  set ylabel 'relative error of dL/dx_T'
  plot for [i=1:15] 'memory.dat' index (i-1) using 1:3 with linespoints dt dashes[i] \
       lw 2 pt points[i] ps 1.1 lc rgb colours[i] notitle
  unset label
  set title '(b) against peak memory: memory growing with N'
  set lmargin at screen 0.39; set rmargin at screen 0.66
  set xrange [mlo:mhi]
  set xlabel 'peak memory in bytes (grey: where the O(1) series of (c) lie)'
  set ylabel ''
  if (nflat) { set object 1 rect from band_lo, graph 0 to band_hi, graph 1 behind fc rgb '#e4e4e4' fs solid noborder }
  plot for [i=1:15] 'memory.dat' index (i-1) using 2:(flat[i] ? NaN : $3) with linespoints \
       dt dashes[i] lw 2 pt points[i] ps 1.1 lc rgb colours[i] notitle
  unset object 1
  set title '(c) O(1) memory: the same at every N'
  set lmargin at screen 0.715; set rmargin at screen 0.985
  unset logscale x; set format x '%g'; set xrange [flo:fhi]
  set xlabel (tied ? 'peak bytes, linear axis (equal values side by side)' : 'peak bytes, linear axis')
  plot for [i=1:15] 'memory.dat' index (i-1) using (xc[i]):(flat[i] ? $3 : NaN) \
       with linespoints dt dashes[i] lw 2 pt points[i] ps 1.1 lc rgb colours[i] notitle
  # the legend, below the panels
  unset title; unset xlabel; unset ylabel; unset grid; unset border; unset tics
  unset logscale; set xrange [0:1]; set yrange [0:1]
  set lmargin at screen 0.02; set rmargin at screen 0.98
  set tmargin at screen 0.215; set bmargin at screen 0.01
  set key center top horizontal maxcols 4 Left reverse samplen 3 spacing 1.1 width 2 noenhanced
  plot for [i=1:15] NaN with linespoints dt dashes[i] lw 2 pt points[i] ps 1.1 \
       lc rgb colours[i] title titles[i]
  unset key
  unset multiplot
  set output
}

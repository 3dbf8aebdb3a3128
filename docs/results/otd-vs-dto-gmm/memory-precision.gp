# memory-precision.gp: relative error of dL/dx_T against model evaluations (NFE + NVJP) and
# against peak memory (every state-sized vector held at once, in bytes), for the study
# otd-vs-dto-gmm. Written by scripts/memory-precision.sh from memory.csv; re-run from this
# folder with   gnuplot memory-precision.gp
# Colour: the method; points: the state mode or storage policy (circle: cached or store-all,
# square: backsolve, triangle: oracle, down-triangle: checkpointing, diamond: reversible);
# continuous adjoints (adjdeis-*, rk4-*) dashed, discrete adjoints (dto-*) solid.
array titles[15]
array colours[15]
array points[15]
array dashes[15]
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
  plot for [i=1:15] 'memory.dat' index (i-1) using 1:3 with linespoints dt dashes[i] \
       lw 2 pt points[i] ps 1.1 lc rgb colours[i] title titles[i]
  set xlabel 'peak memory (bytes of state-sized vectors; vertical lines: flat in N)'
  set key outside right top font ',9' noenhanced
  plot for [i=1:15] 'memory.dat' index (i-1) using 2:3 with linespoints dt dashes[i] \
       lw 2 pt points[i] ps 1.1 lc rgb colours[i] title titles[i]
  unset multiplot
  set output
}

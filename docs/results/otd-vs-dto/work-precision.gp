# work-precision.gp: relative error against cost, one panel per gradient (columns) and variant (rows), for the study
# otd-vs-dto. Written by adeis from errors.csv and orders.csv: restyle it freely and
# re-run it from this folder with   gnuplot work-precision.gp
# (`adeis plot` writes it anew; keep a restyled copy under another name).
#   errors-Q.dat  one block per series: N, error, cost, NFE, NVJP, seconds, used, mark
#   guides-Q.dat  the expected slope over each fitted range, offset from the data
# Options: gnuplot -e 'formats="png"; outbase="fig"' work-precision.gp

if (!exists("outbase")) outbase = 'work-precision'
if (!exists("formats")) formats = 'png pdf'
set encoding utf8

# One style per legend entry: colour by method (the name before '@'), marker and dash by its variant; a style drawn over one it
# coincides with is thinner (dashed, unless dashes mark variants), has smaller marks
# and is shifted right by the factor dodge[N] (1: not shifted). Open marks: ls N pt
# open_pt[N].
array open_pt[15]
array dodge[15]
set style line 1 lc rgb '#0072B2' lw 2.00 dt 1 pt 7 ps 1.50
open_pt[1] = 6; dodge[1] = 1
set style line 2 lc rgb '#0072B2' lw 2.00 dt 2 pt 5 ps 1.50
open_pt[2] = 4; dodge[2] = 1
set style line 3 lc rgb '#D55E00' lw 2.00 dt 1 pt 7 ps 1.50
open_pt[3] = 6; dodge[3] = 1
set style line 4 lc rgb '#D55E00' lw 2.00 dt 2 pt 5 ps 1.50
open_pt[4] = 4; dodge[4] = 1
set style line 5 lc rgb '#009E73' lw 2.00 dt 3 pt 9 ps 1.50
open_pt[5] = 8; dodge[5] = 1
set style line 6 lc rgb '#009E73' lw 2.00 dt 2 pt 5 ps 1.50
open_pt[6] = 4; dodge[6] = 1
set style line 7 lc rgb '#CC79A7' lw 1.60 dt 1 pt 7 ps 1.27
open_pt[7] = 6; dodge[7] = 1.2
set style line 8 lc rgb '#CC79A7' lw 1.28 dt 4 pt 11 ps 1.08
open_pt[8] = 10; dodge[8] = 1.44
set style line 9 lc rgb '#CC79A7' lw 2.00 dt 5 pt 13 ps 1.50
open_pt[9] = 12; dodge[9] = 1
set style line 10 lc rgb '#E69F00' lw 2.00 dt 1 pt 7 ps 1.50
open_pt[10] = 6; dodge[10] = 1
set style line 11 lc rgb '#E69F00' lw 1.60 dt 4 pt 11 ps 1.27
open_pt[11] = 10; dodge[11] = 1.2
set style line 12 lc rgb '#56B4E9' lw 1.28 dt 1 pt 7 ps 1.08
open_pt[12] = 6; dodge[12] = 1.44
set style line 13 lc rgb '#56B4E9' lw 1.02 dt 5 pt 13 ps 0.92
open_pt[13] = 12; dodge[13] = 1.728
set style line 14 lc rgb '#000000' lw 2.00 dt 1 pt 7 ps 1.50
open_pt[14] = 6; dodge[14] = 1
set style line 15 lc rgb '#000000' lw 1.60 dt 4 pt 11 ps 1.27
open_pt[15] = 10; dodge[15] = 1.2
floor_pt = 2
guide = 'dt (10,6) lw 1.5'

# Legend titles (by style); _tex for the cairolatex variant.
array titles[15]
array titles_tex[15]
titles[1] = 'adjdeis-1'
titles_tex[1] = 'adjdeis-1'
titles[2] = 'adjdeis-1@backsolve'
titles_tex[2] = 'adjdeis-1@backsolve'
titles[3] = 'adjdeis-2m'
titles_tex[3] = 'adjdeis-2m'
titles[4] = 'adjdeis-2m@backsolve'
titles_tex[4] = 'adjdeis-2m@backsolve'
titles[5] = 'rk4-lambda@oracle'
titles_tex[5] = 'rk4-lambda@oracle'
titles[6] = 'rk4-lambda@backsolve'
titles_tex[6] = 'rk4-lambda@backsolve'
titles[7] = 'dto-dpm-1 (drawn shifted right 20 %)'
titles_tex[7] = 'dto-dpm-1 (drawn shifted right 20 \%)'
titles[8] = 'dto-dpm-1@checkpoint-4 (drawn shifted right 44 %)'
titles_tex[8] = 'dto-dpm-1@checkpoint-4 (drawn shifted right 44 \%)'
titles[9] = 'dto-dpm-1@reversible'
titles_tex[9] = 'dto-dpm-1@reversible'
titles[10] = 'dto-dpm-2m'
titles_tex[10] = 'dto-dpm-2m'
titles[11] = 'dto-dpm-2m@checkpoint-4 (drawn shifted right 20 %)'
titles_tex[11] = 'dto-dpm-2m@checkpoint-4 (drawn shifted right 20 \%)'
titles[12] = 'dto-dpm-2s (drawn shifted right 44 %)'
titles_tex[12] = 'dto-dpm-2s (drawn shifted right 44 \%)'
titles[13] = 'dto-dpm-2s@reversible (drawn shifted right 73 %)'
titles_tex[13] = 'dto-dpm-2s@reversible (drawn shifted right 73 \%)'
titles[14] = 'dto-rk4-lambda'
titles_tex[14] = 'dto-rk4-lambda'
titles[15] = 'dto-rk4-lambda@checkpoint-4 (drawn shifted right 20 %)'
titles_tex[15] = 'dto-rk4-lambda@checkpoint-4 (drawn shifted right 20 \%)'
T(i) = tex ? titles_tex[i] : titles[i]

# The setting, for the caption of the cairolatex variant (\adeissetting).
setting = ''
setting_tex = 'problem gaussian-3d, schedule vp-linear $\cdot$ methods: by colour, NAME@VARIANT by marker and dash $\cdot$ grid uniform-lambda $\cdot$ 256-bit arithmetic $\cdot$ ODE adjoint $\cdot$ states: by row; relative error $\|g-g_{\mathrm{ref}}\|_2/\|g_{\mathrm{ref}}\|_2$ of the computed gradient $g$ against its reference $g_{\mathrm{ref}}$; cost $=$ NFE $+\,1\cdot{}$NVJP: model evaluations and vector-Jacobian products, counted separately, weight 1 each'
# The lines above the panels (the first is the heading).
array top[4]
array top_tex[4]
top[1] = 'otd-vs-dto: relative error of each gradient against cost'
top_tex[1] = 'otd-vs-dto: relative error of each gradient against cost'
top[2] = 'problem gaussian-3d, schedule vp-linear · methods: by colour, NAME@VARIANT by marker and dash · grid uniform-lambda · 256-bit arithmetic · ODE adjoint · states: by row'
top_tex[2] = 'problem gaussian-3d, schedule vp-linear $\cdot$ methods: by colour, NAME@VARIANT by marker and dash $\cdot$ grid uniform-lambda $\cdot$ 256-bit arithmetic $\cdot$ ODE adjoint $\cdot$ states: by row'
top[3] = 'relative error ‖g − g_ref‖₂ / ‖g_ref‖₂ of the computed gradient g against its reference g_ref'
top_tex[3] = 'relative error $\|g-g_{\mathrm{ref}}\|_2/\|g_{\mathrm{ref}}\|_2$ of the computed gradient $g$ against its reference $g_{\mathrm{ref}}$'
top[4] = 'cost = NFE + 1·NVJP: model evaluations and vector-Jacobian products, counted separately, weight 1 each'
top_tex[4] = 'cost $=$ NFE $+\,1\cdot{}$NVJP: model evaluations and vector-Jacobian products, counted separately, weight 1 each'

do for [fmt in formats] {
  tex = (fmt eq 'tex')
  if (fmt eq 'png') { set terminal pngcairo size 1310,1255 enhanced font 'Sans,11' }
  if (fmt eq 'pdf') { set terminal pdfcairo size 9.85in,9.44in enhanced font 'Sans,8' }
  if (fmt eq 'svg') { set terminal svg size 1310,1255 enhanced font 'Sans,11' background rgb 'white' }
  if (tex) { set terminal cairolatex pdf size 4.81in,6.69in font ',7' pointscale 0.55 linewidth 0.7 }
  set output tex ? (exists('out_tex') ? out_tex : outbase.'-latex.tex') : \
    (exists('out_'.fmt) ? value('out_'.fmt) : outbase.'.'.fmt)
  set border; set grid xtics ytics lt 1 lc rgb '#dddddd' lw 1
  set logscale x 10; set xrange [13.7929:3.54626e+06]; set xtics 10; set mxtics 10
  set format x tex ? '$10^{%L}$' : '10^{%L}'
  set logscale y 10; set format y tex ? '$10^{%L}$' : '10^{%L}'
  unset key
  set multiplot
  set lmargin at screen (tex ? 0.0954 : 0.0672); set rmargin at screen (tex ? 0.3208 : 0.3252)
  set tmargin at screen (tex ? 0.9605 : 0.8980); set bmargin at screen (tex ? 0.8297 : 0.7131)
  set title tex ? '$\partial L/\partial x_T$: '.'cached' : '∂L/∂x_T'.'  ·  '.'state cached'
  set yrange [1e-18:1e6]; set ytics 1e-18, 1e3, 1e6; set mytics 3
  set xlabel ''
  set ylabel 'relative error'
  unset label
  set label 10 sprintf(tex ? '$p{=}1$' : 'order 1') at first 58225, first 0.0206453 left offset 0.5,0 tc rgb '#444444' front
  set label 11 sprintf(tex ? '$p{=}2$' : 'order 2') at first 58225, first 3.41426e-09 left offset 0.5,0 tc rgb '#444444' front
  set label 12 sprintf(tex ? '$p{=}4$' : 'order 4') at first 245185, first 7.95887e-17 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-x_T.dat' index 0 using 3:2 with lines ls 1 notitle, \
    '' index 0 using 3:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 0 using 3:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 0 using 3:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 2 using 3:2 with lines ls 3 notitle, \
    '' index 2 using 3:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 2 using 3:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 2 using 3:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 6 using ($3*dodge[7]):2 with lines ls 7 notitle, \
    '' index 6 using ($3*dodge[7]):($8==0 ? $2 : NaN) with points ls 7 notitle, \
    '' index 6 using ($3*dodge[7]):($8==1 ? $2 : NaN) with points ls 7 pt open_pt[7] notitle, \
    '' index 6 using ($3*dodge[7]):($8==2 ? $2 : NaN) with points ls 7 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 7 using ($3*dodge[8]):2 with lines ls 8 notitle, \
    '' index 7 using ($3*dodge[8]):($8==0 ? $2 : NaN) with points ls 8 notitle, \
    '' index 7 using ($3*dodge[8]):($8==1 ? $2 : NaN) with points ls 8 pt open_pt[8] notitle, \
    '' index 7 using ($3*dodge[8]):($8==2 ? $2 : NaN) with points ls 8 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 8 using 3:2 with lines ls 9 notitle, \
    '' index 8 using 3:($8==0 ? $2 : NaN) with points ls 9 notitle, \
    '' index 8 using 3:($8==1 ? $2 : NaN) with points ls 9 pt open_pt[9] notitle, \
    '' index 8 using 3:($8==2 ? $2 : NaN) with points ls 9 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 9 using 3:2 with lines ls 10 notitle, \
    '' index 9 using 3:($8==0 ? $2 : NaN) with points ls 10 notitle, \
    '' index 9 using 3:($8==1 ? $2 : NaN) with points ls 10 pt open_pt[10] notitle, \
    '' index 9 using 3:($8==2 ? $2 : NaN) with points ls 10 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 10 using ($3*dodge[11]):2 with lines ls 11 notitle, \
    '' index 10 using ($3*dodge[11]):($8==0 ? $2 : NaN) with points ls 11 notitle, \
    '' index 10 using ($3*dodge[11]):($8==1 ? $2 : NaN) with points ls 11 pt open_pt[11] notitle, \
    '' index 10 using ($3*dodge[11]):($8==2 ? $2 : NaN) with points ls 11 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 11 using ($3*dodge[12]):2 with lines ls 12 notitle, \
    '' index 11 using ($3*dodge[12]):($8==0 ? $2 : NaN) with points ls 12 notitle, \
    '' index 11 using ($3*dodge[12]):($8==1 ? $2 : NaN) with points ls 12 pt open_pt[12] notitle, \
    '' index 11 using ($3*dodge[12]):($8==2 ? $2 : NaN) with points ls 12 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 12 using ($3*dodge[13]):2 with lines ls 13 notitle, \
    '' index 12 using ($3*dodge[13]):($8==0 ? $2 : NaN) with points ls 13 notitle, \
    '' index 12 using ($3*dodge[13]):($8==1 ? $2 : NaN) with points ls 13 pt open_pt[13] notitle, \
    '' index 12 using ($3*dodge[13]):($8==2 ? $2 : NaN) with points ls 13 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 13 using 3:2 with lines ls 14 notitle, \
    '' index 13 using 3:($8==0 ? $2 : NaN) with points ls 14 notitle, \
    '' index 13 using 3:($8==1 ? $2 : NaN) with points ls 14 pt open_pt[14] notitle, \
    '' index 13 using 3:($8==2 ? $2 : NaN) with points ls 14 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 14 using ($3*dodge[15]):2 with lines ls 15 notitle, \
    '' index 14 using ($3*dodge[15]):($8==0 ? $2 : NaN) with points ls 15 notitle, \
    '' index 14 using ($3*dodge[15]):($8==1 ? $2 : NaN) with points ls 15 pt open_pt[15] notitle, \
    '' index 14 using ($3*dodge[15]):($8==2 ? $2 : NaN) with points ls 15 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-x_T.dat' index 0 using 2:4 with lines lc rgb '#444444' @guide notitle, \
    'guides-x_T.dat' index 1 using 2:4 with lines lc rgb '#444444' @guide notitle, \
    'guides-x_T.dat' index 2 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.4249 : 0.3954); set rmargin at screen (tex ? 0.6503 : 0.6534)
  set tmargin at screen (tex ? 0.9605 : 0.8980); set bmargin at screen (tex ? 0.8297 : 0.7131)
  set title tex ? '$\partial L/\partial z$: '.'cached' : '∂L/∂z'.'  ·  '.'state cached'
  set yrange [1e-21:1e3]; set ytics 1e-21, 1e3, 1e3; set mytics 3
  set xlabel ''
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}1$' : 'order 1') at first 58225, first 0.0048276 left offset 0.5,0 tc rgb '#444444' front
  set label 11 sprintf(tex ? '$p{=}2$' : 'order 2') at first 58225, first 5.92404e-10 left offset 0.5,0 tc rgb '#444444' front
  set label 12 sprintf(tex ? '$p{=}4$' : 'order 4') at first 59064.7, first 1.4872e-16 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-z.dat' index 0 using 3:2 with lines ls 1 notitle, \
    '' index 0 using 3:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 0 using 3:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 0 using 3:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 2 using 3:2 with lines ls 3 notitle, \
    '' index 2 using 3:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 2 using 3:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 2 using 3:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 6 using ($3*dodge[7]):2 with lines ls 7 notitle, \
    '' index 6 using ($3*dodge[7]):($8==0 ? $2 : NaN) with points ls 7 notitle, \
    '' index 6 using ($3*dodge[7]):($8==1 ? $2 : NaN) with points ls 7 pt open_pt[7] notitle, \
    '' index 6 using ($3*dodge[7]):($8==2 ? $2 : NaN) with points ls 7 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 7 using ($3*dodge[8]):2 with lines ls 8 notitle, \
    '' index 7 using ($3*dodge[8]):($8==0 ? $2 : NaN) with points ls 8 notitle, \
    '' index 7 using ($3*dodge[8]):($8==1 ? $2 : NaN) with points ls 8 pt open_pt[8] notitle, \
    '' index 7 using ($3*dodge[8]):($8==2 ? $2 : NaN) with points ls 8 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 8 using 3:2 with lines ls 9 notitle, \
    '' index 8 using 3:($8==0 ? $2 : NaN) with points ls 9 notitle, \
    '' index 8 using 3:($8==1 ? $2 : NaN) with points ls 9 pt open_pt[9] notitle, \
    '' index 8 using 3:($8==2 ? $2 : NaN) with points ls 9 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 9 using 3:2 with lines ls 10 notitle, \
    '' index 9 using 3:($8==0 ? $2 : NaN) with points ls 10 notitle, \
    '' index 9 using 3:($8==1 ? $2 : NaN) with points ls 10 pt open_pt[10] notitle, \
    '' index 9 using 3:($8==2 ? $2 : NaN) with points ls 10 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 10 using ($3*dodge[11]):2 with lines ls 11 notitle, \
    '' index 10 using ($3*dodge[11]):($8==0 ? $2 : NaN) with points ls 11 notitle, \
    '' index 10 using ($3*dodge[11]):($8==1 ? $2 : NaN) with points ls 11 pt open_pt[11] notitle, \
    '' index 10 using ($3*dodge[11]):($8==2 ? $2 : NaN) with points ls 11 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 11 using ($3*dodge[12]):2 with lines ls 12 notitle, \
    '' index 11 using ($3*dodge[12]):($8==0 ? $2 : NaN) with points ls 12 notitle, \
    '' index 11 using ($3*dodge[12]):($8==1 ? $2 : NaN) with points ls 12 pt open_pt[12] notitle, \
    '' index 11 using ($3*dodge[12]):($8==2 ? $2 : NaN) with points ls 12 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 12 using ($3*dodge[13]):2 with lines ls 13 notitle, \
    '' index 12 using ($3*dodge[13]):($8==0 ? $2 : NaN) with points ls 13 notitle, \
    '' index 12 using ($3*dodge[13]):($8==1 ? $2 : NaN) with points ls 13 pt open_pt[13] notitle, \
    '' index 12 using ($3*dodge[13]):($8==2 ? $2 : NaN) with points ls 13 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 13 using 3:2 with lines ls 14 notitle, \
    '' index 13 using 3:($8==0 ? $2 : NaN) with points ls 14 notitle, \
    '' index 13 using 3:($8==1 ? $2 : NaN) with points ls 14 pt open_pt[14] notitle, \
    '' index 13 using 3:($8==2 ? $2 : NaN) with points ls 14 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 14 using ($3*dodge[15]):2 with lines ls 15 notitle, \
    '' index 14 using ($3*dodge[15]):($8==0 ? $2 : NaN) with points ls 15 notitle, \
    '' index 14 using ($3*dodge[15]):($8==1 ? $2 : NaN) with points ls 15 pt open_pt[15] notitle, \
    '' index 14 using ($3*dodge[15]):($8==2 ? $2 : NaN) with points ls 15 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-z.dat' index 0 using 2:4 with lines lc rgb '#444444' @guide notitle, \
    'guides-z.dat' index 1 using 2:4 with lines lc rgb '#444444' @guide notitle, \
    'guides-z.dat' index 2 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.7543 : 0.7237); set rmargin at screen (tex ? 0.9798 : 0.9817)
  set tmargin at screen (tex ? 0.9605 : 0.8980); set bmargin at screen (tex ? 0.8297 : 0.7131)
  set title tex ? '$\partial L/\partial \theta$: '.'cached' : '∂L/∂θ'.'  ·  '.'state cached'
  set yrange [1e-21:1e3]; set ytics 1e-21, 1e3, 1e3; set mytics 3
  set xlabel ''
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}1$' : 'order 1') at first 58225, first 0.0184502 left offset 0.5,0 tc rgb '#444444' front
  set label 11 sprintf(tex ? '$p{=}2$' : 'order 2') at first 58225, first 3.33283e-09 left offset 0.5,0 tc rgb '#444444' front
  set label 12 sprintf(tex ? '$p{=}4$' : 'order 4') at first 59064.7, first 4.12612e-16 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-theta.dat' index 0 using 3:2 with lines ls 1 notitle, \
    '' index 0 using 3:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 0 using 3:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 0 using 3:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 2 using 3:2 with lines ls 3 notitle, \
    '' index 2 using 3:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 2 using 3:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 2 using 3:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 6 using ($3*dodge[7]):2 with lines ls 7 notitle, \
    '' index 6 using ($3*dodge[7]):($8==0 ? $2 : NaN) with points ls 7 notitle, \
    '' index 6 using ($3*dodge[7]):($8==1 ? $2 : NaN) with points ls 7 pt open_pt[7] notitle, \
    '' index 6 using ($3*dodge[7]):($8==2 ? $2 : NaN) with points ls 7 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 7 using ($3*dodge[8]):2 with lines ls 8 notitle, \
    '' index 7 using ($3*dodge[8]):($8==0 ? $2 : NaN) with points ls 8 notitle, \
    '' index 7 using ($3*dodge[8]):($8==1 ? $2 : NaN) with points ls 8 pt open_pt[8] notitle, \
    '' index 7 using ($3*dodge[8]):($8==2 ? $2 : NaN) with points ls 8 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 8 using 3:2 with lines ls 9 notitle, \
    '' index 8 using 3:($8==0 ? $2 : NaN) with points ls 9 notitle, \
    '' index 8 using 3:($8==1 ? $2 : NaN) with points ls 9 pt open_pt[9] notitle, \
    '' index 8 using 3:($8==2 ? $2 : NaN) with points ls 9 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 9 using 3:2 with lines ls 10 notitle, \
    '' index 9 using 3:($8==0 ? $2 : NaN) with points ls 10 notitle, \
    '' index 9 using 3:($8==1 ? $2 : NaN) with points ls 10 pt open_pt[10] notitle, \
    '' index 9 using 3:($8==2 ? $2 : NaN) with points ls 10 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 10 using ($3*dodge[11]):2 with lines ls 11 notitle, \
    '' index 10 using ($3*dodge[11]):($8==0 ? $2 : NaN) with points ls 11 notitle, \
    '' index 10 using ($3*dodge[11]):($8==1 ? $2 : NaN) with points ls 11 pt open_pt[11] notitle, \
    '' index 10 using ($3*dodge[11]):($8==2 ? $2 : NaN) with points ls 11 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 11 using ($3*dodge[12]):2 with lines ls 12 notitle, \
    '' index 11 using ($3*dodge[12]):($8==0 ? $2 : NaN) with points ls 12 notitle, \
    '' index 11 using ($3*dodge[12]):($8==1 ? $2 : NaN) with points ls 12 pt open_pt[12] notitle, \
    '' index 11 using ($3*dodge[12]):($8==2 ? $2 : NaN) with points ls 12 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 12 using ($3*dodge[13]):2 with lines ls 13 notitle, \
    '' index 12 using ($3*dodge[13]):($8==0 ? $2 : NaN) with points ls 13 notitle, \
    '' index 12 using ($3*dodge[13]):($8==1 ? $2 : NaN) with points ls 13 pt open_pt[13] notitle, \
    '' index 12 using ($3*dodge[13]):($8==2 ? $2 : NaN) with points ls 13 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 13 using 3:2 with lines ls 14 notitle, \
    '' index 13 using 3:($8==0 ? $2 : NaN) with points ls 14 notitle, \
    '' index 13 using 3:($8==1 ? $2 : NaN) with points ls 14 pt open_pt[14] notitle, \
    '' index 13 using 3:($8==2 ? $2 : NaN) with points ls 14 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 14 using ($3*dodge[15]):2 with lines ls 15 notitle, \
    '' index 14 using ($3*dodge[15]):($8==0 ? $2 : NaN) with points ls 15 notitle, \
    '' index 14 using ($3*dodge[15]):($8==1 ? $2 : NaN) with points ls 15 pt open_pt[15] notitle, \
    '' index 14 using ($3*dodge[15]):($8==2 ? $2 : NaN) with points ls 15 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-theta.dat' index 0 using 2:4 with lines lc rgb '#444444' @guide notitle, \
    'guides-theta.dat' index 1 using 2:4 with lines lc rgb '#444444' @guide notitle, \
    'guides-theta.dat' index 2 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.0954 : 0.0672); set rmargin at screen (tex ? 0.3208 : 0.3252)
  set tmargin at screen (tex ? 0.7529 : 0.6510); set bmargin at screen (tex ? 0.6220 : 0.4661)
  set title tex ? 'backsolve' : '∂L/∂x_T'.'  ·  '.'state backsolve'
  set yrange [1e-18:1e6]; set ytics 1e-18, 1e3, 1e6; set mytics 3
  set xlabel ''
  set ylabel 'relative error'
  unset label
  set label 10 sprintf(tex ? '$p{=}1$' : 'order 1') at first 12288, first 0.322261 left offset 0.5,0 tc rgb '#444444' front
  set label 11 sprintf(tex ? '$p{=}2$' : 'order 2') at first 36864, first 2.67053e-09 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-x_T.dat' index 1 using 3:2 with lines ls 2 notitle, \
    '' index 1 using 3:($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 1 using 3:($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 1 using 3:($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 3 using 3:2 with lines ls 4 notitle, \
    '' index 3 using 3:($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 3 using 3:($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 3 using 3:($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 5 using 3:2 with lines ls 6 notitle, \
    '' index 5 using 3:($8==0 ? $2 : NaN) with points ls 6 notitle, \
    '' index 5 using 3:($8==1 ? $2 : NaN) with points ls 6 pt open_pt[6] notitle, \
    '' index 5 using 3:($8==2 ? $2 : NaN) with points ls 6 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-x_T.dat' index 3 using 2:4 with lines lc rgb '#444444' @guide notitle, \
    'guides-x_T.dat' index 4 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.4249 : 0.3954); set rmargin at screen (tex ? 0.6503 : 0.6534)
  set tmargin at screen (tex ? 0.7529 : 0.6510); set bmargin at screen (tex ? 0.6220 : 0.4661)
  set title tex ? 'backsolve' : '∂L/∂z'.'  ·  '.'state backsolve'
  set yrange [1e-21:1e3]; set ytics 1e-21, 1e3, 1e3; set mytics 3
  set xlabel ''
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}1$' : 'order 1') at first 12288, first 0.00253941 left offset 0.5,0 tc rgb '#444444' front
  set label 11 sprintf(tex ? '$p{=}2$' : 'order 2') at first 36864, first 2.64118e-09 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-z.dat' index 1 using 3:2 with lines ls 2 notitle, \
    '' index 1 using 3:($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 1 using 3:($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 1 using 3:($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 3 using 3:2 with lines ls 4 notitle, \
    '' index 3 using 3:($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 3 using 3:($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 3 using 3:($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 5 using 3:2 with lines ls 6 notitle, \
    '' index 5 using 3:($8==0 ? $2 : NaN) with points ls 6 notitle, \
    '' index 5 using 3:($8==1 ? $2 : NaN) with points ls 6 pt open_pt[6] notitle, \
    '' index 5 using 3:($8==2 ? $2 : NaN) with points ls 6 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-z.dat' index 3 using 2:4 with lines lc rgb '#444444' @guide notitle, \
    'guides-z.dat' index 4 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.7543 : 0.7237); set rmargin at screen (tex ? 0.9798 : 0.9817)
  set tmargin at screen (tex ? 0.7529 : 0.6510); set bmargin at screen (tex ? 0.6220 : 0.4661)
  set title tex ? 'backsolve' : '∂L/∂θ'.'  ·  '.'state backsolve'
  set yrange [1e-21:1e3]; set ytics 1e-21, 1e3, 1e3; set mytics 3
  set xlabel ''
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}1$' : 'order 1') at first 12288, first 0.00357563 left offset 0.5,0 tc rgb '#444444' front
  set label 11 sprintf(tex ? '$p{=}2$' : 'order 2') at first 36864, first 1.8283e-08 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-theta.dat' index 1 using 3:2 with lines ls 2 notitle, \
    '' index 1 using 3:($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 1 using 3:($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 1 using 3:($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 3 using 3:2 with lines ls 4 notitle, \
    '' index 3 using 3:($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 3 using 3:($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 3 using 3:($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 5 using 3:2 with lines ls 6 notitle, \
    '' index 5 using 3:($8==0 ? $2 : NaN) with points ls 6 notitle, \
    '' index 5 using 3:($8==1 ? $2 : NaN) with points ls 6 pt open_pt[6] notitle, \
    '' index 5 using 3:($8==2 ? $2 : NaN) with points ls 6 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-theta.dat' index 3 using 2:4 with lines lc rgb '#444444' @guide notitle, \
    'guides-theta.dat' index 4 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.0954 : 0.0672); set rmargin at screen (tex ? 0.3208 : 0.3252)
  set tmargin at screen (tex ? 0.5452 : 0.4040); set bmargin at screen (tex ? 0.4143 : 0.2191)
  set title tex ? 'oracle' : '∂L/∂x_T'.'  ·  '.'state oracle'
  set yrange [1e-18:1e6]; set ytics 1e-18, 1e3, 1e6; set mytics 3
  set xlabel (tex ? 'cost $=$ NFE $+$ NVJP' : 'cost = NFE + NVJP')
  set ylabel 'relative error'
  unset label
  set label 10 sprintf(tex ? '$p{=}4$' : 'order 4') at first 32768, first 4.25575e-17 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-x_T.dat' index 4 using 3:2 with lines ls 5 notitle, \
    '' index 4 using 3:($8==0 ? $2 : NaN) with points ls 5 notitle, \
    '' index 4 using 3:($8==1 ? $2 : NaN) with points ls 5 pt open_pt[5] notitle, \
    '' index 4 using 3:($8==2 ? $2 : NaN) with points ls 5 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-x_T.dat' index 5 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.4249 : 0.3954); set rmargin at screen (tex ? 0.6503 : 0.6534)
  set tmargin at screen (tex ? 0.5452 : 0.4040); set bmargin at screen (tex ? 0.4143 : 0.2191)
  set title tex ? 'oracle' : '∂L/∂z'.'  ·  '.'state oracle'
  set yrange [1e-21:1e3]; set ytics 1e-21, 1e3, 1e3; set mytics 3
  set xlabel (tex ? 'cost $=$ NFE $+$ NVJP' : 'cost = NFE + NVJP')
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}4$' : 'order 4') at first 32768, first 1.85016e-16 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-z.dat' index 4 using 3:2 with lines ls 5 notitle, \
    '' index 4 using 3:($8==0 ? $2 : NaN) with points ls 5 notitle, \
    '' index 4 using 3:($8==1 ? $2 : NaN) with points ls 5 pt open_pt[5] notitle, \
    '' index 4 using 3:($8==2 ? $2 : NaN) with points ls 5 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-z.dat' index 5 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.7543 : 0.7237); set rmargin at screen (tex ? 0.9798 : 0.9817)
  set tmargin at screen (tex ? 0.5452 : 0.4040); set bmargin at screen (tex ? 0.4143 : 0.2191)
  set title tex ? 'oracle' : '∂L/∂θ'.'  ·  '.'state oracle'
  set yrange [1e-21:1e3]; set ytics 1e-21, 1e3, 1e3; set mytics 3
  set xlabel (tex ? 'cost $=$ NFE $+$ NVJP' : 'cost = NFE + NVJP')
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}4$' : 'order 4') at first 32768, first 1.45389e-16 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-theta.dat' index 4 using 3:2 with lines ls 5 notitle, \
    '' index 4 using 3:($8==0 ? $2 : NaN) with points ls 5 notitle, \
    '' index 4 using 3:($8==1 ? $2 : NaN) with points ls 5 pt open_pt[5] notitle, \
    '' index 4 using 3:($8==2 ? $2 : NaN) with points ls 5 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-theta.dat' index 5 using 2:4 with lines lc rgb '#444444' @guide notitle
  unset label; unset title; unset xlabel; unset ylabel; unset grid; unset border
  unset tics; unset logscale; set xrange [0:1]; set yrange [0:1]
  set lmargin at screen 0.02; set rmargin at screen 0.98
  set tmargin at screen (tex ? 0.3533 : 0.1735); set bmargin at screen 0.005
  if (!tex) { set label 91 top[1] at screen 0.5, screen 0.9873 center front noenhanced font ',13' }
  if (!tex) { set label 92 top[2] at screen 0.5, screen 0.9721 center front noenhanced }
  if (!tex) { set label 93 top[3] at screen 0.5, screen 0.9570 center front noenhanced }
  if (!tex) { set label 94 top[4] at screen 0.5, screen 0.9418 center front noenhanced }
  if (tex) { set label 99 '\gdef\adeissetting{'.setting_tex.'}' at screen 0,0 }
  set key center center horizontal maxcols 2 Left reverse samplen 2.5 spacing 1.15 width 1 nobox noopaque noenhanced
  plot for [i=1:15] NaN with linespoints ls i title T(i), \
    NaN with lines lc rgb '#555555' @guide title (tex ? 'expected order $p$, offset' : 'expected order (offset from the data)'), \
    NaN with points pt 7 ps 1.2 lc rgb '#555555' title 'points of the order fit', \
    NaN with points pt 6 ps 1.2 lc rgb '#555555' title (tex ? 'left out: pre-asymptotic' : 'left out: pre-asymptotic')
  unset multiplot
  set output
}

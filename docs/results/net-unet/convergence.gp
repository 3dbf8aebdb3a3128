# convergence.gp: relative error against steps N, one panel per gradient, for the study
# net-unet. Written by adeis from errors.csv and orders.csv: restyle it freely and
# re-run it from this folder with   gnuplot convergence.gp
# (`adeis plot` writes it anew; keep a restyled copy under another name).
#   errors-Q.dat  one block per series: N, error, cost, NFE, NVJP, seconds, used, mark
#   guides-Q.dat  the expected slope over each fitted range, offset from the data
# Options: gnuplot -e 'formats="png"; outbase="fig"' convergence.gp

if (!exists("outbase")) outbase = 'convergence'
if (!exists("formats")) formats = 'png pdf svg'
set encoding utf8

# One style per legend entry: colour by method; a style drawn over one it
# coincides with is thinner (dashed, unless dashes mark variants), has smaller marks
# and is shifted right by the factor dodge[N] (1: not shifted). Open marks: ls N pt
# open_pt[N].
array open_pt[8]
array dodge[8]
set style line 1 lc rgb '#0072B2' lw 2.00 dt 1 pt 7 ps 1.50
open_pt[1] = 6; dodge[1] = 1
set style line 2 lc rgb '#D55E00' lw 2.00 dt 1 pt 5 ps 1.50
open_pt[2] = 4; dodge[2] = 1
set style line 3 lc rgb '#009E73' lw 2.00 dt 1 pt 9 ps 1.50
open_pt[3] = 8; dodge[3] = 1
set style line 4 lc rgb '#CC79A7' lw 2.00 dt 1 pt 11 ps 1.50
open_pt[4] = 10; dodge[4] = 1
set style line 5 lc rgb '#E69F00' lw 1.60 dt 2 pt 13 ps 1.27
open_pt[5] = 12; dodge[5] = 1.2
set style line 6 lc rgb '#56B4E9' lw 1.60 dt 2 pt 15 ps 1.27
open_pt[6] = 14; dodge[6] = 1.2
set style line 7 lc rgb '#000000' lw 1.28 dt 2 pt 7 ps 1.08
open_pt[7] = 6; dodge[7] = 1.44
set style line 8 lc rgb '#999933' lw 2.00 dt 1 pt 5 ps 1.50
open_pt[8] = 4; dodge[8] = 1
floor_pt = 2
guide = 'dt (10,6) lw 1.5'

# Legend titles (by style); _tex for the cairolatex variant.
array titles[8]
array titles_tex[8]
titles[1] = 'adjdeis-1'
titles_tex[1] = 'adjdeis-1'
titles[2] = 'adjdeis-2m'
titles_tex[2] = 'adjdeis-2m'
titles[3] = 'adjdeis-2s'
titles_tex[3] = 'adjdeis-2s'
titles[4] = 'rk4-lambda'
titles_tex[4] = 'rk4-lambda'
titles[5] = 'dto-dpm-1 (drawn shifted right 20 %)'
titles_tex[5] = 'dto-dpm-1 (drawn shifted right 20 \%)'
titles[6] = 'dto-dpm-2m (drawn shifted right 20 %)'
titles_tex[6] = 'dto-dpm-2m (drawn shifted right 20 \%)'
titles[7] = 'dto-dpm-2s (drawn shifted right 44 %)'
titles_tex[7] = 'dto-dpm-2s (drawn shifted right 44 \%)'
titles[8] = 'dto-rk4-lambda'
titles_tex[8] = 'dto-rk4-lambda'
T(i) = tex ? titles_tex[i] : titles[i]

# The setting, for the caption of the cairolatex variant (\adeissetting).
setting = ''
setting_tex = 'problem net-unet, schedule vp-linear $\cdot$ methods: by colour $\cdot$ grid uniform-lambda $\cdot$ 53-bit arithmetic $\cdot$ ODE adjoint $\cdot$ state cached; relative error $\|g-g_{\mathrm{ref}}\|_2/\|g_{\mathrm{ref}}\|_2$ of the computed gradient $g$ against its reference $g_{\mathrm{ref}}$'
# The lines above the panels (the first is the heading).
array top[3]
array top_tex[3]
top[1] = 'net-unet: relative error of each gradient against steps N'
top_tex[1] = 'net-unet: relative error of each gradient against steps N'
top[2] = 'problem net-unet, schedule vp-linear · methods: by colour · grid uniform-lambda · 53-bit arithmetic · ODE adjoint · state cached'
top_tex[2] = 'problem net-unet, schedule vp-linear $\cdot$ methods: by colour $\cdot$ grid uniform-lambda $\cdot$ 53-bit arithmetic $\cdot$ ODE adjoint $\cdot$ state cached'
top[3] = 'relative error ‖g − g_ref‖₂ / ‖g_ref‖₂ of the computed gradient g against its reference g_ref'
top_tex[3] = 'relative error $\|g-g_{\mathrm{ref}}\|_2/\|g_{\mathrm{ref}}\|_2$ of the computed gradient $g$ against its reference $g_{\mathrm{ref}}$'

do for [fmt in formats] {
  tex = (fmt eq 'tex')
  if (fmt eq 'png') { set terminal pngcairo size 1310,506 enhanced font 'Sans,11' }
  if (fmt eq 'pdf') { set terminal pdfcairo size 9.85in,3.80in enhanced font 'Sans,8' }
  if (fmt eq 'svg') { set terminal svg size 1310,506 enhanced font 'Sans,11' background rgb 'white' }
  if (tex) { set terminal cairolatex pdf size 4.81in,2.41in font ',7' pointscale 0.55 linewidth 0.7 }
  set output tex ? (exists('out_tex') ? out_tex : outbase.'-latex.tex') : \
    (exists('out_'.fmt) ? value('out_'.fmt) : outbase.'.'.fmt)
  set border; set grid xtics ytics lt 1 lc rgb '#dddddd' lw 1
  set logscale x 2; set xrange [6.49802:933.407]; set xtics 8, (tex ? 4 : 4); set mxtics 1
  set format x '%g'
  set logscale y 10; set format y tex ? '$10^{%L}$' : '10^{%L}'
  unset key
  set multiplot
  set lmargin at screen (tex ? 0.0954 : 0.0672); set rmargin at screen (tex ? 0.3208 : 0.3252)
  set tmargin at screen (tex ? 0.8905 : 0.7846); set bmargin at screen (tex ? 0.5274 : 0.3261)
  set title tex ? '$\partial L/\partial x_T$' : '∂L/∂x_T'
  set yrange [1e-6:1e6]; set ytics 1e-6, 1e2, 1e6; set mytics 2
  set xlabel (tex ? 'steps $N$' : 'steps N')
  set ylabel 'relative error'
  unset label
  set label 10 sprintf(tex ? '$p{=}1$' : 'order 1') at first 256, first 0.352157 left offset 0.5,0 tc rgb '#444444' front
  set label 11 sprintf(tex ? '$p{=}2$' : 'order 2') at first 256, first 4.07251e-05 left offset 0.5,0 tc rgb '#444444' front
  set label 12 sprintf(tex ? '$p{=}1.8$' : 'order 1.8') at first 256, first 5.69766e-06 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-x_T.dat' index 0 using 1:2 with lines ls 1 notitle, \
    '' index 0 using 1:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 0 using 1:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 0 using 1:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 1 using 1:2 with lines ls 2 notitle, \
    '' index 1 using 1:($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 1 using 1:($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 1 using 1:($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 2 using 1:2 with lines ls 3 notitle, \
    '' index 2 using 1:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 2 using 1:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 2 using 1:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 3 using 1:2 with lines ls 4 notitle, \
    '' index 3 using 1:($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 3 using 1:($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 3 using 1:($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 4 using ($1*dodge[5]):2 with lines ls 5 notitle, \
    '' index 4 using ($1*dodge[5]):($8==0 ? $2 : NaN) with points ls 5 notitle, \
    '' index 4 using ($1*dodge[5]):($8==1 ? $2 : NaN) with points ls 5 pt open_pt[5] notitle, \
    '' index 4 using ($1*dodge[5]):($8==2 ? $2 : NaN) with points ls 5 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 5 using ($1*dodge[6]):2 with lines ls 6 notitle, \
    '' index 5 using ($1*dodge[6]):($8==0 ? $2 : NaN) with points ls 6 notitle, \
    '' index 5 using ($1*dodge[6]):($8==1 ? $2 : NaN) with points ls 6 pt open_pt[6] notitle, \
    '' index 5 using ($1*dodge[6]):($8==2 ? $2 : NaN) with points ls 6 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 6 using ($1*dodge[7]):2 with lines ls 7 notitle, \
    '' index 6 using ($1*dodge[7]):($8==0 ? $2 : NaN) with points ls 7 notitle, \
    '' index 6 using ($1*dodge[7]):($8==1 ? $2 : NaN) with points ls 7 pt open_pt[7] notitle, \
    '' index 6 using ($1*dodge[7]):($8==2 ? $2 : NaN) with points ls 7 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 7 using 1:2 with lines ls 8 notitle, \
    '' index 7 using 1:($8==0 ? $2 : NaN) with points ls 8 notitle, \
    '' index 7 using 1:($8==1 ? $2 : NaN) with points ls 8 pt open_pt[8] notitle, \
    '' index 7 using 1:($8==2 ? $2 : NaN) with points ls 8 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-x_T.dat' index 0 using 1:3 with lines lc rgb '#444444' @guide notitle, \
    'guides-x_T.dat' index 1 using 1:3 with lines lc rgb '#444444' @guide notitle, \
    'guides-x_T.dat' index 2 using 1:3 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.4249 : 0.3954); set rmargin at screen (tex ? 0.6503 : 0.6534)
  set tmargin at screen (tex ? 0.8905 : 0.7846); set bmargin at screen (tex ? 0.5274 : 0.3261)
  set title tex ? '$\partial L/\partial z$' : '∂L/∂z'
  set yrange [1e-8:1e4]; set ytics 1e-8, 1e2, 1e4; set mytics 2
  set xlabel (tex ? 'steps $N$' : 'steps N')
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}1$' : 'order 1') at first 256, first 0.29158 left offset 0.5,0 tc rgb '#444444' front
  set label 11 sprintf(tex ? '$p{=}2$' : 'order 2') at first 256, first 9.1044e-05 left offset 0.5,0 tc rgb '#444444' front
  set label 12 sprintf(tex ? '$p{=}1.8$' : 'order 1.8') at first 256, first 9.99378e-06 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-z.dat' index 0 using 1:2 with lines ls 1 notitle, \
    '' index 0 using 1:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 0 using 1:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 0 using 1:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 1 using 1:2 with lines ls 2 notitle, \
    '' index 1 using 1:($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 1 using 1:($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 1 using 1:($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 2 using 1:2 with lines ls 3 notitle, \
    '' index 2 using 1:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 2 using 1:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 2 using 1:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 3 using 1:2 with lines ls 4 notitle, \
    '' index 3 using 1:($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 3 using 1:($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 3 using 1:($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 4 using ($1*dodge[5]):2 with lines ls 5 notitle, \
    '' index 4 using ($1*dodge[5]):($8==0 ? $2 : NaN) with points ls 5 notitle, \
    '' index 4 using ($1*dodge[5]):($8==1 ? $2 : NaN) with points ls 5 pt open_pt[5] notitle, \
    '' index 4 using ($1*dodge[5]):($8==2 ? $2 : NaN) with points ls 5 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 5 using ($1*dodge[6]):2 with lines ls 6 notitle, \
    '' index 5 using ($1*dodge[6]):($8==0 ? $2 : NaN) with points ls 6 notitle, \
    '' index 5 using ($1*dodge[6]):($8==1 ? $2 : NaN) with points ls 6 pt open_pt[6] notitle, \
    '' index 5 using ($1*dodge[6]):($8==2 ? $2 : NaN) with points ls 6 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 6 using ($1*dodge[7]):2 with lines ls 7 notitle, \
    '' index 6 using ($1*dodge[7]):($8==0 ? $2 : NaN) with points ls 7 notitle, \
    '' index 6 using ($1*dodge[7]):($8==1 ? $2 : NaN) with points ls 7 pt open_pt[7] notitle, \
    '' index 6 using ($1*dodge[7]):($8==2 ? $2 : NaN) with points ls 7 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 7 using 1:2 with lines ls 8 notitle, \
    '' index 7 using 1:($8==0 ? $2 : NaN) with points ls 8 notitle, \
    '' index 7 using 1:($8==1 ? $2 : NaN) with points ls 8 pt open_pt[8] notitle, \
    '' index 7 using 1:($8==2 ? $2 : NaN) with points ls 8 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-z.dat' index 0 using 1:3 with lines lc rgb '#444444' @guide notitle, \
    'guides-z.dat' index 1 using 1:3 with lines lc rgb '#444444' @guide notitle, \
    'guides-z.dat' index 2 using 1:3 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.7543 : 0.7237); set rmargin at screen (tex ? 0.9798 : 0.9817)
  set tmargin at screen (tex ? 0.8905 : 0.7846); set bmargin at screen (tex ? 0.5274 : 0.3261)
  set title tex ? '$\partial L/\partial \theta$' : '∂L/∂θ'
  set yrange [1e-8:1e4]; set ytics 1e-8, 1e2, 1e4; set mytics 2
  set xlabel (tex ? 'steps $N$' : 'steps N')
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}1$' : 'order 1') at first 256, first 0.339438 left offset 0.5,0 tc rgb '#444444' front
  set label 11 sprintf(tex ? '$p{=}2$' : 'order 2') at first 256, first 2.88949e-05 left offset 0.5,0 tc rgb '#444444' front
  set label 12 sprintf(tex ? '$p{=}1.8$' : 'order 1.8') at first 256, first 3.94181e-06 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-theta.dat' index 0 using 1:2 with lines ls 1 notitle, \
    '' index 0 using 1:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 0 using 1:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 0 using 1:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 1 using 1:2 with lines ls 2 notitle, \
    '' index 1 using 1:($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 1 using 1:($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 1 using 1:($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 2 using 1:2 with lines ls 3 notitle, \
    '' index 2 using 1:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 2 using 1:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 2 using 1:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 3 using 1:2 with lines ls 4 notitle, \
    '' index 3 using 1:($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 3 using 1:($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 3 using 1:($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 4 using ($1*dodge[5]):2 with lines ls 5 notitle, \
    '' index 4 using ($1*dodge[5]):($8==0 ? $2 : NaN) with points ls 5 notitle, \
    '' index 4 using ($1*dodge[5]):($8==1 ? $2 : NaN) with points ls 5 pt open_pt[5] notitle, \
    '' index 4 using ($1*dodge[5]):($8==2 ? $2 : NaN) with points ls 5 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 5 using ($1*dodge[6]):2 with lines ls 6 notitle, \
    '' index 5 using ($1*dodge[6]):($8==0 ? $2 : NaN) with points ls 6 notitle, \
    '' index 5 using ($1*dodge[6]):($8==1 ? $2 : NaN) with points ls 6 pt open_pt[6] notitle, \
    '' index 5 using ($1*dodge[6]):($8==2 ? $2 : NaN) with points ls 6 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 6 using ($1*dodge[7]):2 with lines ls 7 notitle, \
    '' index 6 using ($1*dodge[7]):($8==0 ? $2 : NaN) with points ls 7 notitle, \
    '' index 6 using ($1*dodge[7]):($8==1 ? $2 : NaN) with points ls 7 pt open_pt[7] notitle, \
    '' index 6 using ($1*dodge[7]):($8==2 ? $2 : NaN) with points ls 7 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 7 using 1:2 with lines ls 8 notitle, \
    '' index 7 using 1:($8==0 ? $2 : NaN) with points ls 8 notitle, \
    '' index 7 using 1:($8==1 ? $2 : NaN) with points ls 8 pt open_pt[8] notitle, \
    '' index 7 using 1:($8==2 ? $2 : NaN) with points ls 8 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-theta.dat' index 0 using 1:3 with lines lc rgb '#444444' @guide notitle, \
    'guides-theta.dat' index 1 using 1:3 with lines lc rgb '#444444' @guide notitle, \
    'guides-theta.dat' index 2 using 1:3 with lines lc rgb '#444444' @guide notitle
  unset label; unset title; unset xlabel; unset ylabel; unset grid; unset border
  unset tics; unset logscale; set xrange [0:1]; set yrange [0:1]
  set lmargin at screen 0.02; set rmargin at screen 0.98
  set tmargin at screen (tex ? 0.3579 : 0.2130); set bmargin at screen 0.005
  if (!tex) { set label 91 top[1] at screen 0.5, screen 0.9684 center front noenhanced font ',13' }
  if (!tex) { set label 92 top[2] at screen 0.5, screen 0.9308 center front noenhanced }
  if (!tex) { set label 93 top[3] at screen 0.5, screen 0.8933 center front noenhanced }
  if (tex) { set label 99 '\gdef\adeissetting{'.setting_tex.'}' at screen 0,0 }
  set key center center horizontal maxcols 3 Left reverse samplen 2.5 spacing 1.15 width 1 nobox noopaque noenhanced
  plot for [i=1:8] NaN with linespoints ls i title T(i), \
    NaN with lines lc rgb '#555555' @guide title (tex ? 'expected order $p$, offset' : 'expected order (offset from the data)'), \
    NaN with points pt 7 ps 1.2 lc rgb '#555555' title 'points of the order fit', \
    NaN with points pt 6 ps 1.2 lc rgb '#555555' title (tex ? 'left out: pre-asymptotic' : 'left out: pre-asymptotic')
  unset multiplot
  set output
}

# work-precision.gp: relative error against cost, one panel per gradient (columns) and variant (rows), for the study
# schedules. Written by adeis from errors.csv and orders.csv: restyle it freely and
# re-run it from this folder with   gnuplot work-precision.gp
# (`adeis plot` writes it anew; keep a restyled copy under another name).
#   errors-Q.dat  one block per series: N, error, cost, NFE, NVJP, seconds, used, mark
#   guides-Q.dat  the expected slope over each fitted range, offset from the data
# Options: gnuplot -e 'formats="png"; outbase="fig"' work-precision.gp

if (!exists("outbase")) outbase = 'work-precision'
if (!exists("formats")) formats = 'png pdf'
set encoding utf8

# One style per legend entry: colour by grid; a style drawn over one it
# coincides with is thinner (dashed, unless dashes mark variants), has smaller marks
# and is shifted right by the factor dodge[N] (1: not shifted). Open marks: ls N pt
# open_pt[N].
array open_pt[4]
array dodge[4]
set style line 1 lc rgb '#0072B2' lw 2.00 dt 1 pt 7 ps 1.50
open_pt[1] = 6; dodge[1] = 1
set style line 2 lc rgb '#D55E00' lw 1.60 dt 2 pt 5 ps 1.27
open_pt[2] = 4; dodge[2] = 1.2
set style line 3 lc rgb '#009E73' lw 2.00 dt 1 pt 9 ps 1.50
open_pt[3] = 8; dodge[3] = 1
set style line 4 lc rgb '#CC79A7' lw 1.28 dt 2 pt 11 ps 1.08
open_pt[4] = 10; dodge[4] = 1.44
floor_pt = 2
guide = 'dt (10,6) lw 1.5'

# Legend titles (by style); _tex for the cairolatex variant.
array titles[4]
array titles_tex[4]
titles[1] = 'uniform-t'
titles_tex[1] = 'uniform-t'
titles[2] = 'uniform-lambda (drawn shifted right 20 %)'
titles_tex[2] = 'uniform-lambda (drawn shifted right 20 \%)'
titles[3] = 'quadratic-t'
titles_tex[3] = 'quadratic-t'
titles[4] = 'edm-rho (drawn shifted right 44 %)'
titles_tex[4] = 'edm-rho (drawn shifted right 44 \%)'
T(i) = tex ? titles_tex[i] : titles[i]

# The setting, for the caption of the cairolatex variant (\adeissetting).
setting = ''
setting_tex = 'problems: by row $\cdot$ method adjdeis-2m $\cdot$ grids: by colour $\cdot$ 256-bit arithmetic $\cdot$ ODE adjoint $\cdot$ state oracle; relative error $\|g-g_{\mathrm{ref}}\|_2/\|g_{\mathrm{ref}}\|_2$ of the computed gradient $g$ against its reference $g_{\mathrm{ref}}$; cost $=$ NFE $+\,1\cdot{}$NVJP: model evaluations and vector-Jacobian products, counted separately, weight 1 each'
# The lines above the panels (the first is the heading).
array top[4]
array top_tex[4]
top[1] = 'schedules: relative error of each gradient against cost'
top_tex[1] = 'schedules: relative error of each gradient against cost'
top[2] = 'problems: by row · method adjdeis-2m · grids: by colour · 256-bit arithmetic · ODE adjoint · state oracle'
top_tex[2] = 'problems: by row $\cdot$ method adjdeis-2m $\cdot$ grids: by colour $\cdot$ 256-bit arithmetic $\cdot$ ODE adjoint $\cdot$ state oracle'
top[3] = 'relative error ‖g − g_ref‖₂ / ‖g_ref‖₂ of the computed gradient g against its reference g_ref'
top_tex[3] = 'relative error $\|g-g_{\mathrm{ref}}\|_2/\|g_{\mathrm{ref}}\|_2$ of the computed gradient $g$ against its reference $g_{\mathrm{ref}}$'
top[4] = 'cost = NFE + 1·NVJP: model evaluations and vector-Jacobian products, counted separately, weight 1 each'
top_tex[4] = 'cost $=$ NFE $+\,1\cdot{}$NVJP: model evaluations and vector-Jacobian products, counted separately, weight 1 each'

do for [fmt in formats] {
  tex = (fmt eq 'tex')
  if (fmt eq 'png') { set terminal pngcairo size 1310,1123 enhanced font 'Sans,11' }
  if (fmt eq 'pdf') { set terminal pdfcairo size 9.85in,8.44in enhanced font 'Sans,8' }
  if (fmt eq 'svg') { set terminal svg size 1310,1123 enhanced font 'Sans,11' background rgb 'white' }
  if (tex) { set terminal cairolatex pdf size 4.81in,5.31in font ',7' pointscale 0.55 linewidth 0.7 }
  set output tex ? (exists('out_tex') ? out_tex : outbase.'-latex.tex') : \
    (exists('out_'.fmt) ? value('out_'.fmt) : outbase.'.'.fmt)
  set border; set grid xtics ytics lt 1 lc rgb '#dddddd' lw 1
  set logscale x 10; set xrange [10.1261:564258]; set xtics 10; set mxtics 10
  set format x tex ? '$10^{%L}$' : '10^{%L}'
  set logscale y 10; set format y tex ? '$10^{%L}$' : '10^{%L}'
  unset key
  set multiplot
  set lmargin at screen (tex ? 0.0954 : 0.0672); set rmargin at screen (tex ? 0.3208 : 0.3252)
  set tmargin at screen (tex ? 0.9503 : 0.8860); set bmargin at screen (tex ? 0.7856 : 0.6794)
  set title tex ? '$\partial L/\partial x_T$: '.'gaussian-3d (vp-linear)' : '∂L/∂x_T'.'  ·  '.'problem gaussian-3d (vp-linear)'
  set yrange [1e-8:1e6]; set ytics 1e-8, 1e2, 1e6; set mytics 2
  set xlabel ''
  set ylabel 'relative error'
  unset label
  set label 10 sprintf(tex ? '$p{=}2$' : 'order 2') at first 32768, first 1.38353e-07 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-x_T.dat' index 0 using 3:2 with lines ls 1 notitle, \
    '' index 0 using 3:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 0 using 3:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 0 using 3:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 1 using ($3*dodge[2]):2 with lines ls 2 notitle, \
    '' index 1 using ($3*dodge[2]):($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 1 using ($3*dodge[2]):($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 1 using ($3*dodge[2]):($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 2 using 3:2 with lines ls 3 notitle, \
    '' index 2 using 3:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 2 using 3:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 2 using 3:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 3 using ($3*dodge[4]):2 with lines ls 4 notitle, \
    '' index 3 using ($3*dodge[4]):($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 3 using ($3*dodge[4]):($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 3 using ($3*dodge[4]):($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-x_T.dat' index 0 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.4249 : 0.3954); set rmargin at screen (tex ? 0.6503 : 0.6534)
  set tmargin at screen (tex ? 0.9503 : 0.8860); set bmargin at screen (tex ? 0.7856 : 0.6794)
  set title tex ? '$\partial L/\partial z$: '.'gaussian-3d (vp-linear)' : '∂L/∂z'.'  ·  '.'problem gaussian-3d (vp-linear)'
  set yrange [1e-10:1e4]; set ytics 1e-10, 1e2, 1e4; set mytics 2
  set xlabel ''
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}2$' : 'order 2') at first 32768, first 5.8955e-10 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-z.dat' index 0 using 3:2 with lines ls 1 notitle, \
    '' index 0 using 3:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 0 using 3:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 0 using 3:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 1 using ($3*dodge[2]):2 with lines ls 2 notitle, \
    '' index 1 using ($3*dodge[2]):($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 1 using ($3*dodge[2]):($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 1 using ($3*dodge[2]):($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 2 using 3:2 with lines ls 3 notitle, \
    '' index 2 using 3:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 2 using 3:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 2 using 3:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 3 using ($3*dodge[4]):2 with lines ls 4 notitle, \
    '' index 3 using ($3*dodge[4]):($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 3 using ($3*dodge[4]):($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 3 using ($3*dodge[4]):($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-z.dat' index 0 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.7543 : 0.7237); set rmargin at screen (tex ? 0.9798 : 0.9817)
  set tmargin at screen (tex ? 0.9503 : 0.8860); set bmargin at screen (tex ? 0.7856 : 0.6794)
  set title tex ? '$\partial L/\partial \theta$: '.'gaussian-3d (vp-linear)' : '∂L/∂θ'.'  ·  '.'problem gaussian-3d (vp-linear)'
  set yrange [1e-10:1e4]; set ytics 1e-10, 1e2, 1e4; set mytics 2
  set xlabel ''
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}2$' : 'order 2') at first 4622.32, first 0.000109876 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-theta.dat' index 0 using 3:2 with lines ls 1 notitle, \
    '' index 0 using 3:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 0 using 3:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 0 using 3:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 1 using ($3*dodge[2]):2 with lines ls 2 notitle, \
    '' index 1 using ($3*dodge[2]):($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 1 using ($3*dodge[2]):($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 1 using ($3*dodge[2]):($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 2 using 3:2 with lines ls 3 notitle, \
    '' index 2 using 3:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 2 using 3:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 2 using 3:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 3 using ($3*dodge[4]):2 with lines ls 4 notitle, \
    '' index 3 using ($3*dodge[4]):($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 3 using ($3*dodge[4]):($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 3 using ($3*dodge[4]):($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-theta.dat' index 0 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.0954 : 0.0672); set rmargin at screen (tex ? 0.3208 : 0.3252)
  set tmargin at screen (tex ? 0.6889 : 0.6100); set bmargin at screen (tex ? 0.5242 : 0.4034)
  set title tex ? 'vp-cosine' : '∂L/∂x_T'.'  ·  '.'problem vp-cosine'
  set yrange [1e-8:1e6]; set ytics 1e-8, 1e2, 1e6; set mytics 2
  set xlabel ''
  set ylabel 'relative error'
  unset label
  set label 10 sprintf(tex ? '$p{=}2$' : 'order 2') at first 32768, first 9.44945e-08 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-x_T.dat' index 4 using 3:2 with lines ls 1 notitle, \
    '' index 4 using 3:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 4 using 3:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 4 using 3:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 5 using ($3*dodge[2]):2 with lines ls 2 notitle, \
    '' index 5 using ($3*dodge[2]):($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 5 using ($3*dodge[2]):($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 5 using ($3*dodge[2]):($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 6 using 3:2 with lines ls 3 notitle, \
    '' index 6 using 3:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 6 using 3:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 6 using 3:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 7 using ($3*dodge[4]):2 with lines ls 4 notitle, \
    '' index 7 using ($3*dodge[4]):($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 7 using ($3*dodge[4]):($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 7 using ($3*dodge[4]):($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-x_T.dat' index 1 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.4249 : 0.3954); set rmargin at screen (tex ? 0.6503 : 0.6534)
  set tmargin at screen (tex ? 0.6889 : 0.6100); set bmargin at screen (tex ? 0.5242 : 0.4034)
  set title tex ? 'vp-cosine' : '∂L/∂z'.'  ·  '.'problem vp-cosine'
  set yrange [1e-10:1e4]; set ytics 1e-10, 1e2, 1e4; set mytics 2
  set xlabel ''
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}2$' : 'order 2') at first 32768, first 1.02358e-09 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-z.dat' index 4 using 3:2 with lines ls 1 notitle, \
    '' index 4 using 3:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 4 using 3:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 4 using 3:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 5 using ($3*dodge[2]):2 with lines ls 2 notitle, \
    '' index 5 using ($3*dodge[2]):($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 5 using ($3*dodge[2]):($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 5 using ($3*dodge[2]):($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 6 using 3:2 with lines ls 3 notitle, \
    '' index 6 using 3:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 6 using 3:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 6 using 3:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 7 using ($3*dodge[4]):2 with lines ls 4 notitle, \
    '' index 7 using ($3*dodge[4]):($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 7 using ($3*dodge[4]):($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 7 using ($3*dodge[4]):($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-z.dat' index 1 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.7543 : 0.7237); set rmargin at screen (tex ? 0.9798 : 0.9817)
  set tmargin at screen (tex ? 0.6889 : 0.6100); set bmargin at screen (tex ? 0.5242 : 0.4034)
  set title tex ? 'vp-cosine' : '∂L/∂θ'.'  ·  '.'problem vp-cosine'
  set yrange [1e-10:1e4]; set ytics 1e-10, 1e2, 1e4; set mytics 2
  set xlabel ''
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}2$' : 'order 2') at first 32768, first 9.57276e-09 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-theta.dat' index 4 using 3:2 with lines ls 1 notitle, \
    '' index 4 using 3:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 4 using 3:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 4 using 3:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 5 using ($3*dodge[2]):2 with lines ls 2 notitle, \
    '' index 5 using ($3*dodge[2]):($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 5 using ($3*dodge[2]):($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 5 using ($3*dodge[2]):($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 6 using 3:2 with lines ls 3 notitle, \
    '' index 6 using 3:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 6 using 3:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 6 using 3:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 7 using ($3*dodge[4]):2 with lines ls 4 notitle, \
    '' index 7 using ($3*dodge[4]):($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 7 using ($3*dodge[4]):($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 7 using ($3*dodge[4]):($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-theta.dat' index 1 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.0954 : 0.0672); set rmargin at screen (tex ? 0.3208 : 0.3252)
  set tmargin at screen (tex ? 0.4275 : 0.3339); set bmargin at screen (tex ? 0.2627 : 0.1273)
  set title tex ? 've-edm' : '∂L/∂x_T'.'  ·  '.'problem ve-edm'
  set yrange [1e-8:1e6]; set ytics 1e-8, 1e2, 1e6; set mytics 2
  set xlabel (tex ? 'cost $=$ NFE $+$ NVJP' : 'cost = NFE + NVJP')
  set ylabel 'relative error'
  unset label
  set label 10 sprintf(tex ? '$p{=}1.6$' : 'order 1.6') at first 32768, first 9.66928e-05 left offset 0.5,0 tc rgb '#444444' front
  set label 11 sprintf(tex ? '$p{=}2$' : 'order 2') at first 32768, first 1.9223e-07 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-x_T.dat' index 8 using 3:2 with lines ls 1 notitle, \
    '' index 8 using 3:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 8 using 3:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 8 using 3:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 9 using ($3*dodge[2]):2 with lines ls 2 notitle, \
    '' index 9 using ($3*dodge[2]):($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 9 using ($3*dodge[2]):($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 9 using ($3*dodge[2]):($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 10 using 3:2 with lines ls 3 notitle, \
    '' index 10 using 3:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 10 using 3:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 10 using 3:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-x_T.dat' index 11 using ($3*dodge[4]):2 with lines ls 4 notitle, \
    '' index 11 using ($3*dodge[4]):($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 11 using ($3*dodge[4]):($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 11 using ($3*dodge[4]):($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-x_T.dat' index 2 using 2:4 with lines lc rgb '#444444' @guide notitle, \
    'guides-x_T.dat' index 3 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.4249 : 0.3954); set rmargin at screen (tex ? 0.6503 : 0.6534)
  set tmargin at screen (tex ? 0.4275 : 0.3339); set bmargin at screen (tex ? 0.2627 : 0.1273)
  set title tex ? 've-edm' : '∂L/∂z'.'  ·  '.'problem ve-edm'
  set yrange [1e-10:1e4]; set ytics 1e-10, 1e2, 1e4; set mytics 2
  set xlabel (tex ? 'cost $=$ NFE $+$ NVJP' : 'cost = NFE + NVJP')
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}1.6$' : 'order 1.6') at first 32768, first 2.91609e-07 left offset 0.5,0 tc rgb '#444444' front
  set label 11 sprintf(tex ? '$p{=}2$' : 'order 2') at first 32768, first 5.79734e-10 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-z.dat' index 8 using 3:2 with lines ls 1 notitle, \
    '' index 8 using 3:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 8 using 3:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 8 using 3:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 9 using ($3*dodge[2]):2 with lines ls 2 notitle, \
    '' index 9 using ($3*dodge[2]):($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 9 using ($3*dodge[2]):($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 9 using ($3*dodge[2]):($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 10 using 3:2 with lines ls 3 notitle, \
    '' index 10 using 3:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 10 using 3:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 10 using 3:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-z.dat' index 11 using ($3*dodge[4]):2 with lines ls 4 notitle, \
    '' index 11 using ($3*dodge[4]):($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 11 using ($3*dodge[4]):($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 11 using ($3*dodge[4]):($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-z.dat' index 2 using 2:4 with lines lc rgb '#444444' @guide notitle, \
    'guides-z.dat' index 3 using 2:4 with lines lc rgb '#444444' @guide notitle
  set lmargin at screen (tex ? 0.7543 : 0.7237); set rmargin at screen (tex ? 0.9798 : 0.9817)
  set tmargin at screen (tex ? 0.4275 : 0.3339); set bmargin at screen (tex ? 0.2627 : 0.1273)
  set title tex ? 've-edm' : '∂L/∂θ'.'  ·  '.'problem ve-edm'
  set yrange [1e-10:1e4]; set ytics 1e-10, 1e2, 1e4; set mytics 2
  set xlabel (tex ? 'cost $=$ NFE $+$ NVJP' : 'cost = NFE + NVJP')
  set ylabel ''
  unset label
  set label 10 sprintf(tex ? '$p{=}1.6$' : 'order 1.6') at first 32768, first 0.000125227 left offset 0.5,0 tc rgb '#444444' front
  set label 11 sprintf(tex ? '$p{=}2$' : 'order 2') at first 32768, first 4.41903e-09 left offset 0.5,0 tc rgb '#444444' front
  plot \
    'errors-theta.dat' index 8 using 3:2 with lines ls 1 notitle, \
    '' index 8 using 3:($8==0 ? $2 : NaN) with points ls 1 notitle, \
    '' index 8 using 3:($8==1 ? $2 : NaN) with points ls 1 pt open_pt[1] notitle, \
    '' index 8 using 3:($8==2 ? $2 : NaN) with points ls 1 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 9 using ($3*dodge[2]):2 with lines ls 2 notitle, \
    '' index 9 using ($3*dodge[2]):($8==0 ? $2 : NaN) with points ls 2 notitle, \
    '' index 9 using ($3*dodge[2]):($8==1 ? $2 : NaN) with points ls 2 pt open_pt[2] notitle, \
    '' index 9 using ($3*dodge[2]):($8==2 ? $2 : NaN) with points ls 2 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 10 using 3:2 with lines ls 3 notitle, \
    '' index 10 using 3:($8==0 ? $2 : NaN) with points ls 3 notitle, \
    '' index 10 using 3:($8==1 ? $2 : NaN) with points ls 3 pt open_pt[3] notitle, \
    '' index 10 using 3:($8==2 ? $2 : NaN) with points ls 3 pt floor_pt ps 1.6 lw 2 notitle, \
    'errors-theta.dat' index 11 using ($3*dodge[4]):2 with lines ls 4 notitle, \
    '' index 11 using ($3*dodge[4]):($8==0 ? $2 : NaN) with points ls 4 notitle, \
    '' index 11 using ($3*dodge[4]):($8==1 ? $2 : NaN) with points ls 4 pt open_pt[4] notitle, \
    '' index 11 using ($3*dodge[4]):($8==2 ? $2 : NaN) with points ls 4 pt floor_pt ps 1.6 lw 2 notitle, \
    'guides-theta.dat' index 2 using 2:4 with lines lc rgb '#444444' @guide notitle, \
    'guides-theta.dat' index 3 using 2:4 with lines lc rgb '#444444' @guide notitle
  unset label; unset title; unset xlabel; unset ylabel; unset grid; unset border
  unset tics; unset logscale; set xrange [0:1]; set yrange [0:1]
  set lmargin at screen 0.02; set rmargin at screen 0.98
  set tmargin at screen (tex ? 0.1859 : 0.0764); set bmargin at screen 0.005
  if (!tex) { set label 91 top[1] at screen 0.5, screen 0.9858 center front noenhanced font ',13' }
  if (!tex) { set label 92 top[2] at screen 0.5, screen 0.9688 center front noenhanced }
  if (!tex) { set label 93 top[3] at screen 0.5, screen 0.9519 center front noenhanced }
  if (!tex) { set label 94 top[4] at screen 0.5, screen 0.9350 center front noenhanced }
  if (tex) { set label 99 '\gdef\adeissetting{'.setting_tex.'}' at screen 0,0 }
  set key center center horizontal maxcols 3 Left reverse samplen 2.5 spacing 1.15 width 1 nobox noopaque noenhanced
  plot for [i=1:4] NaN with linespoints ls i title T(i), \
    NaN with lines lc rgb '#555555' @guide title (tex ? 'expected order $p$, offset' : 'expected order (offset from the data)'), \
    NaN with points pt 7 ps 1.2 lc rgb '#555555' title 'points of the order fit', \
    NaN with points pt 6 ps 1.2 lc rgb '#555555' title (tex ? 'left out: pre-asymptotic' : 'left out: pre-asymptotic')
  unset multiplot
  set output
}

# convergence.gp: relative error against steps N, one panel per gradient, for the study
# otd-vs-dto. Written by adeis from errors.csv and orders.csv: restyle it freely and
# re-run it from this folder with   gnuplot convergence.gp
# (`adeis plot` writes it anew; keep a restyled copy under another name).
#   errors-Q.dat  one block per series: N, error, NFE+NVJP, NFE, NVJP, seconds, used
#   guides-Q.dat  dashed lines of the expected order through the last used point
# Options: gnuplot -e 'formats="png"; outbase="fig"' convergence.gp

if (!exists("outbase")) outbase = 'convergence'
if (!exists("formats")) formats = 'png pdf svg'
set encoding utf8

# One style per series; its guide is the same colour, dashed.
set style line 1 lc rgb '#0072B2' lw 2 pt 7 ps 1.3
set style line 2 lc rgb '#D55E00' lw 2 pt 5 ps 1.3
set style line 3 lc rgb '#009E73' lw 2 pt 9 ps 1.3
set style line 4 lc rgb '#CC79A7' lw 2 pt 11 ps 1.3
set style line 5 lc rgb '#E69F00' lw 2 pt 13 ps 1.3
set style line 6 lc rgb '#56B4E9' lw 2 pt 15 ps 1.3
set style line 7 lc rgb '#000000' lw 2 pt 6 ps 1.3
set style line 8 lc rgb '#999933' lw 2 pt 4 ps 1.3
set style line 9 lc rgb '#0072B2' lw 2 pt 8 ps 1.3
set style line 10 lc rgb '#D55E00' lw 2 pt 10 ps 1.3
set style line 11 lc rgb '#009E73' lw 2 pt 12 ps 1.3
set style line 12 lc rgb '#CC79A7' lw 2 pt 14 ps 1.3
set style line 13 lc rgb '#E69F00' lw 2 pt 7 ps 1.3
set style line 14 lc rgb '#56B4E9' lw 2 pt 5 ps 1.3
set style line 15 lc rgb '#000000' lw 2 pt 9 ps 1.3
guide = 'dt 2 lw 1.5'

# Series titles; titles_tex for the cairolatex variant.
array titles[15]
array titles_tex[15]
titles[1] = 'adjdeis-1 cached'
titles_tex[1] = 'adjdeis-1 cached'
titles[2] = 'adjdeis-1@backsolve backsolve'
titles_tex[2] = 'adjdeis-1@backsolve backsolve'
titles[3] = 'adjdeis-2m cached'
titles_tex[3] = 'adjdeis-2m cached'
titles[4] = 'adjdeis-2m@backsolve backsolve'
titles_tex[4] = 'adjdeis-2m@backsolve backsolve'
titles[5] = 'rk4-lambda@oracle oracle'
titles_tex[5] = 'rk4-lambda@oracle oracle'
titles[6] = 'rk4-lambda@backsolve backsolve'
titles_tex[6] = 'rk4-lambda@backsolve backsolve'
titles[7] = 'dto-dpm-1 cached'
titles_tex[7] = 'dto-dpm-1 cached'
titles[8] = 'dto-dpm-1@checkpoint-4 cached'
titles_tex[8] = 'dto-dpm-1@checkpoint-4 cached'
titles[9] = 'dto-dpm-1@reversible cached'
titles_tex[9] = 'dto-dpm-1@reversible cached'
titles[10] = 'dto-dpm-2m cached'
titles_tex[10] = 'dto-dpm-2m cached'
titles[11] = 'dto-dpm-2m@checkpoint-4 cached'
titles_tex[11] = 'dto-dpm-2m@checkpoint-4 cached'
titles[12] = 'dto-dpm-2s cached'
titles_tex[12] = 'dto-dpm-2s cached'
titles[13] = 'dto-dpm-2s@reversible cached'
titles_tex[13] = 'dto-dpm-2s@reversible cached'
titles[14] = 'dto-rk4-lambda cached'
titles_tex[14] = 'dto-rk4-lambda cached'
titles[15] = 'dto-rk4-lambda@checkpoint-4 cached'
titles_tex[15] = 'dto-rk4-lambda@checkpoint-4 cached'
T(i) = tex ? titles_tex[i] : titles[i]

do for [fmt in formats] {
  tex = (fmt eq 'tex')
  if (fmt eq 'png') { set terminal pngcairo size 1200,900 enhanced font 'Sans,12' }
  if (fmt eq 'pdf') { set terminal pdfcairo size 9.0in,6.8in enhanced font 'Sans,9' }
  if (fmt eq 'svg') { set terminal svg size 1200,900 enhanced font 'Sans,12' background rgb 'white' }
  if (tex) { set terminal cairolatex pdf size 6.4in,4.8in }
  set output tex ? outbase.'-latex.tex' : outbase.'.'.fmt
  set border; set tics; set offsets graph 0.04, graph 0.04, 0, 0
  set grid xtics ytics lt 1 lc rgb '#dddddd' lw 1
  set logscale x 2; set format x '%g'
  set xlabel tex ? 'steps $N$' : 'steps N'
  set logscale y 10; set format y tex ? '$10^{%L}$' : '10^{%L}'
  set ylabel 'relative error'
  set key bottom left Left reverse samplen 2.5 box lc rgb '#bbbbbb' opaque
  set multiplot layout 2,2
  set title tex ? '$\partial L/\partial x_T$' : '∂L/∂x_T'
  unset key
  plot \
    'errors-x_T.dat' index 0 using 1:2 with linespoints ls 1 title T(1) noenhanced, \
    'guides-x_T.dat' index 0 using 1:3 with lines ls 1 @guide notitle, \
    'errors-x_T.dat' index 1 using 1:2 with linespoints ls 2 title T(2) noenhanced, \
    'guides-x_T.dat' index 1 using 1:3 with lines ls 2 @guide notitle, \
    'errors-x_T.dat' index 2 using 1:2 with linespoints ls 3 title T(3) noenhanced, \
    'guides-x_T.dat' index 2 using 1:3 with lines ls 3 @guide notitle, \
    'errors-x_T.dat' index 3 using 1:2 with linespoints ls 4 title T(4) noenhanced, \
    'guides-x_T.dat' index 3 using 1:3 with lines ls 4 @guide notitle, \
    'errors-x_T.dat' index 4 using 1:2 with linespoints ls 5 title T(5) noenhanced, \
    'guides-x_T.dat' index 4 using 1:3 with lines ls 5 @guide notitle, \
    'errors-x_T.dat' index 5 using 1:2 with linespoints ls 6 title T(6) noenhanced, \
    'guides-x_T.dat' index 5 using 1:3 with lines ls 6 @guide notitle, \
    'errors-x_T.dat' index 6 using 1:2 with linespoints ls 7 title T(7) noenhanced, \
    'guides-x_T.dat' index 6 using 1:3 with lines ls 7 @guide notitle, \
    'errors-x_T.dat' index 7 using 1:2 with linespoints ls 8 title T(8) noenhanced, \
    'guides-x_T.dat' index 7 using 1:3 with lines ls 8 @guide notitle, \
    'errors-x_T.dat' index 8 using 1:2 with linespoints ls 9 title T(9) noenhanced, \
    'guides-x_T.dat' index 8 using 1:3 with lines ls 9 @guide notitle, \
    'errors-x_T.dat' index 9 using 1:2 with linespoints ls 10 title T(10) noenhanced, \
    'guides-x_T.dat' index 9 using 1:3 with lines ls 10 @guide notitle, \
    'errors-x_T.dat' index 10 using 1:2 with linespoints ls 11 title T(11) noenhanced, \
    'guides-x_T.dat' index 10 using 1:3 with lines ls 11 @guide notitle, \
    'errors-x_T.dat' index 11 using 1:2 with linespoints ls 12 title T(12) noenhanced, \
    'guides-x_T.dat' index 11 using 1:3 with lines ls 12 @guide notitle, \
    'errors-x_T.dat' index 12 using 1:2 with linespoints ls 13 title T(13) noenhanced, \
    'guides-x_T.dat' index 12 using 1:3 with lines ls 13 @guide notitle, \
    'errors-x_T.dat' index 13 using 1:2 with linespoints ls 14 title T(14) noenhanced, \
    'guides-x_T.dat' index 13 using 1:3 with lines ls 14 @guide notitle, \
    'errors-x_T.dat' index 14 using 1:2 with linespoints ls 15 title T(15) noenhanced, \
    'guides-x_T.dat' index 14 using 1:3 with lines ls 15 @guide notitle
  set title tex ? '$\partial L/\partial z$' : '∂L/∂z'
  unset key
  plot \
    'errors-z.dat' index 0 using 1:2 with linespoints ls 1 title T(1) noenhanced, \
    'guides-z.dat' index 0 using 1:3 with lines ls 1 @guide notitle, \
    'errors-z.dat' index 1 using 1:2 with linespoints ls 2 title T(2) noenhanced, \
    'guides-z.dat' index 1 using 1:3 with lines ls 2 @guide notitle, \
    'errors-z.dat' index 2 using 1:2 with linespoints ls 3 title T(3) noenhanced, \
    'guides-z.dat' index 2 using 1:3 with lines ls 3 @guide notitle, \
    'errors-z.dat' index 3 using 1:2 with linespoints ls 4 title T(4) noenhanced, \
    'guides-z.dat' index 3 using 1:3 with lines ls 4 @guide notitle, \
    'errors-z.dat' index 4 using 1:2 with linespoints ls 5 title T(5) noenhanced, \
    'guides-z.dat' index 4 using 1:3 with lines ls 5 @guide notitle, \
    'errors-z.dat' index 5 using 1:2 with linespoints ls 6 title T(6) noenhanced, \
    'guides-z.dat' index 5 using 1:3 with lines ls 6 @guide notitle, \
    'errors-z.dat' index 6 using 1:2 with linespoints ls 7 title T(7) noenhanced, \
    'guides-z.dat' index 6 using 1:3 with lines ls 7 @guide notitle, \
    'errors-z.dat' index 7 using 1:2 with linespoints ls 8 title T(8) noenhanced, \
    'guides-z.dat' index 7 using 1:3 with lines ls 8 @guide notitle, \
    'errors-z.dat' index 8 using 1:2 with linespoints ls 9 title T(9) noenhanced, \
    'guides-z.dat' index 8 using 1:3 with lines ls 9 @guide notitle, \
    'errors-z.dat' index 9 using 1:2 with linespoints ls 10 title T(10) noenhanced, \
    'guides-z.dat' index 9 using 1:3 with lines ls 10 @guide notitle, \
    'errors-z.dat' index 10 using 1:2 with linespoints ls 11 title T(11) noenhanced, \
    'guides-z.dat' index 10 using 1:3 with lines ls 11 @guide notitle, \
    'errors-z.dat' index 11 using 1:2 with linespoints ls 12 title T(12) noenhanced, \
    'guides-z.dat' index 11 using 1:3 with lines ls 12 @guide notitle, \
    'errors-z.dat' index 12 using 1:2 with linespoints ls 13 title T(13) noenhanced, \
    'guides-z.dat' index 12 using 1:3 with lines ls 13 @guide notitle, \
    'errors-z.dat' index 13 using 1:2 with linespoints ls 14 title T(14) noenhanced, \
    'guides-z.dat' index 13 using 1:3 with lines ls 14 @guide notitle, \
    'errors-z.dat' index 14 using 1:2 with linespoints ls 15 title T(15) noenhanced, \
    'guides-z.dat' index 14 using 1:3 with lines ls 15 @guide notitle
  set title tex ? '$\partial L/\partial \theta$' : '∂L/∂θ'
  unset key
  plot \
    'errors-theta.dat' index 0 using 1:2 with linespoints ls 1 title T(1) noenhanced, \
    'guides-theta.dat' index 0 using 1:3 with lines ls 1 @guide notitle, \
    'errors-theta.dat' index 1 using 1:2 with linespoints ls 2 title T(2) noenhanced, \
    'guides-theta.dat' index 1 using 1:3 with lines ls 2 @guide notitle, \
    'errors-theta.dat' index 2 using 1:2 with linespoints ls 3 title T(3) noenhanced, \
    'guides-theta.dat' index 2 using 1:3 with lines ls 3 @guide notitle, \
    'errors-theta.dat' index 3 using 1:2 with linespoints ls 4 title T(4) noenhanced, \
    'guides-theta.dat' index 3 using 1:3 with lines ls 4 @guide notitle, \
    'errors-theta.dat' index 4 using 1:2 with linespoints ls 5 title T(5) noenhanced, \
    'guides-theta.dat' index 4 using 1:3 with lines ls 5 @guide notitle, \
    'errors-theta.dat' index 5 using 1:2 with linespoints ls 6 title T(6) noenhanced, \
    'guides-theta.dat' index 5 using 1:3 with lines ls 6 @guide notitle, \
    'errors-theta.dat' index 6 using 1:2 with linespoints ls 7 title T(7) noenhanced, \
    'guides-theta.dat' index 6 using 1:3 with lines ls 7 @guide notitle, \
    'errors-theta.dat' index 7 using 1:2 with linespoints ls 8 title T(8) noenhanced, \
    'guides-theta.dat' index 7 using 1:3 with lines ls 8 @guide notitle, \
    'errors-theta.dat' index 8 using 1:2 with linespoints ls 9 title T(9) noenhanced, \
    'guides-theta.dat' index 8 using 1:3 with lines ls 9 @guide notitle, \
    'errors-theta.dat' index 9 using 1:2 with linespoints ls 10 title T(10) noenhanced, \
    'guides-theta.dat' index 9 using 1:3 with lines ls 10 @guide notitle, \
    'errors-theta.dat' index 10 using 1:2 with linespoints ls 11 title T(11) noenhanced, \
    'guides-theta.dat' index 10 using 1:3 with lines ls 11 @guide notitle, \
    'errors-theta.dat' index 11 using 1:2 with linespoints ls 12 title T(12) noenhanced, \
    'guides-theta.dat' index 11 using 1:3 with lines ls 12 @guide notitle, \
    'errors-theta.dat' index 12 using 1:2 with linespoints ls 13 title T(13) noenhanced, \
    'guides-theta.dat' index 12 using 1:3 with lines ls 13 @guide notitle, \
    'errors-theta.dat' index 13 using 1:2 with linespoints ls 14 title T(14) noenhanced, \
    'guides-theta.dat' index 13 using 1:3 with lines ls 14 @guide notitle, \
    'errors-theta.dat' index 14 using 1:2 with linespoints ls 15 title T(15) noenhanced, \
    'guides-theta.dat' index 14 using 1:3 with lines ls 15 @guide notitle
  unset border; unset tics; unset grid; unset xlabel; unset ylabel; unset title
  unset logscale; set key center center Left reverse noopaque nobox samplen 3 spacing 1.4
  plot [0:1][0:1] for [i=1:15] NaN with linespoints ls i title T(i) noenhanced, \
    NaN with lines lc rgb '#555555' @guide title 'expected order'
  unset multiplot
  set output
}

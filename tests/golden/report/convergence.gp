# convergence.gp: relative error against steps N, one panel per gradient, for the study
# demo-study. Written by adeis from errors.csv and orders.csv: restyle it freely and
# re-run it from this folder with   gnuplot convergence.gp
# (`adeis plot` writes it anew; keep a restyled copy under another name).
#   errors-Q.dat  one block per series: N, error, NFE+NVJP, NFE, NVJP, seconds, used
#   guides-Q.dat  dashed lines of the expected order through the last used point
# Options: gnuplot -e 'formats="png"; outbase="fig"' convergence.gp

if (!exists("outbase")) outbase = 'convergence'
if (!exists("formats")) formats = 'png pdf svg tex'
set encoding utf8

# One style per series; its guide is the same colour, dashed.
set style line 1 lc rgb '#0072B2' lw 2 pt 7 ps 1.3
set style line 2 lc rgb '#D55E00' lw 2 pt 5 ps 1.3
guide = 'dt 2 lw 1.5'

# Series titles; titles_tex for the cairolatex variant.
array titles[2]
array titles_tex[2]
titles[1] = 'adjdeis-1'
titles_tex[1] = 'adjdeis-1'
titles[2] = 'adjdeis-2m'
titles_tex[2] = 'adjdeis-2m'
T(i) = tex ? titles_tex[i] : titles[i]

do for [fmt in formats] {
  tex = (fmt eq 'tex')
  if (fmt eq 'png') { set terminal pngcairo size 1200,900 enhanced font 'Sans,12' }
  if (fmt eq 'pdf') { set terminal pdfcairo size 9.0in,6.8in enhanced font 'Sans,9' }
  if (fmt eq 'svg') { set terminal svg size 1200,900 enhanced font 'Sans,12' background rgb 'white' }
  if (tex) { set terminal cairolatex pdf size 6.4in,4.8in }
  set output tex ? (exists('out_tex') ? out_tex : outbase.'-latex.tex') : \
    (exists('out_'.fmt) ? value('out_'.fmt) : outbase.'.'.fmt)
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
    'guides-x_T.dat' index 1 using 1:3 with lines ls 2 @guide notitle
  set title tex ? '$\partial L/\partial z$' : '∂L/∂z'
  unset key
  plot \
    'errors-z.dat' index 0 using 1:2 with linespoints ls 1 title T(1) noenhanced, \
    'guides-z.dat' index 0 using 1:3 with lines ls 1 @guide notitle, \
    'errors-z.dat' index 1 using 1:2 with linespoints ls 2 title T(2) noenhanced, \
    'guides-z.dat' index 1 using 1:3 with lines ls 2 @guide notitle
  set title tex ? '$\partial L/\partial \theta$' : '∂L/∂θ'
  unset key
  plot \
    'errors-theta.dat' index 0 using 1:2 with linespoints ls 1 title T(1) noenhanced, \
    'guides-theta.dat' index 0 using 1:3 with lines ls 1 @guide notitle, \
    'errors-theta.dat' index 1 using 1:2 with linespoints ls 2 title T(2) noenhanced, \
    'guides-theta.dat' index 1 using 1:3 with lines ls 2 @guide notitle
  unset border; unset tics; unset grid; unset xlabel; unset ylabel; unset title
  unset logscale; set key center center Left reverse noopaque nobox samplen 3 spacing 1.4
  plot [0:1][0:1] for [i=1:2] NaN with linespoints ls i title T(i) noenhanced, \
    NaN with lines lc rgb '#555555' @guide title 'expected order'
  unset multiplot
  set output
}

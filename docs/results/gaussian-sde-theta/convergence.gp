# convergence.gp: relative error against steps N, one panel per gradient, for the study
# gaussian-sde-theta. Written by adeis from errors.csv and orders.csv: restyle it freely and
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
guide = 'dt 2 lw 1.5'

# Series titles; titles_tex for the cairolatex variant.
array titles[3]
array titles_tex[3]
titles[1] = 'adjdeis-1'
titles_tex[1] = 'adjdeis-1'
titles[2] = 'adjdeis-2m'
titles_tex[2] = 'adjdeis-2m'
titles[3] = 'rk4-lambda'
titles_tex[3] = 'rk4-lambda'
T(i) = tex ? titles_tex[i] : titles[i]

do for [fmt in formats] {
  tex = (fmt eq 'tex')
  if (fmt eq 'png') { set terminal pngcairo size 600,450 enhanced font 'Sans,12' }
  if (fmt eq 'pdf') { set terminal pdfcairo size 4.5in,3.4in enhanced font 'Sans,9' }
  if (fmt eq 'svg') { set terminal svg size 600,450 enhanced font 'Sans,12' background rgb 'white' }
  if (tex) { set terminal cairolatex pdf size 3.2in,2.4in }
  set output tex ? outbase.'-latex.tex' : outbase.'.'.fmt
  set border; set tics; set offsets graph 0.04, graph 0.04, 0, 0
  set grid xtics ytics lt 1 lc rgb '#dddddd' lw 1
  set logscale x 2; set format x '%g'
  set xlabel tex ? 'steps $N$' : 'steps N'
  set logscale y 10; set format y tex ? '$10^{%L}$' : '10^{%L}'
  set ylabel 'relative error'
  set key bottom left Left reverse samplen 2.5 box lc rgb '#bbbbbb' opaque
  set multiplot layout 1,1
  set title tex ? '$\partial L/\partial \theta$' : '∂L/∂θ'
  set key
  plot \
    'errors-theta.dat' index 0 using 1:2 with linespoints ls 1 title T(1) noenhanced, \
    'guides-theta.dat' index 0 using 1:3 with lines ls 1 @guide notitle, \
    'errors-theta.dat' index 1 using 1:2 with linespoints ls 2 title T(2) noenhanced, \
    'guides-theta.dat' index 1 using 1:3 with lines ls 2 @guide notitle, \
    'errors-theta.dat' index 2 using 1:2 with linespoints ls 3 title T(3) noenhanced, \
    'guides-theta.dat' index 2 using 1:3 with lines ls 3 @guide notitle, \
    keyentry with lines lc rgb '#555555' @guide title 'expected order'
  unset multiplot
  set output
}

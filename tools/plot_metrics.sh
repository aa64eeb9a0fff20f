#!/usr/bin/env bash
# Draws a training run's RUN/metrics.csv with gnuplot into RUN/metrics.png:
# the losses, the gap between the learned value and the terminal reward on
# fresh self-play games (v vs z, q vs z), the evaluation scores, and the
# self-play speed, each against the run's elapsed minutes.
# usage: tools/plot_metrics.sh RUN [OUT.png|OUT.svg]  (the extension picks
# the format: az serve draws SVG with this same script)
set -euo pipefail
if [ $# -lt 1 ] || [ ! -f "$1/metrics.csv" ]; then
  echo "usage: tools/plot_metrics.sh RUN [OUT.png]  (RUN/metrics.csv must exist)" >&2
  exit 2
fi
command -v gnuplot >/dev/null || { echo "plot_metrics: gnuplot is not installed (tools/setup.sh installs it)" >&2; exit 1; }
csv="$1/metrics.csv"
out="${2:-$1/metrics.png}"
terminal='pngcairo size 1200,900 font ",10"'
case "$out" in
  *.svg) terminal='svg size 1200,900 dynamic font ",10"' ;;
esac
# Runs from before the learning-rate schedule have no learning_rate column.
lr_plot=""
lr_axis=""
if head -n 1 "$csv" | tr ',' '\n' | grep -qx learning_rate; then
  lr_plot=', "" using (column("elapsed_s")/60):"learning_rate" axes x1y2 with lines lw 1 dt 2 title "learning rate (right)"'
  lr_axis='set y2tics; set format y2 "%.1e"'
fi

gnuplot <<GP
set datafile separator comma
set datafile missing ""
set terminal $terminal
set output "$out"
set key autotitle columnhead top right
set grid
set xlabel "minutes"
set multiplot layout 2,2 title "az train: $1"
set title "training loss (cross-entropy)"
$lr_axis
plot "$csv" using (column("elapsed_s")/60):"policy_loss" with lines lw 2 title "policy", \
     "" using (column("elapsed_s")/60):"value_loss" with lines lw 2 title "value (WDL)"$lr_plot
unset y2tics
set format y2
set title "learned value vs terminal reward on fresh self-play games"
set ylabel "mean squared gap"
plot "$csv" using (column("elapsed_s")/60):"v_z_mse" with lines lw 2 title "(v - z)^2: raw network value", \
     "" using (column("elapsed_s")/60):"q_z_mse" with lines lw 2 title "(q - z)^2: search value"
set title "evaluation (wins; draws count half in the score)"
set ylabel "share of games"
set yrange [0:1.05]
plot "$csv" using (column("elapsed_s")/60):"eval_win_vs_random" with linespoints lw 2 title "wins vs random", \
     "" using (column("elapsed_s")/60):"eval_win_vs_mcts" with linespoints lw 2 title "wins vs pure MCTS", \
     "" using (column("elapsed_s")/60):"eval_score_vs_mcts" with linespoints lw 1 dt 2 title "score vs pure MCTS"
set yrange [*:*]
set title "self-play speed"
set ylabel "games/s"
set y2label "network evaluations/s"
set y2tics
plot "$csv" using (column("elapsed_s")/60):"games_per_s" with lines lw 2 title "games/s", \
     "" using (column("elapsed_s")/60):"nn_evals_per_s" axes x1y2 with lines lw 2 title "evals/s"
unset multiplot
GP
echo "$out"

#!/usr/bin/env bash
# scripts/fuzz.sh BUILD SECONDS TARGET...: run each libFuzzer target BUILD/fuzz_TARGET for
# SECONDS seconds (make fuzz); SECONDS = 0 runs each over its corpus once, no new inputs
# (what .ci/run does, so that the targets keep building and the seeds keep passing). The corpus grows in BUILD/corpus/TARGET, seeded with the
# shipped problem and study files (INI targets), the shipped results (report) or the seeds in
# fuzz/corpus/TARGET (the others); findings (crash-*, leak-*, timeout-*, oom-*) land in
# BUILD/findings/TARGET/ and the log in BUILD/fuzz-TARGET.log. Prints one line per target
# (executions, corpus size, findings) and exits 1 if any target found something.
set -u
build=$(cd "$1" && pwd)
seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for t in "$@"; do
  corpus=$build/corpus/$t
  findings=$build/findings/$t
  log=$build/fuzz-$t.log
  rm -rf "$findings"
  mkdir -p "$corpus" "$findings"
  dict=(-dict="$root/fuzz/ini.dict")
  max_len=16384
  case $t in
    problem) seeds=("$root"/problems/*.ini) ;;
    study) seeds=("$root"/studies/*.ini) ;;
    inifile) seeds=("$root"/problems/*.ini "$root"/studies/*.ini) ;;
    report) # the shipped results: errors.csv, orders.csv, study.ini, hlines.csv, "%%" between
      dict=()
      max_len=65536
      seeds=()
      for d in "$root"/docs/results/*/; do
        [ -f "$d/errors.csv" ] || continue
        seed=$build/report-seed-$(basename "$d")
        {
          cat "$d/errors.csv"
          printf '%%%%\n'
          cat "$d/orders.csv"
          printf '%%%%\n'
          cat "$d/study.ini" 2>/dev/null
          if [ -f "$d/hlines.csv" ]; then printf '%%%%\n' && cat "$d/hlines.csv"; fi
        } >"$seed"
        seeds+=("$seed")
      done
      ;;
    *) # fuzz/corpus/TARGET: seeds made for the target (its first byte picks a variant)
      dict=()
      seeds=("$root"/fuzz/corpus/"$t"/*)
      ;;
  esac
  for f in "${seeds[@]}"; do
    cp -n "$f" "$corpus/seed-$(basename "$(dirname "$f")")-$(basename "$f")"
  done
  if [ "$seconds" = 0 ]; then limit=(-runs=0); else limit=(-max_total_time="$seconds"); fi
  ADEIS_ROOT=$root "$build/fuzz_$t" "${limit[@]}" -print_final_stats=1 \
    -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" "${dict[@]}" \
    -artifact_prefix="$findings/" "$corpus" >"$log" 2>&1
  rc=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
  n=$(find "$findings" -type f | wc -l)
  printf 'fuzz_%s: %s executions in %s s (%s/s), corpus %s inputs, %s findings, exit %s\n' \
    "$t" "${execs:-?}" "$seconds" "${rate:-?}" "$(find "$corpus" -type f | wc -l)" "$n" "$rc"
  if [ "$rc" -ne 0 ] || [ "$n" -ne 0 ]; then
    status=1
    find "$findings" -type f | sed 's/^/  finding: /'
    grep -m1 -E 'ERROR: |runtime error|SUMMARY' "$log" | sed 's/^/  /'
    echo "  log: $log"
  fi
done
exit $status

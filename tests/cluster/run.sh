#!/usr/bin/env bash
# make check-cluster: studies/gaussian-ode.ini through a real one-node Slurm
# (scripts/slurm-local.sh), as 4 shards submitted by `adeis slurm --submit`.
#  1. the collected files equal a one-machine run's (seconds masked, see same_folder);
#  2. a shard's job killed part-way cancels the collect job (never left pending), collect
#     then names the missing shard and exits 1, and running submit.sh again completes the
#     same files.
# Timings are printed as "timing: ..." lines (docs/cluster.md quotes them).
# Needs root (it may install slurm-wlm and munge, and starts slurmd). ADEIS_BIN: the program.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
adeis=${ADEIS_BIN:-$root/build/adeis}
study=$root/studies/gaussian-ode.ini
work=$(mktemp -d /tmp/adeis-cluster-XXXXXX)
chmod 755 "$work" # munged (user munge) reaches its socket below it
slurm=$work/slurm
failures=0

say() { echo "check-cluster: $*"; }
fail() {
  say "FAIL: $*"
  failures=$((failures + 1))
}
cleanup() {
  local rc=$?
  [ "$rc" -eq 0 ] || failures=$((failures + 1))
  # our jobs first (bounded), then exactly the daemons we started
  if [ -n "${SLURM_CONF:-}" ]; then timeout 10 scancel --quiet --user="$(id -un)" || true; fi
  bash "$root/scripts/slurm-local.sh" stop "$slurm" || true
  if [ "$failures" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$work"; else say "kept $work"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# The state of job ID (PENDING, RUNNING, COMPLETED, CANCELLED, FAILED, ...).
job_state() {
  timeout 10 scontrol show job "$1" -o 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'
}

# Wait (at most $2 seconds) until job $1 has ended; print its final state.
wait_job() {
  local id=$1 limit=$2 t0=$SECONDS st
  while :; do
    st=$(job_state "$id")
    case "$st" in
    COMPLETED | CANCELLED | FAILED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | PREEMPTED | DEADLINE)
      echo "$st"
      return 0
      ;;
    esac
    if [ $((SECONDS - t0)) -ge "$limit" ]; then
      echo "still-${st:-unknown}"
      return 0
    fi
    sleep 0.2
  done
}

# "array job A (4 shards), collect job C" -> A C
job_ids() { sed -n 's/^array job \([0-9]*\) .*collect job \([0-9]*\)$/\1 \2/p'; }

# A file's text with the seconds masked: the last column of errors.csv and of the point
# files, column 6 of the .dat files. Everything else, PDFs included, byte for byte: every
# run here (and every Slurm job, which inherits the environment) dates its PDFs
# SOURCE_DATE_EPOCH instead of the clock (docs/figures.md, "Reproducible PDFs").
export SOURCE_DATE_EPOCH=1700000000
masked() {
  case "$1" in
  */errors.csv | */points/*.csv) sed 's/,[^,]*$//' "$1" ;;
  *.dat) awk '!/^#/ && NF >= 6 { $6 = "S" } { print }' "$1" ;;
  *) cat "$1" ;;
  esac
}

# Every file of the one-machine folder $1 (points included) in $2, equal once masked;
# $2 holds nothing else but slurm/, the lock and the shard runs' mark of their count.
same_folder() {
  local a=$1 b=$2 n=0 f
  local la lb
  la=$(cd "$a" && find . -type f ! -name .adeis.lock | sort)
  lb=$(cd "$b" && find . -type f ! -name .adeis.lock ! -name '.adeis.shards-*' ! -path './slurm/*' | sort)
  if [ "$la" != "$lb" ]; then
    fail "$b holds other files than $a: $(diff <(echo "$la") <(echo "$lb") | head -5 | tr '\n' ' ')"
    return
  fi
  for f in $la; do
    if ! cmp -s <(masked "$a/$f") <(masked "$b/$f"); then fail "$b/$f differs from $a/$f"; fi
    n=$((n + 1))
  done
  say "$n files of $b equal the one-machine run's (seconds masked)"
}

# ---- a local Slurm ----
t0=$(now)
bash "$root/scripts/slurm-local.sh" start "$slurm"
export SLURM_CONF=$slurm/etc/slurm.conf
say "timing: Slurm daemons up and the node idle in $(since "$t0") s (packages already installed)"

# ---- the reference: one machine ----
t0=$(now)
"$adeis" study "$study" -o "$work/one/gaussian-ode" --quiet
say "timing: one-machine run $(since "$t0") s"

# ---- round 1: 4 shards and the collect job ----
dir=$work/round1/gaussian-ode
t0=$(now)
out=$("$adeis" slurm "$study" -o "$dir" --shards 4 --submit)
say "adeis slurm --submit: $out"
read -r array collect <<<"$(echo "$out" | job_ids)"
[ -n "${collect:-}" ] || {
  fail "no job ids in: $out"
  exit 1
}
st=$(wait_job "$collect" 120)
say "timing: round 1, submit to collect job $st: $(since "$t0") s"
[ "$st" = COMPLETED ] || fail "collect job $collect ended $st ($(cat "$dir"/slurm/*.out 2>/dev/null))"
for k in 0 1 2 3; do
  s=$(job_state "${array}_$k")
  [ "$s" = COMPLETED ] || fail "shard $k ended $s"
done
cat "$dir"/slurm/*.out
same_folder "$work/one/gaussian-ode" "$dir"

# ---- round 2: kill shard 1 part-way, the collect job is cancelled, re-submit resumes ----
# Shard 1 runs for a few tenths of a second, too short to hit by waiting a guessed delay
# after Slurm says RUNNING. So: find its adeis process as soon as it exists, freeze it
# (SIGSTOP), let it run for a slice of the time it took in round 1 (SIGCONT, sleep, SIGSTOP),
# then scancel the task and continue the process, which receives Slurm's SIGTERM; whatever
# points it had finished stay, the one in progress is lost.

# The PID of the adeis process of shard 1 of 4 writing into folder $1, if it runs (pgrep:
# procps, installed with the local Slurm; a scan of /proc in bash is too slow on a loaded
# machine to see a process that lives a few tenths of a second).
shard1_pid() { pgrep -o -f -- " -o $1 --shard 1/4 "; }

# Round 1's seconds for shard 1 ("... shard 1/4: 15 points (...) in 0.3 s"), at least 0.1.
round1_s=$(sed -n 's|.*shard 1/4: .* in \([0-9.]*\) s$|\1|p' "$work"/round1/gaussian-ode/slurm/shard-*.out)
killed=
slice=
for try in 1 2 3; do
  slice=$(awk -v s="${round1_s:-0.1}" -v t="$try" 'BEGIN { s = s < 0.1 ? 0.1 : s; printf "%.3f", 0.6 * s / 2 ^ (t - 1) }')
  dir=$work/round2-$try/gaussian-ode
  t0=$(now)
  out=$("$adeis" slurm "$study" -o "$dir" --shards 4 --submit)
  read -r array collect <<<"$(echo "$out" | job_ids)"
  pid=
  t1=$SECONDS
  while [ -z "$pid" ] && [ $((SECONDS - t1)) -lt 60 ]; do
    pid=$(shard1_pid "$dir") || sleep 0.005
  done
  if [ -n "$pid" ] && kill -STOP "$pid" 2>/dev/null; then
    kill -CONT "$pid"
    sleep "$slice"
    kill -STOP "$pid" 2>/dev/null || true
  fi
  timeout 10 scancel "${array}_1"
  [ -z "$pid" ] || kill -CONT "$pid" 2>/dev/null || true
  s1=$(wait_job "${array}_1" 30)
  if [ "$s1" = CANCELLED ]; then
    killed=$dir
    break
  fi
  say "shard 1 ended $s1 before it was killed (try $try, pid ${pid:-not found}); again"
  wait_job "$collect" 60 >/dev/null
done
[ -n "$killed" ] || {
  fail "could not kill shard 1 part-way in 3 tries"
  exit 1
}
st=$(wait_job "$collect" 60)
reason=$(timeout 10 scontrol show job "$collect" -o | sed -n 's/.* Reason=\([^ ]*\).*/\1/p')
say "timing: round 2, shard 1 killed, collect job $st ($reason) $(since "$t0") s after submit"
[ "$st" = CANCELLED ] || fail "collect job $collect ended $st after a shard was killed (expected CANCELLED)"
[ ! -e "$dir/errors.csv" ] || fail "errors.csv written though shard 1 was killed"
for k in 0 2 3; do wait_job "${array}_$k" 60 >/dev/null; done
set +e
msg=$("$adeis" study "$study" -o "$dir" --collect 2>&1) # the shards named by their runs' mark
rc=$?
set -e
say "collect by hand: exit $rc: $msg"
missing=$(echo "$msg" | sed -n 's/.*: \([0-9]*\) of 60 points missing.*/\1/p')
say "shard 1 was killed after running ${slice} s with $((15 - ${missing:-15})) of its 15 points written"
[ "$rc" -eq 1 ] || fail "collect with shard 1 missing exited $rc (expected 1)"
echo "$msg" | grep -q "they belong to shard 1 of 4" || fail "collect did not name shard 1"
t0=$(now)
out=$(sh "$dir/slurm/submit.sh")
say "re-submitted: $out"
read -r array collect <<<"$(echo "$out" | job_ids)"
st=$(wait_job "$collect" 120)
say "timing: round 2, re-submit to collect job $st: $(since "$t0") s"
[ "$st" = COMPLETED ] || fail "re-submitted collect job $collect ended $st"
grep -h "shard" "$dir"/slurm/shard-"$array"_*.out
same_folder "$work/one/gaussian-ode" "$dir"

if [ "$failures" -ne 0 ]; then
  say "$failures failures"
  exit 1
fi
say "ok"

#!/usr/bin/env bash
# A one-node Slurm on this machine, for tests (docs/cluster.md, make check-cluster).
#
#   scripts/slurm-local.sh start DIR   install slurm-wlm and munge when missing (through
#                                      scripts/install-deps.sh cluster), write DIR/etc/slurm.conf
#                                      for this machine, start munged, slurmctld and slurmd in
#                                      the background with their PIDs in DIR/pids, and wait
#                                      (at most SLURM_LOCAL_WAIT seconds, default 60) for the
#                                      node to be idle. Then: export SLURM_CONF=DIR/etc/slurm.conf
#   scripts/slurm-local.sh stop DIR    stop exactly the PIDs in DIR/pids: TERM, then KILL what
#                                      is left after 5 s.
#
# Runs as root (slurmd starts jobs as their users; munged runs as the munge user). Needs no
# systemd and no cgroups: proctrack/linuxproc, task/none, no accounting. Everything it writes
# is under DIR (state, spool, logs, munge key and socket). Ports: SLURM_LOCAL_PORT (slurmctld,
# default 6817) and the next one (slurmd).
# Every wait is bounded by elapsed time: when munge is broken each Slurm command retries for
# seconds, so each runs under `timeout`, and slurmd may ignore SIGTERM, hence the KILL.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
action=$1
dir=$2
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
here=$(cd "$(dirname "$0")" && pwd)
wait_max=${SLURM_LOCAL_WAIT:-60}

log() { echo "slurm-local: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# The PID file lines: NAME PID
record_pid() { echo "$1 $2" >>"$dir/pids"; }

# Whether PID still runs the program NAME (not an ended one, a zombie, or a reused PID; just
# after the fork it may still be this script about to exec NAME).
runs() {
  local name=$1 pid=$2 state
  state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -e "$name" -e slurm-local.sh
}

stop() {
  [ -f "$dir/pids" ] || {
    log "no $dir/pids: nothing to stop"
    return 0
  }
  local name pid left
  # slurmd first, munged last (the daemons talk through it)
  tac "$dir/pids" | while read -r name pid; do
    if runs "$name" "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  local t0=$SECONDS
  while :; do
    left=0
    while read -r name pid; do
      if runs "$name" "$pid"; then left=$((left + 1)); fi
    done <"$dir/pids"
    [ "$left" -eq 0 ] && break
    if [ $((SECONDS - t0)) -ge 5 ]; then
      while read -r name pid; do
        if runs "$name" "$pid"; then
          log "$name ($pid) ignored TERM: KILL"
          kill -KILL "$pid" 2>/dev/null || true
        fi
      done <"$dir/pids"
      sleep 0.2
      break
    fi
    sleep 0.1
  done
  rm -f "$dir/pids"
  log "stopped"
}

# A daemon of DIR/pids that has exited (its name), if any.
dead_daemon() {
  local name pid
  while read -r name pid; do
    if ! runs "$name" "$pid"; then
      echo "$name"
      return 0
    fi
  done <"$dir/pids"
  return 1
}

# Until COMMAND succeeds, at most wait_max seconds from start; returns 1 on timeout or when
# a daemon started has exited.
wait_for() {
  local what=$1 gone
  shift
  while ! "$@" >/dev/null 2>&1; do
    if gone=$(dead_daemon); then
      log "$gone exited while waiting for $what"
      return 1
    fi
    if [ $((SECONDS - started)) -ge "$wait_max" ]; then
      log "gave up after ${wait_max} s waiting for $what"
      return 1
    fi
    sleep 0.1
  done
}

write_conf() {
  local host=$1 cpus mem
  cpus=$(nproc)
  mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  local port=${SLURM_LOCAL_PORT:-6817}
  cat >"$dir/etc/slurm.conf" <<EOF
# Written by scripts/slurm-local.sh: a one-node cluster on this machine.
ClusterName=adeis-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MailProg=/bin/true
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  mkdir -p "$dir/munge"
  chown munge: "$dir/munge"
  chmod 0755 "$dir/munge" # munged wants its socket's folder searchable by all
  if [ ! -s "$dir/munge/munge.key" ]; then
    (umask 077 && head -c 1024 /dev/urandom >"$dir/munge/munge.key")
    chown munge: "$dir/munge/munge.key"
    chmod 0400 "$dir/munge/munge.key"
  fi
  setpriv --reuid=munge --regid=munge --init-groups -- test -x "$dir/munge" ||
    die "the munge user cannot reach $dir/munge: make the folders above it searchable (chmod o+x)"
  # setpriv execs munged itself, so $! is munged's PID
  setpriv --reuid=munge --regid=munge --init-groups -- munged --foreground \
    --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
    --seed-file="$dir/munge/munged.seed" >"$dir/log/munged.out" 2>&1 &
  record_pid munged $!
  wait_for "munged" sh -c "munge -n --socket='$dir/munge/munge.socket' | unmunge --socket='$dir/munge/munge.socket'"
}

start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (slurmd starts jobs as their users)"
  if [ -f "$dir/pids" ]; then
    log "$dir/pids exists: stopping what it names first"
    stop
  fi
  bash "$here/install-deps.sh" cluster
  started=$SECONDS
  local host
  host=$(hostname -s)
  mkdir -p "$dir/etc" "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
  : >"$dir/pids"
  write_conf "$host"
  export SLURM_CONF="$dir/etc/slurm.conf"
  start_munge || {
    stop
    die "munged did not start; see $dir/munge/munged.log"
  }
  slurmctld -D -i -f "$SLURM_CONF" >"$dir/log/slurmctld.out" 2>&1 &
  record_pid slurmctld $!
  slurmd -D -N "$host" -f "$SLURM_CONF" >"$dir/log/slurmd.out" 2>&1 &
  record_pid slurmd $!
  if ! wait_for "node $host to be idle" sh -c \
    "timeout 5 sinfo -h -n '$host' -o %t | grep -qx idle"; then
    stop
    die "Slurm did not come up; see $dir/log/"
  fi
  log "node $host idle after $((SECONDS - started)) s; export SLURM_CONF=$SLURM_CONF"
}

case "$action" in
start) start ;;
stop) stop ;;
*) usage ;;
esac

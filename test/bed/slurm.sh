#!/usr/bin/env bash
# A real two-node SLURM cluster on the test bed (run as root, with the bed up).
#
#   munged      root namespace, its own key and socket under $DIR/munge
#   slurmctld   in jss-login, hostname "login", listening on 10.200.2.1:6817
#   slurmd      in jss-gpu,   hostname "gpu",   NodeName=gpu NodeAddr=10.200.2.2
#
# Both daemons run under `nsenter --net=/run/netns/NS unshare --uts`, never
# `ip netns exec` (that remounts /sys and slurmd dies). The node names go to
# /etc/hosts (the namespaces share it) between marker comments, and come out
# again on `down`. Jobs run as the bed's user; the Torque-compatible
# qsub/qstat/qdel (slurm-wlm-torque) talk to the same cluster.
# Usage: slurm.sh up|down|status|drain [REASON]|resume   (JSS_SLURM_KEEP=1: a failed up is left for inspection)
set -Eeuo pipefail
# shellcheck source=test/bed/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR=/run/jss-slurm
CONF=/etc/slurm/slurm.conf
CONF_MARK='# jss-bed slurm.conf (written by test/bed/slurm.sh; removed by slurm.sh down)'
HOSTS=/etc/hosts
HOSTS_BEGIN='# >>> jss-bed slurm nodes >>>'
HOSTS_END='# <<< jss-bed slurm nodes <<<'
LOCK_FILE=/run/jss-slurm.lock
NS_LOGIN=jss-login
NS_GPU=jss-gpu
LOGIN_INNER=10.200.2.1
GPU_ADDR=10.200.2.2
BED_USER=jssbed

# Prints the PID in pid file $1 when that process is alive and its comm is $2.
daemon_pid() {
  local pid state
  pid="$(cat "$1" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "$2" ] || return 0
  state="$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)"
  case "$state" in Z | X | "") return 0 ;; esac
  echo "$pid"
}


# Slurm's client commands, as root, from the login node (the root namespace cannot reach 10.200.2.1).
ctl() {
  timeout 10 nsenter --net="/run/netns/$NS_LOGIN" "$@"
}

bed_up() {
  [ -e "/run/netns/$NS_LOGIN" ] && [ -e "/run/netns/$NS_GPU" ] && id -u "$BED_USER" >/dev/null 2>&1
}

is_up() {
  [ -f "$CONF" ] && head -n 1 "$CONF" | grep -qxF "$CONF_MARK" &&
    [ -n "$(daemon_pid "$DIR/munge/munged.pid" munged)" ] &&
    [ -n "$(daemon_pid "$DIR/slurmctld.pid" slurmctld)" ] &&
    [ -n "$(daemon_pid "$DIR/slurmd.pid" slurmd)" ] &&
    grep -qxF "$HOSTS_BEGIN" "$HOSTS"
}

hosts_remove() { hosts_block_remove "$HOSTS_BEGIN" "$HOSTS_END"; }
hosts_add() { hosts_block_add "$HOSTS_BEGIN" "$HOSTS_END" "$GPU_ADDR gpu" "$LOGIN_INNER login"; }

write_conf() {
  install -d -m 755 /etc/slurm
  cat >"$CONF" <<EOF
$CONF_MARK
ClusterName=jssbed
SlurmctldHost=login($LOGIN_INNER)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$DIR/munge/munge.socket.2
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=1
ReturnToService=2
MinJobAge=300
KillWait=2
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=gpu NodeAddr=$GPU_ADDR CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=gpu Default=YES MaxTime=INFINITE State=UP
EOF
  chmod 644 "$CONF"
}

start_munged() {
  install -d -m 755 "$DIR"
  install -d -m 700 -o munge -g munge "$DIR/munge"
  if [ ! -s "$DIR/munge/munge.key" ]; then
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
    chown munge:munge "$DIR/munge/munge.key"
    chmod 400 "$DIR/munge/munge.key"
  fi
  # Clients (sbatch as the bed's user) must reach the socket: its directory is 0755.
  chmod 755 "$DIR/munge"
  runuser -u munge -- /usr/sbin/munged \
    --socket="$DIR/munge/munge.socket.2" --key-file="$DIR/munge/munge.key" \
    --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" \
    --seed-file="$DIR/munge/munged.seed" 8>&-
  wait_for "munged" test -S "$DIR/munge/munge.socket.2"
}

node_ready() {
  local state
  state="$(ctl sinfo -h -n gpu -o %T 2>/dev/null || true)"
  case "$state" in idle | mixed | allocated | drained* | draining) return 0 ;; esac
  return 1
}

up() {
  if is_up; then
    status
    return 0
  fi
  if ! bed_up; then
    echo "slurm.sh: the bed is not up (run test/bed/bed.sh up first)" >&2
    return 1
  fi
  down
  [ -n "${JSS_SLURM_KEEP:-}" ] || trap 'echo "slurm.sh up: failed at line $LINENO ($BASH_COMMAND), tearing down" >&2; trap - ERR; down || true; exit 1' ERR
  install -d -m 755 "$DIR" "$DIR/state" "$DIR/spool"
  hosts_add
  write_conf
  start_munged
  # shellcheck disable=SC2016 # $1/$2 expand in the inner sh
  nsenter --net="/run/netns/$NS_LOGIN" unshare --uts sh -c 'hostname "$1"; exec /usr/sbin/slurmctld -f "$2" -i' sh login "$CONF" 8>&-
  wait_for slurmctld ctl scontrol ping
  # shellcheck disable=SC2016
  nsenter --net="/run/netns/$NS_GPU" unshare --uts sh -c 'hostname "$1"; exec /usr/sbin/slurmd -f "$2"' sh gpu "$CONF" 8>&-
  wait_for "slurmd on gpu" node_ready
  trap - ERR
  status
}

down() {
  local pids=() pid ns
  # 1. Jobs first, while the daemons can still clean up after them.
  if [ -n "$(daemon_pid "$DIR/slurmctld.pid" slurmctld)" ] && [ -e "/run/netns/$NS_LOGIN" ]; then
    ctl scancel --quiet --partition=debug 2>/dev/null || true
    for _ in $(seq 100); do
      [ -z "$(ctl squeue -h -o %i -t PD,R,CG,S 2>/dev/null || true)" ] && break
      sleep 0.05
    done
  fi
  # 2. The daemons, by pid file (checked to be what we started).
  for pid in "$(daemon_pid "$DIR/slurmd.pid" slurmd)" "$(daemon_pid "$DIR/slurmctld.pid" slurmctld)"; do
    if [ -n "$pid" ]; then pids+=("$pid"); fi
  done
  # 3. Step daemons of jobs in the gpu namespace (slurmd's children; they detach).
  for ns in "$NS_GPU" "$NS_LOGIN"; do
    if [ -e "/run/netns/$ns" ]; then
      for pid in $(ip netns pids "$ns" 2>/dev/null || true); do
        case "$(cat "/proc/$pid/comm" 2>/dev/null || true)" in
          slurmstepd | slurmd | slurmctld) pids+=("$pid") ;;
        esac
      done
    fi
  done
  stop_pids "${pids[@]}"
  pid="$(daemon_pid "$DIR/munge/munged.pid" munged)"
  if [ -n "$pid" ]; then stop_pids "$pid"; fi
  # 4. Files: our slurm.conf (only if it is ours), /etc/hosts block, state dir.
  if [ -f "$CONF" ] && head -n 1 "$CONF" | grep -qxF "$CONF_MARK"; then rm -f "$CONF"; fi
  hosts_remove
  rm -rf "$DIR"
  if [ -e "$DIR" ] || grep -qxF "$HOSTS_BEGIN" "$HOSTS"; then
    echo "slurm.sh down: something is left over" >&2
    return 1
  fi
}

status() {
  if ! is_up; then
    echo "slurm.sh: the cluster is not up" >&2
    return 1
  fi
  cat <<EOF
{
  "conf": "$CONF",
  "dir": "$DIR",
  "controller": { "host": "login", "addr": "$LOGIN_INNER", "pid": $(daemon_pid "$DIR/slurmctld.pid" slurmctld), "log": "$DIR/slurmctld.log" },
  "node": { "name": "gpu", "addr": "$GPU_ADDR", "pid": $(daemon_pid "$DIR/slurmd.pid" slurmd), "log": "$DIR/slurmd.log" },
  "partition": "debug"
}
EOF
}

main() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "slurm.sh: must run as root" >&2
    exit 1
  fi
  # The daemons are started with fd 8 closed, so they do not hold the lock.
  exec 8>"$LOCK_FILE"
  flock 8
  case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    drain) ctl scontrol update nodename=gpu state=drain reason="${2:-jss test}" ;;
    resume) ctl scontrol update nodename=gpu state=resume ;;
    *)
      echo "usage: $0 up|down|status|drain [REASON]|resume" >&2
      exit 2
      ;;
  esac
}

main "$@"

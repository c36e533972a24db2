#!/usr/bin/env bash
# A real two-host Grid Engine cluster (Son of Grid Engine 8.1.9, Debian) on the
# test bed (run as root, with the bed up):
#
#   sge_qmaster  in jss-login, hostname "login" (10.200.2.1), the submit and admin host
#   sge_execd    in jss-gpu,   hostname "gpu"   (10.200.2.2), queue all.q, 2 slots, PE smp
#
# Both enter only their host's network namespace (nsenter --net, as every bed
# daemon) with their own UTS namespace, and a private mount namespace with a
# hosts file of the bed's bind-mounted over /etc/hosts (Grid Engine resolves
# strictly; the jobs inherit it). Clients run on login, where the bed user's
# sshd sees /etc/hosts: "login" and "gpu" go there between marker comments.
# Grid Engine is unpacked in /opt/jss-sge (install.sh: its client conflicts
# with Slurm's Torque wrappers, which keep /usr/bin/qsub); its commands are in
# /opt/jss-sge/bin, which the SGE tests put first on the user's PATH. A fresh
# cluster on each up: SGE_ROOT, spool and configuration all under /run/jss-sge.
# Usage: sge.sh up|down|status|disable|enable   (disable: the queue takes no jobs: they wait in qw)
set -Eeuo pipefail
# shellcheck source=test/bed/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR=/run/jss-sge
export SGE_ROOT=/run/jss-sge/root SGE_CELL=default
SGE_PREFIX=/opt/jss-sge
SGE_BIN=$SGE_PREFIX/bin
SPOOL=$DIR/spool
# Loaded as "/usr/lib/gridengine/$SPOOL_LIB.so" (a path compiled in; see install.sh).
SPOOL_LIB=../../../opt/jss-sge/l/libspoolb
HOSTS=/etc/hosts
HOSTS_BEGIN='# >>> jss-bed sge hosts >>>'
HOSTS_END='# <<< jss-bed sge hosts <<<'
LOCK_FILE=/run/jss-sge.lock
NS_LOGIN=jss-login
NS_GPU=jss-gpu
LOGIN_INNER=10.200.2.1
GPU_ADDR=10.200.2.2
BED_USER=jssbed

bed_up() {
  [ -e "/run/netns/$NS_LOGIN" ] && [ -e "/run/netns/$NS_GPU" ] && id -u "$BED_USER" >/dev/null 2>&1
}

# PID of a Grid Engine daemon started by us, from its pid file (checked by comm).
sge_pid() {
  local pid
  pid="$(cat "$1" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "$2" ] || return 0
  alive "$pid" && echo "$pid"
  return 0
}
qmaster_pid() { sge_pid "$SPOOL/qmaster/qmaster.pid" sge_qmaster; }
execd_pid() { sge_pid "$SPOOL/execd/gpu/execd.pid" sge_execd; }

# A Grid Engine client command as root, from login (in its network namespace, with its hosts file).
ctl() {
  # shellcheck disable=SC2016 # $1/$@ expand in the inner sh
  timeout 15 nsenter --net="/run/netns/$NS_LOGIN" unshare --uts --mount sh -c \
    'mount --bind "$1" /etc/hosts; hostname login; shift; exec "$@"' sh "$DIR/hosts" "$SGE_BIN/$1" "${@:2}"
}

is_up() {
  [ -n "$(qmaster_pid)" ] && [ -n "$(execd_pid)" ] && grep -qxF "$HOSTS_BEGIN" "$HOSTS"
}

hosts_remove() { hosts_block_remove "$HOSTS_BEGIN" "$HOSTS_END"; }
hosts_add() { hosts_block_add "$HOSTS_BEGIN" "$HOSTS_END" "$GPU_ADDR gpu" "$LOGIN_INNER login"; }

# qconf -M*/-A* read a file; the configuration's name is the file's for -Mconf.
conf_file() {
  cat >"$DIR/$1"
  chmod 644 "$DIR/$1"
  echo "$DIR/$1"
}

configure() {
  ctl qconf -ah login >/dev/null
  ctl qconf -as login >/dev/null
  ctl qconf -Ae "$(conf_file gpu.exechost <<EOF
hostname              gpu
load_scaling          NONE
complex_values        NONE
user_lists            NONE
xuser_lists           NONE
projects              NONE
xprojects             NONE
usage_scaling         NONE
report_variables      NONE
EOF
)" >/dev/null
  # Fast scheduling (every second, and on each submit), and why a job waits in `qstat -j`.
  ctl qconf -ssconf | sed -e 's/^schedule_interval .*/schedule_interval 0:0:1/' -e 's/^flush_submit_sec .*/flush_submit_sec 1/' -e 's/^flush_finish_sec .*/flush_finish_sec 1/' -e 's/^schedd_job_info .*/schedd_job_info true/' >"$DIR/sched"
  ctl qconf -Msconf "$DIR/sched" >/dev/null
  chmod 644 "$DIR/sched"
  ctl qconf -Ap "$(conf_file smp.pe <<'EOF'
pe_name            smp
slots              2
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    $pe_slots
control_slaves     FALSE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
EOF
)" >/dev/null
  ctl qconf -sq all.q 2>/dev/null >/dev/null && ctl qconf -dq all.q >/dev/null
  ctl qconf -Aq "$(conf_file all.q.queue < <(ctl qconf -sq | sed \
    -e 's/^qname .*/qname all.q/' -e 's/^hostlist .*/hostlist gpu/' -e 's/^slots .*/slots 2/' \
    -e 's/^pe_list .*/pe_list smp/' -e 's/^shell .*/shell \/bin\/sh/' -e 's/^shell_start_mode .*/shell_start_mode unix_behavior/' \
    -e 's/^load_thresholds .*/load_thresholds NONE/'))" >/dev/null
}

start_execd() {
  install -d -m 755 -o sgeadmin -g sgeadmin "$SPOOL/execd"
  # shellcheck disable=SC2016 # $1 expands in the inner sh
  nsenter --net="/run/netns/$NS_GPU" unshare --uts --mount sh -c \
    'mount --bind "$1" /etc/hosts; hostname gpu; exec "$2/sge_execd"' sh "$DIR/hosts" "$SGE_BIN" 8>&-
}

# The queue takes jobs: not in alarm (a) or unknown (u). load_thresholds NONE: a busy test
# machine (load over 1.75 per core) would otherwise put it in alarm and no job would start.
queue_ready() {
  local s
  s="$(ctl qstat -f -q all.q 2>/dev/null | awk '$1 == "all.q@gpu" {print $6}')"
  [ -n "$(ctl qstat -f -q all.q 2>/dev/null | awk '$1 == "all.q@gpu"')" ] && case "$s" in *a* | *u*) return 1 ;; *) return 0 ;; esac
}

# What Debian's init_cluster does, for our SGE_ROOT and spool.
init_cluster() {
  local common="$SGE_ROOT/$SGE_CELL/common" util=/usr/share/gridengine/util
  install -d -m 755 "$common" "$SPOOL"
  ln -sfn "$util" "$SGE_ROOT/util"
  install -d -m 755 -o sgeadmin -g sgeadmin "$SPOOL/spooldb" "$SPOOL/qmaster" "$SPOOL/execd"
  cat >"$common/bootstrap" <<EOF
admin_user              sgeadmin
default_domain          none
ignore_fqdn             false
spooling_method         berkeleydb
spooling_lib            $SPOOL_LIB
spooling_params         $SPOOL/spooldb
binary_path             $SGE_BIN
qmaster_spool_dir       $SPOOL/qmaster
security_mode           none
listener_threads        2
worker_threads          2
scheduler_threads       1
EOF
  echo login >"$common/act_qmaster"
  # Debian's defaults, with our spool and load reports every 2 s (the queue is usable sooner).
  sed -e "s|^execd_spool_dir .*|execd_spool_dir $SPOOL/execd|" -e 's/^load_report_time .*/load_report_time 00:00:02/' \
    -e 's/^max_unheard .*/max_unheard 00:00:30/' /usr/share/gridengine/default-configuration >"$DIR/global.conf"
  chmod 644 "$common"/* "$DIR/global.conf"
  chown -R sgeadmin:sgeadmin "$SGE_ROOT"
  # shellcheck disable=SC2016 # $1..$4 expand in the inner sh
  runuser -u sgeadmin -- sh -c '
    set -e
    "$1/spoolinit" berkeleydb "$4" "$2" init
    "$1/spooldefaults" configuration "$3"
    "$1/spooldefaults" complexes /usr/share/gridengine/util/resources/centry
    "$1/spooldefaults" usersets /usr/share/gridengine/util/resources/usersets
    "$1/spooldefaults" managers sgeadmin root' sh "$SGE_BIN" "$SPOOL/spooldb" "$DIR/global.conf" "$SPOOL_LIB" >"$DIR/init.log" 2>&1 || { cat "$DIR/init.log" >&2; return 1; }
}

up() {
  if is_up; then
    status
    return 0
  fi
  if ! bed_up; then
    echo "sge.sh: the bed is not up (run test/bed/bed.sh up first)" >&2
    return 1
  fi
  if [ ! -x "$SGE_BIN/qsub" ] || [ ! -x "$SGE_PREFIX/usr/lib/gridengine/sge_qmaster" ]; then
    echo "sge.sh: Grid Engine is not installed (run test/bed/install.sh)" >&2
    return 1
  fi
  down
  [ -n "${JSS_SGE_KEEP:-}" ] || trap 'echo "sge.sh up: failed at line $LINENO ($BASH_COMMAND), tearing down" >&2; trap - ERR; down || true; exit 1' ERR
  install -d -m 755 "$DIR"
  printf '127.0.0.1 localhost\n%s gpu\n%s login\n' "$GPU_ADDR" "$LOGIN_INNER" >"$DIR/hosts"
  chmod 644 "$DIR/hosts"
  hosts_add
  install -d -m 755 /usr/lib/gridengine
  init_cluster
  # shellcheck disable=SC2016
  nsenter --net="/run/netns/$NS_LOGIN" unshare --uts --mount sh -c \
    'mount --bind "$1" /etc/hosts; hostname login; exec "$2/sge_qmaster"' sh "$DIR/hosts" "$SGE_BIN" 8>&-
  wait_for sge_qmaster ctl qstat
  configure
  start_execd
  wait_for "sge_execd on gpu" queue_ready
  trap - ERR
  status
}

# Every process in the gpu namespace that an execd started (shepherds and their jobs), and the daemons.
down() {
  local pids=() pid ns
  if [ -n "$(qmaster_pid)" ] && [ -e "/run/netns/$NS_LOGIN" ] && [ -f "$DIR/hosts" ]; then
    ctl qdel -f -u '*' >/dev/null 2>&1 || true
    for _ in $(seq 60); do
      [ -z "$(ctl qstat -u '*' 2>/dev/null || true)" ] && break
      sleep 0.05
    done
  fi
  pid="$(execd_pid)"
  if [ -n "$pid" ]; then pids+=("$pid"); fi
  # An execd stopped with TERM leaves its jobs running: their shepherds (and what they run) go too.
  for ns in "$NS_GPU" "$NS_LOGIN"; do
    if [ -e "/run/netns/$ns" ]; then
      for pid in $(ip netns pids "$ns" 2>/dev/null || true); do
        case "$(cat "/proc/$pid/comm" 2>/dev/null || true)" in
          sge_shepherd* | sge_execd | sge_qmaster) pids+=("$pid") ;;
        esac
      done
    fi
  done
  for pid in "${pids[@]}"; do
    case "$(cat "/proc/$pid/comm" 2>/dev/null || true)" in
      sge_shepherd*) pkill -TERM -P "$pid" 2>/dev/null || true ;;
    esac
  done
  pid="$(qmaster_pid)"
  if [ -n "$pid" ]; then pids+=("$pid"); fi
  if [ "${#pids[@]}" -gt 0 ]; then stop_pids "${pids[@]}"; fi
  hosts_remove
  rm -rf "$DIR"
  if [ -e "$DIR" ] || grep -qxF "$HOSTS_BEGIN" "$HOSTS" || [ -n "$(qmaster_pid)$(execd_pid)" ]; then
    echo "sge.sh down: something is left over" >&2
    return 1
  fi
}

status() {
  if ! is_up; then
    echo "sge.sh: the cluster is not up" >&2
    return 1
  fi
  cat <<EOF
{
  "sgeRoot": "$SGE_ROOT",
  "bin": "$SGE_BIN",
  "qmaster": { "host": "login", "addr": "$LOGIN_INNER", "pid": $(qmaster_pid) },
  "execd": { "host": "gpu", "addr": "$GPU_ADDR", "pid": $(execd_pid) },
  "queue": "all.q",
  "pe": "smp"
}
EOF
}

main() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "sge.sh: must run as root" >&2
    exit 1
  fi
  exec 8>"$LOCK_FILE"
  flock 8
  case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    disable) ctl qmod -d all.q >/dev/null ;;
    enable) ctl qmod -e all.q >/dev/null ;;
    *)
      echo "usage: $0 up|down|status|disable|enable" >&2
      exit 2
      ;;
  esac
}

main "$@"

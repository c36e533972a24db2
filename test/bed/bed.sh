#!/usr/bin/env bash
# Multi-host SSH test bed on one machine (run as root; see README.md here).
#
#   root netns (client) 10.200.1.1 <-veth-> 10.200.1.2 jss-login 10.200.2.1 <-veth-> 10.200.2.2 jss-gpu
#
# login does not forward, so gpu is reachable only through login (ssh -J).
# Usage: bed.sh up|down|status
set -Eeuo pipefail
# shellcheck source=test/bed/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

USER_NAME=jssbed
USER_HOME=/home/jssbed
STATE_DIR=/var/lib/jss-bed
STATE_FILE="$STATE_DIR/state.json"
LOCK_FILE=/run/jss-bed.lock
ROUTE=10.200.0.0/16

NS_LOGIN=jss-login
NS_GPU=jss-gpu
CLIENT_ADDR=10.200.1.1
LOGIN_ADDR=10.200.1.2
LOGIN_INNER=10.200.2.1
GPU_ADDR=10.200.2.2
# veth names: root side, login side towards root, login side towards gpu, gpu side.
IF_ROOT=jss-r-login
IF_LOGIN_ROOT=jss-l-root
IF_LOGIN_GPU=jss-l-gpu
IF_GPU=jss-g-login

# Runs a command in namespace $1 without `ip netns exec` (that remounts /sys).
in_ns() {
  local ns="$1"
  shift
  nsenter --net="/run/netns/$ns" "$@"
}

# Prints the PID in pid file $1 if that process is alive and is an sshd.
sshd_pid() {
  local pid
  pid="$(cat "$1" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = sshd ]; then
    echo "$pid"
  fi
}

is_up() {
  [ -f "$STATE_FILE" ] &&
    [ -e "/run/netns/$NS_LOGIN" ] && [ -e "/run/netns/$NS_GPU" ] &&
    [ -n "$(sshd_pid "$STATE_DIR/login/sshd.pid")" ] &&
    [ -n "$(sshd_pid "$STATE_DIR/gpu/sshd.pid")" ] &&
    id -u "$USER_NAME" >/dev/null 2>&1
}

has_remnants() {
  [ -e "$STATE_DIR" ] || [ -e "/run/netns/$NS_LOGIN" ] || [ -e "/run/netns/$NS_GPU" ] ||
    ip link show "$IF_ROOT" >/dev/null 2>&1 ||
    [ -n "$(ip route show type unreachable "$ROUTE" 2>/dev/null)" ] ||
    id -u "$USER_NAME" >/dev/null 2>&1 || getent group "$USER_NAME" >/dev/null
}


# Prints the running PIDs owned by uid $1.
user_pids() {
  local pid
  for pid in $(pgrep -u "$1" || true); do
    if alive "$pid"; then echo "$pid"; fi
  done
}


down() {
  local pids=() pid host ns uid=""
  # 0. The SLURM cluster on the bed, if a test brought it up (slurm.sh): its
  #    jobs, daemons, /etc/hosts names and slurm.conf.
  bash "$(dirname "${BASH_SOURCE[0]}")/slurm.sh" down || true
  # 0. The Grid Engine cluster (sge.sh): its jobs, daemons, /etc/hosts names and /run/jss-sge.
  bash "$(dirname "${BASH_SOURCE[0]}")/sge.sh" down || true
  # 0. Containers the bed's user ran (container.sh), while the gpu namespace is still there.
  bash "${BASH_SOURCE[0]%/*}/container.sh" down || true
  # 1. The sshds the bed started (by pid file, checked to still be an sshd).
  for host in login gpu; do
    pid="$(sshd_pid "$STATE_DIR/$host/sshd.pid")"
    if [ -n "$pid" ]; then pids+=("$pid"); fi
  done
  # 2. Anything else still running inside the bed's namespaces (tests' daemons).
  for ns in "$NS_LOGIN" "$NS_GPU"; do
    if [ -e "/run/netns/$ns" ]; then
      mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null || true)
    fi
  done
  # 3. Every process of the test user (tunnels, Jupyter servers left by tests).
  if uid="$(id -u "$USER_NAME" 2>/dev/null)"; then
    mapfile -t -O "${#pids[@]}" pids < <(user_pids "$uid")
  fi
  stop_pids "${pids[@]}"
  if [ -n "$uid" ]; then
    # Whatever the user's processes started meanwhile.
    for _ in $(seq 40); do
      mapfile -t pids < <(user_pids "$uid")
      [ "${#pids[@]}" -gt 0 ] || break
      kill -KILL "${pids[@]}" 2>/dev/null || true
      sleep 0.05
    done
  fi
  # 4. Network: namespaces (their veths go with them), root veth, route.
  for ns in "$NS_LOGIN" "$NS_GPU"; do
    if [ -e "/run/netns/$ns" ]; then ip netns del "$ns" 2>/dev/null || true; fi
  done
  if ip link show "$IF_ROOT" >/dev/null 2>&1; then ip link del "$IF_ROOT" 2>/dev/null || true; fi
  while [ -n "$(ip route show type unreachable "$ROUTE" 2>/dev/null)" ]; do
    ip route del unreachable "$ROUTE" || break
  done
  # 5. User and state.
  if [ -n "$uid" ]; then
    userdel -r "$USER_NAME" 2>/dev/null || userdel -f -r "$USER_NAME" 2>/dev/null || true
  fi
  if getent group "$USER_NAME" >/dev/null; then groupdel "$USER_NAME" 2>/dev/null || true; fi
  rm -rf "$USER_HOME" "/var/mail/$USER_NAME" "$STATE_DIR" /var/lib/jss-bed-app
  if has_remnants || { [ -n "$uid" ] && [ -n "$(user_pids "$uid")" ]; }; then
    echo "bed.sh down: something is left over" >&2
    return 1
  fi
}

setup_net() {
  ip netns add "$NS_LOGIN"
  ip netns add "$NS_GPU"
  ip link add "$IF_ROOT" type veth peer name "$IF_LOGIN_ROOT" netns "$NS_LOGIN"
  ip -n "$NS_LOGIN" link add "$IF_LOGIN_GPU" type veth peer name "$IF_GPU" netns "$NS_GPU"

  ip addr add "$CLIENT_ADDR/24" dev "$IF_ROOT"
  ip link set "$IF_ROOT" up
  ip route add unreachable "$ROUTE"

  ip -n "$NS_LOGIN" link set lo up
  ip -n "$NS_LOGIN" addr add "$LOGIN_ADDR/24" dev "$IF_LOGIN_ROOT"
  ip -n "$NS_LOGIN" addr add "$LOGIN_INNER/24" dev "$IF_LOGIN_GPU"
  ip -n "$NS_LOGIN" link set "$IF_LOGIN_ROOT" up
  ip -n "$NS_LOGIN" link set "$IF_LOGIN_GPU" up
  in_ns "$NS_LOGIN" sysctl -qw net.ipv4.ip_forward=0

  ip -n "$NS_GPU" link set lo up
  ip -n "$NS_GPU" addr add "$GPU_ADDR/24" dev "$IF_GPU"
  ip -n "$NS_GPU" link set "$IF_GPU" up
}

setup_user() {
  local ssh_dir="$USER_HOME/.ssh"
  useradd -m -d "$USER_HOME" -s /bin/bash "$USER_NAME"
  usermod -p '*' "$USER_NAME"
  install -d -m 700 -o "$USER_NAME" -g "$USER_NAME" "$ssh_dir"
  ssh-keygen -q -t ed25519 -N '' -C "$USER_NAME@jss-bed" -f "$ssh_dir/id_ed25519"
  cp "$ssh_dir/id_ed25519.pub" "$ssh_dir/authorized_keys"
  chmod 600 "$ssh_dir/authorized_keys"
  # sshd sessions get this PATH (PermitUserEnvironment yes): /usr/bin first, so
  # /usr/bin/jupyter and Debian's python3 win over anything in /usr/local.
  echo 'PATH=/usr/bin:/bin:/usr/sbin:/sbin' >"$ssh_dir/environment"
  chmod 600 "$ssh_dir/environment"
  {
    echo "$LOGIN_ADDR,$LOGIN_INNER $(cut -d' ' -f1,2 "$STATE_DIR/login/ssh_host_ed25519_key.pub")"
    echo "$GPU_ADDR $(cut -d' ' -f1,2 "$STATE_DIR/gpu/ssh_host_ed25519_key.pub")"
  } >"$ssh_dir/known_hosts"
  chmod 644 "$ssh_dir/known_hosts"
  chown "$USER_NAME:$USER_NAME" "$ssh_dir"/*
}

# write_sshd_config HOST LISTEN_ADDR...
write_sshd_config() {
  local host="$1" addr dir="$STATE_DIR/$1"
  shift
  install -d -m 755 "$dir"
  ssh-keygen -q -t ed25519 -N '' -C "$host@jss-bed" -f "$dir/ssh_host_ed25519_key"
  {
    echo "# jss-bed sshd for host $host"
    echo "Port 22"
    for addr in "$@"; do echo "ListenAddress $addr"; done
    echo "HostKey $dir/ssh_host_ed25519_key"
    echo "PidFile $dir/sshd.pid"
    cat <<'EOF'
AllowUsers jssbed
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AuthorizedKeysFile .ssh/authorized_keys
StrictModes yes
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
PermitUserEnvironment yes
UseDNS no
PrintMotd no
LogLevel VERBOSE
MaxStartups 100
MaxSessions 50
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
  } >"$dir/sshd_config"
}

# start_sshd HOST NAMESPACE: hostname HOST in its own UTS namespace.
start_sshd() {
  local host="$1" ns="$2" dir="$STATE_DIR/$1"
  # shellcheck disable=SC2016 # $1..$3 expand in the inner sh
  in_ns "$ns" unshare --uts sh -c 'hostname "$1"; exec /usr/sbin/sshd -f "$2" -E "$3"' \
    sh "$host" "$dir/sshd_config" "$dir/sshd.log"
  # sshd listens before it forks; its pid file follows the fork.
  for _ in $(seq 100); do
    [ -z "$(sshd_pid "$dir/sshd.pid")" ] || return 0
    sleep 0.02
  done
  echo "bed.sh: sshd for $host did not start; log:" >&2
  cat "$dir/sshd.log" >&2 || true
  return 1
}

write_state() {
  local uid tmp="$STATE_FILE.tmp"
  uid="$(id -u "$USER_NAME")"
  cat >"$tmp" <<EOF
{
  "user": "$USER_NAME",
  "home": "$USER_HOME",
  "uid": $uid,
  "gid": $(id -g "$USER_NAME"),
  "key": "$USER_HOME/.ssh/id_ed25519",
  "knownHosts": "$USER_HOME/.ssh/known_hosts",
  "client": { "ns": null, "addr": "$CLIENT_ADDR" },
  "hosts": {
    "login": {
      "ns": "$NS_LOGIN",
      "hostname": "login",
      "addr": "$LOGIN_ADDR",
      "inner": "$LOGIN_INNER",
      "port": 22,
      "sshdConfig": "$STATE_DIR/login/sshd_config",
      "sshdLog": "$STATE_DIR/login/sshd.log",
      "sshdPid": $(sshd_pid "$STATE_DIR/login/sshd.pid"),
      "hostKeyPub": "$STATE_DIR/login/ssh_host_ed25519_key.pub"
    },
    "gpu": {
      "ns": "$NS_GPU",
      "hostname": "gpu",
      "addr": "$GPU_ADDR",
      "port": 22,
      "jump": "login",
      "sshdConfig": "$STATE_DIR/gpu/sshd_config",
      "sshdLog": "$STATE_DIR/gpu/sshd.log",
      "sshdPid": $(sshd_pid "$STATE_DIR/gpu/sshd.pid"),
      "hostKeyPub": "$STATE_DIR/gpu/ssh_host_ed25519_key.pub"
    }
  }
}
EOF
  mv "$tmp" "$STATE_FILE"
}

up_failed() {
  trap - ERR
  echo "bed.sh up: failed at line $1 ($2), tearing down" >&2
  down || true
  exit 1
}

up() {
  if is_up; then
    cat "$STATE_FILE"
    return 0
  fi
  if has_remnants; then
    down
  fi
  # Whatever fails from here on leaves no half-built bed behind.
  trap 'up_failed "$LINENO" "$BASH_COMMAND"' ERR
  install -d -m 755 "$STATE_DIR"
  install -d -m 755 /run/sshd
  setup_net
  write_sshd_config login "$LOGIN_ADDR" "$LOGIN_INNER"
  write_sshd_config gpu "$GPU_ADDR"
  setup_user
  start_sshd login "$NS_LOGIN"
  start_sshd gpu "$NS_GPU"
  write_state
  trap - ERR
  cat "$STATE_FILE"
}

status() {
  if is_up; then
    cat "$STATE_FILE"
  else
    echo "bed.sh: the bed is not up" >&2
    return 1
  fi
}

main() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "bed.sh: must run as root" >&2
    exit 1
  fi
  exec 9>"$LOCK_FILE"
  flock 9
  case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    stop-sshd)
      # Fault tests: take one host's sshd down (its sessions stay), and bring it back.
      stop_pids "$(sshd_pid "$STATE_DIR/${2:?host}/sshd.pid")"
      ;;
    start-sshd)
      if [ -z "$(sshd_pid "$STATE_DIR/${2:?host}/sshd.pid")" ]; then
        if [ "$2" = login ]; then start_sshd login "$NS_LOGIN"; else start_sshd gpu "$NS_GPU"; fi
      fi
      ;;
    *)
      echo "usage: $0 up|down|status|stop-sshd HOST|start-sshd HOST" >&2
      exit 2
      ;;
  esac
}

main "$@"

#!/usr/bin/env bash
# Installs the Debian 12 packages the multi-host test bed needs (run as root).
# Does nothing (in well under a second) when they are all installed already.
# No daemon is started: a policy-rc.d refuses every start while apt runs, and
# any daemon that was started anyway by the install is stopped by its PID.
set -euo pipefail

PKGS=(
  openssh-server openssh-client autossh
  jupyter-notebook jupyter-server python3-ipykernel python3-websocket
  shellcheck zsh fish tmux iproute2 procps curl sudo
  slurm-wlm slurm-wlm-torque munge
  podman podman-docker runc mmdebstrap
  libpam-oath oathtool
)
# Daemons the packages above could start; used only to stop new PIDs.
DAEMONS=" sshd munged slurmctld slurmd slurmdbd dbus-daemon "
POLICY=/usr/sbin/policy-rc.d

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: must run as root" >&2
  exit 1
fi

# dpkg-query exits 1 when a package is unknown; its other lines still count.
installed="$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PKGS[@]}" 2>/dev/null || true)"
missing=()
for p in "${PKGS[@]}"; do
  if ! grep -qx "ii  $p" <<<"$installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "install.sh: installing ${missing[*]}" >&2

own_policy=0
cleanup() {
  if [ "$own_policy" = 1 ]; then
    rm -f "$POLICY"
  fi
}
trap cleanup EXIT
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# jss-bed install: start no daemon\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  own_policy=1
fi

# PIDs now running (from /proc: procps may not be installed yet).
pids_now() {
  local d
  for d in /proc/[0-9]*; do printf '%s ' "${d#/proc/}"; done
}
before=" $(pids_now)"

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null

# Safety net: stop any daemon this install started (new PID, known name).
for pid in $(pids_now); do
  case "$before" in *" $pid "*) continue ;; esac
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  ppid="$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)"
  if [ -n "$comm" ] && [ "$ppid" = 1 ] && [[ "$DAEMONS" == *" $comm "* ]]; then
    echo "install.sh: stopping $comm (pid $pid) started by the install" >&2
    kill "$pid" 2>/dev/null || true
  fi
done
echo "install.sh: done" >&2

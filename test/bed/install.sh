#!/usr/bin/env bash
# Installs the Debian 12 packages the multi-host test bed needs (run as root).
# Does nothing (in well under a second) when they are all installed already.
# No daemon is started: a policy-rc.d refuses every start while apt runs, and
# any daemon that was started anyway by the install is stopped by its PID.
set -euo pipefail

PKGS=(
  openssh-server openssh-client autossh
  jupyter-notebook jupyter-server python3-ipykernel python3-websocket python3-jupyter-client python3-nbclient
  shellcheck zsh fish tmux iproute2 procps curl sudo
  slurm-wlm slurm-wlm-torque munge
  podman podman-docker runc mmdebstrap
  libpam-oath oathtool
  gridengine-common mailutils tcsh libdb5.3 libhwloc15 libjemalloc2 libmunge2 libtirpc3
)
# Daemons the packages above could start; used only to stop new PIDs.
DAEMONS=" sshd munged slurmctld slurmd slurmdbd dbus-daemon exim4 "
# Grid Engine (test/bed/sge.sh): gridengine-client conflicts with slurm-wlm-torque
# (both ship /usr/bin/qsub|qstat|qdel), and installing either removes the
# other. So Slurm's Torque wrappers stay installed, and Grid Engine's client,
# master and exec packages are unpacked (dpkg-deb -x) under $SGE_PREFIX, with
# a wrapper per command in $SGE_PREFIX/bin, the directory the SGE tests put
# first on PATH. gridengine-common (configuration, util/arch) does not conflict.
SGE_PREFIX=/opt/jss-sge
SGE_DEBS="gridengine-client gridengine-master gridengine-exec"
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
sge_ok() {
  [ -x "$SGE_PREFIX/usr/lib/gridengine/sge_qmaster" ] && [ -x "$SGE_PREFIX/bin/qsub" ]
}

install_sge() {
  local tmp deb n
  tmp="$(mktemp -d)"
  chmod 755 "$tmp"
  # shellcheck disable=SC2086 # a list of package names
  (cd "$tmp" && apt-get download -qq $SGE_DEBS)
  rm -rf "$SGE_PREFIX"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$SGE_PREFIX"; done
  rm -rf "$tmp"
  # Two of its commands are shell wrappers naming /usr/lib/gridengine: point them here.
  sed -i "s|/usr/lib/gridengine|$SGE_PREFIX/usr/lib/gridengine|g" "$SGE_PREFIX/usr/lib/gridengine/spooldefaults" "$SGE_PREFIX/usr/lib/gridengine/spooledit"
  install -d -m 755 "$SGE_PREFIX/bin"
  for n in "$SGE_PREFIX"/usr/lib/gridengine/*; do
    if [ ! -f "$n" ] || [ ! -x "$n" ]; then continue; fi
    n="${n##*/}"
    # What Debian's /usr/share/gridengine/gridengine-wrapper does, for the unpacked tree.
    cat >"$SGE_PREFIX/bin/$n" <<WRAP
#!/bin/sh
export SGE_ROOT="\${SGE_ROOT:-/run/jss-sge/root}" SGE_CELL="\${SGE_CELL:-default}" SGE_ARCH=lx-amd64
export LD_LIBRARY_PATH="$SGE_PREFIX/usr/lib/gridengine\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
exec "$SGE_PREFIX/usr/lib/gridengine/$n" "\$@"
WRAP
    chmod 755 "$SGE_PREFIX/bin/$n"
  done
  # Grid Engine loads its spooling library from "/usr/lib/gridengine/" + the
  # bootstrap's spooling_lib, in a buffer of 64 characters: sge.sh names it
  # ../../../opt/jss-sge/l/libspoolb, which needs that directory (empty is fine).
  ln -sfn usr/lib/gridengine "$SGE_PREFIX/l"
  install -d -m 755 /usr/lib/gridengine
  echo "install.sh: Grid Engine unpacked in $SGE_PREFIX (commands in $SGE_PREFIX/bin)" >&2
}

if [ "${#missing[@]}" -eq 0 ]; then
  sge_ok || install_sge
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
sge_ok || install_sge

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

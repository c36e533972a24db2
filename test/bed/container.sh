#!/usr/bin/env bash
# Containers on the test bed (run as root; see README.md here).
#
#   image   builds the Jupyter image once per machine and imports it into root podman:
#           mmdebstrap (Debian bookworm + python3 + Jupyter) -> $CACHE_TAR -> podman import.
#           Reused when `podman image exists`; re-imported from the cached tar otherwise.
#   up      image, then a `docker` and a `podman` command for the bed's user that run root
#           podman through `sudo -n` (rootless podman does not work on this machine), first
#           on that user's PATH for ssh sessions (~/.ssh/environment). Needs the bed up.
#   down    removes every container the bed's user made, the wrappers, the sudoers line and
#           the PATH entry. Keeps the image (that is the cache). Called by bed.sh down.
#   status  prints the image and the bed's containers.
#
# Containers run in the gpu namespace (its sshd started the podman client there): the
# bridge, iptables rules and ip_forward netavark sets up live in that namespace and go
# with it. Nothing here touches the root namespace's firewall or sysctls.
set -Eeuo pipefail

IMAGE=localhost/jss-jupyter:test
CACHE_DIR=/var/cache/jss-bed
CACHE_TAR="$CACHE_DIR/jss-jupyter.tar"
PACKAGES=python3,jupyter-notebook,jupyter-server,python3-ipykernel
SUITE=bookworm

USER_NAME=jssbed
USER_HOME=/home/jssbed
NS=jss-gpu
BED_STATE=/var/lib/jss-bed/state.json
CTR_DIR=/var/lib/jss-bed/container
# Also used by image operations, so it lives with the cache, not in the bed's state dir.
CONF="$CACHE_DIR/containers.conf"
ROOT_PODMAN="$CTR_DIR/podman-root"
BIN_DIR="$CTR_DIR/bin"
SUDOERS=/etc/sudoers.d/jss-bed-podman
LOCK_FILE=/run/jss-bed-container.lock
# Labels jupyter-ssh-setup puts on its containers.
LABEL_USER=io.jupyter-ssh-setup.user

log() { echo "container.sh: $*" >&2; }

# This machine needs both settings (setrlimit is refused; crun rejects the hybrid cgroups);
# no systemd: file events, cgroupfs, container logs in files.
write_conf() {
  install -d -m 755 "$1"
  cat >"$1/containers.conf.tmp" <<'EOF'
# jss-bed: root podman on this machine (see test/bed/container.sh)
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  mv -f "$1/containers.conf.tmp" "$1/containers.conf"
}

podman_() {
  CONTAINERS_CONF="$CONF" podman "$@"
}

image() {
  write_conf "$CACHE_DIR"
  if podman_ image exists "$IMAGE"; then
    return 0
  fi
  local started=$SECONDS
  if [ ! -s "$CACHE_TAR" ]; then
    install -d -m 755 "$CACHE_DIR"
    log "building $IMAGE with mmdebstrap (once per machine, about 2 minutes)"
    rm -f "$CACHE_TAR.tmp"
    # --variant=apt: debootstrap's --include cannot configure this many packages.
    mmdebstrap --quiet --variant=apt --format=tar --include="$PACKAGES" \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      "$SUITE" "$CACHE_TAR.tmp" >&2
    mv -f "$CACHE_TAR.tmp" "$CACHE_TAR"
  fi
  log "importing $CACHE_TAR as $IMAGE"
  podman_ import --quiet "$CACHE_TAR" "$IMAGE" >/dev/null
  log "image ready in $((SECONDS - started)) s"
}

# The bed's user's containers (by our label, and anything made from the bed's image).
bed_containers() {
  {
    podman_ ps -a -q --filter "label=$LABEL_USER=$USER_NAME" 2>/dev/null || true
    podman_ ps -a -q --filter "ancestor=$IMAGE" 2>/dev/null || true
  } | sort -u
}

# Runs podman in the gpu namespace when it exists, so that netavark tears down there.
podman_in_ns() {
  if [ -e "/run/netns/$NS" ]; then
    CONTAINERS_CONF="$CONF" nsenter --net="/run/netns/$NS" podman "$@"
  else
    podman_ "$@"
  fi
}

set_user_path() {
  local env_file="$USER_HOME/.ssh/environment" want="$1"
  [ -f "$env_file" ] || return 0
  local line
  line="$(grep '^PATH=' "$env_file" || true)"
  line="${line#PATH=}"
  line=":${line}:"
  line="${line//:$BIN_DIR:/:}"
  line="${line#:}"
  line="${line%:}"
  if [ "$want" = with ]; then line="$BIN_DIR:$line"; fi
  { grep -v '^PATH=' "$env_file" || true; echo "PATH=$line"; } >"$env_file.tmp"
  chown "$USER_NAME:" "$env_file.tmp"
  chmod 600 "$env_file.tmp"
  mv -f "$env_file.tmp" "$env_file"
}

up() {
  if ! { [ -f "$BED_STATE" ] && [ -e "/run/netns/$NS" ] && id -u "$USER_NAME" >/dev/null 2>&1; }; then
    log "the bed is not up (bash test/bed/bed.sh up first)"
    return 1
  fi
  image
  install -d -m 755 "$CTR_DIR"
  # Root-owned: what sudo runs. It exports the configuration and runs podman.
  cat >"$ROOT_PODMAN.tmp" <<EOF
#!/bin/sh
# jss-bed: root podman for $USER_NAME (through sudo -n; see test/bed/container.sh)
CONTAINERS_CONF=$CONF
export CONTAINERS_CONF
exec /usr/bin/podman "\$@"
EOF
  chmod 755 "$ROOT_PODMAN.tmp"
  mv -f "$ROOT_PODMAN.tmp" "$ROOT_PODMAN"
  install -d -m 755 "$BIN_DIR"
  local name
  for name in docker podman; do
    printf '#!/bin/sh\n# jss-bed: %s for %s is root podman through sudo (like a member of the docker group)\nexec sudo -n %s "$@"\n' \
      "$name" "$USER_NAME" "$ROOT_PODMAN" >"$BIN_DIR/$name"
    chmod 755 "$BIN_DIR/$name"
  done
  # sudo resets the environment (as on shared GPU servers that grant docker through sudo):
  # nothing of the caller's environment reaches podman, so a token must not travel that way.
  cat >"$SUDOERS.tmp" <<EOF
# jss-bed (test/bed/container.sh): removed by container.sh down / bed.sh down
$USER_NAME ALL=(root) NOPASSWD: $ROOT_PODMAN
EOF
  chmod 440 "$SUDOERS.tmp"
  visudo -qcf "$SUDOERS.tmp" >/dev/null
  mv -f "$SUDOERS.tmp" "$SUDOERS"
  set_user_path with
}

down() {
  local ids
  # Nothing to do (fast, bed.sh down calls this every time) unless up ran.
  if [ ! -e "$CTR_DIR" ] && [ ! -e "$SUDOERS" ]; then return 0; fi
  if command -v podman >/dev/null 2>&1 && [ -e "$CONF" ]; then
    mapfile -t ids < <(bed_containers)
    if [ "${#ids[@]}" -gt 0 ]; then
      podman_in_ns rm -f -t 2 "${ids[@]}" >/dev/null 2>&1 || podman_ rm -f -t 2 "${ids[@]}" >/dev/null 2>&1 || true
    fi
  fi
  rm -f "$SUDOERS" "$SUDOERS.tmp"
  if id -u "$USER_NAME" >/dev/null 2>&1; then set_user_path without; fi
  rm -rf "$BIN_DIR" "$ROOT_PODMAN"
  if command -v podman >/dev/null 2>&1 && [ -e "$CONF" ] && [ -n "$(bed_containers)" ]; then
    log "down: containers are left: $(bed_containers | tr '\n' ' ')"
    return 1
  fi
  rm -rf "$CTR_DIR"
}

status() {
  write_conf "$CACHE_DIR"
  podman_ image exists "$IMAGE" && echo "image $IMAGE: present" || echo "image $IMAGE: missing"
  podman_ ps -a --filter "label=$LABEL_USER=$USER_NAME" --format '{{.Names}} {{.Status}}'
}

main() {
  if [ "$(id -u)" -ne 0 ]; then
    log "must run as root"
    exit 1
  fi
  exec 8>"$LOCK_FILE"
  flock 8
  case "${1:-}" in
    image) image ;;
    up) up ;;
    down) down ;;
    status) status ;;
    *)
      echo "usage: $0 image|up|down|status" >&2
      exit 2
      ;;
  esac
}

main "$@"

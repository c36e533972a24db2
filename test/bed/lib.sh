# shellcheck shell=bash
# Shared by the bed's scripts (sourced): process helpers that never act by name.

# True if PID $1 runs (a zombie does not: PID 1 here may reap them late).
alive() {
  local line
  [ -r "/proc/$1/status" ] || return 1
  while read -r line; do
    case "$line" in
      State:*[ZX]*) return 1 ;;
      State:*) return 0 ;;
    esac
  done <"/proc/$1/status" 2>/dev/null
  return 1
}

# Sends TERM to the given PIDs, KILLs what is left after 1 s, waits up to 3 s in all.
stop_pids() {
  local pid left n=0
  [ "$#" -gt 0 ] || return 0
  kill "$@" 2>/dev/null || true
  while :; do
    left=0
    for pid in "$@"; do
      if alive "$pid"; then left=1; fi
    done
    [ "$left" = 1 ] || return 0
    n=$((n + 1))
    if [ "$n" = 20 ]; then kill -KILL "$@" 2>/dev/null || true; fi
    if [ "$n" = 60 ]; then return 0; fi
    sleep 0.05
  done
}

# A block of /etc/hosts lines between marker comments ($1 begin, $2 end), edited in place
# (the file may be a bind mount). hosts_block_remove BEGIN END; hosts_block_add BEGIN END LINE...
hosts_block_remove() {
  local tmp
  grep -qxF "$1" /etc/hosts 2>/dev/null || return 0
  tmp="$(mktemp)"
  awk -v b="$1" -v e="$2" '$0 == b {skip = 1; next} $0 == e {skip = 0; next} !skip' /etc/hosts >"$tmp"
  cat "$tmp" >/etc/hosts
  rm -f "$tmp"
}
hosts_block_add() {
  local begin="$1" end="$2"
  shift 2
  hosts_block_remove "$begin" "$end"
  printf '%s\n' "$begin" "$@" "$end" >>/etc/hosts
}

# wait_for WHAT CMD...: up to 120 s, polling fast; says what did not come up.
wait_for() {
  # Up to 120 s by the clock, not a count of tries: on a loaded 2-core machine
  # each try (an nsenter and a client) takes longer than the pause between them.
  local what="$1" deadline=$((SECONDS + 120))
  shift
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "${0##*/}: $what did not come up within 120 s" >&2
      return 1
    fi
    sleep 0.05
  done
}

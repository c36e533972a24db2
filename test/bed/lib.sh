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

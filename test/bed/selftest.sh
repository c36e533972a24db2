#!/usr/bin/env bash
# Proves the bed works (run as root after install.sh): two rounds of
# up -> ssh to login, ssh -J to gpu, direct gpu fails, Jupyter on gpu through
# a two-hop tunnel -> down -> nothing left. Leaves no bed behind.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BED="$HERE/bed.sh"
U=jssbed
LOGIN=10.200.1.2
GPU=10.200.2.2
JPORT=8899
LPORT=18899
TOKEN="bedselftest$$"
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi
}
as_user() { runuser -u "$U" -- "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

trap '"$BED" down >/dev/null 2>&1 || true' EXIT

round() {
  local t uid code="" out
  t="$(now)"
  "$BED" up >/dev/null
  echo "     up took $(since "$t") s"
  t="$(now)"
  "$BED" up >/dev/null
  echo "     up again (already up) took $(since "$t") s"
  uid="$(id -u "$U")"

  check "ssh login hostname" login "$(as_user ssh -o BatchMode=yes "$LOGIN" hostname 2>&1)"
  check "ssh -J gpu hostname" gpu "$(as_user ssh -o BatchMode=yes -J "$LOGIN" "$GPU" hostname 2>&1)"
  if as_user ssh -o BatchMode=yes -o ConnectTimeout=3 "$GPU" true 2>/dev/null; then
    bad "direct ssh to gpu must fail"
  else
    ok "direct ssh to gpu fails"
  fi
  check "gpu PATH finds /usr/bin/jupyter" /usr/bin/jupyter \
    "$(as_user ssh -o BatchMode=yes -J "$LOGIN" "$GPU" 'command -v jupyter' 2>&1)"

  # Jupyter on gpu, detached; the remote command ends so the channel closes.
  as_user ssh -o BatchMode=yes -J "$LOGIN" "$GPU" \
    "JUPYTER_TOKEN=$TOKEN setsid nohup jupyter server --no-browser --port=$JPORT --port-retries=0 --ip=127.0.0.1 </dev/null >jupyter-selftest.log 2>&1 &"
  as_user ssh -o BatchMode=yes -o ExitOnForwardFailure=yes -N -f \
    -L "127.0.0.1:$LPORT:127.0.0.1:$JPORT" -J "$LOGIN" "$GPU" 2>/dev/null
  t="$(now)"
  for _ in $(seq 100); do
    code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LPORT/api/status?token=$TOKEN" || true)"
    [ "$code" != 200 ] || break
    sleep 0.1
  done
  check "jupyter on gpu answers /api/status through the tunnel ($(since "$t") s)" 200 "$code"
  check "without the token it is 403" 403 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LPORT/api/status" || true)"
  out="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$JPORT/api/status" || true)"
  check "jupyter is not on the client's own loopback" 000 "$out"
  out="$(grep -c 'Accepted publickey' /var/lib/jss-bed/gpu/sshd.log || true)"
  if [ "$out" -ge 3 ]; then ok "gpu sshd log counts logins ($out)"; else bad "gpu sshd log: $out logins"; fi

  # Leave the Jupyter server and the tunnel running: down must clean them.
  t="$(now)"
  "$BED" down
  echo "     down took $(since "$t") s"
  check "no namespaces left" "" "$(ip netns list | grep jss- || true)"
  check "no veth left" "" "$(ip -br link | grep jss- || true)"
  check "no 10.200 route left" "" "$(ip route | grep 10.200 || true)"
  # Zombies do not count: PID 1 on this kind of machine reaps them up to ~1 s late.
  check "no process of the user left" "" "$(ps -u "$uid" -o pid=,stat= | awk '$2 !~ /Z/' || true)"
  check "no user left" "" "$(id -u "$U" 2>/dev/null || true)"
  check "no state left" "" "$(ls -d /var/lib/jss-bed /home/jssbed 2>/dev/null || true)"
  if "$BED" status >/dev/null 2>&1; then bad "status after down must fail"; else ok "status after down fails"; fi
  t="$(now)"
  "$BED" down
  echo "     down again (nothing there) took $(since "$t") s"
}

"$BED" down >/dev/null 2>&1 || true
round
round
echo "selftest: $passed passed, $failed failed"
[ "$failed" = 0 ]

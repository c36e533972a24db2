#!/usr/bin/env bash
# A login node that asks for a second factor, on the bed (bed.sh up first):
# a second sshd in the login namespace on 10.200.1.2:2222 with
# `AuthenticationMethods publickey,keyboard-interactive` and a TOTP code
# through PAM (Debian's libpam-oath), as HPC login nodes do. Its PAM stack is
# bind-mounted over /etc/pam.d/sshd in a mount namespace of its own, so the
# machine's PAM configuration is untouched.
#
# The tests answer the prompt with $STATE/askpass (SSH_ASKPASS_REQUIRE=force),
# which logs every prompt it answers to the file named by JSS_OTP_LOG.
# Usage: otp.sh up|down        bed.sh down takes it down too.
set -Eeuo pipefail
# shellcheck source=test/bed/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATE_DIR=/var/lib/jss-bed
DIR="$STATE_DIR/otp"
NS=jss-login
ADDR=10.200.1.2
PORT=2222
# RFC 6238's test secret ("12345678901234567890"); a test bed's, not a user's.
SECRET=3132333435363738393031323334353637383930

sshd_pid() {
  local pid
  pid="$(cat "$DIR/sshd.pid" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = sshd ]; then echo "$pid"; fi
}

up() {
  [ -f "$STATE_DIR/state.json" ] || { echo "otp.sh: the bed is not up (bed.sh up)" >&2; exit 1; }
  [ -r /usr/lib/x86_64-linux-gnu/security/pam_oath.so ] || [ -r /lib/x86_64-linux-gnu/security/pam_oath.so ] || { echo "otp.sh: pam_oath is missing (apt-get install libpam-oath oathtool)" >&2; exit 1; }
  if [ -n "$(sshd_pid)" ]; then return 0; fi
  install -d -m 755 "$DIR"
  printf 'HOTP/T30/6 jssbed - %s\n' "$SECRET" >"$DIR/users.oath"
  chmod 600 "$DIR/users.oath"
  cat >"$DIR/pam-sshd" <<PAM
auth required pam_oath.so usersfile=$DIR/users.oath window=20 digits=6
account required pam_permit.so
session required pam_permit.so
password required pam_deny.so
PAM
  sed -e "s/^Port 22$/Port $PORT/" -e '/^ListenAddress/d' -e '/^PidFile/d' \
    -e 's/^UsePAM no$/UsePAM yes/' -e 's/^KbdInteractiveAuthentication no$/KbdInteractiveAuthentication yes/' \
    "$STATE_DIR/login/sshd_config" >"$DIR/sshd_config"
  {
    echo "ListenAddress $ADDR"
    echo "PidFile $DIR/sshd.pid"
    echo "AuthenticationMethods publickey,keyboard-interactive"
  } >>"$DIR/sshd_config"
  cat >"$DIR/askpass" <<ASK
#!/bin/sh
# Answers ssh's one-time-password prompt with the current TOTP code, and logs it.
[ -n "\${JSS_OTP_LOG:-}" ] && printf '%s\n' "\$*" >>"\$JSS_OTP_LOG"
case "\$*" in
  *[Oo]ne-time*|*OATH*|*[Pp]assword*) exec oathtool --totp $SECRET ;;
esac
exit 1
ASK
  chmod 755 "$DIR/askpass"
  # The bed user knows this host key at port 2222 too.
  printf '[%s]:%s %s\n' "$ADDR" "$PORT" "$(cut -d' ' -f1,2 "$STATE_DIR/login/ssh_host_ed25519_key.pub")" >>/home/jssbed/.ssh/known_hosts
  # shellcheck disable=SC2016 # expanded by the inner sh
  nsenter --net="/run/netns/$NS" unshare --uts --mount sh -c 'hostname login; mount --bind "$1" /etc/pam.d/sshd; exec /usr/sbin/sshd -f "$2" -E "$3"' \
    sh "$DIR/pam-sshd" "$DIR/sshd_config" "$DIR/sshd.log"
  for _ in $(seq 100); do
    [ -z "$(sshd_pid)" ] || return 0
    sleep 0.02
  done
  echo "otp.sh: the 2FA sshd did not start; log:" >&2
  cat "$DIR/sshd.log" >&2 || true
  return 1
}

down() {
  local pid
  pid="$(sshd_pid)"
  if [ -n "$pid" ]; then stop_pids "$pid"; fi
  rm -rf "$DIR"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Runs a command inside a private D-Bus session where gnome-keyring serves an unlocked Secret Service,
# so the keychain tests run against a real keychain on a headless host (CI):
#
#   scripts/with-keyring.sh npm test
#   scripts/with-keyring.sh env PATH=$PWD/node_modules/.bin:$PATH vitest run test/secrets
#
# Needs (Debian 12): apt-get install -y --no-install-recommends gnome-keyring dbus-x11 libsecret-tools
# (dbus-x11 pulls dbus-daemon and dbus-run-session without systemd; libsecret-tools gives secret-tool,
# which the tests use to check that a secret really is in the keyring).
#
# HOME is kept (npm's cache and config stay where they are). The keyring lives in a temporary
# XDG_DATA_HOME (gnome-keyring keeps its files in $XDG_DATA_HOME/keyrings) and the daemon's control
# socket in a temporary XDG_RUNTIME_DIR; both are removed afterwards. The command's exit code is passed
# through. Nothing waits without a bound: the daemon's start and its appearance on the bus are timed out.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 command [args...]" >&2
  exit 64
fi

if [[ "${STRATA_WITH_KEYRING_INSIDE:-}" != 1 ]]; then
  for tool in dbus-run-session gnome-keyring-daemon dbus-send; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "$0: $tool is not installed; run: apt-get install -y --no-install-recommends gnome-keyring dbus-x11 libsecret-tools" >&2
      exit 69
    fi
  done
  # dbus-run-session starts a session bus, runs this script again inside it, exits with its exit code,
  # and stops the bus afterwards (the keyring daemon leaves with it).
  STRATA_WITH_KEYRING_INSIDE=1 exec dbus-run-session -- "$0" "$@"
fi
unset STRATA_WITH_KEYRING_INSIDE

work="$(mktemp -d "${TMPDIR:-/tmp}/strata-keyring.XXXXXX")"
daemon_pid=""
cleanup() {
  if [[ -n "$daemon_pid" ]]; then kill "$daemon_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -m 700 "$work/data" "$work/run"
export XDG_DATA_HOME="$work/data" XDG_RUNTIME_DIR="$work/run"

# --unlock reads the new login keyring's password from stdin and creates it unlocked. The daemon prints
# the variables its clients need (NAME=value lines); export them without eval.
if ! out="$(printf '%s' "strata-test-keyring" | timeout 20 gnome-keyring-daemon --daemonize --unlock --components=secrets)"; then
  echo "$0: gnome-keyring-daemon did not start" >&2
  exit 70
fi
while IFS= read -r line; do
  if [[ "$line" =~ ^[A-Z_][A-Z0-9_]*=.*$ ]]; then export "${line?}"; fi
done <<<"$out"

# Wait (at most 10 s) until the Secret Service has its name on the bus.
ready=""
for _ in $(seq 1 100); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
    ready=1
    break
  fi
  sleep 0.1
done
if [[ -z "$ready" ]]; then
  echo "$0: the Secret Service did not appear on the session bus within 10 s" >&2
  exit 70
fi
daemon_pid="$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null | awk '/uint32/ {print $2}')" || daemon_pid=""

status=0
"$@" || status=$?
exit "$status"

#!/usr/bin/env bash
# Starts a private moto server (an in-memory AWS double from Python's `moto` package) on 127.0.0.1
# for zipstream's tests: the second S3 implementation beside Swift, and the one that keeps S3's
# additional checksums (CRC32, CRC32C, SHA, COMPOSITE and FULL_OBJECT), which Swift's s3api does
# not. It runs in the background; this script waits until it answers, records its PID and prints
# the shell lines that point a test at it.
#
# Environment (all optional):
#   MOTO_DIR            where its PID, port, log and env file go (default: a new `mktemp -d`
#                       directory, removed again by moto_server_stop.sh)
#   MOTO_PORT           its port (default: a free port)
#   MOTO_READY_SECONDS  how long to wait for it to answer (default: 30)
#
# Output on stdout: `export NAME=value` lines (ZIPSTREAM_MOTO_ENDPOINT, MOTO_DIR), also written to
# "$MOTO_DIR/moto.env". Progress and errors go to stderr.
#
# moto comes with Python (`pip install 'moto[server]'`); this machine image has it, and no other
# registry than npm's and Debian's can be reached here, so a missing moto is reported, not installed.
set -euo pipefail

log() { printf 'moto_server_start: %s\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}

# `moto_server` on the PATH, else the module of a Python that has moto (pyenv's shims may be off
# the PATH of a non-interactive shell).
moto_command() {
  local python
  if command -v moto_server >/dev/null 2>&1; then
    echo "$(command -v moto_server)"
    return
  fi
  for python in python3 /root/.pyenv/shims/python3; do
    if "$python" -c 'import moto.server' >/dev/null 2>&1; then
      echo "$python -m moto.server"
      return
    fi
  done
  return 1
}

command -v curl >/dev/null 2>&1 || fail "Cannot start moto: expected curl on the PATH to see it answer, but there is none"
command -v python3 >/dev/null 2>&1 || fail "Cannot start moto: expected python3 on the PATH, but there is none"
MOTO=$(moto_command) || fail "Cannot start moto: expected moto_server on the PATH or a python3 with the moto package (pip install 'moto[server]'), but found neither"

if [ -n "${MOTO_DIR:-}" ]; then
  D=$MOTO_DIR
  mkdir -p "$D"
  [ -z "$(ls -A "$D")" ] || fail "Cannot start moto in MOTO_DIR=$D: expected an empty or new directory but it holds files"
else
  D=$(mktemp -d "${TMPDIR:-/tmp}/zipstream-moto.XXXXXX")
  # Marks the directory as ours, so that the stop script may delete it.
  touch "$D/.created-by-moto_server_start"
fi

if [ -n "${MOTO_PORT:-}" ]; then
  PORT=$MOTO_PORT
else
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
[[ $PORT =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] ||
  fail "Cannot start moto: expected its port to be an integer from 1 to 65535 but got \"$PORT\""
READY_SECONDS=${MOTO_READY_SECONDS:-30}

started=0
on_exit() {
  if [ "$started" -ne 1 ]; then
    log "start failed; its log was $D/moto.log, stopping it"
    tail -n 20 "$D/moto.log" >&2 2>/dev/null || true
    MOTO_DIR=$D bash "$(dirname "$0")/moto_server_stop.sh" >&2 || true
  fi
}
trap on_exit EXIT

# Its own session (setsid), so that a Ctrl-C meant for the caller's command does not reach it
# first; the stop script ends it by PID.
# shellcheck disable=SC2086 # $MOTO is a command and its arguments
setsid $MOTO -H 127.0.0.1 -p "$PORT" </dev/null >"$D/moto.log" 2>&1 &
echo $! >"$D/moto.pid"
echo "$PORT" >"$D/moto.port"

ENDPOINT=http://127.0.0.1:$PORT
deadline=$((SECONDS + READY_SECONDS))
until curl -s -o /dev/null "$ENDPOINT/moto-api/"; do
  kill -0 "$(cat "$D/moto.pid")" 2>/dev/null || fail "Cannot start moto on port $PORT: it exited at once"
  [ "$SECONDS" -lt "$deadline" ] || fail "Cannot start moto on port $PORT: expected it to answer within $READY_SECONDS s but it did not"
  sleep 0.2
done

cat >"$D/moto.env" <<ENV
export ZIPSTREAM_MOTO_ENDPOINT=$ENDPOINT
export MOTO_DIR=$D
ENV
started=1
log "moto ready on $ENDPOINT (any credentials; log in $D/moto.log)"
cat "$D/moto.env"

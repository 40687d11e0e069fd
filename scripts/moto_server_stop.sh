#!/usr/bin/env bash
# Stops a server started by moto_server_start.sh: kills exactly the PID it recorded (if that
# process is still moto on the recorded port), waits for it to exit, and removes its directory if
# the start script created it.
#
# Usage: MOTO_DIR=/tmp/zipstream-moto.XXXXXX moto_server_stop.sh   (or pass the directory as $1)
set -uo pipefail

log() { printf 'moto_server_stop: %s\n' "$*" >&2; }

D=${1:-${MOTO_DIR:-}}
if [ -z "$D" ]; then
  log "Cannot stop moto: expected its directory in MOTO_DIR or as the first argument but got nothing"
  exit 2
fi
if [ ! -f "$D/moto.pid" ]; then
  log "Nothing to stop in $D: it has no moto.pid"
  exit 0
fi

pid=$(cat "$D/moto.pid")
port=$(cat "$D/moto.port" 2>/dev/null)
rm -f "$D/moto.pid"
# A recorded PID may have been reused by an unrelated process after moto exited; only signal a
# process whose command line still names moto and this server's port.
if [[ $pid =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] &&
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qE -- "moto.* -p $port( |\$)"; then
  kill "$pid" 2>/dev/null
  # Bounded wait: TERM first, KILL after 10 seconds.
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "PID $pid ignored SIGTERM; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null
  fi
fi

if [ -f "$D/.created-by-moto_server_start" ]; then
  rm -rf "$D"
fi
exit 0

#!/usr/bin/env bash
# Stops a server started by s3_server_start.sh: kills exactly the PIDs it recorded, waits for them
# to exit, and removes its data directory if the start script created it.
#
# Usage: SWIFT_DIR=/tmp/zipstream-s3.XXXXXX s3_server_stop.sh   (or pass the directory as $1)
set -uo pipefail

log() { printf 's3_server_stop: %s\n' "$*" >&2; }

D=${1:-${SWIFT_DIR:-}}
if [ -z "$D" ]; then
  log "Cannot stop the S3 server: expected its directory in SWIFT_DIR or as the first argument but got nothing"
  exit 2
fi
if [ ! -d "$D/pid" ]; then
  log "Nothing to stop in $D: it has no pid directory"
  exit 0
fi

pids=()
for f in "$D"/pid/*.pid; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  [[ $pid =~ ^[0-9]+$ ]] || continue
  # A recorded PID may have been reused by an unrelated process after ours exited; only signal a
  # process whose command line still names this server's config directory or memcached port.
  if [ "$(basename "$f")" = memcached.pid ]; then
    mark="memcached .*-p $(cat "$D/memcached.port" 2>/dev/null)( |\$)"
  else
    mark=" $D/etc/"
  fi
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qE -- "$mark"; then
    kill "$pid" 2>/dev/null && pids+=("$pid")
  fi
  rm -f "$f"
done

# Bounded wait: TERM first, KILL whatever is still there after 10 seconds.
for _ in $(seq 1 100); do
  remaining=()
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && remaining+=("$pid")
  done
  [ ${#remaining[@]} -eq 0 ] && break
  sleep 0.1
done
for pid in "${remaining[@]}"; do
  log "PID $pid ignored SIGTERM; sending SIGKILL"
  kill -9 "$pid" 2>/dev/null
done
for pid in "${remaining[@]}"; do
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
done

if [ -f "$D/.created-by-s3_server_start" ]; then
  rm -rf "$D"
fi
exit 0

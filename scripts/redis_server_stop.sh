#!/usr/bin/env bash
# Stops a server started by redis_server_start.sh: kills exactly the PID it recorded (if that
# process is still redis-server on the recorded port) and waits for it to exit.
#
# Usage: REDIS_DIR=/tmp/zipstream-redis.XXXXXX redis_server_stop.sh   (or pass the directory as $1)
set -uo pipefail

log() { printf 'redis_server_stop: %s\n' "$*" >&2; }

D=${1:-${REDIS_DIR:-}}
if [ -z "$D" ]; then
  log "Cannot stop Redis: expected its directory in REDIS_DIR or as the first argument but got nothing"
  exit 2
fi
if [ ! -f "$D/redis.pid" ]; then
  exit 0
fi
pid=$(cat "$D/redis.pid")
port=$(cat "$D/redis.port" 2>/dev/null)
# Only a process whose command line still names redis-server and this port is signalled: a
# recorded PID may have been reused after Redis exited.
if [[ $pid =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] &&
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "redis-server.*:$port"; then
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 100); do
    [ -e "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -e "/proc/$pid" ]; then
    log "Redis (PID $pid) did not stop within 10 s of SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null
  fi
fi
rm -f "$D/redis.pid"

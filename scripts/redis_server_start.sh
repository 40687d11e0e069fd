#!/usr/bin/env bash
# Starts a private Redis server (Debian's redis-server) on 127.0.0.1 on a free port, for the
# segment queue (BullMQ) in the tests and the demo: no persistence, its files in REDIS_DIR. Prints
# `export ZIPSTREAM_REDIS_URL=redis://127.0.0.1:PORT` once the server answers PING; its PID is in
# REDIS_DIR/redis.pid for redis_server_stop.sh.
#
# Usage: REDIS_DIR=/tmp/zipstream-redis.XXXXXX redis_server_start.sh
set -euo pipefail

log() { printf 'redis_server_start: %s\n' "$*" >&2; }

D=${REDIS_DIR:-}
if [ -z "$D" ] || [ ! -d "$D" ]; then
  log "Cannot start Redis: expected an existing directory in REDIS_DIR but got '${D}'"
  exit 2
fi
if ! command -v redis-server >/dev/null 2>&1; then
  log "Cannot start Redis: redis-server is not installed (Debian: apt-get install redis-server)"
  exit 1
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
echo "$port" >"$D/redis.port"
redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
  --dir "$D" --daemonize yes --pidfile "$D/redis.pid" --logfile "$D/redis.log"
for _ in $(seq 1 100); do
  if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = "PONG" ]; then
    log "Redis ready on redis://127.0.0.1:$port (log in $D/redis.log)"
    echo "export ZIPSTREAM_REDIS_URL=redis://127.0.0.1:$port"
    exit 0
  fi
  sleep 0.1
done
log "Redis did not answer PING on port $port within 10 s; its log:"
cat "$D/redis.log" >&2 || true
exit 1

#!/usr/bin/env bash
# Starts a private, single-node OpenStack Swift + s3api server on 127.0.0.1 for zipstream's tests
# and demos, and prints the shell lines that point an S3 client at it.
#
# Several servers can run at once on one machine: every port is picked free unless given, and each
# server keeps its data, logs, PIDs and memcached to itself.
#
# Environment (all optional):
#   SWIFT_DIR        where data, config, logs and PIDs go (default: a new `mktemp -d` directory,
#                    removed again by s3_server_stop.sh)
#   S3_PORT          the S3 endpoint's port (default: a free port)
#   SWIFT_ACCOUNT_PORT, SWIFT_CONTAINER_PORT, SWIFT_OBJECT_PORT, MEMCACHED_PORT
#                    the internal servers' ports (default: free ports)
#   S3_BUCKET        a bucket to create once the server is up (default: zipstream; empty: none)
#   S3_READY_SECONDS how long to wait for the server to answer (default: 60)
#
# Output on stdout: `export NAME=value` lines (ZIPSTREAM_S3_ENDPOINT, SWIFT_DIR, ...), also written
# to "$SWIFT_DIR/s3.env". Progress and errors go to stderr.
#
# Credentials: access key `test:tester`, secret `testing`, region `us-east-1`, path-style.
set -euo pipefail

log() { printf 's3_server_start: %s\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}

PACKAGES=(swift-proxy swift-account swift-container swift-object memcached curl)

missing_commands() {
  local c
  for c in swift-proxy-server swift-account-server swift-container-server swift-object-server \
    swift-ring-builder memcached curl python3; do
    command -v "$c" >/dev/null 2>&1 || printf '%s ' "$c"
  done
}

ensure_packages() {
  local missing
  missing=$(missing_commands)
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    fail "Cannot start the S3 server: missing commands: ${missing}- install them as root with: apt-get update && apt-get install -y --no-install-recommends ${PACKAGES[*]}"
  fi
  log "installing ${PACKAGES[*]} (missing: ${missing% })"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}" >&2
  missing=$(missing_commands)
  [ -z "$missing" ] || fail "Cannot start the S3 server: still missing after apt-get install: ${missing% }"
}

# Prints N distinct free TCP ports on 127.0.0.1. All sockets stay bound until every port is chosen,
# so the N ports differ from each other; another process could still take one before our servers
# bind it, which the readiness check below would report.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

ensure_packages

if [ -n "${SWIFT_DIR:-}" ]; then
  D=$SWIFT_DIR
  mkdir -p "$D"
  [ -z "$(ls -A "$D")" ] || fail "Cannot start the S3 server in SWIFT_DIR=$D: expected an empty or new directory but it holds files"
else
  D=$(mktemp -d "${TMPDIR:-/tmp}/zipstream-s3.XXXXXX")
  # Marks the directory as ours, so that the stop script may delete it.
  touch "$D/.created-by-s3_server_start"
fi
mkdir -p "$D"/{etc,srv/d1,log,pid}
E=$D/etc

read -r P1 P2 P3 P4 P5 <<<"$(free_ports 5)"
PROXY_PORT=${S3_PORT:-$P1}
ACCOUNT_PORT=${SWIFT_ACCOUNT_PORT:-$P2}
CONTAINER_PORT=${SWIFT_CONTAINER_PORT:-$P3}
OBJECT_PORT=${SWIFT_OBJECT_PORT:-$P4}
CACHE_PORT=${MEMCACHED_PORT:-$P5}
for p in "$PROXY_PORT" "$ACCOUNT_PORT" "$CONTAINER_PORT" "$OBJECT_PORT" "$CACHE_PORT"; do
  [[ $p =~ ^[0-9]+$ ]] && [ "$p" -ge 1 ] && [ "$p" -le 65535 ] ||
    fail "Cannot start the S3 server: expected every port to be an integer from 1 to 65535 but got \"$p\""
done
USER_NAME=$(id -un)

# Stops whatever was started so far when anything below fails, so a failed start leaves no server.
started=0
on_exit() {
  if [ "$started" -ne 1 ]; then
    log "start failed; logs were in $D/log, stopping what was started"
    tail -n 20 "$D"/log/*.log >&2 2>/dev/null || true
    SWIFT_DIR=$D bash "$(dirname "$0")/s3_server_stop.sh" >&2 || true
  fi
}
trap on_exit EXIT

# memcached: tempauth refuses to authenticate without a cache client, and Swift caches account and
# container info there. A private instance on its own port keeps concurrent servers from sharing
# (and confusing) each other's cached bucket info, which a shared 127.0.0.1:11211 would do.
memcached -l 127.0.0.1 -p "$CACHE_PORT" -U 0 -m 64 -u "$USER_NAME" >"$D/log/memcached.log" 2>&1 &
echo $! >"$D/pid/memcached.pid"
echo "$CACHE_PORT" >"$D/memcached.port"

for t in "account:$ACCOUNT_PORT" "container:$CONTAINER_PORT" "object:$OBJECT_PORT"; do
  n=${t%%:*}
  p=${t##*:}
  (cd "$E" && swift-ring-builder "$n.builder" create 8 1 1 >/dev/null &&
    swift-ring-builder "$n.builder" add "r1z1-127.0.0.1:$p/d1" 1 >/dev/null &&
    swift-ring-builder "$n.builder" rebalance >/dev/null)
  cat >"$E/$n-server.conf" <<C
[DEFAULT]
devices = $D/srv
mount_check = false
disable_fallocate = true
bind_ip = 127.0.0.1
bind_port = $p
# One process, no forked workers: the PID file then names every process of this server.
workers = 0
user = $USER_NAME
swift_dir = $E
log_name = $n
log_address = /nonexistent
[pipeline:main]
pipeline = $n-server
[app:$n-server]
use = egg:swift#$n
[$n-replicator]
[$n-auditor]
[$n-updater]
C
done

cat >"$E/proxy-server.conf" <<C
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PROXY_PORT
workers = 0
user = $USER_NAME
swift_dir = $E
log_address = /nonexistent
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
# S3 allows 10,000 parts; Swift's default stops at 1,000.
max_upload_part_num = 10000
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$CACHE_PORT
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
max_manifest_segments = 10000
[filter:dlo]
use = egg:swift#dlo
C

for s in account container object proxy; do
  nohup "swift-$s-server" "$E/$s-server.conf" >"$D/log/$s.log" 2>&1 &
  echo $! >"$D/pid/$s.pid"
done

alive() {
  local f
  for f in "$D"/pid/*.pid; do
    kill -0 "$(cat "$f")" 2>/dev/null || {
      log "$(basename "$f" .pid) exited during start"
      return 1
    }
  done
}

# Ready means: every backend answers HTTP, the proxy's healthcheck passes and tempauth hands out
# a token (which also proves memcached is reachable).
ready() {
  local p
  for p in "$ACCOUNT_PORT" "$CONTAINER_PORT" "$OBJECT_PORT"; do
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$p/" || return 1
  done
  curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$PROXY_PORT/healthcheck" || return 1
  curl -sf -o /dev/null --max-time 5 -H 'X-Auth-User: test:tester' -H 'X-Auth-Key: testing' \
    "http://127.0.0.1:$PROXY_PORT/auth/v1.0" || return 1
}

READY_SECONDS=${S3_READY_SECONDS:-60}
[[ $READY_SECONDS =~ ^[0-9]+$ ]] ||
  fail "Cannot start the S3 server: expected S3_READY_SECONDS to be a whole number but got \"$READY_SECONDS\""
deadline=$((SECONDS + READY_SECONDS))
until ready; do
  alive || fail "Cannot start the S3 server on 127.0.0.1:$PROXY_PORT: a server process exited (logs in $D/log)"
  [ "$SECONDS" -lt "$deadline" ] ||
    fail "Cannot start the S3 server on 127.0.0.1:$PROXY_PORT: not ready after ${READY_SECONDS}s (logs in $D/log)"
  sleep 0.2
done

BUCKET=${S3_BUCKET-zipstream}
if [ -n "$BUCKET" ]; then
  # An S3 bucket is a Swift container; Swift's own API creates it without an S3 signature.
  headers=$(curl -sf -D - -o /dev/null -H 'X-Auth-User: test:tester' -H 'X-Auth-Key: testing' \
    "http://127.0.0.1:$PROXY_PORT/auth/v1.0")
  token=$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p')
  storage=$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Xx]-[Ss]torage-[Uu]rl: //p')
  curl -sf -o /dev/null -X PUT -H "X-Auth-Token: $token" "$storage/$BUCKET" ||
    fail "Cannot create bucket \"$BUCKET\" on the S3 server at 127.0.0.1:$PROXY_PORT"
fi

cat >"$D/s3.env" <<ENV
export ZIPSTREAM_S3_ENDPOINT=http://127.0.0.1:$PROXY_PORT
export ZIPSTREAM_S3_BUCKET=$BUCKET
export AWS_ACCESS_KEY_ID=test:tester
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export SWIFT_DIR=$D
export S3_PORT=$PROXY_PORT
ENV
started=1
log "Swift s3api ready on http://127.0.0.1:$PROXY_PORT (access key test:tester, secret testing; data in $D)"
cat "$D/s3.env"

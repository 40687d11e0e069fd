#!/usr/bin/env bash
# Runs a command against a private local S3 server: starts one (s3_server_start.sh), exports
# ZIPSTREAM_S3_ENDPOINT and AWS_ENDPOINT_URL (its address, so that an AWS SDK client made with
# no options talks to it; an IP address, so the SDK uses path-style requests by itself),
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and (unless set) ZIPSTREAM_STATE_DIR, a
# journal folder of its own, and ZIPSTREAM_CACHE_DIR, a CRC cache folder of its own, runs the command, stops the server whatever happens, and exits
# with the command's exit code. `--bucket NAME` creates that bucket first (the README's
# examples use my-bucket).
#
# Beside it, a moto server (moto_server_start.sh), the S3 double that keeps S3's CRC32
# checksums, which Swift does not: its address goes to ZIPSTREAM_MOTO_ENDPOINT, and it is
# stopped by its PID at the end too. And a Redis server (redis_server_start.sh), for the
# segment queue: its URL goes to ZIPSTREAM_REDIS_URL, and it is stopped by its PID as well. It starts while Swift does. Where moto cannot start
# (Python's moto package missing), that is said and ZIPSTREAM_MOTO_ENDPOINT stays unset: the
# command still runs, and the tests that need moto fail saying why.
#
# Usage: bash scripts/with_s3_server.sh [--bucket NAME] COMMAND...
#   e.g. bash scripts/with_s3_server.sh deno test -A tests/
#        bash scripts/with_s3_server.sh --bucket my-bucket node example.js
set -uo pipefail

bucket=""
if [ "${1-}" = "--bucket" ]; then
  if [ -z "${2-}" ]; then
    echo "with_s3_server: expected a bucket name after --bucket" >&2
    exit 2
  fi
  bucket=$2
  shift 2
fi
if [ $# -eq 0 ]; then
  echo "with_s3_server: expected a command to run, e.g. with_s3_server.sh deno test -A tests/" >&2
  exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/zipstream-s3.XXXXXX")
# Apart from $dir, which the Swift start script wants empty.
moto_dir=$(mktemp -d "${TMPDIR:-/tmp}/zipstream-moto.XXXXXX")
redis_dir=$(mktemp -d "${TMPDIR:-/tmp}/zipstream-redis.XXXXXX")

child=""
moto_starter=""
stop() {
  local code=$?
  trap - EXIT INT TERM
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  # A start still under way is ended first; its PID file then names the server, if launched.
  if [ -n "$moto_starter" ]; then
    kill -TERM "$moto_starter" 2>/dev/null
    wait "$moto_starter" 2>/dev/null
  fi
  SWIFT_DIR=$dir bash "$here/s3_server_stop.sh"
  MOTO_DIR=$moto_dir bash "$here/moto_server_stop.sh"
  REDIS_DIR=$redis_dir bash "$here/redis_server_stop.sh"
  rm -rf "$dir" "$moto_dir" "$moto_dir.env" "$redis_dir"
  exit "$code"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

MOTO_DIR=$moto_dir bash "$here/moto_server_start.sh" >"$moto_dir.env" &
moto_starter=$!

env_lines=$(SWIFT_DIR=$dir S3_BUCKET=$bucket bash "$here/s3_server_start.sh") || exit 1
eval "$env_lines"
export ZIPSTREAM_S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION

if wait "$moto_starter"; then
  moto_starter=""
  # Only the endpoint: MOTO_DIR is this script's business.
  ZIPSTREAM_MOTO_ENDPOINT=$(sed -n 's/^export ZIPSTREAM_MOTO_ENDPOINT=//p' "$moto_dir.env")
  export ZIPSTREAM_MOTO_ENDPOINT
else
  moto_starter=""
  echo "with_s3_server: moto did not start (see above); ZIPSTREAM_MOTO_ENDPOINT is not set, so the tests that need it will fail" >&2
fi
if redis_env=$(REDIS_DIR=$redis_dir bash "$here/redis_server_start.sh"); then
  eval "$redis_env"
  export ZIPSTREAM_REDIS_URL
else
  echo "with_s3_server: Redis did not start (see above); ZIPSTREAM_REDIS_URL is not set, so the tests that need it will fail" >&2
fi
export AWS_ENDPOINT_URL=$ZIPSTREAM_S3_ENDPOINT
# The CLI's journal of uploads goes with the server: records of uploads on a
# private server mean nothing elsewhere, and a user's own journal stays out of it.
export ZIPSTREAM_STATE_DIR="${ZIPSTREAM_STATE_DIR:-$dir/state}"
# So does the command's CRC cache (identities of objects on this server).
export ZIPSTREAM_CACHE_DIR="${ZIPSTREAM_CACHE_DIR:-$dir/cache}"

# The command runs in the background so that INT/TERM reach this script's trap at once; the trap
# then ends the command (by its PID) and the server. Stdin is passed on explicitly because a
# background job would otherwise read from /dev/null.
"$@" <&0 &
child=$!
wait "$child"
code=$?
child=""
exit "$code"

#!/usr/bin/env bash
# The test suite: installs the readers' npm packages, starts a private local S3 server and runs
# `deno test --parallel` on the given test files or folders (default: tests/), DENO_JOBS of them
# at once (default 3: most files wait on servers, readers and subprocesses rather than compute).
#
# Temporary files (archives of over 4 GiB, the server's objects, scratch npm projects) go to a
# scratch folder on tmpfs (/dev/shm) when it and the memory behind it have room for them, so that
# a run writes little to disk; otherwise to $TMPDIR or /tmp. The first line says which, and why.
# The scratch folder is removed at the end.
#
# Usage: bash scripts/test.sh [deno test options and paths...]
#   e.g. bash scripts/test.sh                      (what CI runs: every test)
#        bash scripts/test.sh tests/cli/flags_test.ts
#        SCRATCH=/tmp bash scripts/test.sh          (keep temporary files on disk)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."

# The largest archive a test writes is 4.3 GiB, and other files' servers and projects run
# beside it: ask for twice that, free on tmpfs and in memory.
NEEDED_KIB=$((9 * 1024 * 1024))

available_kib() {
  df -Pk "$1" 2>/dev/null | awk 'NR == 2 { print $4 }'
}

memory_available_kib() {
  awk '/^MemAvailable:/ { print $2 }' /proc/meminfo 2>/dev/null
}

scratch_parent() {
  if [ -n "${SCRATCH-}" ]; then
    echo "$SCRATCH"
    echo "test.sh: temporary files in $SCRATCH (SCRATCH)" >&2
    return
  fi
  local shm memory fallback=${TMPDIR:-/tmp}
  shm=$(available_kib /dev/shm)
  memory=$(memory_available_kib)
  if [ -n "$shm" ] && [ -n "$memory" ] && [ "$shm" -ge "$NEEDED_KIB" ] &&
    [ "$memory" -ge "$NEEDED_KIB" ]; then
    echo /dev/shm
    echo "test.sh: temporary files on tmpfs in /dev/shm ($((shm / 1048576)) GiB free, $((memory / 1048576)) GiB of memory available)" >&2
  else
    echo "$fallback"
    echo "test.sh: temporary files in $fallback: /dev/shm has ${shm:-no} KiB free and memory ${memory:-unknown} KiB available, under the $NEEDED_KIB KiB wanted" >&2
  fi
}

bash "$here/install_test_tools.sh" || exit 1

parent=$(scratch_parent) || exit 1
scratch=$(mktemp -d "$parent/zipstream-tests.XXXXXX") || exit 1
remove_scratch() {
  local code=$?
  rm -rf "$scratch"
  exit "$code"
}
trap remove_scratch EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export TMPDIR=$scratch
export DENO_JOBS=${DENO_JOBS:-3}
# Without paths, every test, the longest files first (deno test starts files in the order given,
# and runs each once): started last, one of them would run on alone for minutes.
LONGEST_FIRST=(
  tests/zip/big_archive_test.ts tests/zip/plan_big_test.ts tests/s3/upload_outcomes_test.ts
  tests/zip/aes_big_test.ts
  tests/npm/readme_examples_test.ts
  tests/npm/cli_bin_test.ts tests/zip/property_test.ts tests/cli/demo_test.ts
)
# A path is an argument that names a file or folder: the value of an option such as
# `--filter NAME` is not one.
paths=false
for argument in "$@"; do
  if [ -e "$argument" ]; then paths=true; fi
done
if ! $paths; then set -- "$@" "${LONGEST_FIRST[@]}" tests/; fi
# In the background, so that INT/TERM reach the trap at once; with_s3_server.sh ends its
# command and the server when it gets TERM.
bash "$here/with_s3_server.sh" deno test -A --parallel "$@" <&0 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 130' INT
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM
wait "$child"

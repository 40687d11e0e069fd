#!/usr/bin/env bash
# Makes sure the independent ZIP readers the tests drive are installed: Info-ZIP
# unzip, 7-Zip, bsdtar, Python 3, Java 17 (its ZipInputStream and ZipFile) and
# Node's unzipper (in tests/readers/node_modules, from its package-lock). As
# root on Debian it installs what is missing; otherwise it names the packages
# to install and fails. (The local S3 server's packages are installed by
# s3_server_start.sh.) It also installs Bun for tests/npm/ (in
# tests/npm/tools/node_modules, from its package-lock).
set -euo pipefail

# command:package pairs
TOOLS=(unzip:unzip 7z:p7zip-full bsdtar:libarchive-tools python3:python3
  javac:openjdk-17-jdk-headless
  # headless Chromium for tests/browser/, driven over the DevTools protocol
  chromium:chromium
  # the HTTP clients that download planned archives in tests/http/ and tests/cli/
  curl:curl wget:wget aria2c:aria2
  # Redis, for the segment queue (BullMQ) in tests/cli/queue_test.ts
  redis-server:redis-server)

readers="$(cd "$(dirname "$0")/../tests/readers" && pwd)"
# npm ci writes node_modules/.package-lock.json: older than package-lock.json,
# the pinned versions have changed since.
install_node_readers() {
  [ -d "$readers/node_modules/unzipper" ] &&
    [ ! "$readers/package-lock.json" -nt "$readers/node_modules/.package-lock.json" ] &&
    return 0
  command -v npm >/dev/null 2>&1 || {
    echo "The tests need npm to install unzipper into $readers" >&2
    exit 1
  }
  echo "installing unzipper for the tests into $readers" >&2
  npm ci --prefix "$readers" --no-audit --no-fund >&2
}

# Bun, the second runtime tests/npm/ installs the npm package into, pinned in
# tests/npm/tools/package-lock.json like the readers.
npm_tools="$(cd "$(dirname "$0")/../tests/npm/tools" && pwd)"
install_npm_tools() {
  [ -x "$npm_tools/node_modules/.bin/bun" ] &&
    [ ! "$npm_tools/package-lock.json" -nt "$npm_tools/node_modules/.package-lock.json" ] &&
    return 0
  echo "installing bun for the tests into $npm_tools" >&2
  npm ci --prefix "$npm_tools" --no-audit --no-fund >&2
}

missing=()
for pair in "${TOOLS[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
if [ ${#missing[@]} -eq 0 ]; then
  install_node_readers
  install_npm_tools
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "The tests need ${missing[*]}: install them (Debian: apt-get install -y --no-install-recommends ${missing[*]})" >&2
  exit 1
fi
echo "installing ${missing[*]} for the tests" >&2
apt-get update >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
install_node_readers
install_npm_tools

#!/usr/bin/env bash
# Makes sure the independent ZIP readers the tests drive are installed: Info-ZIP
# unzip, 7-Zip, bsdtar and Python 3. As root on Debian it installs what is
# missing; otherwise it names the packages to install and fails. (The local S3
# server's packages are installed by s3_server_start.sh.)
set -euo pipefail

# command:package pairs
TOOLS=(unzip:unzip 7z:p7zip-full bsdtar:libarchive-tools python3:python3)

missing=()
for pair in "${TOOLS[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "The tests need ${missing[*]}: install them (Debian: apt-get install -y --no-install-recommends ${missing[*]})" >&2
  exit 1
fi
echo "installing ${missing[*]} for the tests" >&2
apt-get update >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2

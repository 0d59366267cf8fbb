#!/usr/bin/env bash
# Installs Debian's chromium for the browser test when it is missing. Nothing is downloaded at test time.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser test (apt-get) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "note: chromium is not installed and cannot be installed here (needs root + apt-get);"
echo "      the browser test will be skipped outside CI. Install it with: sudo apt-get install chromium"

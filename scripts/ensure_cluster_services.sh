#!/usr/bin/env bash
# Installs Debian's redis-server and postgresql for the cluster test and `make cluster-demo` when missing.
# Only the binaries are needed: the test and the demo start their own throwaway servers on 127.0.0.1
# (scripts/cluster_services.py), so the services the packages enable are stopped again here.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's ${missing[*]} for the cluster test (apt-get) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # policy-rc.d 101: do not start the packaged services (PostgreSQL would take port 5432 the test needs).
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  [ "$created_policy" = 1 ] && rm -f "$policy"
  exit "${status:-0}"
fi
echo "note: ${missing[*]} not installed and cannot be installed here (needs root + apt-get);"
echo "      the cluster test will be skipped. Install with: sudo apt-get install ${missing[*]}"

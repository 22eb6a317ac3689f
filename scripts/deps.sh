#!/usr/bin/env bash
# Install whatever the build, the demo and the tests need and is missing.
# Idempotent and quick when everything is present. Debian 12, as root.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(
  build-essential cmake pkg-config git ca-certificates
  libwebsockets-dev libsrtp2-dev libopus-dev libogg-dev libsqlite3-dev libssl-dev
  libjansson-dev libcmocka-dev libev-dev libwebsockets-evlib-ev zlib1g-dev
  clang llvm            # libFuzzer targets (make fuzz) and sanitizers
  sqlite3 curl procps openssl iproute2
  opus-tools            # opusinfo/opusdec check recordings in tests
  janus                 # bench/media.sh: Lianyi side by side with Janus (VideoRoom)
  chromium              # e2e tests (playwright-core drives /usr/bin/chromium)
  fonts-noto-cjk        # Chinese text in screenshots
)
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node packages for the tests (ws, playwright-core, @roamhq/wrtc, ajv, …), pinned by lock files.
for dir in tests tests/e2e; do
  [ -f "$dir/package.json" ] || continue
  stamp="$dir/node_modules/.lianyi-stamp"
  if [ ! -f "$stamp" ] || [ "$dir/package.json" -nt "$stamp" ] || { [ -f "$dir/package-lock.json" ] && [ "$dir/package-lock.json" -nt "$stamp" ]; }; then
    echo "deps: npm install in $dir"
    if [ -f "$dir/package-lock.json" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    else
      (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
    fi
    touch "$stamp"
  fi
done

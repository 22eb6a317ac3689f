#!/usr/bin/env bash
# Start-up to first served request, and idle RSS, of the demo district.
#   bench/startup.sh [BIN] [RUNS]
# Seeds a demo data directory once (not measured), then RUNS times: start the
# server on it, poll /healthz until it answers, record the time from exec to
# the first 200, and the server's RSS once idle. Prints a table.
set -euo pipefail
BIN=${1:-build/lianyi}
RUNS=${2:-10}
WEB=$(cd "$(dirname "$0")/.." && pwd)/web
DATA=$(mktemp -d /tmp/lianyi-startup-XXXXXX)
export LIANYI_MASTER_KEY=${LIANYI_MASTER_KEY:-$(openssl rand -hex 32)}
trap 'rm -rf "$DATA"' EXIT

port=$(( 20000 + RANDOM % 20000 ))
"$BIN" serve --demo --data "$DATA" --listen 127.0.0.1:$port --web-root "$WEB" --log-level warn >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
kill -TERM $pid; wait $pid || true

printf "%-5s %12s %10s\n" run start_ms rss_kb
tot=0; max=0; rss_max=0
for i in $(seq 1 "$RUNS"); do
  port=$(( 20000 + RANDOM % 20000 ))
  t0=$(date +%s%N)
  "$BIN" serve --data "$DATA" --listen 127.0.0.1:$port --web-root "$WEB" --log-level warn >/dev/null 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
    kill -0 $pid 2>/dev/null || { echo "server died"; exit 1; }
    sleep 0.002
  done
  t1=$(date +%s%N)
  sleep 0.3
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  kill -TERM $pid; wait $pid || true
  ms=$(( (t1 - t0) / 1000000 ))
  tot=$(( tot + ms )); [ $ms -gt $max ] && max=$ms; [ "$rss" -gt $rss_max ] && rss_max=$rss
  printf "%-5s %12s %10s\n" "$i" "$ms" "$rss"
done
printf "mean start-up to first served request: %d ms (max %d ms); idle RSS max: %d kB\n" $(( tot / RUNS )) $max $rss_max

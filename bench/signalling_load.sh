#!/usr/bin/env bash
# Signalling under load (issue 3, acceptance 3): N = 1,000 and 10,000
# authenticated WebSocket sessions held idle (RSS per session), then requests
# at a fixed rate with consultations running (reply latency p50/p99).
#   bench/signalling_load.sh [BIN] [RATE] [SECONDS]
# Every session is a file descriptor in this shell's node and in the server,
# so the open-file limit is raised first (the hard limit must allow it:
# `ulimit -Hn`; as root `ulimit -n 65536` works, or set nofile in
# /etc/security/limits.conf). See bench/signalling_load.mjs for the method.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/lianyi}
RATE=${2:-2000}
SECONDS_LOAD=${3:-15}
want=24000
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $want ]; then want=$hard; fi
ulimit -n "$want"
echo "open-file limit: $(ulimit -n)"
for n in 1000 10000; do
  if [ $((n + 500)) -gt "$(ulimit -n)" ]; then echo "skipping N=$n: raise the open-file limit"; continue; fi
  LIANYI_BIN=$BIN node bench/signalling_load.mjs --n $n --rate "$RATE" --seconds "$SECONDS_LOAD" --hold 10
done

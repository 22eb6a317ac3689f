#!/usr/bin/env bash
# make bench: the short version of every benchmark, one after another, each
# printing its own table. Add a line here for each new benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/lianyi}
echo "== start-up to first served request, idle RSS (bench/startup.sh)"
bench/startup.sh "$BIN" 5

#!/usr/bin/env bash
# Run every libFuzzer target for SECONDS each (default 60) under ASan+UBSan.
#   scripts/fuzz.sh [SECONDS] [TARGET-NAME-FILTER]
# New interesting inputs go to build-fuzz/corpus/<name>/ (not the repo); the
# seeds in tests/fuzz/corpus/<name>/ are read too. A crash writes its input to
# tests/fuzz/crashes/ and fails the run: fix it, then move the input into the
# target's corpus as a regression seed.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
FILTER=${2:-}
BUILD=build-fuzz
[ -f $BUILD/CMakeCache.txt ] || CC=clang cmake -S . -B $BUILD -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLY_FUZZ=ON >/dev/null
cmake --build $BUILD -j "$(nproc)" >/dev/null
mkdir -p tests/fuzz/crashes
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
printf "%-28s %10s %12s %8s\n" target seconds executions result
for t in tests/fuzz/fuzz_*.c; do
  name=$(basename "$t" .c); short=${name#fuzz_}
  [ -z "$FILTER" ] || [[ "$name" == *"$FILTER"* ]] || continue
  work=$BUILD/corpus/$short; mkdir -p "$work" "tests/fuzz/corpus/$short"
  log=$BUILD/$name.log
  dict=(); [ -f "tests/fuzz/$short.dict" ] && dict=(-dict="tests/fuzz/$short.dict")
  if "$BUILD/$name" "${dict[@]}" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix=tests/fuzz/crashes/"$short"- "$work" "tests/fuzz/corpus/$short" >"$log" 2>&1; then
    res=ok
  else
    res=FAIL; status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  printf "%-28s %10s %12s %8s\n" "$short" "$SECONDS_EACH" "$execs" "$res"
  [ "$res" = ok ] || tail -40 "$log"
done
exit $status

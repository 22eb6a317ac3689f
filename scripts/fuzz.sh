#!/usr/bin/env bash
# Run every libFuzzer target for SECONDS each (default 60) under ASan+UBSan.
#   scripts/fuzz.sh [SECONDS] [TARGET-NAME-FILTER]
#   FUZZ_JOBS=N   targets run N at a time (default 1); `make fuzz-ci` uses the cores
#   FUZZ_SEED=N   libFuzzer's -seed (default: random). `make fuzz-ci` fixes it and
#                 starts from the committed seeds only (FUZZ_FRESH=1), so a CI
#                 result is reproducible: `make fuzz-ci` on this machine explores
#                 what CI explores. `make fuzz` keeps exploring at random.
# New interesting inputs go to build-fuzz/corpus/<name>/ (not the repo); the
# seeds in tests/fuzz/corpus/<name>/ are read too. A crash writes its input to
# tests/fuzz/crashes/ and fails the run: fix it, then move the input into the
# target's corpus as a regression seed. A target uses tests/fuzz/<name>.dict,
# else the dictionary of its family (tests/fuzz/body.dict for body_rx, …).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
FILTER=${2:-}
JOBS=${FUZZ_JOBS:-1}
BUILD=${FUZZ_BUILD:-build-fuzz}
[ -f $BUILD/CMakeCache.txt ] || CC=clang cmake -S . -B $BUILD -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLY_FUZZ=ON >/dev/null
if ! cmake --build $BUILD -j "$(nproc)" >$BUILD/build.log 2>&1; then
  tail -40 $BUILD/build.log
  exit 1
fi
mkdir -p tests/fuzz/crashes $BUILD/results
rm -f $BUILD/results/*
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# One target: run it, write "name seconds executions result" to results/.
run_one() {
  local name=$1 short=${1#fuzz_}
  local work=$BUILD/corpus/$short log=$BUILD/$name.log dict=() res seed=()
  if [ "${FUZZ_FRESH:-0}" = 1 ]; then
    work=$BUILD/corpus-fresh/$short
    rm -rf "$work"
  fi
  [ -z "${FUZZ_SEED:-}" ] || seed=(-seed="$FUZZ_SEED")
  mkdir -p "$work" "tests/fuzz/corpus/$short"
  if [ -f "tests/fuzz/$short.dict" ]; then
    dict=(-dict="tests/fuzz/$short.dict")
  elif [ -f "tests/fuzz/${short%%_*}.dict" ]; then
    dict=(-dict="tests/fuzz/${short%%_*}.dict")
  fi
  if "$BUILD/$name" "${dict[@]}" "${seed[@]}" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix=tests/fuzz/crashes/"$short"- "$work" "tests/fuzz/corpus/$short" >"$log" 2>&1; then
    res=ok
  else
    res=FAIL
  fi
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  printf "%-28s %10s %12s %8s\n" "$short" "$SECONDS_EACH" "$execs" "$res" >"$BUILD/results/$short"
}

running=0
for t in tests/fuzz/fuzz_*.c; do
  name=$(basename "$t" .c)
  [ -z "$FILTER" ] || [[ "$name" == *"$FILTER"* ]] || continue
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

status=0
printf "%-28s %10s %12s %8s\n" target seconds executions result
for r in "$BUILD"/results/*; do
  [ -f "$r" ] || continue
  cat "$r"
  if grep -q ' FAIL$' "$r"; then
    status=1
    tail -40 "$BUILD/fuzz_$(basename "$r").log"
  fi
done
exit $status

#!/usr/bin/env bash
# bench/media.sh — Lianyi against Janus, side by side, on this machine, and
# how far both are from what it allows (issue 11; bench/README.md explains
# every figure).
#
#   bench/media.sh            the full sweep; writes bench/results/YYYY-MM-DD-<host>.md
#   bench/media.sh --short    the short version for `make bench` (< 5 min): prints the table only
#
# Environment: BIN (the lianyi binary, default build/lianyi; bench_loadgen,
# bench_udp_relay and bench_srtp_cost are taken from the same directory),
# SERVER_CPU (0) and LOADGEN_CPU (1): the cores the server under test and the
# load generator are pinned to; RT=0 to run them without SCHED_FIFO; OUT to
# choose the results file.
#
# Every server runs pinned to SERVER_CPU, the load generator to LOADGEN_CPU,
# both SCHED_FIFO priority 1 when we may (a shared machine's other work then
# cannot delay a packet; the kernel still keeps 5 % of each core for others).
# Only 127.0.0.1 and this machine's own address (Janus's ICE candidate: it
# never gathers on loopback) are ever targeted.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=full
[ "${1:-}" = "--short" ] && MODE=short
BIN=${BIN:-build/lianyi}
BUILD=$(cd "$(dirname "$BIN")" && pwd)
LOADGEN=$BUILD/bench_loadgen
RELAY=$BUILD/bench_udp_relay
SRTPCOST=$BUILD/bench_srtp_cost
FORWARD=$BUILD/bench_forward
SCPU=${SERVER_CPU:-0}
LCPU=${LOADGEN_CPU:-1}
HOST=$(hostname -s 2>/dev/null || echo host)
OUT=${OUT:-bench/results/$(date +%F)-$HOST.md}
WORK=$(mktemp -d /tmp/lianyi-media-bench.XXXXXX)
JANUS_PORT=${JANUS_PORT:-18188}
RELAY_PORT=${RELAY_PORT:-19000}
for b in "$LOADGEN" "$RELAY" "$SRTPCOST" "$FORWARD" "$BIN"; do
  [ -x "$b" ] || { echo "media.sh: $b is missing (make build)" >&2; exit 1; }
done

RTF=()
if [ "${RT:-1}" = 1 ] && chrt -f 1 true 2>/dev/null; then RTF=(chrt -f 1); fi
rt_note() { [ ${#RTF[@]} -gt 0 ] && echo "SCHED_FIFO 1" || echo "SCHED_OTHER (no chrt)"; }

# Short and full sweeps (rooms per point).
# Lianyi and the raw relay also measure Janus's points, to compare at equal load.
# The short version keeps every scenario but fits make bench's 5 minutes:
# shorter windows, SRTP timings and holds, and Lianyi's sweep stops at 150 /
# 60 rooms (each doctor's session costs the server a scrypt to set up).
if [ "$MODE" = short ]; then
  WIN=(--window 1.5 --warmup 0.5)
  SRTP_S=0.3
  RAW2=30,150; RAW3=15,60
  JAN2=10,30,60; JAN3=5,15,30
  LY2=30,150; LY3=15,60
  SIG_N=500; SIG_RATE=500; SIG_S=3; SIG_HOLD=2
else
  WIN=(--window 5 --warmup 1)
  SRTP_S=3
  SIG_HOLD=5
  RAW2=10,20,30,40,50,100,200,250,300,350,400,500,600; RAW3=5,10,15,20,30,50,100,150,200,250,300
  JAN2=10,20,30,40,50,60,80,100,130; JAN3=5,10,15,20,25,30,40,50
  LY2=10,20,30,40,50,100,200,250,300,350,400,500,600,688; LY3=5,10,15,20,30,50,100,150,175,200,250,300
  SIG_N=1000; SIG_RATE=1000; SIG_S=10
fi

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  bench/janus/setup.sh stop "$WORK/janus" 2>/dev/null || true
}
trap cleanup EXIT

pin() { # pid: pin every thread to the server core, FIFO if we may
  taskset -a -p -c "$SCPU" "$1" >/dev/null
  [ ${#RTF[@]} -gt 0 ] && chrt -a -f -p 1 "$1" >/dev/null 2>&1 || true
}

loadgen() { # label args... : one sweep, JSON lines into media.jsonl
  local label=$1
  shift
  echo "-- $label" >&2
  "${RTF[@]}" taskset -c "$LCPU" "$LOADGEN" media --json --cpu "$SCPU" --label "$label" "${WIN[@]}" "$@" \
    >>"$WORK/media.jsonl" || echo "media.sh: $label did not finish" >&2
}

meta() {
  {
    echo "{\"date\":\"$(date -u +%FT%TZ)\",\"host\":\"$HOST\",\"mode\":\"$MODE\","
    echo "\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\","
    echo "\"cores\":$(nproc),\"kernel\":\"$(uname -r)\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\","
    echo "\"lianyi\":\"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\","
    echo "\"build\":\"$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)\","
    echo "\"janus\":\"$(dpkg-query -W -f='${Version}' janus 2>/dev/null || echo none)\","
    echo "\"libsrtp\":\"$(dpkg-query -W -f='${Version}' libsrtp2-1 2>/dev/null || echo unknown)\","
    echo "\"openssl\":\"$(openssl version | cut -d' ' -f2)\","
    echo "\"libwebsockets\":\"$(dpkg-query -W -f='${Version}' libwebsockets17 2>/dev/null || echo unknown)\","
    echo "\"sched\":\"$(rt_note)\",\"server_cpu\":$SCPU,\"loadgen_cpu\":$LCPU}"
  } | tr -d '\n' >"$WORK/meta.json"
  bench/janus/setup.sh settings >"$WORK/janus-settings.md"
}

limit() {
  echo "== the limit: libsrtp per packet, raw UDP relay" >&2
  "${RTF[@]}" taskset -c "$LCPU" "$SRTPCOST" --json --seconds "$SRTP_S" \
    >"$WORK/srtp.jsonl"
  for rs in 2 3; do
    "$RELAY" --port "$RELAY_PORT" 2>>"$WORK/relay.log" &
    local rp=$!
    PIDS+=("$rp")
    sleep 0.3
    pin "$rp"
    local sw=$RAW2
    [ "$rs" = 3 ] && sw=$RAW3
    loadgen "raw-udp ${rs}p" --server raw --port "$RELAY_PORT" --pid "$rp" --room-size "$rs" --sweep "$sw"
    kill "$rp"
    wait "$rp" 2>/dev/null || true
  done
}

forward() { # the relay alone, one worker (issue 4; make bench runs its short version itself)
  echo "== forwarding on one worker (bench_forward)" >&2
  "${RTF[@]}" "$FORWARD" --cpus "$SCPU,$LCPU" --seconds 3 >"$WORK/forward.md" 2>>"$WORK/forward.log" ||
    echo "media.sh: bench_forward did not finish" >&2
}

janus_media() {
  echo "== Janus $(dpkg-query -W -f='${Version}' janus)" >&2
  for rs in 2 3; do
    local jp
    jp=$(bench/janus/setup.sh start "$WORK/janus" "$JANUS_PORT" "$SCPU")
    pin "$jp"
    local sw=$JAN2
    [ "$rs" = 3 ] && sw=$JAN3
    loadgen "janus ${rs}p" --server janus --port "$JANUS_PORT" --pid "$jp" --room-size "$rs" --sweep "$sw" \
      --local-ip "$(cat "$WORK/janus/ice_ip")"
    bench/janus/setup.sh stop "$WORK/janus"
  done
}

lianyi_start() { # rooms [prep options...]: start a server on a demo district with consultations prepared
  : >"$WORK/prep.out"
  local rooms=$1
  shift
  LIANYI_BIN=$BIN node bench/loadgen/lianyi_prep.mjs --rooms "$rooms" --out "$WORK/rooms.json" "$@" \
    --args "--media-workers 1" >"$WORK/prep.out" 2>>"$WORK/prep.log" &
  PREP=$!
  PIDS+=("$PREP")
  for _ in $(seq 1 3000); do grep -q READY "$WORK/prep.out" && break; sleep 0.2; done
  grep -q READY "$WORK/prep.out" || { echo "media.sh: Lianyi did not start; $WORK/prep.log" >&2; return 1; }
  LPID=$(awk '/READY/{print $2}' "$WORK/prep.out")
  LPORT=$(awk '/READY/{print $3}' "$WORK/prep.out")
  pin "$LPID"
}

lianyi_stop() {
  kill "$PREP" 2>/dev/null || true
  wait "$PREP" 2>/dev/null || true
}

lianyi_sig() { # rooms-file: N sessions on the running server
  "${RTF[@]}" taskset -c "$LCPU" "$LOADGEN" sig --json --server lianyi --port "$LPORT" --pid "$LPID" \
    --rooms-file "$1" --n "$SIG_N" --rate "$SIG_RATE" --seconds "$SIG_S" --hold "$SIG_HOLD" \
    >>"$WORK/sig.jsonl" || true
}

# The full sweep gives every scenario a fresh server. The short one prepares
# disjoint consultations for all three on one server (each preparation signs
# doctors in: a scrypt each) and runs them one after the other, signalling
# first.
lianyi_media() {
  echo "== Lianyi $(git rev-parse --short HEAD 2>/dev/null)" >&2
  if grep -q 'Media messages (not yet live)' docs/signalling.md; then
    echo "media.sh: Lianyi's media.* signalling is not live yet (docs/signalling.md): skipped" >&2
    echo '{"label":"lianyi","skipped":"media signalling not live"}' >>"$WORK/media.jsonl"
    return 0
  fi
  local sig_rooms=$(((SIG_N + 7) / 8))
  if [ "$MODE" = short ]; then
    lianyi_start "${LY2##*,}" --three-rooms "${LY3##*,}" --out3 "$WORK/rooms3.json" \
      --sig-rooms "$sig_rooms" --out-sig "$WORK/rooms-sig.json" || return 0
    echo "== signalling (Lianyi): $SIG_N sessions, $SIG_RATE requests/s" >&2
    lianyi_sig "$WORK/rooms-sig.json" # first: nothing left over from the media runs (their sessions' close)
    loadgen "lianyi 2p" --server lianyi --port "$LPORT" --pid "$LPID" --room-size 2 --sweep "$LY2" \
      --rooms-file "$WORK/rooms.json"
    loadgen "lianyi 3p" --server lianyi --port "$LPORT" --pid "$LPID" --room-size 3 --sweep "$LY3" \
      --rooms-file "$WORK/rooms3.json"
    lianyi_stop
    return 0
  fi
  for rs in 2 3; do
    local sw=$LY2
    [ "$rs" = 3 ] && sw=$LY3
    if [ "$rs" = 3 ]; then lianyi_start "${sw##*,}" --three || return 0; else lianyi_start "${sw##*,}" || return 0; fi
    loadgen "lianyi ${rs}p" --server lianyi --port "$LPORT" --pid "$LPID" --room-size "$rs" --sweep "$sw" \
      --rooms-file "$WORK/rooms.json"
    lianyi_stop
  done
  echo "== signalling (Lianyi): $SIG_N sessions, $SIG_RATE requests/s" >&2
  lianyi_start "$sig_rooms" || return 0
  lianyi_sig "$WORK/rooms.json"
  lianyi_stop
}

janus_sig() {
  echo "== signalling (Janus): $SIG_N sessions, $SIG_RATE requests/s" >&2
  local jp
  jp=$(bench/janus/setup.sh start "$WORK/janus" "$JANUS_PORT" "$SCPU")
  pin "$jp"
  "${RTF[@]}" taskset -c "$LCPU" "$LOADGEN" sig --json --server janus --port "$JANUS_PORT" --pid "$jp" \
    --n "$SIG_N" --rate "$SIG_RATE" --seconds "$SIG_S" --hold "$SIG_HOLD" >>"$WORK/sig.jsonl" || true
  bench/janus/setup.sh stop "$WORK/janus"
}

meta
limit
[ "$MODE" = full ] && forward
janus_media
janus_sig
lianyi_media
if [ "$MODE" = short ]; then
  node bench/loadgen/report.mjs "$WORK" --summary
else
  mkdir -p "$(dirname "$OUT")"
  node bench/loadgen/report.mjs "$WORK" >"$OUT"
  node bench/loadgen/report.mjs "$WORK" --summary
  echo "results: $OUT (raw data: $WORK)" >&2
fi

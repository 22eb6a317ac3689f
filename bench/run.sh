#!/usr/bin/env bash
# make bench: the short version of every benchmark, one after another, each
# printing its own table, in under 5 minutes on a 2-core machine (issue 11):
# short windows and small counts here; bench/README.md and each file say how
# to run the full versions. Add a line here for each new benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/lianyi}
echo "== start-up to first served request, idle RSS (bench/startup.sh)"
bench/startup.sh "$BIN" 5
echo
echo "== durable (audited, synchronous=FULL) writes per second through HTTP by client concurrency (bench/http_writes.mjs)"
LIANYI_BIN="$BIN" node bench/http_writes.mjs "$BIN" 2
echo
echo "== pharmacy dispatch: 285 consoles on WebSocket polling every 5 s, 20 dispatches/s claimed and dispensed (bench/pharmacy_load.mjs)"
LIANYI_BIN="$BIN" node bench/pharmacy_load.mjs --seconds 6 --rate 20 || echo "(pharmacy_load: targets not met)"
echo
echo "== signalling: 1,000 idle WebSocket sessions (RSS each), 2,000 requests/s with consultations running (bench/signalling_load.mjs; bench/signalling_load.sh does N = 1,000 and 10,000)"
LIANYI_BIN="$BIN" node bench/signalling_load.mjs --n 1000 --rate 2000 --seconds 5 --hold 2
echo
echo "== e-prescription flows (create -> sign -> approve) per second, synchronous=FULL: domain per call and grouped (bench/rx_flow.c), HTTP (bench/rx_flow_http.mjs)"
"$(dirname "$BIN")/bench_rx_flow" -n 1000 -b 32 -d "$(dirname "$BIN")"
for c in 1 8; do
  LIANYI_BIN="$BIN" node bench/rx_flow_http.mjs 500 $c
done
echo
echo "== media relay forwarding: one worker, AES-GCM, one publisher fanned out to 8 subscribers — forwarded packets/s, loss, latency, CPU-µs per packet (bench/forward.c, issue 4)"
FIFO=()
chrt -f 1 true 2>/dev/null && FIFO=(chrt -f 1)
"${FIFO[@]}" "$(dirname "$BIN")/bench_forward" --cpus "${SERVER_CPU:-0},${LOADGEN_CPU:-1}" --seconds 1 \
  --rates 8000,16000,24000,32000
echo
echo "== recording (issue 5): CPU per recorded consultation (bench/recording_cost.c); forwarding with every room recorded vs none (bench/forward_recording.c)"
"$(dirname "$BIN")/bench_recording_cost" 10 20 "${TMPDIR:-/tmp}"
"$(dirname "$BIN")/bench_forward_recording" 80 3 "${TMPDIR:-/tmp}"
echo
echo "== media: Lianyi vs Janus vs a raw UDP relay — 1:1 and 3-party consultations per core, CPU-µs per packet, latency; signalling sessions (bench/media.sh --short; bench/media.sh writes bench/results/)"
BIN="$BIN" bench/media.sh --short || echo "(media.sh did not finish: see above)"

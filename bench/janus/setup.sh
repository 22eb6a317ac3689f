#!/usr/bin/env bash
# bench/janus/setup.sh — run the Debian package's Janus with the benchmark's
# configuration (bench/janus/*.jcfg), never the system-wide /etc/janus.
#
#   bench/janus/setup.sh start RUN_DIR [WS_PORT=18188] [CPU]   # prints the pid
#   bench/janus/setup.sh stop RUN_DIR
#   bench/janus/setup.sh settings                              # the settings, as markdown
#
# start copies the .jcfg files into RUN_DIR with @WS_PORT@, @RUN_DIR@ and
# @EVENT_LOOPS@ (JANUS_EVENT_LOOPS, default 1) and @ICE_IP@ (this machine's
# first IPv4 address: Janus never gathers on loopback) filled in, starts janus (pinned
# to CPU with taskset when given), logs to RUN_DIR/janus.log, and returns once
# the WebSocket port answers. Janus's API listens on 127.0.0.1 only; its ICE
# candidate address is in RUN_DIR/ice_ip.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cmd=${1:-}

wait_port() { # port seconds
  for _ in $(seq 1 $(($2 * 10))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

case "$cmd" in
start)
  run=${2:?run dir}; port=${3:-18188}; cpu=${4:-}
  command -v janus >/dev/null || { echo "janus is not installed (scripts/deps.sh installs it)" >&2; exit 1; }
  mkdir -p "$run"
  run=$(cd "$run" && pwd)
  ice_ip=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1)
  [ -n "$ice_ip" ] || { echo "no IPv4 address for Janus's host candidate (it never uses loopback)" >&2; exit 1; }
  echo "$ice_ip" >"$run/ice_ip" # the load generator binds its sockets to it too
  for f in "$here"/*.jcfg; do
    sed -e "s|@WS_PORT@|$port|g" -e "s|@RUN_DIR@|$run|g" -e "s|@EVENT_LOOPS@|${JANUS_EVENT_LOOPS:-1}|g" \
      -e "s|@ICE_IP@|$ice_ip|g" \
      "$f" >"$run/$(basename "$f")"
  done
  pin=()
  [ -n "$cpu" ] && pin=(taskset -c "$cpu")
  "${pin[@]}" janus -C "$run/janus.jcfg" -F "$run" >"$run/janus.log" 2>&1 &
  echo $! >"$run/janus.pid"
  if ! wait_port "$port" 20; then
    echo "janus did not listen on $port; log: $run/janus.log" >&2
    tail -20 "$run/janus.log" >&2
    exit 1
  fi
  cat "$run/janus.pid"
  ;;
stop)
  run=${2:?run dir}
  [ -f "$run/janus.pid" ] || exit 0
  pid=$(cat "$run/janus.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$run/janus.pid"
  ;;
settings)
  ver=$(dpkg-query -W -f='${Version}' janus 2>/dev/null || echo unknown)
  echo "Janus $ver (Debian package, unpatched), configuration bench/janus/:"
  echo
  grep -hE '^\s*[a-z_]+ = ' "$here"/janus.jcfg "$here"/janus.transport.websockets.jcfg |
    sed -e 's/^\s*/- `/' -e 's/\s*#.*$//' -e 's/$/`/' -e "s/@EVENT_LOOPS@/${JANUS_EVENT_LOOPS:-1}/" |
    grep -vE 'folder|@' | tr '\t' ' '
  ;;
*)
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
  ;;
esac

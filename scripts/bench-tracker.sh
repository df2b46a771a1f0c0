#!/usr/bin/env bash
# Benchmarks WebSocket trackers under the same load: ours (`shoal tracker`), npm
# bittorrent-tracker's server and aquatic_ws. Each tracker runs pinned to core 0
# (`taskset -c 0`), the load generator (`shoal tracker-load`) to core 1. Not part of the tests.
#
#   scripts/bench-tracker.sh                 # all three, default load
#   CONNECTIONS=10000 TRACKERS=shoal scripts/bench-tracker.sh
#
# aquatic_ws is installed with `cargo install aquatic_ws --root /tmp/aquatic` only if missing
# (a long build on 2 cores); it is never vendored.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-1000}
TORRENTS=${TORRENTS:-10000}
OFFERS=${OFFERS:-5}
SEEDER_SHARE=${SEEDER_SHARE:-0.2}
WARMUP=${WARMUP:-5}
DURATION=${DURATION:-20}
TRACKERS=${TRACKERS:-"shoal bittorrent-tracker aquatic"}
EXTRA_LOAD_ARGS=${EXTRA_LOAD_ARGS:-}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/t-tracker}
SHOAL="$CARGO_TARGET_DIR/release/shoal"
AQUATIC=/tmp/aquatic/bin/aquatic_ws
WORK=$(mktemp -d /tmp/bench-tracker.XXXXXX)
LOGDIR=${LOGDIR:-/tmp/bench-tracker-logs}  # per-second samples of each run are kept here
mkdir -p "$LOGDIR"
ulimit -n "$(ulimit -Hn)"  # 10,000 sockets need more than the usual 1024

cargo build --release -p shoal >&2
if [[ " $TRACKERS " == *" aquatic "* && ! -x $AQUATIC ]]; then
  cargo install aquatic_ws --root /tmp/aquatic >&2
fi

PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "tracker did not open port $1" >&2; return 1
}

run_load() { # name port
  wait_port "$2"
  sleep 0.5
  echo "== $1 (pid $PID) connections=$CONNECTIONS torrents=$TORRENTS offers=$OFFERS seeders=$SEEDER_SHARE" >&2
  taskset -c 1 "$SHOAL" tracker-load --url "ws://127.0.0.1:$2/" --connections "$CONNECTIONS" \
    --torrents "$TORRENTS" --offers "$OFFERS" --seeder-share "$SEEDER_SHARE" \
    --warmup "$WARMUP" --duration "$DURATION" --pid "$PID" $EXTRA_LOAD_ARGS | tee "$LOGDIR/$1.log" | tail -1
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
}

# The load generator's rates would trip the per-client limits meant for browsers: lift them.
cat > "$WORK/shoal.toml" <<TOML
listen = "127.0.0.1:18101"
[limits]
max_connections_per_ip = 100000
max_torrents_per_connection = 100000
max_announces_per_minute = 4000000000
max_failures_per_minute = 4000000000
TOML

for t in $TRACKERS; do
  case $t in
    shoal)
      RUST_LOG=warn taskset -c 0 "$SHOAL" tracker --config "$WORK/shoal.toml" >/dev/null &
      PID=$!; run_load shoal 18101 ;;
    bittorrent-tracker)
      cat > "$WORK/bt.mjs" <<JS
import { Server } from '$PWD/node_modules/bittorrent-tracker/index.js'
const server = new Server({ http: false, udp: false, ws: true, stats: false, trustProxy: false })
server.on('error', e => console.error('error', e.message))
server.on('warning', () => {})
server.listen(18102, '127.0.0.1')
JS
      taskset -c 0 node "$WORK/bt.mjs" &
      PID=$!; run_load bittorrent-tracker 18102 ;;
    aquatic)
      "$AQUATIC" -p > "$WORK/aquatic.toml"
      # One socket worker and one swarm worker; plain ws on 18103; no per-connection limits here.
      sed -i -e 's/^socket_workers = .*/socket_workers = 1/' -e 's/^swarm_workers = .*/swarm_workers = 1/' \
        -e 's/^address = .*/address = "127.0.0.1:18103"/' -e 's/^enable_tls = .*/enable_tls = false/' \
        -e 's/^use_ipv4 = .*/use_ipv4 = true/' -e 's/^use_ipv6 = .*/use_ipv6 = false/' "$WORK/aquatic.toml"
      taskset -c 0 "$AQUATIC" -c "$WORK/aquatic.toml" &
      PID=$!; run_load aquatic_ws 18103 ;;
  esac
done

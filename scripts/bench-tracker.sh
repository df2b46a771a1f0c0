#!/usr/bin/env bash
# Benchmarks WebSocket trackers under the same load: ours (`shoal tracker`), npm
# bittorrent-tracker's server and aquatic_ws, driven by `shoal tracker-load`. Not part of the tests.
#
#   scripts/bench-tracker.sh                 # all three, 1 worker, default load
#   CONNECTIONS=10000 TRACKERS=shoal scripts/bench-tracker.sh
#   TRACKERS="shoal aquatic" WORKERS="1 2" RUNS=3 LAYOUT=shared scripts/bench-tracker.sh
#
# WORKERS: worker counts to run (ours: `--workers N`; aquatic_ws: `socket_workers = N` and
# `swarm_workers = AQUATIC_SWARM_WORKERS`, default 1, which aquatic's own config documentation
# recommends for 1-7 cores; bittorrent-tracker is one node process and runs only for 1).
# RUNS: repeats; the runs are interleaved (run 1 of every configuration, then run 2, ...) so that
# a change in the machine's background load hits every configuration alike, and the median of
# each configuration is printed at the end.
# LAYOUT: CPU pinning with `taskset`.
#   split  (default): tracker on core 0, load generator on core 1 (one core each).
#   shared: tracker and load generator both on every core, left to the scheduler (the only way
#           to give a tracker two cores on a two-core machine; the generator competes with it).
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
WORKERS=${WORKERS:-1}
RUNS=${RUNS:-1}
LAYOUT=${LAYOUT:-split}
AQUATIC_SWARM_WORKERS=${AQUATIC_SWARM_WORKERS:-1}
EXTRA_LOAD_ARGS=${EXTRA_LOAD_ARGS:-}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/t-tracker}
SHOAL=${SHOAL:-"$CARGO_TARGET_DIR/release/shoal"}  # another build can be compared by naming it
AQUATIC=/tmp/aquatic/bin/aquatic_ws
WORK=$(mktemp -d /tmp/bench-tracker.XXXXXX)
LOGDIR=${LOGDIR:-/tmp/bench-tracker-logs}  # per-second samples of each run are kept here
mkdir -p "$LOGDIR"
ulimit -n "$(ulimit -Hn)"  # 10,000 sockets need more than the usual 1024

case $LAYOUT in
  split) TRACKER_CPUS=0; LOAD_CPUS=1 ;;
  shared) TRACKER_CPUS=0-$(($(nproc) - 1)); LOAD_CPUS=$TRACKER_CPUS ;;
  *) echo "LAYOUT must be split or shared" >&2; exit 2 ;;
esac

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

RESULTS="$WORK/results"
: > "$RESULTS"

run_load() { # name workers run port
  wait_port "$4"
  sleep 0.5
  local label="$1-w$2-r$3"
  echo "== $label (pid $PID, $LAYOUT: tracker on $TRACKER_CPUS, load on $LOAD_CPUS, load average $(cut -d' ' -f1-3 /proc/loadavg)) connections=$CONNECTIONS torrents=$TORRENTS offers=$OFFERS seeders=$SEEDER_SHARE" >&2
  taskset -c "$LOAD_CPUS" "$SHOAL" tracker-load --url "ws://127.0.0.1:$4/" --connections "$CONNECTIONS" \
    --torrents "$TORRENTS" --offers "$OFFERS" --seeder-share "$SEEDER_SHARE" \
    --warmup "$WARMUP" --duration "$DURATION" --pid "$PID" $EXTRA_LOAD_ARGS > "$LOGDIR/$label.log"
  local result
  result=$(tail -1 "$LOGDIR/$label.log")
  echo "$result"
  echo "$1 $2 $(sed -E 's/^RESULT responses_per_sec=([0-9]+).*/\1/' <<< "$result")" >> "$RESULTS"
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

cat > "$WORK/bt.mjs" <<JS
import { Server } from '$PWD/node_modules/bittorrent-tracker/index.js'
const server = new Server({ http: false, udp: false, ws: true, stats: false, trustProxy: false })
server.on('error', e => console.error('error', e.message))
server.on('warning', () => {})
server.listen(18102, '127.0.0.1')
JS

for run in $(seq "$RUNS"); do
  for t in $TRACKERS; do
    for w in $WORKERS; do
      case $t in
        shoal)
          RUST_LOG=warn taskset -c "$TRACKER_CPUS" "$SHOAL" tracker --workers "$w" \
            --config "$WORK/shoal.toml" >/dev/null &
          PID=$!; run_load shoal "$w" "$run" 18101 ;;
        bittorrent-tracker)
          [[ $w == 1 ]] || continue
          taskset -c "$TRACKER_CPUS" node "$WORK/bt.mjs" &
          PID=$!; run_load bittorrent-tracker "$w" "$run" 18102 ;;
        aquatic)
          "$AQUATIC" -p > "$WORK/aquatic.toml"
          # w socket workers; plain ws on 18103; no per-connection limits here.
          sed -i -e "s/^socket_workers = .*/socket_workers = $w/" \
            -e "s/^swarm_workers = .*/swarm_workers = $AQUATIC_SWARM_WORKERS/" \
            -e 's/^address = .*/address = "127.0.0.1:18103"/' -e 's/^enable_tls = .*/enable_tls = false/' \
            -e 's/^use_ipv4 = .*/use_ipv4 = true/' -e 's/^use_ipv6 = .*/use_ipv6 = false/' "$WORK/aquatic.toml"
          taskset -c "$TRACKER_CPUS" "$AQUATIC" -c "$WORK/aquatic.toml" &
          PID=$!; run_load aquatic_ws "$w" "$run" 18103 ;;
      esac
    done
  done
done

echo "== median responses/s over $RUNS run(s), layout $LAYOUT"
sort -k1,1 -k2,2n -k3,3n "$RESULTS" | awk '
  { key = $1 " workers=" $2; v[key] = v[key] " " $3; n[key]++ }
  END {
    for (k in v) {
      split(substr(v[k], 2), a, " "); m = a[int((n[k] + 1) / 2)]
      if (n[k] % 2 == 0) m = (a[n[k] / 2] + a[n[k] / 2 + 1]) / 2
      printf "%s median=%d runs(sorted)=%s\n", k, m, substr(v[k], 2)
    }
  }' | sort

#!/usr/bin/env bash
# Soaks our WebSocket tracker (`shoal tracker`, default limits) with well-behaved and abusive
# clients (`shoal tracker-soak`): malformed JSON, announce floods, oversize frames, slow readers
# and silent sockets beside clients that announce like WebTorrent. Not part of the tests.
# Prints a line per window (tracker memory, the normal clients' answer latency) and a summary,
# and says whether the tracker survived and panicked.
#
#   scripts/soak-tracker.sh                               # 9,000 normal + 1,000 abusive, 30 min
#   NORMAL=900 ABUSIVE=100 DURATION=60 scripts/soak-tracker.sh
set -euo pipefail
cd "$(dirname "$0")/.."

NORMAL=${NORMAL:-9000}
ABUSIVE=${ABUSIVE:-1000}
DURATION=${DURATION:-1800}
SAMPLE=${SAMPLE:-10}
ANNOUNCE_EVERY=${ANNOUNCE_EVERY:-10}
PORT=${PORT:-18111}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/t-tracker}
SHOAL=${SHOAL:-"$CARGO_TARGET_DIR/release/shoal"}
WORK=$(mktemp -d /tmp/soak-tracker.XXXXXX)
ulimit -n "$(ulimit -Hn)"  # 10,000 sockets on each side

cargo build --release -p shoal >&2

PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

# Default limits: the soak is about the hardened tracker as it ships. Clients come from many
# loopback addresses (127.1.x.y, 127.2.x.y), 200 per address, under the 256-per-address limit.
"$SHOAL" tracker --listen "127.0.0.1:$PORT" 2> "$WORK/tracker.stderr" > /dev/null &
PID=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

echo "== soak: $NORMAL normal + $ABUSIVE abusive clients, ${DURATION}s, tracker pid $PID, load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores" >&2
"$SHOAL" tracker-soak --url "ws://127.0.0.1:$PORT/" --normal "$NORMAL" --abusive "$ABUSIVE" \
  --duration "$DURATION" --sample-every "$SAMPLE" --announce-every "$ANNOUNCE_EVERY" --pid "$PID" | tee "$WORK/soak.log"
echo "== after: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

if kill -0 "$PID" 2>/dev/null; then echo "tracker: still running"; else echo "tracker: DIED"; fi
if grep -q panicked "$WORK/tracker.stderr"; then
  echo "tracker: PANICKED"; grep -m5 panicked "$WORK/tracker.stderr"
else
  echo "tracker: no panic in its log"
fi
# Memory over the soak: first, median and last sample of VmRSS, and the peak.
awk '{for (i = 1; i <= NF; i++) if ($i ~ /^rss_kib=/) { split($i, a, "="); print a[2] } }' "$WORK/soak.log" |
  sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "tracker VmRSS over the samples: min %d KiB, median %d KiB, max %d KiB\n", v[1], v[int((NR + 1) / 2)], v[NR] }'

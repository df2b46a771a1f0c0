#!/usr/bin/env bash
# Runs every cargo-fuzz target for the given number of seconds each (default 60) and prints a
# summary line per target: runs, coverage, corpus size, and whether it found a crash.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# The machine has only the stable toolchain; cargo-fuzz wants nightly flags, which
# RUSTC_BOOTSTRAP=1 allows on stable. AddressSanitizer is left on (the default) so that
# out-of-bounds reads in dependencies would show too.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
secs=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(bencode metainfo magnet wire_decoder tracker_json tracker_classic)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install --quiet --locked cargo-fuzz
fi

export RUSTC_BOOTSTRAP=1
mkdir -p fuzz/logs
status=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  if [ -d "fuzz/seeds/$t" ]; then cp -n fuzz/seeds/"$t"/* "fuzz/corpus/$t/" 2>/dev/null || true; fi
  echo "==> fuzzing $t for ${secs}s"
  log="fuzz/logs/$t.log"
  cargo fuzz run "$t" "fuzz/corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 >"$log" 2>&1
  code=$?
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  if [ $code -eq 0 ]; then
    echo "$t: no crash. $last"
  else
    status=1
    echo "$t: FAILED (exit $code), see $log"
    grep -E 'panicked|ERROR|SUMMARY|artifact' "$log" | head -n 5
  fi
done
exit $status

#!/usr/bin/env bash
# The newcomer's command: installs what is missing, builds, and starts `shoal serve` on
# http://127.0.0.1:8080 (pass other `shoal serve` flags through, e.g. --listen 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
# The demo library (a few MiB of clips, made once) that `shoal serve` seeds without --library.
scripts/make-demo.sh >/dev/null
# A live channel of ffmpeg's test pattern (a clock and a tone), so "Live now" has something.
exec target/release/shoal serve --dist dist --channel demo=testsrc "$@"

#!/usr/bin/env bash
# Every test: installs what is missing, then runs
#   1. native Rust tests (unit, property, fixture and CLI tests),
#   2. the sans-IO crates' and the app's unit tests compiled to wasm, in headless Chromium,
#   3. the interop tests against npm parse-torrent/create-torrent,
#   4. the Playwright end-to-end tests against `shoal serve` in Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh

say() { printf '\033[1;36m==>\033[0m %s\n' "$*"; }

say "native tests"
cargo test --workspace --quiet

say "wasm tests in headless Chromium"
cargo test --target wasm32-unknown-unknown --lib \
  -p shoal-bencode -p shoal-metainfo -p shoal-wire -p shoal-tracker-proto -p shoal-vecmap -p shoal-swarm -p shoal-session -p shoal-hls -p shoal-addon -p shoal-companion-api -p shoal-runtime -p shoal-app

say "building the app and the shoal binary for the browser tests"
trunk build --release
cargo build --quiet -p shoal

say "old TV browsers: the wasm's features and ES2017 JavaScript"
# The wasm validates with only the post-MVP features TV engines have (docs/reach.md), and every
# script the app ships (and index.html's loader) parses as ES2017.
scripts/check-wasm.sh dist
node scripts/check-es2017.mjs dist
scripts/make-demo.sh # the demo library tests/e2e/companion-library.test.mjs plays
export SHOAL_BIN="$PWD/target/debug/shoal"

say "the native WebRTC host against Chromium"
cargo test --quiet -p shoal-rtc --test chromium -- --ignored

say "interop and end-to-end tests (node --test)"
# A test that hangs (a stuck browser, a peer that never answers) fails after 10 minutes.
node --test --test-concurrency=1 --test-timeout=600000 tests/interop/*.test.mjs tests/e2e/*.test.mjs

#!/usr/bin/env bash
# Checks that the built app's WebAssembly uses only the post-MVP features old TV browsers have
# (see docs/reach.md for the engine versions). Run by scripts/test.sh after `trunk build`.
#
#   scripts/check-wasm.sh [DIST]
#
# Every feature not listed here is turned off for the validation (SIMD, threads and atomics,
# tail calls, exceptions, GC, memory64, multi-memory, extended-const, relaxed SIMD, …), so a
# build that starts to use one fails. What remains is what Rust 1.95's wasm32-unknown-unknown
# std and wasm-bindgen 0.2.130 emit; reference-types is the newest of them (Chromium 96).
set -euo pipefail
cd "$(dirname "$0")/.."
dist="${1:-dist}"
features="mvp,sign-extension,saturating-float-to-int,bulk-memory,multi-value,reference-types"
shopt -s nullglob
modules=("$dist"/*_bg.wasm)
if [ ${#modules[@]} -eq 0 ]; then
  echo "check-wasm: no *_bg.wasm in $dist; build the app first (trunk build --release)" >&2
  exit 2
fi
for wasm in "${modules[@]}"; do
  wasm-tools validate --features="$features" "$wasm"
  echo "ok      $wasm validates with only: $features"
done

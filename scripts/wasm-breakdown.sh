#!/usr/bin/env bash
# Builds the app's wasm as Trunk does (wasm-release profile, wasm-bindgen, wasm-opt -Oz) but
# keeps the function names, then prints what it holds by kind of code (scripts/wasm-breakdown.mjs).
# The module's size without names is what `trunk build --release` ships.
#   scripts/wasm-breakdown.sh [--families N]   (also the N largest families of generic copies)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
target="${CARGO_TARGET_DIR:-target}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cargo build --profile wasm-release --target wasm32-unknown-unknown -p shoal-app --bin shoal-app
wasm-bindgen --target web --out-dir "$out" "$target/wasm32-unknown-unknown/wasm-release/shoal-app.wasm"
wasm-opt -Oz -g --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-multivalue --enable-reference-types "$out/shoal-app_bg.wasm" -o "$out/named.wasm"
node scripts/wasm-breakdown.mjs "$out/named.wasm" "$@"
# What Trunk ships: the same module without its names (brotli 11).
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-multivalue --enable-reference-types "$out/shoal-app_bg.wasm" -o "$out/plain.wasm"
node -e 'const z=require("zlib"),b=require("fs").readFileSync(process.argv[1]);console.log("wasm without names: "+(b.length/1024).toFixed(1)+" KiB raw, "+(z.brotliCompressSync(b,{params:{[z.constants.BROTLI_PARAM_QUALITY]:11,[z.constants.BROTLI_PARAM_SIZE_HINT]:b.length}}).length/1024).toFixed(1)+" KiB brotli")' "$out/plain.wasm"
# Keep the named module when asked (SHOAL_KEEP_NAMED=path), for other questions.
if [ -n "${SHOAL_KEEP_NAMED:-}" ]; then cp "$out/named.wasm" "$SHOAL_KEEP_NAMED"; fi

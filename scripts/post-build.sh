#!/bin/sh
# Trunk post_build hook (Trunk.toml). Trunk 0.21 starts all hooks of a stage at once, so the
# steps are one hook, in this order (each needs the one before it finished):
# 1. scripts/lower-glue.mjs lowers the two constructs newer than ES2017 in Trunk's and
#    wasm-bindgen's generated JS (old TV browsers);
# then, for the whole app's build only (not the nested player module's, see
# scripts/build-player-module.sh):
# 2. scripts/merge-player-module.mjs adds the player module's page, wasm and glue;
# 3. scripts/precache.mjs writes the Service Worker's precache list (this build's hashed file
#    names and a version) into the built sw.js; it hashes files, so it runs after 1 and 2;
# 4. scripts/precompress.mjs writes `.br`/`.gz` copies the companion serves instead of
#    compressing on every request; they must be of the final files, so it runs last.
set -eu
node scripts/lower-glue.mjs
[ -n "${SHOAL_PLAYER_BUILD:-}" ] && exit 0
node scripts/merge-player-module.mjs "${CARGO_TARGET_DIR:-target}/trunk-player"
node scripts/precache.mjs
node scripts/precompress.mjs

#!/bin/sh
# Trunk pre_build hook (Trunk.toml): builds the app's player module, the same crate without its
# `catalog` feature, into $CARGO_TARGET_DIR/trunk-player/player.html and its own wasm and glue.
# The post_build hook of the whole app's build (scripts/post-build.sh) then merges it into the
# same dist/, so `trunk build [--release]` stays the one command that builds the app.
# Why two modules: docs/reach.md, "Two modules". This runs before the whole app's own cargo
# build, so the two never build in the same target folder at once.
set -eu
# The nested build runs this hook too: it has nothing to build then.
[ -n "${SHOAL_PLAYER_BUILD:-}" ] && exit 0
out="${CARGO_TARGET_DIR:-target}/trunk-player"
release=""
[ "${TRUNK_PROFILE:-debug}" = release ] && release="--release"
echo "build-player-module: the player module (no catalog pages) into $out"
# The outer build's hook variables describe its own staging folder, not this build's.
env -u TRUNK_STAGING_DIR -u TRUNK_DIST_DIR -u TRUNK_HTML_FILE SHOAL_PLAYER_BUILD=1 \
  trunk build $release --no-default-features --html-output player.html --dist "$out" \
  "${TRUNK_HTML_FILE:-index.html}"

#!/usr/bin/env bash
# Installs whatever Shoal's build and tests need and is missing; skips what is present.
# Safe to run again and again. Needs a Debian machine with the Rust toolchain (rustup).
#
#   wasm32-unknown-unknown target   rustup
#   wasm-bindgen-cli                cargo install, the exact version Cargo.lock pins
#   trunk 0.21.14                   cargo install --locked (0.22 needs a newer rustc than 1.95)
#   cargo-deny 0.20.2               cargo install --locked (.ci/run checks the dependency graph)
#   chromium, chromium-driver       apt (Debian's; for wasm tests and Playwright)
#   ffmpeg                          apt (makes the H.264 video the player's e2e tests stream;
#                                   the live channels' encoder)
#   transmission-daemon, aria2      apt (real TCP BitTorrent peers for the gateway's tests;
#   transmission-cli, curl          transmission-create/-remote make and steer its torrents)
#   firefox-esr, geckodriver 0.36.0 apt; cargo install --locked (the second browser engine)
#   wasm-tools 1.263.0              cargo install --locked, validator only (scripts/check-wasm.sh)
#   node, npm                       apt, only when missing
#   moto[server] 5.2                pip, in .venv-moto when moto_server is missing (the S3
#                                   server the channels' --origin s3:// test publishes to)
#   npm packages                    npm ci from package-lock.json (wasm-opt from npm binaryen,
#                                   playwright-core, the WebTorrent reference packages)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;36m==>\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    as_root apt-get update -qq
    apt_updated=1
  fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
export PATH="$HOME/.cargo/bin:$PATH"

# 1. The wasm target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 2. wasm-bindgen-cli, matching the wasm-bindgen that Cargo.lock pins (trunk refuses any other).
want_wb=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have_wb=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_wb" != "$want_wb" ]; then
  say "installing wasm-bindgen-cli $want_wb (a few minutes)"
  # Not --locked: its own lockfile pins a crate version the registry no longer has.
  cargo install --quiet --force wasm-bindgen-cli@"$want_wb"
fi

# 3. trunk.
want_trunk=0.21.14
have_trunk=$(trunk --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_trunk" != "$want_trunk" ]; then
  say "installing trunk $want_trunk (about 15 minutes on 2 cores)"
  cargo install --quiet --locked --force trunk@"$want_trunk"
fi

# 3b. cargo-deny, for the dependency checks in .ci/run (deny.toml).
want_deny=0.20.2
have_deny=$(cargo deny --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_deny" != "$want_deny" ]; then
  say "installing cargo-deny $want_deny (a few minutes)"
  cargo install --quiet --locked --force cargo-deny@"$want_deny"
fi

# 3c. wasm-tools' validator: scripts/check-wasm.sh checks the app's wasm against the features
#     old TV browsers have (only the `validate` subcommand is built, to keep it quick).
want_wasm_tools=1.263.0
have_wasm_tools=$(wasm-tools --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_wasm_tools" != "$want_wasm_tools" ]; then
  say "installing wasm-tools $want_wasm_tools (a few minutes)"
  cargo install --quiet --locked --force --no-default-features --features validate wasm-tools@"$want_wasm_tools"
fi

# 4. Chromium and its driver from Debian (browser tests; tools that fetch their own browser
#    cannot work offline).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt_install chromium chromium-driver
fi
# ffmpeg makes the small H.264 MP4 the player's end-to-end tests stream.
if ! command -v ffmpeg >/dev/null; then
  apt_install ffmpeg
fi

# TCP BitTorrent clients the companion's gateway is tested against.
if ! command -v transmission-daemon >/dev/null || ! command -v aria2c >/dev/null; then
  apt_install transmission-daemon aria2
fi
# transmission-create and transmission-remote (the gateway test's torrents and seeding), and
# curl (its byte-range request).
if ! command -v transmission-create >/dev/null || ! command -v transmission-remote >/dev/null \
  || ! command -v curl >/dev/null; then
  apt_install transmission-cli curl
fi
# Firefox ESR and its WebDriver server: the end-to-end tests' second engine.
if ! command -v firefox-esr >/dev/null; then
  apt_install firefox-esr
fi
want_gecko=0.36.0
have_gecko=$(geckodriver --version 2>/dev/null | awk 'NR==1 {print $2}' || true)
if [ "$have_gecko" != "$want_gecko" ]; then
  say "installing geckodriver $want_gecko (a few minutes)"
  cargo install --quiet --locked --force geckodriver@"$want_gecko"
fi

# 5. Node.js for the npm tools.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi

# 6. npm packages, exactly as package-lock.json pins them. Install scripts are not needed by
#    any of them (and some dependencies' scripts fail offline).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

# 6b. moto's S3-compatible server (PyPI), for tests/e2e/channel-origin.test.mjs (`--origin
#     s3://`). In a venv of the checkout (Debian's Python refuses system-wide pip installs);
#     scripts/env.sh puts it on PATH.
if ! command -v moto_server >/dev/null && [ ! -x .venv-moto/bin/moto_server ]; then
  say "installing moto[server] into .venv-moto"
  python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
  python3 -m venv .venv-moto
  .venv-moto/bin/pip install --quiet 'moto[server]==5.2.*'
fi

# 7. Crates, so that trunk can run offline.
cargo fetch --quiet

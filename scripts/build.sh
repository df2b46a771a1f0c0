#!/usr/bin/env bash
# Builds the browser app into dist/ and the native `shoal` binary. Only what changed is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
printf '\033[1;36m==>\033[0m %s\n' "building the app (trunk build --release)"
trunk build --release
printf '\033[1;36m==>\033[0m %s\n' "building shoal (cargo build --release -p shoal)"
cargo build --release -p shoal

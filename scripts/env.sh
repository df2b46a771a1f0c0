# Sourced by the other scripts: the tool paths Shoal's build expects.
# npm binaryen's wasm-opt must come before any other on PATH: Debian's binaryen (108) writes
# broken wasm, and trunk uses whichever wasm-opt it finds first.
SHOAL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$SHOAL_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH:$SHOAL_ROOT/.venv-moto/bin"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

#!/usr/bin/env bash
# Runs all of kiln's tests: installs dependencies, builds, then ctest (unit + end-to-end).
#   scripts/test.sh [ctest args…]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" >/dev/null
cd "$root/build"
ctest --output-on-failure --timeout 1800 "$@"

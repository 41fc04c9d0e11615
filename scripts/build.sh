#!/usr/bin/env bash
# Configures and builds kiln into build/ (Release with debug info). Prints the kiln binary path.
#   scripts/build.sh [ninja targets…]     (default: everything, tests included)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$root/build" "$@" >&2
echo "$root/build/src/kiln"

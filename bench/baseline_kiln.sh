#!/usr/bin/env bash
# Builds kiln at an earlier commit (once per revision, in a worktree under
# $KILN_BENCH_DIR, default /var/tmp/kiln-bench) and prints the directory of its binary, for
# benches that compare side by side with it.
#   bench/baseline_kiln.sh REV
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rev=$1
src="${KILN_BENCH_DIR:-/var/tmp/kiln-bench}/baseline-$rev"
if [[ ! -x "$src/build/src/kiln" ]]; then
  rm -rf "$src"
  mkdir -p "$(dirname "$src")"
  git -C "$root" worktree add -f --detach "$src" "$rev" >/dev/null
  cmake -S "$src" -B "$src/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C "$src/build" kiln >/dev/null
fi
echo "$src/build/src"

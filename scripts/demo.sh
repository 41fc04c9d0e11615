#!/usr/bin/env bash
# kiln's main job on real input: builds ripgrep (from Debian's source package) with
# `cargo kiln build` cold, runs `cargo clean`, builds again warm, and prints what kiln saved —
# compilations and build-script runs
# (and, when the warm build missed because a build script wrote another output, warm again).
#   scripts/demo.sh [--release]
# Work dir: $KILN_DEMO_DIR (default /tmp/kiln-demo); the demo uses its own fresh store there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${KILN_DEMO_DIR:-/tmp/kiln-demo}
export PATH="$HOME/.cargo/bin:$PATH"

"$root/scripts/install-deps.sh"
kiln=$("$root/scripts/build.sh" kiln)
export PATH="$(dirname "$kiln"):$PATH"   # kiln and cargo-kiln
"$root/scripts/prepare-debian-app.sh" rust-ripgrep "$work/ripgrep" >/dev/null

export KILN_DIR="$work/store"
rm -rf "$KILN_DIR"
cd "$work/ripgrep"
cargo clean -q

secs() { date +%s.%N; }
t0=$(secs)
cargo kiln build "$@" 2>"$work/cold.log" || { tail -20 "$work/cold.log"; exit 1; }
t1=$(secs)
cargo clean -q
t2=$(secs)
rm -f "$work/warm.kiln-log"
KILN_LOG="$work/warm.kiln-log" cargo kiln build "$@" 2>"$work/warm.log" || { tail -20 "$work/warm.log"; exit 1; }
t3=$(secs)

cold=$(echo "$t1 - $t0" | bc)
warm=$(echo "$t3 - $t2" | bc)
echo
echo "ripgrep, cargo kiln build $*"
printf '  cold (empty store):        %6.2f s   %s\n' "$cold" "$(grep '^kiln:' "$work/cold.log")"
printf '  warm (after cargo clean):  %6.2f s   %s\n' "$warm" "$(grep '^kiln:' "$work/warm.log")"
printf '  warm / cold:               %6.3f\n' "$(echo "$warm / $cold" | bc -l)"
runs_hit=$(grep -c '\] hit build_script_build run ' "$work/warm.kiln-log" || true)
runs_all=$(grep -cE '\] (hit|miss) build_script_build run|\] not-cached build_script_build ' "$work/warm.kiln-log" || true)
printf '  build-script runs replayed: %s of %s (OUT_DIR restored, no build script ran)\n' "$runs_hit" "$runs_all"
# A warm miss means a source differed from the cold build's: say which crates and which file.
missed=$(sed -n 's/^\[[0-9]*\] miss \([^ ]*\) .*/\1/p' "$work/warm.kiln-log" | tr '\n' ' ')
if [[ -n "$missed" ]]; then
  cause=$(sed -n 's/^\[[0-9]*\]   set rejected: //p' "$work/warm.kiln-log" | head -1)
  echo "  recompiled: ${missed% } — their sources differed from the cold build's;"
  echo "  first difference: ${cause:-?}"
  echo "  (a build script whose output is not reproducible makes its crate and its dependents miss)"
  # The store now holds both variants: once more, as the next build would go (up to 3 times
  # while a build script keeps writing outputs no build had before).
  for _ in 1 2 3; do
    cargo clean -q
    t4=$(secs)
    cargo kiln build "$@" 2>"$work/warm2.log" || { tail -20 "$work/warm2.log"; exit 1; }
    t5=$(secs)
    printf '  warm again:                %6.2f s   %s\n' "$(echo "$t5 - $t4" | bc)" "$(grep '^kiln:' "$work/warm2.log")"
    grep -q '^kiln: [0-9]* hits, 0 misses' "$work/warm2.log" && break
  done
fi
kiln stats | sed 's/^/  /'

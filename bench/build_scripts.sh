#!/usr/bin/env bash
# Benchmark: cached build-script runs. Two projects built warm after `cargo clean`, side by
# side in one run, by this tree's kiln (compilations and build-script runs cached) and by a
# baseline kiln (default 4ae1685: only compilations cached, every build script runs again):
#   bench/projects/cbuild  build scripts compile bundled C and assembly (ring, blake3, psm)
#   ripgrep                15 build scripts, one of which writes a random tables.rs
# Each store is filled by a cold build first; then ROUNDS alternating warm builds each.
# Prints medians and the ratio. Not a test: nothing here asserts a time.
#   bench/build_scripts.sh [--baseline REV] [--rounds N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
baseline=4ae1685
rounds=5
while (($#)); do
  case "$1" in
    --baseline) baseline=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: bench/build_scripts.sh [--baseline REV] [--rounds N]" >&2; exit 2 ;;
  esac
done
export PATH="$HOME/.cargo/bin:$PATH"
"$root/scripts/install-deps.sh"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  librust-ring-dev librust-blake3-dev librust-psm-dev >/dev/null
new_bin=$(dirname "$("$root/scripts/build.sh" kiln)")
base_bin=$("$root/bench/baseline_kiln.sh" "$baseline")
corpus=${KILN_CORPUS_DIR:-/var/tmp/kiln-corpus}
work=$(mktemp -d /tmp/kiln-bench-bs.XXXX)
trap 'rm -rf "$work"' EXIT
unset RUSTC_WRAPPER CARGO_TARGET_DIR KILN_DIR KILN_LOG KILN_REMOTE
export CARGO_INCREMENTAL=0  # as the baseline's `cargo kiln` forced: both compile the same way
export CARGO_TERM_PROGRESS_WHEN=never
cp -a "$root/bench/projects/cbuild" "$work/cbuild"
cp -a "$("$root/scripts/prepare-debian-app.sh" rust-ripgrep "$corpus/ripgrep")" "$work/ripgrep"

source "$root/bench/lib.sh"
# run OUT DIR BIN STORE: `cargo kiln build` after `cargo clean` with BIN's kiln and STORE, seconds.
run() { clean_timed "$1" "$2" env PATH="$3:$PATH" KILN_DIR="$4" cargo kiln build; }

rows=()
for app in cbuild ripgrep; do
  echo "== $app" >&2
  run "$work/cold-new.log" "$work/$app" "$new_bin" "$work/store-new-$app" >/dev/null
  run "$work/cold-base.log" "$work/$app" "$base_bin" "$work/store-base-$app" >/dev/null
  new=() base=()
  for i in $(seq "$rounds"); do
    new+=("$(run "$work/new.log" "$work/$app" "$new_bin" "$work/store-new-$app")")
    base+=("$(run "$work/base.log" "$work/$app" "$base_bin" "$work/store-base-$app")")
    echo "  round $i: runs cached ${new[-1]} s ($(summary "$work/new.log")), only compilations ${base[-1]} s ($(summary "$work/base.log"))" >&2
  done
  n=$(median "${new[@]}") b=$(median "${base[@]}")
  rows+=("$app|$n|$b|$(grep -c . <(grep -h 'build_script_build' "$work/new.log" || true) || true)")
done
echo
echo "warm after cargo clean, medians of $rounds alternating rounds; baseline = kiln at $baseline"
printf '| %-8s | %22s | %26s | %7s |\n' app "build-script runs cached" "only compilations cached" ratio
printf '|%s|\n' "----------|------------------------|----------------------------|---------"
for r in "${rows[@]}"; do
  IFS='|' read -r app n b _ <<<"$r"
  printf '| %-8s | %22.2f | %26.2f | %7.3f |\n' "$app" "$n" "$b" "$(echo "$n / $b" | bc -l)"
done
echo "(goal for cbuild: ratio ≤ 0.5)"

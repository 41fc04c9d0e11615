#!/usr/bin/env bash
# Benchmark: what input tracing costs. Real applications (ripgrep, fd) built side by side in
# one run by plain cargo, by this tree's kiln, and by a baseline kiln built from an earlier
# commit (default: 4ae1685, the last one before misses were traced):
#   cold (empty store), alternating plain / kiln / baseline ROUNDS times;
#   warm after `cargo clean`, alternating kiln / baseline ROUNDS times (the hit path: no trace);
#   a moved copy with its own CARGO_TARGET_DIR (path-independent hits).
# All three build non-incremental (CARGO_INCREMENTAL=0, as the baseline's `cargo kiln` forced),
# so that they compile the same units the same way.
# Prints medians, their ratios and the hit counts. Not a test: nothing here asserts a time.
#   bench/traced.sh [--baseline REV] [--rounds N] [--apps "rust-ripgrep rust-fd-find"]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
baseline=4ae1685
rounds=3
apps="rust-ripgrep rust-fd-find"
while (($#)); do
  case "$1" in
    --baseline) baseline=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --apps) apps=$2; shift 2 ;;
    *) echo "usage: bench/traced.sh [--baseline REV] [--rounds N] [--apps \"PKG…\"]" >&2; exit 2 ;;
  esac
done
export PATH="$HOME/.cargo/bin:$PATH"
"$root/scripts/install-deps.sh"
kiln=$("$root/scripts/build.sh" kiln)
new_bin=$(dirname "$kiln")

base_bin=$("$root/bench/baseline_kiln.sh" "$baseline")

corpus=${KILN_CORPUS_DIR:-/var/tmp/kiln-corpus}
work=$(mktemp -d /tmp/kiln-bench-traced.XXXX)
trap 'rm -rf "$work"' EXIT
unset RUSTC_WRAPPER CARGO_TARGET_DIR KILN_DIR KILN_LOG KILN_REMOTE
export CARGO_INCREMENTAL=0
export CARGO_TERM_PROGRESS_WHEN=never

source "$root/bench/lib.sh"
# kiln_with BIN STORE CMD…: CMD with BIN's kiln and cargo-kiln first on PATH and its own store.
kiln_with() { local bin=$1 store=$2; shift 2; env PATH="$bin:$PATH" KILN_DIR="$store" "$@"; }

report=()
for pkg in $apps; do
  name=${pkg#rust-}
  src=$("$root/scripts/prepare-debian-app.sh" "$pkg" "$corpus/$name")
  cp -a "$src" "$work/$name"
  cp -a "$src" "$work/$name-moved"
  echo "== $name ($(nproc) cores, $rounds rounds)" >&2
  plain=() new_cold=() base_cold=() new_warm=() base_warm=()
  for i in $(seq "$rounds"); do
    rm -rf "$work/store-new" "$work/store-base"
    plain+=("$(clean_timed "$work/plain.log" "$work/$name" cargo build)")
    new_cold+=("$(clean_timed "$work/new-cold.log" "$work/$name" kiln_with "$new_bin" "$work/store-new" cargo kiln build)")
    base_cold+=("$(clean_timed "$work/base-cold.log" "$work/$name" kiln_with "$base_bin" "$work/store-base" cargo kiln build)")
    echo "  cold round $i: plain ${plain[-1]} s, kiln ${new_cold[-1]} s, baseline ${base_cold[-1]} s" >&2
  done
  for i in $(seq "$rounds"); do
    new_warm+=("$(clean_timed "$work/new-warm.log" "$work/$name" kiln_with "$new_bin" "$work/store-new" cargo kiln build)")
    base_warm+=("$(clean_timed "$work/base-warm.log" "$work/$name" kiln_with "$base_bin" "$work/store-base" cargo kiln build)")
    echo "  warm round $i: kiln ${new_warm[-1]} s ($(summary "$work/new-warm.log")), baseline ${base_warm[-1]} s ($(summary "$work/base-warm.log"))" >&2
  done
  moved=$(clean_timed "$work/new-moved.log" "$work/$name-moved" env CARGO_TARGET_DIR="$work/tgt-moved-$name" \
    PATH="$new_bin:$PATH" KILN_DIR="$work/store-new" cargo kiln build)
  p=$(median "${plain[@]}") nc=$(median "${new_cold[@]}") bc_=$(median "${base_cold[@]}")
  nw=$(median "${new_warm[@]}") bw=$(median "${base_warm[@]}")
  report+=("$name|$p|$nc|$bc_|$nw|$bw|$moved|$(summary "$work/new-warm.log")|$(summary "$work/new-moved.log")")
done

echo
echo "medians of $rounds rounds; baseline = kiln at $baseline"
printf '| %-8s | %11s | %9s | %9s | %12s | %9s | %9s | %12s | %8s |\n' app "plain cold" "kiln cold" "÷ plain" "base cold" "kiln warm" "base warm" "warm ÷ base" "moved"
printf '|%s|\n' "----------|-------------|-----------|-----------|--------------|-----------|-----------|--------------|----------"
for r in "${report[@]}"; do
  IFS='|' read -r name p nc bc_ nw bw moved ws ms <<<"$r"
  printf '| %-8s | %11.2f | %9.2f | %9.3f | %12.2f | %9.2f | %9.2f | %12.3f | %8.2f |\n' "$name" "$p" "$nc" \
    "$(echo "$nc / $p" | bc -l)" "$bc_" "$nw" "$bw" "$(echo "$nw / $bw" | bc -l)" "$moved"
  echo "  $name warm: $ws; moved copy: $ms"
done
echo "(goals: kiln cold ÷ plain ≤ 1.05; kiln warm ÷ baseline warm ≤ 1.05; warm and moved all hits)"

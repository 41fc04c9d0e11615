#!/usr/bin/env bash
# Benchmark: `cargo doc` of an application and its dependencies, plain and through kiln, side by
# side in one run. Each round, after `cargo clean --doc` (the crates' metadata stays built, so
# only rustdoc runs are timed): plain `cargo doc`, then `cargo kiln doc` with an empty store
# (cold: every rustdoc run misses and is stored), then `cargo kiln doc` again after `cargo
# clean --doc` (warm: every run hits). Prints the medians and the ratios to plain, and kiln's
# summary lines. Not a test: nothing here asserts a time.
#   bench/rustdoc.sh [--rounds N] [--app rust-ripgrep]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=3
app=rust-ripgrep
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --app) app=$2; shift 2 ;;
    *) echo "usage: bench/rustdoc.sh [--rounds N] [--app PKG]" >&2; exit 2 ;;
  esac
done
export PATH="$HOME/.cargo/bin:$PATH"
"$root/scripts/install-deps.sh"
kiln=$("$root/scripts/build.sh" kiln)
export PATH="$(dirname "$kiln"):$PATH"

corpus=${KILN_CORPUS_DIR:-/var/tmp/kiln-corpus}
work=$(mktemp -d /tmp/kiln-bench-doc.XXXX)
trap 'rm -rf "$work"' EXIT
unset RUSTC_WRAPPER RUSTDOC CARGO_TARGET_DIR CARGO_INCREMENTAL KILN_LOG KILN_REMOTE KILN_BACKGROUND_STORE
export CARGO_TERM_PROGRESS_WHEN=never
source "$root/bench/lib.sh"

name=${app#rust-}
src=$("$root/scripts/prepare-debian-app.sh" "$app" "$corpus/$name")
cp -a "$src" "$work/$name"
dir="$work/$name"
# The metadata rustdoc reads, built once (by plain cargo: kiln's rustc entries are not timed).
(cd "$dir" && cargo doc -q >/dev/null 2>&1)

plain=() cold=() warm=()
for ((i = 1; i <= rounds; i++)); do
  export KILN_DIR="$work/store-$i"
  (cd "$dir" && cargo clean --doc -q)
  plain+=("$(timed "$work/plain.out" "$dir" cargo doc)")
  (cd "$dir" && cargo clean --doc -q)
  cold+=("$(timed "$work/cold.out" "$dir" cargo kiln doc)")
  (cd "$dir" && cargo clean --doc -q)
  warm+=("$(timed "$work/warm.out" "$dir" cargo kiln doc)")
  echo "  round $i: plain ${plain[-1]} s, kiln cold ${cold[-1]} s, kiln warm ${warm[-1]} s" >&2
done
mp=$(median "${plain[@]}") mc=$(median "${cold[@]}") mw=$(median "${warm[@]}")
echo
echo "cargo doc of $name: median of $rounds rounds, seconds ($(nproc) cores)"
printf '%-22s %8s %8s   %s\n' "" seconds "÷ plain" "kiln's summary (last round)"
printf '%-22s %8.2f %8s\n' "plain cargo doc" "$mp" 1
printf '%-22s %8.2f %8.3f   %s\n' "cargo kiln doc, cold" "$mc" "$(echo "$mc / $mp" | bc -l)" "$(summary "$work/cold.out")"
printf '%-22s %8.2f %8.3f   %s\n' "cargo kiln doc, warm" "$mw" "$(echo "$mw / $mp" | bc -l)" "$(summary "$work/warm.out")"

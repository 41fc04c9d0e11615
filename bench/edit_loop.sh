#!/usr/bin/env bash
# Benchmark: the edit loop. After a first build, one source file of the application is edited
# (a comment appended, as a developer saving a change does) and the build rerun; plain cargo
# and `cargo kiln` each work in their own copy (their own target dir: a wrapper change would
# make cargo rebuild everything), alternating edit by edit, ROUNDS edits each, for
# `cargo build` and for `cargo check`. Both use cargo's defaults (dev profile: incremental for
# workspace members). Prints the medians and kiln ÷ plain (goal: ≤ 1.05), and what kiln did
# on its last edit (hits, misses). Not a test: nothing here asserts a time.
#   bench/edit_loop.sh [--rounds N] [--apps "rust-ripgrep rust-fd-find"]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=5
apps="rust-ripgrep rust-fd-find"
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --apps) apps=$2; shift 2 ;;
    *) echo "usage: bench/edit_loop.sh [--rounds N] [--apps \"PKG…\"]" >&2; exit 2 ;;
  esac
done
export PATH="$HOME/.cargo/bin:$PATH"
"$root/scripts/install-deps.sh"
kiln=$("$root/scripts/build.sh" kiln)
export PATH="$(dirname "$kiln"):$PATH"

corpus=${KILN_CORPUS_DIR:-/var/tmp/kiln-corpus}
work=$(mktemp -d /tmp/kiln-bench-edit.XXXX)
trap 'rm -rf "$work"' EXIT
unset RUSTC_WRAPPER CARGO_TARGET_DIR CARGO_INCREMENTAL KILN_LOG KILN_REMOTE KILN_BACKGROUND_STORE
export KILN_DIR="$work/store" CARGO_TERM_PROGRESS_WHEN=never

source "$root/bench/lib.sh"
edit() { echo "// edit $RANDOM$RANDOM" >>"$1"; }

report=()
for pkg in $apps; do
  name=${pkg#rust-}
  src=$("$root/scripts/prepare-debian-app.sh" "$pkg" "$corpus/$name")
  case "$name" in
    ripgrep) file=crates/core/main.rs ;;
    *) file=src/main.rs ;;
  esac
  cp -a "$src" "$work/$name-plain"
  cp -a "$src" "$work/$name-kiln"
  echo "== $name: editing $file ($(nproc) cores, $rounds edits each)" >&2
  for mode in build check; do
    # First builds (not timed), then one edit each to settle the incremental caches.
    timed "$work/out" "$work/$name-plain" cargo "$mode" >/dev/null
    timed "$work/out" "$work/$name-kiln" cargo kiln "$mode" >/dev/null
    edit "$work/$name-plain/$file"; timed "$work/out" "$work/$name-plain" cargo "$mode" >/dev/null
    edit "$work/$name-kiln/$file"; timed "$work/out" "$work/$name-kiln" cargo kiln "$mode" >/dev/null
    plain=() kiln_t=()
    for ((i = 1; i <= rounds; i++)); do
      edit "$work/$name-plain/$file"
      plain+=("$(timed "$work/plain.out" "$work/$name-plain" cargo "$mode")")
      edit "$work/$name-kiln/$file"
      kiln_t+=("$(timed "$work/kiln.out" "$work/$name-kiln" cargo kiln "$mode")")
      echo "  $mode edit $i: plain ${plain[-1]} s, kiln ${kiln_t[-1]} s" >&2
    done
    mp=$(median "${plain[@]}") mk=$(median "${kiln_t[@]}")
    last=$(grep -h '^kiln:' "$work/kiln.out" | tail -1 | sed 's/ — .*//')
    report+=("$(printf '%-8s %-6s %8.3f %8.3f %7.3f   %s' "$name" "$mode" "$mp" "$mk" "$(echo "$mk / $mp" | bc -l)" "$last")")
  done
done

echo
echo "Edit loop: median of $rounds edits each, seconds ($(nproc) cores)"
printf '%-8s %-6s %8s %8s %7s   %s\n' app cargo plain kiln ratio "kiln on its last edit"
printf '%s\n' "${report[@]}"

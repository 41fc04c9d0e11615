#!/usr/bin/env bash
# Bad environments for the local store: the store path is a regular file; the store is on a
# read-only mount (empty, and populated: hits still work); the store is on a full filesystem
# (a 1 MiB tmpfs: some writes fit, the rest fail with ENOSPC). Every build succeeds with
# outputs byte-identical to a normal build's, kiln warns at most once per build, and
# nothing in the store is left half-written (no temp files, `kiln cache verify` clean).
# The mount cases need root (mount(8)); without it they are skipped with a message.
set -euo pipefail
: "${KILN_BIN:?}"
export PATH="$HOME/.cargo/bin:$PATH"
work=$(mktemp -d)
mounts=()
cleanup() {
  local m
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export CARGO_INCREMENTAL=0 CARGO_NET_OFFLINE=true RUSTC_WRAPPER="$KILN_BIN"
unset KILN_REMOTE KILN_LOG KILN_DISABLE KILN_CACHE_SIZE KILN_DIR

# make_project DIR and outputs DIR: tests/e2e/store_test_lib.sh
source "$(dirname "$0")/store_test_lib.sh"

count() { grep -c "^\[[0-9]*\] $1 " "$2" || true; }
crates=6

# check_build NAME: builds from scratch with the current KILN_DIR; must succeed with the
# reference outputs and at most one kiln warning (store_warning.h).
check_build() {
  rm -rf target
  cargo build -q 2>"$work/$1.err" || { echo "FAIL: $1: the build failed"; cat "$work/$1.err"; exit 1; }
  outputs "$work/p" >"$work/$1.sums"
  diff "$work/ref.sums" "$work/$1.sums" >/dev/null || { echo "FAIL: $1: outputs differ"; diff "$work/ref.sums" "$work/$1.sums"; exit 1; }
  local w
  w=$(grep -c "kiln: warning" "$work/$1.err" || true)
  echo "$1: build ok, outputs identical, $w kiln warning line(s)"
  grep -m2 "kiln: warning" "$work/$1.err" || true
  [ "$w" -le 1 ] || { echo "FAIL: $1: more than one kiln warning in a build"; cat "$work/$1.err"; exit 1; }
}

# whole DIR: no temp file, and verify (read-only or not) finds no damage.
whole() {
  local t
  t=$(find "$1" -name '*.tmp.*' 2>/dev/null | wc -l)
  [ "$t" -eq 0 ] || { echo "FAIL: $t temp files left in $1"; find "$1" -name '*.tmp.*'; exit 1; }
  KILN_DIR=$1 "$KILN_BIN" cache verify >"$work/verify.out" || { echo "FAIL: verify of $1"; cat "$work/verify.out"; exit 1; }
}

make_project "$work/p"
cd "$work/p"
KILN_DIR="$work/ref-store" cargo build -q
outputs "$work/p" >"$work/ref.sums"

# 1. The store path is a regular file.
echo "not a directory" >"$work/afile"
KILN_DIR="$work/afile" check_build store-is-a-file
[ "$(cat "$work/afile")" = "not a directory" ] || { echo "FAIL: the file was changed"; exit 1; }

mkdir -p "$work/probe"
if ! mount -t tmpfs -o size=64k tmpfs "$work/probe" 2>/dev/null; then
  echo "SKIP: mount(8) not permitted here: read-only and full-filesystem cases not run"
  echo "1 passed, 0 failed"
  exit 0
fi
mounts+=("$work/probe")

# 2. A read-only store, empty.
mkdir -p "$work/ro-empty" "$work/ro-empty-mnt"
mount --bind "$work/ro-empty" "$work/ro-empty-mnt" && mounts+=("$work/ro-empty-mnt")
mount -o remount,bind,ro "$work/ro-empty-mnt"
touch "$work/ro-empty-mnt/x" 2>/dev/null && { echo "FAIL: the read-only mount is writable"; exit 1; }
KILN_DIR="$work/ro-empty-mnt" check_build read-only-empty
[ -z "$(ls -A "$work/ro-empty")" ] || { echo "FAIL: something was written"; exit 1; }

# 3. A read-only store with entries: hits are served; a change compiles and warns.
rm -rf target
KILN_DIR="$work/rw" cargo build -q
mkdir -p "$work/ro"
mount --bind "$work/rw" "$work/ro" && mounts+=("$work/ro")
mount -o remount,bind,ro "$work/ro"
KILN_DIR="$work/ro" KILN_LOG="$work/ro.log" check_build read-only
hits=$(count hit "$work/ro.log")
[ "$hits" -eq "$crates" ] || { echo "FAIL: $hits hits from the read-only store, expected $crates"; exit 1; }
echo "pub fn extra() {}" >>l1/src/lib.rs
KILN_DIR="$work/ro" cargo build -q 2>"$work/ro-change.err" || { echo "FAIL: build after a change"; exit 1; }
w=$(grep -c 'kiln: warning' "$work/ro-change.err" || true)
echo "read-only, after a change: build ok, $w kiln warning line(s)"
[ "$w" -le 1 ] || { echo "FAIL: more than one kiln warning in a build"; cat "$work/ro-change.err"; exit 1; }
sed -i '$d' l1/src/lib.rs
whole "$work/ro"

# 4. A full filesystem: 1 MiB, less than this build's outputs.
mkdir -p "$work/full"
mount -t tmpfs -o size=1m tmpfs "$work/full" && mounts+=("$work/full")
KILN_DIR="$work/full/store" check_build full-fs
whole "$work/full/store"
KILN_DIR="$work/full/store" KILN_LOG="$work/full2.log" check_build full-fs-again
echo "full-fs-again: $(count hit "$work/full2.log") hits from what fitted"
whole "$work/full/store"
# Completely full: not one more byte.
dd if=/dev/zero of="$work/full/ballast" bs=4k 2>/dev/null || true
rm -rf "$work/full/store"
dd if=/dev/zero of="$work/full/ballast2" bs=4k 2>/dev/null || true
KILN_DIR="$work/full/store" check_build completely-full
whole "$work/full/store"
echo "1 passed, 0 failed"

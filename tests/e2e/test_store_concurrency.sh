#!/usr/bin/env bash
# Concurrency of the local store: four cargo builds of four copies (at different paths) of a
# small workspace run at once against one store — cold, then again from scratch (hits while
# others write). Every build succeeds, the four binaries and rlibs are byte-identical (kiln
# remaps the checkout path), the second round is all hits, and `kiln cache verify` is clean.
# Then the same with background stores (KILN_BACKGROUND_STORE=on, a fresh store): the warm
# round starts the moment the cold one's builds end, while their stores are still running,
# and must still be all hits (a lookup waits for a running store of its own action) with
# the same outputs.
set -euo pipefail
: "${KILN_BIN:?}"
export PATH="$HOME/.cargo/bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_INCREMENTAL=0 CARGO_NET_OFFLINE=true CARGO_BUILD_JOBS=2 RUSTC_WRAPPER="$KILN_BIN" KILN_DIR="$work/store"
unset KILN_REMOTE KILN_LOG KILN_DISABLE KILN_CACHE_SIZE

# make_project DIR and outputs DIR: tests/e2e/store_test_lib.sh
source "$(dirname "$0")/store_test_lib.sh"

make_project "$work/c1"
for i in 2 3 4; do cp -a "$work/c1" "$work/c$i"; done

count() { grep -c "^\[[0-9]*\] $1 " "$2" || true; }

for round in cold warm bg-cold bg-warm; do
  case $round in
    bg-*) export KILN_DIR="$work/store-bg" KILN_BACKGROUND_STORE=on ;;
    *) export KILN_DIR="$work/store" KILN_BACKGROUND_STORE=off ;;
  esac
  pids=()
  for i in 1 2 3 4; do
    rm -rf "$work/c$i/target"
    (cd "$work/c$i" && KILN_LOG="$work/$round.$i.log" exec cargo build -q 2>"$work/$round.$i.err") &
    pids+=($!)
  done
  for i in 1 2 3 4; do
    wait "${pids[$((i - 1))]}" || { echo "FAIL: $round build of copy $i failed"; cat "$work/$round.$i.err"; exit 1; }
  done
  for i in 1 2 3 4; do
    if grep -q "kiln: warning" "$work/$round.$i.err"; then echo "FAIL: kiln warned"; cat "$work/$round.$i.err"; exit 1; fi
    outputs "$work/c$i" >"$work/$round.$i.sums"
    diff "$work/cold.1.sums" "$work/$round.$i.sums" >/dev/null ||
      { echo "FAIL: copy $i's $round outputs differ from copy 1's cold ones"; diff "$work/cold.1.sums" "$work/$round.$i.sums"; exit 1; }
  done
  hits=0 misses=0
  for i in 1 2 3 4; do
    hits=$((hits + $(count hit "$work/$round.$i.log")))
    misses=$((misses + $(count miss "$work/$round.$i.log")))
  done
  waits=$(cat "$work/$round".*.log | grep -c "waited for a background store" || true)
  echo "$round: 4 builds, $hits hits, $misses misses, identical outputs ($waits lookups waited for a running store)"
  case $round in
    *warm)
      [ "$misses" -eq 0 ] || { echo "FAIL: the $round round missed"; exit 1; }
      [ "$hits" -eq 24 ] || { echo "FAIL: expected 24 hits (6 crates x 4) in the $round round, got $hits"; exit 1; }
      ;;
  esac
done
"$KILN_BIN" cache wait --timeout 120 || { echo "FAIL: background stores did not finish"; exit 1; }
for store in "$work/store" "$work/store-bg"; do
  KILN_DIR=$store "$KILN_BIN" cache verify || { echo "FAIL: verify after concurrent builds ($store)"; exit 1; }
done
"$work/c1/target/debug/app" >/dev/null
echo "1 passed, 0 failed"

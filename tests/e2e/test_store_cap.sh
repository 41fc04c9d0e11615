#!/usr/bin/env bash
# The size cap and `kiln cache`: builds with KILN_CACHE_SIZE=1M (less than this workspace's
# outputs) keep the store near the cap (each of the 16 buckets at most one file over its
# share) by evicting least recently used files, count the evictions, and stay correct: a
# build from scratch after evictions (some hits, some misses) gives byte-identical outputs.
# Then the commands: du (by crate) and ls (crate, version, type) list the workspace's crates;
# gc brings the store under the cap; a damaged blob makes verify exit 1 and is removed (the
# next verify is clean, the next build correct); prune --older-than drops old entries; clear
# empties the store.
set -euo pipefail
: "${KILN_BIN:?}"
export PATH="$HOME/.cargo/bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_INCREMENTAL=0 CARGO_NET_OFFLINE=true RUSTC_WRAPPER="$KILN_BIN"
unset KILN_REMOTE KILN_LOG KILN_DISABLE KILN_CACHE_SIZE KILN_DIR

# make_project DIR and outputs DIR: tests/e2e/store_test_lib.sh
source "$(dirname "$0")/store_test_lib.sh"

json() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
count() { grep -c "^\[[0-9]*\] $1 " "$2" || true; }

make_project "$work/p"
cd "$work/p"
KILN_DIR="$work/ref-store" cargo build -q
outputs "$work/p" >"$work/ref.sums"

# 1. The cap holds while building.
export KILN_DIR="$work/store" KILN_CACHE_SIZE=1M
cap=$((1 << 20))
for round in 1 2 3; do
  rm -rf target
  echo "pub const ROUND_$round: u32 = $round;" >>l3/src/lib.rs  # new code each round: misses, new entries
  cargo build -q
done
largest=$(find "$KILN_DIR/ac" "$KILN_DIR/cas" -type f -printf '%b\n' | sort -n | tail -1)
largest=$((largest * 512))
bytes=$("$KILN_BIN" cache du --json | json 'j["bytes"]')
evicted=$("$KILN_BIN" stats --json | json 'j["evicted_files"]')
echo "cap $cap: store $bytes bytes on disk, largest file $largest, $evicted files evicted"
[ "$bytes" -le $((cap + 16 * largest)) ] || { echo "FAIL: store over its cap"; exit 1; }
[ "$evicted" -gt 0 ] || { echo "FAIL: nothing evicted"; exit 1; }
sed -i '/^pub const ROUND_/d' l3/src/lib.rs
rm -rf target
KILN_LOG="$work/after.log" cargo build -q
outputs "$work/p" >"$work/after.sums"
diff "$work/ref.sums" "$work/after.sums" || { echo "FAIL: outputs differ after evictions"; exit 1; }
echo "after evictions: $(count hit "$work/after.log") hits, $(count miss "$work/after.log") misses, outputs identical"
"$KILN_BIN" cache verify >/dev/null || { echo "FAIL: verify after evictions"; exit 1; }

# 2. du and ls name the crates (no cap now: everything stays).
unset KILN_CACHE_SIZE
export KILN_DIR="$work/store2"
rm -rf target
cargo build -q
"$KILN_BIN" cache du
crates=$("$KILN_BIN" cache du --json | json '" ".join(sorted(c["crate"] for c in j["crates"]))')
[ "$crates" = "app l1 l2 l3 l4 l5" ] || { echo "FAIL: du lists '$crates'"; exit 1; }
"$KILN_BIN" cache ls
rows=$("$KILN_BIN" cache ls --json | json '" ".join(sorted(e["crate"] + ":" + e["version"] + ":" + e["crate_type"] for e in j))')
[ "$rows" = "app:0.1.0:bin l1:0.1.0:lib l2:0.1.0:lib l3:0.1.0:lib l4:0.1.0:lib l5:0.1.0:lib" ] ||
  { echo "FAIL: ls lists '$rows'"; exit 1; }

# 3. gc down to a cap.
"$KILN_BIN" cache gc --max-size 300K
bytes=$("$KILN_BIN" cache du --json | json 'j["bytes"]')
[ "$bytes" -le $((300 * 1024)) ] || { echo "FAIL: gc left $bytes bytes"; exit 1; }

# 4. verify finds a damaged blob (exit 1), removes it; then clean; the next build is correct.
rm -rf "$KILN_DIR" && rm -rf target && cargo build -q
blob=$(find "$KILN_DIR/cas" -type f | head -1)
printf 'garbage' | dd of="$blob" bs=1 seek=10 conv=notrunc 2>/dev/null
if "$KILN_BIN" cache verify; then echo "FAIL: verify missed a damaged blob"; exit 1; fi
[ ! -e "$blob" ] || { echo "FAIL: the damaged blob is still there"; exit 1; }
"$KILN_BIN" cache verify >/dev/null || { echo "FAIL: second verify not clean"; exit 1; }
rm -rf target && cargo build -q
outputs "$work/p" >"$work/verified.sums"
diff "$work/ref.sums" "$work/verified.sums" || { echo "FAIL: outputs differ after verify"; exit 1; }
# A damaged blob found by a build is a miss, removed and counted.
"$KILN_BIN" stats --zero >/dev/null
blob=$(find "$KILN_DIR/cas" -type f -size +20k | head -1)
truncate -s 1000 "$blob"
rm -rf target && cargo build -q 2>"$work/corrupt.err"
outputs "$work/p" >"$work/corrupt.sums"
diff "$work/ref.sums" "$work/corrupt.sums" || { echo "FAIL: outputs differ after a corrupt blob"; exit 1; }
corrupt=$("$KILN_BIN" stats --json | json 'j["corrupt"]')
[ "$corrupt" -eq 1 ] || { echo "FAIL: $corrupt corrupt files counted, expected 1"; cat "$work/corrupt.err"; exit 1; }

# 5. prune by age, clear.
find "$KILN_DIR/ac" "$KILN_DIR/cas" -type f | head -5 | xargs touch -d '10 days ago'
"$KILN_BIN" cache prune --older-than 7d
left=$(find "$KILN_DIR/ac" "$KILN_DIR/cas" -type f -mtime +7 | wc -l)
[ "$left" -eq 0 ] || { echo "FAIL: prune left $left old files"; exit 1; }
"$KILN_BIN" cache clear
[ "$("$KILN_BIN" cache du --json | json 'j["bytes"]')" -eq 0 ] || { echo "FAIL: clear"; exit 1; }
echo "1 passed, 0 failed"

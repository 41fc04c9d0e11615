#!/usr/bin/env bash
# ripgrep (Debian's source package, 64 packages): cold `cargo kiln build`, `cargo clean`,
# warm → every cacheable invocation hits and `rg` is byte-identical to the cold build's.
# Then a copy at another path with another CARGO_TARGET_DIR → 100% hits, identical `rg`.
set -euo pipefail
: "${KILN_BIN:?}" "${KILN_SOURCE_DIR:?}"
export PATH="$(dirname "$KILN_BIN"):$HOME/.cargo/bin:$PATH"
corpus=${KILN_CORPUS_DIR:-/var/tmp/kiln-corpus}
"$KILN_SOURCE_DIR/scripts/prepare-debian-app.sh" rust-ripgrep "$corpus/ripgrep" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export KILN_DIR="$work/store"
cp -a "$corpus/ripgrep" "$work/a"
cd "$work/a"

count() { grep -c "^\[[0-9]*\] $1 " "$2" || true; }

KILN_LOG="$work/cold.log" cargo kiln build 2>"$work/cold.err"
cp target/debug/rg "$work/rg.cold"
cold_misses=$(count miss "$work/cold.log")
echo "cold: $cold_misses misses, $(count hit "$work/cold.log") hits"
[ "$cold_misses" -gt 50 ] || { echo "FAIL: expected a real cold build"; exit 1; }

cargo clean -q
KILN_LOG="$work/warm.log" cargo kiln build 2>"$work/warm.err"
hits=$(count hit "$work/warm.log")
misses=$(count miss "$work/warm.log")
echo "warm: $hits hits, $misses misses"
grep "not-cached" "$work/warm.log" | grep -v ' probe: ' && { echo "FAIL: cacheable invocation not cached"; exit 1; }
[ "$misses" -eq 0 ] || { echo "FAIL: warm build missed"; grep '\] miss' "$work/warm.log"; exit 1; }
[ "$hits" -eq "$cold_misses" ] || { echo "FAIL: $hits hits for $cold_misses cold compilations"; exit 1; }
cmp target/debug/rg "$work/rg.cold" || { echo "FAIL: rg differs after a warm build"; exit 1; }
./target/debug/rg --version | head -1
# Fresh afterwards: cargo sees nothing to do.
cargo kiln build 2>"$work/again.err"
if grep -q Compiling "$work/again.err"; then echo "FAIL: not fresh after a warm build"; cat "$work/again.err"; exit 1; fi

# Another checkout at another path, another target dir, same store.
cp -a "$corpus/ripgrep" "$work/b-elsewhere"
cd "$work/b-elsewhere"
KILN_LOG="$work/moved.log" CARGO_TARGET_DIR="$work/tgt-b" cargo kiln build 2>"$work/moved.err"
hits=$(count hit "$work/moved.log")
misses=$(count miss "$work/moved.log")
echo "moved: $hits hits, $misses misses"
[ "$misses" -eq 0 ] || { echo "FAIL: moved checkout missed"; grep '\] miss' "$work/moved.log"; exit 1; }
cmp "$work/tgt-b/debug/rg" "$work/rg.cold" || { echo "FAIL: moved rg differs"; exit 1; }
if grep -rlF "$work/a" "$work/tgt-b" >/dev/null; then
  echo "FAIL: checkout A's path found in B's target dir:"; grep -rlF "$work/a" "$work/tgt-b" | head; exit 1
fi
echo "1 passed, 0 failed"

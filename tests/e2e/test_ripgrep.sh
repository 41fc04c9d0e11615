#!/usr/bin/env bash
# ripgrep (Debian's source package, 64 packages): cold `cargo kiln build`, `cargo clean`,
# warm → every cacheable invocation hits and `rg` is byte-identical to the cold build's.
# Then a copy at another path with another CARGO_TARGET_DIR → 100% hits, identical `rg`.
#
# ripgrep's unicode-linebreak build script writes one of several tables.rs at random (it
# iterates a HashMap seeded at run time); a few builds in a hundred get a rarer one. A build
# whose build scripts wrote outputs that no earlier build had has other sources, so kiln rightly
# misses the crates built from them: that build runs once more (up to 5 builds; the store now
# holds that variant too). Misses in a build whose build-script outputs an earlier build had
# fail the test at once. Each `rg` is compared with the one first built from the same outputs.
set -euo pipefail
: "${KILN_BIN:?}" "${KILN_SOURCE_DIR:?}"
source "$(dirname "$0")/lib.sh"  # (helpers only: this test keeps its own temp dir)
export PATH="$(dirname "$KILN_BIN"):$HOME/.cargo/bin:$PATH"
corpus=${KILN_CORPUS_DIR:-/var/tmp/kiln-corpus}
"$KILN_SOURCE_DIR/scripts/prepare-debian-app.sh" rust-ripgrep "$corpus/ripgrep" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export KILN_DIR="$work/store"
e2e_copy_corpus "$corpus/ripgrep" "$work/a"
cd "$work/a"

count() { grep -c "^\[[0-9]*\] $1 " "$2" || true; }
# outputs_id TARGET_DIR: a digest of every build script's output files.
outputs_id() { (cd "$1/debug/build" && find . -path '*/out/*' -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16); }
# keep_rg TARGET_DIR: the first `rg` built from these build-script outputs is the reference.
keep_rg() { local id; id=$(outputs_id "$1"); [ -e "$work/rg.$id" ] || cp "$1/debug/rg" "$work/rg.$id"; }
# same_rg TARGET_DIR: `rg` equals the reference for its build-script outputs.
same_rg() { local id; id=$(outputs_id "$1"); cmp "$1/debug/rg" "$work/rg.$id"; }
# all_hits TAG TARGET_DIR [VAR=value…]: `cargo clean`, then a build in which every compilation
# must hit (once more after a new build-script variant, see above); sets hits and misses.
all_hits() {
  local tag=$1 target=$2; shift 2
  local try log id
  for try in 1 2 3 4 5; do
    log="$work/$tag-$try.log"
    env "$@" cargo clean -q
    env "$@" KILN_LOG="$log" cargo kiln build 2>"$log.err"
    hits=$(count hit "$log"); misses=$(count miss "$log")
    [ "$misses" -gt 0 ] || break
    id=$(outputs_id "$target")
    [ -e "$work/rg.$id" ] && break  # outputs an earlier build had: these misses are kiln's fault
    echo "$tag: $misses misses, build scripts wrote new outputs" \
      "($(grep -o '  set rejected: [^ ]*/out/[^:]*' "$log" | head -1 | sed 's/  set rejected: //')); once more"
    keep_rg "$target"
  done
  echo "$tag: $hits hits, $misses misses"
  grep "not-cached" "$log" | grep -v ' probe: ' && { echo "FAIL: cacheable invocation not cached"; exit 1; }
  [ "$misses" -eq 0 ] || { echo "FAIL: $tag build missed"; grep '\] miss\|set rejected' "$log"; exit 1; }
  [ "$hits" -eq "$cold_misses" ] || { echo "FAIL: $hits hits for $cold_misses cold compilations"; exit 1; }
  same_rg "$target" || { echo "FAIL: rg differs after the $tag build"; exit 1; }
}

KILN_LOG="$work/cold.log" cargo kiln build 2>"$work/cold.err"
keep_rg target
cold_misses=$(count miss "$work/cold.log")
echo "cold: $cold_misses misses, $(count hit "$work/cold.log") hits"
[ "$cold_misses" -gt 50 ] || { echo "FAIL: expected a real cold build"; exit 1; }

all_hits warm target
# (not piped into head: rg exits 2 on the broken pipe, which pipefail would count)
./target/debug/rg --version >"$work/version.txt"
head -1 "$work/version.txt"
# Fresh afterwards: cargo sees nothing to do.
cargo kiln build 2>"$work/again.err"
if grep -q Compiling "$work/again.err"; then echo "FAIL: not fresh after a warm build"; cat "$work/again.err"; exit 1; fi

# Another checkout at another path, another target dir, same store.
e2e_copy_corpus "$corpus/ripgrep" "$work/b-elsewhere"
cd "$work/b-elsewhere"
all_hits moved "$work/tgt-b" CARGO_TARGET_DIR="$work/tgt-b"
if grep -rlF "$work/a" "$work/tgt-b" >/dev/null; then
  echo "FAIL: checkout A's path found in B's target dir:"; grep -rlF "$work/a" "$work/tgt-b" | head; exit 1
fi
echo "1 passed, 0 failed"

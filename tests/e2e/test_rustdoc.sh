#!/usr/bin/env bash
# `cargo kiln doc` caches rustdoc runs. On the fixture workspace (lib with a doctest, proc-macro,
# build script, cdylib, bin; serde from Debian's packages): the cold build's pages are plain
# cargo doc's, byte for byte (the search index holds the same entries; its ties are in crate
# order, whatever order cargo documented in); after `cargo clean --doc` every rustdoc run is a
# hit and the doc root is the cold one's, search index included; a changed doc comment misses
# that crate and the crates that see its metadata, and the pages are plain cargo's again;
# doctests still run; a doc root with a crate documented without kiln is passed through.
source "$(dirname "$0")/lib.sh"
e2e_init
unset LIBRARY_PATH
e2e_copy_fixture workspace "$E2E_TMP/ws"
cd "$E2E_TMP/ws"
cat >>crates/greet/src/lib.rs <<'RS'

/// Adds one.
///
/// ```
/// assert_eq!(greet::plus_one(1), 2);
/// ```
pub fn plus_one(x: u32) -> u32 {
    x + 1
}
RS

# same_docs A B WHAT [--all]: the doc roots hold the same files with the same bytes — every file,
# or (without --all) every file but the search index's.
# help.html and settings.html name the crate documented last (data-current-crate), which is
# whichever rustdoc run ended last, with or without kiln: compared with that name taken out.
same_docs() {
  local ex=(-x .kiln-doc-parts -x .lock -x help.html -x settings.html)
  [ "${4:-}" = --all ] || ex+=(-x search.index)
  if ! diff -r -q "${ex[@]}" "$1" "$2" >"$E2E_TMP/docdiff" 2>&1; then
    head -n 10 "$E2E_TMP/docdiff" >&2
    fail "$3"
  fi
  local page
  for page in help.html settings.html; do
    cmp -s <(sed 's/data-current-crate="[a-z_]*"//' "$1/$page") <(sed 's/data-current-crate="[a-z_]*"//' "$2/$page") ||
      fail "$3: $page differs"
  done
  pass "$3 ($(find "$2" -type f -not -path '*/.kiln-doc-parts/*' | wc -l) files)"
}
# index_bytes ROOT: the bytes of the search index's descriptions, counted (order-free: the
# same entries in another order give the same counts).
index_bytes() { cat "$1"/search.index/desc/*.js | od -An -v -tx1 | tr -s ' ' '\n' | sort | uniq -c; }
# plain_doc DEST: a plain `cargo doc` here, from an empty doc root (the same checkout and target
# dir as kiln's: gen's pages name its OUT_DIR), its doc root copied to DEST.
plain_doc() {
  cargo clean --doc -q
  env -u RUSTDOC cargo doc -q 2>"$E2E_TMP/plain.err" || { cat "$E2E_TMP/plain.err" >&2; fail "plain cargo doc"; }
  rm -rf "$1" && cp -r target/doc "$1"
  cargo clean --doc -q
}

# kiln first, in a fresh target dir: the crates' metadata is compiled through kiln too (cargo
# does not rebuild it when RUSTC_WRAPPER changes), so a second checkout can share it.
kiln_cargo cold doc
docs=$(events_of cold miss | grep -c ':doc$' || true)
[ "$docs" -ge 5 ] || { log_events cold >&2; fail "cold: $docs rustdoc misses, expected one per documented crate"; }
pass "cold: $docs rustdoc runs missed and were stored"
expect_eq 0 "$(events_of cold not-cached | grep -vc -e ':probe$' -e ':___:' || true)" "cold: nothing else passed through"
cp -r target/doc "$E2E_TMP/cold-doc"
plain_doc "$E2E_TMP/plain-doc"
same_docs "$E2E_TMP/plain-doc" "$E2E_TMP/cold-doc" "cold: every page is plain cargo doc's"
cmp -s <(index_bytes "$E2E_TMP/plain-doc") <(index_bytes "$E2E_TMP/cold-doc") || fail "cold: the search index describes what plain cargo's does"
pass "cold: the search index has plain cargo doc's descriptions"
for c in greet macros gen app; do [ -f "$E2E_TMP/cold-doc/$c/index.html" ] || fail "no pages for $c"; done
grep -q 'href="../serde/' "$E2E_TMP/cold-doc/greet/struct.Greeting.html" || fail "greet's pages link to serde's"
pass "greet's pages link to serde's (documented before it, in the doc root kiln showed rustdoc)"

cargo clean --doc -q
kiln_cargo warm doc
expect_eq "$docs" "$(events_of warm hit | grep -c ':doc$' || true)" "after cargo clean --doc: every rustdoc run hits"
expect_eq 0 "$(count_misses warm)" "and nothing misses"
same_docs "$E2E_TMP/cold-doc" target/doc "warm: the doc root is the cold build's" --all
# With --open, cargo opens the docs when it ends, so each run merges the doc root itself
# (coalesced: a run that ends during a merge leaves it to that one); the root is the same.
cargo clean --doc -q
BROWSER=true kiln_cargo open doc --open
expect_eq "$docs" "$(events_of open hit | grep -c ':doc$' || true)" "cargo kiln doc --open: every rustdoc run hits"
same_docs "$E2E_TMP/cold-doc" target/doc "and each run's merge leaves the cold build's doc root" --all

# A second checkout at another path, sharing the store: every crate's docs hit but gen's,
# whose source pages name its OUT_DIR (in this checkout's target dir). A registry crate's
# source pages name its source dir, which both share: they are keyed on that alone.
e2e_copy_fixture workspace "$E2E_TMP/elsewhere/ws2"
cp crates/greet/src/lib.rs "$E2E_TMP/elsewhere/ws2/crates/greet/src/lib.rs"
(cd "$E2E_TMP/elsewhere/ws2" && kiln_cargo moved doc)
expect_eq "gen:gen:doc" "$(events_of moved miss | grep ':doc$' | tr '\n' ' ' | sed 's/ $//')" "a second checkout: only gen's docs miss (its pages name its OUT_DIR)"
expect_eq "$((docs - 1))" "$(events_of moved hit | grep -c ':doc$' || true)" "and every other crate's docs hit, serde's among them"
grep -q "/usr/share/cargo/registry/serde-" target/doc/src/serde/lib.rs.html || fail "serde's source page names its source dir"
pass "serde's source page names its registry dir, which both checkouts share"
# What the second checkout got from the store is what plain cargo doc writes there.
ws2="$E2E_TMP/elsewhere/ws2"
cp -r "$ws2/target/doc" "$E2E_TMP/moved-doc"
(cd "$ws2" && plain_doc "$E2E_TMP/plain-moved-doc")
same_docs "$E2E_TMP/plain-moved-doc" "$E2E_TMP/moved-doc" "a second checkout: the pages are plain cargo doc's there"

# A changed doc comment: that crate's docs (and its metadata) change, and so do those of the
# crates that read its metadata; the pages are what plain cargo doc writes after the same edit.
sed -i 's|^/// Adds one\.|/// Adds one, exactly.|' crates/greet/src/lib.rs
kiln_cargo edit doc
misses=$(events_of edit miss | tr '\n' ' ')
case " $misses" in *" greet:greet:doc "*) ;; *) fail "edit: greet's docs missed ($misses)" ;; esac
for m in $misses; do
  case "$m" in greet:greet:*|app:app:*) ;; *) fail "edit: $m missed, but it does not see greet" ;; esac
done
pass "a changed doc comment misses greet and what reads its metadata only ($misses)"
grep -q "Adds one, exactly." target/doc/greet/fn.plus_one.html || fail "edit: greet's page has the new comment"
rm -rf "$E2E_TMP/edit-doc" && cp -r target/doc "$E2E_TMP/edit-doc"
plain_doc "$E2E_TMP/plain-edit-doc"
same_docs "$E2E_TMP/plain-edit-doc" "$E2E_TMP/edit-doc" "edit: the pages are plain cargo doc's after the same edit"
# What the edit stored is whole: a crate documented again over its own pages stores them all.
kiln_cargo edit-warm doc
expect_eq "$docs" "$(events_of edit-warm hit | grep -c ':doc$' || true)" "after the edit and cargo clean --doc: every rustdoc run hits"
same_docs "$E2E_TMP/edit-doc" target/doc "and the doc root is the edit's" --all

# Doctests run (a test run is never replayed).
kiln_cargo doctest test --doc -p greet
expect_file_contains "$E2E_TMP/doctest.out" "plus_one" "cargo kiln test --doc runs greet's doctest"
expect_file_contains "$E2E_TMP/doctest.out" "test result: ok. 1 passed" "and it passes"
expect_eq 1 "$(events_of doctest not-cached | grep -c ":greet:doctest$" || true)" "the doctest run is passed through, with its reason"

# A doc root documented without kiln: kiln's merge would drop those crates, so runs there are
# passed through (one warning with the fix), and the crate list keeps them.
cargo clean --doc -q
env -u RUSTDOC cargo doc -q
echo "// an edit" >>crates/greet/src/lib.rs
kiln_cargo foreign doc
expect_eq 0 "$(log_events foreign | grep -E -c '^(hit|miss) .*:doc$' || true)" "a doc root documented without kiln: no rustdoc run is cached or served there"
expect_eq 2 "$(events_of foreign not-cached | grep -c ':doc-root-shared$' || true)" "greet's and app's runs were passed through, with the reason"
expect_file_contains "$E2E_TMP/foreign.err" "cargo clean --doc" "the warning says how to let kiln cache it"
for c in gen macros app greet; do grep -q "\"$c\"" target/doc/crates.js || fail "$c left the crate list"; done
pass "every crate stays in the crate list"

#!/usr/bin/env bash
# `kiln explain CRATE`: why a crate missed, for each cause — the store never had it, a source
# file changed, an argument (a feature), a variable's value, a dependency's digest, a build
# script's output, the toolchain (nightly), and an entry that was stored and then cleared.
source "$(dirname "$0")/lib.sh"
e2e_init
unset LIBRARY_PATH
e2e_copy_fixture workspace "$E2E_TMP/ws"
cd "$E2E_TMP/ws"

explain() { "$KILN_BIN" explain "$@" >"$E2E_TMP/explain.out" 2>&1 || true; }

kiln_cargo cold build
explain greet
expect_file_contains "$E2E_TMP/explain.out" "The store never had greet (lib) before" "a first build: the store never had it"

echo "// an edit" >>crates/greet/src/lib.rs
kiln_cargo edit build
explain greet
expect_file_contains "$E2E_TMP/explain.out" "an input it read is not as it was then" "a source file changed"
expect_file_contains "$E2E_TMP/explain.out" "crates/greet/src/lib.rs" "and which one"
explain app
expect_file_contains "$E2E_TMP/explain.out" "dependency greet is another build" "a dependent: its dependency's digest changed"

kiln_cargo feature build --features greet/shout
explain greet
expect_file_contains "$E2E_TMP/explain.out" 'cfg feature="shout" added' "an argument: the feature"

FIXTURE_WHO=explainer kiln_cargo env build
explain greet
expect_file_contains "$E2E_TMP/explain.out" "a variable the compilation reads (by value) has another value" "a variable"
expect_file_contains "$E2E_TMP/explain.out" "FIXTURE_WHO=explainer" "and which one"

sed -i 's/GEN_STAMP=stamp-1/GEN_STAMP=stamp-2/' crates/gen/build.rs
kiln_cargo stamp build
explain gen
expect_file_contains "$E2E_TMP/explain.out" "GEN_STAMP=stamp-2" "a build script's output (cargo:rustc-env) changed"

if rustup toolchain list | grep -q '^nightly'; then
  kiln_run nightly cargo +nightly kiln build -p gen || fail "cargo +nightly kiln build -p gen"
  explain gen
  expect_file_contains "$E2E_TMP/explain.out" "the toolchain changed" "the toolchain (nightly)"
fi

"$KILN_BIN" cache clear >/dev/null
cargo clean
kiln_cargo cleared build
explain itoa
expect_file_contains "$E2E_TMP/explain.out" "is gone now" "stored, then cleared: gone"

rc=0; "$KILN_BIN" explain no-such-crate >"$E2E_TMP/none.out" 2>&1 || rc=$?
expect_eq 1 "$rc" "a crate never missed: exit 1"
expect_file_contains "$E2E_TMP/none.out" "no miss of no-such-crate is recorded" "with what kiln knows"

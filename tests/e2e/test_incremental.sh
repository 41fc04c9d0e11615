#!/usr/bin/env bash
# Incremental compilations are cached (cargo's default under `cargo kiln`, as with plain
# `cargo build`: workspace members in the dev profile): the incremental dir is rustc's own
# cache, neither an input nor an output; the key says "incremental". Their misses are stored
# in the background. A member compiled incrementally hits after
# `cargo clean` and in a second checkout; editing it misses exactly it and its dependents; the
# programs behave as plain cargo's.
source "$(dirname "$0")/lib.sh"
e2e_init

ws="$E2E_TMP/ws"
e2e_copy_fixture workspace "$ws"
cd "$ws"
export CARGO_TARGET_DIR="$E2E_TMP/target"
unset CARGO_INCREMENTAL

# same_program TAG: the app kiln built prints what plain cargo's (incremental too) prints.
same_program() {
  env -u RUSTC_WRAPPER CARGO_TARGET_DIR="$E2E_TMP/plain-target" cargo build -q || fail "$1: plain cargo build"
  "$E2E_TMP/plain-target/debug/app" >"$E2E_TMP/$1.plain"
  "$CARGO_TARGET_DIR/debug/app" >"$E2E_TMP/$1.kiln" || fail "$1: kiln's app failed"
  cmp -s "$E2E_TMP/$1.plain" "$E2E_TMP/$1.kiln" || { diff "$E2E_TMP/$1.plain" "$E2E_TMP/$1.kiln" >&2; fail "$1: the app differs from plain cargo's"; }
  pass "$1: the app behaves as plain cargo's"
}

kiln_cargo cold build || fail "cold build"
expect_file_contains "$E2E_TMP/cold.log" "arg -C: incremental" "workspace members compile incrementally and are keyed so"
[ -d "$CARGO_TARGET_DIR/debug/incremental" ] || fail "no incremental dir"
pass "rustc keeps its incremental dir"
expect_eq 0 "$(events_of cold not-cached | grep -c ':incremental$' || true)" "no compilation is left uncached for being incremental"
same_program cold

cargo clean -q
kiln_cargo warm build || fail "warm build"
expect_all_hits warm "incremental members hit after cargo clean"
same_program warm

ws2="$E2E_TMP/second/checkout-b"
e2e_copy_fixture workspace "$ws2"
(cd "$ws2" && CARGO_TARGET_DIR="$E2E_TMP/target-b" kiln_cargo second build) || fail "second checkout"
expect_all_hits second "a second checkout hits the incremental entries"

# Edits: exactly the edited crate and its dependents miss (rustc reuses its incremental dir).
sed -i 's/println!("answer: {}", r.answer);/println!("answer is {}", r.answer);/' src/main.rs
kiln_cargo edit-bin build || fail "build after editing the bin"
expect_misses_exactly edit-bin "app:app:bin" "editing the bin misses exactly it"
same_program edit-bin
sed -i 's/format!("{} ({})", TEXT.trim(), who())/format!("{} <{}>", TEXT.trim(), who())/' crates/greet/src/lib.rs
kiln_cargo edit-lib build || fail "build after editing a lib"
expect_misses_exactly edit-lib "greet:greet:lib app:app:bin" "editing a member lib misses it and the bin"
same_program edit-lib

# The cold build's misses were stored by background stores (cargo kiln's default).
expect_file_contains "$E2E_TMP/cold.log" "(storing in the background)" "cargo kiln stores misses in the background"

# The same loop for `cargo kiln check` and `cargo kiln clippy` (rmeta-only compilations;
# clippy-driver as the workspace wrapper): after cargo clean they hit, an edit misses the
# edited crate and its dependents only.
for tool in check clippy; do
  cargo clean -q
  kiln_cargo "$tool-cold" "$tool" || fail "cargo kiln $tool"
  cargo clean -q
  kiln_cargo "$tool-warm" "$tool" || fail "cargo kiln $tool after cargo clean"
  expect_all_hits "$tool-warm" "cargo kiln $tool after cargo clean"
  echo "// $tool edit" >>crates/greet/src/lib.rs
  kiln_cargo "$tool-edit" "$tool" || fail "cargo kiln $tool after an edit"
  expect_misses_exactly "$tool-edit" "greet:greet:lib app:app:bin" "cargo kiln $tool: an edit misses the lib and the bin"
done

#!/usr/bin/env bash
# The fixture workspace (tests/fixtures/workspace: lib, bin, proc-macro, build script, cdylib,
# unit and integration tests, serde from Debian) through `cargo kiln`:
#   build: cold, `cargo clean`, warm → all hits, same program output, byte-identical outputs,
#          and a third build is fresh (no `Compiling`);
#   test:  passes, and after `cargo clean` passes again with all hits;
#   check: after `cargo clean` all hits;
#   clippy: after `cargo clean` all hits, and the lint warning is replayed on the hit;
#   stats: every crate type shows up in `kiln stats --json` by_crate_type.
source "$(dirname "$0")/lib.sh"
e2e_init

ws="$E2E_TMP/ws"
e2e_copy_fixture workspace "$ws"
cd "$ws"
export CARGO_TARGET_DIR="$E2E_TMP/target"
app="$CARGO_TARGET_DIR/debug/app"
ffi="$CARGO_TARGET_DIR/debug/libffi.so"

# ---- build ----
kiln_cargo build-cold build || fail "cold build"
cold=$(count_misses build-cold)
[ "$cold" -ge 20 ] || fail "cold build: only $cold misses (expected every crate to compile)"
expect_eq 0 "$(count_hits build-cold)" "cold build has no hits"
expect_eq 0 "$(count_uncached build-cold)" "cold build: every compilation cacheable"
for label in app:app:bin greet:greet:lib macros:macros:proc-macro gen:build_script_build:bin gen:gen:lib \
  ffi:ffi:cdylib serde:serde:lib serde_derive:serde_derive:proc-macro; do
  events_of build-cold miss | grep -xF "$label" >/dev/null || fail "cold build: no miss for $label"
done
pass "cold build compiled every crate type ($cold misses)"
"$app" >"$E2E_TMP/app.cold.out" || fail "app (cold) failed"
expect_file_contains "$E2E_TMP/app.cold.out" "answer: 42" "app runs (cold)"
cp "$app" "$E2E_TMP/app.cold"
cp "$ffi" "$E2E_TMP/libffi.cold.so"
cp -a "$CARGO_TARGET_DIR/debug/deps" "$E2E_TMP/deps.cold"

cargo clean -q
kiln_cargo build-warm build || fail "warm build"
expect_all_hits build-warm "warm build after cargo clean"
expect_eq "$cold" "$(count_hits build-warm)" "warm build: one hit per cold compilation"
expect_file_contains "$E2E_TMP/build-warm.err" "kiln: $cold hits, 0 misses" "cargo kiln summary line"
"$app" >"$E2E_TMP/app.warm.out" || fail "app (warm) failed"
cmp -s "$E2E_TMP/app.cold.out" "$E2E_TMP/app.warm.out" || fail "app prints something else after a warm build"
pass "app output identical (cold vs warm)"
cmp "$app" "$E2E_TMP/app.cold" || fail "app binary differs between cold and warm"
cmp "$ffi" "$E2E_TMP/libffi.cold.so" || fail "libffi.so differs between cold and warm"
pass "app and libffi.so byte-identical (cold vs warm)"
diff -r "$E2E_TMP/deps.cold" "$CARGO_TARGET_DIR/debug/deps" >&2 || fail "target/debug/deps differs between cold and warm"
pass "every rustc output in target/debug/deps byte-identical, dep-info included (cold vs warm)"

kiln_cargo build-again build || fail "third build"
expect_file_lacks "$E2E_TMP/build-again.err" "Compiling" "third build is fresh (cargo sees restored outputs as up to date)"
expect_eq 0 "$(($(count_hits build-again) + $(count_misses build-again)))" "third build runs no compilation"

# ---- test ----
kiln_cargo test-cold test || fail "cargo kiln test"
expect_file_contains "$E2E_TMP/test-cold.out" "test result: ok" "cargo kiln test passes"
# New: the test harnesses, and the proc-macro built as a host dependency (cargo test builds it
# without debuginfo, unlike `cargo build` does for a workspace member), so also the app bin
# that links it (for the integration test). The libraries are fresh (cargo does not rerun them).
expect_misses_exactly test-cold \
  "macros:macros:proc-macro app:app:bin app:app:test app:app_it:test greet:greet:test greet:greet_it:test gen:gen:test ffi:ffi:test macros:macros:test" \
  "first cargo kiln test compiles the test harnesses and what differs from cargo build"
cargo clean -q
kiln_cargo test-warm test || fail "cargo kiln test after clean"
expect_all_hits test-warm "cargo kiln test after cargo clean"
n_pass_cold=$(grep -c '^test .* ok$' "$E2E_TMP/test-cold.out" || true)
n_pass_warm=$(grep -c '^test .* ok$' "$E2E_TMP/test-warm.out" || true)
expect_eq "$n_pass_cold" "$n_pass_warm" "same tests pass cold and warm ($n_pass_warm)"
expect_file_lacks "$E2E_TMP/test-warm.out" "FAILED" "no failing test (warm)"

# ---- check ----
cargo clean -q
kiln_cargo check-cold check || fail "cargo kiln check"
[ "$(count_misses check-cold)" -gt 0 ] || fail "first check compiled nothing"
cargo clean -q
kiln_cargo check-warm check || fail "cargo kiln check after clean"
expect_all_hits check-warm "cargo kiln check after cargo clean"

# ---- clippy ----
cargo clean -q
kiln_cargo clippy-cold clippy || fail "cargo kiln clippy"
expect_file_contains "$E2E_TMP/clippy-cold.err" "clippy::needless_bool" "clippy reports the fixture's lint"
cargo clean -q
kiln_cargo clippy-warm clippy || fail "cargo kiln clippy after clean"
expect_all_hits clippy-warm "cargo kiln clippy after cargo clean"
expect_file_contains "$E2E_TMP/clippy-warm.err" "clippy::needless_bool" "clippy's warning replayed on the hit"
expect_file_contains "$E2E_TMP/clippy-warm.err" "src/main.rs:" "replayed warning points at the source (relative path)"

# ---- stats ----
stats=$(kiln_stats_json)
for t in lib bin proc-macro cdylib test; do
  h=$(json_get "$stats" "j['by_crate_type'].get('$t', {}).get('hits', 0)")
  m=$(json_get "$stats" "j['by_crate_type'].get('$t', {}).get('misses', 0)")
  { [ "$h" -gt 0 ] && [ "$m" -gt 0 ]; } || fail "kiln stats by_crate_type[$t]: $h hits, $m misses"
  pass "kiln stats by_crate_type[$t]: $h hits, $m misses"
done

#!/usr/bin/env bash
# The invalidation matrix on the fixture workspace: change one input at a time and check that
# exactly the crates it affects miss, everything else hits, and the program shows the change.
# Inputs: a source file, an include_str! file, an option_env! variable, a feature, RUSTFLAGS,
# the profile, a path dependency's source, the toolchain (stable vs nightly); plus a touched
# source with unchanged content (must still hit). Between cases the change is undone and the
# target dir cleaned, and a last build checks that the undone state hits everywhere.
source "$(dirname "$0")/lib.sh"
e2e_init

ws="$E2E_TMP/ws"
e2e_copy_fixture workspace "$ws"
cd "$ws"
export CARGO_TARGET_DIR="$E2E_TMP/target"

kiln_cargo baseline-cold build || fail "cold build"
cargo clean -q
kiln_cargo baseline build || fail "baseline build"
expect_all_hits baseline "baseline after cargo clean"
all=$(events_of baseline hit | tr '\n' ' ')
"$CARGO_TARGET_DIR/debug/app" >"$E2E_TMP/baseline.app"

# check_case TAG WANT_MISSES PROFILE_DIR WANT_OUTPUT WHAT: the build just run as TAG missed
# exactly WANT_MISSES, and the app it built prints WANT_OUTPUT (absent from the baseline).
check_case() {
  local tag=$1 want=$2 dir=$3 output=$4 what=$5
  expect_misses_exactly "$tag" "$want" "$what: exactly the affected crates miss"
  "$CARGO_TARGET_DIR/$dir/app" >"$E2E_TMP/$tag.app" || fail "$what: app failed"
  if grep -qF -- "$output" "$E2E_TMP/baseline.app"; then fail "$what: '$output' already in the baseline output"; fi
  expect_file_contains "$E2E_TMP/$tag.app" "$output" "$what: the program shows the change"
}

# next_case: undo changes (the fixture's files are copied back) and clean the target dir.
next_case() {
  e2e_copy_fixture workspace "$ws"
  cargo clean -q
}

# 0. touched, unchanged source: the digest matches, no miss.
cargo clean -q
sleep 0.01
touch src/main.rs crates/greet/greeting.txt
kiln_cargo touched build || fail "build after touch"
expect_all_hits touched "touched sources with unchanged content"
next_case

# 1. a source file of the bin.
sed -i 's/println!("answer: {}", r.answer);/println!("answer is {}", r.answer);/' src/main.rs
kiln_cargo source build || fail "source case"
check_case source "app:app:bin" debug "answer is 42" "source file changed"
next_case

# 2. an include_str! file of the lib → the lib and the bin that links it.
echo "hello from the changed greeting.txt" >crates/greet/greeting.txt
kiln_cargo include build || fail "include_str case"
check_case include "greet:greet:lib app:app:bin" debug "hello from the changed greeting.txt" "include_str! file changed"
next_case

# 3. a variable read with option_env! (an env-dep in the dep-info).
kiln_run env env FIXTURE_WHO=kiln-e2e cargo kiln build || fail "env case"
check_case env "greet:greet:lib app:app:bin" debug "(kiln-e2e)" "option_env! variable set"
next_case

# 3b. a variable read with env! that the build script sets (cargo:rustc-env) → the build
# script (its source changed) and its run, the crate reading it, and the bin.
sed -i 's/GEN_STAMP=stamp-1/GEN_STAMP=stamp-2/' crates/gen/build.rs
grep -q GEN_STAMP=stamp-2 crates/gen/build.rs || fail "fixture changed: no GEN_STAMP=stamp-1 in build.rs"
kiln_cargo buildenv build || fail "build-script env case"
check_case buildenv "gen:build_script_build:bin gen:build_script_build:run gen:gen:lib app:app:bin" debug "stamp stamp-2" "env! variable set by build.rs"
next_case

# 4. a feature: the package enabling it and its dependency with the feature.
kiln_cargo feature build --features shout || fail "feature case"
check_case feature "greet:greet:lib app:app:bin" debug "HELLO FROM GREETING.TXT" "--features shout"
next_case

# 5. RUSTFLAGS: every compilation gets --cfg foo. (-Zallow-features= with RUSTC_BOOTSTRAP=1
# too, so that case 6 can build the same on nightly: proc-macro2 1.0.47 enables a nightly
# feature that today's nightly no longer has unless allow-features excludes it.)
flags="--cfg foo -Zallow-features="
kiln_run rustflags env RUSTC_BOOTSTRAP=1 RUSTFLAGS="$flags" cargo kiln build || fail "RUSTFLAGS case"
check_case rustflags "$all" debug "cfg foo: true" "RUSTFLAGS=--cfg foo"
cargo clean -q

# 6. the toolchain: the same build as case 5 with nightly instead of stable (nightly's cargo
# runs cargo-kiln with CARGO pointing at itself) → every crate misses; built again, all hit.
kiln_run nightly env RUSTC_BOOTSTRAP=1 RUSTFLAGS="$flags" cargo +nightly kiln build ||
  { tail -n 30 "$E2E_TMP/nightly.err" >&2; fail "nightly case"; }
check_case nightly "$all" debug "-nightly" "toolchain nightly instead of stable"
cargo clean -q
kiln_run nightly-again env RUSTC_BOOTSTRAP=1 RUSTFLAGS="$flags" cargo +nightly kiln build || fail "nightly again"
expect_all_hits nightly-again "nightly build after cargo clean"
"$CARGO_TARGET_DIR/debug/app" >"$E2E_TMP/nightly-again.app"
expect_file_contains "$E2E_TMP/nightly-again.app" "-nightly" "nightly hit restores nightly's outputs"
next_case

# 7. the profile: --release changes the arguments of every crate (build dependencies get
# -C debug-assertions=off, -C strip=debuginfo); the proc-macro is built twice (as a member with
# the release profile, as a host dependency with build-override's).
kiln_cargo release build --release || fail "release case"
check_case release "$all macros:macros:proc-macro" release "profile: release" "--release"
next_case

# 8. the source of a path dependency of the bin → it and the bin.
sed -i 's/format!("{} ({})", TEXT.trim(), who())/format!("{} <{}>", TEXT.trim(), who())/' crates/greet/src/lib.rs
kiln_cargo dependency build || fail "dependency case"
check_case dependency "greet:greet:lib app:app:bin" debug "<world>" "path dependency's source changed"
next_case

# Everything undone: all hits again, and the program prints what it printed at first.
kiln_cargo final build || fail "final build"
expect_all_hits final "undone changes: all hits again"
"$CARGO_TARGET_DIR/debug/app" >"$E2E_TMP/final.app"
cmp -s "$E2E_TMP/baseline.app" "$E2E_TMP/final.app" || fail "final output differs from the baseline"
pass "final output equals the baseline's"

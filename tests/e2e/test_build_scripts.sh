#!/usr/bin/env bash
# Build-script runs are cached actions (tests/fixtures/buildscripts): after `cargo clean` every
# run hits and restores OUT_DIR, stdout is replayed (cargo's `output` file, -vv directives),
# a second checkout at another path hits too; changing one input — a C source, a header, a
# variable named by rerun-if-env-changed, a file read by a script without rerun-if lines or
# the file list of its package (not a file it never read), a feature, the profile — reruns
# exactly the scripts it concerns; a script that writes outside OUT_DIR is
# never cached; plain `RUSTC_WRAPPER=kiln cargo build` hits the same runs; KILN_DISABLE=1 runs
# everything plainly. Every build's program is compared with
# a plain cargo build's.
source "$(dirname "$0")/lib.sh"
e2e_init

ws="$E2E_TMP/ws"
e2e_copy_fixture buildscripts "$ws"
cd "$ws"
export CARGO_TARGET_DIR="$E2E_TMP/target"

# runs_of TAG OUTCOME: the packages whose build-script run had OUTCOME in TAG, sorted.
runs_of() { events_of "$1" "$2" | awk -F: '$2 == "build_script_build" && ($3 == "run" || $3 ~ /-/) { print $1 }' | sort | tr '\n' ' ' | sed 's/ $//'; }
# expect_runs TAG OUTCOME "PKG…" WHAT
expect_runs() {
  local got
  got=$(runs_of "$1" "$2")
  [ "$got" = "$3" ] || { log_events "$1" >&2; fail "$4: $2 runs [$got], expected [$3]"; }
  pass "$4 ($2: ${3:-none})"
}
# expect_same_program TAG PROFILE_DIR: the app built by kiln prints what plain cargo's prints.
expect_same_program() {
  local tag=$1 dir=${2:-debug} plain_target="$E2E_TMP/plain-target"
  env -u RUSTC_WRAPPER CARGO_TARGET_DIR="$plain_target" cargo build -q ${PLAIN_ARGS:-} $([ "$dir" = release ] && echo --release) ||
    fail "$tag: plain cargo build"
  "$plain_target/$dir/bsapp" >"$E2E_TMP/$tag.plain"
  "$CARGO_TARGET_DIR/$dir/bsapp" >"$E2E_TMP/$tag.kiln" || fail "$tag: kiln's program failed"
  cmp -s "$E2E_TMP/$tag.plain" "$E2E_TMP/$tag.kiln" ||
    { diff "$E2E_TMP/$tag.plain" "$E2E_TMP/$tag.kiln" >&2; fail "$tag: kiln's program differs from plain cargo's"; }
  pass "$tag: the program behaves as plain cargo's"
}
all="bsapp cadd dependent norerun zinfo"  # packages with a build-script run… of the app: none
all="cadd dependent norerun zinfo"

kiln_cargo cold build || fail "cold build"
expect_runs cold miss "$all" "cold: every cacheable run misses"
expect_runs cold not-cached "outside" "cold: the run writing outside OUT_DIR is not cached"
expect_file_contains "$E2E_TMP/cold.log" "writes-outside-out-dir" "cold: with its reason"
expect_same_program cold

cargo clean -q
kiln_cargo warm build || fail "warm build"
expect_runs warm hit "$all" "warm after cargo clean: every cached run hits"
expect_eq 0 "$(count_misses warm)" "warm after cargo clean: no compilation misses"
expect_file_contains "$(ls "$CARGO_TARGET_DIR"/debug/build/cadd-*/output | head -1)" "cargo:answer=42" "warm: cargo got the replayed directives (its output file)"
out=$(ls "$CARGO_TARGET_DIR"/debug/build/cadd-*/out/libcadd.a 2>/dev/null | head -1)
[ -n "$out" ] || fail "warm: OUT_DIR restored (libcadd.a)"
pass "warm: OUT_DIR restored ($out)"
expect_same_program warm
kiln_cargo fresh build -vv || fail "no-op build"
expect_file_lacks "$E2E_TMP/fresh.err" "Running \`" "no-op build after a cached run: nothing reruns"
expect_eq 0 "$(count_hits fresh)" "no-op build: cargo asks kiln nothing"

# A second checkout at another path, its own target dir: the runs hit.
ws2="$E2E_TMP/second/checkout-b"
e2e_copy_fixture buildscripts "$ws2"
(cd "$ws2" && CARGO_TARGET_DIR="$E2E_TMP/target-b" kiln_cargo second build) || fail "second checkout"
expect_runs second hit "$all" "second checkout: every cached run hits"
expect_eq 0 "$(count_misses second)" "second checkout: no compilation misses"
(cd "$ws2" && CARGO_TARGET_DIR="$E2E_TMP/target-b" expect_same_program second) || exit 1

# change CASE "PKG…": after the change, exactly these packages' runs miss.
change() {
  local tag=$1 want=$2
  shift 2
  kiln_run "$tag" "$@" || { tail -30 "$E2E_TMP/$tag.err" >&2; fail "$tag build"; }
  expect_runs "$tag" miss "$want" "$tag: exactly the runs it concerns rerun"
}
sed -i 's/a + b + ADD_BIAS/a + b + ADD_BIAS + 1/' crates/cadd/c/add.c
change csource "cadd" cargo kiln build
expect_same_program csource
sed -i 's/ADD_BIAS 0/ADD_BIAS 10/' crates/cadd/c/add.h
change header "cadd" cargo kiln build
expect_same_program header
change envvar "dependent" env FIXTURE_BS_VAR=set-by-test cargo kiln build
FIXTURE_BS_VAR=set-by-test expect_same_program envvar
echo "norerun data v2" >crates/norerun/data.txt
change norerun "norerun" cargo kiln build
expect_same_program norerun
# norerun's script reads data.txt and lists src/: editing a file it never read is a hit (cargo
# reruns it), a file added or renamed in the package a miss, the earlier list a hit again.
echo "// edited" >>crates/norerun/src/lib.rs
change norerun-unread "" cargo kiln build
expect_runs norerun-unread hit "norerun" "norerun-unread: the run hits"
expect_same_program norerun-unread
echo "// new" >crates/norerun/src/extra.rs
change norerun-added "norerun" cargo kiln build
expect_same_program norerun-added
expect_file_contains "$E2E_TMP/norerun-added.kiln" "norerun files: extra.rs,lib.rs" "norerun-added: the new list reached the program"
mv crates/norerun/src/extra.rs crates/norerun/src/other.rs
change norerun-renamed "norerun" cargo kiln build
expect_same_program norerun-renamed
rm crates/norerun/src/other.rs
change norerun-removed "" cargo kiln build
expect_runs norerun-removed hit "norerun" "norerun-removed: the first list's run hits"
expect_same_program norerun-removed
change feature "dependent" cargo kiln build --features loud
PLAIN_ARGS="--features loud" expect_same_program feature
change release "$all" cargo kiln build --release
expect_same_program release release

# Everything back as it was: all runs hit again. (The copy keeps the fixture's old mtimes:
# touched, so that plain cargo's own freshness check sees the files changed back.)
e2e_copy_fixture buildscripts "$ws"
find "$ws/crates" -type f -exec touch {} +
cargo clean -q
kiln_cargo back build || fail "undone changes"
expect_runs back hit "$all" "changes undone: the first runs hit again"
expect_same_program back

# The same through plain RUSTC_WRAPPER=kiln (no `cargo kiln`): the runs hit.
cargo clean -q
kiln_run wrapper env RUSTC_WRAPPER=kiln cargo build || fail "RUSTC_WRAPPER=kiln build"
expect_runs wrapper hit "$all" "RUSTC_WRAPPER=kiln cargo build: every cached run hits"
expect_same_program wrapper

# KILN_DISABLE=1: the launcher runs the script plainly.
cargo clean -q
kiln_run disabled env KILN_DISABLE=1 cargo kiln build || fail "KILN_DISABLE=1 build"
expect_eq 0 "$(count_hits disabled)" "KILN_DISABLE=1: nothing is looked up"
kiln_run disabled2 env KILN_DISABLE=1 cargo kiln build || fail "KILN_DISABLE=1 rebuild"
expect_same_program disabled

# Plain cargo on a target dir kiln built: the launchers run the scripts as they are.
cargo clean -q
kiln_cargo again build || fail "kiln build before plain cargo"
touch crates/dependent/build.rs
env -u RUSTC_WRAPPER cargo build -q 2>"$E2E_TMP/plain-after.err" || { cat "$E2E_TMP/plain-after.err" >&2; fail "plain cargo after kiln"; }
pass "plain cargo on kiln's target dir builds (the launcher falls back to the script)"

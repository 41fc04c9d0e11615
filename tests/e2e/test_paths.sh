#!/usr/bin/env bash
# Path independence (issue 3) on the fixture workspace:
#   - checkout A builds (own target dir); checkout B at another path, with another target dir
#     and another HOME, sharing A's KILN_DIR → 100% hits, the same program, and no file in
#     B's target dir mentions A's paths;
#   - a panic prints its location as `src/main.rs:LINE:COL`, on a miss and on a hit;
#   - addr2line, run from checkout B, resolves a function of B's binary to its source line;
#   - direct mode: `mod m;` from src/m.rs, then src/m/mod.rs appears → rustc fails with E0761
#     and so must kiln (no stale hit); kiln's result always equals plain cargo's;
#   - a file with the recorded size and mtime but other contents is not a hit;
#   - KILN_REMAP=off: the build works and its outputs are byte-identical to plain cargo's.
source "$(dirname "$0")/lib.sh"
e2e_init

a="$E2E_TMP/checkout-a"
b="$E2E_TMP/elsewhere/deeper/checkout-b"
tgt_a="$E2E_TMP/target-a"
tgt_b="$E2E_TMP/tgt-b"
e2e_copy_fixture workspace "$a"
e2e_copy_fixture workspace "$b"

panic_line=$(grep -n 'panic!("fixture panic' "$a/src/main.rs" | cut -d: -f1)
panic_col=$(($(sed -n "${panic_line}p" "$a/src/main.rs" | awk '{ print index($0, "panic!") }')))
marker_line=$(grep -n '^pub fn fixture_marker' "$a/src/main.rs" | cut -d: -f1)

# expect_panic_location BIN WHAT: `BIN panic` fails and names src/main.rs:LINE:COL.
expect_panic_location() {
  local out="$E2E_TMP/panic.err"
  if "$1" panic 2>"$out" >/dev/null; then fail "$2: the panicking binary exited 0"; fi
  expect_file_contains "$out" "panicked at src/main.rs:$panic_line:$panic_col:" "$2: panic location src/main.rs:$panic_line:$panic_col"
}

# ---- checkout A ----
cd "$a"
CARGO_TARGET_DIR="$tgt_a" kiln_cargo a-cold build || fail "build in A"
[ "$(count_misses a-cold)" -gt 0 ] || fail "A: cold build compiled nothing"
expect_eq 0 "$(count_hits a-cold)" "A: cold build has no hits"
"$tgt_a/debug/app" >"$E2E_TMP/a.app"
expect_panic_location "$tgt_a/debug/app" "A (miss)"

# ---- checkout B: another path, target dir and HOME; the same store ----
mkdir -p "$E2E_TMP/home-b"
cd "$b"
HOME="$E2E_TMP/home-b" CARGO_TARGET_DIR="$tgt_b" kiln_cargo b build || fail "build in B"
expect_all_hits b "B at another path, target dir and HOME"
expect_eq "$(count_misses a-cold)" "$(count_hits b)" "B: one hit per compilation of A"
"$tgt_b/debug/app" >"$E2E_TMP/b.app"
cmp -s "$E2E_TMP/a.app" "$E2E_TMP/b.app" || fail "B's app prints something else than A's"
pass "B's program prints what A's printed"
cmp "$tgt_a/debug/app" "$tgt_b/debug/app" || fail "B's app binary differs from A's"
pass "B's app binary byte-identical to A's"
expect_panic_location "$tgt_b/debug/app" "B (hit)"
if grep -rlF -e "$a" -e "$tgt_a" "$tgt_b" >"$E2E_TMP/leaks"; then
  head -n 10 "$E2E_TMP/leaks" >&2
  fail "B's target dir mentions A's paths"
fi
pass "no file in B's target dir mentions A's checkout or target dir"

# Tests too: app_it reads env!("CARGO_BIN_EXE_app"), an absolute path into the target dir, so
# its harness is path-bound: it must miss in B (not run A's binary); everything else hits.
cd "$a"
CARGO_TARGET_DIR="$tgt_a" kiln_cargo a-test test || fail "cargo kiln test in A"
cd "$b"
HOME="$E2E_TMP/home-b" CARGO_TARGET_DIR="$tgt_b" kiln_cargo b-test test || fail "cargo kiln test in B"
expect_file_contains "$E2E_TMP/b-test.out" "test app_prints_answer ... ok" "B: cargo kiln test passes"
expect_misses_exactly b-test "app:app_it:test" "B: cargo kiln test misses only the path-bound harness"
if grep -rlF -e "$a" -e "$tgt_a" "$tgt_b" >"$E2E_TMP/leaks"; then
  head -n 10 "$E2E_TMP/leaks" >&2
  fail "B's target dir mentions A's paths after cargo kiln test"
fi
pass "no file in B's target dir mentions A's paths after cargo kiln test"

# addr2line from checkout B: the marker function's address → src/main.rs:LINE.
addr=$(nm "$tgt_b/debug/app" | awk '$3 == "fixture_marker" { print $1 }')
[ -n "$addr" ] || fail "nm: no fixture_marker in B's app"
loc=$(addr2line -e "$tgt_b/debug/app" "0x$addr")
file=${loc%%:*} line=${loc#*:}
line=${line%% *}
case "$file" in */src/main.rs | src/main.rs) ;; *) fail "addr2line: '$loc' is not src/main.rs" ;; esac
case "$file" in "$a"*) fail "addr2line: '$loc' names checkout A" ;; esac
[ -f "$file" ] || fail "addr2line: '$file' does not exist from checkout B"
expect_eq "$marker_line" "$line" "addr2line from B resolves fixture_marker to $loc"

# ---- direct mode: a module file that appears next to the one used ----
# plain_cargo TAG ARGS…: cargo without kiln (cargo's defaults, as under cargo kiln: workspace
# members incremental), with CARGO_TARGET_DIR as set by the caller.
plain_cargo() {
  local tag=$1
  shift
  local rc=0
  env -u RUSTC_WRAPPER cargo "$@" >"$E2E_TMP/$tag.out" 2>"$E2E_TMP/$tag.err" || rc=$?
  return $rc
}
export CARGO_TARGET_DIR="$tgt_b"
mkdir -p src/m
echo 'pub const MODULE: &str = "m/mod.rs";' >src/m/mod.rs
cargo clean -q
rc_kiln=0
kiln_run ambiguous cargo kiln build || rc_kiln=$?
# Plain cargo keeps its own target dir (no cargo clean: app failed, so cargo runs rustc again).
tgt_plain="$E2E_TMP/tgt-plain"
rc_plain=0
CARGO_TARGET_DIR="$tgt_plain" plain_cargo ambiguous-plain build || rc_plain=$?
[ "$rc_plain" -ne 0 ] || fail "plain cargo accepted src/m.rs and src/m/mod.rs (fixture assumption broken)"
expect_file_contains "$E2E_TMP/ambiguous-plain.err" "E0761" "plain cargo: E0761 with src/m.rs and src/m/mod.rs"
[ "$rc_kiln" -ne 0 ] || fail "kiln built with both src/m.rs and src/m/mod.rs (a stale hit)"
expect_file_contains "$E2E_TMP/ambiguous.err" "E0761" "kiln: E0761 too (no stale hit)"
if events_of ambiguous hit | grep '^app:app:' >/dev/null; then fail "kiln reported a hit for app with E0761"; fi
pass "kiln reported no hit for app with E0761"

# Only src/m/mod.rs: the module now comes from it.
rm src/m.rs
cargo clean -q
kiln_cargo only-mod build || fail "build with src/m/mod.rs only"
"$tgt_b/debug/app" >"$E2E_TMP/only-mod.app"
expect_file_contains "$E2E_TMP/only-mod.app" "module: m/mod.rs" "kiln with src/m/mod.rs only: the module is m/mod.rs"
expect_misses_exactly only-mod "app:app:bin" "only the app misses with src/m/mod.rs"
CARGO_TARGET_DIR="$tgt_plain" plain_cargo only-mod-plain build || fail "plain cargo with src/m/mod.rs only"
"$tgt_plain/debug/app" >"$E2E_TMP/only-mod-plain.app"
cmp -s "$E2E_TMP/only-mod.app" "$E2E_TMP/only-mod-plain.app" || fail "kiln's app prints something else than plain cargo's"
pass "kiln's app prints what plain cargo's prints (src/m/mod.rs only)"

# Back to src/m.rs only: a hit again, the original module.
rm -r src/m
cp "$a/src/m.rs" src/m.rs
cargo clean -q
kiln_cargo back build || fail "build with src/m.rs back"
expect_all_hits back "src/m.rs back: all hits"
"$tgt_b/debug/app" >"$E2E_TMP/back.app"
expect_file_contains "$E2E_TMP/back.app" "module: m.rs" "src/m.rs back: the module is m.rs"

# Same path, size and mtime, other contents (mtimes are copied by tar, cp -p, rsync -t, and
# normalized by Nix or SOURCE_DATE_EPOCH): the stat shortcut must not vouch for the contents.
sed -i 's/hello/HELLO/' crates/greet/greeting.txt
touch -r "$a/crates/greet/greeting.txt" crates/greet/greeting.txt
cmp -s crates/greet/greeting.txt "$a/crates/greet/greeting.txt" && fail "greeting.txt unchanged"
cargo clean -q
kiln_cargo same-mtime build || fail "build with a same-size, same-mtime edit"
expect_misses_exactly same-mtime "greet:greet:lib app:app:bin" "same size and mtime, new contents: the crate misses"
"$tgt_b/debug/app" >"$E2E_TMP/same-mtime.app"
expect_file_contains "$E2E_TMP/same-mtime.app" "greeting: HELLO from greeting.txt" "same size and mtime: the program shows the new contents"
cp -p "$a/crates/greet/greeting.txt" crates/greet/greeting.txt
cargo clean -q
kiln_cargo same-mtime-back build || fail "build with greeting.txt restored"
expect_all_hits same-mtime-back "greeting.txt restored (cp -p): all hits"
unset CARGO_TARGET_DIR

# ---- KILN_REMAP=off: plain cargo's outputs ----
# Non-incremental on both sides: incremental outputs differ from build to build even without
# kiln (object names carry the incremental session), so only these can be compared by bytes.
cd "$a"
export CARGO_TARGET_DIR="$tgt_a" CARGO_INCREMENTAL=0
cargo clean -q
plain_cargo plain build || fail "plain cargo build"
cp -a "$tgt_a/debug/deps" "$E2E_TMP/deps.plain"
cargo clean -q
KILN_REMAP=off kiln_cargo remap-off build || fail "KILN_REMAP=off build"
[ "$(count_misses remap-off)" -gt 0 ] || fail "KILN_REMAP=off: expected misses (a different key)"
diff -r "$E2E_TMP/deps.plain" "$tgt_a/debug/deps" >&2 || fail "KILN_REMAP=off (miss): outputs differ from plain cargo's"
pass "KILN_REMAP=off (miss): every output in deps/ byte-identical to plain cargo's"
expect_panic_location "$tgt_a/debug/app" "KILN_REMAP=off (miss)"
cargo clean -q
KILN_REMAP=off kiln_cargo remap-off-warm build || fail "KILN_REMAP=off warm build"
expect_all_hits remap-off-warm "KILN_REMAP=off after cargo clean"
diff -r "$E2E_TMP/deps.plain" "$tgt_a/debug/deps" >&2 || fail "KILN_REMAP=off (hit): outputs differ from plain cargo's"
pass "KILN_REMAP=off (hit): every output in deps/ byte-identical to plain cargo's"

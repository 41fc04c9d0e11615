#!/usr/bin/env bash
# Hits hard-link rustc's larger outputs to the local store's plain blob files
# (src/store/local/blob_link.h), and that never serves a wrong result:
#   - after `cargo clean`, every hit restores; large rlibs share their inode with a store blob;
#     dep-info files never do; the app behaves as plain cargo's;
#   - an output rewritten in place (which changes the blob through the link) is noticed at the
#     next hit in another checkout: a miss for that crate, the blob removed, the app correct;
#   - editing a member after a linked restore: the miss writes new files, the store's blobs are
#     unchanged (`kiln cache verify` clean);
#   - KILN_HARD_LINKS=0 copies.
source "$(dirname "$0")/lib.sh"
e2e_init

ws="$E2E_TMP/ws"
e2e_copy_fixture workspace "$ws"
cd "$ws"
export CARGO_TARGET_DIR="$E2E_TMP/target"

# linked_outputs DIR: output files in DIR/debug/deps that share an inode with a store blob.
linked_outputs() {
  local blobs
  blobs=$(find "$KILN_DIR/cas" -type f -printf '%i\n' | sort -u)
  find "$1/debug/deps" -type f -printf '%i %p\n' | sort | join - <(echo "$blobs") | cut -d' ' -f2-
}
# same_program TAG DIR: the app in DIR prints what plain cargo's prints.
plain_out=""
same_program() {
  if [ -z "$plain_out" ]; then
    env -u RUSTC_WRAPPER CARGO_TARGET_DIR="$E2E_TMP/plain-target" cargo build -q || fail "plain cargo build"
    plain_out=$("$E2E_TMP/plain-target/debug/app")
  fi
  expect_eq "$plain_out" "$("$2/debug/app")" "$1: the app behaves as plain cargo's"
}

kiln_cargo cold build || fail "cold build"
"$KILN_BIN" cache wait >/dev/null
cargo clean -q
kiln_cargo warm build || fail "warm build"
expect_all_hits warm "after cargo clean, from the store"
linked=$(linked_outputs "$CARGO_TARGET_DIR")
[ "$(echo "$linked" | grep -c '\.rlib$')" -ge 3 ] || { echo "$linked" >&2; fail "rlibs restored as hard links"; }
pass "$(echo "$linked" | grep -c '\.rlib$') rlibs share their inode with a store blob"
echo "$linked" | grep -q '\.d$' && fail "a dep-info file is linked (rustc rewrites those in place)"
pass "no dep-info file is linked"
same_program warm "$CARGO_TARGET_DIR"

# An output rewritten in place: the blob changes with it, and the next hit notices.
victim=$(echo "$linked" | grep '/libserde-.*\.rlib$' | head -1)
[ -n "$victim" ] || fail "serde's rlib is linked"
printf 'XXXX' | dd of="$victim" bs=1 seek=2000 conv=notrunc status=none
ws2="$E2E_TMP/second/checkout"
e2e_copy_fixture workspace "$ws2"
(cd "$ws2" && CARGO_TARGET_DIR="$E2E_TMP/target-2" kiln_cargo second build) || fail "second checkout"
expect_file_contains "$E2E_TMP/second.err" "corrupt store file removed" "the changed blob is found at the next hit"
expect_misses_exactly second "serde:serde:lib" "only serde misses (its rlib is compiled again)"
same_program second "$E2E_TMP/target-2"
"$KILN_BIN" cache wait >/dev/null

# Editing a member after a linked restore: rustc writes new files; the store is unchanged.
cargo clean -q
kiln_cargo warm2 build || fail "warm build before the edit"
echo 'pub fn edited() -> u32 { 7 }' >>crates/greet/src/lib.rs
kiln_cargo edited build || fail "build after the edit"
"$KILN_BIN" cache wait >/dev/null
"$KILN_BIN" cache verify >"$E2E_TMP/verify.out" 2>&1 || { cat "$E2E_TMP/verify.out" >&2; fail "kiln cache verify"; }
expect_file_contains "$E2E_TMP/verify.out" "damaged: 0 entries, 0 blobs" "after the edit's misses every blob still matches"
same_program edited "$CARGO_TARGET_DIR"

# KILN_HARD_LINKS=0: copies.
cargo clean -q
KILN_HARD_LINKS=0 kiln_cargo copies build || fail "build with KILN_HARD_LINKS=0"
expect_all_hits copies "with KILN_HARD_LINKS=0, hits"
expect_eq "" "$(linked_outputs "$CARGO_TARGET_DIR")" "and no output shares an inode with the store"

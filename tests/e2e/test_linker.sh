#!/usr/bin/env bash
# KILN_LINKER=mold|lld on the fixture workspace: the binaries are linked by that linker (its
# name in .comment), the choice is part of the key (switching misses the linking crates and
# what depends on them, switching back hits), and the outputs run.
source "$(dirname "$0")/lib.sh"
e2e_init
e2e_copy_fixture workspace "$E2E_TMP/ws"
cd "$E2E_TMP/ws"
# The linker named in app's .comment ("mold 1.10.1", "LLD 14.0.6"; rustc ≥ 1.90 links with its
# own rust-lld by default on x86_64 Linux, "LLD 22…"), else "gnu-ld".
linked_by() { readelf -p .comment target/debug/app | grep -o -m1 -e 'mold [0-9.]*' -e 'LLD [0-9.]*' || echo gnu-ld; }

kiln_cargo default build
default=$(linked_by)
pass "without KILN_LINKER, app is linked by rustc's default ($default)"
for linker in mold lld; do
  command -v "$( [ $linker = mold ] && echo mold || echo ld.lld )" >/dev/null || fail "$linker is not installed"
  cargo clean
  KILN_LINKER=$linker kiln_cargo "$linker" build
  got=$(linked_by)
  # (for lld, rustc's own rust-lld may answer -fuse-ld=lld: it is lld too)
  case "$linker:$got" in mold:mold* | lld:LLD*) true ;; *) false ;; esac ||
    fail "KILN_LINKER=$linker: app linked by $got (default: $default)"
  pass "KILN_LINKER=$linker links app with $got"
  expect_eq 1 "$(events_of "$linker" miss | grep -c '^app:app:bin$' || true)" "KILN_LINKER=$linker: app misses (its key differs)"
  ./target/debug/app >/dev/null || fail "app linked by $linker runs"
done
cargo clean
kiln_cargo back build
expect_all_hits back "back to the default linker: all hits"
expect_eq "$default" "$(linked_by)" "and app is the default linker's again"

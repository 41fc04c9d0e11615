#!/usr/bin/env bash
# `kiln doctor`: a working setup has no problems; a RUSTC_WRAPPER it would replace and an
# unused mold are notes with their fix; a dead remote, a store that cannot be made, and
# cargo-kiln missing from PATH are problems (exit 1) with their fix.
source "$(dirname "$0")/lib.sh"
e2e_init
doctor() { local tag=$1; shift; local rc=0; env "$@" "$KILN_BIN" doctor >"$E2E_TMP/$tag.out" 2>&1 || rc=$?; echo $rc; }

expect_eq 0 "$(doctor ok)" "a working setup: exit 0"
expect_file_contains "$E2E_TMP/ok.out" "kiln doctor: no problems" "and no problems"
expect_file_contains "$E2E_TMP/ok.out" "kiln-rustdoc beside kiln" "kiln-rustdoc is found beside kiln (cargo kiln doc)"
expect_file_contains "$E2E_TMP/ok.out" "ok    store $KILN_DIR: writable" "the store is checked"
expect_file_contains "$E2E_TMP/ok.out" "ok    toolchain: rustc " "the toolchain is identified"
expect_eq 0 "$(doctor sccache RUSTC_WRAPPER=/usr/bin/sccache)" "another RUSTC_WRAPPER is a note, not a problem"
expect_file_contains "$E2E_TMP/sccache.out" "RUSTC_WRAPPER=/usr/bin/sccache is set: \`cargo kiln\` replaces it" "and says so"
if command -v mold >/dev/null; then
  expect_file_contains "$E2E_TMP/ok.out" "mold is installed but unused" "an unused mold is suggested"
  expect_file_lacks "$(doctor mold KILN_LINKER=mold >/dev/null; echo "$E2E_TMP/mold.out")" "unused" "not when KILN_LINKER=mold"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_eq 1 "$(doctor dead KILN_REMOTE=redis://127.0.0.1:$port)" "a dead remote is a problem"
expect_file_contains "$E2E_TMP/dead.out" "FAIL  remote redis://127.0.0.1:$port" "named"
expect_file_contains "$E2E_TMP/dead.out" "→ start it" "with the fix"
touch "$E2E_TMP/file"
expect_eq 1 "$(doctor nostore KILN_DIR=$E2E_TMP/file/store)" "a store that cannot be made is a problem"
expect_eq 1 "$(doctor nopath PATH=/usr/bin:/bin)" "cargo-kiln missing from PATH is a problem"
expect_file_contains "$E2E_TMP/nopath.out" "cargo-kiln is not on PATH" "and says which"

# Shared helpers for kiln's end-to-end scripts (source it; it is not a test itself).
#
#   source "$(dirname "$0")/lib.sh"
#   e2e_init                       # temp dir $E2E_TMP (removed on exit), KILN_DIR, PATH
#   e2e_copy_fixture workspace "$E2E_TMP/a"
#   kiln_cargo cold build          # `cargo kiln build`, KILN_LOG=$E2E_TMP/cold.log,
#                                  # stdout/stderr in $E2E_TMP/cold.out / cold.err
#   expect_eq 0 "$(count_misses cold)" "warm build misses"
#
# Invocations in a KILN_LOG are labelled `package:crate:crate-type` (e.g. `gen:build_script_build:bin`,
# `app:app:test`), from kiln's debug lines: `crate <name> pre-key …`, the pre-key's
# `  env: CARGO_PKG_NAME=…` line, then `hit <crate> <type> …` / `miss <crate> <type>` /
# `not-cached <crate> <reason>: …`, all prefixed with `[pid] `.
#
# Needs: bash, coreutils, python3 (JSON), the Rust toolchain in ~/.cargo/bin, and the ctest
# environment (KILN_BIN = the kiln binary, with the cargo-kiln symlink beside it;
# KILN_SOURCE_DIR = the repository root).

# Sets up a test: strict mode, PATH (rustup's cargo first, then kiln's build dir), a private
# temp dir $E2E_TMP removed on exit (kept when E2E_KEEP=1), a private store KILN_DIR, and an
# environment free of settings that would change what cargo or kiln do.
e2e_init() {
  set -euo pipefail
  : "${KILN_BIN:?KILN_BIN must name the kiln binary (ctest sets it)}"
  : "${KILN_SOURCE_DIR:?KILN_SOURCE_DIR must name the repository root (ctest sets it)}"
  KILN_BIN=$(readlink -f "$KILN_BIN")
  E2E_KILN_BIN_DIR=$(dirname "$KILN_BIN")
  [ -x "$E2E_KILN_BIN_DIR/cargo-kiln" ] || { echo "FAIL: no cargo-kiln beside $KILN_BIN" >&2; exit 1; }
  export PATH="$HOME/.cargo/bin:$E2E_KILN_BIN_DIR:$PATH"
  # Keep the real toolchain reachable if a test changes HOME.
  export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
  unset RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER RUSTC RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_TARGET_DIR \
    CARGO_BUILD_TARGET_DIR CARGO_INCREMENTAL KILN_LOG KILN_REMAP KILN_DISABLE KILN_REMOTE KILN_UPLOAD \
    KILN_CACHE_SIZE KILN_SESSION KILN_BACKGROUND_STORE RUSTUP_TOOLCHAIN KILN_EXECUTOR KILN_BUILDKIT_CLIENT \
    KILN_BUILDKIT_IMAGE KILN_REMOTE_ENV KILN_ACTION_LOG KILN_DOCKER RUSTDOC KILN_RUSTDOC KILN_DOC_ROOTS_FILE KILN_HARD_LINKS
  export CARGO_TERM_COLOR=never CARGO_TERM_PROGRESS_WHEN=never
  E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kiln-e2e.XXXXXX")
  E2E_TMP=$(readlink -f "$E2E_TMP")
  trap e2e_cleanup EXIT
  export KILN_DIR="$E2E_TMP/store"
  E2E_CHECKS=0
}

# e2e_cleanup [RC]: the EXIT trap (RC: the exit status, for traps that ran commands first).
e2e_cleanup() {
  local rc=${1:-$?}
  # Results still being stored in the background would write into the dir being removed.
  [ -d "${KILN_DIR:-}" ] && "$KILN_BIN" cache wait >/dev/null 2>&1 || true
  if [ "${E2E_KEEP:-0}" = 1 ] || { [ $rc -ne 0 ] && [ "${E2E_KEEP_ON_FAIL:-0}" = 1 ]; }; then
    echo "e2e: kept $E2E_TMP" >&2
  else
    rm -rf "$E2E_TMP"
  fi
  if [ $rc -eq 0 ]; then echo "e2e: $E2E_CHECKS checks passed"; else echo "e2e: FAILED (exit $rc)" >&2; fi
  exit $rc
}

# e2e_copy_fixture NAME DEST: copies tests/fixtures/NAME to DEST (without any target dir).
e2e_copy_fixture() {
  local src="$KILN_SOURCE_DIR/tests/fixtures/$1"
  [ -d "$src" ] || { echo "FAIL: no fixture $src" >&2; exit 1; }
  e2e_copy_corpus "$src" "$2"
}

# e2e_copy_corpus SRC DEST: copies a prepared corpus app (scripts/prepare-debian-app.sh) to DEST
# without its target dir: a build someone ran in the shared corpus copy must not make a test's
# cold build fresh (CI once saw "0 misses" that way).
e2e_copy_corpus() {
  mkdir -p "$2"
  (cd "$1" && tar --exclude=./target -cf - .) | (cd "$2" && tar -xf -)
}

# kiln_run TAG COMMAND…: runs COMMAND with KILN_LOG=$E2E_TMP/TAG.log (truncated first),
# stdout to $E2E_TMP/TAG.out and stderr to $E2E_TMP/TAG.err. Returns COMMAND's exit code.
kiln_run() {
  local tag=$1
  shift
  : >"$E2E_TMP/$tag.log"
  local rc=0
  KILN_LOG="$E2E_TMP/$tag.log" "$@" >"$E2E_TMP/$tag.out" 2>"$E2E_TMP/$tag.err" || rc=$?
  return $rc
}

# kiln_cargo TAG ARGS…: `cargo kiln ARGS…` through kiln_run; on failure prints its stderr.
kiln_cargo() {
  local tag=$1
  shift
  local rc=0
  kiln_run "$tag" cargo kiln "$@" || rc=$?
  if [ $rc -ne 0 ]; then
    echo "e2e: 'cargo kiln $*' exited $rc; stderr:" >&2
    tail -n 40 "$E2E_TMP/$tag.err" >&2
  fi
  return $rc
}

# log_events TAG: one line per cached-or-not invocation in TAG's log: "OUTCOME LABEL"
# (OUTCOME: hit, miss, not-cached; LABEL: package:crate:crate-type, or
# package:crate:REASON for not-cached), sorted.
log_events() {
  awk '
    match($0, /^\[[0-9]+\] /) {
      pid = substr($0, 2, RLENGTH - 3); rest = substr($0, RLENGTH + 1)
      n = split(rest, w, / /)
      if (w[1] == "crate" && w[3] == "pre-key") { pkg[pid] = "?"; next }
      if (rest ~ /^  env: CARGO_PKG_NAME=/) { sub(/^  env: CARGO_PKG_NAME=/, "", rest); pkg[pid] = rest; next }
      p = (pid in pkg) ? pkg[pid] : "?"
      if (w[1] == "hit" && w[2] == "not" && w[3] == "restorable,") next  # "hit not restorable, running it: …"
      if (w[1] == "hit" || w[1] == "miss") { print w[1], p ":" w[2] ":" w[3]; delete pkg[pid] }
      else if (w[1] == "not-cached") { r = w[3]; sub(/:$/, "", r); print "not-cached", p ":" w[2] ":" r; delete pkg[pid] }
    }' "$E2E_TMP/$1.log" | sort
}

# events_of TAG OUTCOME: the labels of TAG's invocations with OUTCOME, sorted (one per line).
events_of() { log_events "$1" | awk -v o="$2" '$1 == o { print $2 }'; }
count_hits() { events_of "$1" hit | wc -l; }
count_misses() { events_of "$1" miss | wc -l; }
# Not-cached invocations other than cargo's probes (`rustc -vV`, `rustc - --crate-name ___ --print …`)
# and doctest runs (`cargo test` runs rustdoc --test; kiln passes a test run through).
count_uncached() { events_of "$1" not-cached | { grep -v -e ':probe$' -e ':___:' -e ':doctest$' || true; } | wc -l; }

# kiln_stats_json: `kiln stats --json` for $KILN_DIR.
kiln_stats_json() { "$KILN_BIN" stats --json; }

# json_get JSON PYTHON-EXPR: evaluates EXPR with `j` bound to the parsed JSON, prints it.
json_get() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# ---- assertions: each prints "ok: …" and counts, or prints the failure and exits 1 ----

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

pass() {
  E2E_CHECKS=$((E2E_CHECKS + 1))
  echo "ok: $*"
}

# expect_eq EXPECTED ACTUAL WHAT
expect_eq() {
  [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
  pass "$3"
}

# expect_file_contains FILE FIXED-STRING WHAT
expect_file_contains() {
  grep -qF -- "$2" "$1" || {
    echo "--- $1:" >&2
    tail -n 30 "$1" >&2
    fail "$3: '$2' not found"
  }
  pass "$3"
}

# expect_file_lacks FILE FIXED-STRING WHAT
expect_file_lacks() {
  if grep -qF -- "$2" "$1"; then
    grep -F -- "$2" "$1" | head -n 5 >&2
    fail "$3: '$2' found"
  fi
  pass "$3"
}

# expect_all_hits TAG WHAT: TAG's log has hits, no misses, no uncached compilations.
expect_all_hits() {
  local h m u
  h=$(count_hits "$1") m=$(count_misses "$1") u=$(count_uncached "$1")
  if [ "$m" -ne 0 ] || [ "$u" -ne 0 ] || [ "$h" -eq 0 ]; then
    log_events "$1" | grep -v '^hit ' >&2 || true
    fail "$2: $h hits, $m misses, $u not cached (expected all hits)"
  fi
  pass "$2 ($h hits)"
}

# expect_misses_exactly TAG "LABEL…" WHAT: TAG's misses are exactly these labels (a multiset,
# order free), everything else hit, nothing uncached.
expect_misses_exactly() {
  local tag=$1 want=$2 what=$3 got exp u
  got=$(events_of "$tag" miss | tr '\n' ' ' | sed 's/ $//')
  exp=$(printf '%s\n' $want | sort | tr '\n' ' ' | sed 's/ $//')
  u=$(count_uncached "$tag")
  if [ "$got" != "$exp" ] || [ "$u" -ne 0 ]; then
    echo "--- $tag events:" >&2
    log_events "$tag" >&2
    fail "$what: misses [$got], expected [$exp]; $u not cached"
  fi
  pass "$what (misses: $exp; $(count_hits "$tag") hits)"
}

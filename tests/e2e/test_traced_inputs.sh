#!/usr/bin/env bash
# Zero wrong hits for inputs that rustc's dep-info does not name: whatever the compilation
# (rustc, a proc-macro, a build script's link instructions, the linker) really read must decide
# the hit. Each class changes one such input and checks that kiln's program behaves exactly as
# plain cargo's — in the same checkout, and in a second checkout at another path with a fresh
# target dir sharing the same store. Fixtures: tests/fixtures/traced/.
#
#   1  link inputs: a static lib bundled in a -sys rlib (a), #[link] in the source (b),
#      static:+verbatim (c), static:-bundle (d), a lib found through LIBRARY_PATH (e), an object
#      file and a response file passed with cargo:rustc-link-arg (f-obj, f-rsp), a linker map
#      file as a side output that a hit must restore (g)
#   2  files outside the workspace (include_str!, #[path] mod) — a second checkout has its own
#   3  values derived from the machine path (env!("CARGO_MANIFEST_DIR") and only its length)
#   4  the toolchain behind rustup's proxy: RUSTUP_TOOLCHAIN (a), rust-toolchain.toml (b),
#      RUSTC=rustc, a bare name found on PATH, must be cached (c); the same rustc command line
#      through kiln without cargo, whose -C metadata would differ by toolchain (d)
#   5  clippy.toml in the package dir (a) or a parent dir (b): appears, changes
#   6  a proc-macro that reads a file and an environment variable while it expands
#   7  -C target-cpu=native builds and hits after cargo clean
#   8  a hit replays rustc's warnings byte for byte
#   9  per-crate opt-out: [package.metadata.kiln] cache = false, KILN_NO_CACHE=crate
#
# How a step is checked (check_build): the files of the checkout are touched first (contents
# unchanged), so that cargo runs rustc — through kiln — for every crate again: several inputs
# here (a proc-macro's reads, a new clippy.toml) are ones cargo itself does not track, and the
# question is what kiln answers when asked, not whether cargo asks. The same checkout is then
# built with plain cargo (no wrapper, CARGO_INCREMENTAL=0 like `cargo kiln`, its own target
# dir); plain cargo's program must print what the test expects (otherwise the test is wrong:
# "test bug"), and kiln's must print the same (otherwise: "wrong output", kiln served outputs
# of other inputs). A wrong output does not stop the class: its later steps still run (each
# step's verdict does not depend on the store's history), the class fails at its end.
#
# Environment:
#   TRACED_ONLY="3 5"   run only these classes (a class number selects all its cases: "1" →
#                       1a…1g; "1f" → 1f-obj, 1f-rsp; or name one case: "4c")
#   TRACED_SELFCHECK=1  run with KILN_DISABLE=1 (kiln passes rustc through): every output
#                       comparison must then pass, which shows that a failure with kiln on is
#                       kiln's, not the test's; checks of hit counts are skipped
# Each case (1a, 1b, …, 9) has its own store (KILN_DIR), shared by its checkouts.
# shellcheck source=lib.sh disable=SC2016,SC2153
source "$(dirname "$0")/lib.sh"
e2e_init

ONLY=${TRACED_ONLY:-}
SELFCHECK=${TRACED_SELFCHECK:-0}
FAILURES="$E2E_TMP/failures"
: >"$FAILURES"
export CARGO_INCREMENTAL=0
[ "$SELFCHECK" = 1 ] && export KILN_DISABLE=1

# lib.sh's fail, also noting the message for the summary: a failure that ends the class (a
# build that fails, a test bug).
fail() {
  echo "FAIL: $*" >&2
  echo "${CASE:-main}: $*" >>"$FAILURES"
  exit 1
}

# wrong MESSAGE: kiln behaved otherwise than plain cargo; noted, the class goes on and fails at
# its end.
wrong() {
  echo "FAIL: $*" >&2
  echo "$CASE: $*" >>"$FAILURES"
  CASE_WRONG=$((CASE_WRONG + 1))
}

# ---- helpers ----

# copy_fixture NAME DEST: tests/fixtures/traced/NAME copied to DEST.
copy_fixture() { e2e_copy_fixture "traced/$1" "$2"; }

# touch_tree DIR: every file of the checkout gets a new mtime, contents unchanged.
touch_tree() { find "$1" -type f -exec touch {} +; }

# set_c_value FILE N: the C function in FILE returns N.
set_c_value() {
  sed -i -E "s/return [0-9]+;/return $2;/" "$1"
  grep -q "return $2;" "$1" || fail "fixture changed: no 'return N;' in $1"
}

# kiln_in TAG DIR CARGO-ARGS…: `cargo kiln CARGO-ARGS…` in DIR with CARGO_TARGET_DIR=DIR-target
# (lib.sh's kiln_cargo: log, stdout and stderr as $E2E_TMP/TAG.*).
kiln_in() {
  local tag=$1 dir=$2
  shift 2
  (cd "$dir" && CARGO_TARGET_DIR="$dir-target" kiln_cargo "$tag" "$@")
}

# plain_in TAG DIR CARGO-ARGS…: plain cargo (no wrapper) in DIR with CARGO_TARGET_DIR=DIR-plain;
# stdout and stderr as $E2E_TMP/TAG.out / .err.
plain_in() {
  local tag=$1 dir=$2 rc=0
  shift 2
  (cd "$dir" && env -u RUSTC_WRAPPER CARGO_TARGET_DIR="$dir-plain" cargo "$@") \
    >"$E2E_TMP/$tag.out" 2>"$E2E_TMP/$tag.err" || rc=$?
  return $rc
}

# build_both TAG DIR CARGO-BUILD-ARGS…: touches DIR, builds it with kiln (DIR-target), then
# with plain cargo (DIR-plain).
build_both() {
  local tag=$1 dir=$2
  shift 2
  touch_tree "$dir"
  kiln_in "$tag" "$dir" build "$@" || fail "$tag: cargo kiln build failed"
  plain_in "$tag-plain" "$dir" build "$@" || {
    tail -n 30 "$E2E_TMP/$tag-plain.err" >&2
    fail "$tag: plain cargo build failed (test bug)"
  }
}

# outcome TAG: "N hits, M misses" of TAG's build, and which crates hit.
outcome() { echo "$(count_hits "$1") hits [$(events_of "$1" hit | tr '\n' ' ' | sed 's/ $//')], $(count_misses "$1") misses"; }

# check_bin TAG DIR BIN WANT: after build_both TAG DIR: plain cargo's BIN prints WANT (else
# test bug) and kiln's BIN prints the same. WANT "glob:PATTERN": plain's output must match
# the shell pattern, kiln's must equal plain's.
check_bin() {
  local tag=$1 dir=$2 bin=$3 want=$4 plain got
  plain=$("$dir-plain/debug/$bin" 2>&1) || fail "$tag: plain cargo's $bin failed (test bug): $plain"
  if [[ $want == glob:* ]]; then
    # shellcheck disable=SC2053
    [[ $plain == ${want#glob:} ]] || fail "$tag: plain cargo's $bin prints '$plain', not '${want#glob:}' (test bug)"
    want=$plain
  fi
  [ "$plain" = "$want" ] || fail "$tag: plain cargo's $bin prints '$plain', the test expects '$want' (test bug)"
  got=$("$dir-target/debug/$bin" 2>&1) || {
    wrong "$tag: kiln's $bin fails: $got ($(outcome "$tag"))"
    return 0
  }
  if [ "$got" != "$want" ]; then
    wrong "$tag: wrong output: kiln's $bin prints '$got', plain cargo's '$want' ($(outcome "$tag"))"
    return 0
  fi
  pass "$tag: kiln's $bin prints '$want', as plain cargo's ($(outcome "$tag"))"
}

# check_build TAG DIR BIN WANT [CARGO-BUILD-ARGS…]: build_both, then check_bin.
check_build() {
  local tag="$CASE-$1" dir=$2 bin=$3 want=$4
  shift 4
  build_both "$tag" "$dir" "$@"
  check_bin "$tag" "$dir" "$bin" "$want"
}

# kiln_warning TAG: kiln's first warning in TAG's stderr, if any.
kiln_warning() { { grep -m 1 '^kiln: warning' "$E2E_TMP/$1.err" || true; } | cut -c 1-200; }

# check_all_hits TAG WHAT: TAG's build had hits only (skipped in self-check mode).
check_all_hits() {
  if [ "$SELFCHECK" = 1 ]; then
    echo "skip (self-check): $1: $2: all hits"
    return 0
  fi
  local h m u
  h=$(count_hits "$1") m=$(count_misses "$1") u=$(count_uncached "$1")
  if [ "$m" -ne 0 ] || [ "$u" -ne 0 ] || [ "$h" -eq 0 ]; then
    wrong "$1: $2: $h hits, $m misses, $u not cached, expected all hits [$(log_events "$1" | { grep -v -e '^hit ' -e ':probe$' -e ':___:' || true; } | tr '\n' ';')] $(kiln_warning "$1")"
    return 0
  fi
  pass "$1: $2: all hits ($h)"
}

# cargo_clean DIR: `cargo clean` of kiln's target dir of DIR.
cargo_clean() { (cd "$1" && CARGO_TARGET_DIR="$1-target" cargo clean -q); }

# ---- 1. link inputs ----

# link_case FEATURE-ARGS…: the `link` fixture (app → mid → csys, libfoo.a from csys/c/foo.c):
# cold; foo.c returns another value; a second checkout whose foo.c returns a third.
link_case() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b"
  copy_fixture link "$a"
  check_build cold "$a" app "foo: 101" "$@"
  set_c_value "$a/csys/c/foo.c" 202
  check_build changed "$a" app "foo: 202" "$@"
  copy_fixture link "$b"
  set_c_value "$b/csys/c/foo.c" 303
  check_build second "$b" app "foo: 303" "$@"
}

case_1a() { link_case; }
case_1b() { link_case --features attr; }
case_1c() { link_case --features verbatim; }
case_1d() { link_case --features nobundle; }

# make_extlib DIR N: DIR/libfoo.a (prebuilt, outside any workspace) whose foo_value returns N.
make_extlib() {
  mkdir -p "$1"
  echo "int foo_value(void) { return $2; }" >"$1/foo.c"
  cc -c -fPIC "$1/foo.c" -o "$1/foo.o"
  rm -f "$1/libfoo.a"
  ar rcs "$1/libfoo.a" "$1/foo.o"
}

case_1e() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b" ext="$CDIR/extlib"
  export LIBRARY_PATH="$ext"
  make_extlib "$ext" 101
  copy_fixture link "$a"
  check_build cold "$a" app "foo: 101" --features libpath
  make_extlib "$ext" 202
  check_build changed "$a" app "foo: 202" --features libpath
  make_extlib "$ext" 303
  copy_fixture link "$b"
  check_build second "$b" app "foo: 303" --features libpath
}

# An object file passed as a link argument (built by the build script from c/obj.c).
case_1f_obj() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b"
  copy_fixture linkargs "$a"
  check_build cold "$a" linkargs "obj: 101 pick: 1"
  set_c_value "$a/c/obj.c" 202
  check_build changed "$a" linkargs "obj: 202 pick: 1"
  copy_fixture linkargs "$b"
  set_c_value "$b/c/obj.c" 303
  check_build second "$b" linkargs "obj: 303 pick: 1"
}

# A response file (-Wl,@link.rsp) whose --defsym picks the function linked as fixture_pick.
case_1f_rsp() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b"
  copy_fixture linkargs "$a"
  check_build cold "$a" linkargs "obj: 101 pick: 1"
  echo "--defsym=fixture_pick=pick_b" >"$a/link.rsp"
  check_build changed "$a" linkargs "obj: 101 pick: 2"
  copy_fixture linkargs "$b"
  echo "--defsym=fixture_pick=pick_b" >"$b/link.rsp"
  check_build second "$b" linkargs "obj: 101 pick: 2"
}

# map_of TARGET-DIR: the linker map file the linkmap fixture asks for, or nothing.
map_of() { compgen -G "$1/debug/build/linkmap-*/out/linkmap.map" | head -n 1 || true; }

# check_map TAG DIR WHAT: kiln's target dir of DIR has the map file, like plain cargo's.
check_map() {
  [ -n "$(map_of "$2-plain")" ] || fail "$1: plain cargo wrote no linker map (test bug)"
  local m
  m=$(map_of "$2-target")
  if [ -z "$m" ] || [ ! -s "$m" ]; then
    wrong "$1: $3: no linker map file in kiln's target dir (plain cargo writes one; $(outcome "$1"))"
    return 0
  fi
  pass "$1: $3: the linker map file exists ($(outcome "$1"))"
}

# A side output of the link: after cargo clean, a hit must restore it too.
case_1g() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b"
  copy_fixture linkmap "$a"
  build_both 1g-cold "$a"
  check_map 1g-cold "$a" "cold build"
  cargo_clean "$a"
  build_both 1g-warm "$a"
  if [ "$SELFCHECK" != 1 ]; then
    events_of 1g-warm hit | grep -q '^linkmap:linkmap:bin$' ||
      fail "1g-warm: the bin was not a hit after cargo clean ($(outcome 1g-warm)): nothing to check"
  fi
  check_map 1g-warm "$a" "hit after cargo clean"
  copy_fixture linkmap "$b"
  build_both 1g-second "$b"
  check_map 1g-second "$b" "second checkout, fresh target dir"
}

# ---- 2. files outside the workspace ----

# set_shared DIR TEXT: DIR/shared/data.txt holds "data-TEXT", DIR/shared/m.rs says "m-TEXT".
set_shared() {
  echo "data-$2" >"$1/shared/data.txt"
  echo "pub const WHO: &str = \"m-$2\";" >"$1/shared/m.rs"
}

case_2() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b"
  copy_fixture outside "$a"
  check_build cold "$a/ws" outside "data: data-from-a m: m-from-a"
  set_shared "$a" changed-in-a
  check_build changed "$a/ws" outside "data: data-changed-in-a m: m-changed-in-a"
  copy_fixture outside "$b"
  set_shared "$b" of-b
  [ -f "$a/shared/data.txt" ] || fail "a's shared dir vanished"
  check_build second "$b/ws" outside "data: data-of-b m: m-of-b"
}

# ---- 3. values derived from the machine path ----

case_3() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b-at-a-longer-path"
  copy_fixture manifestdir "$a"
  build_both 3-cold "$a"
  check_bin 3-cold "$a" showdir "($a/showdir)"
  check_bin 3-cold "$a" dirlen "$(printf %s "$a/dirlen" | wc -c)"
  copy_fixture manifestdir "$b"
  build_both 3-second "$b"
  check_bin 3-second "$b" showdir "($b/showdir)"
  check_bin 3-second "$b" dirlen "$(printf %s "$b/dirlen" | wc -c)"
}

# ---- 4. the toolchain behind rustup's proxy ----
# The bin prints `$RUSTC -V` (written by its build script) and a TypeId from the lib tcdep
# (no build script: only the compiler's version changes it).

V_STABLE=$(rustc +stable -V)
V_NIGHTLY=$(rustc +nightly -V)

# RUSTC is rustup's proxy; RUSTUP_TOOLCHAIN chooses stable, then nightly.
case_4a() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b"
  export RUSTC="$HOME/.cargo/bin/rustc"
  copy_fixture toolchain "$a"
  RUSTUP_TOOLCHAIN=stable check_build stable "$a" tc "glob:$V_STABLE / TypeId(*)"
  RUSTUP_TOOLCHAIN=nightly check_build nightly "$a" tc "glob:$V_NIGHTLY / TypeId(*)"
  copy_fixture toolchain "$b"
  RUSTUP_TOOLCHAIN=nightly check_build second "$b" tc "glob:$V_NIGHTLY / TypeId(*)"
}

# RUSTC is rustup's proxy; rust-toolchain.toml in the checkout chooses stable, then nightly.
case_4b() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b"
  export RUSTC="$HOME/.cargo/bin/rustc"
  copy_fixture toolchain "$a"
  printf '[toolchain]\nchannel = "stable"\n' >"$a/rust-toolchain.toml"
  check_build stable "$a" tc "glob:$V_STABLE / TypeId(*)"
  printf '[toolchain]\nchannel = "nightly"\n' >"$a/rust-toolchain.toml"
  check_build nightly "$a" tc "glob:$V_NIGHTLY / TypeId(*)"
  copy_fixture toolchain "$b"
  printf '[toolchain]\nchannel = "nightly"\n' >"$b/rust-toolchain.toml"
  check_build second "$b" tc "glob:$V_NIGHTLY / TypeId(*)"
}

# RUSTC=rustc, a bare name found on PATH: built and cached (hits after cargo clean, and in a
# second checkout).
case_4c() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b"
  export RUSTC=rustc
  copy_fixture toolchain "$a"
  check_build cold "$a" tc "glob:$V_STABLE / TypeId(*)"
  cargo_clean "$a"
  check_build warm "$a" tc "glob:$V_STABLE / TypeId(*)"
  check_all_hits 4c-warm "RUSTC=rustc, after cargo clean"
  copy_fixture toolchain "$b"
  check_build second "$b" tc "glob:$V_STABLE / TypeId(*)"
  check_all_hits 4c-second "RUSTC=rustc, second checkout"
}

# direct_check TAG DIR: in DIR, `kiln RUSTUP-PROXY ARGS…` (what a build system other than cargo
# gives its RUSTC_WRAPPER: the same arguments whichever toolchain the proxy resolves to; cargo
# would put the rustc version into -C metadata) compiles the fixture's direct/main.rs into
# DIR/direct-out; the same rustc without kiln into DIR/direct-plain; both programs must print
# the same.
direct_check() {
  local tag="$CASE-$1" dir=$2 plain got rc=0
  local args=(--crate-name direct --edition=2021 direct/main.rs --crate-type bin "--emit=dep-info,link"
    -C metadata=7c6b1a5e0d2f4a39)
  mkdir -p "$dir/direct-out" "$dir/direct-plain"
  (cd "$dir" && "$HOME/.cargo/bin/rustc" "${args[@]}" --out-dir direct-plain) >"$E2E_TMP/$tag-plain.err" 2>&1 ||
    fail "$tag: rustc without kiln failed (test bug): $(head -c 300 "$E2E_TMP/$tag-plain.err")"
  (cd "$dir" && kiln_run "$tag" "$KILN_BIN" "$HOME/.cargo/bin/rustc" "${args[@]}" --out-dir direct-out) || rc=$?
  [ "$rc" -eq 0 ] || fail "$tag: kiln rustc failed: $(head -c 300 "$E2E_TMP/$tag.err")"
  plain=$("$dir/direct-plain/direct")
  [[ $plain == "direct: TypeId("*")" ]] || fail "$tag: rustc's program prints '$plain' (test bug)"
  got=$("$dir/direct-out/direct" 2>&1) || true
  if [ "$got" != "$plain" ]; then
    wrong "$tag: wrong output: kiln's program prints '$got', rustc's '$plain' ($(outcome "$tag"))"
    return 0
  fi
  pass "$tag: kiln's program prints '$plain', as rustc's ($(outcome "$tag"))"
}

# The same rustc command line through kiln; the proxy picks stable, nightly (RUSTUP_TOOLCHAIN),
# then nightly again in a second checkout through rust-toolchain.toml.
case_4d() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b"
  copy_fixture toolchain "$a"
  RUSTUP_TOOLCHAIN=stable direct_check stable "$a"
  RUSTUP_TOOLCHAIN=nightly direct_check nightly "$a"
  copy_fixture toolchain "$b"
  printf '[toolchain]\nchannel = "nightly"\n' >"$b/rust-toolchain.toml"
  direct_check second "$b"
}

# ---- 5. clippy.toml ----

# first_error TAG: "; first error: LINE" for the first error line of TAG's stderr, or nothing.
first_error() {
  local e
  e=$({ grep -m 1 -E '^(error|kiln: (warning|error))' "$E2E_TMP/$1.err" || true; } | cut -c 1-200)
  [ -z "$e" ] || echo "; first error: $e"
}

# check_clippy TAG DIR WANT-RC: touches DIR, runs `cargo kiln clippy -- -D warnings` and plain
# `cargo clippy -- -D warnings`; plain cargo exits WANT-RC (else test bug), kiln the same.
check_clippy() {
  local tag="$CASE-$1" dir=$2 want=$3 rk=0 rp=0
  touch_tree "$dir"
  (cd "$dir" && CARGO_TARGET_DIR="$dir-target" kiln_run "$tag" cargo kiln clippy -- -D warnings) || rk=$?
  plain_in "$tag-plain" "$dir" clippy -- -D warnings || rp=$?
  if [ "$rp" != "$want" ]; then
    tail -n 20 "$E2E_TMP/$tag-plain.err" >&2
    fail "$tag: plain cargo clippy exited $rp, the test expects $want (test bug)"
  fi
  if [ "$want" != 0 ]; then
    grep -qF 'name `widget`' "$E2E_TMP/$tag-plain.err" || fail "$tag: plain cargo clippy failed for another reason (test bug)"
  fi
  if [ "$rk" != "$rp" ]; then
    wrong "$tag: cargo kiln clippy exited $rk, plain cargo clippy $rp ($(outcome "$tag"))$(first_error "$tag")"
    return 0
  fi
  if [ "$want" != 0 ] && ! grep -qF 'name `widget`' "$E2E_TMP/$tag.err"; then
    wrong "$tag: cargo kiln clippy failed without clippy's disallowed-name error$(first_error "$tag")"
    return 0
  fi
  pass "$tag: cargo kiln clippy exits $rk, as plain cargo clippy ($(outcome "$tag"))"
}

# clippy_case CONF-DIR: the clippy fixture's lintme binds `widget`; clippy.toml in CONF-DIR
# (relative to the checkout) appears listing it, changes to list another name, lists it again;
# a second checkout has it from the start.
clippy_case() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b" conf=$1
  copy_fixture clippy "$a"
  check_clippy none "$a" 0
  echo 'disallowed-names = ["widget"]' >"$a/$conf/clippy.toml"
  check_clippy added "$a" 101
  echo 'disallowed-names = ["gadget"]' >"$a/$conf/clippy.toml"
  check_clippy changed "$a" 0
  echo 'disallowed-names = ["widget"]' >"$a/$conf/clippy.toml"
  check_clippy changed-back "$a" 101
  copy_fixture clippy "$b"
  echo 'disallowed-names = ["widget"]' >"$b/$conf/clippy.toml"
  check_clippy second "$b" 101
}

case_5a() { clippy_case lintme; }
case_5b() { clippy_case .; }

# ---- 6. a proc-macro's own reads ----
# reader::fixture_data!() reads $CARGO_MANIFEST_DIR/data.txt and $FIXTURE_MACRO_VAR.

case_6() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b"
  unset FIXTURE_MACRO_VAR
  copy_fixture procmacro "$a"
  check_build cold "$a" pmapp "data=alpha var=<unset>"
  echo beta >"$a/data.txt"
  check_build file-changed "$a" pmapp "data=beta var=<unset>"
  FIXTURE_MACRO_VAR=one check_build var-set "$a" pmapp "data=beta var=one"
  FIXTURE_MACRO_VAR=two check_build var-changed "$a" pmapp "data=beta var=two"
  check_build var-unset "$a" pmapp "data=beta var=<unset>"
  copy_fixture procmacro "$b"
  echo gamma >"$b/data.txt"
  check_build second "$b" pmapp "data=gamma var=<unset>"
}

# ---- 7. -C target-cpu=native ----

case_7() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b"
  export RUSTFLAGS="-C target-cpu=native"
  copy_fixture cpu "$a"
  check_build cold "$a" cpu "dot: 85344"
  cargo_clean "$a"
  check_build warm "$a" cpu "dot: 85344"
  check_all_hits 7-warm "target-cpu=native, after cargo clean"
  copy_fixture cpu "$b"
  check_build second "$b" cpu "dot: 85344"
  check_all_hits 7-second "target-cpu=native, second checkout"
}

# ---- 8. diagnostics ----

# diagnostics TAG: TAG's stderr without cargo's status lines (Compiling, Finished… with their
# timings) and cargo kiln's summary: rustc's diagnostics and cargo's warning counts.
diagnostics() {
  grep -v -E -e '^ +(Compiling|Finished|Running|Fresh|Checking|Locking|Adding|Blocking|Building) ' -e '^kiln: ' \
    "$E2E_TMP/$1.err" || true
}

# check_diagnostics TAG REFERENCE-FILE WHAT: TAG's diagnostics equal REFERENCE-FILE's.
check_diagnostics() {
  diagnostics "$1" >"$E2E_TMP/$1.diag"
  if ! cmp -s "$2" "$E2E_TMP/$1.diag"; then
    diff "$2" "$E2E_TMP/$1.diag" >&2 || true
    wrong "$1: $3: the warnings differ from the miss build's ($(outcome "$1"))"
    return 0
  fi
  pass "$1: $3: the same warnings, byte for byte"
}

case_8() {
  local a="$CDIR/a" b="$CDIR/second/checkout-b" ref="$E2E_TMP/8-cold.diag"
  copy_fixture diag "$a"
  check_build cold "$a" diag "answer: 42"
  diagnostics 8-cold >"$ref"
  if ! grep -qF 'unused variable: `unused_in_lib`' "$ref" || ! grep -qF 'unused variable: `unused_in_bin`' "$ref"; then
    fail "8-cold: the miss build did not print both warnings (test bug)"
  fi
  diagnostics 8-cold-plain >"$E2E_TMP/8-plain.diag"
  cmp -s "$ref" "$E2E_TMP/8-plain.diag" || {
    diff "$E2E_TMP/8-plain.diag" "$ref" >&2 || true
    wrong "8-cold: the miss build's warnings differ from plain cargo's"
  }
  cargo_clean "$a"
  check_build warm "$a" diag "answer: 42"
  check_all_hits 8-warm "diagnostics, after cargo clean"
  check_diagnostics 8-warm "$ref" "hit after cargo clean"
  copy_fixture diag "$b"
  check_build second "$b" diag "answer: 42"
  check_all_hits 8-second "diagnostics, second checkout"
  check_diagnostics 8-second "$ref" "hit in a second checkout"
}

# ---- 9. per-crate opt-out ----
# nocache: [package.metadata.kiln] cache = false; envoff: KILN_NO_CACHE=envoff.

case_9() {
  local a="$CDIR/a" c
  export KILN_NO_CACHE=envoff
  copy_fixture optout "$a"
  check_build cold "$a" optapp "keep nocache envoff"
  cargo_clean "$a"
  check_build warm "$a" optapp "keep nocache envoff"
  [ "$SELFCHECK" = 1 ] && return 0
  for c in nocache envoff; do
    if events_of 9-warm hit | grep -q "^[^:]*:$c:"; then
      wrong "9-warm: $c is a hit after cargo clean; it opted out of the cache ($(outcome 9-warm))"
    elif ! events_of 9-warm not-cached | grep -q "^[^:]*:$c:"; then
      wrong "9-warm: $c is not reported as not-cached in the log [$(log_events 9-warm | { grep ":$c:" || true; } | tr '\n' ';')]"
    else
      pass "9-warm: $c not cached ($(events_of 9-warm not-cached | grep "^[^:]*:$c:" | head -n 1))"
    fi
  done
  for c in keep:keep:lib optapp:optapp:bin; do
    events_of 9-warm hit | grep -qx "$c" || wrong "9-warm: $c is not a hit after cargo clean [$(log_events 9-warm | tr '\n' ';')]"
  done
  [ "$CASE_WRONG" -ne 0 ] || pass "9-warm: keep and optapp hit"
}

# ---- the runner ----

# selected CASE: CASE is chosen by TRACED_ONLY (all when empty).
selected() {
  [ -z "$ONLY" ] && return 0
  local s
  for s in $ONLY; do
    # shellcheck disable=SC2254
    case "$1" in $s | ${s}[a-z-]*) return 0 ;; esac
  done
  return 1
}

FAILED=() RESULTS=()
# run_case CASE DESCRIPTION: runs case_CASE in a subshell with its own store and dir $CDIR.
run_case() {
  local c=$1 desc=$2 rc=0 t0=$SECONDS
  selected "$c" || return 0
  echo "=== $c: $desc"
  set +e
  (
    set -eE
    trap 'echo "FAIL: $CASE: command failed (line $LINENO): $BASH_COMMAND" >&2; echo "$CASE: command failed (line $LINENO): $BASH_COMMAND" >>"$FAILURES"' ERR
    CASE=$c CASE_WRONG=0 CDIR="$E2E_TMP/$c"
    mkdir -p "$CDIR"
    export KILN_DIR="$CDIR/store"
    "case_${c//-/_}"
    [ "$CASE_WRONG" -eq 0 ] || exit 1
    echo "$E2E_CHECKS" >"$CDIR/checks"
  )
  rc=$?
  set -e
  RESULTS+=("$c $([ $rc -eq 0 ] && echo PASS || echo FAIL) ($desc)")
  if [ $rc -eq 0 ]; then
    E2E_CHECKS=$(cat "$E2E_TMP/$c/checks")
    pass "class $c ($desc): kiln behaves as plain cargo [$((SECONDS - t0)) s]"
  else
    FAILED+=("$c")
    echo "=== $c: FAILED [$((SECONDS - t0)) s]" >&2
  fi
}

run_case 1a "link: static lib bundled in the -sys rlib, reached through -L dependency="
run_case 1b "link: #[link(name = \"foo\", kind = \"static\")] in the source"
run_case 1c "link: cargo:rustc-link-lib=static:+verbatim=libfoo.a"
run_case 1d "link: cargo:rustc-link-lib=static:-bundle=foo, found by the bin's link"
run_case 1e "link: a prebuilt libfoo.a found through LIBRARY_PATH"
run_case 1f-obj "link: an object file passed with cargo:rustc-link-arg"
run_case 1f-rsp "link: a response file (-Wl,@file) with a --defsym"
run_case 1g "link: a linker map file (-Wl,-Map=…) restored by a hit"
run_case 2 "files outside the workspace: include_str! and #[path] mod"
run_case 3 "values derived from the machine path: CARGO_MANIFEST_DIR and its length"
run_case 4a "toolchain: RUSTC=rustup's proxy, RUSTUP_TOOLCHAIN=stable then nightly"
run_case 4b "toolchain: RUSTC=rustup's proxy, rust-toolchain.toml stable then nightly"
run_case 4c "toolchain: RUSTC=rustc (a bare name on PATH) is cached"
run_case 4d "toolchain: the same rustc command line (no cargo), RUSTUP_TOOLCHAIN / rust-toolchain.toml"
run_case 5a "clippy.toml in the package dir"
run_case 5b "clippy.toml in a parent dir (the workspace root)"
run_case 6 "a proc-macro reading a file and an environment variable"
run_case 7 "-C target-cpu=native builds and hits"
run_case 8 "a hit replays rustc's warnings byte for byte"
run_case 9 "per-crate opt-out: [package.metadata.kiln] cache = false, KILN_NO_CACHE"

echo "--- results:"
printf '%s\n' "${RESULTS[@]}"
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "--- failures:" >&2
  cat "$FAILURES" >&2
  fail "classes that failed: ${FAILED[*]}"
fi

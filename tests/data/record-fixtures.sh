#!/bin/bash
# Records the real cargo/rustc fixtures under tests/data (argv/*.argv, argv/*.args,
# depinfo/*.d) that kiln's unit tests parse. Not run by the tests: run it by hand when the
# fixtures should be refreshed (needs ~/.cargo/bin with cargo, rustc and clippy; the
# registry line needs Debian's librust-autocfg-dev, and is skipped without it).
#
# How: a tiny workspace (lib + bin + build script + proc-macro + integration test) is built
# with a logging RUSTC_WRAPPER that appends `printf '%q '` of the cwd and its argv to a log
# and copies any `@argfile`; representative lines are then picked out of the logs.
# Usage: tests/data/record-fixtures.sh [scratch dir, default /tmp/kiln-rec]
set -euo pipefail
export PATH=$HOME/.cargo/bin:$PATH
out=$(cd "$(dirname "$0")" && pwd)
rec=${1:-/tmp/kiln-rec}
rm -rf "$rec" && mkdir -p "$rec/logs" "$out/argv" "$out/depinfo"
export CARGO_INCREMENTAL=0 CARGO_NET_OFFLINE=true RUSTC_WRAPPER=$rec/logwrap.sh

cat > "$rec/logwrap.sh" <<'EOF'
#!/bin/bash
# Logging RUSTC_WRAPPER: one line per call, `printf %q` of cwd and argv; copies @argfiles.
{ printf '%q ' "$PWD" "$@"; printf '\n'; } >> "$KILN_REC_LOG"
for a in "$@"; do
  case "$a" in @*) cp "${a#@}" "$(dirname "$KILN_REC_LOG")/argfile.$$" ;; esac
done
exec "$@"
EOF
chmod +x "$rec/logwrap.sh"

# --- the workspace: mylib (lib + bin `mytool` + build.rs + tests), mymacro (proc-macro)
ws=$rec/ws
mkdir -p "$ws/mylib/src/nested" "$ws/mylib/tests" "$ws/mymacro/src"
printf '[workspace]\nmembers = ["mylib", "mymacro"]\nresolver = "2"\n' > "$ws/Cargo.toml"
printf '[package]\nname = "mymacro"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\nproc-macro = true\n' \
  > "$ws/mymacro/Cargo.toml"
cat > "$ws/mymacro/src/lib.rs" <<'EOF'
use proc_macro::TokenStream;

#[proc_macro]
pub fn answer(_input: TokenStream) -> TokenStream {
    "42".parse().unwrap()
}
EOF
cat > "$ws/mylib/Cargo.toml" <<'EOF'
[package]
name = "mylib"
version = "0.3.1"
edition = "2021"
build = "build.rs"

[dependencies]
mymacro = { path = "../mymacro" }

[[bin]]
name = "mytool"
path = "src/main.rs"
EOF
cat > "$ws/mylib/build.rs" <<'EOF'
fn main() {
    println!("cargo:rustc-cfg=has_build_rs");
    println!("cargo:rustc-env=BUILD_GREETING=hello from build.rs");
    println!("cargo:rerun-if-changed=build.rs");
}
EOF
cat > "$ws/mylib/src/lib.rs" <<'EOF'
//! A tiny library used to record real rustc command lines and dep-info for kiln's tests.
mod nested;
#[path = "has space.rs"]
mod has_space;

pub const BANNER: &str = include_str!("banner.txt");
pub const GREETING: &str = env!("BUILD_GREETING");
pub const PKG_VERSION: &str = env!("CARGO_PKG_VERSION");
pub const UNSET: Option<&str> = option_env!("KILN_TEST_SURELY_UNSET_VAR");

pub fn answer() -> u32 {
    mymacro::answer!() + nested::zero() + has_space::one() - 1
}

#[cfg(test)]
mod tests {
    #[test]
    fn it_answers() {
        assert_eq!(super::answer(), 42);
    }
}
EOF
printf 'pub fn zero() -> u32 {\n    0\n}\n' > "$ws/mylib/src/nested/mod.rs"
printf 'pub fn one() -> u32 {\n    1\n}\n' > "$ws/mylib/src/has space.rs"
echo "kiln test banner" > "$ws/mylib/src/banner.txt"
printf 'fn main() {\n    println!("{} {}", mylib::answer(), mylib::BANNER.trim());\n}\n' > "$ws/mylib/src/main.rs"
printf '#[test]\nfn integration() {\n    assert_eq!(mylib::answer(), 42);\n}\n' > "$ws/mylib/tests/integration.rs"

cd "$ws"
KILN_REC_LOG=$rec/logs/build-incr.log CARGO_INCREMENTAL=1 cargo build -q
cargo clean -q
KILN_REC_LOG=$rec/logs/build.log cargo build -q
KILN_REC_LOG=$rec/logs/test.log cargo test -q --no-run 2>/dev/null
KILN_REC_LOG=$rec/logs/check.log cargo check -q
KILN_REC_LOG=$rec/logs/clippy.log cargo clippy -q

# pick: the first line of a log that contains every given word (grep -F, in order)
pick() {
  local log=$1 name=$2; shift 2
  local lines; lines=$(cat "$rec/logs/$log.log")
  for w in "$@"; do lines=$(grep -F -- "$w" <<<"$lines" || true); done
  [ -n "$lines" ] || { echo "no line in $log.log with: $*" >&2; exit 1; }
  head -n1 <<<"$lines" > "$out/argv/$name.argv"
}
pick build build-script '--crate-name build_script_build'
pick build proc-macro '--crate-name mymacro' '--crate-type proc-macro'
pick build lib '--crate-name mylib' '--crate-type lib'
pick build bin '--crate-name mytool' '--crate-type bin'
pick build probe-version ' -vV'
pick build probe-print '--print=sysroot'
pick build-incr lib-incremental '--crate-name mylib' '-C incremental='
pick test test-harness '--crate-name mylib' '--test'
pick test test-integration '--crate-name integration' '--test'
pick check check-lib '--crate-name mylib' 'dep-info\,metadata'
pick check check-bin '--crate-name mytool' 'dep-info\,metadata'
pick clippy clippy-lib 'clippy-driver' '--crate-name mylib'
pick clippy clippy-probe-version 'clippy-driver' ' -vV'

d=$(grep -l 'libmylib-.*\.rlib:' target/debug/deps/mylib-*.d | head -n1); cp "$d" "$out/depinfo/lib.d"
d=$(grep -l 'deps/mytool-[0-9a-f]*: ' target/debug/deps/mytool-*.d | head -n1); cp "$d" "$out/depinfo/bin.d"
# clippy-driver adds Cargo.toml and `# env-dep:CLIPPY_ARGS=` (set, empty) / `CLIPPY_CONF_DIR` (unset)
for d in target/debug/build/mylib-*/build_script_build-*.d; do
  if grep -q CLIPPY "$d"; then cp "$d" "$out/depinfo/clippy-build-script.d"; else cp "$d" "$out/depinfo/build-script.d"; fi
done

# --- env-dep values with escapes, absolute paths with spaces, include_bytes!, '#' in a name
mkdir -p "$rec/envdep/dir with space" "$rec/envdep/out" && cd "$rec/envdep"
cat > "dir with space/envlib.rs" <<'EOF'
pub const ML: &str = env!("KILN_ML");
pub const WIN: &str = env!("KILN_BACKSLASH");
pub const DATA: &[u8] = include_bytes!("data#1.bin");
pub const OPT: Option<&str> = option_env!("KILN_NOT_SET_ANYWHERE");
pub const CR: &str = env!("KILN_CR");
EOF
printf 'abc' > "dir with space/data#1.bin"
KILN_ML=$'line1\nline2' KILN_BACKSLASH='C:\dir\x=1' KILN_CR=$'a\rb\tc' rustc --crate-name envlib --crate-type lib \
  --emit=dep-info,metadata --out-dir out "$rec/envdep/dir with space/envlib.rs"
cp out/envlib.d "$out/depinfo/envlib.d"

# --- an @argfile: cargo falls back to one when an argument exceeds MAX_ARG_STRLEN (128 KiB)
mkdir -p "$rec/argf/src" "$rec/argf/.cargo" && cd "$rec/argf"
printf '[package]\nname = "argf"\nversion = "0.1.0"\nedition = "2021"\n' > Cargo.toml
echo 'pub fn f() -> u8 { 1 }' > src/lib.rs
big=$(head -c 140000 /dev/zero | tr '\0' x)
printf '[build]\nrustflags = ["--cfg=big_%s"]\n' "$big" > .cargo/config.toml
rm -f "$rec"/logs/argfile.*
KILN_REC_LOG=$rec/logs/argf.log cargo build -q
pick argf argfile-lib '@/tmp/cargo-argfile.'
f=$(grep -l -- '--crate-name' "$rec"/logs/argfile.* | xargs grep -l -- '^argf$' | head -n1)
# The 140000-character cfg is shortened to keep the fixture small; the rest is as recorded.
sed -E 's/^--cfg=big_x+$/--cfg=big_xxxxxxxxxxxxxxxx/' "$f" > "$out/argv/argfile-lib.args"

# --- a registry crate (cwd = package dir, absolute source, --cap-lints allow)
if [ -d /usr/share/cargo/registry/autocfg-1.1.0 ]; then
  mkdir -p "$rec/reg/src" "$rec/reg/.cargo" && cd "$rec/reg"
  printf '[package]\nname = "reg"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nautocfg = "1"\n' > Cargo.toml
  echo 'pub fn f() {}' > src/lib.rs
  printf '[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "/usr/share/cargo/registry"\n' \
    > .cargo/config.toml
  KILN_REC_LOG=$rec/logs/reg.log cargo build -q
  pick reg registry-lib '--crate-name autocfg'
  pick reg lib-rmeta-extern '--crate-name reg'
fi
echo "recorded into $out"

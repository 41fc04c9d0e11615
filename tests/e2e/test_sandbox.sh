#!/usr/bin/env bash
# KILN_SANDBOX: misses run in bubblewrap. With `network`, a build script that connects to a
# server on 127.0.0.1 (started here, stopped by PID) fails and the build reports it, while
# compilations still build; with `strict`, a build script that writes into the source tree
# fails; keys do not depend on the mode (a sandboxed cold build's entries hit without one).
source "$(dirname "$0")/lib.sh"
e2e_init
command -v bwrap >/dev/null || fail "bubblewrap is not installed (scripts/install-deps.sh installs it)"

ws="$E2E_TMP/ws"
mkdir -p "$ws/src" "$ws/net/src" "$ws/writer/src"
cat >"$ws/Cargo.toml" <<'EOF'
[package]
name = "sbapp"
version = "0.1.0"
edition = "2021"
[dependencies]
net = { path = "net" }
writer = { path = "writer" }
[workspace]
members = ["net", "writer"]
EOF
echo 'fn main() { println!("{} {}", net::NET, writer::W); }' >"$ws/src/main.rs"
for c in net writer; do printf '[package]\nname = "%s"\nversion = "0.1.0"\nedition = "2021"\n' $c >"$ws/$c/Cargo.toml"; done
cat >"$ws/net/build.rs" <<'EOF'
use std::{env, fs, net::TcpStream, path::Path};
fn main() {
    println!("cargo:rerun-if-env-changed=FIXTURE_PORT");
    let port: u16 = env::var("FIXTURE_PORT").map(|p| p.parse().unwrap()).unwrap_or(9);
    let got = match TcpStream::connect(("127.0.0.1", port)) {
        Ok(_) => "connected".to_string(),
        Err(e) if env::var("FIXTURE_NEED_NET").is_ok() => panic!("no network: {e}"),
        Err(_) => "offline".to_string(),
    };
    fs::write(Path::new(&env::var("OUT_DIR").unwrap()).join("net.txt"), got).unwrap();
}
EOF
echo 'pub const NET: &str = include_str!(concat!(env!("OUT_DIR"), "/net.txt"));' >"$ws/net/src/lib.rs"
cat >"$ws/writer/build.rs" <<'EOF'
use std::{env, fs, path::Path};
fn main() {
    println!("cargo:rerun-if-env-changed=FIXTURE_WRITE_SOURCES");
    if env::var("FIXTURE_WRITE_SOURCES").is_ok() {
        fs::write(Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("written.txt"), "x")
            .expect("cannot write into the source tree");
    }
    fs::write(Path::new(&env::var("OUT_DIR").unwrap()).join("w.txt"), "w").unwrap();
}
EOF
echo 'pub const W: &str = include_str!(concat!(env!("OUT_DIR"), "/w.txt"));' >"$ws/writer/src/lib.rs"
cd "$ws"
export CARGO_TARGET_DIR="$E2E_TMP/target"

# A server on loopback, stopped by PID at the end.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1 &
server=$!
trap 'rc=$?; kill $server 2>/dev/null; (exit $rc); e2e_cleanup' EXIT
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break; sleep 0.1; done
export FIXTURE_PORT=$port

kiln_run plain-net env KILN_SANDBOX=off cargo kiln build || fail "build without a sandbox"
expect_eq "connected w" "$("$CARGO_TARGET_DIR/debug/sbapp")" "without a sandbox the build script reaches 127.0.0.1:$port"

cargo clean -q
rm -rf "$KILN_DIR"
if kiln_run sandboxed env KILN_SANDBOX=network FIXTURE_NEED_NET=1 cargo kiln build; then
  fail "KILN_SANDBOX=network: a build script that needs the network must fail"
fi
expect_file_contains "$E2E_TMP/sandboxed.err" "no network" "KILN_SANDBOX=network: the build script could not connect, the build says so"
expect_eq 0 "$(events_of sandboxed miss | grep -c 'net:build_script_build:run' || true)" "the failed run is not stored"

kiln_run network env KILN_SANDBOX=network cargo kiln build || fail "KILN_SANDBOX=network build"
expect_eq "offline w" "$("$CARGO_TARGET_DIR/debug/sbapp")" "KILN_SANDBOX=network: compilations build, the script sees no network"

if kiln_run strict env KILN_SANDBOX=strict FIXTURE_WRITE_SOURCES=1 cargo kiln build; then
  fail "KILN_SANDBOX=strict: a build script that writes into the source tree must fail"
fi
expect_file_contains "$E2E_TMP/strict.err" "cannot write into the source tree" "KILN_SANDBOX=strict: writing into the sources fails"
[ ! -e "$ws/writer/written.txt" ] || fail "strict: the file was written"
pass "strict: the source tree is untouched"

cargo clean -q
kiln_run strict-ok env KILN_SANDBOX=strict cargo kiln build || fail "KILN_SANDBOX=strict build"
expect_eq "offline w" "$("$CARGO_TARGET_DIR/debug/sbapp")" "KILN_SANDBOX=strict: the build succeeds"

# Keys do not depend on the sandbox: what the strict build stored hits without one.
cargo clean -q
kiln_run unsandboxed env KILN_SANDBOX=off cargo kiln build || fail "build after the sandboxed one"
expect_eq 0 "$(count_misses unsandboxed)" "entries stored in the sandbox hit without it"

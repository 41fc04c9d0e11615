# Shared by the remote store end-to-end tests (test_remote_*.sh), sourced, not run:
# a scratch dir removed on exit, servers on 127.0.0.1 at free ports stopped on exit
# (nginx with WebDAV, redis-server), a tiny cargo workspace with a Debian registry crate,
# and counters over KILN_LOG files. Needs: nginx-extras (or nginx-light), redis-server,
# redis-tools, python3, librust-serde-dev.
set -euo pipefail
: "${KILN_BIN:?}" "${KILN_SOURCE_DIR:?}"
export PATH="$(dirname "$KILN_BIN"):$HOME/.cargo/bin:$PATH"
export CARGO_INCREMENTAL=0 CARGO_TERM_COLOR=never
unset RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER KILN_REMOTE KILN_UPLOAD KILN_SESSION KILN_LOG
# loopback only: no proxy
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
# a user config must not add remotes to these builds
export XDG_CONFIG_HOME="$(mktemp -d)"

work=$(mktemp -d)
server_pids=()
cleanup() {
  local p
  for p in "${server_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${server_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  # Results still being stored in the background (a plain `cargo build` in a kiln session
  # stores after cargo returned) would write into the dir being removed: CI once saw rm fail
  # with "Directory not empty".
  for p in "$work"/store-*; do
    [ -d "$p" ] && { KILN_DIR="$p" "$KILN_BIN" cache wait >/dev/null 2>&1 || true; }
  done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work" "$XDG_CONFIG_HOME" || rm -rf "$work" "$XDG_CONFIG_HOME"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }

# A TCP port on 127.0.0.1 that was free a moment ago.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits until something accepts connections on 127.0.0.1:$1 (pid $2 must stay alive).
wait_port() {
  local i
  for i in $(seq 1 200); do
    if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2)' "$1" 2>/dev/null; then
      return 0
    fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# start_nginx DIR → sets nginx_port, nginx_pid; serves DIR/data with WebDAV PUT at /,
# basic auth (kiln / secret) under /auth/, `return 500` under /fail500/.
start_nginx() {
  local d=$1
  mkdir -p "$d/data/auth"
  echo 'kiln:{PLAIN}secret' >"$d/htpasswd"
  nginx_port=$(free_port)
  cat >"$d/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 256; }
http {
  access_log $d/access.log;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:$nginx_port;
    root $d/data;
    location / { dav_methods PUT DELETE; create_full_put_path on; }
    location /auth/ {
      auth_basic kiln; auth_basic_user_file $d/htpasswd;
      dav_methods PUT DELETE; create_full_put_path on;
    }
    location /fail500/ { return 500; }
  }
}
CONF
  nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" >>"$d/stderr.log" 2>&1 &
  nginx_pid=$!
  server_pids+=("$nginx_pid")
  wait_port "$nginx_port" "$nginx_pid" || { cat "$d/stderr.log" "$d/error.log" 2>/dev/null; fail "nginx did not start"; }
}

# start_redis DIR → sets redis_port, redis_pid.
start_redis() {
  local d=$1
  mkdir -p "$d"
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --dir "$d" \
    >"$d/redis.log" 2>&1 &
  redis_pid=$!
  server_pids+=("$redis_pid")
  wait_port "$redis_port" "$redis_pid" || { cat "$d/redis.log"; fail "redis-server did not start"; }
}

# stop_server PID: SIGTERM and wait.
stop_server() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# make_fixture DIR: a workspace (lib fixlib + bin fixapp) using serde from Debian's registry.
make_fixture() {
  local d=$1
  mkdir -p "$d/.cargo" "$d/fixlib/src" "$d/fixapp/src"
  cat >"$d/.cargo/config.toml" <<'CFG'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
CFG
  cat >"$d/Cargo.toml" <<'TOML'
[workspace]
members = ["fixlib", "fixapp"]
resolver = "2"
TOML
  cat >"$d/fixlib/Cargo.toml" <<'TOML'
[package]
name = "fixlib"
version = "0.1.0"
edition = "2021"

[dependencies]
serde = { version = "1", default-features = false, features = ["std"] }
TOML
  cat >"$d/fixlib/src/lib.rs" <<'RS'
//! A library crate of the remote-store test fixture.
use serde::ser::{Serialize, Serializer};

/// A greeting that serde can serialize.
pub struct Greeting(pub String);

impl Serialize for Greeting {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

pub fn greet(name: &str) -> Greeting {
    Greeting(format!("hello, {name}"))
}
RS
  cat >"$d/fixapp/Cargo.toml" <<'TOML'
[package]
name = "fixapp"
version = "0.1.0"
edition = "2021"

[dependencies]
fixlib = { path = "../fixlib" }
TOML
  cat >"$d/fixapp/src/main.rs" <<'RS'
fn main() {
    let g = fixlib::greet("kiln");
    println!("{} ({})", g.0, std::any::type_name::<fixlib::Greeting>());
}
RS
}

# count KIND LOG: lines "[pid] KIND …" of a KILN_LOG file (hit, miss, not-cached).
count() { grep -c "^\[[0-9]*\] $1 " "$2" || true; }

# warnings FILE: number of "kiln: warning:" lines in a build's stderr.
warnings() { grep -c "kiln: warning:" "$1" || true; }

# store_stat KILN_DIR STORE FIELD: a remote store's counter from `kiln stats --json`.
store_stat() {
  KILN_DIR=$1 "$KILN_BIN" stats --json | python3 -c '
import json,sys
j=json.load(sys.stdin); print(j.get("stores",{}).get(sys.argv[1],{}).get(sys.argv[2],0))' "$2" "$3"
}

# build_a_uploading REMOTE: checkout A ($work/a) with its own local store ($work/store-a)
# builds cold against REMOTE, uploading; it must compile for real and warn about nothing.
# Sets a_misses; leaves the shell in A; logs in $work/a.log, a.err.
build_a_uploading() {
  local remote=$1
  make_fixture "$work/a"
  cd "$work/a"
  KILN_DIR="$work/store-a" KILN_REMOTE="$remote" KILN_LOG="$work/a.log" cargo kiln build 2>"$work/a.err" ||
    { cat "$work/a.err"; fail "build A"; }
  a_misses=$(count miss "$work/a.log")
  echo "A: $a_misses misses, $(count hit "$work/a.log") hits"
  [ "$a_misses" -ge 4 ] || fail "expected a real cold build in A"
  [ "$(warnings "$work/a.err")" -eq 0 ] || { cat "$work/a.err"; fail "warnings in A"; }
}

# build_b_from_remote REMOTE A_MISSES: checkout B at another path ($work/b-elsewhere) with an
# empty local store ($work/store-b) builds against REMOTE; every compilation must be a hit
# that came from the remote (A_MISSES of them), without warnings, and fixapp must equal A's
# ($work/a, its output in $work/a.out). Leaves the shell in B; logs in $work/b.log, b.err.
build_b_from_remote() {
  local remote=$1 a_misses=$2
  make_fixture "$work/b-elsewhere"
  cd "$work/b-elsewhere"
  KILN_DIR="$work/store-b" KILN_REMOTE="$remote" KILN_LOG="$work/b.log" cargo kiln build 2>"$work/b.err" ||
    { cat "$work/b.err"; fail "build B"; }
  local b_hits b_misses
  b_hits=$(count hit "$work/b.log"); b_misses=$(count miss "$work/b.log")
  echo "B: $b_hits hits, $b_misses misses"
  [ "$b_misses" -eq 0 ] || { grep '\] miss' "$work/b.log"; fail "B missed"; }
  [ "$b_hits" -eq "$a_misses" ] || fail "B: $b_hits hits for $a_misses compilations in A"
  [ "$(grep -c '\] remote hit .* result ' "$work/b.log")" -eq "$a_misses" ] || fail "B's hits did not come from the remote"
  [ "$(warnings "$work/b.err")" -eq 0 ] || { cat "$work/b.err"; fail "warnings in B"; }
  cmp "$work/a/target/debug/fixapp" target/debug/fixapp || fail "fixapp differs between A and B"
  ./target/debug/fixapp | cmp - "$work/a.out" || fail "fixapp output differs"
}

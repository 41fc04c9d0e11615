#!/usr/bin/env bash
# Remote faults never fail a build: the build goes on with local rustc, its outputs are
# identical to a healthy build's, and exactly ONE warning is printed per build (the failing
# remote is marked down for the rest of the build across kiln processes). Faults, each with a
# fresh local store and checkout: blobs on the server tampered with (truncated, then wrong
# bytes), a server answering 500, a server that accepts connections and never answers
# (timeout), and the server stopped in the middle of a build.
source "$(dirname "$0")/remote_test_lib.sh"

start_nginx "$work/nginx"
remote="http://127.0.0.1:$nginx_port/cache"
cas="$work/nginx/data/cache/cas"

# Healthy reference build; fills the remote.
make_fixture "$work/ref"
cd "$work/ref"
KILN_DIR="$work/store-ref" KILN_REMOTE="$remote" KILN_LOG="$work/ref.log" cargo kiln build 2>"$work/ref.err" ||
  { cat "$work/ref.err"; fail "reference build"; }
ref_misses=$(count miss "$work/ref.log")
[ "$ref_misses" -ge 4 ] || fail "expected a real cold reference build"
[ "$(warnings "$work/ref.err")" -eq 0 ] || { cat "$work/ref.err"; fail "warnings in the reference build"; }
ref_bin="$work/ref/target/debug/fixapp"
ref_out=$("$ref_bin")

# check_build NAME: the build in $work/NAME succeeded with one warning and correct outputs.
check_build() {
  local name=$1 err="$work/$1.err" log="$work/$1.log"
  local n
  n=$(warnings "$err")
  echo "$name: $(count hit "$log") hits, $(count miss "$log") misses, $n warning(s)"
  [ "$n" -eq 1 ] || { cat "$err"; fail "$name: expected exactly one warning, got $n"; }
  grep -q "kiln: warning: remote store http://127.0.0.1" "$err" || { cat "$err"; fail "$name: not a remote warning"; }
  cmp "$ref_bin" "$work/$name/target/debug/fixapp" || fail "$name: fixapp differs from the healthy build's"
  [ "$("$work/$name/target/debug/fixapp")" = "$ref_out" ] || fail "$name: fixapp prints something else"
}

# run_build NAME REMOTE [env…]: a fresh checkout and store, `cargo kiln build`.
run_build() {
  local name=$1 url=$2
  shift 2
  make_fixture "$work/$name"
  (cd "$work/$name" && env KILN_DIR="$work/store-$name" KILN_REMOTE="$url" KILN_LOG="$work/$name.log" "$@" \
    cargo kiln build 2>"$work/$name.err") || { cat "$work/$name.err"; fail "$name: the build failed"; }
}

# 1. Truncated blobs (the server's Content-Length matches, the content does not).
cp -a "$cas" "$work/cas.orig"
for f in "$cas"/*; do truncate -s $(( $(stat -c %s "$f") / 2 )) "$f"; done
run_build truncated "$remote"
check_build truncated
[ "$(count hit "$work/truncated.log")" -eq 0 ] || fail "truncated: a hit was served from bad blobs"
[ "$(store_stat "$work/store-truncated" "$remote" errors)" -ge 1 ] || fail "truncated: no error counted"

# 2. Wrong bytes of the right length.
rm -rf "$cas" && cp -a "$work/cas.orig" "$cas"
for f in "$cas"/*; do
  python3 - "$f" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xFF
open(p, "wb").write(b)
PY
done
run_build tampered "$remote"
check_build tampered
[ "$(count hit "$work/tampered.log")" -eq 0 ] || fail "tampered: a hit was served from bad blobs"
rm -rf "$cas" && cp -a "$work/cas.orig" "$cas"

# 3. HTTP 500 on every request.
run_build http500 "http://127.0.0.1:$nginx_port/fail500/cache"
check_build http500
grep -q "HTTP 500" "$work/http500.err" || fail "http500: the warning does not say why"
[ "$(store_stat "$work/store-http500" "http://127.0.0.1:$nginx_port/fail500/cache" errors)" -ge 1 ] ||
  fail "http500: no error counted"

# 4. Accepts connections, never answers → timeout.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(128)
print(s.getsockname()[1], flush=True)
time.sleep(3600)' >"$work/silent.port" &
silent_pid=$!
server_pids+=("$silent_pid")
for _ in $(seq 1 100); do [ -s "$work/silent.port" ] && break; sleep 0.05; done
silent_url="http://127.0.0.1:$(cat "$work/silent.port")/cache"
run_build silent "$silent_url" KILN_REMOTE_TIMEOUT=1000
check_build silent
[ "$(store_stat "$work/store-silent" "$silent_url" timeouts)" -ge 1 ] || fail "silent: no timeout counted"
stop_server "$silent_pid"

# 5. The server stops in the middle of a build: a RUSTC_WRAPPER stops nginx just before
# fixlib compiles; serde came from the remote before that. Plain cargo, so the session is ours.
cat >"$work/stop-wrapper.sh" <<SH
#!/usr/bin/env bash
if [[ " \$* " == *" --crate-name fixlib "* ]] && mkdir "$work/stopped" 2>/dev/null; then
  kill $nginx_pid
  while kill -0 $nginx_pid 2>/dev/null; do sleep 0.05; done
fi
exec "$KILN_BIN" "\$@"
SH
chmod +x "$work/stop-wrapper.sh"
make_fixture "$work/midway"
(cd "$work/midway" && KILN_DIR="$work/store-midway" KILN_REMOTE="$remote" KILN_LOG="$work/midway.log" \
  KILN_SESSION="midway-$$" RUSTC_WRAPPER="$work/stop-wrapper.sh" cargo build 2>"$work/midway.err") ||
  { cat "$work/midway.err"; fail "midway: the build failed"; }
[ -d "$work/stopped" ] || fail "midway: the server was not stopped"
check_build midway
grep -q '\] hit serde ' "$work/midway.log" || fail "midway: serde should have come from the remote"
grep -q '\] miss fixlib ' "$work/midway.log" || fail "midway: fixlib should have been compiled"
ls "$work/store-midway/remote-health/" | grep -qv lock || fail "midway: no down-mark written"
echo "1 passed, 0 failed"

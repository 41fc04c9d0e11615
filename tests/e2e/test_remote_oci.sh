#!/usr/bin/env bash
# The OCI registry store against Debian's docker-registry (distribution 2.8) on 127.0.0.1:
#   1. open registry over HTTP: the store contract (`kiln __store-selftest`), blobs the
#      registry has are not sent again, then the real flow — checkout A builds a tiny
#      workspace (a member lib, a bin, a registry crate) uploading; checkout B elsewhere, with
#      an empty local store and the remote given in its Cargo.toml ([workspace.metadata.kiln])
#      → every compilation a remote hit, identical binary; checkout C, A's sources as they were,
#      gets everything through A's build index and its pack (one manifest request);
#   2. htpasswd (bcrypt) over TLS with a self-signed certificate: Basic credentials from the
#      URL or the config, the CA bundle from the config or SSL_CERT_FILE; wrong, missing
#      credentials and an unknown CA fail with a clear message; `kiln config` masks them;
#   3. token auth over TLS: the registry answers with a Bearer challenge, kiln gets a token
#      from a token server (a small Python one issuing RS256 JWTs with an x5c chain, the
#      format distribution verifies) with Basic credentials, then uses the token.
set -euo pipefail
: "${KILN_BIN:?}" "${KILN_SOURCE_DIR:?}"
export PATH="$(dirname "$KILN_BIN"):$HOME/.cargo/bin:$PATH"
for tool in docker-registry htpasswd openssl python3 curl cargo skopeo; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (scripts/install-deps.sh)"; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# A clean configuration: no user file, no KILN_* from the caller.
for v in $(env | grep -o '^KILN_[A-Z_]*' | grep -v -e '^KILN_BIN$' -e '^KILN_SOURCE_DIR$'); do unset "$v"; done
export XDG_CONFIG_HOME="$work/xdg" CARGO_INCREMENTAL=0
export KILN_DIR="$work/kiln-selftest"  # the selftests' store dir (remote-auth tokens, health marks)
unset CURL_CA_BUNDLE SSL_CERT_FILE

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_http URL: until anything answers (at most ~20 s).
wait_http() {
  for _ in $(seq 200); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' "$1" || true)
    [ "$code" != "000" ] && return 0
    sleep 0.1
  done
  echo "FAIL: nothing answers at $1"; exit 1
}
# start_registry NAME PORT EXTRA_YAML: a registry storing under $work/NAME, access log in $work/NAME.log.
start_registry() {
  local name=$1 port=$2 extra=$3
  cat >"$work/$name.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $work/$name-data
http:
  addr: 127.0.0.1:$port
$extra
EOF
  docker-registry serve "$work/$name.yml" >>"$work/$name.log" 2>&1 &
  last_pid=$!
  pids+=($last_pid)
}
selftest() { kiln __store-selftest "$@" 2>&1; }
count() { grep -c "^\[[0-9]*\] $1 " "$2" || true; }

# --- 1. Open registry over HTTP ---------------------------------------------------------
p1=$(free_port)
start_registry open "$p1" ""
open_pid=$last_pid
wait_http "http://127.0.0.1:$p1/v2/"
open_url="oci://127.0.0.1:$p1/kiln/cache"
out=$(selftest "$open_url" --seed a) || { fail "selftest on the open registry"; echo "$out"; }
echo "$out" | grep -q '^ok misses' || fail "selftest did not finish: $out"
posts=$(grep -c '"POST /v2/kiln/cache/blobs/uploads/' "$work/open.log" || true)
[ "$posts" -eq 3 ] || fail "expected 3 uploads (blob, empty config, entry layer), saw $posts"
out=$(selftest "$open_url" --seed a --mode put) || fail "second put: $out"
posts2=$(grep -c '"POST /v2/kiln/cache/blobs/uploads/' "$work/open.log" || true)
[ "$posts2" -eq "$posts" ] || fail "blobs the registry has were sent again ($posts → $posts2 uploads)"
out=$(selftest "$open_url" --seed b --mode put --size 5000000) || fail "put 5 MB: $out"
out=$(selftest "$open_url" --seed b --mode get --size 5000000) || fail "get 5 MB in another process: $out"
grep -q '"PUT /v2/kiln/cache/manifests/[0-9a-f]\{64\} HTTP/1.1" 201' "$work/open.log" || fail "no manifest pushed by tag"
out=$(selftest "oci://127.0.0.1:$p1/Kiln/Cache") && fail "upper-case repository accepted"
echo "$out" | grep -q "bad OCI repository name" || fail "bad repository name: $out"
echo "1. open registry: store contract ok, $posts uploads, none repeated"

# The real flow. A workspace: member lib `util`, bin `app` using it and the registry crate itoa.
mkdir -p "$work/a/util/src" "$work/a/app/src" "$work/a/.cargo"
cat >"$work/a/Cargo.toml" <<'EOF'
[workspace]
members = ["util", "app"]
resolver = "2"
EOF
cat >"$work/a/util/Cargo.toml" <<'EOF'
[package]
name = "util"
version = "0.1.0"
edition = "2021"
EOF
echo 'pub fn greet(n: u64) -> String { let mut b = itoa_like(n); b.insert_str(0, "hello #"); b }
fn itoa_like(n: u64) -> String { n.to_string() }' >"$work/a/util/src/lib.rs"
cat >"$work/a/app/Cargo.toml" <<'EOF'
[package]
name = "app"
version = "0.1.0"
edition = "2021"
[dependencies]
util = { path = "../util" }
itoa = "1"
EOF
echo 'fn main() { let mut b = itoa::Buffer::new(); println!("{} {}", util::greet(42), b.format(7u8)); }' >"$work/a/app/src/main.rs"
cat >"$work/a/.cargo/config.toml" <<'EOF'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
EOF
cp -a "$work/a" "$work/b-elsewhere"
cp -a "$work/a" "$work/c-fresh"

cd "$work/a"
KILN_DIR="$work/store-a" KILN_REMOTE="$open_url" KILN_LOG="$work/a.log" cargo kiln build 2>"$work/a.err" ||
  { cat "$work/a.err"; fail "build A"; }
misses_a=$(count miss "$work/a.log")
echo "checkout A: $misses_a misses, $(count hit "$work/a.log") hits"
[ "$misses_a" -ge 3 ] || fail "expected at least 3 compilations in A (itoa, util, app)"
grep -q "kiln: warning" "$work/a.err" && { fail "warnings in A"; grep "kiln: warning" "$work/a.err"; }

# Checkout B: the remote comes from its Cargo.toml, the local store is empty.
cd "$work/b-elsewhere"
cat >>Cargo.toml <<EOF
[workspace.metadata.kiln]
remote = ["$open_url#read-only"]
EOF
kiln config | grep -F "remote = [\"$open_url#read-only\"]" | grep -q "Cargo.toml \[workspace.metadata.kiln\]" ||
  { fail "kiln config does not show the remote from Cargo.toml"; kiln config; }
KILN_DIR="$work/store-b" KILN_LOG="$work/b.log" cargo kiln build 2>"$work/b.err" || { cat "$work/b.err"; fail "build B"; }
hits_b=$(count hit "$work/b.log")
misses_b=$(count miss "$work/b.log")
echo "checkout B: $hits_b hits, $misses_b misses"
[ "$misses_b" -eq 0 ] || { fail "checkout B missed"; grep '\] miss' "$work/b.log"; }
[ "$hits_b" -eq "$misses_a" ] || fail "$hits_b remote hits for $misses_a compilations in A"
cmp "$work/a/target/debug/app" "$work/b-elsewhere/target/debug/app" || fail "app differs between A and B"
[ "$(./target/debug/app)" = "hello #42 7" ] || fail "app from remote hits does not run right"
grep -q '"GET /v2/kiln/cache/manifests/[0-9a-f]\{64\} HTTP/1.1" 200' "$work/open.log" || fail "no manifest fetched"

# Checkout C: A's sources as they were (no Cargo.lock yet: the same build index key as A's
# build) with an empty store. Everything comes through the build index A left and its pack
# (core/index_pack.h), without a manifest request per entry: the pack also names the zstd
# layers of the blobs it leaves out (A's uploads logged them in KILN_DIR/remote-layers).
cd "$work/c-fresh"
log_lines_before_c=$(wc -l <"$work/open.log")
KILN_DIR="$work/store-c" KILN_REMOTE="$open_url#read-only" KILN_LOG="$work/c.log" cargo kiln build 2>"$work/c.err" ||
  { cat "$work/c.err"; fail "build C"; }
manifest_gets_c=$(tail -n +$((log_lines_before_c + 1)) "$work/open.log" | grep -c '"GET /v2/kiln/cache/manifests/' || true)
echo "checkout C: $(count hit "$work/c.log") hits, $(count miss "$work/c.log") misses, $manifest_gets_c manifests fetched"
grep -q "build index pack [0-9a-f]*: [1-9][0-9]* entries" "$work/c.log" || fail "C did not read the index's pack"
grep -q "build index pack [0-9a-f]*: .* [1-9][0-9]* remote blob names" "$work/c.log" ||
  fail "C's pack names no layers"
# The index's manifest only.
[ "$manifest_gets_c" -eq 1 ] || fail "C fetched $manifest_gets_c manifests for $misses_a entries (expected the index's only)"
grep -q "entry read for its blob names" "$work/c.log" && fail "C read an entry for its blob names"
[ "$(count miss "$work/c.log")" -eq 0 ] || fail "checkout C missed"
cmp "$work/a/target/debug/app" target/debug/app || fail "app differs between A and C"

# A pack whose layer names are wrong (a log this machine wrote, then the registry lost those
# layers, say) costs requests, never results: each name 404s, kiln reads the entry's manifest
# and fetches what it names. A's log gets a wrong name for every blob; A builds again with
# `-q`, another index key, whose pack carries them; C2 with an empty store follows it.
log_a=$(ls "$work/store-a/remote-layers/"*)
awk '{ printf "%s %064d %s\n", $1, NR, $3 }' "$log_a" >>"$log_a.bad" && cat "$log_a.bad" >>"$log_a"
(cd "$work/a" && cargo clean -q && KILN_DIR="$work/store-a" KILN_REMOTE="$open_url" cargo kiln build -q 2>"$work/a-q.err") ||
  { cat "$work/a-q.err"; fail "A with -q"; }
cp -a "$work/c-fresh" "$work/c2" && cd "$work/c2" && rm -rf target
KILN_DIR="$work/store-c2" KILN_REMOTE="$open_url#read-only" KILN_LOG="$work/c2.log" cargo kiln build -q 2>"$work/c2.err" ||
  { cat "$work/c2.err"; fail "build C2"; }
grep -q "a known blob name failed; reading the entry" "$work/c2.log" || fail "C2 did not fall back to the manifests"
grep -q "kiln: warning" "$work/c2.err" && { fail "warnings in C2"; grep "kiln: warning" "$work/c2.err"; }
[ "$(count miss "$work/c2.log")" -eq 0 ] || fail "checkout C2 missed"
cmp "$work/a/target/debug/app" target/debug/app || fail "app differs between A and C2"
echo "checkout C2 (wrong layer names in the pack): $(count hit "$work/c2.log") hits, $(grep -c 'a known blob name failed' "$work/c2.log") fallbacks"
cd "$work/b-elsewhere"

# The registry's garbage collection keeps every blob an entry needs (outputs are layers of
# the entry's manifest): collect (registry stopped), restart, and an empty store still hits.
# An orphan blob (no manifest names it) shows the collection does run.
printf 'orphan %s' "$work" >"$work/orphan"
orphan=$(sha256sum "$work/orphan" | cut -d' ' -f1)
loc=$(curl -s -D - -o /dev/null -X POST "http://127.0.0.1:$p1/v2/kiln/cache/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$work/orphan" "$loc&digest=sha256:$orphan" ||
  fail "orphan upload"
kill "$open_pid"; wait "$open_pid" 2>/dev/null || true
gc_before=$(find "$work/open-data" -name data -path '*/blobs/*' | wc -l)
docker-registry garbage-collect --delete-untagged "$work/open.yml" >"$work/gc.log" 2>&1 || { cat "$work/gc.log"; fail "garbage-collect"; }
gc_after=$(find "$work/open-data" -name data -path '*/blobs/*' | wc -l)
start_registry open "$p1" ""
wait_http "http://127.0.0.1:$p1/v2/"
rm -rf target
KILN_DIR="$work/store-b2" KILN_LOG="$work/b2.log" cargo kiln build 2>"$work/b2.err" || { cat "$work/b2.err"; fail "build after GC"; }
echo "after garbage collection ($gc_before → $gc_after blobs): $(count hit "$work/b2.log") hits, $(count miss "$work/b2.log") misses"
[ "$(count miss "$work/b2.log")" -eq 0 ] || fail "misses after the registry's garbage collection"
[ "$gc_after" -eq $((gc_before - 1)) ] || fail "garbage collection removed $((gc_before - gc_after)) blobs, expected just the orphan"
cmp "$work/a/target/debug/app" target/debug/app || fail "app differs after GC"

# Bytes on the wire (store/remote/wire_compression.h): A's outputs went up as zstd layers.
read -r wire_up raw_up < <(KILN_DIR="$work/store-a" kiln stats --json | python3 -c '
import json, sys
s = [v for k, v in json.load(sys.stdin)["stores"].items() if k.startswith("oci")][0]
print(s["wire_up"], s["bytes_up"])')
echo "checkout A uploaded $wire_up bytes on the wire for $raw_up raw"
[ "$wire_up" -lt $((raw_up / 2)) ] || fail "A's upload was not compressed ($wire_up bytes on the wire for $raw_up)"
# skopeo reads kiln's manifests; a zstd layer names its frame and, annotated, the content.
zstd_manifest=""
for tag in $(grep -o 'PUT /v2/kiln/cache/manifests/[0-9a-f]\{64\}' "$work/open.log" | sed 's,.*/,,' | sort -u); do
  skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$p1/kiln/cache:$tag" >"$work/manifest.json" ||
    { fail "skopeo inspect cannot read kiln's manifest $tag"; break; }
  if grep -q 'output-file.v1+zstd' "$work/manifest.json"; then zstd_manifest=$tag; break; fi
done
[ -n "$zstd_manifest" ] || fail "no manifest with a zstd layer (skopeo inspect --raw)"
frame=$(python3 -c '
import json, sys
for l in json.load(open(sys.argv[1]))["layers"]:
    if l["mediaType"].endswith("+zstd"):
        assert l["annotations"]["dev.kiln.content.digest"].startswith("sha256:")
        print(l["digest"][7:]); break' "$work/manifest.json") || fail "zstd layer without its content digest"
echo "skopeo inspect: manifest $zstd_manifest has zstd layer $frame"
# A corrupt compressed blob is a miss with a warning, never a served output.
blob="$work/open-data/docker/registry/v2/blobs/sha256/${frame:0:2}/$frame/data"
[ -f "$blob" ] || fail "no registry file for blob $frame"
cp "$blob" "$work/frame.orig"
head -c 64 /dev/urandom >>"$blob"
rm -rf target
KILN_DIR="$work/store-corrupt" KILN_LOG="$work/corrupt.log" cargo kiln build 2>"$work/corrupt.err" ||
  { cat "$work/corrupt.err"; fail "build with a corrupt compressed blob"; }
grep -q "kiln: warning" "$work/corrupt.err" || fail "no warning for the corrupt blob"
[ "$(count miss "$work/corrupt.log")" -gt 0 ] || fail "the corrupt blob's crate did not miss"
cmp "$work/a/target/debug/app" target/debug/app || fail "app differs after a corrupt compressed blob"
echo "corrupt compressed blob: $(count miss "$work/corrupt.log") misses, warned: $(grep -m1 'kiln: warning' "$work/corrupt.err")"
cp "$work/frame.orig" "$blob"

# Mixed entries, as when older kilns share the registry: A's app changes and is stored raw
# (remote_compression off) beside the compressed rest; an empty store reads both kinds.
echo 'fn main() { let mut b = itoa::Buffer::new(); println!("{} {} mixed", util::greet(42), b.format(7u8)); }' >"$work/a/app/src/main.rs"
cp "$work/a/app/src/main.rs" "$work/b-elsewhere/app/src/main.rs"
(cd "$work/a" && KILN_DIR="$work/store-a" KILN_REMOTE="$open_url" KILN_REMOTE_COMPRESSION=off cargo kiln build 2>"$work/mixed-a.err") ||
  { cat "$work/mixed-a.err"; fail "raw upload of the changed app"; }
rm -rf target
KILN_DIR="$work/store-mixed" KILN_LOG="$work/mixed.log" cargo kiln build 2>"$work/mixed.err" ||
  { cat "$work/mixed.err"; fail "build from mixed raw and compressed entries"; }
[ "$(count miss "$work/mixed.log")" -eq 0 ] || fail "mixed raw and compressed entries: misses"
[ "$(./target/debug/app)" = "hello #42 7 mixed" ] || fail "mixed entries: the app does not print the change"
echo "mixed raw and compressed entries: $(count hit "$work/mixed.log") hits, 0 misses"

# --- 2. htpasswd over TLS ----------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
htpasswd -Bbn kiln 's3cret pass' >"$work/htpasswd"
p2=$(free_port)
start_registry basic "$p2" "  tls:
    certificate: $work/tls.crt
    key: $work/tls.key
auth:
  htpasswd:
    realm: kiln-test
    path: $work/htpasswd"
wait_http "https://127.0.0.1:$p2/v2/"
basic_url="oci://127.0.0.1:$p2/kiln/cache?tls=on"
out=$(KILN_REMOTE_CA_BUNDLE="$work/tls.crt" selftest "oci://kiln:s3cret%20pass@127.0.0.1:$p2/kiln/cache?tls=on") ||
  { fail "selftest with credentials in the URL: $out"; }
out=$(SSL_CERT_FILE="$work/tls.crt" KILN_REMOTE_USERNAME=kiln KILN_REMOTE_PASSWORD='s3cret pass' \
  selftest "$basic_url" --mode get) || fail "selftest with credentials from the config: $out"
out=$(KILN_REMOTE_CA_BUNDLE="$work/tls.crt" selftest "oci://kiln:wrong@127.0.0.1:$p2/kiln/cache?tls=on") &&
  fail "wrong password accepted"
echo "$out" | grep -q "refused the credentials" || fail "wrong password: $out"
out=$(KILN_REMOTE_CA_BUNDLE="$work/tls.crt" selftest "$basic_url") && fail "no credentials accepted"
echo "$out" | grep -q "wants credentials" || fail "no credentials: $out"
out=$(selftest "oci://kiln:s3cret%20pass@127.0.0.1:$p2/kiln/cache?tls=on") && fail "unknown CA accepted"
echo "$out" | grep -qi "certificate" || fail "unknown CA: $out"
grep -q "Authorization: Basic" "$work/basic.log" && fail "registry logged credentials?"
shown=$(KILN_REMOTE="oci://kiln:s3cret@127.0.0.1:$p2/kiln/cache" KILN_REMOTE_PASSWORD='s3cret pass' kiln config)
echo "$shown" | grep -q "s3cret" && fail "kiln config shows a password: $shown"
echo "$shown" | grep -qF 'oci://kiln:****@127.0.0.1' || fail "kiln config does not mask the URL: $shown"
echo "$shown" | grep -q '^remote_password = "\*\*\*\*" *# env KILN_REMOTE_PASSWORD' || fail "password origin: $shown"
echo "2. htpasswd over TLS: credentials from URL and config work; wrong/missing/unknown CA refused"

# The flow through the authenticated registry too: A uploads, a third empty store hits.
cd "$work/a"
cargo clean -q
export KILN_REMOTE_CA_BUNDLE="$work/tls.crt" KILN_REMOTE_USERNAME=kiln KILN_REMOTE_PASSWORD='s3cret pass'
KILN_DIR="$work/store-a2" KILN_REMOTE="$basic_url" KILN_LOG="$work/a2.log" cargo kiln build 2>"$work/a2.err" ||
  { cat "$work/a2.err"; fail "build A through the TLS registry"; }
cargo clean -q
KILN_DIR="$work/store-c" KILN_REMOTE="$basic_url" KILN_LOG="$work/c.log" cargo kiln build 2>"$work/c.err" ||
  { cat "$work/c.err"; fail "build C through the TLS registry"; }
echo "TLS registry: A $(count miss "$work/a2.log") misses; C $(count hit "$work/c.log") hits, $(count miss "$work/c.log") misses"
[ "$(count miss "$work/c.log")" -eq 0 ] || fail "C missed through the TLS registry"
grep -q "kiln: warning" "$work/a2.err" "$work/c.err" && { fail "warnings through the TLS registry"; cat "$work/a2.err" "$work/c.err"; }
unset KILN_REMOTE_CA_BUNDLE KILN_REMOTE_USERNAME KILN_REMOTE_PASSWORD

# --- 3. Token (Bearer) auth over TLS -----------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kiln token signer" \
  -keyout "$work/signer.key" -out "$work/signer.crt" 2>/dev/null
cat >"$work/token_server.py" <<'PY'
# A Docker-style token server: GET /token?service=…&scope=… with Basic credentials →
# {"token": JWT}. JWT: RS256, x5c header with the signing certificate, claims iss/sub/aud/
# exp/nbf/iat/jti/access (https://distribution.github.io/distribution/spec/auth/jwt/).
import base64, http.server, json, os, ssl, subprocess, sys, time, urllib.parse
port, cert, key, sign_key, sign_cert, user, password, issuer, log = sys.argv[1:]
der = subprocess.run(["openssl", "x509", "-in", sign_cert, "-outform", "DER"], capture_output=True, check=True).stdout
x5c = base64.b64encode(der).decode()
want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        auth = self.headers.get("Authorization", "")
        with open(log, "a") as f:
            f.write(f"{url.path} service={q.get('service')} scope={q.get('scope')} auth={'basic' if auth else 'none'}\n")
        if auth != want:
            self.send_response(401); self.send_header("Content-Length", "0"); self.end_headers(); return
        access = []
        for s in q.get("scope", []):
            kind, name, actions = s.split(":", 2)
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {"iss": issuer, "sub": user, "aud": q.get("service", [""])[0], "exp": now + 600,
                  "nbf": now - 60, "iat": now, "jti": os.urandom(8).hex(), "access": access}
        header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
        signing_input = b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", sign_key], input=signing_input.encode(),
                             capture_output=True, check=True).stdout
        body = json.dumps({"token": signing_input + "." + b64u(sig), "expires_in": 600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args): pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
PY
pt=$(free_port)
python3 "$work/token_server.py" "$pt" "$work/tls.crt" "$work/tls.key" "$work/signer.key" "$work/signer.crt" \
  kiln 'tok3n pass' kiln-test-issuer "$work/token-server.log" 2>"$work/token.err" &
pids+=($!)
wait_http "https://127.0.0.1:$pt/token"
p3=$(free_port)
start_registry tokenreg "$p3" "  tls:
    certificate: $work/tls.crt
    key: $work/tls.key
auth:
  token:
    realm: https://127.0.0.1:$pt/token
    service: kiln-test-registry
    issuer: kiln-test-issuer
    rootcertbundle: $work/signer.crt"
wait_http "https://127.0.0.1:$p3/v2/"
: >"$work/token-server.log"
export KILN_REMOTE_CA_BUNDLE="$work/tls.crt"
token_url="oci://kiln:tok3n%20pass@127.0.0.1:$p3/kiln/cache?tls=on"
out=$(selftest "$token_url" --seed t) || fail "selftest with a token: $out"
grep -q "scope=\['repository:kiln/cache:pull,push'\] auth=basic" "$work/token-server.log" || fail "no push token asked: $(cat "$work/token-server.log")"
grep -q "service=\['kiln-test-registry'\]" "$work/token-server.log" || fail "service not passed to the token endpoint"
asked=$(wc -l <"$work/token-server.log")
out=$(selftest "$token_url" --seed t --mode get) || fail "get in a second process: $out"
[ "$(wc -l <"$work/token-server.log")" -eq "$asked" ] || fail "the second process asked for a token again"
grep -rq "tok3n" "$KILN_DIR/remote-auth" && fail "credentials written to the token cache"
out=$(KILN_DIR="$work/kiln-fresh" selftest "$token_url" --seed t --mode get) || fail "get with a pull token: $out"
grep -q "scope=\['repository:kiln/cache:pull'\] auth=basic" "$work/token-server.log" || fail "no pull token asked"
out=$(selftest "oci://kiln:nope@127.0.0.1:$p3/kiln/cache?tls=on") && fail "wrong token credentials accepted"
echo "$out" | grep -q "token endpoint .* refused the credentials" || fail "wrong token credentials: $out"
out=$(selftest "oci://127.0.0.1:$p3/kiln/cache?tls=on") && fail "anonymous push accepted"
echo "$out" | grep -q "refused" || fail "anonymous: $out"
echo "3. token auth: $(wc -l <"$work/token-server.log") token requests"

# The flow through the token registry: A uploads, D (empty store) hits.
cd "$work/a"
cargo clean -q
KILN_DIR="$work/store-a3" KILN_REMOTE="$token_url" KILN_LOG="$work/a3.log" cargo kiln build 2>"$work/a3.err" ||
  { cat "$work/a3.err"; fail "build A through the token registry"; }
cargo clean -q
before=$(wc -l <"$work/token-server.log")
KILN_DIR="$work/store-d" KILN_REMOTE="$token_url" KILN_LOG="$work/d.log" cargo kiln build 2>"$work/d.err" ||
  { cat "$work/d.err"; fail "build D through the token registry"; }
echo "token registry: A $(count miss "$work/a3.log") misses; D $(count hit "$work/d.log") hits," \
  "$(count miss "$work/d.log") misses, $(($(wc -l <"$work/token-server.log") - before)) token requests"
[ "$(count miss "$work/d.log")" -eq 0 ] || fail "D missed through the token registry"
grep -q "kiln: warning" "$work/a3.err" "$work/d.err" && { fail "warnings through the token registry"; cat "$work/a3.err" "$work/d.err"; }
unset KILN_REMOTE_CA_BUNDLE

# --- Remote prune (kiln cache prune --remote oci://…) -------------------------------------
# A registry with deletes enabled: nothing is an hour old; after two seconds every entry is
# older than 1 s and goes (manifest DELETE by digest). The open registry refuses deletes:
# one error with the fix.
p9=$(free_port)
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$work/del-data" "$p9" >"$work/del.yml"
docker-registry serve "$work/del.yml" >>"$work/del.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$p9/v2/"
del_url="oci://127.0.0.1:$p9/kiln/prune"
tag_count() { curl -sf "http://127.0.0.1:$p9/v2/kiln/prune/tags/list" | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("tags") or []))'; }
cd "$work/a"
cargo clean -q
KILN_DIR="$work/store-del" KILN_REMOTE="$del_url" cargo kiln build 2>"$work/del-build.err" || { cat "$work/del-build.err"; fail "build into the prune registry"; }
tags_before=$(tag_count)
kiln cache prune --remote "$del_url" --older-than 1h >"$work/prune1.out" 2>&1 || { cat "$work/prune1.out"; fail "prune 1h"; }
grep -q ": 0 entries removed" "$work/prune1.out" || { cat "$work/prune1.out"; fail "prune --older-than 1h removed entries"; }
sleep 2
kiln cache prune --remote "$del_url" --older-than 1s >"$work/prune2.out" 2>&1 || { cat "$work/prune2.out"; fail "prune 1s"; }
removed=$(sed -n 's/.*: \([0-9]*\) entries removed.*/\1/p' "$work/prune2.out")
tags_after=$(tag_count)
echo "prune: $tags_before tags, $removed entries removed, $tags_after tags left"
{ [ "${removed:-0}" -ge 1 ] && [ "$tags_after" -eq $((tags_before - removed)) ]; } || fail "prune --older-than 1s"
rc=0; kiln cache prune --remote "oci://127.0.0.1:$p1/kiln/cache" --older-than 1s >"$work/prune3.out" 2>&1 || rc=$?
{ [ "$rc" -eq 1 ] && grep -q "does not allow deletes" "$work/prune3.out"; } || { cat "$work/prune3.out"; fail "a registry without deletes: one error"; }

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "1 passed, 0 failed"

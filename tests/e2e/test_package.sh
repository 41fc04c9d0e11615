#!/usr/bin/env bash
# `cargo kiln package` on ripgrep, on a base made in the test setup (debootstrap minbase,
# imported into podman):
#   - the archive: `skopeo inspect oci-archive:` shows the labels; `umoci unpack` gives a
#     rootfs with /usr/local/bin/rg (mode 755); `podman load` + `podman run rg --version` and
#     `docker load` + `docker run` on a test dockerd print ripgrep's version;
#   - reproducible: packaging again from scratch gives the same digest; an unchanged
#     fingerprint reuses the archive; a code change gives a new digest;
#   - `--push` to Debian's docker-registry on 127.0.0.1: `skopeo inspect` reads the same
#     digest back; a second push uploads nothing, a changed binary only its layer and config;
#   - bad input: no binary target, two binaries without --bin, a base that does not exist, an
#     unwritable output path, a registry that refuses — a clear error, no partial archive.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/container_test_lib.sh"
e2e_init
trap container_cleanup EXIT
unset LIBRARY_PATH SOURCE_DATE_EPOCH
export KILN_CONTAINER_RUNTIME=podman
container_base podman
corpus=${KILN_CORPUS_DIR:-/var/tmp/kiln-corpus}
"$KILN_SOURCE_DIR/scripts/prepare-debian-app.sh" rust-ripgrep "$corpus/ripgrep" >/dev/null
e2e_copy_corpus "$corpus/ripgrep" "$E2E_TMP/rg"
cd "$E2E_TMP/rg"
archive=$E2E_TMP/rg.oci.tar
export SOURCE_DATE_EPOCH=1700000000

package() { # TAG ARGS…: cargo kiln package ARGS…; stdout (the digest) in $E2E_TMP/TAG.out
  local tag=$1; shift
  kiln_run "$tag" cargo kiln package "$@" || { cat "$E2E_TMP/$tag.err" >&2; fail "cargo kiln package $*"; }
  cat "$E2E_TMP/$tag.out"
}
d1=$(package p1 --output "$archive")
[[ $d1 == sha256:* ]] || fail "cargo kiln package prints the digest ($d1)"
pass "packaged rg: $d1"

skopeo inspect "oci-archive:$archive" >"$E2E_TMP/inspect.json"
for label in '"org.opencontainers.image.title": "rg"' '"org.opencontainers.image.version": "13.0.0"' \
  '"org.opencontainers.image.created": "2023-11-14T22:13:20Z"' '"dev.kiln.crate": "ripgrep"' '"dev.kiln.profile": "dev"' \
  '"dev.kiln.toolchain": "rustc '; do
  expect_file_contains "$E2E_TMP/inspect.json" "$label" "skopeo inspect shows $label"
done
expect_eq "$d1" "$(json_get "$(cat "$E2E_TMP/inspect.json")" "j['Digest']")" "skopeo reads the digest kiln printed"

mkdir "$E2E_TMP/layout" && tar -C "$E2E_TMP/layout" -xf "$archive"
umoci unpack --image "$E2E_TMP/layout:rg:13.0.0" "$E2E_TMP/bundle" >/dev/null 2>&1 || fail "umoci unpack"
expect_eq 755 "$(stat -c %a "$E2E_TMP/bundle/rootfs/usr/local/bin/rg")" "umoci unpacks /usr/local/bin/rg, mode 755"
cmp "$E2E_TMP/bundle/rootfs/usr/local/bin/rg" target/debug/rg || fail "the image's rg is the built one"
pass "the image's rg is the built one"

podman load -i "$archive" >/dev/null 2>&1 || fail "podman load"
v=$(podman run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 rg:13.0.0 --version) ||
  fail "podman run rg:13.0.0"
[[ $v == "ripgrep 13.0.0"* ]] || fail "podman run prints ripgrep's version ($v)"
pass "podman load + run: $(head -1 <<<"$v")"
podman rmi -f rg:13.0.0 >/dev/null 2>&1 || true

start_dockerd
/usr/bin/docker load -i "$archive" >"$E2E_TMP/dload.out" 2>&1 || { cat "$E2E_TMP/dload.out" >&2; fail "docker load"; }
v=$(/usr/bin/docker run --rm --network none rg:13.0.0 --version) || fail "docker run rg:13.0.0"
[[ $v == "ripgrep 13.0.0"* ]] || fail "docker run prints ripgrep's version ($v)"
pass "docker load + run: $(head -1 <<<"$v")"
/usr/bin/docker rmi -f rg:13.0.0 >/dev/null 2>&1 || true

# --- reproducible, reused, changed
d_again=$(package p2 --output "$archive")
expect_eq "$d1" "$d_again" "an unchanged package is reused"
expect_file_contains "$E2E_TMP/p2.err" "is unchanged (fingerprint" "and says so"
rm -f "$archive" "$KILN_DIR/package/artifacts/rg.json"
cargo clean
d2=$(package p3 --output "$archive")
expect_eq "$d1" "$d2" "packaging again from scratch (cargo clean, no record) gives the same digest"
cp "$archive" "$E2E_TMP/first.oci.tar"
echo '#[no_mangle] pub extern "C" fn kiln_package_test_marker() -> u32 { 7 }' >>crates/core/main.rs
d3=$(package p4 --output "$archive")
[ "$d3" != "$d1" ] || fail "a code change gives a new digest"
pass "a code change gives a new digest ($d3)"

# --- --container: built in the toolchain container from the same store, the same image
rm -f "$KILN_DIR/package/artifacts/rg.json"
cargo clean
d_container=$(package pc --container --output "$E2E_TMP/rg-container.oci.tar")
expect_eq "$d3" "$d_container" "cargo kiln package --container gives the same image (the same rg, restored from the store)"

# --- push
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$E2E_TMP/registry.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $E2E_TMP/registry-data
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$E2E_TMP/registry.yml" >"$E2E_TMP/registry.log" 2>&1 &
CONTAINER_PIDS+=($!)
for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
rm -f "$KILN_DIR/package/artifacts/rg.json"
d4=$(package push1 --output "$archive" --push "oci://127.0.0.1:$port/tools/rg:13.0.0")
expect_eq "$d3" "$d4" "the pushed image is the packaged one"
expect_file_contains "$E2E_TMP/push1.err" "3 blobs uploaded, 0 already there" "the first push uploads base layer, layer and config"
remote=$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$port/tools/rg:13.0.0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
expect_eq "$d4" "$remote" "skopeo reads the pushed digest back from the registry"
skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$port/tools/rg:13.0.0" "oci:$E2E_TMP/back:rg" || fail "skopeo copy back"
pass "skopeo copy back from the registry"
package push2 --output "$archive" --push "oci://127.0.0.1:$port/tools/rg:13.0.0" >/dev/null
expect_file_contains "$E2E_TMP/push2.err" "0 blobs uploaded, 3 already there" "a second push uploads no layer twice"
sed -i '$d' crates/core/main.rs
echo '#[no_mangle] pub extern "C" fn kiln_package_test_marker2() -> u32 { 8 }' >>crates/core/main.rs
d5=$(package push3 --output "$archive" --push "oci://127.0.0.1:$port/tools/rg:next")
expect_file_contains "$E2E_TMP/push3.err" "2 blobs uploaded, 1 already there" "a changed binary pushes its layer and config only"

# --- kiln package ls
"$KILN_BIN" package ls >"$E2E_TMP/ls.out"
expect_file_contains "$E2E_TMP/ls.out" "rg:13.0.0" "kiln package ls lists rg"
"$KILN_BIN" package ls --json >"$E2E_TMP/ls.json"
expect_eq "$d5" "$(json_get "$(cat "$E2E_TMP/ls.json")" "[a['digest'] for a in j if a['name']=='rg'][0]")" "with its last digest"

# --- bad input
bad() { # TAG WANT ARGS…: cargo kiln package ARGS… fails with WANT on stderr, leaves no .part
  local tag=$1 want=$2; shift 2
  local rc=0
  kiln_run "$tag" cargo kiln package "$@" || rc=$?
  [ "$rc" -ne 0 ] || fail "$tag: cargo kiln package $* should fail"
  expect_file_contains "$E2E_TMP/$tag.err" "$want" "$tag: a clear error"
  [ -z "$(find "$E2E_TMP" -name '*.part' -print -quit)" ] || fail "$tag: a partial archive was left"
}
bad missing-base "base image kiln-no-such-base:1 is not in podman's image store" --base kiln-no-such-base:1 --output "$E2E_TMP/x.tar"
bad unwritable "cannot write /proc/kiln-test/x.tar" --output /proc/kiln-test/x.tar
bad refused "push to oci://127.0.0.1:1/tools/rg" --output "$E2E_TMP/y.tar" --push "oci://127.0.0.1:1/tools/rg:x"
mkdir -p "$E2E_TMP/lib/src" && cd "$E2E_TMP/lib"
printf '[package]\nname = "onlylib"\nversion = "0.1.0"\nedition = "2021"\n' >Cargo.toml && echo 'pub fn f() {}' >src/lib.rs
bad no-bin "no binary target to package"
mkdir -p "$E2E_TMP/two/src/bin" && cd "$E2E_TMP/two"
printf '[package]\nname = "two"\nversion = "0.1.0"\nedition = "2021"\n' >Cargo.toml
echo 'fn main() {}' >src/main.rs && echo 'fn main() {}' >src/bin/other.rs
bad two-bins "2 binaries (other, two): choose one with --bin NAME"

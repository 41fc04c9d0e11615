#!/usr/bin/env bash
# Toolchain containers with podman (Debian's 4.3, runc; kiln passes explicit rlimits):
#   - `cargo kiln --container build` of ripgrep builds the toolchain image on first use, then
#     ripgrep in it; `rg` runs on the host; files in the checkout belong to the invoking user;
#   - the host's `cargo kiln build` after `cargo clean` hits 100% from what the container
#     stored, and the other way round (a host-filled store serves the container);
#   - `kiln run`: exit codes and signals pass through, nothing is left running; proxies and
#     SSH_AUTH_SOCK reach the command; named cargo cache volumes are initialised once;
#     `--network none` keeps a build script from reaching a server on 127.0.0.1;
#   - bad input: a missing image, a runtime not installed → one-line error, exit 125.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/container_test_lib.sh"
e2e_init
trap container_cleanup EXIT
# A host variable the container does not get and that links keys hold (this machine's image
# sets it for CUDA): with it, linked crates would rightly miss between host and container.
unset LIBRARY_PATH
export KILN_CONTAINER_RUNTIME=podman
container_base podman
corpus=${KILN_CORPUS_DIR:-/var/tmp/kiln-corpus}
"$KILN_SOURCE_DIR/scripts/prepare-debian-app.sh" rust-ripgrep "$corpus/ripgrep" >/dev/null

# --- dry run: the command line says what the container gets
mkdir -p "$E2E_TMP/empty" && cd "$E2E_TMP/empty"
"$KILN_BIN" run --dry-run -- true >"$E2E_TMP/dry.out" 2>"$E2E_TMP/dry.err" || { cat "$E2E_TMP/dry.err" >&2; fail "dry run"; }
for want in "podman run --rm" "--network=none" "--user $(id -u):$(id -g)" "--ulimit nofile=" "--ulimit nproc=" \
  "$E2E_TMP/store:/kiln/store" "/opt/kiln/bin/kiln:ro" "--env HOME=/home/kiln"; do
  expect_file_contains "$E2E_TMP/dry.out" "$want" "dry run shows $want"
done

# --- ripgrep in the container, then on the host from what it stored
# The toolchain image is built on first use: remove it so that this run is a first use.
image=$(awk '{print $(NF-1)}' "$E2E_TMP/dry.out")
case "$image" in kiln-toolchain:*) podman rmi -f "$image" >/dev/null 2>&1 || true ;; *) fail "dry run names the toolchain image ($image)" ;; esac
e2e_copy_corpus "$corpus/ripgrep" "$E2E_TMP/rg"
cd "$E2E_TMP/rg"
kiln_cargo container-cold --container build
expect_file_contains "$E2E_TMP/container-cold.err" "building kiln-toolchain:" "the toolchain image is built on first use"
[ "$(count_misses container-cold)" -gt 20 ] || fail "the container build compiled ripgrep ($(count_misses container-cold) misses)"
pass "ripgrep built in the container ($(count_misses container-cold) misses)"
v=$(./target/debug/rg --version) && [[ $v == ripgrep* ]] || fail "rg built in the container runs on the host"
pass "rg built in the container runs on the host"
expect_eq "$(id -u):$(id -g)" "$(stat -c %u:%g target/debug/rg)" "rg belongs to the invoking user"
expect_eq "" "$(find target -not -user "$(id -u)" | head -1)" "everything under target/ belongs to the invoking user"
# ripgrep's build script looks for asciidoc's a2x on PATH (to write a man page): where the
# host has it and the image does not, that run rightly misses (kiln traced the look-up), and
# only that one. Everything else is the same action on both sides.
expect_host_to_container() {
  if [ -e /usr/bin/a2x ] || [ -e /bin/a2x ]; then
    expect_misses_exactly "$1" "ripgrep:build_script_build:run" "$2 (but the run that looked for a2x)"
  else
    expect_all_hits "$1" "$2"
  fi
}
cargo clean
kiln_cargo host-warm build
expect_host_to_container host-warm "host build after cargo clean, from the container's entries"

cargo clean
KILN_DIR=$E2E_TMP/store2 kiln_cargo host-cold build
cargo clean
KILN_DIR=$E2E_TMP/store2 kiln_cargo container-warm --container build
expect_file_lacks "$E2E_TMP/container-warm.err" "building kiln-toolchain:" "the toolchain image is built once"
expect_host_to_container container-warm "container build after cargo clean, from the host's entries"
v=$(./target/debug/rg --version) && [[ $v == ripgrep* ]] || fail "rg restored in the container runs on the host"

# --- kiln run: exit codes, signals, environment
cd "$E2E_TMP/empty"
rc=0; "$KILN_BIN" run -- sh -c 'exit 7' || rc=$?
expect_eq 7 "$rc" "the command's exit code passes through"
rc=0; "$KILN_BIN" run -- sh -c 'kill -TERM $$; sleep 5' || rc=$?
expect_eq 143 "$rc" "a command ended by SIGTERM exits 143"
expect_sigterm_removes_container podman

python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); import time; time.sleep(120)' \
  "$E2E_TMP/agent.sock" &
CONTAINER_PIDS+=($!)
for _ in $(seq 1 50); do [ -S "$E2E_TMP/agent.sock" ] && break; sleep 0.1; done
HTTP_PROXY=http://127.0.0.1:3128 https_proxy=http://127.0.0.1:3129 NO_PROXY=localhost CARGO_NET_GIT_FETCH_WITH_CLI=true \
  SSH_AUTH_SOCK=$E2E_TMP/agent.sock \
  "$KILN_BIN" run -- sh -c 'echo "proxy=$HTTP_PROXY|$https_proxy|$NO_PROXY git=$CARGO_NET_GIT_FETCH_WITH_CLI home=$HOME cargo_home=$CARGO_HOME bt=$RUST_BACKTRACE"; test -S "$SSH_AUTH_SOCK" && echo agent=ok; for t in cargo rustc cargo-clippy rustfmt; do command -v $t; done' \
  >"$E2E_TMP/env.out" 2>"$E2E_TMP/env.err" || { cat "$E2E_TMP/env.err" >&2; fail "kiln run env"; }
expect_file_contains "$E2E_TMP/env.out" "proxy=http://127.0.0.1:3128|http://127.0.0.1:3129|localhost" "proxy variables reach the command"
expect_file_contains "$E2E_TMP/env.out" "git=true home=/home/kiln cargo_home=/home/kiln/.cargo bt=1" "cargo's settings and kiln's defaults"
expect_file_contains "$E2E_TMP/env.out" "agent=ok" "the ssh agent's socket reaches the command"
expect_file_contains "$E2E_TMP/env.out" "/usr/local/rust/bin/cargo-clippy" "clippy comes with the toolchain"
expect_file_contains "$E2E_TMP/env.out" "/usr/local/rust/bin/rustfmt" "rustfmt comes with the toolchain"

# --- named cargo cache volumes: initialised once
if podman volume exists kiln-cargo-registry || podman volume exists kiln-cargo-git; then
  echo "note: kiln's cargo cache volumes exist already on this machine: the init-once check is skipped"
else
  export KILN_CONTAINER_CACHES=volumes
  "$KILN_BIN" run -v -- sh -c 'touch $CARGO_HOME/registry/w $CARGO_HOME/git/w' >"$E2E_TMP/vol1.out" 2>"$E2E_TMP/vol1.err" ||
    { cat "$E2E_TMP/vol1.err" >&2; fail "first run with volumes"; }
  expect_file_contains "$E2E_TMP/vol1.err" "initialised cargo cache volume kiln-cargo-registry" "the registry volume is initialised"
  "$KILN_BIN" run -v -- sh -c 'touch $CARGO_HOME/registry/w' >"$E2E_TMP/vol2.out" 2>"$E2E_TMP/vol2.err" ||
    { cat "$E2E_TMP/vol2.err" >&2; fail "second run with volumes"; }
  expect_file_lacks "$E2E_TMP/vol2.err" "initialised cargo cache volume" "the second run skips the initialisation"
  expect_file_contains "$E2E_TMP/vol2.err" "is initialised for" "and says so with -v"
  podman volume rm -f kiln-cargo-registry kiln-cargo-git >/dev/null
  unset KILN_CONTAINER_CACHES
fi

# --- --network none: a build script cannot reach a server on the host's loopback
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1 &
CONTAINER_PIDS+=($!)
mkdir -p "$E2E_TMP/net/src"
cd "$E2E_TMP/net"
printf '[package]\nname = "netprobe"\nversion = "0.1.0"\nedition = "2021"\n' >Cargo.toml
echo 'fn main() {}' >src/main.rs
cat >build.rs <<RS
fn main() {
    let reached = std::net::TcpStream::connect("127.0.0.1:$port").is_ok();
    println!("cargo:warning=netprobe reached={reached}");
}
RS
for _ in $(seq 1 50); do curl -s "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
kiln_cargo net-none --container build
expect_file_contains "$E2E_TMP/net-none.err" "netprobe reached=false" "--network none: the build script reaches nothing"
cargo clean
rm -rf "$E2E_TMP/store"  # a hit would replay the first run's warning
KILN_CONTAINER_NETWORK=host kiln_cargo net-host --container build
expect_file_contains "$E2E_TMP/net-host.err" "netprobe reached=true" "KILN_CONTAINER_NETWORK=host: it does (the probe works)"

# --- bad input: one line, exit 125, nothing left running
cd "$E2E_TMP/empty"
rc=0; "$KILN_BIN" run --image kiln-no-such-image:1 -- true 2>"$E2E_TMP/bad1.err" || rc=$?
expect_eq 125 "$rc" "a missing image exits 125"
expect_file_contains "$E2E_TMP/bad1.err" "image kiln-no-such-image:1 is not in podman's image store" "a missing image says so"
expect_eq 1 "$(wc -l <"$E2E_TMP/bad1.err")" "in one line"
rc=0; KILN_CONTAINER_RUNTIME=/nonexistent/podman "$KILN_BIN" run -- true 2>"$E2E_TMP/bad2.err" || rc=$?
expect_eq 125 "$rc" "a runtime that is not installed exits 125"
expect_file_contains "$E2E_TMP/bad2.err" "/nonexistent/podman: not installed" "and names what was tried"
expect_eq 1 "$(wc -l <"$E2E_TMP/bad2.err")" "in one line"
expect_eq "" "$(running_kiln_containers podman)" "no container is left behind"

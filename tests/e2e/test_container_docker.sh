#!/usr/bin/env bash
# Toolchain containers with docker (Debian's docker.io 20.10: dockerd started here on its own
# socket, without bridge or iptables, and stopped at the end):
#   - `cargo kiln --container build` of the fixture workspace (every crate type, build
#     scripts, serde from Debian's registry) builds the toolchain image, then the workspace;
#     the host's `cargo kiln build` after `cargo clean` hits 100%, and the other way round;
#   - KILN_LINKER=mold applies inside; `cargo kiln --container clippy` works;
#   - files in the checkout belong to the invoking user; exit codes pass through; SIGTERM to
#     `kiln run` removes the container;
#   - a daemon that is down → a one-line error with the fix, exit 125.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/container_test_lib.sh"
e2e_init
trap container_cleanup EXIT
unset LIBRARY_PATH  # see test_container_podman.sh
export KILN_CONTAINER_RUNTIME=docker
start_dockerd
container_base docker

mkdir -p "$E2E_TMP/empty" && cd "$E2E_TMP/empty"
"$KILN_BIN" run --dry-run -- true >"$E2E_TMP/dry.out" 2>"$E2E_TMP/dry.err" || { cat "$E2E_TMP/dry.err" >&2; fail "dry run"; }
for want in "docker run --rm" "--network=none" "--init" "--user $(id -u):$(id -g)" "$E2E_TMP/store:/kiln/store"; do
  expect_file_contains "$E2E_TMP/dry.out" "$want" "dry run shows $want"
done
expect_file_lacks "$E2E_TMP/dry.out" "--ulimit" "docker gets no explicit rlimits"

e2e_copy_fixture workspace "$E2E_TMP/ws"
cd "$E2E_TMP/ws"
kiln_cargo container-cold --container build
[ "$(count_misses container-cold)" -ge 10 ] || fail "the container build compiled the workspace"
pass "the workspace built in the container ($(count_misses container-cold) misses)"
./target/debug/app >/dev/null || fail "app built in the container runs on the host"
pass "app built in the container runs on the host"
expect_eq "" "$(find target -not -user "$(id -u)" | head -1)" "everything under target/ belongs to the invoking user"
cargo clean
kiln_cargo host-warm build
expect_all_hits host-warm "host build after cargo clean, from the container's entries"
cargo clean
KILN_DIR=$E2E_TMP/store2 kiln_cargo host-cold build
cargo clean
KILN_DIR=$E2E_TMP/store2 kiln_cargo container-warm --container build
expect_all_hits container-warm "container build after cargo clean, from the host's entries"
# The linker choice applies inside: the toolchain image has mold.
cargo clean
KILN_LINKER=mold KILN_DIR=$E2E_TMP/store2 kiln_cargo container-mold --container build
readelf -p .comment target/debug/app | grep -q 'mold' || fail "KILN_LINKER=mold in the container links app with mold"
pass "KILN_LINKER=mold in the container links app with mold"
KILN_DIR=$E2E_TMP/store2 kiln_cargo container-clippy --container clippy
expect_file_contains "$E2E_TMP/container-clippy.err" "Finished" "cargo kiln --container clippy works"

cd "$E2E_TMP/empty"
rc=0; "$KILN_BIN" run -- sh -c 'exit 3' || rc=$?
expect_eq 3 "$rc" "the command's exit code passes through"
expect_sigterm_removes_container docker

rc=0; DOCKER_HOST=unix://$E2E_TMP/no-daemon.sock "$KILN_BIN" run -- true 2>"$E2E_TMP/down.err" || rc=$?
expect_eq 125 "$rc" "a daemon that is down exits 125"
expect_file_contains "$E2E_TMP/down.err" "docker: cannot reach the daemon at unix://$E2E_TMP/no-daemon.sock" "and says which daemon"
expect_file_contains "$E2E_TMP/down.err" "start dockerd or set DOCKER_HOST" "with the fix"
expect_eq 1 "$(wc -l <"$E2E_TMP/down.err")" "in one line"

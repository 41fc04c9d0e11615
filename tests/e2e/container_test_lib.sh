# Helpers for the container tests (source it after lib.sh's e2e_init).
#
#   container_base podman             # kiln-base:bookworm in podman's store (debootstrap once)
#   start_dockerd                     # Debian's dockerd on its own socket; DOCKER_HOST set
#   expect_sigterm_removes_container podman   # kiln run + SIGTERM leaves nothing running
#   start_sshd_to_dockerd             # sshd on 127.0.0.1 whose sessions reach that dockerd;
#                                     # prints the DOCKER_HOST (ssh://root@127.0.0.1:PORT)
#
# The base's root file system is cached as a tar in $KILN_TEST_IMAGES
# (/var/tmp/kiln-test-images), so only the first run on a machine runs debootstrap (~1 min);
# dockerd's data root lives there too, so its images survive between runs. Servers started
# here listen on unix sockets or 127.0.0.1 and are stopped by PID when the test exits.

KILN_TEST_IMAGES=${KILN_TEST_IMAGES:-/var/tmp/kiln-test-images}
CONTAINER_PIDS=()

container_cleanup() {
  local rc=$? p
  for p in "${CONTAINER_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  # dockerd mounts its default network namespace under its exec root: a daemon that was slow
  # to stop can leave it mounted, and the temp dir would not go.
  if [ -n "${E2E_TMP:-}" ]; then
    awk -v t="$E2E_TMP/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
      umount -l "$m" 2>/dev/null || true
    done
  fi
  e2e_cleanup "$rc"
}

# container_base RUNTIME: makes sure kiln-base:bookworm exists in RUNTIME's image store.
container_base() {
  mkdir -p "$KILN_TEST_IMAGES"
  "$1" image inspect kiln-base:bookworm >/dev/null 2>&1 && return 0
  if ! KILN_CONTAINER_RUNTIME=$1 "$KILN_BIN" image build-base --rootfs-tar "$KILN_TEST_IMAGES/bookworm-minbase.tar" \
    >"$E2E_TMP/base-$1.out" 2>&1; then
    cat "$E2E_TMP/base-$1.out" >&2
    fail "kiln image build-base with $1"
  fi
}

# start_dockerd: Debian's dockerd without bridge or iptables, on $E2E_TMP/docker.sock; exports
# DOCKER_HOST. Its data root persists in $KILN_TEST_IMAGES/docker.
start_dockerd() {
  local d=$E2E_TMP/dockerd
  mkdir -p "$d" "$KILN_TEST_IMAGES/docker"
  /usr/sbin/dockerd --iptables=false --ip6tables=false --bridge=none --host "unix://$d/docker.sock" \
    --data-root "$KILN_TEST_IMAGES/docker" --exec-root "$d/exec" --pidfile "$d/docker.pid" \
    --containerd-namespace kiln-test --containerd-plugins-namespace kiln-test-plugins \
    >"$d/dockerd.log" 2>&1 &
  CONTAINER_PIDS+=($!)
  export DOCKER_HOST="unix://$d/docker.sock"
  for _ in $(seq 1 300); do
    /usr/bin/docker version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail -20 "$d/dockerd.log" >&2
  fail "dockerd did not start"
}

# start_sshd_to_dockerd: Debian's sshd on a free port of 127.0.0.1, key-only, with a generated
# host key and client key; its sessions get DOCKER_HOST of the dockerd start_dockerd started,
# so `docker -H ssh://…` reaches it (the docker CLI runs `ssh … docker system dial-stdio`).
# An `ssh` wrapper first on PATH gives the client its key and no known-hosts prompts.
# Sets SSH_DOCKER_HOST.
start_sshd_to_dockerd() {
  local d=$E2E_TMP/sshd port
  mkdir -p "$d/bin" /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$d/id"
  cp "$d/id.pub" "$d/authorized_keys"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$d/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv DOCKER_HOST=$DOCKER_HOST
CONF
  cat >"$d/ssh_config" <<CONF
Host 127.0.0.1
  IdentityFile $d/id
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
CONF
  printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$d/ssh_config" >"$d/bin/ssh"
  chmod +x "$d/bin/ssh"
  export PATH="$d/bin:$PATH"
  /usr/sbin/sshd -D -e -f "$d/sshd_config" >"$d/sshd.log" 2>&1 &
  CONTAINER_PIDS+=($!)
  SSH_DOCKER_HOST="ssh://root@127.0.0.1:$port"
  for _ in $(seq 1 100); do
    DOCKER_HOST=$SSH_DOCKER_HOST /usr/bin/docker version >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  tail -20 "$d/sshd.log" >&2
  fail "sshd on 127.0.0.1:$port does not reach dockerd"
}

# running_kiln_containers RUNTIME: names of containers kiln started that still exist.
running_kiln_containers() { "$1" ps -a --format '{{.Names}}' 2>/dev/null | grep '^kiln-' || true; }

# expect_sigterm_removes_container RUNTIME: `kiln run -- sleep 60` ended by SIGTERM exits
# non-zero and leaves no container behind.
expect_sigterm_removes_container() {
  local runner rc
  "$KILN_BIN" run -- sleep 60 &
  runner=$!
  for _ in $(seq 1 100); do [ -n "$(running_kiln_containers "$1")" ] && break; sleep 0.1; done
  sleep 0.5
  kill -TERM "$runner"
  rc=0; wait "$runner" || rc=$?
  [ "$rc" -ne 0 ] || fail "kiln run ended by SIGTERM exits non-zero"
  sleep 0.5
  expect_eq "" "$(running_kiln_containers "$1")" "SIGTERM to kiln run stops and removes the container (exit $rc)"
}

#!/usr/bin/env bash
# Benchmark: remote execution on BuildKit. ripgrep cold (fresh store, after `cargo clean`)
# built locally and through KILN_EXECUTOR=buildkit against Debian's dockerd on loopback
# (started here on its own socket, stopped at the end), alternating, ROUNDS each, with the
# same -j; then the Containerfile of the same build (`cargo kiln containerfile --bin rg`)
# built by BuildKit without kiln. Prints the medians, buildkit ÷ local (goal ≤ 1.5) and the
# overhead per remote action in ms. Not a test: nothing here asserts a time.
#   bench/buildkit.sh [--rounds N] [-j N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=2
jobs=$(nproc)
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    *) echo "usage: bench/buildkit.sh [--rounds N] [-j N]" >&2; exit 2 ;;
  esac
done
export PATH="$HOME/.cargo/bin:$PATH"
"$root/scripts/install-deps.sh"
kiln=$("$root/scripts/build.sh" kiln)
export PATH="$(dirname "$kiln"):$PATH"
source "$root/bench/lib.sh"
unset RUSTC_WRAPPER CARGO_TARGET_DIR CARGO_INCREMENTAL KILN_LOG KILN_REMOTE KILN_EXECUTOR LIBRARY_PATH
export CARGO_TERM_PROGRESS_WHEN=never

images=${KILN_TEST_IMAGES:-/var/tmp/kiln-test-images}
work=$(mktemp -d /tmp/kiln-bench-buildkit.XXXX)
d=$work/dockerd
mkdir -p "$d" "$images/docker"
/usr/sbin/dockerd --iptables=false --ip6tables=false --bridge=none --host "unix://$d/docker.sock" \
  --data-root "$images/docker" --exec-root "$d/exec" --pidfile "$d/docker.pid" \
  --containerd-namespace kiln-test --containerd-plugins-namespace kiln-test-plugins >"$d/log" 2>&1 &
dockerd_pid=$!
cleanup() {
  kill "$dockerd_pid" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
  awk -v t="$work/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export DOCKER_HOST="unix://$d/docker.sock"
for _ in $(seq 1 300); do /usr/bin/docker version >/dev/null 2>&1 && break; sleep 0.1; done
/usr/bin/docker image inspect kiln-base:bookworm >/dev/null 2>&1 ||
  KILN_CONTAINER_RUNTIME=docker "$kiln" image build-base --rootfs-tar "$images/bookworm-minbase.tar" >&2

src=$("$root/scripts/prepare-debian-app.sh" rust-ripgrep "${KILN_CORPUS_DIR:-/var/tmp/kiln-corpus}/ripgrep")
cp -r "$src" "$work/rg"
# The toolchain image first, outside the timings (built once per toolchain).
KILN_DIR=$work/warmup KILN_EXECUTOR=buildkit timed "$work/warmup.out" "$work/rg" cargo kiln check -q >/dev/null
local_t=() remote_t=()
for r in $(seq 1 "$rounds"); do
  rm -rf "$work/s-local-$r" "$work/s-remote-$r"
  local_t+=("$(KILN_DIR=$work/s-local-$r clean_timed "$work/local.out" "$work/rg" cargo kiln build -j "$jobs")")
  remote_t+=("$(KILN_DIR=$work/s-remote-$r KILN_EXECUTOR=buildkit KILN_LOG=$work/remote-$r.log \
    clean_timed "$work/remote.out" "$work/rg" cargo kiln build -j "$jobs")")
  echo "round $r: local ${local_t[-1]} s, buildkit ${remote_t[-1]} s ($(summary "$work/remote.out"))" >&2
done
ran=$(grep -c 'buildkit: ran .* on the daemon' "$work/remote-$rounds.log" || true)
lm=$(median "${local_t[@]}")
rm_=$(median "${remote_t[@]}")
cf=$( (cd "$work/rg" && KILN_DIR=$work/s-local-1 cargo kiln containerfile --bin rg >"$work/cf.out" 2>&1) &&
  /usr/bin/docker builder prune -af >/dev/null 2>&1;
  timed "$work/cf-build.out" "$work/rg" env DOCKER_BUILDKIT=1 /usr/bin/docker build --network none -o "$work/out" \
    -f kiln.Containerfile .)
printf '\nripgrep cold, -j %s, median of %s (this machine, daemon on loopback):\n' "$jobs" "$rounds"
printf '  local                         %7.2f s\n' "$lm"
printf '  KILN_EXECUTOR=buildkit        %7.2f s   (%s of its misses on the daemon)\n' "$rm_" "$ran"
printf '  buildkit / local              %7.3f     (goal <= 1.5)\n' "$(echo "$rm_ / $lm" | bc -l)"
printf '  overhead per remote action    %7.0f ms of wall time x %s jobs\n' \
  "$(echo "($rm_ - $lm) * 1000 * $jobs / ($ran + 0.0001)" | bc -l)" "$jobs"
printf '  kiln.Containerfile by BuildKit (no cache) %7.2f s\n' "$cf"

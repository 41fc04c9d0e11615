#!/usr/bin/env bash
# Benchmark: remote stores on a real network — bytes on the wire. Starts nginx (WebDAV: the
# Bazel HTTP cache protocol), redis-server and docker-registry (OCI) on 127.0.0.1; two cold
# `cargo kiln build`s of ripgrep upload to all of them, one with KILN_REMOTE_COMPRESSION=off
# (raw: Redis database 1, OCI repository kiln/raw) and one with compression (Redis database 2,
# OCI repository kiln/zstd; HTTP is raw either way, its protocol has no compressed form). Then,
# with loopback unlimited, limited by `tc qdisc … tbf rate 1gbit` and `rate 100mbit` (root;
# the qdisc is removed on exit, also when something fails), each remote-only warm build after
# `cargo clean` with an empty local store, raw and compressed side by side; and the local
# warm build for reference. Prints times, ratios to the local warm build, and bytes on the
# wire vs the raw bytes they stand for (`kiln stats`). Not a test: nothing here asserts a time.
#   bench/wire.sh [--rates "none 1gbit 100mbit"]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rates="none 1gbit 100mbit"
while (($#)); do
  case "$1" in
    --rates) rates=$2; shift 2 ;;
    *) echo "usage: bench/wire.sh [--rates \"none 1gbit 100mbit\"]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "bench/wire.sh: needs root (tc qdisc on lo)" >&2; exit 2; }
export PATH="$HOME/.cargo/bin:$PATH"
"$root/scripts/install-deps.sh"
kiln=$("$root/scripts/build.sh" kiln)
export PATH="$(dirname "$kiln"):$PATH"
corpus=${KILN_CORPUS_DIR:-/var/tmp/kiln-corpus}
src=$("$root/scripts/prepare-debian-app.sh" rust-ripgrep "$corpus/ripgrep")

work=$(mktemp -d /tmp/kiln-bench-wire.XXXX)
cleanup() {
  tc qdisc del dev lo root 2>/dev/null || true
  bench_stop_servers 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
unset RUSTC_WRAPPER CARGO_TARGET_DIR CARGO_INCREMENTAL KILN_LOG KILN_REMOTE KILN_REMOTE_COMPRESSION KILN_DIR
export CARGO_TERM_PROGRESS_WHEN=never KILN_REMOTE_TIMEOUT=60000
cp -a "$src" "$work/rg"

source "$root/bench/servers.sh"
bench_start_servers "$work/srv" || { echo "remote servers did not start" >&2; exit 1; }
np=$bench_http_port rp=$bench_redis_port op=$bench_oci_port
http="http://127.0.0.1:$np/kiln"
redis_raw="redis://127.0.0.1:$rp/1" redis_z="redis://127.0.0.1:$rp/2"
oci_raw="oci://127.0.0.1:$op/kiln/raw" oci_z="oci://127.0.0.1:$op/kiln/zstd"

source "$root/bench/lib.sh"
# server_cpu: seconds of CPU the three servers have used so far. They share this machine's
# cores with the build here; on a real network they run elsewhere, so each row shows it.
server_cpu() {
  local t=0 p
  for p in "${bench_server_pids[@]}"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
  done
  echo "$t / $(getconf CLK_TCK)" | bc -l
}
# build OUT STORE CMD…: CMD in the copy after `cargo clean`, with KILN_DIR=STORE; prints seconds.
build() {
  local out=$1 store=$2; shift 2
  clean_timed "$out" "$work/rg" env KILN_DIR="$store" "$@"
}
# wire STORE: "down W MiB on the wire for R MiB (x.xx)" of the store's one remote.
wire() {
  KILN_DIR="$1" kiln stats --json | python3 -c '
import json, sys
s = list(json.load(sys.stdin)["stores"].values())
w, r = sum(v["wire_down"] for v in s), sum(v["bytes_down"] for v in s)
print("%.1f MiB on the wire for %.1f MiB (%.2f)" % (w / 1048576, r / 1048576, w / r if r else 0))'
}

echo "== uploading (cold builds, $(nproc) cores)" >&2
build "$work/up-raw.out" "$work/store-up-raw" env KILN_REMOTE_COMPRESSION=off KILN_REMOTE="$http $redis_raw $oci_raw" cargo kiln build >/dev/null
build "$work/up-z.out" "$work/store-up-z" env KILN_REMOTE="$redis_z $oci_z" cargo kiln build >/dev/null
up=$(KILN_DIR="$work/store-up-z" kiln stats --json | python3 -c '
import json, sys
for k, v in json.load(sys.stdin)["stores"].items():
    print("  %s: up %.1f MiB on the wire for %.1f MiB (%.2f)" % (k, v["wire_up"] / 1048576, v["bytes_up"] / 1048576, v["wire_up"] / max(1, v["bytes_up"])))')
echo "compressed upload:" >&2; echo "$up" >&2
# The reference: the median of three local warm builds (one alone varies by ±30 % here).
local_runs=()
for _ in 1 2 3; do local_runs+=("$(build "$work/local.out" "$work/store-up-z" cargo kiln build)"); done
local_warm=$(median "${local_runs[@]}")
echo "local warm build: $local_warm s (median of ${local_runs[*]}; $(summary "$work/local.out"))" >&2

rows=()
for rate in $rates; do
  tc qdisc del dev lo root 2>/dev/null || true
  [ "$rate" = none ] || tc qdisc add dev lo root tbf rate "$rate" burst 1mb latency 100ms
  for r in "HTTP (nginx WebDAV)|raw|$http" "Redis|raw|$redis_raw" "Redis|zstd|$redis_z" "OCI registry|raw|$oci_raw" \
           "OCI registry|zstd|$oci_z"; do
    IFS='|' read -r server mode url <<<"$r"
    store="$work/store-remote-only"
    rm -rf "$store"
    cpu0=$(server_cpu)
    t=$(build "$work/remote.out" "$store" env KILN_REMOTE="$url" cargo kiln build)
    cpu=$(echo "$(server_cpu) - $cpu0" | bc -l)
    row=$(printf '%-8s %-20s %-5s %7.2f %6.2f %6.2f   %s; %s' "$rate" "$server" "$mode" "$t" "$(echo "$t / $local_warm" | bc -l)" \
      "$cpu" "$(wire "$store")" "$(summary "$work/remote.out")")
    echo "  $row" >&2
    rows+=("$row")
  done
done
tc qdisc del dev lo root 2>/dev/null || true

echo
echo "Remote-only warm builds of ripgrep after cargo clean, empty local store ($(nproc) cores); local warm: $local_warm s"
printf '%-8s %-20s %-5s %7s %6s %6s   %s\n' rate server blobs "s" "÷local" "srvCPU" "bytes down"
printf '%s\n' "${rows[@]}"
echo "srvCPU: seconds of CPU the server used during the row, on the build's own $(nproc) cores (elsewhere on a real network)"
echo "goals: ≤ 1.5 × the local warm build at 1gbit; bytes on the wire ≤ 0.35 × raw (compressed rows)"

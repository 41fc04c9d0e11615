# Sourced by bench/ripgrep.sh: "warm from a remote only" rows. Starts nginx (WebDAV: the Bazel
# HTTP cache protocol), redis-server and docker-registry (OCI) on 127.0.0.1, uploads to all
# three in one cold `cargo kiln build`, then for each server builds after `cargo clean` with an
# EMPTY local store and only that remote (up to 3 times while it misses: ripgrep's
# unicode-linebreak build script writes one of several tables.rs at random).
# Uses run(), rows and $work from ripgrep.sh.
source "$root/bench/servers.sh"
trap 'bench_stop_servers; cleanup' EXIT
bench_start_servers "$work/srv" || { echo "remote servers did not start" >&2; return 0; }
np=$bench_http_port rp=$bench_redis_port op=$bench_oci_port
http_url="http://127.0.0.1:$np/kiln"; redis_url="redis://127.0.0.1:$rp"; oci_url="oci://127.0.0.1:$op/kiln/cache"
export KILN_REMOTE_TIMEOUT=20000
KILN_DIR="$work/store-upload" KILN_REMOTE="$http_url $redis_url $oci_url" \
  run "kiln cold, uploading to HTTP + Redis + OCI (dev)" "$work/rg" cargo kiln build
up=$(KILN_DIR="$work/store-upload" kiln stats --json | python3 -c '
import json,sys; j=json.load(sys.stdin)
print(", ".join("%s up %.1f MiB" % (k.split(":")[0], v["bytes_up"]/1048576) for k,v in j["stores"].items()))')
rows[-1]="${rows[-1]} [$up]"
# rb_remote_only LABEL URL: one remote-only row; returns 1 when some compilation missed.
rb_remote_only() {
  rm -rf "$work/store-remote-only" "$work/remote-only.log"
  KILN_DIR="$work/store-remote-only" KILN_REMOTE="$2" KILN_LOG="$work/remote-only.log" \
    run "$1" "$work/rg" cargo kiln build
  # A miss here means a source differed from the uploaded build's: name the crates and the
  # first file a manifest set was rejected for (e.g. a build script's non-reproducible output).
  local missed cause down
  missed=$(sed -n 's/^\[[0-9]*\] miss \([^ ]*\) .*/\1/p' "$work/remote-only.log" | tr '\n' ' ')
  if [[ -n "$missed" ]]; then
    cause=$(sed -n 's/^\[[0-9]*\]   set rejected: //p' "$work/remote-only.log" | head -1)
    rows[-1]="${rows[-1]} [missed: ${missed% }; first: ${cause:-?}]"
  fi
  down=$(KILN_DIR="$work/store-remote-only" kiln stats --json | python3 -c '
import json,sys; j=json.load(sys.stdin)
print(", ".join("down %.1f MiB, %d remote hits" % (v["bytes_down"]/1048576, v["hits"]) for v in j["stores"].values()))')
  rows[-1]="${rows[-1]} [$down]"
  [[ -z "$missed" ]]
}
for r in "HTTP (nginx WebDAV)|$http_url" "Redis|$redis_url" "OCI registry|$oci_url"; do
  name=${r%%|*}; url=${r#*|}
  # After misses, the build uploaded its own entries beside the first build's (the remote's
  # manifests now hold both source sets): once more, as the next machine would build.
  rb_remote_only "kiln warm from $name only, empty local store" "$url" ||
    rb_remote_only "kiln warm from $name only, empty local store, again" "$url" ||
    rb_remote_only "kiln warm from $name only, empty local store, again" "$url" || true
done
bench_stop_servers
unset KILN_REMOTE_TIMEOUT

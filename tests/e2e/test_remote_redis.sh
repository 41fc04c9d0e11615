#!/usr/bin/env bash
# Redis remote store against a real redis-server: checkout A with its own local store builds
# a small workspace (lib + bin + serde from Debian's registry) and uploads; checkout B at
# another path with an empty local store then gets every invocation from Redis (KILN_LOG hit
# lines), with identical binaries — fetched up front by cargo kiln through the build index A
# left (core/build_index.h) and its pack. Keys are kiln:ac:<hex> / kiln:cas:<hex>, ?ttl= sets expiry,
# /<db> selects the database.
source "$(dirname "$0")/remote_test_lib.sh"

start_redis "$work/redis"
remote="redis://127.0.0.1:$redis_port/2?ttl=7d"
rcli() { redis-cli -h 127.0.0.1 -p "$redis_port" -n 2 "$@"; }

build_a_uploading "$remote"
n_ac=$(rcli --scan --pattern 'kiln:ac:*' | wc -l); n_cas=$(rcli --scan --pattern 'kiln:cas:*' | wc -l)
echo "redis db 2: $n_ac action entries, $n_cas blobs"
[ "$n_cas" -ge "$a_misses" ] || fail "blobs missing in Redis"
[ "$(redis-cli -h 127.0.0.1 -p "$redis_port" -n 0 dbsize)" -eq 0 ] || fail "keys written to db 0"
key=$(rcli --scan --pattern 'kiln:cas:*' | head -1)
ttl=$(rcli ttl "$key")
[ "$ttl" -gt 0 ] && [ "$ttl" -le 604800 ] || fail "TTL of $key is $ttl"
./target/debug/fixapp >"$work/a.out"
# A's build report names what each unit uploaded to Redis (a background store's amendment).
KILN_DIR="$work/store-a" "$KILN_BIN" report -o "$work/a-report.html" >/dev/null || fail "kiln report for A"
up_units=$(grep -o 'data-store="redis://127.0.0.1:'"$redis_port"'/2" data-fetched="[0-9]*" data-uploaded="[1-9][0-9]*"' "$work/a-report.html" | wc -l)
[ "$up_units" -ge "$a_misses" ] || fail "A's report: $up_units units with bytes uploaded to Redis, expected $a_misses"
echo "A's report: $up_units units show their bytes uploaded to Redis"

build_b_from_remote "$remote" "$a_misses"
# What B fetched is kept in its local store ready to restore: from 32 KiB as plain blob files
# (the content, its tag in user.kiln.blob: a hit links them), smaller ones that came
# compressed as the zstd frames they came as (store/local/local_store.h: put_fetched_blob);
# and what B restored from them is what plain cargo builds from B's tree in a fresh target
# dir: the same program output (kiln's debug info names remapped paths, so the bytes differ by
# design; tests/e2e/test_paths.sh compares bytes with KILN_REMAP=off).
read -r frames plain < <(python3 -c '
import os, sys
n = p = 0
for d, _, files in os.walk(os.path.join(sys.argv[1], "cas")):
    for f in files:
        path = os.path.join(d, f)
        try:
            os.getxattr(path, "user.kiln.blob")
            p += 1
            continue
        except OSError:
            pass
        with open(path, "rb") as fh:
            n += fh.read(52)[48:52] == b"\x28\xb5\x2f\xfd"
print(n, p)' "$work/store-b")
[ "$plain" -gt 0 ] || fail "B's local store keeps no fetched blob as a plain blob file"
CARGO_TARGET_DIR="$work/b-plain-target" cargo build -q 2>"$work/b-plain.err" || { cat "$work/b-plain.err"; fail "plain cargo build of B"; }
"$work/b-plain-target/debug/fixapp" | cmp - <(./target/debug/fixapp) || fail "B's fixapp prints something else than plain cargo's"
echo "B keeps $plain fetched blobs as plain blob files and $frames as zstd frames; its fixapp prints what plain cargo's prints"
# The build index A left on the server let cargo kiln fetch everything beside cargo:
# the remote hits are that process's, and each compilation then hit the local store.
grep -q "^kiln: fetched [0-9]* of [0-9]* entries of the last build" "$work/b.err" ||
  { cat "$work/b.err"; fail "B did not prefetch A's build index"; }
wrapper_pids=$(grep -E '^\[[0-9]+\] hit ' "$work/b.log" | cut -d' ' -f1 | sort -u)
remote_pids=$(grep -E '^\[[0-9]+\] remote hit ' "$work/b.log" | cut -d' ' -f1 | sort -u)
[ "$(echo "$remote_pids" | wc -l)" -eq 1 ] || fail "remote hits from more than the prefetching process"
echo "$wrapper_pids" | grep -qxF "$remote_pids" && fail "a compilation went to the remote despite the prefetch"
# The entries and small blobs came in one request, the index's pack (core/index_pack.h); B
# used the same keys as A, so it did not store the index again.
grep -q "build index pack [0-9a-f]*: [1-9][0-9]* entries" "$work/b.log" || fail "B did not read the index's pack"
grep -q " (index pack)$" "$work/b.log" || fail "no entry came from the index's pack"
grep -q "build index unchanged" "$work/b.log" || fail "B stored an unchanged index again"
name="redis://127.0.0.1:$redis_port/2"
[ "$(store_stat "$work/store-b" "$name" hits)" -eq "$a_misses" ] || fail "stats: Redis hits of B"
[ "$(store_stat "$work/store-b" "$name" bytes_down)" -gt 0 ] || fail "stats: bytes_down of B"
[ "$(store_stat "$work/store-a" "$name" bytes_up)" -gt 0 ] || fail "stats: bytes_up of A"
# The prefetch's progress line: on a terminal (a pty from script(1)) it is drawn and cleared;
# on a pipe (B above) there is none.
grep -q "prefetching the last build" "$work/b.err" && fail "a progress line on a pipe"
make_fixture "$work/c-tty"
cd "$work/c-tty"
KILN_DIR="$work/store-c" KILN_REMOTE="$remote" TERM=xterm script -qec "cargo kiln build" /dev/null >"$work/c.tty" 2>&1 ||
  { cat "$work/c.tty"; fail "build C on a terminal"; }
grep -aq "kiln: prefetching the last build: [0-9]*/[0-9]* entries, [0-9.]* MiB" "$work/c.tty" ||
  { cat -v "$work/c.tty" | tail -20; fail "no progress line on a terminal"; }
echo "a progress line on a terminal, none on a pipe"
# Remote cleanup: nothing idle for an hour yet; after two idle seconds, everything goes.
"$KILN_BIN" cache prune --remote "$remote" --older-than 1h >"$work/prune1.out" || { cat "$work/prune1.out"; fail "prune"; }
grep -q "0 entries and 0 blobs removed" "$work/prune1.out" || { cat "$work/prune1.out"; fail "prune removed used keys"; }
[ "$(rcli --scan --pattern 'kiln:ac:*' | wc -l)" -eq "$n_ac" ] || fail "entries gone after a prune that should keep them"
sleep 2
"$KILN_BIN" cache prune --remote "$remote" --older-than 1s >"$work/prune2.out" || { cat "$work/prune2.out"; fail "prune 1s"; }
grep -q "[1-9][0-9]* entries and [1-9][0-9]* blobs removed" "$work/prune2.out" || { cat "$work/prune2.out"; fail "prune kept idle keys"; }
[ "$(rcli --scan --pattern 'kiln:*' | wc -l)" -eq 0 ] || fail "keys left after pruning everything idle"
echo "remote prune: $(cat "$work/prune2.out")"
echo "1 passed, 0 failed"

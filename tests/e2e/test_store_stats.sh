#!/usr/bin/env bash
# Stats lose no counts and stay bounded: one real rustc invocation (recorded from a cargo
# build: argv, cwd, environment) is replayed through kiln 200 times at once — every replay is a
# hit — while the stats shards are folded into the summary as they grow (a tiny fold threshold,
# KILN_STATS_FOLD_BYTES). `kiln stats --json` then counts exactly 200 hits, the shards are
# bounded by the threshold, and the outputs the hits restored are intact.
set -euo pipefail
: "${KILN_BIN:?}"
export PATH="$HOME/.cargo/bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_INCREMENTAL=0 CARGO_NET_OFFLINE=true KILN_DIR="$work/store"
unset KILN_REMOTE KILN_LOG KILN_DISABLE KILN_CACHE_SIZE KILN_SESSION
n=${KILN_STATS_PARALLEL:-200}
fold=200

mkdir -p "$work/p/src" "$work/rec"
printf '[package]\nname = "counted"\nversion = "0.1.0"\nedition = "2021"\n' >"$work/p/Cargo.toml"
echo 'pub fn answer() -> u32 { 42 }' >"$work/p/src/lib.rs"
# A RUSTC_WRAPPER that records the library's compilation as a script, then runs kiln.
cat >"$work/record.sh" <<'REC'
#!/usr/bin/env bash
if [[ " $* " == *" --crate-name counted "* && " $* " == *" --crate-type lib "* ]]; then
  { printf 'cd %q\n' "$PWD"; export -p; printf 'exec %q' "$KILN_BIN"; printf ' %q' "$@"; echo; } >"$REC_DIR/lib.sh"
fi
exec "$KILN_BIN" "$@"
REC
chmod +x "$work/record.sh"
cd "$work/p"
KILN_BIN=$KILN_BIN REC_DIR=$work/rec RUSTC_WRAPPER="$work/record.sh" cargo build -q
[ -s "$work/rec/lib.sh" ] || { echo "FAIL: the compilation was not recorded"; exit 1; }
rlib=$(ls target/debug/deps/libcounted-*.rlib)
sha256sum "$rlib" >"$work/rlib.sum"

"$KILN_BIN" stats --zero >/dev/null
pids=()
for ((i = 0; i < n; i++)); do
  env -i PATH="$PATH" HOME="$HOME" KILN_STATS_FOLD_BYTES=$fold bash "$work/rec/lib.sh" >/dev/null 2>"$work/replay.$i.err" &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
[ "$failed" -eq 0 ] || { echo "FAIL: $failed replays failed"; cat "$work"/replay.*.err | sort | uniq -c | head; exit 1; }
if grep -h "kiln: warning" "$work"/replay.*.err | head -3 | grep .; then echo "FAIL: kiln warned"; exit 1; fi
sha256sum -c --quiet "$work/rlib.sum" || { echo "FAIL: the restored rlib is damaged"; exit 1; }

"$KILN_BIN" stats --json >"$work/stats.json"
hits=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["hits"], j["misses"], j["errors"], j["corrupt"])' "$work/stats.json")
echo "after $n parallel replays: hits misses errors corrupt = $hits"
[ "$hits" = "$n 0 0 0" ] || { echo "FAIL: expected exactly $n hits"; cat "$work/stats.json"; exit 1; }
[ -s "$KILN_DIR/stats/summary.json" ] || { echo "FAIL: no shard was folded"; ls -l "$KILN_DIR/stats"; exit 1; }
for f in "$KILN_DIR"/stats/events.*.log; do
  size=$(stat -c %s "$f")
  [ "$size" -le $((fold + 100)) ] || { echo "FAIL: $f grew to $size bytes (fold threshold $fold)"; exit 1; }
done
echo "shards folded into the summary: $(ls "$KILN_DIR"/stats | tr '\n' ' ')"
# Still exact when the reader folds nothing itself, and after zeroing.
"$KILN_BIN" stats --zero >/dev/null
[ "$("$KILN_BIN" stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits"])')" = 0 ] || { echo "FAIL: --zero"; exit 1; }
echo "1 passed, 0 failed"

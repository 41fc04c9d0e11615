#!/usr/bin/env bash
# Scale benchmark of the local store (not a test): does a hit get slower when the store is
# big? Two stores hold the same small cargo workspace's entries; one is otherwise empty, the
# other also holds ENTRIES (default 100 000) synthetic entries written by the hidden
# `kiln cache __fill` (each a result entry plus a blob, through the normal write path). One
# library compilation and one binary compilation, recorded from a real cargo build (argv, cwd,
# environment), are then replayed through kiln ROUNDS times against each store, alternating
# stores so that machine load affects both alike. Every replay is a hit; kiln's own hit time
# (stats: hit_ms p50/p95) and the wall time per replay are compared. Expected ratio ≤ 1.2.
# Usage: bench/store_scale.sh   (env: KILN_BIN, ENTRIES, ROUNDS, BENCH_DIR)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
KILN_BIN=${KILN_BIN:-$here/build/src/kiln}
[ -x "$KILN_BIN" ] || { echo "kiln binary not found: set KILN_BIN" >&2; exit 2; }
KILN_BIN=$(readlink -f "$KILN_BIN")
entries=${ENTRIES:-100000}
rounds=${ROUNDS:-100}
export PATH="$HOME/.cargo/bin:$PATH" CARGO_INCREMENTAL=0 CARGO_NET_OFFLINE=true
unset KILN_REMOTE KILN_LOG KILN_DISABLE KILN_CACHE_SIZE KILN_SESSION
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/kiln-store-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The workspace: two libraries and a binary.
p=$work/p
mkdir -p "$p/app/src" "$p/la/src" "$p/lb/src" "$work/rec"
printf '[workspace]\nmembers = ["app", "la", "lb"]\nresolver = "2"\n' >"$p/Cargo.toml"
for l in la lb; do
  printf '[package]\nname = "%s"\nversion = "0.1.0"\nedition = "2021"\n' "$l" >"$p/$l/Cargo.toml"
  cat >"$p/$l/src/lib.rs" <<RS
use std::collections::BTreeMap;
pub fn table(n: u64) -> BTreeMap<String, u64> { (0..n).map(|i| (format!("$l{i}"), i * i)).collect() }
RS
done
printf '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nla = { path = "../la" }\nlb = { path = "../lb" }\n' >"$p/app/Cargo.toml"
echo 'fn main() { println!("{}", la::table(3).len() + lb::table(4).len()); }' >"$p/app/src/main.rs"

# Record the compilations of `la` and `app` as replayable scripts.
cat >"$work/record.sh" <<'REC'
#!/usr/bin/env bash
for c in la app; do
  if [[ " $* " == *" --crate-name $c "* ]]; then
    { printf 'cd %q\n' "$PWD"; export -p | grep -v '^declare -x KILN_DIR='; printf 'exec %q' "$KILN_BIN"; printf ' %q' "$@"; echo; } >"$REC_DIR/$c.sh"
  fi
done
exec "$KILN_BIN" "$@"
REC
chmod +x "$work/record.sh"

cd "$p"
echo "filling stores (big: $entries synthetic entries)…"
for s in small big; do
  rm -rf target
  KILN_DIR="$work/$s" KILN_BIN=$KILN_BIN REC_DIR="$work/rec" RUSTC_WRAPPER="$work/record.sh" cargo build -q
done
t0=$(date +%s%N)
KILN_DIR="$work/big" "$KILN_BIN" cache __fill "$entries"
fill_s=$(( ($(date +%s%N) - t0) / 1000000 ))
files_big=$(find "$work/big/ac" "$work/big/cas" -type f | wc -l)
files_small=$(find "$work/small/ac" "$work/small/cas" -type f | wc -l)

declare -A wall=([small]=0 [big]=0)
for s in small big; do KILN_DIR="$work/$s" "$KILN_BIN" stats --zero >/dev/null; done
for ((r = 0; r < rounds; r++)); do
  for s in small big; do
    for c in la app; do
      t0=$(date +%s%N)
      env -i PATH="$PATH" HOME="$HOME" KILN_DIR="$work/$s" bash "$work/rec/$c.sh" >/dev/null 2>&1
      wall[$s]=$((wall[$s] + $(date +%s%N) - t0))
    done
  done
done

stat_of() { KILN_DIR="$work/$1" "$KILN_BIN" stats --json | python3 -c "import json,sys; j=json.load(sys.stdin); print(j['$2'])"; }
n=$((rounds * 2))
printf '\n%-8s %10s %8s %8s %12s %12s %14s\n' store files hits misses "hit p50 ms" "hit p95 ms" "wall/hit ms"
for s in small big; do
  files=$files_small
  [ $s = big ] && files=$files_big
  printf '%-8s %10d %8s %8s %12.2f %12.2f %14.2f\n' "$s" "$files" "$(stat_of $s hits)" "$(stat_of $s misses)" \
    "$(stat_of $s hit_ms_p50)" "$(stat_of $s hit_ms_p95)" "$(echo "${wall[$s]} / $n / 1000000" | bc -l)"
done
p50s=$(stat_of small hit_ms_p50) p50b=$(stat_of big hit_ms_p50)
p95s=$(stat_of small hit_ms_p95) p95b=$(stat_of big hit_ms_p95)
printf '\nratio big/small: hit p50 %.2f, hit p95 %.2f, wall %.2f   (expected ≤ 1.2)\n' \
  "$(echo "$p50b / $p50s" | bc -l)" "$(echo "$p95b / $p95s" | bc -l)" "$(echo "${wall[big]} / ${wall[small]}" | bc -l)"
echo "fill: $entries entries in $((fill_s / 1000)).$((fill_s % 1000 / 100)) s; big store $(du -sh "$work/big" | cut -f1) on disk"

#!/usr/bin/env bash
# Crash safety of the local store: kiln wrapper processes are killed with SIGKILL at random
# moments during builds of a small cargo workspace (cold builds, warm builds from the store,
# sometimes with rustc killed too, sometimes left running as an orphan). Afterwards
# `kiln cache verify` finds no damage, no temp file of a killed writer is left (verify
# removes them; none is ever read as an entry), and the next build — in the same target
# dir, then from scratch — produces outputs byte-identical to a clean build's.
# Rounds: KILN_CRASH_ROUNDS, else 50 with KILN_LONG_TESTS=1, else 4.
set -euo pipefail
: "${KILN_BIN:?}"
export PATH="$HOME/.cargo/bin:$PATH"
if [ -n "${KILN_CRASH_ROUNDS:-}" ]; then rounds=$KILN_CRASH_ROUNDS
elif [ "${KILN_LONG_TESTS:-}" = 1 ]; then rounds=50
else rounds=4; fi

work=$(mktemp -d)
cargo_pid=
cleanup() {
  [ -n "$cargo_pid" ] && kill -9 "$cargo_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export CARGO_INCREMENTAL=0 CARGO_NET_OFFLINE=true RUSTC_WRAPPER="$KILN_BIN" KILN_DIR="$work/store"
unset KILN_REMOTE KILN_LOG KILN_DISABLE KILN_CACHE_SIZE
kiln_real=$(readlink -f "$KILN_BIN")

# make_project DIR: a small workspace without external crates: five independent libraries
# (so killing one compilation leaves others to finish under --keep-going) and a binary.
make_project() {
  local d=$1 libs=(l1 l2 l3 l4 l5) l
  mkdir -p "$d/app/src"
  printf '[workspace]\nmembers = ["app", "l1", "l2", "l3", "l4", "l5"]\nresolver = "2"\n' >"$d/Cargo.toml"
  printf '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n' >"$d/app/Cargo.toml"
  echo 'fn main() {' >"$d/app/src/main.rs"
  for l in "${libs[@]}"; do
    mkdir -p "$d/$l/src"
    printf '[package]\nname = "%s"\nversion = "0.1.0"\nedition = "2021"\n' "$l" >"$d/$l/Cargo.toml"
    echo "$l = { path = \"../$l\" }" >>"$d/app/Cargo.toml"
    cat >"$d/$l/src/lib.rs" <<EOF
use std::collections::BTreeMap;
macro_rules! funcs { (\$(\$n:ident),*) => { \$(pub fn \$n(x: u64) -> u64 { let mut v: Vec<u64> = (0..x).map(|i| i.wrapping_mul(stringify!(\$n).len() as u64 + ${l#l})).collect(); v.sort(); v.iter().fold(7, |a, b| a.wrapping_mul(31).wrapping_add(*b)) })* } }
funcs!(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9);
#[derive(Debug, Clone, PartialEq)]
pub struct Item { pub name: String, pub weight: u64 }
pub fn build(n: u64) -> BTreeMap<String, Item> {
    (0..n).map(|i| (format!("$l-{i}"), Item { name: format!("$l-{i}"), weight: a0(i) ^ b9(i) })).collect()
}
EOF
    echo "    println!(\"{}\", $l::build(5).values().map(|i| i.weight % 1000).sum::<u64>());" >>"$d/app/src/main.rs"
  done
  echo '}' >>"$d/app/src/main.rs"
}

# Digests of the build's outputs (binary, rlibs, rmetas), relative to target/debug.
outputs() { (cd "$1/target/debug" && sha256sum app deps/*.rlib deps/*.rmeta | sort -k2); }

# killer CARGO_PID MODE KILL_CHILDREN: while cargo runs, SIGKILLs kiln wrapper processes among
# its descendants — MODE "any": each with probability 0.1 every 50–400 ms; "store": polling
# every few ms, with probability 0.5 a wrapper whose rustc has exited (it is storing the
# result), with 0.1 one that has no rustc child (starting, looking up or restoring outputs).
# KILL_CHILDREN=1: their rustc children too, else rustc runs on as an orphan. Waits for every
# process it saw to end, then prints how many wrappers it killed.
killer() {
  python3 - "$1" "$kiln_real" "$2" "$3" <<'PY'
import os, random, sys, time
root, kiln, mode, kill_children = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "1"

def scan():
    kids, start = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        r = s[s.rindex(")") + 2:].split()
        if r[0] == "Z":
            continue
        kids.setdefault(int(r[1]), []).append(int(d))
        start[int(d)] = r[19]
    return kids, start

def descendants(kids, p):
    out, queue = [], [p]
    while queue:
        for c in kids.get(queue.pop(), []):
            out.append(c)
            queue.append(c)
    return out

def kill(p):
    try:
        os.kill(p, 9)
        return True
    except OSError:
        return False

seen, killed, ran_rustc = {}, 0, set()
time.sleep(random.uniform(0.0, 1.0))
while True:
    kids, start = scan()
    if root not in start:
        break
    for p in descendants(kids, root):
        seen[p] = start[p]
        try:
            if os.readlink(f"/proc/{p}/exe") != kiln:
                continue
        except OSError:
            continue
        if kids.get(p):
            ran_rustc.add((p, start[p]))
            if mode == "store":
                continue
        if mode == "store" and (p, start[p]) not in ran_rustc and random.random() < 0.9:
            continue
        if mode == "any" and random.random() < 0.9:
            continue
        if kill_children:
            for c in descendants(kids, p):
                kill(c)
        killed += kill(p)
    time.sleep(random.uniform(0.0, 0.005) if mode == "store" else random.uniform(0.05, 0.4))
deadline = time.time() + 300
for p, st in seen.items():
    while time.time() < deadline:
        try:
            with open(f"/proc/{p}/stat") as f:
                s = f.read()
        except OSError:
            break
        r = s[s.rindex(")") + 2:].split()
        if r[0] == "Z" or r[19] != st:
            break
        time.sleep(0.05)
print(killed)
PY
}

make_project "$work/p"
cd "$work/p"
KILN_DIR="$work/ref-store" cargo build -q
outputs "$work/p" >"$work/ref.sums"
rm -rf target

killed=0
for ((round = 1; round <= rounds; round++)); do
  ((RANDOM % 2)) && rm -rf target
  modes=(any store)
  mode=${modes[RANDOM % 2]}
  kill_children=$((RANDOM % 2))
  cargo build -q --keep-going >"$work/round.out" 2>&1 &
  cargo_pid=$!
  n=$(killer "$cargo_pid" "$mode" "$kill_children")
  wait "$cargo_pid" || true
  cargo_pid=
  killed=$((killed + n))
  echo "round $round ($mode, kill rustc too: $kill_children): $n kiln processes killed"
  [ -n "${KILN_TEST_VERBOSE:-}" ] && tail -3 "$work/round.out"
done
[ "$killed" -gt 0 ] || { echo "FAIL: no kiln process was ever killed"; exit 1; }

temps=$(find "$KILN_DIR" -name '*.tmp.*' | wc -l)
echo "temp files left by killed writers: $temps"
"$KILN_BIN" cache verify || { echo "FAIL: verify found damage after kills"; exit 1; }
left=$(find "$KILN_DIR" -name '*.tmp.*' | wc -l)
[ "$left" -eq 0 ] || { echo "FAIL: verify left $left temp files"; exit 1; }

# The next build, in the target dir the killed builds left behind.
cargo build -q
outputs "$work/p" >"$work/next.sums"
diff "$work/ref.sums" "$work/next.sums" || { echo "FAIL: outputs after the kills differ from a clean build's"; exit 1; }
./target/debug/app
# And from scratch, from the store.
rm -rf target
cargo build -q
outputs "$work/p" >"$work/scratch.sums"
diff "$work/ref.sums" "$work/scratch.sums" || { echo "FAIL: outputs from the store differ from a clean build's"; exit 1; }
"$KILN_BIN" cache verify >/dev/null || { echo "FAIL: verify found damage at the end"; exit 1; }
echo "$rounds rounds, $killed kiln processes killed: verify clean, outputs identical"
echo "1 passed, 0 failed"

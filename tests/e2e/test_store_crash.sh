#!/usr/bin/env bash
# Crash safety of the local store: kiln wrapper processes are killed with SIGKILL at random
# moments during builds of a small cargo workspace. Each round is a build from scratch (hits
# from the store), a touched source (a hit), or new code in a library (a miss, then stored);
# about half the wrappers of a round are victims, killed at a random moment of their life
# ("any") or while they look up, restore outputs or store a result ("store"), their rustc
# killed too or left running as an orphan; or ("background", KILN_BACKGROUND_STORE=on) about
# half the background stores (core/background_store.h, "kiln-store" processes, no longer
# cargo's descendants once their wrapper returned) are killed as soon as seen, or 0–5 or 0–50
# ms into their life, while the next wrappers of the build may already be looking up their entries. Afterwards `kiln cache verify` finds no damage, no
# temp file of a killed writer is left (verify removes them; none is ever read as an entry),
# and the next build — in the same target dir, then from scratch — produces outputs
# byte-identical to a clean build's.
# Rounds (the modes in turn): KILN_CRASH_ROUNDS, else 50 with KILN_LONG_TESTS=1, else 9.
set -euo pipefail
: "${KILN_BIN:?}"
export PATH="$HOME/.cargo/bin:$PATH"
if [ -n "${KILN_CRASH_ROUNDS:-}" ]; then rounds=$KILN_CRASH_ROUNDS
elif [ "${KILN_LONG_TESTS:-}" = 1 ]; then rounds=50
else rounds=9; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_INCREMENTAL=0 CARGO_NET_OFFLINE=true RUSTC_WRAPPER="$KILN_BIN" KILN_DIR="$work/store"
unset KILN_REMOTE KILN_LOG KILN_DISABLE KILN_CACHE_SIZE
kiln_real=$(readlink -f "$KILN_BIN")

# make_project DIR and outputs DIR: tests/e2e/store_test_lib.sh
source "$(dirname "$0")/store_test_lib.sh"

# killer MODE KILL_CHILDREN CMD…: runs CMD (cargo) and, while it runs, SIGKILLs kiln wrapper
# processes among its descendants (not cargo's rustc probes, which would just end the build). Each wrapper is a victim with probability 1/2, killed —
# MODE "any" — once a random 0–10 ms, 0–300 ms or 0–1.5 s of its life has passed, or — MODE
# "store" — as soon as it is seen without a rustc child after having had one (it is storing
# the result), or, if it never had one (a hit: looking up, restoring outputs), after a random
# 0–15 ms. KILL_CHILDREN=1: its rustc children die too, else rustc runs on as an orphan.
# MODE "background": background stores are the victims instead (see the file comment).
# Waits for CMD and for every process it saw to end, then prints how many it killed.
killer() {
  python3 - "$kiln_real" "$@" <<'PY'
import ctypes, os, random, subprocess, sys, time
kiln, mode, kill_children, cmd = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
out = open(os.environ["ROUND_OUT"], "w")
# The orphans of killed wrappers (a rustc, its linker) become this process's children
# (PR_SET_CHILD_SUBREAPER), so the round can wait for all of them: an orphan forked between two
# scans is never seen, and one still writing target/ would race the next round's rm -rf.
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
cargo = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
root = cargo.pid

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

def background_stores():
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/comm") as f:
                if f.read().strip() != "kiln-store":
                    continue
            if os.readlink(f"/proc/{d}/exe") != kiln:
                continue
        except OSError:
            continue
        out.append(int(d))
    return out

def kill(p):
    try:
        os.kill(p, 9)
        return True
    except OSError:
        return False

seen = {}     # pid → start time, of every descendant seen (to wait for orphans)
wrappers = {} # (pid, start) → {"victim", "first", "delay", "had_child"}
killed = 0
while True:
    kids, start = scan()
    stores = background_stores() if mode == "background" else []
    if root not in start and not stores:  # background stores may outlive cargo
        break
    now = time.monotonic()
    if mode == "background":
        for p in stores:
            if p not in start:
                continue
            seen[p] = start[p]
            key = (p, start[p])
            if key not in wrappers:
                wrappers[key] = {"victim": random.random() < 0.5, "first": now, "done": False,
                                 "delay": random.uniform(0, random.choice([0.0, 0.005, 0.05]))}
            w = wrappers[key]
            if w["victim"] and not w["done"] and now - w["first"] >= w["delay"]:
                killed += kill(p)
                w["done"] = True
        time.sleep(0.001)
        continue
    for p in descendants(kids, root):
        seen[p] = start[p]
        key = (p, start[p])
        if key not in wrappers:
            try:
                is_kiln = os.readlink(f"/proc/{p}/exe") == kiln
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    args = f.read().split(b"\0")
                is_kiln = is_kiln and b"-vV" not in args and b"___" not in args  # not cargo's probes
            except OSError:
                is_kiln = False
            wrappers[key] = {"kiln": is_kiln, "victim": random.random() < 0.5, "first": now,
                             "delay": random.uniform(0, random.choice([0.01, 0.3, 1.5]) if mode == "any" else 0.015),
                             "had_child": False,
                             "done": False}
        w = wrappers[key]
        if not w["kiln"] or not w["victim"] or w["done"]:
            continue
        busy = bool(kids.get(p))
        w["had_child"] |= busy
        if mode == "any":
            due = now - w["first"] >= w["delay"]
        elif w["had_child"]:
            due = not busy
        else:
            due = not busy and now - w["first"] >= w["delay"]
        if not due:
            continue
        if kill_children:
            for c in descendants(kids, p):
                kill(c)
        killed += kill(p)
        w["done"] = True
    time.sleep(0.001)
cargo.wait()
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
while time.time() < deadline:  # every orphan (and background store) that came to this process
    try:
        if os.waitpid(-1, os.WNOHANG) == (0, 0):
            time.sleep(0.05)
    except ChildProcessError:
        break
if os.environ.get("KILN_TEST_VERBOSE"):
    print('killer: %d kiln processes seen, %d processes' % (sum(w.get('kiln', True) for w in wrappers.values()), len(seen)), file=sys.stderr)
print(killed)
PY
}

make_project "$work/p"
cp -a "$work/p" "$work/pristine"
cd "$work/p"
KILN_DIR="$work/ref-store" cargo build -q
outputs "$work/p" >"$work/ref.sums"
rm -rf target

killed=0
for ((round = 1; round <= rounds; round++)); do
  lib=l$((RANDOM % 5 + 1))
  modes=(any store background)
  mode=${modes[round % 3]}
  change=$((RANDOM % 4))
  [ "$mode" = background ] && change=3  # misses: something to store in the background
  case $change in
    0 | 1) rm -rf target ;;                                                     # everything: hits
    2) touch "$lib/src/lib.rs" ;;                                               # same code: a hit
    3) echo "pub const ROUND_$round: u32 = $round;" >>"$lib/src/lib.rs" ;;      # new code: a miss
  esac
  kill_children=$((RANDOM % 2))
  background=off
  [ "$mode" = background ] && background=on
  n=$(KILN_BACKGROUND_STORE=$background ROUND_OUT="$work/round.out" killer "$mode" "$kill_children" cargo build -q --keep-going)
  "$KILN_BIN" cache wait --timeout 120 >/dev/null || { echo "FAIL: background stores still running"; exit 1; }
  killed=$((killed + n))
  echo "round $round ($mode, kill rustc too: $kill_children, change: $change): $n kiln processes killed"
  if [ -n "${KILN_TEST_VERBOSE:-}" ]; then grep -v '^  process\|^Caused' "$work/round.out" | tail -4 || true; fi
done
[ "$killed" -gt 0 ] || { echo "FAIL: no kiln process was ever killed"; exit 1; }

temps=$(find "$KILN_DIR" -name '*.tmp.*' | wc -l)
echo "temp files left by killed writers: $temps"
# Writes take a few ms, so kills rarely land inside one: also leave what a writer killed
# mid-write leaves — a torn temp file beside a blob (its pid is no running process).
blob=$(find "$KILN_DIR/cas" -type f | head -1)
head -c 100 "$blob" >"$blob.tmp.4194305.killedmid"
"$KILN_BIN" cache verify || { echo "FAIL: verify found damage after kills"; exit 1; }
left=$(find "$KILN_DIR" -name '*.tmp.*' | wc -l)
[ "$left" -eq 0 ] || { echo "FAIL: verify left $left temp files"; exit 1; }

# The next build, in the target dir the killed builds left behind, of the original sources.
for l in l1 l2 l3 l4 l5; do cp "$work/pristine/$l/src/lib.rs" "$l/src/lib.rs"; done
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

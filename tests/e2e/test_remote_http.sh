#!/usr/bin/env bash
# HTTP remote store (Bazel HTTP cache protocol) against a real nginx WebDAV server:
# checkout A with its own local store builds a small workspace (lib + bin + serde from
# Debian's registry) and uploads; checkout B at another path with an empty local store then
# gets every invocation from the remote (KILN_LOG hit lines), with identical binaries.
# Then: basic auth + upload = "dependencies" (workspace crates stay local) and #read-only.
source "$(dirname "$0")/remote_test_lib.sh"

start_nginx "$work/nginx"
remote="http://127.0.0.1:$nginx_port/team/cache"
data="$work/nginx/data/team/cache"

# A: cold build, uploads.
build_a_uploading "$remote"
n_ac=$(ls "$data/ac" | wc -l); n_cas=$(ls "$data/cas" | wc -l)
echo "remote: $n_ac action entries, $n_cas blobs"
[ "$n_cas" -ge "$a_misses" ] || fail "blobs missing on the remote"
# Blobs are stored raw under their sha256.
for f in "$data"/cas/*; do
  [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || fail "blob $f does not match its name"
done
[ "$(store_stat "$work/store-a" "http://127.0.0.1:$nginx_port/team/cache" bytes_up)" -gt 0 ] || fail "no bytes_up counted"
./target/debug/fixapp >"$work/a.out"
cp target/debug/fixapp "$work/fixapp.v1"

# B: another path, another (empty) local store → all remote hits.
build_b_from_remote "$remote" "$a_misses"
[ "$(store_stat "$work/store-b" "http://127.0.0.1:$nginx_port/team/cache" hits)" -eq "$a_misses" ] ||
  fail "stats: remote hits of B"
# The remote hits landed in B's local store: a rebuild needs no server.
cargo clean -q
KILN_DIR="$work/store-b" KILN_REMOTE="http://127.0.0.1:$(free_port)/gone" KILN_LOG="$work/b2.log" cargo kiln build \
  2>"$work/b2.err" || fail "local rebuild of B"
[ "$(count miss "$work/b2.log")" -eq 0 ] || fail "B's local store lacks the remote hits"
# The one request is cargo kiln's for the build index (its newest copy lives on the server);
# it fails once, with one warning, and no compilation asks the dead server anything.
index_key=$(sed -n 's/.*build index \([0-9a-f]*\) .*/\1/p' "$work/b2.log" | head -1)
[ -n "$index_key" ] || fail "cargo kiln did not look for a build index"
[ "$(warnings "$work/b2.err")" -eq 1 ] || { cat "$work/b2.err"; fail "expected one warning for the dead remote"; }
grep ' failed: ' "$work/b2.log" | grep -v "/ac/$index_key" && fail "a remote was asked although all was local"


# A changes fixlib and uploads; B makes the same change: B's local manifests (from the first
# round) know only the old sources, so kiln must merge in the remote's source sets → all hits.
change='pub fn answer() -> u32 { 42 }'
cd "$work/a" && echo "$change" >>fixlib/src/lib.rs
KILN_DIR="$work/store-a" KILN_REMOTE="$remote" KILN_LOG="$work/a2.log" cargo kiln build 2>"$work/a2.err" ||
  { cat "$work/a2.err"; fail "build A after the change"; }
a2_misses=$(count miss "$work/a2.log")
[ "$a2_misses" -eq 2 ] || fail "A after the change: expected fixlib and fixapp to compile, $a2_misses misses"
cd "$work/b-elsewhere" && echo "$change" >>fixlib/src/lib.rs
KILN_DIR="$work/store-b" KILN_REMOTE="$remote" KILN_LOG="$work/b3.log" cargo kiln build 2>"$work/b3.err" ||
  { cat "$work/b3.err"; fail "build B after the change"; }
echo "B after the change: $(count hit "$work/b3.log") hits, $(count miss "$work/b3.log") misses"
[ "$(count miss "$work/b3.log")" -eq 0 ] || { grep '\] miss' "$work/b3.log"; fail "B missed after the change"; }
grep -q "remote manifest merged" "$work/b3.log" || fail "B did not merge the remote manifest"
cmp "$work/a/target/debug/fixapp" target/debug/fixapp || fail "fixapp differs between A and B after the change"

# C: basic auth from the URL, upload = dependencies → only registry crates are uploaded.
auth_remote="http://kiln:secret@127.0.0.1:$nginx_port/auth/deps"
make_fixture "$work/c"
cd "$work/c"
KILN_DIR="$work/store-c" KILN_REMOTE="$auth_remote" KILN_UPLOAD=dependencies KILN_LOG="$work/c.log" cargo kiln build \
  2>"$work/c.err" || { cat "$work/c.err"; fail "build C"; }
[ "$(warnings "$work/c.err")" -eq 0 ] || { cat "$work/c.err"; fail "warnings in C"; }
grep -q "not uploaded (workspace member)" "$work/c.log" || fail "workspace crates were not held back"
make_fixture "$work/d"
cd "$work/d"
KILN_DIR="$work/store-d" KILN_REMOTE="$auth_remote" KILN_LOG="$work/d.log" cargo kiln build 2>"$work/d.err" ||
  { cat "$work/d.err"; fail "build D"; }
d_hits=$(count hit "$work/d.log")
echo "D (dependencies only): $d_hits hits, $(count miss "$work/d.log") misses"
grep -q '\] miss fixlib ' "$work/d.log" || fail "workspace crate fixlib came from the remote"
grep -q '\] miss fixapp ' "$work/d.log" || fail "workspace crate fixapp came from the remote"
grep -q '\] hit serde ' "$work/d.log" || fail "registry crate serde did not come from the remote"
[ "$d_hits" -eq $((a_misses - 2)) ] || fail "D: expected $((a_misses - 2)) hits"
cmp "$work/fixapp.v1" target/debug/fixapp || fail "fixapp differs in D"
# Without the password the server refuses: one warning, the build still works.
make_fixture "$work/e"
cd "$work/e"
KILN_DIR="$work/store-e" KILN_REMOTE="http://127.0.0.1:$nginx_port/auth/deps" KILN_LOG="$work/e.log" cargo kiln build \
  2>"$work/e.err" || fail "build E without credentials"
[ "$(warnings "$work/e.err")" -eq 1 ] || { cat "$work/e.err"; fail "expected one warning without credentials"; }
grep -q "401" "$work/e.err" || fail "the warning does not say 401"

# #read-only: hits are used, nothing is written.
before=$(find "$work/nginx/data" -type f | wc -l)
make_fixture "$work/f"
cd "$work/f"
echo 'pub fn extra() -> u32 { 42 }' >>fixlib/src/lib.rs
KILN_DIR="$work/store-f" KILN_REMOTE="$remote#read-only" KILN_LOG="$work/f.log" cargo kiln build 2>"$work/f.err" ||
  fail "build F"
grep -q '\] hit serde ' "$work/f.log" || fail "read-only remote not read"
grep -q '\] miss fixlib ' "$work/f.log" || fail "changed fixlib should miss"
[ "$(find "$work/nginx/data" -type f | wc -l)" -eq "$before" ] || fail "a #read-only remote was written"
# #write-only: never read (all misses), written.
make_fixture "$work/g"
cd "$work/g"
KILN_DIR="$work/store-g" KILN_REMOTE="http://127.0.0.1:$nginx_port/wo#write-only" KILN_LOG="$work/g.log" \
  cargo kiln build 2>"$work/g.err" || fail "build G"
[ "$(count hit "$work/g.log")" -eq 0 ] || fail "write-only remote was read"
[ -d "$work/nginx/data/wo/ac" ] || fail "write-only remote not written"
echo "1 passed, 0 failed"

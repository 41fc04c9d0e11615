#!/usr/bin/env bash
# The build report: `cargo kiln build --report=PATH` of the fixture workspace, cold and warm,
# rendered by headless Chromium (Debian's chromium) with every host name unresolvable (the
# page must need no network): a screenshot is taken, and the DOM after the page's script ran
# has every unit of the build on the timeline and in the table with its outcome, as kiln's log
# counted them. `kiln report` writes the same page for a past session.
source "$(dirname "$0")/lib.sh"
e2e_init
unset LIBRARY_PATH
command -v chromium >/dev/null || fail "chromium is not installed (scripts/install-deps.sh)"
e2e_copy_fixture workspace "$E2E_TMP/ws"
cd "$E2E_TMP/ws"
browser() { timeout 120 chromium --headless --no-sandbox --disable-gpu --host-resolver-rules="MAP * ~NOTFOUND" \
  --user-data-dir="$E2E_TMP/chromium" --window-size=1400,1000 "$@" 2>/dev/null; }

kiln_cargo cold build --report="$E2E_TMP/cold.html"
expect_file_contains "$E2E_TMP/cold.err" "kiln: report: $E2E_TMP/cold.html" "cargo kiln says where the report is"
cargo clean
kiln_cargo warm build --report="$E2E_TMP/warm.html"

for run in cold warm; do
  page=$E2E_TMP/$run.html
  grep -Eq '(src|href)="?https?:' "$page" && fail "the $run report loads nothing from the network"
  browser --dump-dom "file://$page" >"$E2E_TMP/$run.dom"
  expect_file_contains "$E2E_TMP/$run.dom" 'data-ready="yes"' "the $run report's script ran (network off)"
  bars() { { grep -o "class=\"unit [a-z-]*[^\"]*\" data-crate=\"[^\"]*\" data-label=\"[^\"]*\" data-outcome=\"$1\"" "$E2E_TMP/$run.dom" || true; } | wc -l; }
  rows() { { grep -o "<tr class=\"row\" data-crate=\"[^\"]*\" data-label=\"[^\"]*\" data-outcome=\"$1\"" "$E2E_TMP/$run.dom" || true; } | wc -l; }
  hits=$(( $(bars hit-local) + $(bars hit-remote) ))
  expect_eq "$(count_hits "$run")" "$hits" "$run: every hit is on the timeline as a hit"
  expect_eq "$(count_misses "$run")" "$(( $(bars miss) + $(bars unstored) ))" "$run: every miss is on the timeline as a miss"
  expect_eq "$(( $(count_hits "$run") + $(count_misses "$run") ))" "$(( $(rows hit-local) + $(rows hit-remote) + $(rows miss) + $(rows unstored) ))" \
    "$run: and in the table"
done
# Each crate of the cold build is there by name, with its crate type.
for unit in greet:lib app:bin macros:proc-macro build_script_build:run; do
  expect_file_contains "$E2E_TMP/cold.dom" "data-crate=\"${unit%%:*}\" data-label=\"${unit#*:}\" data-outcome=\"miss\"" \
    "cold: ${unit%%:*} (${unit#*:}) is on the timeline as a miss"
done
expect_file_contains "$E2E_TMP/warm.dom" "build-script runs cached" "the totals count cached build-script runs"
browser --screenshot="$E2E_TMP/warm.png" "file://$E2E_TMP/warm.html" >/dev/null
[ "$(stat -c %s "$E2E_TMP/warm.png" 2>/dev/null || echo 0)" -gt 10000 ] || fail "a screenshot of the report"
pass "a screenshot of the report ($(stat -c %s "$E2E_TMP/warm.png") bytes)"

"$KILN_BIN" report -o "$E2E_TMP/again.html" >/dev/null || fail "kiln report"
expect_eq "$(grep -c 'class="unit ' "$E2E_TMP/warm.html")" "$(grep -c 'class="unit ' "$E2E_TMP/again.html")" \
  "kiln report writes the last session's page again"

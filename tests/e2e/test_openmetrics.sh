#!/usr/bin/env bash
# `kiln stats --format openmetrics` after a real build parses with the Prometheus client's
# OpenMetrics parser (Debian's python3-prometheus-client), and its counters are the build's.
source "$(dirname "$0")/lib.sh"
e2e_init
unset LIBRARY_PATH
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || fail "python3-prometheus-client is not installed (scripts/install-deps.sh)"
e2e_copy_fixture workspace "$E2E_TMP/ws"
cd "$E2E_TMP/ws"
kiln_cargo cold build
cargo clean
kiln_cargo warm build
"$KILN_BIN" stats --format openmetrics >"$E2E_TMP/metrics.txt"
/usr/bin/python3 - "$E2E_TMP/metrics.txt" >"$E2E_TMP/parsed.txt" <<'PY' || { cat "$E2E_TMP/parsed.txt" >&2; fail "the OpenMetrics parser rejects kiln's output"; }
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
samples = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in family.samples:
        key = s.name + "".join(f"{{{k}={v}}}" for k, v in sorted(s.labels.items()))
        samples[key] = s.value
for k in sorted(samples):
    print(k, samples[k])
PY
pass "the OpenMetrics parser reads kiln's output ($(wc -l <"$E2E_TMP/parsed.txt") samples)"
value() { awk -v k="$1" '$1 == k { print $2 }' "$E2E_TMP/parsed.txt"; }
expect_eq "$(count_hits warm)" "$(value kiln_hits_total | sed "s/\\.0$//")" "kiln_hits_total is the warm build's hits"
expect_eq "$(count_misses cold)" "$(value kiln_misses_total | sed "s/\\.0$//")" "kiln_misses_total is the cold build's misses"
saved=$(value kiln_time_saved_seconds_total)
[ "$(echo "$saved > 0" | bc)" = 1 ] || fail "time saved is counted ($saved s)"
pass "kiln_time_saved_seconds_total $saved"

// kiln's counters in the OpenMetrics text format (Prometheus's exposition format,
// https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md),
// for `kiln stats --format openmetrics`: a CI job writes it where a node exporter's textfile
// collector or a Pushgateway picks it up. Families: kiln_hits, kiln_direct_hits, kiln_misses,
// kiln_errors (counters), kiln_not_cached{reason}, kiln_crate_type_hits/misses{crate_type},
// kiln_time_saved_seconds, kiln_corrupt_files, kiln_evicted_files/bytes,
// kiln_remote_{hits,misses,errors,timeouts}{store}, kiln_remote_bytes{store,direction,measure}
// (measure "raw" or "wire"), and gauges kiln_store_size_bytes, kiln_store_entries,
// kiln_hit_duration_p50_seconds / p95. Ends with "# EOF".
#pragma once

#include <string>

#include "stats/stats.h"

namespace kiln {

/// The exposition text for `s` and a local store of `store_bytes` in `store_entries` entries.
std::string format_openmetrics(const StatsSummary& s, uint64_t store_bytes, uint64_t store_entries);

}  // namespace kiln

// The build report: one self-contained HTML page about a `cargo kiln` session (`cargo kiln
// build --report[=PATH]`, `kiln report [SESSION]`). CSS and JS are inline, so the page needs
// no network.
//
// The page has:
//   - the totals: units, hits (local, remote), misses, not cached, time saved, bytes
//     restored, and the bytes fetched and uploaded per remote store;
//   - a timeline like cargo's --timings: each unit a bar from its start to its end, on the
//     first free lane (at most as many lanes as ran at once), coloured by outcome (hit-local,
//     hit-remote, miss, not-cached, unstored, error), build-script runs marked;
//   - a table of every unit, sortable by any column (click its header), slowest misses first.
// Each bar and row carries data-crate, data-label and data-outcome for tools and tests.
#pragma once

#include <string>
#include <vector>

#include "report/timeline.h"
#include "stats/stats.h"

namespace kiln {

/// What the page is about.
struct ReportInput {
  std::string session;
  std::string title;  // e.g. "cargo kiln build --release in /src/app"
  std::vector<TimelineEntry> units;
  StatsSummary stats;  // the session's stats (for the stores' bytes)
};

/// The HTML page (UTF-8).
std::string render_report(const ReportInput& in);

/// The lane of each unit (index-aligned with `units`): the first lane free at its start.
std::vector<int> assign_lanes(const std::vector<TimelineEntry>& units);

}  // namespace kiln

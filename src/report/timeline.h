// The timeline of a `cargo kiln` session: one JSON line per action, appended by the engine
// to <store>/sessions/<session>.jsonl when the action is answered (and an amendment when a
// background store ends up not storing it): crate, package, crate type, outcome (hit-local,
// hit-remote, miss, not-cached, unstored, error), its reason, when it started and ended (unix
// ms), the wall time kiln spent, the rustc time saved, the bytes a hit restored, the bytes it
// fetched from and uploaded to each remote store, the key and the wrapper's pid. report/report_html.h turns it into the build report; `cargo kiln` keeps
// the last 30 sessions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// What one action moved to or from one remote store (raw bytes, as kiln stores them).
struct UnitStoreBytes {
  std::string store;  // the remote's name (as in `kiln stats`)
  uint64_t fetched = 0, uploaded = 0;
};

/// One action of a session.
struct TimelineEntry {
  std::string crate, package, label;  // label: crate type, or "run" for a build-script run
  std::string outcome;                // "hit-local", "hit-remote", "miss", "not-cached", "unstored", "error"
  std::string reason;
  int64_t start_ms = 0, end_ms = 0;   // unix ms
  double saved_ms = 0;
  uint64_t bytes = 0;                 // restored by a hit
  std::vector<UnitStoreBytes> stores;  // remotes it fetched from or uploaded to
  std::string key;
  int pid = 0;
};

/// Appends `e` to the timeline of `session` in `store_dir` (nothing without a session).
void append_timeline(const std::string& store_dir, const std::string& session, const TimelineEntry& e);

/// The timeline of `session`, in record order, amendments folded into their misses: an
/// "unstored" one changes its outcome, an "uploaded" one (a background store's uploads) adds
/// its store bytes.
/// Errors: no timeline for it.
Result<std::vector<TimelineEntry>> read_timeline(const std::string& store_dir, const std::string& session);

/// The newest session with a timeline ("" = none).
std::string latest_session(const std::string& store_dir);

/// Removes all but the newest `keep` timelines.
void prune_timelines(const std::string& store_dir, size_t keep = 30);

}  // namespace kiln

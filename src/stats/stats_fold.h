// Folding stats shards into a summary, so the stats of a store stay bounded in size.
//   <store>/stats/events.<n>.log   shards, appended to by every kiln invocation (stats.h)
//   <store>/stats/fold.<id>.log    a shard taken away for folding
//   <store>/stats/summary.json     folded tallies: totals (hit times as a reservoir sample),
//                                  the 64 most recent sessions' counters, ids of folded shards
//   <store>/stats/summary.lock     flock: folding takes it exclusively (non-blocking: a busy
//                                  fold is skipped), reading takes it shared
// Folding a shard: rename it to fold.<id>.log (new appends create a fresh shard), take an
// exclusive flock on it — appenders hold a shared one while they write, so this waits out
// the few writes already under way, and any appender that opened the old shard then finds it
// renamed and writes to the new one — read it, write the summary with <id> recorded as
// folded (temp file + rename), and unlink it. A fold killed before the summary is written
// leaves fold.<id>.log to be read and folded later; one killed after it leaves a file whose
// id the summary lists, which readers skip and the next fold removes. So every line is
// counted exactly once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "stats/stats.h"

namespace kiln {

/// Shard size (bytes) above which an appender folds the shard: $KILN_STATS_FOLD_BYTES, else
/// 128 KiB.
uint64_t stats_fold_threshold();

/// Folds every shard of the stats of the store in `dir` holding at least `min_bytes` (0: every
/// non-empty shard) into the summary. `wait`: wait for a fold under way instead of skipping.
/// Returns false when skipped or when the summary cannot be written.
bool fold_stats(const std::string& dir, uint64_t min_bytes, bool wait);

/// The summary plus the shards: all events, or those of `session`.
StatsSummary read_folded_stats(const std::string& dir, const std::optional<std::string>& session);

/// Removes the summary and empties the shards.
void clear_folded_stats(const std::string& dir);

}  // namespace kiln

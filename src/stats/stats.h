// Statistics: one event line per kiln invocation, appended with a single O_APPEND write(2)
// to one of 16 shard files (<store>/stats/events.<n>.log, n = pid mod 16). No count is lost:
// POSIX makes each append atomic with respect to other appends on a local filesystem. The hit
// path never waits: an appender holds a shared, non-blocking flock(2) on its shard only while
// it writes, which tells it when a shard is being folded (it then appends to the fresh one).
// Shards do not grow without bound: one over a threshold is folded into a summary
// (stats_fold.h) — counters summed, hit times kept as a bounded reservoir sample.
// `kiln stats` sums the summary and the shards; `--zero` empties both.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace kiln {

/// What happened to one rustc invocation. Unstored amends an earlier Miss of the same
/// action: its background store (core/background_store.h) did not store it, for `reason` —
/// folded as one miss less and one not-cached more.
enum class Outcome { DirectHit, Hit, Miss, NotCached, Error, Unstored };

/// One invocation's record.
struct StatsEvent {
  Outcome outcome = Outcome::Miss;
  std::string crate_type;  // "lib", "bin", "proc-macro", "test", …
  std::string reason;      // for NotCached/Error: a slug ("incremental", "probe", …)
  double kiln_ms = 0;      // wall time kiln spent (on a hit: the whole hit)
  double saved_ms = 0;     // rustc time avoided (hits only)
  std::string session;     // $KILN_SESSION (set by `cargo kiln`), or empty
};

/// A remote store's counters, appended as separate lines.
struct StoreEvent {
  std::string store;
  uint64_t hits = 0, misses = 0, errors = 0, timeouts = 0;
  uint64_t bytes_down = 0, bytes_up = 0;  // raw: the blobs and entries moved, as kiln stores them
  uint64_t wire_down = 0, wire_up = 0;    // what crossed the network for them (compressed or raw)
};

/// Appends an event to the stats of the store in `dir`. Never fails the caller.
void record_event(const std::string& dir, const StatsEvent& event);
/// Appends a remote store's counters for this process.
void record_store_event(const std::string& dir, const StoreEvent& event);
/// Counts `n` corrupt store files found (and removed) on read.
void record_corrupt(const std::string& dir, uint64_t n = 1);
/// Counts files evicted from the local store (`files` entries/blobs, `bytes` on disk).
void record_eviction(const std::string& dir, uint64_t files, uint64_t bytes);

/// Sums over all events.
struct StatsSummary {
  uint64_t hits = 0;         // all hits (direct hits included)
  uint64_t direct_hits = 0;  // hits that started no rustc
  uint64_t misses = 0;      // rustc ran, and the result was stored (or its store failed)
  uint64_t unstored = 0;    // "unstored" amendments, already taken off `misses` by summary()
  uint64_t errors = 0;
  std::map<std::string, uint64_t> not_cached;            // reason → count
  std::map<std::string, std::pair<uint64_t, uint64_t>> by_crate_type;  // → (hits, misses)
  std::map<std::string, uint64_t> error_reasons;
  std::map<std::string, StoreEvent> stores;
  double time_saved_ms = 0;
  double hit_ms_p50 = 0, hit_ms_p95 = 0;  // from all hits, or a bounded sample of folded ones
  uint64_t corrupt = 0;        // corrupt store files found on read (each was removed: a miss)
  uint64_t evicted_files = 0;  // files evicted to keep the store under its size cap
  uint64_t evicted_bytes = 0;
  uint64_t not_cached_total() const;
};

/// Reads the stats of the store in `dir`; only events of `session` when given.
StatsSummary read_stats(const std::string& dir, const std::optional<std::string>& session = std::nullopt);

/// Empties the stats of the store in `dir`.
void zero_stats(const std::string& dir);

}  // namespace kiln

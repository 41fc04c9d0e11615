// Keeping a local store within its size cap (KILN_CACHE_SIZE): approximate LRU eviction.
// Recency is a file's mtime — the store refreshes it on every read and on every put of a blob
// that is already present. After an insert the writer updates its bucket's counter
// (size_counters.h); when the bucket holds more than cap/16 bytes, the writer cleans that one
// bucket: it scans it, removes its least recently used files until the bucket is at 90 % of
// its share (so cleanups are rare), removes abandoned temp files, and stores the exact size.
// This is ccache's scheme; buckets fill evenly because digests are uniform.
// Evicting a blob leaves entries naming it: such an entry is a miss, because replay fetches
// and verifies every blob before it writes any output (core/replay.cpp).
// Only one process cleans a given bucket at a time (flock on usage/clean.<digit>); others skip.
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

/// What a cleanup removed and what is left.
struct EvictionReport {
  uint64_t files_removed = 0;   // entries and blobs
  uint64_t bytes_removed = 0;   // on disk
  uint64_t temps_removed = 0;   // abandoned temp files
  uint64_t bytes_after = 0;     // store (or bucket) size afterwards, bytes on disk
  uint64_t files_after = 0;
  bool skipped = false;         // another process was cleaning
};

/// Fraction of a bucket's share a cleanup brings it down to.
inline constexpr double kEvictTarget = 0.9;

/// Called after a write to `bucket` that left its counter at `bucket_bytes`: cleans the bucket
/// when it is above cap/16. Records evictions in the stats. Never fails the caller.
void maybe_evict_bucket(const std::string& dir, int bucket, uint64_t bucket_bytes, uint64_t cap_bytes);

/// Cleans one bucket down to `limit_bytes` (LRU); also removes its abandoned temp files and
/// stores its exact size in its counter. `wait`: block for the bucket's cleanup lock instead
/// of skipping when another process holds it.
EvictionReport clean_bucket(const std::string& dir, int bucket, uint64_t limit_bytes, bool wait);

/// `kiln cache gc`: brings the whole store down to `cap_bytes` (global LRU order), removes
/// abandoned temp files and resets every counter to the exact size.
EvictionReport collect_garbage(const std::string& dir, uint64_t cap_bytes);

/// `kiln cache prune --older-than`: removes entries and blobs not used for `age_ns`.
EvictionReport prune_older_than(const std::string& dir, int64_t age_ns);

/// `kiln cache clear`: removes every entry, blob, temp file and counter (stats stay).
EvictionReport clear_store(const std::string& dir);

}  // namespace kiln

// Keeping a local store within its size cap (KILN_CACHE_SIZE): approximate LRU eviction.
// Recency is a file's mtime — the store refreshes it on every read and on every put of a blob
// that is already present. After an insert the writer updates its bucket's counter
// (size_counters.h). Each of the 16 buckets has a fair share of cap/16. While a bucket stays
// within its share nothing else happens (the sum of 16 buckets within their shares is within
// the cap). When it goes over, the writer sums the 16 counters; only if the store as a whole
// is over the cap does it evict: it brings the store to 90 % of the cap (so cleanups are
// rare) by removing the least recently used files of the buckets over their share — the one
// just written first, then the others, largest first — none below 90 % of its share. This is
// ccache's scheme (its level-1 directories), except that a bucket may exceed its share while
// the store has room, so a file bigger than cap/16 (a large binary) can still be cached.
// Cleaning a bucket also removes its abandoned temp files and stores its exact size.
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

/// Eviction brings the store down to this fraction of the cap, and no bucket below this
/// fraction of its share.
inline constexpr double kEvictTarget = 0.9;

/// Called after a write to `bucket` that left its counter at `bucket_bytes`: when the bucket is
/// over cap/16 and the store over `cap_bytes`, evicts as described above. Records evictions in
/// the stats. Never fails the caller.
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

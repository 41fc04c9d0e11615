// Per-bucket size counters of a local store, so that enforcing the size cap on every insert
// costs one small locked read-modify-write instead of a directory walk (ccache keeps its
// size counters the same way, one stats file per level-1 directory).
//   <store>/usage/<hex digit>   "kiln-usage 1 <bytes, 20 wide> <files, 20 wide>\n"
// A record is written with one pwrite(2) of a fixed length under flock(2), so a killed
// writer leaves either the old or the new value. Counters are approximate (a writer killed
// between its rename and the counter update is not counted); every cleanup of a bucket
// rescans it and stores the exact value, so drift does not accumulate. A missing or
// unreadable counter is rebuilt by scanning its bucket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "util/expected.h"

namespace kiln {

/// Bytes on disk and number of files (entries + blobs) of one bucket.
struct BucketUsage {
  int64_t bytes = 0;
  int64_t files = 0;
};

class SizeCounters {
 public:
  /// Counters of the store in `dir`.
  explicit SizeCounters(std::string dir) : dir_(std::move(dir)) {}

  /// Adds a delta to `bucket`'s counter and returns the new value; a missing counter is
  /// first rebuilt by a scan (which already sees the change, so the delta is not added).
  /// Errors: the counter cannot be opened or locked (read-only or missing store).
  Result<BucketUsage> add(int bucket, int64_t bytes, int64_t files);

  /// The counter of `bucket`; nullopt when missing or unreadable.
  std::optional<BucketUsage> get(int bucket) const;

  /// Overwrites the counter of `bucket` (after a rescan). Errors: cannot be written.
  Status set(int bucket, BucketUsage usage);

  /// Sum over all buckets; missing counters are rebuilt by scanning (and stored when possible).
  BucketUsage total();

  /// Removes all counters (after `kiln cache clear`).
  void remove_all();

  /// Path of a bucket's counter file.
  std::string path(int bucket) const;

 private:
  std::string dir_;
};

/// Exact usage of one bucket by scanning it.
BucketUsage scan_bucket_usage(const std::string& dir, int bucket);

}  // namespace kiln

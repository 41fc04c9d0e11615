// `kiln cache verify`: reads every blob and action entry of a local store and checks it the
// way a lookup would (blob: LZ4 or zstd frame whose content hashes to the file's name; entry: header,
// checksum, protobuf), removing what is damaged. Also removes result entries whose blobs are
// gone (eviction leaves those; they are misses anyway), abandoned temp files of killed writers,
// and stray names in the bucket directories, then resets the size counters to the exact sizes.
// Only damaged files count as damage: a store written by killed processes has none, because
// every file reaches its final name complete (temp file + rename).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// What verify found and did.
struct VerifyReport {
  uint64_t entries_ok = 0, blobs_ok = 0;
  uint64_t entries_damaged = 0, blobs_damaged = 0;  // damaged files (removed unless remove_failed)
  uint64_t dangling_removed = 0;  // result entries naming a blob that is gone
  uint64_t temps_removed = 0;     // abandoned temp files removed
  uint64_t temps_live = 0;        // temp files of writers still running (left alone)
  uint64_t strays_removed = 0;    // other names in bucket directories
  uint64_t remove_failed = 0;     // files that should have gone but could not be removed
  std::vector<std::string> damaged;  // paths of damaged files, with the reason

  /// True when nothing was damaged.
  bool clean() const { return entries_damaged == 0 && blobs_damaged == 0; }
};

/// Verifies the store in `dir` (a missing store is clean).
VerifyReport verify_store(const std::string& dir);

}  // namespace kiln

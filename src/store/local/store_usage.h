// Size accounting of a local store: bytes on disk and entry counts, by walking ac/ and cas/.
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

/// Bytes (on disk, compressed) and counts of a local store.
struct StoreUsage {
  uint64_t bytes = 0;    // ac + cas file sizes
  uint64_t entries = 0;  // action entries (ac files)
  uint64_t blobs = 0;    // cas files
};

/// Walks the store in `dir`. A missing store is empty.
StoreUsage store_usage(const std::string& dir);

}  // namespace kiln

// Size accounting of a local store: bytes on disk and entry counts, by walking ac/ and cas/
// (store_files.h; temp files of writers and stray names are not counted). The same measure
// as the size cap and `kiln cache du`.
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

/// Bytes on disk (st_blocks × 512 of the compressed files) and counts of a local store.
struct StoreUsage {
  uint64_t bytes = 0;    // ac + cas files, on disk
  uint64_t entries = 0;  // action entries (ac files)
  uint64_t blobs = 0;    // cas files
};

/// Walks the store in `dir`. A missing store is empty.
StoreUsage store_usage(const std::string& dir);

}  // namespace kiln

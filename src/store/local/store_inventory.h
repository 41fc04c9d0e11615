// What a local store holds, entry by entry, for `kiln cache du` and `kiln cache ls`: every
// action entry decoded (its EntryMeta names the crate, package and crate type), with its
// size on disk and that of the blobs it names, and its last use (the entry file's mtime,
// refreshed by every hit).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/action_result.h"

namespace kiln {

/// One action entry.
struct InventoryEntry {
  std::string key_hex;
  EntryMeta meta;             // kind "result", "path-bound" or "manifest"
  uint64_t entry_bytes = 0;   // the entry file, on disk
  uint64_t blob_bytes = 0;    // blobs first named by this entry (a blob shared by several
                              // entries is counted once, for the first), on disk
  uint64_t output_bytes = 0;  // uncompressed size of its outputs
  size_t outputs = 0;
  size_t missing_blobs = 0;   // blobs it names that are not in the store (a miss)
  int64_t last_used_ns = 0;
};

/// The whole store.
struct Inventory {
  std::vector<InventoryEntry> entries;  // readable entries, in no particular order
  uint64_t total_bytes = 0;             // entries + blobs, on disk
  uint64_t blobs = 0;
  uint64_t unreferenced_blob_bytes = 0; // blobs no entry names (their entry was evicted)
  uint64_t unreadable_entries = 0;      // damaged entries (left alone; see `kiln cache verify`)
};

/// Reads every entry of the store in `dir` (a missing store is empty). Does not refresh
/// recency and removes nothing.
Inventory take_inventory(const std::string& dir);

/// "1.5 GiB", "340.0 KiB", "12 B".
std::string human_bytes(uint64_t bytes);

}  // namespace kiln

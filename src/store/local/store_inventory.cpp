// Listing a local store's entries (see store_inventory.h).
#include "store/local/store_inventory.h"

#include <cstdio>
#include <unordered_map>

#include "store/local/local_store.h"
#include "store/local/store_files.h"
#include "util/clock.h"
#include "util/fs.h"

namespace kiln {

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

Inventory take_inventory(const std::string& dir) {
  Inventory inv;
  StoreScan s = scan_store(dir, wall_ns());
  inv.total_bytes = s.disk_bytes;
  std::unordered_map<std::string, uint64_t> unclaimed;  // blob hex → disk bytes, until an entry names it
  std::unordered_map<std::string, bool> present;
  for (const auto& f : s.files)
    if (f.kind == StoreFileKind::Blob) {
      unclaimed[f.hex] = f.disk_bytes;
      present[f.hex] = true;
      ++inv.blobs;
    }
  for (const auto& f : s.files) {
    if (f.kind != StoreFileKind::Entry) continue;
    auto bytes = read_file(f.path);
    if (!bytes) continue;  // evicted meanwhile
    auto entry = LocalStore::decode_action_file(*bytes);
    if (!entry) {
      ++inv.unreadable_entries;
      continue;
    }
    InventoryEntry e;
    e.key_hex = f.hex;
    e.meta = std::move(entry->meta);
    e.entry_bytes = f.disk_bytes;
    e.last_used_ns = f.mtime_ns;
    e.outputs = entry->output_files.size();
    for (const auto& of : entry->output_files) {
      std::string hex = of.digest.hex();
      e.output_bytes += static_cast<uint64_t>(of.size);
      if (!present.count(hex)) {
        ++e.missing_blobs;
        continue;
      }
      if (auto it = unclaimed.find(hex); it != unclaimed.end()) {
        e.blob_bytes += it->second;
        unclaimed.erase(it);
      }
    }
    inv.entries.push_back(std::move(e));
  }
  for (const auto& [hex, b] : unclaimed) inv.unreferenced_blob_bytes += b;
  return inv;
}

}  // namespace kiln

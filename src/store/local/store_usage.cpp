// Store size accounting by directory walk (see store_usage.h).
#include "store/local/store_usage.h"

#include "store/local/store_files.h"
#include "util/clock.h"

namespace kiln {

StoreUsage store_usage(const std::string& dir) {
  StoreUsage u;
  StoreScan s = scan_store(dir, wall_ns());
  u.bytes = s.disk_bytes;
  for (const auto& f : s.files) {
    if (f.kind == StoreFileKind::Entry) ++u.entries;
    else ++u.blobs;
  }
  return u;
}

}  // namespace kiln

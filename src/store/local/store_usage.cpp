// Store size accounting by directory walk (see store_usage.h).
#include "store/local/store_usage.h"

#include "util/fs.h"

namespace kiln {

StoreUsage store_usage(const std::string& dir) {
  StoreUsage u;
  for (const char* kind : {"ac", "cas"}) {
    std::string root = dir + "/" + kind;
    for (const auto& shard : list_dir(root)) {
      std::string sd = root + "/" + shard;
      for (const auto& name : list_dir(sd)) {
        if (name.find(".tmp.") != std::string::npos) continue;
        auto st = stat_file(sd + "/" + name);
        if (!st) continue;
        u.bytes += st->size;
        if (kind[0] == 'a') ++u.entries;
        else ++u.blobs;
      }
    }
  }
  return u;
}

}  // namespace kiln

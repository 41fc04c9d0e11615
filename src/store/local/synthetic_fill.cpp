// Synthetic store entries for benchmarks (see synthetic_fill.h).
#include "store/local/synthetic_fill.h"

#include <ctime>
#include <random>
#include <string>

namespace kiln {

Status fill_synthetic(LocalStore& store, uint64_t count, size_t blob_bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string blob(blob_bytes, '\0');
  for (uint64_t i = 0; i < count; ++i) {
    // Half random (so zstd does not shrink the blob to nothing), half text.
    for (size_t k = 0; k < blob.size(); ++k) blob[k] = k < blob.size() / 2 ? static_cast<char>(rng()) : 'a' + k % 26;
    Digest d = sha256(blob);
    if (auto st = store.put_blob(d, blob); !st) return st;
    ActionResult r;
    std::string name = "synthetic_" + std::to_string(i);
    r.output_files.push_back({"{{kiln:target}}/debug/deps/lib" + name + "-0000000000000000.rlib", d,
                              static_cast<int64_t>(blob.size()), false});
    r.stderr_raw = "{\"$message_type\":\"artifact\",\"artifact\":\"{{kiln:target}}/debug/deps/lib" + name +
                   "-0000000000000000.rlib\",\"emit\":\"link\"}\n";
    r.meta.kind = EntryKind::Result;
    r.meta.crate_name = name;
    r.meta.crate_type = "lib";
    r.meta.package = name + " 0.0." + std::to_string(seed);
    r.meta.compile_ms = 100;
    r.meta.created_unix = static_cast<int64_t>(std::time(nullptr));
    Digest key = sha256("kiln synthetic entry " + std::to_string(seed) + " " + std::to_string(i));
    if (auto st = store.put_action(key, r); !st) return st;
  }
  return {};
}

}  // namespace kiln

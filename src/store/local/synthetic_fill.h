// Filling a local store with synthetic entries, for the scale benchmark (bench/store_scale.sh,
// via the hidden `kiln cache __fill N`): each entry is a `result` entry for a made-up crate
// "synthetic_<i>" naming one blob of pseudo-random bytes, written through the normal
// LocalStore path (temp file + rename, size counters, eviction), so the files, directory
// sizes and counters are those a real store of that many entries would have.
#pragma once

#include <cstddef>
#include <cstdint>

#include "store/local/local_store.h"
#include "util/expected.h"

namespace kiln {

/// Writes `count` synthetic entries (each with one blob of `blob_bytes` bytes) into `store`;
/// `seed` makes the keys and contents distinct from other fills. Errors: a write failed.
Status fill_synthetic(LocalStore& store, uint64_t count, size_t blob_bytes, uint64_t seed);

}  // namespace kiln

// XXH3-64, xxHash's fast non-cryptographic checksum (https://xxhash.com, libxxhash): what
// kiln uses where it must notice accidental change (a corrupt store file, an output rewritten)
// and SHA-256 would cost too much; never as a name (that is SHA-256, util/digest.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kiln {

/// XXH3-64 (seed 0) of `data`.
uint64_t xxh3_64(std::string_view data);

/// The same over content that arrives in chunks. Throws std::bad_alloc when libxxhash cannot
/// allocate its state.
class Xxh3Stream {
 public:
  Xxh3Stream();
  ~Xxh3Stream();
  Xxh3Stream(const Xxh3Stream&) = delete;
  Xxh3Stream& operator=(const Xxh3Stream&) = delete;
  void update(const void* p, size_t n);
  uint64_t finish() const;

 private:
  void* state_;  // XXH3_state_t
};

}  // namespace kiln

// XXH3-64 through libxxhash (see xxh3.h).
#include "util/xxh3.h"

#include <xxhash.h>

#include <new>

namespace kiln {

uint64_t xxh3_64(std::string_view data) { return XXH3_64bits(data.data(), data.size()); }

Xxh3Stream::Xxh3Stream() : state_(XXH3_createState()) {
  if (!state_) throw std::bad_alloc();
  XXH3_64bits_reset(static_cast<XXH3_state_t*>(state_));
}
Xxh3Stream::~Xxh3Stream() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }
void Xxh3Stream::update(const void* p, size_t n) { XXH3_64bits_update(static_cast<XXH3_state_t*>(state_), p, n); }
uint64_t Xxh3Stream::finish() const { return XXH3_64bits_digest(static_cast<const XXH3_state_t*>(state_)); }

}  // namespace kiln

// zstd compression of store entries (RFC 8878 frames, with the content size in the header).
#pragma once

#include <string>
#include <string_view>

#include "util/expected.h"

namespace kiln {

/// Compresses `data` into one zstd frame at `level` (1..19; 3 is zstd's default).
Result<std::string> zstd_compress(std::string_view data, int level = 3);

/// Decompresses one or more zstd frames. Errors: corrupt or truncated input.
Result<std::string> zstd_decompress(std::string_view data);

}  // namespace kiln

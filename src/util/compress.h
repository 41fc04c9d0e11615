// Compression of store files. Two codecs, both with the content size in the frame header:
//   zstd (RFC 8878)  — action entries (small; the better ratio);
//   LZ4 frame format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md) — blobs,
//   the outputs a hit writes back, because LZ4 decompresses about 3× faster than zstd level 1
//   on these machines (ripgrep's 42 MB binary: 2.6 GB/s vs 0.9 GB/s, `lz4 -b1` / `zstd -b1`)
//   for about 1.4× the size on disk.
// Readers tell the codecs apart by their magic numbers, so older zstd blobs stay readable.
#pragma once

#include <string>
#include <string_view>

#include "util/expected.h"

namespace kiln {

/// Compresses `data` into one zstd frame at `level` (1..19; 3 is zstd's default).
Result<std::string> zstd_compress(std::string_view data, int level = 3);

/// Decompresses one or more zstd frames. Errors: corrupt or truncated input.
Result<std::string> zstd_decompress(std::string_view data);

/// Compresses `data` into one LZ4 frame at LZ4's default level (256 KiB independent blocks).
/// Errors: LZ4 failure.
Result<std::string> lz4_compress(std::string_view data);

/// Wraps `data` uncompressed in one LZ4 frame (256 KiB blocks stored with the format's
/// "uncompressed" flag): any LZ4 reader reads it back, at the cost of a copy each way instead
/// of compressing. For blobs that can be fetched again. Errors: LZ4 failure.
Result<std::string> lz4_store(std::string_view data);
/// Decompresses one or more LZ4 frames. Errors: corrupt or truncated input.
Result<std::string> lz4_decompress(std::string_view data);

/// The codec whose frame magic number `data` starts with.
enum class Codec { Zstd, Lz4, Unknown };
Codec codec_of(std::string_view data);

/// Decompresses zstd or LZ4 frames, chosen by codec_of(). Errors: unknown magic, corrupt input.
Result<std::string> decompress_any(std::string_view data);

}  // namespace kiln

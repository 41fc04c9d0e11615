// Streaming a store blob out of its compressed frame (LZ4, or zstd from older stores; see
// util/compress.h): the restore half of a cache hit.
//
// A hit used to read a blob file whole, decompress it into a second buffer the size of the
// output, hash that and write it: for ripgrep's 42 MB binary that is two large allocations
// (page faults, then munmap) and one pass after another. Here the frame is read and
// decompressed in 256 KiB chunks that stay in the CPU cache, and each chunk is hashed
// (SHA-256, the blob's name) and written as soon as it exists. For frames of 1 MiB or more
// the two halves run as a pipeline — decompression on the calling thread, hashing and writing
// on a second one, through a ring of four chunks — so a large restore takes about as long as
// its slower half instead of the sum of both (ripgrep's 42 MB binary, LZ4: 39 ms vs 57 ms;
// for a 1 MB rlib the thread does not pay off).
//
// Streaming APIs: zstd's ZSTD_decompressStream (https://facebook.github.io/zstd/zstd_manual.html)
// and LZ4's LZ4F_decompress (lz4frame.h).
#pragma once

#include <optional>

#include "util/digest.h"
#include "util/expected.h"

namespace kiln {

/// Decompresses the LZ4 or zstd frame(s) read from `in_fd` (to its end) into `out_fd`, returning the
/// SHA-256 of the decompressed bytes; the caller compares it with the blob's name.
/// `compressed_size` (bytes, from fstat) chooses the pipelined path (≥ 1 MiB).
/// Returns nullopt when the input is not a complete frame (corrupt or truncated blob).
/// Errors: reading `in_fd` or writing `out_fd` failed (errno text).
Result<std::optional<Digest>> decompress_and_hash(int in_fd, int out_fd, uint64_t compressed_size);

}  // namespace kiln

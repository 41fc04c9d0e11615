// Streaming a store blob out of its compressed frame (LZ4, or zstd from older stores; see
// util/compress.h): the restore half of a cache hit.
//
// A hit used to read a blob file whole, decompress it into a second buffer the size of the
// output, hash that and write it: for ripgrep's 42 MB binary that is two large allocations
// (page faults, then munmap) and one pass after another. Here the frame is read and
// decompressed in 256 KiB chunks that stay in the CPU cache, and each chunk is written as soon
// as it exists. For frames of 1 MiB or more the two halves run as a pipeline — decompression
// on the calling thread, writing on a second one, through a ring of four chunks — so a large
// restore takes about as long as its slower half instead of the sum of both.
//
// Every restored byte is checked, by the cheapest check that is enough. A blob in the local
// store got there with its SHA-256 known: computed from the output kiln just stored, or
// verified when it was fetched from a remote (every remote's get checks it, and so does the
// build index pack). What can go wrong afterwards is corruption — a torn write, a bad disk, a
// truncated file, a file copied over another — and the blob file's tag (local/blob_file.h:
// the digest it was written as, the XXH3-64 of its content) catches that: XXH3 runs at tens of
// GB/s, SHA-256 at 1.4 GB/s with SHA-NI on these machines, and for ripgrep's warm build SHA-256
// was the largest single cost of a hit (18 % of kiln's samples in `perf record`, more than
// decompressing). It is a check against accidents, not against someone who can write the
// store: they could as well write entries. Untagged files (older kilns) are hashed with
// SHA-256 and compared with the blob's name, as before; `kiln cache verify` always does that.

#pragma once

#include <optional>

#include "util/digest.h"
#include "util/expected.h"

namespace kiln {

/// Decompresses the LZ4 or zstd frame(s) read from `in_fd` (to its end) into `out_fd`, and
/// checks the content: against the file's tag when it has one (its digest must be `digest`),
/// else by its SHA-256 against `digest` (the blob's name). `compressed_size` (bytes, from fstat) chooses the pipelined
/// path (≥ 1 MiB). Returns false when the blob is corrupt (not a complete frame, a checksum or
/// digest that does not match): what was written to `out_fd` must then be discarded.
/// Errors: reading `in_fd` or writing `out_fd` failed (errno text).
Result<bool> decompress_checked(int in_fd, int out_fd, uint64_t compressed_size, const Digest& digest);

}  // namespace kiln

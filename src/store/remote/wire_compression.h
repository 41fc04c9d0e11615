// How blobs travel to and from remote stores: as zstd frames (RFC 8878) when that pays, raw
// otherwise. Measured on ripgrep's outputs (rlibs, rmetas, the binary): zstd level 1 makes
// them 0.28× their size at ~400 MB/s on one core here (186 MB in 0.47 s) — faster than a 1 Gbit/s link (125 MB/s)
// can carry the result, so compressing never makes an upload slower; and a miss is stored in
// the background anyway (core/background_store.h). Higher levels gain a few percent for 3–10×
// the CPU. Blobs under 4 KiB stay raw (a frame would not pay for itself), and so does any
// blob that compression shrinks by less than 10 %; one that is a zstd or LZ4 frame already (the
// build index pack) is sent as it is, without trying.
//
// Which stores: Redis (a value is a zstd frame or raw: readers tell them apart by the frame's
// magic number and accept only content whose SHA-256 is the digest), OCI registries (a layer of
// media type kKilnOutputMediaType + "+zstd", named by the frame's own digest, with the
// content's digest in an annotation: store/remote/oci_store.h). The Bazel HTTP cache protocol
// has no compressed form for /cas/ (the path is the content's digest, the body the content),
// so HTTP remotes get raw bytes (docs/remote-stores.md).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "util/digest.h"
#include "util/expected.h"

namespace kiln {

/// Blobs smaller than this travel raw (compression would not pay for its frame).
inline constexpr size_t kCompressMinBytes = 4096;
/// zstd level for blobs on the wire.
inline constexpr int kCompressLevel = 1;

/// The zstd frame `data` should travel as, or nullopt when it should travel raw (small, already
/// a zstd or LZ4 frame, or compression saves less than 10 %).
std::optional<std::string> compress_for_wire(std::string_view data);

/// The content of a zstd frame fetched for the blob `digest`. Errors: not a valid frame, or
/// content whose SHA-256 is not `digest` (a corrupt or foreign blob: never served).
Result<std::string> decompress_from_wire(std::string_view frame, const Digest& digest);

}  // namespace kiln

// Compression of blobs for remote stores (see wire_compression.h).
#include "store/remote/wire_compression.h"

#include "util/compress.h"

namespace kiln {

std::optional<std::string> compress_for_wire(std::string_view data) {
  if (data.size() < kCompressMinBytes) return std::nullopt;
  // Already a compressed frame (the build index pack is zstd): sent as it is, not tried again.
  if (codec_of(data) != Codec::Unknown) return std::nullopt;
  auto z = zstd_compress(data, kCompressLevel);
  if (!z || z->size() >= data.size() - data.size() / 10) return std::nullopt;  // saves < 10 %
  return std::move(*z);
}

Result<std::string> decompress_from_wire(std::string_view frame, const Digest& digest) {
  auto raw = zstd_decompress(frame);
  if (!raw) return make_error("corrupt zstd frame (" + raw.error().message + ")");
  if (sha256(*raw) != digest) return make_error("decompressed content does not match its digest");
  return std::move(*raw);
}

}  // namespace kiln

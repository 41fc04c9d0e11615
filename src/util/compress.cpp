// zstd compression via libzstd; streaming decompression so frames without a content size
// (and truncated frames) are handled and reported as errors rather than crashes.
#include "util/compress.h"

#include <zstd.h>

namespace kiln {

Result<std::string> zstd_compress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  if (ZSTD_isError(n)) return make_error(std::string("zstd compress: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

Result<std::string> zstd_decompress(std::string_view data) {
  std::string out;
  unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) return make_error("zstd: not a zstd frame");
  if (size != ZSTD_CONTENTSIZE_UNKNOWN && size < (1ull << 34)) out.reserve(size);
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::string buf(ZSTD_DStreamOutSize(), '\0');
  size_t last = 1;
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    last = ZSTD_decompressStream(ctx, &o, &in);
    if (ZSTD_isError(last)) {
      ZSTD_freeDCtx(ctx);
      return make_error(std::string("zstd decompress: ") + ZSTD_getErrorName(last));
    }
    out.append(buf.data(), o.pos);
    if (o.pos == 0 && last != 0 && in.pos == in.size) break;
  }
  // Flush whatever is still buffered inside the decoder.
  while (last != 0) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    last = ZSTD_decompressStream(ctx, &o, &in);
    if (ZSTD_isError(last) || o.pos == 0) break;
    out.append(buf.data(), o.pos);
  }
  ZSTD_freeDCtx(ctx);
  if (last != 0) return make_error("zstd decompress: truncated frame");
  return out;
}

}  // namespace kiln

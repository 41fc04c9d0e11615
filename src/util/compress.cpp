// zstd (libzstd) and LZ4 frame (liblz4) compression; see compress.h. Decompression checks
// every size it is told, so truncated frames are reported as errors rather than crashes.
#include "util/compress.h"

#define LZ4F_STATIC_LINKING_ONLY  // LZ4F_uncompressedUpdate (liblz4 ≥ 1.9.3)
#include <lz4frame.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include <memory>

namespace kiln {

Result<std::string> zstd_compress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  if (ZSTD_isError(n)) return make_error(std::string("zstd compress: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

namespace {

// One decompression context per thread, reused: creating one costs a ~100 KiB allocation and
// its initialisation, which a small cache hit would otherwise pay twice.
ZSTD_DCtx* thread_dctx() {
  static thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  return ctx.get();
}

constexpr unsigned long long kOneShotMax = 1ull << 30;  // larger frames stream (bounded memory)

}  // namespace

Result<std::string> zstd_decompress(std::string_view data) {
  ZSTD_DCtx* ctx = thread_dctx();
  if (!ctx) return make_error("zstd: cannot create a decompression context");
  unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) return make_error("zstd: not a zstd frame");
  std::string out;
  // Frames written by zstd_compress carry their content size: decompress in one call.
  if (size != ZSTD_CONTENTSIZE_UNKNOWN && size <= kOneShotMax &&
      ZSTD_findFrameCompressedSize(data.data(), data.size()) == data.size()) {
    out.resize(size);
    size_t n = ZSTD_decompressDCtx(ctx, out.data(), out.size(), data.data(), data.size());
    if (ZSTD_isError(n)) return make_error(std::string("zstd decompress: ") + ZSTD_getErrorName(n));
    if (n != size) return make_error("zstd decompress: frame shorter than its header says");
    return out;
  }
  ZSTD_DCtx_reset(ctx, ZSTD_reset_session_only);
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::string buf(ZSTD_DStreamOutSize(), '\0');
  size_t last = 1;
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    last = ZSTD_decompressStream(ctx, &o, &in);
    if (ZSTD_isError(last)) return make_error(std::string("zstd decompress: ") + ZSTD_getErrorName(last));
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
  if (last != 0) return make_error("zstd decompress: truncated frame");
  return out;
}

namespace {

constexpr size_t kLz4Block = 256 * 1024;

// The frame layout of every LZ4 frame kiln writes: the content size in the header, and 256 KiB
// independent blocks, so that a reader with 256 KiB of room decodes each block straight into
// its own buffer (store/local/blob_stream.cpp), without LZ4F's staging copies. No content
// checksum: the local store keeps a faster one beside the frame (store/local/blob_file.h).
LZ4F_preferences_t lz4_frame_prefs(size_t content_size) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.contentSize = content_size;
  prefs.frameInfo.blockSizeID = LZ4F_max256KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  return prefs;
}

}  // namespace

Result<std::string> lz4_compress(std::string_view data) {
  LZ4F_preferences_t prefs = lz4_frame_prefs(data.size());
  std::string out(LZ4F_compressFrameBound(data.size(), &prefs), '\0');
  size_t n = LZ4F_compressFrame(out.data(), out.size(), data.data(), data.size(), &prefs);
  if (LZ4F_isError(n)) return make_error(std::string("lz4 compress: ") + LZ4F_getErrorName(n));
  out.resize(n);
  return out;
}

Result<std::string> lz4_store(std::string_view data) {
  // LZ4F writes the blocks with the format's "uncompressed" flag.
  LZ4F_preferences_t prefs = lz4_frame_prefs(data.size());
  LZ4F_cctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createCompressionContext(&raw, LZ4F_VERSION)))
    return make_error("lz4: cannot create a compression context");
  std::unique_ptr<LZ4F_cctx, LZ4F_errorCode_t (*)(LZ4F_cctx*)> ctx(raw, LZ4F_freeCompressionContext);
  std::string out(LZ4F_HEADER_SIZE_MAX + data.size() + 4 * (data.size() / kLz4Block + 2) + 16, '\0');
  auto fail = [](const char* what, size_t code) {
    return make_error(std::string("lz4 ") + what + ": " + LZ4F_getErrorName(code));
  };
  size_t pos = LZ4F_compressBegin(ctx.get(), out.data(), out.size(), &prefs);
  if (LZ4F_isError(pos)) return fail("frame header", pos);
  size_t n = LZ4F_uncompressedUpdate(ctx.get(), out.data() + pos, out.size() - pos, data.data(), data.size(), nullptr);
  if (LZ4F_isError(n)) return fail("stored blocks", n);
  pos += n;
  n = LZ4F_compressEnd(ctx.get(), out.data() + pos, out.size() - pos, nullptr);
  if (LZ4F_isError(n)) return fail("frame end", n);
  out.resize(pos + n);
  return out;
}

Result<std::string> lz4_decompress(std::string_view data) {
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION)))
    return make_error("lz4: cannot create a decompression context");
  std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> ctx(raw, LZ4F_freeDecompressionContext);
  std::string out;
  std::string buf(kLz4Block, '\0');
  size_t pos = 0, last = 1;
  while (pos < data.size()) {
    size_t dst = buf.size(), src = data.size() - pos;
    last = LZ4F_decompress(ctx.get(), buf.data(), &dst, data.data() + pos, &src, nullptr);
    if (LZ4F_isError(last)) return make_error(std::string("lz4 decompress: ") + LZ4F_getErrorName(last));
    pos += src;
    out.append(buf.data(), dst);
    if (src == 0 && dst == 0) break;
  }
  while (last != 0) {  // output still buffered inside the decoder
    size_t dst = buf.size(), src = 0;
    last = LZ4F_decompress(ctx.get(), buf.data(), &dst, nullptr, &src, nullptr);
    if (LZ4F_isError(last) || dst == 0) break;
    out.append(buf.data(), dst);
  }
  if (last != 0) return make_error("lz4 decompress: truncated frame");
  return out;
}

Codec codec_of(std::string_view data) {
  if (data.size() < 4) return Codec::Unknown;
  uint32_t magic;
  std::memcpy(&magic, data.data(), 4);  // both magics are little-endian
  if (magic == 0xFD2FB528u) return Codec::Zstd;
  if (magic == 0x184D2204u) return Codec::Lz4;
  return Codec::Unknown;
}

Result<std::string> decompress_any(std::string_view data) {
  switch (codec_of(data)) {
    case Codec::Zstd: return zstd_decompress(data);
    case Codec::Lz4: return lz4_decompress(data);
    case Codec::Unknown: break;
  }
  return make_error("not a zstd or lz4 frame");
}

}  // namespace kiln

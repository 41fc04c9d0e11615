// Chunked, optionally pipelined LZ4/zstd decompression, checked (see blob_stream.h).
#include "store/local/blob_stream.h"

#include <lz4frame.h>
#include <unistd.h>
#include <zstd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/local/blob_file.h"
#include "util/compress.h"
#include "util/fs.h"

namespace kiln {
namespace {

constexpr size_t kChunk = 256 * 1024;
constexpr size_t kSlots = 4;
constexpr uint64_t kPipelineMin = 1024 * 1024;  // compressed bytes; below, a thread does not pay off

// The consuming half: hashes each chunk (XXH3 for a tagged blob file, else SHA-256) and writes
// it out.
struct Sink {
  explicit Sink(int out_fd) : fd(out_fd) {}
  int fd;
  std::optional<BlobTag> tag;  // set by the producer before the first chunk
  Sha256 sha;
  Xxh3Stream xxh3;
  std::string error;  // first write error

  bool put(const char* p, size_t n) {
    if (tag) xxh3.update(p, n);
    else sha.update(p, n);
    if (auto w = write_fd(fd, std::string_view(p, n)); !w) {
      error = w.error().message;
      return false;
    }
    return true;
  }
};

// Chunks handed from the decompressing thread to the sink. Without a consumer thread
// (`threaded` false) publish() feeds the sink directly and one buffer is reused.
class ChunkRing {
 public:
  ChunkRing(Sink& sink, bool threaded) : sink_(sink), threaded_(threaded) {
    if (!threaded) {  // the common case, a small blob: this thread's one buffer, kept
      static thread_local std::unique_ptr<char[]> direct;
      if (!direct) direct.reset(new char[kChunk]);
      bufs_[0] = direct.get();
      return;
    }
    for (size_t i = 0; i < kSlots; ++i) {
      owned_[i].reset(new char[kChunk]);
      bufs_[i] = owned_[i].get();
    }
  }

  // Falls back to feeding the sink on the calling thread (no consumer thread could start).
  void make_direct() { threaded_ = false; }

  // A free buffer of kChunk bytes; nullptr once the sink has failed.
  char* acquire() {
    if (!threaded_) return failed_ ? nullptr : bufs_[0];
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [&] { return head_ - tail_ < kSlots || failed_; });
    return failed_ ? nullptr : bufs_[head_ % kSlots];
  }

  // Hands over the buffer from the last acquire() holding `n` bytes. False once the sink failed.
  bool publish(size_t n) {
    if (!threaded_) {
      if (!sink_.put(bufs_[0], n)) failed_ = true;
      return !failed_;
    }
    std::lock_guard<std::mutex> l(m_);
    lens_[head_ % kSlots] = n;
    ++head_;
    cv_.notify_all();
    return !failed_;
  }

  // No more chunks.
  void close() {
    std::lock_guard<std::mutex> l(m_);
    closed_ = true;
    cv_.notify_all();
  }

  // The consumer thread's loop.
  void consume() {
    for (;;) {
      const char* p;
      size_t n;
      {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [&] { return tail_ < head_ || closed_; });
        if (tail_ == head_) return;
        p = bufs_[tail_ % kSlots];
        n = lens_[tail_ % kSlots];
      }
      bool ok = sink_.put(p, n);
      std::lock_guard<std::mutex> l(m_);
      ++tail_;
      if (!ok) failed_ = true;
      cv_.notify_all();
      if (!ok) return;
    }
  }

 private:
  Sink& sink_;
  bool threaded_;
  std::array<std::unique_ptr<char[]>, kSlots> owned_;
  std::array<char*, kSlots> bufs_{};
  std::array<size_t, kSlots> lens_{};
  std::mutex m_;
  std::condition_variable cv_;
  size_t head_ = 0, tail_ = 0;
  bool closed_ = false, failed_ = false;
};

enum class Produced { Done, Corrupt, ReadError, SinkFailed };

// One streaming decoder, zstd or LZ4 frame, behind zstd's buffer structs.
class FrameDecoder {
 public:
  ~FrameDecoder() {
    if (zstd_) ZSTD_freeDCtx(zstd_);
    if (lz4_) LZ4F_freeDecompressionContext(lz4_);
  }
  bool init(Codec c) {
    if (c == Codec::Zstd) return (zstd_ = ZSTD_createDCtx()) != nullptr;
    if (c == Codec::Lz4) return !LZ4F_isError(LZ4F_createDecompressionContext(&lz4_, LZ4F_VERSION));
    return false;
  }
  // Consumes from `ib` into `ob`; the decoder's hint (0: a frame is complete), nullopt when
  // the input is corrupt.
  std::optional<size_t> step(ZSTD_inBuffer& ib, ZSTD_outBuffer& ob) {
    if (zstd_) {
      size_t r = ZSTD_decompressStream(zstd_, &ob, &ib);
      if (ZSTD_isError(r)) return std::nullopt;
      return r;
    }
    size_t dst = ob.size - ob.pos, src = ib.size - ib.pos;
    size_t r = LZ4F_decompress(lz4_, static_cast<char*>(ob.dst) + ob.pos, &dst,
                               static_cast<const char*>(ib.src) + ib.pos, &src, nullptr);
    if (LZ4F_isError(r)) return std::nullopt;
    ib.pos += src;
    ob.pos += dst;
    return r;
  }

 private:
  ZSTD_DCtx* zstd_ = nullptr;
  LZ4F_dctx* lz4_ = nullptr;
};

// Reads and decompresses `in_fd` into the ring; its tag frame (local/blob_file.h) goes into
// `sink.tag`, and a tag naming another digest is corruption. `read_error` receives errno text.
Produced produce(int in_fd, ChunkRing& ring, Sink& sink, const Digest& digest, std::string& read_error) {
  static thread_local std::vector<char> in;  // reused: restoring ten thousand small pages
  if (in.size() < 256 * 1024) in.resize(256 * 1024);
  ZSTD_inBuffer ib{in.data(), 0, 0};
  bool eof = false;
  auto refill = [&]() -> bool {  // false on a read error
    for (;;) {
      ssize_t n = ::read(in_fd, in.data(), in.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        read_error = std::strerror(errno);
        return false;
      }
      if (n == 0) eof = true;
      ib = {in.data(), static_cast<size_t>(n), 0};
      return true;
    }
  };
  if (!refill()) return Produced::ReadError;
  sink.tag = parse_blob_tag(std::string_view(in.data(), ib.size));
  if (sink.tag && sink.tag->digest != digest) return Produced::Corrupt;
  ib.pos = sink.tag ? kBlobTagSize : 0;
  FrameDecoder dec;
  if (!dec.init(codec_of(std::string_view(in.data() + ib.pos, ib.size - ib.pos)))) return Produced::Corrupt;
  char* out = ring.acquire();
  if (!out) return Produced::SinkFailed;
  ZSTD_outBuffer ob{out, kChunk, 0};
  size_t last = 1;  // nonzero: inside a frame
  for (;;) {
    if (ib.pos == ib.size) {
      if (eof && last == 0) break;
      if (!eof) {
        if (!refill()) return Produced::ReadError;
        if (eof && last == 0) break;
      }
    }
    size_t before = ob.pos;
    auto r = dec.step(ib, ob);
    if (!r) return Produced::Corrupt;
    last = *r;
    if (ob.pos == ob.size) {
      if (!ring.publish(ob.pos)) return Produced::SinkFailed;
      out = ring.acquire();
      if (!out) return Produced::SinkFailed;
      ob = {out, kChunk, 0};
      continue;
    }
    if (eof && ib.pos == ib.size && last != 0 && ob.pos == before) return Produced::Corrupt;  // truncated
  }
  if (ob.pos > 0 && !ring.publish(ob.pos)) return Produced::SinkFailed;
  return Produced::Done;
}

}  // namespace

Result<bool> decompress_checked(int in_fd, int out_fd, uint64_t compressed_size, const Digest& digest) {
  Sink sink(out_fd);
  bool threaded = compressed_size >= kPipelineMin;
  ChunkRing ring(sink, threaded);
  std::thread consumer;
  if (threaded) {
    try {
      consumer = std::thread([&] { ring.consume(); });
    } catch (const std::exception&) {  // no thread: run both halves here
      threaded = false;
      ring.make_direct();
    }
  }
  std::string read_error;
  Produced p = produce(in_fd, ring, sink, digest, read_error);
  if (threaded) {
    ring.close();
    consumer.join();
  }
  if (!sink.error.empty()) return make_error("cannot write: " + sink.error);
  switch (p) {
    case Produced::Corrupt: return false;
    case Produced::ReadError: return make_error("cannot read blob: " + read_error);
    case Produced::SinkFailed: return make_error("cannot write: " + sink.error);
    case Produced::Done: break;
  }
  return sink.tag ? sink.xxh3.finish() == sink.tag->xxh3_64 : sink.sha.finish() == digest;
}

}  // namespace kiln

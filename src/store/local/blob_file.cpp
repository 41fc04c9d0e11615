// Blob file tag frames (see blob_file.h).
#include "store/local/blob_file.h"

#include <sys/xattr.h>

#include <cstring>

namespace kiln {
namespace {

constexpr uint32_t kTagMagic = 0x184D2A5Eu;  // a skippable frame (LZ4 and zstd)
constexpr uint32_t kTagLength = 40;          // digest + XXH3-64
constexpr const char* kPlainAttr = "user.kiln.blob";

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t get_le(std::string_view s, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[static_cast<size_t>(i)]);
  return v;
}

}  // namespace

std::string blob_file_tag(const Digest& digest, std::string_view content) {
  std::string out;
  out.reserve(kBlobTagSize);
  put_le(out, kTagMagic, 4);
  put_le(out, kTagLength, 4);
  out.append(reinterpret_cast<const char*>(digest.bytes.data()), digest.bytes.size());
  put_le(out, xxh3_64(content), 8);
  return out;
}

std::optional<BlobTag> parse_blob_tag(std::string_view head) {
  if (head.size() < kBlobTagSize || get_le(head, 4) != kTagMagic || get_le(head.substr(4), 4) != kTagLength)
    return std::nullopt;
  BlobTag t;
  std::memcpy(t.digest.bytes.data(), head.data() + 8, 32);
  t.xxh3_64 = get_le(head.substr(40), 8);
  return t;
}

namespace {

// The tag in a user.kiln.blob value of `n` bytes (getxattr's result: -1 when there is none).
std::optional<BlobTag> tag_of_attr(const char* value, ssize_t n) {
  if (n != static_cast<ssize_t>(kBlobTagSize)) return std::nullopt;
  return parse_blob_tag(std::string_view(value, kBlobTagSize));
}

}  // namespace

std::optional<BlobTag> plain_blob_tag(int fd) {
  char buf[kBlobTagSize + 1];
  return tag_of_attr(buf, ::fgetxattr(fd, kPlainAttr, buf, sizeof buf));
}

std::optional<BlobTag> plain_blob_tag_at(const std::string& path) {
  char buf[kBlobTagSize + 1];
  return tag_of_attr(buf, ::getxattr(path.c_str(), kPlainAttr, buf, sizeof buf));
}

bool set_plain_blob_tag(int fd, std::string_view tag) {
  return ::fsetxattr(fd, kPlainAttr, tag.data(), tag.size(), 0) == 0;
}

}  // namespace kiln

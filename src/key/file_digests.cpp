// Stat-cached file digests via extended attributes (see file_digests.h).
#include "key/file_digests.h"

#include <sys/xattr.h>

#include <cstdio>
#include <cstring>

#include "util/clock.h"

namespace kiln {
namespace {

constexpr const char* kAttr = "user.kiln.sha256";
constexpr int64_t kRacyMarginNs = 2'000'000'000;  // 2 s: coarse filesystem timestamps

std::string stamp(const FileStat& st) { return std::to_string(st.size) + " " + std::to_string(st.mtime_ns) + " "; }

}  // namespace

Result<Digest> file_digest(const std::string& path, bool remember) {
  auto st = stat_file(path);
  if (!st) return make_error("cannot stat " + path);
  char buf[160];
  ssize_t n = ::getxattr(path.c_str(), kAttr, buf, sizeof buf - 1);
  std::string prefix = stamp(*st);
  if (n > 0) {
    std::string v(buf, static_cast<size_t>(n));
    if (v.size() == prefix.size() + 64 && v.compare(0, prefix.size(), prefix) == 0) {
      auto d = Digest::from_hex(std::string_view(v).substr(prefix.size()));
      if (d) return *d;
    }
  }
  auto d = sha256_file(path);
  if (!d) return d;
  if (remember && st->mtime_ns < wall_ns() - kRacyMarginNs) {
    std::string v = prefix + d->hex();
    ::setxattr(path.c_str(), kAttr, v.data(), v.size(), 0);
  }
  return d;
}

void remember_file_digest(const std::string& path, const Digest& digest) {
  auto st = stat_file(path);
  if (!st) return;
  std::string v = stamp(*st) + digest.hex();
  ::setxattr(path.c_str(), kAttr, v.data(), v.size(), 0);
}

}  // namespace kiln

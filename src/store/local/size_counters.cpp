// Per-bucket size counters (see size_counters.h).
#include "store/local/size_counters.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "store/local/store_files.h"
#include "util/clock.h"
#include "util/fs.h"

namespace kiln {
namespace {

constexpr size_t kRecordSize = 11 + 20 + 1 + 20 + 1;  // "kiln-usage " + bytes + ' ' + files + '\n'

std::string format_record(BucketUsage u) {
  char buf[kRecordSize + 1];
  std::snprintf(buf, sizeof buf, "kiln-usage %20lld %20lld\n", static_cast<long long>(u.bytes),
                static_cast<long long>(u.files));
  return std::string(buf, kRecordSize);
}

std::optional<BucketUsage> parse_record(const char* p, ssize_t n) {
  if (n != static_cast<ssize_t>(kRecordSize) || std::strncmp(p, "kiln-usage ", 11) != 0 || p[kRecordSize - 1] != '\n')
    return std::nullopt;
  long long b = 0, f = 0;
  if (std::sscanf(p + 11, "%lld %lld", &b, &f) != 2 || b < 0 || f < 0) return std::nullopt;
  return BucketUsage{b, f};
}

std::optional<BucketUsage> read_record(int fd) {
  char buf[kRecordSize + 8];
  ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  if (n < 0) return std::nullopt;
  return parse_record(buf, n);
}

bool write_record(int fd, BucketUsage u) {
  if (u.bytes < 0) u.bytes = 0;
  if (u.files < 0) u.files = 0;
  std::string rec = format_record(u);
  if (::pwrite(fd, rec.data(), rec.size(), 0) != static_cast<ssize_t>(rec.size())) return false;
  return true;
}

// Opens (creating) a counter file locked exclusively; -1 on failure.
int open_locked(const std::string& dir, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT) {
    if (!make_dirs(dir + "/usage")) return -1;
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  }
  if (fd < 0) return -1;
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

}  // namespace

BucketUsage scan_bucket_usage(const std::string& dir, int bucket) {
  StoreScan s;
  scan_bucket(dir, bucket, wall_ns(), s);
  return BucketUsage{static_cast<int64_t>(s.disk_bytes), static_cast<int64_t>(s.files.size())};
}

std::string SizeCounters::path(int bucket) const {
  return dir_ + "/usage/" + "0123456789abcdef"[bucket & 15];
}

Result<BucketUsage> SizeCounters::add(int bucket, int64_t bytes, int64_t files) {
  std::string p = path(bucket);
  int fd = open_locked(dir_, p);
  if (fd < 0) return make_error("cannot update the size counter " + p + ": " + std::strerror(errno));
  BucketUsage u;
  if (auto cur = read_record(fd)) {
    u = *cur;
    u.bytes += bytes;
    u.files += files;
  } else {
    u = scan_bucket_usage(dir_, bucket);
  }
  bool ok = write_record(fd, u);
  ::close(fd);
  if (!ok) return make_error("cannot write the size counter " + p);
  return u;
}

std::optional<BucketUsage> SizeCounters::get(int bucket) const {
  int fd = ::open(path(bucket).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  auto u = read_record(fd);
  ::close(fd);
  return u;
}

Status SizeCounters::set(int bucket, BucketUsage usage) {
  std::string p = path(bucket);
  int fd = open_locked(dir_, p);
  if (fd < 0) return make_error("cannot update the size counter " + p + ": " + std::strerror(errno));
  bool ok = write_record(fd, usage);
  ::close(fd);
  if (!ok) return make_error("cannot write the size counter " + p);
  return {};
}

BucketUsage SizeCounters::total() {
  BucketUsage t;
  for (int b = 0; b < kStoreBuckets; ++b) {
    auto u = get(b);
    if (!u) {
      u = scan_bucket_usage(dir_, b);
      if (path_exists(dir_)) (void)set(b, *u);
    }
    t.bytes += u->bytes;
    t.files += u->files;
  }
  return t;
}

void SizeCounters::remove_all() {
  for (int b = 0; b < kStoreBuckets; ++b) ::unlink(path(b).c_str());
}

}  // namespace kiln

// Approximate LRU eviction of a local store (see eviction.h).
#include "store/local/eviction.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <vector>

#include "stats/stats.h"
#include "store/local/size_counters.h"
#include "store/local/store_files.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/log.h"

namespace kiln {
namespace {

// flock(2) on usage/clean.<digit>; released by the destructor. `held()` false: not acquired.
class CleanLock {
 public:
  CleanLock(const std::string& dir, int bucket, bool wait) {
    std::string p = dir + "/usage/clean." + "0123456789abcdef"[bucket & 15];
    fd_ = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno == ENOENT && make_dirs(dir + "/usage")) fd_ = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      // A read-only store: nobody can write to it either, so cleaning alone is safe enough.
      held_ = errno == EROFS || errno == EACCES;
      return;
    }
    int r;
    while ((r = ::flock(fd_, wait ? LOCK_EX : LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
    }
    held_ = r == 0;
  }
  ~CleanLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  CleanLock(const CleanLock&) = delete;
  CleanLock& operator=(const CleanLock&) = delete;
  bool held() const { return held_; }

 private:
  int fd_ = -1;
  bool held_ = false;
};

// Removes abandoned temp files of a scan; returns how many.
uint64_t remove_abandoned_temps(const StoreScan& s) {
  uint64_t n = 0;
  for (const auto& t : s.temps)
    if (t.abandoned && ::unlink(t.path.c_str()) == 0) ++n;
  return n;
}

bool older_first(const StoreFile* a, const StoreFile* b) { return a->mtime_ns < b->mtime_ns; }

// Removes files (oldest first) until `total` ≤ `limit`. Updates per-bucket usage in `left`.
void evict_lru(std::vector<const StoreFile*>& files, uint64_t& total, uint64_t limit, EvictionReport& r,
               std::array<BucketUsage, kStoreBuckets>& left) {
  std::sort(files.begin(), files.end(), older_first);
  for (const StoreFile* f : files) {
    if (total <= limit) break;
    if (::unlink(f->path.c_str()) != 0 && errno != ENOENT) continue;
    total -= std::min(total, f->disk_bytes);
    ++r.files_removed;
    r.bytes_removed += f->disk_bytes;
    BucketUsage& u = left[store_bucket(f->hex)];
    u.bytes -= static_cast<int64_t>(f->disk_bytes);
    u.files -= 1;
  }
}

void report_evictions(const std::string& dir, const EvictionReport& r) {
  if (r.files_removed > 0) record_eviction(dir, r.files_removed, r.bytes_removed);
}

}  // namespace

void maybe_evict_bucket(const std::string& dir, int bucket, uint64_t bucket_bytes, uint64_t cap_bytes) {
  if (cap_bytes == 0) return;
  const uint64_t share = cap_bytes / kStoreBuckets;
  if (bucket_bytes <= share) return;
  SizeCounters counters(dir);
  std::array<uint64_t, kStoreBuckets> size{};
  uint64_t total = 0;
  for (int b = 0; b < kStoreBuckets; ++b) {
    auto u = counters.get(b);
    if (!u) {
      u = scan_bucket_usage(dir, b);
      (void)counters.set(b, *u);
    }
    size[b] = static_cast<uint64_t>(std::max<int64_t>(0, u->bytes));
    total += size[b];
  }
  if (total <= cap_bytes) return;
  // Over the cap: take the excess (down to 90 % of the cap) from buckets over their share.
  uint64_t excess = total - static_cast<uint64_t>(static_cast<double>(cap_bytes) * kEvictTarget);
  const uint64_t floor = static_cast<uint64_t>(static_cast<double>(share) * kEvictTarget);
  std::vector<int> order = {bucket};
  std::vector<int> others;
  for (int b = 0; b < kStoreBuckets; ++b)
    if (b != bucket && size[b] > share) others.push_back(b);
  std::sort(others.begin(), others.end(), [&](int a, int b) { return size[a] > size[b]; });
  order.insert(order.end(), others.begin(), others.end());
  for (int b : order) {
    if (excess == 0) break;
    uint64_t limit = std::max(floor, size[b] > excess ? size[b] - excess : 0);
    EvictionReport r = clean_bucket(dir, b, limit, false);
    if (r.skipped) continue;
    excess -= std::min(excess, r.bytes_removed);
    debug("evicted " + std::to_string(r.files_removed) + " files (" + std::to_string(r.bytes_removed) +
          " bytes) from bucket " + std::to_string(b));
  }
}

EvictionReport clean_bucket(const std::string& dir, int bucket, uint64_t limit_bytes, bool wait) {
  EvictionReport r;
  CleanLock lock(dir, bucket, wait);
  if (!lock.held()) {
    r.skipped = true;
    return r;
  }
  StoreScan s;
  scan_bucket(dir, bucket, wall_ns(), s);
  r.temps_removed = remove_abandoned_temps(s);
  std::array<BucketUsage, kStoreBuckets> left{};
  left[bucket] = {static_cast<int64_t>(s.disk_bytes), static_cast<int64_t>(s.files.size())};
  std::vector<const StoreFile*> files;
  files.reserve(s.files.size());
  for (const auto& f : s.files) files.push_back(&f);
  uint64_t total = s.disk_bytes;
  evict_lru(files, total, limit_bytes, r, left);
  (void)SizeCounters(dir).set(bucket, left[bucket]);
  r.bytes_after = static_cast<uint64_t>(std::max<int64_t>(0, left[bucket].bytes));
  r.files_after = static_cast<uint64_t>(std::max<int64_t>(0, left[bucket].files));
  report_evictions(dir, r);
  return r;
}

EvictionReport collect_garbage(const std::string& dir, uint64_t cap_bytes) {
  EvictionReport r;
  if (!path_exists(dir)) return r;
  std::vector<std::unique_ptr<CleanLock>> locks;
  for (int b = 0; b < kStoreBuckets; ++b) locks.push_back(std::make_unique<CleanLock>(dir, b, true));
  StoreScan s = scan_store(dir, wall_ns());
  r.temps_removed = remove_abandoned_temps(s);
  std::array<BucketUsage, kStoreBuckets> left{};
  std::vector<const StoreFile*> files;
  files.reserve(s.files.size());
  for (const auto& f : s.files) {
    files.push_back(&f);
    BucketUsage& u = left[store_bucket(f.hex)];
    u.bytes += static_cast<int64_t>(f.disk_bytes);
    u.files += 1;
  }
  uint64_t total = s.disk_bytes;
  evict_lru(files, total, cap_bytes, r, left);
  if (path_exists(dir)) {
    SizeCounters counters(dir);
    for (int b = 0; b < kStoreBuckets; ++b) (void)counters.set(b, left[b]);
  }
  r.bytes_after = total;
  r.files_after = s.files.size() - r.files_removed;
  report_evictions(dir, r);
  return r;
}

EvictionReport prune_older_than(const std::string& dir, int64_t age_ns) {
  EvictionReport r;
  if (!path_exists(dir)) return r;
  std::vector<std::unique_ptr<CleanLock>> locks;
  for (int b = 0; b < kStoreBuckets; ++b) locks.push_back(std::make_unique<CleanLock>(dir, b, true));
  int64_t now = wall_ns();
  StoreScan s = scan_store(dir, now);
  r.temps_removed = remove_abandoned_temps(s);
  std::array<BucketUsage, kStoreBuckets> left{};
  for (const auto& f : s.files) {
    BucketUsage& u = left[store_bucket(f.hex)];
    if (now - f.mtime_ns > age_ns && (::unlink(f.path.c_str()) == 0 || errno == ENOENT)) {
      ++r.files_removed;
      r.bytes_removed += f.disk_bytes;
      continue;
    }
    u.bytes += static_cast<int64_t>(f.disk_bytes);
    u.files += 1;
    r.bytes_after += f.disk_bytes;
    ++r.files_after;
  }
  if (path_exists(dir)) {
    SizeCounters counters(dir);
    for (int b = 0; b < kStoreBuckets; ++b) (void)counters.set(b, left[b]);
  }
  report_evictions(dir, r);
  return r;
}

EvictionReport clear_store(const std::string& dir) {
  EvictionReport r;
  if (!path_exists(dir)) return r;
  std::vector<std::unique_ptr<CleanLock>> locks;
  for (int b = 0; b < kStoreBuckets; ++b) locks.push_back(std::make_unique<CleanLock>(dir, b, true));
  StoreScan s = scan_store(dir, wall_ns());
  r.files_removed = s.files.size();
  r.bytes_removed = s.disk_bytes;
  r.temps_removed = s.temps.size();
  // Entries first: a concurrent lookup then misses instead of finding an entry without blobs.
  (void)remove_all(dir + "/ac");
  (void)remove_all(dir + "/cas");
  SizeCounters(dir).remove_all();
  return r;
}

}  // namespace kiln

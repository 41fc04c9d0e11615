// The files of a local store and how to enumerate them.
//   ac/<2 hex>/<62 hex>    action entries;  cas/<2 hex>/<62 hex>  blobs  (see local_store.h)
//   <final name>.tmp.<pid>.<random>   a writer's temp file, renamed over the final name when
//                                     complete; left behind only when the writer was killed.
// For size accounting and eviction the store is split into 16 *buckets* by the first hex
// digit of the digest: bucket b holds ac/b0…ac/bf and cas/b0…cas/bf (32 directories), the
// way ccache splits its cache into 16 level-1 directories. Sizes are bytes on disk
// (st_blocks × 512), which is what a size cap is about.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// Number of buckets a local store is split into.
inline constexpr int kStoreBuckets = 16;

/// A temp file is abandoned when its writer's pid is gone, or (pid unknown or perhaps
/// reused) when it is older than this (ns).
inline constexpr int64_t kTempMaxAgeNs = 3600LL * 1000000000LL;

/// What a file in a bucket directory is.
enum class StoreFileKind { Entry, Blob };

/// One entry or blob file found by a scan.
struct StoreFile {
  StoreFileKind kind = StoreFileKind::Blob;
  std::string path;        // absolute (dir + "/ac/…" or "/cas/…")
  std::string hex;         // the 64-hex digest its name spells
  uint64_t disk_bytes = 0; // st_blocks × 512
  int64_t mtime_ns = 0;    // last use (reads refresh it)
};

/// A temp file found by a scan.
struct StoreTempFile {
  std::string path;
  uint64_t disk_bytes = 0;
  int64_t mtime_ns = 0;
  bool abandoned = false;  // its writer is gone: safe to remove
};

/// Everything a scan found in a set of buckets.
struct StoreScan {
  std::vector<StoreFile> files;
  std::vector<StoreTempFile> temps;
  std::vector<std::string> strays;  // other names in bucket directories (never read as entries)
  uint64_t disk_bytes = 0;          // of `files`
};

/// Bucket (0–15) of a 64-hex digest; 0 for anything else.
int store_bucket(const std::string& hex);

/// The 32 directories of bucket `bucket` under the store `dir`.
std::vector<std::string> bucket_dirs(const std::string& dir, int bucket);


/// True when a file name is a temp name (ours or util/fs.h write_file_atomic's ".tmp.<random>").
bool is_store_temp_name(const std::string& name);

/// True when the temp file `name` (mtime `mtime_ns`) is abandoned at `now_ns`: the pid in its
/// name is not running, or it is older than kTempMaxAgeNs.
bool store_temp_abandoned(const std::string& name, int64_t mtime_ns, int64_t now_ns);

/// Scans bucket `bucket` of the store in `dir` (a missing store is empty), appending to `out`.
void scan_bucket(const std::string& dir, int bucket, int64_t now_ns, StoreScan& out);

/// Scans all buckets.
StoreScan scan_store(const std::string& dir, int64_t now_ns);

}  // namespace kiln

// Verifying a local store (see store_verify.h).
#include "store/local/store_verify.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <set>

#include "store/local/blob_file.h"
#include "store/local/local_store.h"
#include "store/local/size_counters.h"
#include "store/local/store_files.h"
#include "util/clock.h"
#include "util/fs.h"

namespace kiln {
namespace {

struct Contents {
  std::string bytes;
  uint64_t inode = 0;
};

// nullopt: the file vanished (evicted or replaced meanwhile).
std::optional<Contents> read_with_inode(const std::string& path, bool& unreadable) {
  unreadable = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    unreadable = errno != ENOENT;
    return std::nullopt;
  }
  Contents c;
  struct stat st {};
  if (::fstat(fd, &st) == 0) c.inode = st.st_ino;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      unreadable = true;
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    c.bytes.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return c;
}

// Removes `path` if it still is the file we read.
bool remove_if_same(const std::string& path, uint64_t inode) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return true;  // already gone
  if (inode != 0 && st.st_ino != inode) return true;  // replaced by a writer: not ours to judge
  return ::unlink(path.c_str()) == 0 || errno == ENOENT;
}

}  // namespace

VerifyReport verify_store(const std::string& dir) {
  VerifyReport r;
  StoreScan s = scan_store(dir, wall_ns());
  for (const auto& t : s.temps) {
    if (!t.abandoned) {
      ++r.temps_live;
      continue;
    }
    if (::unlink(t.path.c_str()) == 0 || errno == ENOENT) ++r.temps_removed;
    else ++r.remove_failed;
  }
  for (const auto& p : s.strays) {
    if (remove_all(p)) ++r.strays_removed;
    else ++r.remove_failed;
  }

  auto damaged = [&](const StoreFile& f, uint64_t inode, const std::string& why, uint64_t& counter) {
    ++counter;
    r.damaged.push_back(f.path + ": " + why);
    if (!remove_if_same(f.path, inode)) ++r.remove_failed;
  };

  LocalStore store(dir, 0);
  std::set<std::string> blobs;  // hex of good blobs
  for (const auto& f : s.files) {
    if (f.kind != StoreFileKind::Blob) continue;
    bool unreadable = false;
    auto c = read_with_inode(f.path, unreadable);
    if (!c) {
      if (unreadable) damaged(f, 0, "unreadable", r.blobs_damaged);
      continue;
    }
    auto digest = Digest::from_hex(f.hex);
    if (!digest) continue;
    auto content = LocalStore::decode_blob_file(c->bytes, *digest, /*full_check=*/true, plain_blob_tag_at(f.path));
    if (!content) {
      damaged(f, c->inode, content.error().message, r.blobs_damaged);
      continue;
    }
    ++r.blobs_ok;
    blobs.insert(f.hex);
  }
  for (const auto& f : s.files) {
    if (f.kind != StoreFileKind::Entry) continue;
    bool unreadable = false;
    auto c = read_with_inode(f.path, unreadable);
    if (!c) {
      if (unreadable) damaged(f, 0, "unreadable", r.entries_damaged);
      continue;
    }
    auto entry = LocalStore::decode_action_file(c->bytes);
    if (!entry) {
      damaged(f, c->inode, entry.error().message, r.entries_damaged);
      continue;
    }
    bool complete = true;
    if (entry->meta.kind == EntryKind::Result)
      for (const auto& of : entry->output_files)
        if (!blobs.count(of.digest.hex()) && !path_exists(store.blob_path(of.digest))) complete = false;
    if (!complete) {
      if (remove_if_same(f.path, c->inode)) ++r.dangling_removed;
      else ++r.remove_failed;
      continue;
    }
    ++r.entries_ok;
  }
  if (path_exists(dir)) {
    SizeCounters counters(dir);
    for (int b = 0; b < kStoreBuckets; ++b) (void)counters.set(b, scan_bucket_usage(dir, b));
  }
  return r;
}

}  // namespace kiln

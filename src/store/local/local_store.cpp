// Local content-addressed store (layout and guarantees in local_store.h).
#include "store/local/local_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "stats/stats.h"
#include "store/local/blob_file.h"
#include "store/local/blob_link.h"
#include "store/local/blob_stream.h"
#include "store/local/eviction.h"
#include "store/local/size_counters.h"
#include "store/local/store_files.h"
#include "util/compress.h"
#include "util/fs.h"
#include "util/log.h"

namespace kiln {
namespace {

constexpr std::string_view kActionMagic = "KILNAC01";
// write()'s error when the filesystem keeps no user attributes (no plain blob files there).
constexpr const char* kNoPlainBlobs = "no user extended attributes on this filesystem";

std::string shard_path(const std::string& dir, const char* kind, const Digest& d) {
  std::string hex = d.hex();
  return dir + "/" + kind + "/" + hex.substr(0, 2) + "/" + hex.substr(2);
}

void touch(const std::string& path) { ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0); }

// A whole file and the identity of what was read (to remove exactly that file if corrupt).
struct ReadFile {
  std::string bytes;
  uint64_t inode = 0;
  std::optional<BlobTag> plain;  // a plain blob file's tag (read when asked for)
};

// nullopt: the file does not exist (or its directory does not: a missing store, or a store
// path that is a regular file). Errors: it exists but cannot be read.
Result<std::optional<ReadFile>> read_store_file(const std::string& path, bool blob = false) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<ReadFile>{};
    return make_error("cannot open " + path + ": " + std::strerror(errno));
  }
  ReadFile f;
  struct stat st {};
  if (::fstat(fd, &st) == 0) f.inode = st.st_ino;
  if (blob) f.plain = plain_blob_tag(fd);
  Status r = read_fd_to_end(fd, f.bytes);
  ::close(fd);
  if (!r) return make_error("cannot read " + path + ": " + r.error().message);
  return std::optional<ReadFile>(std::move(f));
}

uint64_t disk_bytes(const struct stat& st) { return static_cast<uint64_t>(st.st_blocks) * 512; }

}  // namespace

LocalStore::LocalStore(std::string dir, uint64_t size_cap) : dir_(std::move(dir)), cap_(size_cap) {}

std::string LocalStore::action_path(const Digest& key) const { return shard_path(dir_, "ac", key); }
std::string LocalStore::blob_path(const Digest& digest) const { return shard_path(dir_, "cas", digest); }

Result<ActionResult> LocalStore::decode_action_file(std::string_view bytes) {
  if (bytes.size() < kActionMagic.size() + 32 || bytes.substr(0, kActionMagic.size()) != kActionMagic)
    return make_error("bad action entry header");
  std::string_view sum = bytes.substr(kActionMagic.size(), 32);
  auto payload = zstd_decompress(bytes.substr(kActionMagic.size() + 32));
  if (!payload) return payload.error();
  Digest d = sha256(*payload);
  if (std::string_view(reinterpret_cast<const char*>(d.bytes.data()), 32) != sum)
    return make_error("action entry checksum mismatch");
  return ActionResult::decode(*payload);
}

Result<std::string> LocalStore::decode_blob_file(std::string_view bytes, const Digest& digest, bool full_check,
                                                 const std::optional<BlobTag>& plain) {
  if (plain) {  // the bytes are the content
    if (plain->digest != digest) return make_error("blob file tagged with another digest");
    if (xxh3_64(bytes) != plain->xxh3_64) return make_error("blob content does not match its checksum");
    if (full_check && sha256(bytes) != digest) return make_error("blob content does not match its digest");
    return std::string(bytes);
  }
  auto tag = parse_blob_tag(bytes);
  if (tag && tag->digest != digest) return make_error("blob file tagged with another digest");
  auto content = decompress_any(bytes.substr(tag ? kBlobTagSize : 0));
  if (!content) return content.error();
  if (tag && xxh3_64(*content) != tag->xxh3_64) return make_error("blob content does not match its checksum");
  if ((full_check || !tag) && sha256(*content) != digest) return make_error("blob content does not match its digest");
  return content;
}

void LocalStore::discard_corrupt(const std::string& path, const Digest& digest, uint64_t inode,
                                 const std::string& why) {
  ++corrupt_;
  warn("corrupt store file removed (" + why + "): " + path);
  record_corrupt(dir_);
  // Remove the file we read, not a good one another process may have renamed into place since.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || st.st_ino != inode) return;
  if (::unlink(path.c_str()) == 0)
    (void)SizeCounters(dir_).add(store_bucket(digest.hex()), -static_cast<int64_t>(disk_bytes(st)), -1);
}

Result<std::optional<ActionResult>> LocalStore::get_action(const Digest& key) {
  std::string path = action_path(key);
  auto file = read_store_file(path);
  if (!file) return file.error();
  if (!*file) return std::optional<ActionResult>{};
  auto r = decode_action_file((*file)->bytes);
  if (!r) {
    discard_corrupt(path, key, (*file)->inode, r.error().message);
    return std::optional<ActionResult>{};
  }
  touch(path);
  return std::optional<ActionResult>(std::move(*r));
}

Status LocalStore::write(const std::string& path, const Digest& digest, std::string_view data, std::string_view prefix,
                         std::string_view plain_tag) {
  auto tmp = create_temp_beside(path);
  if (!tmp) return tmp.error();
  auto fail = [&](const char* what, std::string why) -> Status {
    std::string name = tmp->path;
    discard_temp(*tmp);
    return make_error(std::string("cannot ") + what + " " + name + ": " + why);
  };
  if (!plain_tag.empty() && !set_plain_blob_tag(tmp->fd, plain_tag)) {
    discard_temp(*tmp);
    return make_error(kNoPlainBlobs);
  }
  if (!prefix.empty())
    if (auto w = write_fd(tmp->fd, prefix); !w) return fail("write", w.error().message);
  if (auto w = write_fd(tmp->fd, data); !w) return fail("write", w.error().message);
  struct stat st {};
  if (::fstat(tmp->fd, &st) != 0) return fail("stat", std::strerror(errno));
  struct stat old {};
  bool replaced = ::stat(path.c_str(), &old) == 0;
  if (auto c = commit_temp(*tmp); !c) return c;

  int bucket = store_bucket(digest.hex());
  int64_t delta = static_cast<int64_t>(disk_bytes(st)) - (replaced ? static_cast<int64_t>(disk_bytes(old)) : 0);
  auto usage = SizeCounters(dir_).add(bucket, delta, replaced ? 0 : 1);
  if (usage) maybe_evict_bucket(dir_, bucket, static_cast<uint64_t>(std::max<int64_t>(0, usage->bytes)), cap_);
  return {};
}

Status LocalStore::put_action(const Digest& key, const ActionResult& result) {
  std::string payload = result.encode();
  auto z = zstd_compress(payload, 1);
  if (!z) return z.error();
  Digest sum = sha256(payload);
  std::string file(kActionMagic);
  file.append(reinterpret_cast<const char*>(sum.bytes.data()), 32);
  file += *z;
  return write(action_path(key), key, file);
}

Result<std::optional<std::string>> LocalStore::get_blob(const Digest& digest) {
  std::string path = blob_path(digest);
  auto file = read_store_file(path, /*blob=*/true);
  if (!file) return file.error();
  if (!*file) return std::optional<std::string>{};
  auto content = decode_blob_file((*file)->bytes, digest, false, (*file)->plain);
  if (!content) {
    discard_corrupt(path, digest, (*file)->inode, content.error().message);
    return std::optional<std::string>{};
  }
  touch(path);
  return std::optional<std::string>(std::move(*content));
}

Result<bool> LocalStore::restore_blob(const Digest& digest, const std::string& path, bool executable,
                                      bool may_link) {
  std::string blob = blob_path(digest);
  int in = ::open(blob.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return make_error("cannot open " + blob + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(in, &st) != 0) {
    int e = errno;
    ::close(in);
    return make_error("cannot stat " + blob + ": " + std::strerror(e));
  }
  if (auto plain = plain_blob_tag(in)) {
    auto good = restore_plain_blob(in, blob, st, *plain, digest, path, executable, may_link && hard_links_);
    ::close(in);
    if (!good) return good.error();
    if (!*good) {
      discard_corrupt(blob, digest, st.st_ino, "its content does not match its checksum or digest");
      return false;
    }
    return true;
  }
  auto out = create_temp_beside(path, executable ? 0755 : 0644);
  if (!out) {
    ::close(in);
    return out.error();
  }
  auto good = decompress_checked(in, out->fd, static_cast<uint64_t>(st.st_size), digest);
  ::close(in);
  if (!good || !*good) {
    discard_temp(*out);
    if (!good) return good.error();
    discard_corrupt(blob, digest, st.st_ino, "not a complete frame, or its checksum or digest does not match");
    return false;
  }
  if (auto c = commit_temp(*out); !c) return c.error();
  touch(blob);
  return true;
}

Status LocalStore::put_blob(const Digest& digest, std::string_view data) { return put_blob_as(digest, data, false); }

Status LocalStore::put_fetched_blob(const Digest& digest, std::string_view data) {
  return put_blob_as(digest, data, true);
}

Status LocalStore::put_fetched_blob(const Digest& digest, std::string_view data, std::string_view frame) {
  return put_blob_as(digest, data, true, frame);
}

Status LocalStore::put_blob_as(const Digest& digest, std::string_view data, bool fetched, std::string_view frame) {
  std::string path = blob_path(digest);
  if (path_exists(path)) {
    touch(path);
    return {};
  }
  if (data.size() >= kPlainBlobMinBytes && plain_blobs_) {
    Status s = write(path, digest, data, {}, blob_file_tag(digest, data));
    if (s || s.error().message != kNoPlainBlobs) return s;
    plain_blobs_ = false;  // framed from now on
  }
  if (!frame.empty() && codec_of(frame) == Codec::Zstd) return write(path, digest, frame, blob_file_tag(digest, data));
  auto z = fetched ? lz4_store(data) : lz4_compress(data);
  if (!z) return z.error();
  return write(path, digest, *z, blob_file_tag(digest, data));
}

Result<bool> LocalStore::has_blob(const Digest& digest) { return path_exists(blob_path(digest)); }

}  // namespace kiln

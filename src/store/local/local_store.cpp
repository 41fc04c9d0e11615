// Local content-addressed store (layout and guarantees in local_store.h).
#include "store/local/local_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/compress.h"
#include "util/fs.h"
#include "util/log.h"

namespace kiln {
namespace {

constexpr std::string_view kActionMagic = "KILNAC01";

std::string shard_path(const std::string& dir, const char* kind, const Digest& d) {
  std::string hex = d.hex();
  return dir + "/" + kind + "/" + hex.substr(0, 2) + "/" + hex.substr(2);
}

void touch(const std::string& path) { ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0); }

}  // namespace

LocalStore::LocalStore(std::string dir) : dir_(std::move(dir)) {}

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

Result<std::string> LocalStore::decode_blob_file(std::string_view bytes, const Digest& digest) {
  auto content = zstd_decompress(bytes);
  if (!content) return content.error();
  if (sha256(*content) != digest) return make_error("blob content does not match its digest");
  return content;
}

void LocalStore::discard_corrupt(const std::string& path, const std::string& why) {
  ++corrupt_;
  warn("corrupt store file removed (" + why + "): " + path);
  ::unlink(path.c_str());
}

Result<std::optional<ActionResult>> LocalStore::get_action(const Digest& key) {
  std::string path = action_path(key);
  auto bytes = read_file(path);
  if (!bytes) {
    if (!path_exists(path)) return std::optional<ActionResult>{};
    return bytes.error();
  }
  auto r = decode_action_file(*bytes);
  if (!r) {
    discard_corrupt(path, r.error().message);
    return std::optional<ActionResult>{};
  }
  touch(path);
  return std::optional<ActionResult>(std::move(*r));
}

Status LocalStore::write(const std::string& path, std::string_view data) {
  auto st = write_file_atomic(path, data);
  if (st) return st;
  if (auto m = make_dirs(dir_name(path)); !m) return m;
  return write_file_atomic(path, data);
}

Status LocalStore::put_action(const Digest& key, const ActionResult& result) {
  std::string payload = result.encode();
  auto z = zstd_compress(payload, 1);
  if (!z) return z.error();
  Digest sum = sha256(payload);
  std::string file(kActionMagic);
  file.append(reinterpret_cast<const char*>(sum.bytes.data()), 32);
  file += *z;
  return write(action_path(key), file);
}

Result<std::optional<std::string>> LocalStore::get_blob(const Digest& digest) {
  std::string path = blob_path(digest);
  auto bytes = read_file(path);
  if (!bytes) {
    if (!path_exists(path)) return std::optional<std::string>{};
    return bytes.error();
  }
  auto content = decode_blob_file(*bytes, digest);
  if (!content) {
    discard_corrupt(path, content.error().message);
    return std::optional<std::string>{};
  }
  touch(path);
  return std::optional<std::string>(std::move(*content));
}

Status LocalStore::put_blob(const Digest& digest, std::string_view data) {
  std::string path = blob_path(digest);
  if (path_exists(path)) {
    touch(path);
    return {};
  }
  auto z = zstd_compress(data, 1);
  if (!z) return z.error();
  return write(path, *z);
}

Result<bool> LocalStore::has_blob(const Digest& digest) { return path_exists(blob_path(digest)); }

}  // namespace kiln

// The local store: a directory (KILN_DIR) of checksummed files.
//   cas/<2 hex>/<62 hex>   blob, name = sha256(content): under 32 KiB a tag frame and one LZ4
//                          frame of the content (zstd in older stores, still read); from 32 KiB
//                          the content itself with its tag in an attribute (a plain blob file,
//                          which a hit hard-links into place: local/blob_file.h, blob_link.h)
//   ac/<2 hex>/<62 hex>    action entry: "KILNAC01" + sha256(payload) (32 bytes) + zstd(payload),
//                          payload = ActionResult protobuf (store/action_result.h)
// Writes go to a unique temp file beside the target ("<name>.tmp.<pid>.<random>", util/fs.h
// create_temp_beside) and are renamed into place, so parallel cargo jobs and killed processes
// never leave a torn entry visible; lookups only ever open final names. Reads verify digests; a
// corrupt or truncated file is deleted, counted (stats: "corrupt") and reported as a miss.
// A read refreshes the file's mtime, which is the recency used for eviction; every write
// updates its bucket's size counter and may evict the bucket's least recently used files to
// stay under the size cap (eviction.h).
#pragma once

#include <cstdint>
#include <string>

#include "store/local/blob_file.h"
#include "store/store.h"

namespace kiln {

class LocalStore : public Store {
 public:
  /// Default size cap (bytes on disk), as Config::cache_size_bytes.
  static constexpr uint64_t kDefaultCap = 10ull << 30;

  /// A store rooted at `dir` (created on first write), kept under `size_cap` bytes on disk
  /// (0: no cap).
  explicit LocalStore(std::string dir, uint64_t size_cap = kDefaultCap);

  std::string name() const override { return "local"; }
  Result<std::optional<ActionResult>> get_action(const Digest& key) override;
  Status put_action(const Digest& key, const ActionResult& result) override;
  Result<std::optional<std::string>> get_blob(const Digest& digest) override;
  Status put_blob(const Digest& digest, std::string_view data) override;
  /// A remote's blob, stored uncompressed (a plain blob file from 32 KiB, else an LZ4 frame of
  /// stored blocks): no compressing on the way in nor decompressing on restore.
  Status put_fetched_blob(const Digest& digest, std::string_view data) override;
  /// Under 32 KiB, keeps `frame` (the zstd frame `data` came as, which the caller decompressed
  /// and checked against the digest) as the blob file when given: nothing is compressed, and
  /// it is fewer bytes to write. Larger blobs are plain blob files (a hit links them rather
  /// than writing them again). Without a zstd frame: put_fetched_blob(digest, data).
  Status put_fetched_blob(const Digest& digest, std::string_view data, std::string_view frame) override;
  Result<bool> has_blob(const Digest& digest) override;
  /// Restores the blob to `path`: a plain blob file is checked and hard-linked into place
  /// (local/blob_link.h), a framed one streamed out of its frame (local/blob_stream.h). A
  /// corrupt blob is removed and counted (false).
  Result<bool> restore_blob(const Digest& digest, const std::string& path, bool executable,
                            bool may_link = false) override;

  /// Path of the action entry / blob file for a digest.
  std::string action_path(const Digest& key) const;
  std::string blob_path(const Digest& digest) const;
  const std::string& dir() const { return dir_; }
  /// The size cap in bytes on disk (0: none).
  uint64_t size_cap() const { return cap_; }

  /// Number of corrupt files found (and removed) by this instance.
  int corrupt_found() const { return corrupt_; }

  /// Decodes an action entry file's bytes. Errors: bad magic, checksum or encoding.
  static Result<ActionResult> decode_action_file(std::string_view bytes);
  /// Checks a blob file's bytes (local/blob_file.h) against `digest`, returning the content:
  /// a tagged file by its tag (its digest and the XXH3 of the content), an older untagged one
  /// (and all with `full_check`) by the SHA-256 of the content. Errors: corrupt, or another blob's content.
  /// With `plain` (the file's user.kiln.blob tag, local/blob_file.h), `bytes` are the content
  /// of a plain blob file, checked by that tag (and SHA-256 with `full_check`).
  static Result<std::string> decode_blob_file(std::string_view bytes, const Digest& digest, bool full_check = false,
                                              const std::optional<BlobTag>& plain = std::nullopt);

  /// Whether restore_blob may hard-link plain blob files into place (config hard_links;
  /// local/blob_link.h). Off: they are copied.
  void set_hard_links(bool on) { hard_links_ = on; }

 private:
  /// Writes `prefix` + `data` through a temp file renamed into place, with `plain_tag` as the
  /// file's plain blob tag when given (error kNoPlainBlobs where attributes do not work).
  Status write(const std::string& path, const Digest& digest, std::string_view data, std::string_view prefix = {},
               std::string_view plain_tag = {});
  /// Writes `data` as a blob file unless present: a plain blob file from kPlainBlobMinBytes
  /// (where attributes work), else `frame` (a zstd frame of `data`) as it is when given, else
  /// an LZ4 frame, compressed unless `fetched` (stored blocks).
  Status put_blob_as(const Digest& digest, std::string_view data, bool fetched, std::string_view frame = {});
  void discard_corrupt(const std::string& path, const Digest& digest, uint64_t inode, const std::string& why);

  std::string dir_;
  uint64_t cap_;
  int corrupt_ = 0;
  bool hard_links_ = true;
  bool plain_blobs_ = true;  // false once this filesystem refused a plain blob's attribute
};

}  // namespace kiln

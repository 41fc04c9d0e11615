// The store interface: an action cache (key → ActionResult) and a content-addressed store
// (SHA-256 digest → blob), as in Bazel's remote cache (https://bazel.build/remote/caching).
// Implementations: local/ (files under KILN_DIR); remote/ follow (HTTP, Redis, OCI).
// Contract: a miss is `std::nullopt`, not an error; an error means the store itself failed
// (unreachable, unreadable) and the caller goes on without it. Blobs returned are verified
// against their digest — a store never hands out bytes that do not match.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "store/action_result.h"
#include "util/digest.h"
#include "util/expected.h"

namespace kiln {

/// Bytes a store moved over the network (bodies of blobs, entries and manifests, as sent).
struct WireBytes {
  uint64_t down = 0;
  uint64_t up = 0;
};

/// The name a blob has in a store that does not name blobs by their content's digest: an OCI
/// registry keeps an output file as a zstd frame, a layer named by the frame's own digest
/// (store/remote/oci_store.h). `digest` equal to the content's digest means the blob is there
/// as its raw bytes.
struct WireBlob {
  Digest digest;
  int64_t size = 0;  // bytes of the blob as stored (the frame)
};

/// A blob fetched from a remote: its content (checked against its digest) and, when it
/// travelled as a zstd frame, that frame as it came, which a local copy can keep instead of
/// the content (fewer bytes to write; store/local/blob_stream.h reads either).
struct FetchedBlob {
  std::string content;
  std::string frame;  // "" when it came raw
};

/// The content of a fetch_blob() result, for a store's get_blob() written in terms of it.
inline Result<std::optional<std::string>> content_of(Result<std::optional<FetchedBlob>> fetched) {
  if (!fetched) return fetched.error();
  if (!*fetched) return std::optional<std::string>{};
  return std::optional<std::string>(std::move((*fetched)->content));
}

/// Content digest → its name in a store.
using WireNames = std::map<Digest, WireBlob>;

class Store {
 public:
  virtual ~Store() = default;

  /// A short name for messages and stats ("local", "http://host:port/prefix", …).
  virtual std::string name() const = 0;

  /// The ActionResult stored under `key`; nullopt on a miss (or a corrupt entry, which the
  /// store removes). Errors: the store cannot be reached or read.
  virtual Result<std::optional<ActionResult>> get_action(const Digest& key) = 0;

  /// Stores `result` under `key`, replacing any previous entry. Blobs it names must have
  /// been put first. Errors: the store cannot be written (full, read-only, unreachable).
  virtual Status put_action(const Digest& key, const ActionResult& result) = 0;

  /// The blob with `digest`, checked against it; nullopt on a miss or a corrupt blob.
  virtual Result<std::optional<std::string>> get_blob(const Digest& digest) = 0;

  /// Stores a blob (its digest must be sha256(data)); a blob already present is not rewritten.
  virtual Status put_blob(const Digest& digest, std::string_view data) = 0;

  /// Stores a copy of a blob fetched from another store (a remote), which can be fetched again:
  /// a store may trade size for speed here (the local store keeps it uncompressed, or as the
  /// zstd frame it came as: the overload below). Defaults to put_blob.
  virtual Status put_fetched_blob(const Digest& digest, std::string_view data) { return put_blob(digest, data); }
  /// The same, given also the zstd frame `data` came as (FetchedBlob::frame; "" = none): a
  /// store may keep the frame. Defaults to put_fetched_blob(digest, data).
  virtual Status put_fetched_blob(const Digest& digest, std::string_view data, std::string_view frame) {
    (void)frame;
    return put_fetched_blob(digest, data);
  }

  /// The blob with `digest`, checked against it, with the zstd frame it travelled as when it
  /// did; nullopt on a miss. Errors as get_blob, whose result this default wraps.
  virtual Result<std::optional<FetchedBlob>> fetch_blob(const Digest& digest) {
    auto b = get_blob(digest);
    if (!b) return b.error();
    if (!*b) return std::optional<FetchedBlob>{};
    return std::optional<FetchedBlob>(FetchedBlob{std::move(**b), {}});
  }

  /// True when the store holds the blob.
  virtual Result<bool> has_blob(const Digest& digest) = 0;

  /// Bytes this store moved over the network since the last call (bodies of blobs, entries
  /// and manifests, as sent: compressed where they travel compressed). Local stores: none.
  virtual WireBytes take_wire_bytes() { return {}; }

  /// True when some blobs can only be found through the entry that names them (an OCI
  /// registry's compressed layers are named by the frame's digest, which the entry's
  /// manifest gives): a caller holding an entry from elsewhere (the build index pack) should
  /// get_action() it from this store before fetching its blobs.
  virtual bool blobs_named_by_entry() const { return false; }

  /// For such a store: true when this process knows the name of the blob with content
  /// `digest` there without asking for an entry (it uploaded it, read an entry naming it, or
  /// learned it with learn_wire_names). Stores that name blobs by content: always true.
  virtual bool knows_blob_name(const Digest& digest) const {
    (void)digest;
    return true;
  }
  /// Remembers names given from elsewhere (a build index's pack) for the blobs of this store;
  /// a wrong one is harmless: its blob is missing or fails its digest check, and the caller
  /// asks for the entry instead. Stores that name blobs by content ignore them.
  virtual void learn_wire_names(const WireNames& names) { (void)names; }
  /// The names this store's blobs are known by on this machine (what this or an earlier kiln
  /// process uploaded or read; OCI: KILN_DIR/remote-layers), for a build index's pack to carry.
  /// Stores that name blobs by content: none.
  virtual WireNames known_wire_names() { return {}; }

  /// Writes the blob with `digest` to the file `path` (mode 0755 when `executable`, else 0644)
  /// through a temp file renamed into place only once the content matched the digest; missing
  /// parent directories are created. False on a miss or a corrupt blob (nothing written).
  /// Errors: the store cannot be read, or `path` cannot be written. This default goes through
  /// get_blob(); the local store streams instead (local/blob_stream.h). `may_link`: the caller
  /// never rewrites `path` in place (rustc's outputs: local/blob_link.h), so a store may make
  /// it a hard link to its own checked copy.
  virtual Result<bool> restore_blob(const Digest& digest, const std::string& path, bool executable,
                                    bool may_link = false);
};

}  // namespace kiln

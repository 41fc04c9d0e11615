// RedisStore: a remote store in a Redis server (hiredis), for a team or CI cache without an
// HTTP server. URL: redis://[[user]:password@]host[:port][/db][?ttl=7d&prefix=kiln].
// Keys: "<prefix>:ac:<64 hex action key>" → ActionResult protobuf (ActionResult::encode),
//       "<prefix>:cas:<sha256 hex>"       → the blob: one zstd frame (level 1, which keeps up
//                                            with 1 Gbit/s on one core) when that saves at
//                                            least 10 % of a blob of 4 KiB or more, else raw.
//       A reader takes a zstd frame that decompresses to the digest, else the value as raw
//       bytes that hash to it: raw entries of older kilns still read, and a blob is accepted
//       only when the SHA-256 of its uncompressed content equals its digest.
// With a TTL every SET carries EX <seconds>; reading an entry (GETEX, Redis ≥ 6.2) and
// checking a blob (EXPIRE) renew it, so what is in use stays. Blobs are checked against their
// digest and entries must decode — anything else is an Error, never bad bytes. Connect and
// command timeouts are `timeout_ms` each and come back as timeout_error (health.h). The
// connection is opened on first use and dropped after an error.
#pragma once

#include <memory>
#include <string>

#include "store/remote/remote_url.h"
#include "store/remote/wire_compression.h"
#include "store/store.h"

#include <utility>

namespace kiln {

class RedisStore : public Store {
 public:
  /// A store for a redis:// URL; `compress`: blobs go as zstd frames when that pays
  /// (store/remote/wire_compression.h; reading accepts both forms either way). Errors: bad db
  /// number, ttl or unknown query parameter.
  static Result<std::unique_ptr<RedisStore>> create(RemoteUrl url, int timeout_ms, bool compress = true);
  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  std::string name() const override { return url_.name(); }
  Result<std::optional<ActionResult>> get_action(const Digest& key) override;
  Status put_action(const Digest& key, const ActionResult& result) override;
  Result<std::optional<std::string>> get_blob(const Digest& digest) override;
  /// get_blob, keeping the zstd frame of a compressed value.
  Result<std::optional<FetchedBlob>> fetch_blob(const Digest& digest) override;
  Status put_blob(const Digest& digest, std::string_view data) override;
  Result<bool> has_blob(const Digest& digest) override;
  WireBytes take_wire_bytes() override { return std::exchange(wire_, WireBytes{}); }

  /// The Redis key of an action entry / a blob.
  std::string action_key(const Digest& key) const { return prefix_ + ":ac:" + key.hex(); }
  std::string blob_key(const Digest& digest) const { return prefix_ + ":cas:" + digest.hex(); }
  /// What prune removed.
  struct PruneReport {
    uint64_t entries_removed = 0, blobs_removed = 0, entries_kept = 0, blobs_kept = 0;
  };
  /// Removes the entries (prefix:ac:*) not read or written for `older_than_s` seconds (Redis's
  /// OBJECT IDLETIME), then the blobs (prefix:cas:*) as idle that no remaining entry lists
  /// (SCAN, UNLINK). Errors: the server fails, or its maxmemory-policy is LFU (no idle time).
  Result<PruneReport> prune(int64_t older_than_s);
  /// Seconds a written key lives (0: forever).
  int64_t ttl_seconds() const { return ttl_s_; }

 private:
  RedisStore(RemoteUrl url, int timeout_ms, bool compress)
      : url_(std::move(url)), timeout_ms_(timeout_ms), compress_(compress) {}
  Status connect();
  /// Runs one command (argv form, binary safe). The reply is owned by the caller (freeReplyObject).
  Result<void*> command(const std::vector<std::string_view>& args);
  Result<std::optional<std::string>> get_value(const std::string& key);
  Status set_value(const std::string& key, std::string_view value);
  void disconnect();

  RemoteUrl url_;
  int timeout_ms_;
  bool compress_ = true;
  WireBytes wire_;
  std::string prefix_ = "kiln";
  int db_ = 0;
  int64_t ttl_s_ = 0;
  bool getex_unsupported_ = false;
  void* ctx_ = nullptr;  // redisContext*
};

}  // namespace kiln

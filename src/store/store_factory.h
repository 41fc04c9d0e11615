// Builds the store chain of one kiln process from the Config: the local store (KILN_DIR) and,
// when remotes are configured (Config::remotes, remote_timeout_ms, upload), a TieredStore that
// puts the local store in front of them. A remote whose URL or parameters are wrong is
// reported once per build and skipped; the build never fails because of a remote.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "store/local/local_store.h"
#include "store/remote/remote_url.h"
#include "store/tiered_store.h"

namespace kiln {

/// The stores of one process. Movable; the LocalStore stays at the same address.
class StoreChain {
 public:
  StoreChain(std::unique_ptr<LocalStore> local, std::unique_ptr<TieredStore> tiered)
      : local_(std::move(local)), tiered_(std::move(tiered)) {}

  /// The local store alone (for eviction, stats, maintenance).
  LocalStore& local() { return *local_; }
  /// The store to look up and record in: the TieredStore when remotes are configured, else local().
  Store& store() { return tiered_ ? static_cast<Store&>(*tiered_) : *local_; }
  /// The TieredStore, or nullptr without remotes.
  TieredStore* tiered() { return tiered_.get(); }
  /// Forgets the stores without destroying them, for a process that forked a background
  /// store (core/background_store.h): the child now owns the remote connections they share,
  /// and closing them here (a TLS close_notify) would break its uploads. The process is about
  /// to exit; its counters must have been flushed before the fork.
  void forget_at_exit() {
    (void)local_.release();
    (void)tiered_.release();
  }

 private:
  std::unique_ptr<LocalStore> local_;
  std::unique_ptr<TieredStore> tiered_;
};

/// Builds the chain for `cfg` ($KILN_SESSION read from the environment).
StoreChain make_store_chain(const Config& cfg);

/// The remote store for one parsed URL (http/https → HttpStore, redis → RedisStore,
/// oci → OciStore). With `cfg`: remote_username/remote_password serve URLs without
/// user:password, remote_ca_bundle verifies https (and OCI) servers.
/// Errors: unsupported scheme or bad parameters.
Result<std::unique_ptr<Store>> make_remote_store(const RemoteUrl& url, int timeout_ms, const Config* cfg = nullptr);

}  // namespace kiln

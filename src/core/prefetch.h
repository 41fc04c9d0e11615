// Prefetching a build index (core/build_index.h) beside cargo.
//
// `cargo kiln` reads the index of the build it is about to run, and its pack
// (core/index_pack.h), from the remotes and starts cargo at once; two to four threads bring
// the listed entries (with their blobs: the small ones from the pack, the others fetched) into
// the local store meanwhile, in the order the last build used them — which is about the order
// this build needs them. So the download overlaps cargo's own start-up and the first
// compilations instead of preceding them.
//
// The entries still to come are empty files named by their key in a directory
// ($KILN_PREFETCH_DIR). A compilation whose entry is missing locally and listed there waits
// for the prefetch to bring it (wait_for_prefetch, polling) instead of fetching it itself a
// second time; one that is not listed goes to the remotes as usual. When cargo has finished,
// the prefetch stops — what nobody asked for by then is not needed by this build.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/index_pack.h"
#include "store/store_factory.h"
#include "util/digest.h"

namespace kiln {

/// What a prefetch did.
struct PrefetchReport {
  size_t listed = 0;        // keys the index lists
  size_t present = 0;       // entries now in the local store (fetched or already there)
  uint64_t bytes_down = 0;  // bytes downloaded from remotes
};

class Prefetch {
 public:
  /// Asks the remotes `cfg` names for the index under `index_key` (one request) and, when
  /// there is one, lists its keys in `dir` (created) and starts `threads` threads fetching
  /// them. Returns nullptr when there is no remote or no index (nothing was created).
  static std::unique_ptr<Prefetch> start(const Config& cfg, const Digest& index_key, int threads,
                                         const std::string& dir);
  ~Prefetch();
  Prefetch(const Prefetch&) = delete;
  Prefetch& operator=(const Prefetch&) = delete;

  /// Stops fetching, waits for the threads, removes the directory; the report.
  PrefetchReport finish();
  /// How far it is, while it runs (any thread): keys listed, entries present, bytes so far.
  PrefetchReport progress() const;
  /// True when every listed entry has been tried.
  bool done() const;

  /// True when the index read had a pack, lists the same keys as `keys` (in any order), and
  /// came from the only remote this build writes to: storing the index again would change
  /// nothing a next build uses.
  bool index_lists_exactly(const std::vector<Digest>& keys);

  /// The remote blob names the index's pack gave (core/index_pack.h), for the next pack.
  const WireNames& pack_names() const { return pack_.names; }

 private:
  Prefetch() = default;
  void work(size_t chain);
  /// Brings the entry under `key` into the local store through chains_[chain]; true when it is there.
  bool fetch(size_t chain, const Digest& key);

  std::vector<StoreChain> chains_;  // one per thread; [0] also read the index
  std::vector<Digest> keys_;
  IndexPack pack_;  // read-only once the threads run
  bool has_pack_ = false;
  size_t index_from_ = 0;  // the remote the index came from
  std::string dir_;
  std::atomic<size_t> next_{0}, present_{0}, tried_{0};
  std::atomic<uint64_t> bytes_{0};  // downloaded so far, summed by the threads from their own chains
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  bool finished_ = false;
  PrefetchReport report_;
};

/// A compilation's side, for an entry the local store lacks: when `dir` (from
/// $KILN_PREFETCH_DIR; "" = none) lists `key` as still to come, polls until the prefetch has
/// brought it, the prefetch ends, or `max_ms` passed. Returns true while a prefetch is running
/// (the local store is worth a second look: it may have brought the entry just now).
bool wait_for_prefetch(const std::string& dir, const Digest& key, int max_ms);

}  // namespace kiln

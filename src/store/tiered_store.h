// TieredStore: the local store in front of remote stores, behind the one Store interface
// the wrapper uses.
//   read:  local first; then each readable remote in order. A remote hit is copied into the
//          local store — for a `result` entry all its blobs first (fetched, verified), then the
//          entry — so the next lookup is local and replay never waits on the network.
//   write: local, then (synchronously, each request bounded by the remote timeout) every
//          writable remote: blobs the remote lacks (HEAD first), then the entry. Blobs are
//          held in memory from put_blob until the entry naming them is uploaded, since the
//          upload policy needs the entry's metadata: with upload "dependencies", entries of
//          workspace members (EntryMeta::local_only, their manifests included) stay local.
//   manifests: a local manifest normally shadows the remotes'; after a local lookup found no
//          matching source set the wrapper turns on refresh_manifests() and looks up again,
//          which merges the remotes' source sets into the local manifest.
//   faults: any remote error (unreachable, timeout, 5xx, wrong bytes) makes the remote count an
//          error, be marked down (health.h) and be skipped for the rest of the build; the
//          operation goes on as a miss. Exactly one process per build prints the warning.
// `#read-only` remotes are never written, `#write-only` ones never read. Per-remote counters
// go to the stats (record_store_event) when the TieredStore is destroyed.
#pragma once

#include <functional>
#include <optional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "stats/stats.h"
#include "store/remote/health.h"
#include "store/remote/remote_url.h"
#include "store/store.h"

namespace kiln {

/// Which entries go to writable remotes.
enum class UploadPolicy {
  All,           // every entry
  Dependencies,  // only entries of registry/git crates (not workspace members)
  None,          // nothing (every remote behaves as #read-only)
};

/// Parses "all" / "dependencies" / "none"; anything else is All.
UploadPolicy parse_upload_policy(const std::string& text);

class TieredStore : public Store {
 public:
  /// A store over `local` (which must outlive it). `kiln_dir` receives stats and down-marks;
  /// `session` is $KILN_SESSION (or empty).
  TieredStore(Store& local, std::string kiln_dir, std::string session, UploadPolicy upload);
  ~TieredStore() override;
  TieredStore(const TieredStore&) = delete;
  TieredStore& operator=(const TieredStore&) = delete;

  /// Adds a remote after the ones already added (lookups try them in this order).
  void add_remote(const RemoteUrl& url, std::unique_ptr<Store> store);
  /// Records a remote that could not be set up (bad URL or parameters): it is reported once
  /// per build like a failing remote. `id` names it in the down-mark (e.g. the URL text).
  void add_broken_remote(const std::string& display_name, const std::string& id, const Error& error);

  std::string name() const override;
  Result<std::optional<ActionResult>> get_action(const Digest& key) override;
  Status put_action(const Digest& key, const ActionResult& result) override;
  Result<std::optional<std::string>> get_blob(const Digest& digest) override;
  Status put_blob(const Digest& digest, std::string_view data) override;
  Result<bool> has_blob(const Digest& digest) override;
  /// From the local store when it has the blob, else through get_blob() (remotes, verified).
  Result<bool> restore_blob(const Digest& digest, const std::string& path, bool executable,
                            bool may_link = false) override;

  /// Number of remotes (broken ones included).
  size_t remote_count() const { return remotes_.size(); }
  /// This process's counters for the i-th remote.
  const StoreEvent& counters(size_t i) const { return remotes_[i]->counters; }
  /// True when the i-th remote is not used (marked down, now or by another process).
  bool is_down(size_t i) const { return remotes_[i]->down; }
  /// Writes the counters to the stats and zeroes them (also done by the destructor).
  void flush_stats();

  /// Merges a local manifest payload with a remote's: the new payload, or nullopt when
  /// nothing changed (core/direct_mode.h's merge_manifest_payload; the store does not read
  /// manifests itself).
  using ManifestMerge = std::function<std::optional<std::string>(const std::string& local, const std::string& remote)>;

  /// Turns on manifest refresh for the rest of this process: a `manifest` entry found locally
  /// is merged by `merge` with the readable remotes' manifest of the same key and the merge
  /// is written locally. For the wrapper's second lookup
  /// after a local manifest matched no source set — another machine may have uploaded the
  /// set this checkout needs. Hits stay free of network traffic. Returns true when some
  /// remote can be read (a second lookup is worth it).
  bool refresh_manifests(ManifestMerge merge);

  /// The entry under `key` from the first readable remote that has it, skipping the local
  /// store (for entries that are replaced over time, like the build index, whose newest copy
  /// is on the server); `from`, when given, receives that remote's position. nullopt when no
  /// remote has it or none can be read.
  std::optional<ActionResult> get_remote_action(const Digest& key, size_t* from = nullptr);

  /// True when the i-th remote is the only one this process writes to.
  bool only_writable(size_t i) const;

  /// The blob with `digest` from the first readable remote that has it, checked against the
  /// digest and not copied into the local store (for blobs only this process reads, like a
  /// build index's pack). nullopt when no remote has it or none can be read.
  std::optional<std::string> get_remote_blob(const Digest& digest);

  /// Brings into the local store an entry a remote gave by other means than its key (a build
  /// index's pack): a `result` entry's blobs the local store lacks are fetched from the first
  /// readable remote that has them all, then the entry is written locally. False when no
  /// remote has the blobs (nothing written). A remote whose blobs are named by its entries
  /// (OCI) is asked for the entry first, unless it knows every missing blob's name already
  /// (learn_wire_names); when a name it knew proves wrong, it is asked and tried once more.
  bool import_entry(const Digest& key, const ActionResult& entry);

  /// Hands `names` (a build index pack's) to every remote (Store::learn_wire_names).
  void learn_wire_names(const WireNames& names) override;
  /// What the remotes know of their blobs' names (Store::known_wire_names), the first remote's winning.
  WireNames known_wire_names() override;

  /// Called with the key of an entry the local store lacks, before the remotes are asked; when
  /// it returns true the local store is looked at again first (core/prefetch.h: the entry may
  /// be on its way from a prefetch).
  void set_before_remote_lookup(std::function<bool(const Digest&)> hook) { before_remote_ = std::move(hook); }

 private:
  std::function<bool(const Digest&)> before_remote_;
  struct Remote {
    std::string name;
    RemoteAccess access = RemoteAccess::ReadWrite;
    std::unique_ptr<Store> store;
    RemoteHealth health;
    StoreEvent counters;
    bool down = false;
    std::set<Digest> missed;   // action keys this remote did not have (asked once per process)
    std::set<Digest> present;  // blobs known to be on the remote
    bool readable() const { return !down && store && access != RemoteAccess::WriteOnly; }
    bool writable() const { return !down && store && access != RemoteAccess::ReadOnly; }
  };

  /// Counts the error, marks the remote down and prints the build's one warning if ours.
  void fail(Remote& r, const Error& e);
  /// Asks one remote for the entry under `key`, counting the error, miss or bytes down;
  /// nullopt unless the remote has it.
  std::optional<ActionResult> ask_remote(Remote& r, const Digest& key);
  /// Copies the blobs of `entry` from `r` into the local store. False on a missing blob or an error.
  bool fetch_blobs(Remote& r, const ActionResult& entry);
  /// Adds the readable remotes' source sets for manifest `key` to `local_entry` (and the local store).
  void merge_remote_manifests(const Digest& key, ActionResult& local_entry);
  /// Sends `entry` (blobs first) to every writable remote.
  void upload(const Digest& key, const ActionResult& entry);

  Store& local_;
  std::string kiln_dir_, session_;
  UploadPolicy upload_;
  std::vector<std::unique_ptr<Remote>> remotes_;
  std::map<Digest, std::string> pending_;  // blobs put since the last uploaded entry
  bool refresh_manifests_ = false;
  ManifestMerge merge_;
  std::set<Digest> refreshed_;  // manifest keys merged with the remotes' already
};

}  // namespace kiln

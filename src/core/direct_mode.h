// Direct mode (ccache's "manifest", applied to every kind of action), all of it: the
// lookup — pre-key → manifest → first source set whose files still match → full key →
// entry, following a path-bound redirect to this checkout's own entry —, storing a recorded
// action together with its source set in the pre-key's manifest, and merging a remote's
// manifest into the local one. The manifest format and matching are key/source_manifest.h;
// the store only carries manifests as entries of kind `manifest` and asks this module to
// merge them (TieredStore::refresh_manifests). No process runs here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/record.h"
#include "key/action_key.h"
#include "key/path_anchors.h"
#include "key/source_manifest.h"
#include "store/store.h"

namespace kiln {

/// A found entry and the key it was found under.
struct CacheHit {
  ActionResult result;
  Digest key;
};

/// Why a lookup found nothing (for `kiln explain`, explain/miss_log.h).
struct LookupMiss {
  std::string reason;                // "no-manifest", "no-set-matches", "no-entry", "path-bound", "unreadable"
  std::vector<std::string> details;  // for "no-set-matches": "path: why" per rejected set; "no-entry": NAME=value
};

/// Looks up the entry for `pre_key` in `store`. nullopt on a miss. Errors: the store failed. With `why`,
/// a miss says why there.
Result<std::optional<CacheHit>> lookup_entry(Store& store, const Digest& pre_key, const PathAnchors& anchors,
                                             LookupMiss* why = nullptr);

/// Stores a recorded action (any kind): `entry` under `full_key` — or, when `out.path_bound`,
/// under the path-bound key with a redirect under `full_key` —, then adds `manifest_set` to
/// the pre-key's manifest. Returns `out` with the keys written and `stored` set.
/// Errors: the store failed.
Result<RecordOutcome> store_result(Store& store, const Digest& pre_key, const Digest& full_key, ManifestSet manifest_set,
                                   ActionResult entry, const PathAnchors& anchors, RecordOutcome out);

/// The local manifest payload with a remote's source sets added after its own (newest
/// first); nullopt when either does not parse or nothing new came. For
/// TieredStore::refresh_manifests.
std::optional<std::string> merge_manifest_payload(const std::string& local, const std::string& remote);

}  // namespace kiln

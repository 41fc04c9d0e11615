// Lookup (direct mode): pre-key → manifest → matching source set → full key → entry,
// following a path-bound redirect to this checkout's own entry. No rustc runs.
#pragma once

#include <optional>

#include "key/action_key.h"
#include "key/path_anchors.h"
#include "store/store.h"

namespace kiln {

/// A found entry and the key it was found under.
struct CacheHit {
  ActionResult result;
  Digest key;
};

/// Looks up the entry for `pre_key` in `store`. nullopt on a miss. Errors: the store failed.
Result<std::optional<CacheHit>> lookup_entry(Store& store, const Digest& pre_key, const PathAnchors& anchors);

}  // namespace kiln

// Store (after a successful miss): read the dep-info, build the source set and full key,
// collect the output files, decide whether they are path-bound (they contain one of this
// run's anchor directories even after remapping, e.g. through `env!("CARGO_MANIFEST_DIR")`),
// put blobs then the entry, and add the source set to the pre-key's manifest.
#pragma once

#include <string>

#include "key/action_key.h"
#include "key/path_anchors.h"
#include "rustc/invocation.h"
#include "store/store.h"
#include "util/process.h"

namespace kiln {

/// What happened when recording.
struct RecordOutcome {
  bool stored = false;
  std::string not_stored_reason;  // slug when not stored for a legitimate reason
  bool path_bound = false;
  uint64_t bytes = 0;  // sum of output sizes
  std::vector<Digest> keys;  // action entries written (result or redirect + path-bound, manifest)
};

/// Records a finished compilation. Errors: the store failed (full disk, read-only…).
Result<RecordOutcome> record_compilation(Store& store, const RustcInvocation& inv, const PathAnchors& anchors,
                                         const Digest& pre_key, const ProcessResult& result, int64_t start_ns,
                                         int64_t compile_ms);

/// True when `data` contains one of `dirs` as a path (followed by '/', NUL, quote or end).
bool contains_any_dir(std::string_view data, const std::vector<std::string>& dirs);

}  // namespace kiln

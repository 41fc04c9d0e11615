// Replay (a hit): restore every output file rustc would have written — at this run's paths,
// with the current mtime, exec bits, dep-info rewritten for this checkout — then write the
// recorded stdout and stderr byte for byte (paths mapped back) and return the exit code.
#pragma once

#include "key/path_anchors.h"
#include "store/store.h"

namespace kiln {

/// Writes the entry's output files. All blobs are fetched and verified before the first
/// file is written, so a missing blob leaves the target dir untouched. Errors: a blob is
/// missing or corrupt (the caller treats the hit as a miss), a file cannot be written.
Status restore_outputs(Store& store, const ActionResult& entry, const PathAnchors& anchors);

/// Writes the entry's stdout and stderr to fds 1 and 2, paths mapped to this run.
void replay_output(const ActionResult& entry, const PathAnchors& anchors);

}  // namespace kiln

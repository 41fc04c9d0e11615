// Replay (a hit): restore every output file rustc would have written — at this run's paths,
// with the current mtime, exec bits, dep-info rewritten for this checkout — then write the
// recorded stdout and stderr byte for byte (paths mapped back) and return the exit code.
#pragma once

#include <string>
#include <vector>

#include "key/path_anchors.h"
#include "store/store.h"

namespace kiln {

/// Writes the entry's output files, each streamed from the store and checked against its
/// digest before it is renamed into place (Store::restore_blob), so no output is ever torn or
/// wrong. A missing blob is found before the first file is written; a corrupt one stops the
/// restore (outputs already written are correct and stay). Either way the caller compiles
/// instead, which rewrites them all. Errors: a blob is missing or
/// corrupt, a file cannot be written. `remember_digests`: note each file's digest on it
/// (key/file_digests.h), for outputs that later actions read as inputs. `may_link`: outputs
/// that nothing rewrites in place (rustc's; never dep-info) may be hard links to the local
/// store's copies (store/local/blob_link.h).
Status restore_outputs(Store& store, const ActionResult& entry, const PathAnchors& anchors,
                       bool remember_digests = true, bool may_link = false);

/// Before a miss runs: unlinks each of `paths` that shares its inode with another name
/// (st_nlink > 1) — a restored hard link to a store blob, or cargo's uplifted copy — so that a
/// tool that writes an output in place (a linker wrapper that copies, say) changes only this
/// build's file. Files that do not exist are skipped; errors are ignored (the run rewrites
/// its outputs anyway).
void break_shared_links(const std::vector<std::string>& paths);

/// Writes the entry's stdout and stderr to fds 1 and 2, paths mapped to this run.
void replay_output(const ActionResult& entry, const PathAnchors& anchors);

}  // namespace kiln

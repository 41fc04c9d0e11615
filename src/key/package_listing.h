// A package's file list, as a key input. cargo reruns a build script that prints no
// `rerun-if-changed` directive whenever any file of its package changes (the Cargo Book,
// "Build Scripts" → "Change Detection"). kiln keys such a run by what the tracer saw it read
// (each file by content) plus the package's file *list*: the tracer sees opens and failed
// probes but not directory listings, so a script that globs `src/` or counts files would be
// served a stale OUT_DIR after a file is added, removed or renamed. With the list in the key,
// editing a file the script never read is a hit, and a changed set of files is a miss.
// What remains unseen (a script that decides by a package file's size or mtime without
// reading it) is listed in docs/cache-key.md, "What kiln cannot see".
#pragma once

#include <cstdint>
#include <string>

#include "util/digest.h"
#include "util/expected.h"

namespace kiln {

/// True for a directory below a package that is not part of its sources: `.git`, `target`, or
/// one holding a `CACHEDIR.TAG` (cargo's target dirs, wherever CARGO_TARGET_DIR put them).
bool is_build_or_vcs_dir(const std::string& dir);

/// A file list and when it last changed.
struct PackageListing {
  Digest digest;                    // see package_listing()
  int64_t newest_dir_mtime_ns = 0;  // newest mtime of the listed dirs (an entry added/removed)
};

/// The file list below `dir`: `digest` is the SHA-256 of the sorted relative paths of its
/// regular files, symlinks and directories, each with its kind ('f', 'l', 'd'), skipping
/// is_build_or_vcs_dir() dirs. Contents, sizes and times do not enter the digest.
/// Errors: `dir` is not a directory.
Result<PackageListing> package_listing(const std::string& dir);

}  // namespace kiln

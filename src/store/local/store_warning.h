// One "cannot store" warning per build, not one per crate: when the local store cannot be
// written (full filesystem, read-only mount, a store path that is a regular file), every
// compilation of the build fails to store its result the same way. The first kiln process of
// a build to fail claims a mark and prints the warning; the others stay quiet.
// A build is $KILN_SESSION (set by `cargo kiln`), else the parent process — cargo — named by
// its pid and start time (/proc/<ppid>/stat field 22), so a reused pid is another build.
// The marks live outside the store (it may be unwritable): $XDG_RUNTIME_DIR/kiln-warned or
// /tmp/kiln-warned-<uid>, as empty files named by a digest of (build, store dir); marks older
// than a day are removed when a new one is made.
#pragma once

#include <string>

namespace kiln {

/// True for the first caller in this build for the store in `store_dir` (and whenever the mark
/// cannot be made, so a warning is never lost); false for every later caller.
bool first_store_warning_of_build(const std::string& store_dir);

}  // namespace kiln

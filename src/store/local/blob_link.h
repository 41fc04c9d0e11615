// Restoring a plain blob file (local/blob_file.h) by hard link: the fast half of a local hit.
//
// A hit used to write every output anew: decompress the blob's LZ4 frame and write the bytes
// into the target directory. For ripgrep's warm build after `cargo clean` that was 80 % of the
// time kiln spent per hit (6.7 of 8.3 ms on average; in `perf`, LZ4 and ext4's write path were
// the largest costs), and it grows with the output: a 10 MB rlib, a 42 MB binary. A plain blob
// file is already the output, byte for byte, so a hit links it into place: link(2) to a temp
// name beside the output, rename(2) over it. That costs the same for 10 KB as for 42 MB.
//
// Every restored byte is still checked: the blob's content is hashed with XXH3-64 (tens of
// GB/s, from the page cache) and compared with its tag, and the tag's digest with the name the
// entry asked for, before the link is made (local/blob_stream.h explains why XXH3 is enough
// for a blob already in the local store; blobs from remotes are checked by SHA-256 on arrival).
// The link is made from the open file, /proc/self/fd/N, so what is linked is the inode that was
// checked even if the store's file was replaced meanwhile.
//
// What sharing an inode means, and how kiln keeps it safe:
//   - The output and the store's blob are one file. A tool that rewrites an output in place
//     (open with O_TRUNC, not write-then-rename) would change the blob too. rustc writes its
//     rlib, rmeta and objects to a temp file and renames it, and the linkers (ld.bfd, gold,
//     lld, mold) remove or rename over an existing output, so builds never do; a miss also
//     unlinks any of its outputs that share an inode first (break_shared_links, core/replay.h).
//     Only rustc's outputs are linked (Store::restore_blob's may_link): never dep-info, which
//     rustc does rewrite in place (core/replay.cpp writes it with this machine's paths), nor a
//     build script's OUT_DIR files or rustdoc's pages, which their writers rewrite in place
//     too. A blob changed by anything else fails its check at the next hit — a miss, and the
//     blob is removed — never a wrong hit.
//   - Mode and times belong to the inode. The blob is made executable (or not) for the first
//     restore that links it while the store holds its only link; an output that wants another
//     mode while others share the inode is copied instead. The mtime is set to now on every
//     restore, as a new copy would have (cargo compares a dependency's output mtime with its
//     dependents' fingerprints), which also marks the blob as recently used for eviction.
//     Another target directory that holds the same inode sees the new mtime too: cargo there
//     recompiles that crate's dependents once — hits, a few ms each — never a wrong result.
//   - Only hits link. A miss's outputs are copied into the store, not linked: the background
//     store runs while cargo already compiles the dependents, and tagging or linking an output
//     then changes its ctime, which a dependent reading it as an extern rightly takes for a
//     change during its compilation (not stored: "source-changed"; tried, and seen in
//     test_fixture_build). A hit links before its wrapper returns, so before any dependent starts.
//   - Where links cannot be made (the store on another filesystem: EXDEV) or are turned off
//     (hard_links = false, config/config.h), the content is copied from the checked mapping.
#pragma once

#include <sys/stat.h>

#include <string>

#include "store/local/blob_file.h"
#include "util/expected.h"

namespace kiln {

/// Restores the plain blob file `blob` (open read-only at `fd`, `st` its fstat, `tag` its
/// user.kiln.blob tag) to `path` with mode 0755 if `executable` else 0644: checks the content
/// against `tag` and `digest`, then links it into place when `allow_link` (else, or where
/// links cannot be made, writes a copy through a temp file). Returns false when the blob does
/// not match its tag or `digest` (nothing is written; the caller discards the blob).
/// Errors: mapping the blob, or creating or renaming the output (errno text).
Result<bool> restore_plain_blob(int fd, const std::string& blob, const struct stat& st, const BlobTag& tag,
                                const Digest& digest, const std::string& path, bool executable, bool allow_link);

}  // namespace kiln

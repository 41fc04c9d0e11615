// Content digests of input files with a stat cache: the digest is remembered in an extended
// attribute on the file itself (user.kiln.sha256 = "<size> <mtime_ns> <inode> <noted_ns> <hex>")
// and trusted only while the file keeps its identity: size, mtime, inode, and a ctime that
// the note itself explains. Setting an xattr changes the file's ctime, so the note records
// when it was written (noted_ns, wall clock) and a ctime within kNoteWindowNs of it is the
// note's own; any later change of content, mode or mtime gives a later ctime and the note is
// ignored. Files newer than the moment of hashing minus a safety margin are not noted (their
// mtime may not change on a further write within the same tick).
#pragma once

#include <string>

#include "util/digest.h"
#include "util/expected.h"
#include "util/fs.h"

namespace kiln {

/// How far a file's ctime may lie from the moment kiln noted its digest and still be the
/// note's own change (kernel timestamps are coarse: a few ms at most).
constexpr int64_t kNoteWindowNs = 50'000'000;

/// Digest of the file at `path`, from its note when the identity matches, else hashed. With
/// `remember`, the digest is noted on the file when it is old enough (failures, e.g. a
/// read-only toolchain, are ignored) — callers pass true for build outputs (files under the
/// target dir) and the sysroot's libraries, never for other files such as the linker or
/// registry sources. Errors: the file cannot be read.
Result<Digest> file_digest(const std::string& path, bool remember = false);

/// Digest of a file kiln must not note (the linker, a system library, clippy-driver as the
/// workspace wrapper: not kiln's to touch, often not writable), remembered instead in `cache_dir` (the store's, one small file per
/// path: "<size> <mtime_ns> <ctime_ns> <inode> <hex> <path>") and trusted while the file keeps
/// exactly that identity — any write, chmod or rename over it gives a new ctime or inode. A
/// file changed within kRacyMarginNs of hashing is not remembered; an empty `cache_dir`, an
/// unreadable or torn cache file, or one of another path is a plain hash (a linking action
/// hashed its 1.3 MB `cc` on every lookup, ~1.3 ms; under clippy every action hashed the
/// 20 MB clippy-driver). Errors: the file cannot be read.
Result<Digest> cached_file_digest(const std::string& cache_dir, const std::string& path);

/// Notes `digest` as the content digest of `path` (after kiln wrote the file itself).
void remember_file_digest(const std::string& path, const Digest& digest);

/// Tells file_digest(), for this process, that the file at `path` had content `digest` when it
/// had the identity `id` (size, mtime, ctime, inode: a file a manifest kiln wrote recorded as
/// hashed). While the file keeps exactly that identity, file_digest() returns `digest` without
/// reading it — the trust a direct-mode lookup already gives the same record
/// (key/source_manifest.h, match_manifest). Used so that a miss does not hash again the files
/// its lookup just found unchanged (a build script without rerun-if directives: every file of
/// its package). An `id` with ctime 0 (identity unknown) is ignored.
void note_known_digest(const std::string& path, const FileStat& id, const Digest& digest);

/// True when `now` (a stat of `path`) differs from `before` only by a ctime that kiln's own
/// digest note explains: same size, mtime and inode, and a note written after `before` that
/// matches `now`. (A dependency's output that its wrapper noted while a dependent read it.)
bool changed_only_by_note(const std::string& path, const FileStat& before, const FileStat& now);

}  // namespace kiln

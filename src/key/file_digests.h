// Content digests of input files with a stat cache: the digest is remembered in an extended
// attribute (user.kiln.sha256 = "<size> <mtime_ns> <hex>") on the file itself and trusted only
// while size and mtime still match. Files newer than the moment of hashing minus a safety
// margin are not cached (their mtime may not change on a further write within the same tick).
#pragma once

#include <string>

#include "util/digest.h"
#include "util/expected.h"
#include "util/fs.h"

namespace kiln {

/// Digest of the file at `path`, from its xattr when size and mtime match, else hashed. With
/// `remember`, the digest is written to the xattr when the file is old enough (failures, e.g. a
/// read-only toolchain, are ignored) — callers pass true for build outputs (files under the
/// target dir) and the sysroot's libraries, never for other files such as the linker or
/// registry sources. Errors: the file cannot be read.
Result<Digest> file_digest(const std::string& path, bool remember = false);

/// Records `digest` as the content digest of `path` (after kiln wrote the file itself).
void remember_file_digest(const std::string& path, const Digest& digest);

}  // namespace kiln

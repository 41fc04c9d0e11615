// The toolchain's identity, without starting rustc on a hit: `rustc -vV` and the digest of
// the sysroot's libraries, cached per rustc binary (keyed by its path, size, mtime, ctime, inode)
// in <store dir>/toolchains/. The cached record is recomputed when the binary changes.
#pragma once

#include <string>

#include "util/digest.h"
#include "util/expected.h"

namespace kiln {

/// What identifies a toolchain for the cache key.
struct Toolchain {
  std::string version_verbose;  // `rustc -vV` output
  std::string host;             // host triple from -vV
  std::string sysroot;          // `rustc --print sysroot`, absolute
  Digest sysroot_digest;        // digest over (relative path, content digest) of sysroot libraries
  /// One digest combining all of the above except the sysroot path (path-independent).
  Digest identity() const;
};

/// Returns the toolchain of the rustc at `rustc_path`, from the cache in `cache_dir` or by
/// running `rustc -vV` and `rustc --print sysroot` once and hashing lib/rustlib/*/lib and lib/*.so.
/// Errors: rustc cannot be run or its sysroot cannot be read.
Result<Toolchain> load_toolchain(const std::string& rustc_path, const std::string& cache_dir);

/// The toolchain cargo would use in this directory: the sysroot that $RUSTC, else rustc on
/// PATH (rustup's proxy, which applies the directory's toolchain override), prints, identified
/// by load_toolchain of its bin/rustc (what cargo resolves the proxy to). Errors: rustc cannot
/// be run, or those of load_toolchain.
Result<Toolchain> load_cargo_toolchain(const std::string& cache_dir);

}  // namespace kiln

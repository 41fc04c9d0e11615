// Action keys: the digest of everything that decides rustc's outputs (docs/cache-key.md).
// Two stages, as in ccache's direct mode:
//   pre-key  = toolchain + normalized arguments + environment + digests of --extern files,
//              native libraries, linker, target spec — all known before compiling;
//   full key = pre-key + the source files rustc read (from dep-info) with their digests and
//              the `env!` variables it read (env-dep lines) with their values.
// Paths enter keys in portable form (relative to an anchor), so keys are path-independent.
#pragma once

#include <string>
#include <vector>

#include "key/path_anchors.h"
#include "rustc/dep_info.h"
#include "rustc/invocation.h"
#include "rustc/toolchain.h"
#include "util/digest.h"
#include "util/expected.h"

namespace kiln {

/// Accumulates labelled key inputs. `lines` keeps a readable copy for $KILN_LOG and tests.
class KeyBuilder {
 public:
  explicit KeyBuilder(std::string domain);
  void add(const std::string& label, const std::string& value);
  Digest finish();
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  Sha256 hash_;
  std::vector<std::string> lines_;
};

/// The pre-key and the lines it was made of.
struct PreKey {
  Digest digest;
  std::vector<std::string> lines;
};

/// Options that change the key without being rustc arguments.
struct KeyOptions {
  bool remap = true;  // kiln adds --remap-path-prefix for the anchors
  std::string native_cpu;  // what -C target-cpu=native resolves to here (rustc/native_cpu.h)
  // Where the digests of the files named outside the build (workspace wrapper, target spec,
  // linker, system native libraries) are remembered (cached_file_digest); "" = none.
  std::string digest_cache_dir;
};

/// Computes the pre-key. `-C target-cpu=native` enters as `options.native_cpu`, which must be
/// set for such an invocation. Errors: an --extern, native library, linker or target spec
/// file cannot be read, or native_cpu is missing (the caller then runs rustc uncached).
Result<PreKey> compute_pre_key(const RustcInvocation& inv, const Toolchain& toolchain, const PathAnchors& anchors,
                               const KeyOptions& options);

/// One source file of a compilation: portable path and content digest.
struct SourceFile {
  std::string path;  // portable ("{{kiln:ws}}/src/lib.rs")
  Digest digest;
  bool operator==(const SourceFile&) const = default;
};

/// A directory whose file list is an input (key/package_listing.h): portable path and the
/// digest of the list.
struct DirListing {
  std::string dir;  // portable ("{{kiln:pkg}}")
  Digest digest;
  bool operator==(const DirListing&) const = default;
};

/// What a compilation read: its source files and env-dep variables (values portable), and
/// for a build script without rerun-if directives its package's file list.
struct SourceSet {
  std::vector<SourceFile> files;     // sorted by path
  std::vector<EnvDep> env_deps;      // sorted by name
  std::vector<DirListing> listings;  // sorted by dir; empty for every rustc compilation
};

/// Full key from the pre-key and a source set (listings enter only when there are any, so
/// keys without them are those of earlier versions).
Digest compute_full_key(const Digest& pre_key, const SourceSet& sources);

/// Key for an entry whose outputs embed machine paths: the full key plus this run's anchors
/// (every anchor but the sysroot, whose path outputs are never scanned for) — or, when
/// `only` is given (not empty), just the anchors of those names, the ones the outputs were
/// found to contain (an anchor of that name missing here counts as its own value).
Digest compute_path_bound_key(const Digest& full_key, const PathAnchors& anchors,
                              const std::vector<std::string>& only = {});

/// Key under which the direct-mode manifest of a pre-key is stored.
Digest compute_manifest_key(const Digest& pre_key);

/// True when `abs_path` lies in the target dir (a build output, whose digest kiln may cache
/// in an xattr; sources and system files are never marked).
bool is_build_output(const PathAnchors& anchors, const std::string& abs_path);

/// Environment variables that enter the pre-key (name=portable value), sorted: cargo's
/// CARGO_* (less those naming local tools or dirs that do not reach rustc's output) and a few
/// that rustc and clippy read (RUSTC_BOOTSTRAP, CLIPPY_ARGS, CLIPPY_CONF_DIR, LIBRARY_PATH).
std::vector<std::string> key_environment(const PathAnchors& anchors);

}  // namespace kiln

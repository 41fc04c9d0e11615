// Direct mode (ccache's "manifest", applied to rustc): per pre-key, the source sets that
// earlier compilations read — each file's portable path, size, mtime and digest, the env-dep
// variables, and the files that must stay absent (module-resolution alternatives: `x.rs` ↔
// `x/mod.rs`). A hit checks those files (stat first, hash only when stat differs), derives the
// full key and restores — without starting rustc. The stat shortcut needs the very file that
// was hashed (same inode and ctime, not just size and mtime): mtimes are often copied or
// normalized (tar, cp -p, Nix's mtime 1, cargo package), so equal (size, mtime) alone can hide
// new contents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "key/action_key.h"
#include "key/path_anchors.h"
#include "key/traced_inputs.h"
#include "rustc/dep_info.h"
#include "util/expected.h"

namespace kiln {

/// A source file as recorded in a manifest.
struct ManifestFile {
  std::string path;  // portable
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  Digest digest;
  int64_t ctime_ns = 0;  // with inode: identifies the file hashed (0: unknown, always hash)
  uint64_t inode = 0;
};

/// One recorded compilation's inputs.
struct ManifestSet {
  std::vector<ManifestFile> files;
  std::vector<std::string> env_names;  // env-dep variables (their values are read now)
  std::vector<std::string> absent;     // portable paths that must not exist
  std::vector<DirListing> listings;    // dirs whose file list must stay the same (key/package_listing.h)
};

/// The manifest of one pre-key: newest set first, at most kMaxSets.
struct SourceManifest {
  static constexpr size_t kMaxSets = 8;
  std::vector<ManifestSet> sets;

  /// JSON text of the manifest (version 2: file records and absent paths in shared tables).
  std::string to_json() const;
  /// Parses JSON text, version 1 or 2. Errors: malformed manifest (also an index out of range).
  static Result<SourceManifest> from_json(const std::string& text);
  /// Puts `set` first, dropping an older set with the same files and the oldest beyond kMaxSets.
  void add(ManifestSet set);
};

/// Builds a compilation's source set and manifest set from its dep-info and, when the run was
/// traced, what it really read (`traced`: files, must-stay-absent paths, variables), plus the
/// file lists of `listing_dirs` (absolute; a build script's package). Every input must exist
/// and be the very file the compilation read: same size, mtime, ctime and inode as when the
/// tracer saw it opened (untraced inputs: not modified after `compile_start_ns`); a listed
/// dir must have had no entry added or removed since then. Errors: missing input, input or
/// listing modified during the compilation, unreadable input.
Result<std::pair<SourceSet, ManifestSet>> source_set_from_dep_info(const DepInfo& dep_info, const std::string& cwd,
                                                                   const PathAnchors& anchors,
                                                                   int64_t compile_start_ns,
                                                                   const TracedInputs* traced = nullptr,
                                                                   const std::vector<std::string>& listing_dirs = {});

/// True when two identities name the same, unchanged file (size, mtime, ctime, inode).
bool same_identity(const FileStat& a, const FileStat& b);

/// The first set of `manifest` whose files still have their recorded contents, whose absent
/// files are still absent and whose listed dirs still hold the same file list, as a SourceSet
/// with the env-dep values of the current environment; nullopt when none matches. When
/// `mismatches` is given, it receives one line per rejected set naming the first file that
/// differed (for KILN_LOG: a build script whose OUT_DIR output is not reproducible shows up
/// here).
std::optional<SourceSet> match_manifest(const SourceManifest& manifest, const PathAnchors& anchors,
                                        std::vector<std::string>* mismatches = nullptr);

/// The current value of an env-dep variable, in portable form (nullopt: unset); kiln as
/// RUSTC_WRAPPER, by path or by name, is "kiln".
std::optional<std::string> env_dep_value(const std::string& name, const PathAnchors& anchors);

}  // namespace kiln

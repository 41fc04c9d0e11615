// Path anchors: the machine-specific directories of one invocation (workspace root, package
// dir, target dir, sysroot). Keys and stored text name paths relative to an anchor
// ("{{kiln:target}}/debug/deps/…"), so the same build in another checkout, target dir or
// CARGO_HOME gets the same key; restoring maps the tokens back to this run's directories.
// kiln also asks rustc to remap the anchors (--remap-path-prefix, rustc book "Remapping
// source paths") so that outputs carry no machine path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rustc/invocation.h"

namespace kiln {

/// One anchor: a name (used in tokens), its absolute directory here, and what rustc is
/// asked to remap it to (empty: not remapped).
struct Anchor {
  std::string name;
  std::string dir;
  std::string remap_to;
};

/// The anchors of one invocation, longest directory first.
class PathAnchors {
 public:
  /// Derives the anchors from an invocation and the environment: "ws" (cwd, for workspace
  /// members: their source path is relative), "pkg" (CARGO_MANIFEST_DIR of a package outside
  /// the workspace: registry, git, path deps elsewhere), "target" (the directory holding
  /// CACHEDIR.TAG above --out-dir), "sysroot".
  static PathAnchors for_invocation(const RustcInvocation& inv, const std::string& sysroot);

  /// Adds an anchor (kept sorted by directory length, longest first).
  void add(Anchor a);

  /// `path` (absolute or relative to cwd) as a portable string: "{{kiln:NAME}}/rest" when
  /// under an anchor; "{{kiln:NAME}}/../rest" when it lies outside every anchor but was
  /// reached from one through ".." (an `include_str!("../../shared/x")`: another checkout
  /// must read its own file); else the normalized absolute path.
  std::string portable_path(const std::string& path) const;

  /// The inverse of portable_path for this run's anchors.
  std::string local_path(const std::string& portable) const;

  /// Replaces every occurrence of an anchor directory in free text with its token.
  std::string portable_text(std::string_view text) const;

  /// Replaces every token in free text with this run's anchor directory.
  std::string local_text(std::string_view text) const;

  /// `--remap-path-prefix` arguments for the remapped anchors, in rustc's "last match wins"
  /// order (least specific first), plus nothing else.
  std::vector<std::string> remap_args() const;

  /// The anchors whose directory in an output makes it path-bound (the sysroot and
  /// directories shorter than 4 characters, such as the filesystem root, excluded).
  std::vector<Anchor> scan_anchors() const;

  /// Their absolute directories.
  std::vector<std::string> scan_dirs() const;

  const std::vector<Anchor>& anchors() const { return anchors_; }

 private:
  std::vector<Anchor> anchors_;
};

/// True for characters that continue a path component ("/tmp/a" is not a prefix of "/tmp/ab").
bool continues_path_component(char c);

/// The target dir: the nearest ancestor of `dir` (itself included, up to 5 levels up) holding
/// cargo's CACHEDIR.TAG — from `--out-dir` (`target/[triple/]debug/deps`) or a build script's
/// OUT_DIR (`target/[triple/]debug/build/pkg-HASH/out`). "" when none.
std::string find_target_dir(const std::string& dir);

/// "{{kiln:NAME}}" — the token for anchor NAME in portable strings.
std::string anchor_token(const std::string& name);

}  // namespace kiln

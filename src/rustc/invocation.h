// The rustc invocation model: what one `rustc …` command line asks for, parsed from the
// argv cargo hands a RUSTC_WRAPPER. Flags and their meaning: `rustc --help -v` and the
// rustc book, "Command-line arguments" (https://doc.rust-lang.org/rustc/command-line-arguments.html).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// One flag with its value, canonical spelling: "--crate-type" "lib", "-C" "opt-level=3",
/// "" "src/lib.rs" for the input. Flags without a value have an empty value.
struct RustcArg {
  std::string flag;
  std::string value;
};

/// `--extern [modifiers:]name[=path]`.
struct ExternArg {
  std::string modifiers;  // e.g. "noprelude" or "" (comma-separated as given)
  std::string name;
  std::string path;  // as given (may be relative to cwd); empty when no path
};

/// `-L [kind=]path`.
struct LibSearchPath {
  std::string kind;  // "", "dependency", "native", "crate", "framework", "all"
  std::string path;
};

/// An `--emit` request: kind (link, metadata, dep-info, obj, asm, llvm-ir, llvm-bc, mir)
/// with an optional explicit output path.
struct EmitRequest {
  std::string kind;
  std::string path;
};

/// Everything kiln needs to know about one rustc command line.
struct RustcInvocation {
  std::string rustc;              // path of the real rustc (as cargo passed it)
  std::string workspace_wrapper;  // e.g. clippy-driver; empty when none
  std::string cwd;                // absolute working directory
  std::vector<std::string> args;  // rustc's arguments, argfiles expanded
  std::vector<RustcArg> parsed;   // the same, canonicalized, in order

  std::string crate_name;
  std::vector<std::string> crate_types;  // as given ("lib", "bin", …); empty with --test
  bool test_harness = false;             // --test
  std::string input;                     // source path as given ("-" = stdin)
  std::string out_dir;                   // absolute, or empty
  std::string output_file;               // -o, absolute, or empty
  std::vector<EmitRequest> emits;        // empty means rustc's default (link)
  std::string extra_filename;            // -C extra-filename
  std::vector<ExternArg> externs;
  std::vector<LibSearchPath> lib_paths;
  std::vector<std::string> native_libs;  // -l values ([kind[:mods]=]name[:rename])
  std::string target;                    // --target value (triple or .json path)
  std::string linker;                    // -C linker value
  std::string incremental_dir;           // -C incremental value, absolute: rustc's own cache, no output
  bool user_remaps = false;              // the user passed --remap-path-prefix/-scope
  bool native_cpu = false;               // -C target-cpu=native: the key needs what it resolves to
  std::string edition;

  /// Why this invocation cannot be cached (empty: cacheable). A short slug such as
  /// "incremental", "probe", "stdin", "unsupported-argument".
  std::string not_cacheable;
  std::string not_cacheable_detail;

  /// True when the invocation emits `link` and a crate type produces a linked artifact
  /// (bin, dylib, cdylib, staticlib, proc-macro, test harness).
  bool links() const;
  /// Crate types for stats: the given ones joined by ',' or "test" for --test, "bin" by default.
  std::string crate_type_label() const;
  /// True when `kind` was requested with --emit (or is rustc's default "link").
  bool emits_kind(const std::string& kind) const;
};

/// Parses rustc's arguments (after the rustc path). `cwd` must be absolute. Never fails on
/// an unknown flag: the invocation is marked not cacheable instead (fail open). Errors only
/// when an argfile cannot be read.
Result<RustcInvocation> parse_rustc_invocation(const std::vector<std::string>& args, const std::string& cwd);

}  // namespace kiln

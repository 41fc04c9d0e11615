// The rustdoc invocation model: what one `rustdoc …` command line from cargo asks for
// (`cargo doc` runs `$RUSTDOC --crate-type lib --crate-name foo src/lib.rs -o target/doc …`;
// `cargo test --doc` runs `$RUSTDOC --test …`). Flags: `rustdoc --help` and the rustdoc book,
// "Command-line arguments" (https://doc.rust-lang.org/rustdoc/command-line-arguments.html).
//
// kiln caches a documentation run only when it understands every flag: what a flag does to
// the pages of other crates (the shared files rustdoc merges into the doc root) must be known,
// because kiln merges those itself (rustdoc/doc_parts.h). Anything else — doctests, JSON
// output, themes, resource suffixes, rustdoc's own merge flags — is passed through as it is,
// with the reason.
#pragma once

#include <string>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// One rustdoc command line, parsed.
struct RustdocInvocation {
  std::string cwd;                // absolute working directory
  std::vector<std::string> args;  // rustdoc's arguments, argfiles expanded, as given
  std::string crate_name;
  std::string crate_type;         // as given ("lib", "bin", "proc-macro"…), "lib" when absent
  std::string input;              // the crate root, as given
  std::string out_dir;            // absolute (-o / --out-dir / --output; rustdoc's default "doc")
  bool out_dir_given = false;     // false: rustdoc's default
  size_t out_dir_arg = 0;         // index in `args` of the out dir's value (or of "--out-dir=…")
  bool out_dir_joined = false;    // given as one argument ("-oDIR", "--out-dir=DIR")
  std::vector<std::string> externs;         // "name=path" values of --extern, as given
  std::vector<std::string> dependency_dirs; // -L dependency=DIR (and bare -L DIR) values
  /// Flags that also shape the pages rustdoc writes for the doc root as a whole (help.html,
  /// settings.html): --html-in-header/-before-content/-after-content, --default-theme,
  /// --default-setting, each followed by its value.
  std::vector<std::string> page_args;
  bool probe = false;  // -V/--version/-vV/--help: a question about rustdoc, not a run

  /// Why this run is not cached (empty: it is). Slugs: "doctest", "probe", "stdin",
  /// "unsupported-argument", "rustdoc-output-format".
  std::string not_cacheable;
  std::string not_cacheable_detail;
};

/// Parses rustdoc's arguments (after the rustdoc path); `cwd` must be absolute. Never fails
/// on a flag it does not know: the run is then marked not cacheable. Errors: an argfile
/// cannot be read.
Result<RustdocInvocation> parse_rustdoc_invocation(const std::vector<std::string>& args, const std::string& cwd);

}  // namespace kiln

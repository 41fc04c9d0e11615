// Expansion of rustc `@path` argument files. cargo falls back to an argfile
// (`@/tmp/cargo-argfile.XXXX`, one argument per line) when a command line is too long.
// Format: rustc book, "Command-line arguments" → `@path`.
#pragma once

#include <string>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// Returns `args` with every `@path` replaced by the lines of that file (relative to `cwd`).
/// Errors: an argfile cannot be read or is not UTF-8 text.
Result<std::vector<std::string>> expand_argfiles(const std::vector<std::string>& args, const std::string& cwd);

}  // namespace kiln

// The RUSTC_WRAPPER entry point: the whole flow for one rustc invocation,
//   parse → key → lookup → (hit: replay) | (miss: execute → store),
// failing open: any internal error runs the real rustc and says why on stderr.
#pragma once

#include <string>
#include <vector>

namespace kiln {

/// Handles `kiln [workspace-wrapper] rustc ARGS…` as cargo invokes a RUSTC_WRAPPER
/// (https://doc.rust-lang.org/cargo/reference/config.html#buildrustc-wrapper). `command`
/// starts at the rustc (or workspace wrapper) path. Returns rustc's exit code; may exec
/// rustc directly and not return at all.
int run_wrapper(const std::vector<std::string>& command);

/// True when `path` names a rustc binary (its file name starts with "rustc").
bool looks_like_rustc(const std::string& path);

}  // namespace kiln

// The rustc action kind: one rustc (or clippy-driver) invocation as cargo hands it to a
// RUSTC_WRAPPER (https://doc.rust-lang.org/cargo/reference/config.html#buildrustc-wrapper):
// parse the command line, resolve the real compiler behind a rustup proxy, anchors, pre-key
// (key/action_key.h); on a hit restore the outputs and replay rustc's output; on a miss run
// the real rustc traced and record its outputs (core/record.h). When the crate is a build
// script, a launcher is left where cargo expects the binary, so that cargo's run of it is an
// action too (action/build_script_action.h).
#pragma once

#include <string>
#include <vector>

namespace kiln {

/// Handles `kiln [workspace-wrapper] rustc ARGS…`. `command` starts at the rustc (or
/// workspace wrapper) path. Returns rustc's exit code; may exec rustc and not return.
int run_wrapper(const std::vector<std::string>& command);

/// True when `path` names a rustc binary (its file name starts with "rustc").
bool looks_like_rustc(const std::string& path);

}  // namespace kiln

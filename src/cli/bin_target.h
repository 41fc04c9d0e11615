// The binary target a command is about (`cargo kiln package`, `cargo kiln containerfile`),
// from `cargo metadata --no-deps` of the workspace in the current directory.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "util/expected.h"

namespace kiln {

/// A bin target and the metadata around it.
struct BinTarget {
  std::string name;          // the target's name ("rg")
  nlohmann::json package;    // its package, as cargo metadata gives it
  nlohmann::json metadata;   // the whole `cargo metadata` document (target_directory, workspace_root)
};

/// The bin target named `bin`, or the workspace's only one when `bin` is "". Errors: cargo
/// metadata failed; no bin target; several and none chosen (naming them, with --bin NAME).
Result<BinTarget> find_bin_target(const std::string& bin);

}  // namespace kiln

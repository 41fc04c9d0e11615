// rustc's dep-info (`--emit=dep-info`, the `.d` file): a Makefile fragment listing the
// files a compilation read, followed by `# env-dep:NAME=VALUE` lines for `env!`/`option_env!`.
// Format: rustc_interface::passes::write_out_deps (spaces escaped as "\ ", env values
// escaped with "\n", "\r" and "\\"); cargo reads it in cargo/core/compiler/fingerprint/dep_info.rs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// One `# env-dep:` line: the variable and its value at compile time (nullopt: unset).
struct EnvDep {
  std::string name;
  std::optional<std::string> value;
  bool operator==(const EnvDep&) const = default;
};

/// What a dep-info file says.
struct DepInfo {
  std::vector<std::string> targets;  // targets of the first rule (the .d file comes first)
  std::vector<std::string> inputs;   // prerequisites of the first rule, unescaped, in order
  std::vector<EnvDep> env_deps;
};

/// Parses dep-info text. Errors: no rule at all.
Result<DepInfo> parse_dep_info(std::string_view text);

}  // namespace kiln

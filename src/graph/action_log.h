// The action log: every cacheable action of a build, as the wrapper prepared it, appended to
// the file KILN_ACTION_LOG names (one JSON object per line, in the order the actions started —
// an order in which every action comes after the actions it depends on, since cargo starts a
// unit only when its dependencies have produced what it needs). `cargo kiln containerfile`
// reads it to write the crate graph as stages (graph/containerfile.h).
#pragma once

#include <string>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// The variable naming the log file; unset: nothing is logged.
inline constexpr const char* kActionLogVar = "KILN_ACTION_LOG";

/// One action as logged.
struct LoggedAction {
  std::string name;   // crate name ("serde", "build_script_build")
  std::string label;  // crate type ("lib", "bin", …) or "run" for a build-script run
  std::vector<std::string> argv;  // what a miss runs (resolved programs, kiln's remaps)
  std::string cwd;
  std::vector<std::string> env;     // the action's whole environment ("NAME=value")
  std::vector<std::string> inputs;  // declared inputs (exec/executor.h ExecRequest::inputs)
};

/// Appends `a` to the log when KILN_ACTION_LOG is set (one write, O_APPEND: concurrent
/// wrappers never interleave). Errors are ignored: the log never changes a build.
void log_action(const LoggedAction& a);

/// Reads a log. Errors: unreadable; lines that do not parse are skipped.
Result<std::vector<LoggedAction>> read_action_log(const std::string& path);

}  // namespace kiln

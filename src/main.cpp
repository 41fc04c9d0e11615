// kiln's entry point. One binary, several roles, chosen by how it is called:
//   cargo-kiln kiln ARGS…        → the cargo subcommand (cli/cargo_subcommand.cpp)
//   kiln /path/to/rustc ARGS…    → the RUSTC_WRAPPER (action/rustc_action.cpp)
//   kiln build-script-run BIN …  → a build script's run, from its launcher (action/build_script_action.cpp)
//   kiln-rustdoc ARGS…           → cargo's RUSTDOC under `cargo kiln` (action/rustdoc_action.cpp)
//   kiln COMMAND …               → kiln's own commands (cli/kiln_command.cpp)
#include <string>
#include <vector>

#include "cli/commands.h"
#include "action/build_script_action.h"
#include "action/rustc_action.h"
#include "action/rustdoc_action.h"
#include "util/fs.h"

int main(int argc, char** argv) {
  std::string self = argc > 0 ? kiln::base_name(argv[0]) : "kiln";
  std::vector<std::string> rest(argv + (argc > 0 ? 1 : 0), argv + argc);

  if (self == "cargo-kiln") {
    if (!rest.empty() && rest[0] == "kiln") rest.erase(rest.begin());
    return kiln::run_cargo_subcommand(rest);
  }
  if (self == kiln::kRustdocShimName) return kiln::run_rustdoc(rest);
  if (!rest.empty()) {
    const std::string& first = rest[0];
    bool is_path = first.find('/') != std::string::npos;
    if (is_path || kiln::looks_like_rustc(first) || first == "clippy-driver") return kiln::run_wrapper(rest);
    if (first == kiln::kBuildScriptRunCommand) {  // a build script's launcher (action/build_script_action.h)
      rest.erase(rest.begin());
      return kiln::run_build_script(rest);
    }
    if (first == "cargo") {  // `kiln cargo build …` is the same as `cargo kiln build …`
      rest.erase(rest.begin());
      return kiln::run_cargo_subcommand(rest);
    }
  }
  return kiln::run_kiln_command(argc, argv);
}

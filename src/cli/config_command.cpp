// `kiln config`: every effective setting with where it came from (default, user file,
// Cargo.toml, environment), credentials masked. `kiln config --doc`: what each key means.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "config/config.h"

namespace kiln {
namespace {

void print_doc() {
  std::printf(
      "kiln's settings, lowest precedence first:\n"
      "  1. built-in defaults\n"
      "  2. the user file $XDG_CONFIG_HOME/kiln/config.toml (else ~/.config/kiln/config.toml),\n"
      "     top-level keys\n"
      "  3. the workspace root's Cargo.toml (found from the current directory upward):\n"
      "     [workspace.metadata.kiln], then [package.metadata.kiln]\n"
      "  4. environment variables KILN_*\n"
      "Credentials for a remote can also be given in its URL (scheme://user:password@host/…).\n\n");
  for (const auto& k : config_key_docs()) {
    std::printf("%s  (env %s)\n", k.name.c_str(), k.env.c_str());
    std::printf("    value:   %s\n", k.syntax.c_str());
    std::printf("    default: %s\n", k.default_text.c_str());
    // Wrap the description at ~88 columns.
    std::string line = "   ";
    size_t i = 0;
    const std::string& d = k.doc;
    while (i < d.size()) {
      size_t j = d.find(' ', i);
      if (j == std::string::npos) j = d.size();
      std::string word = d.substr(i, j - i);
      if (line.size() + 1 + word.size() > 88) {
        std::printf("%s\n", line.c_str());
        line = "   ";
      }
      line += " " + word;
      i = j + 1;
    }
    std::printf("%s\n\n", line.c_str());
  }
}

}  // namespace

int run_config_command(bool doc) {
  if (doc) {
    print_doc();
    return 0;
  }
  ConfigReport r = explain_config(ConfigInputs::from_process());
  for (const auto& w : r.warnings) std::fprintf(stderr, "kiln: warning: config: %s\n", w.c_str());
  std::printf("# user file: %s%s\n", r.user_file.c_str(), r.user_file_found ? "" : " (not found)");
  std::printf("# Cargo.toml: %s\n", r.cargo_toml.empty() ? "(none found)" : r.cargo_toml.c_str());
  size_t width = 0;
  for (const auto& k : config_key_docs()) {
    std::string lhs = k.name + " = " + config_value_text(r.config, k.name);
    width = std::max(width, lhs.size());
  }
  width = std::min<size_t>(width, 60);
  for (const auto& k : config_key_docs()) {
    std::string lhs = k.name + " = " + config_value_text(r.config, k.name);
    std::printf("%-*s  # %s\n", static_cast<int>(width), lhs.c_str(), r.origin[k.name].c_str());
  }
  return 0;
}

}  // namespace kiln

// kiln's settings. Today from the environment (KILN_*) with built-in defaults; the layered
// config files (user config.toml, Cargo.toml metadata) plug in here.
//   KILN_DIR        store directory (default $XDG_CACHE_HOME/kiln, else ~/.cache/kiln)
//   KILN_REMAP      "on" (default) or "off": add --remap-path-prefix for path-independent outputs
//   KILN_DISABLE    "1": run rustc directly, count nothing
//   KILN_CACHE_SIZE local store cap, e.g. "10G", "500M" (default 10 GiB)
//   KILN_REMOTE     space-separated remote store URLs (http://, https://, redis://, oci://)
//   KILN_REMOTE_TIMEOUT  per-build bound on remote traffic, ms (default 5000)
//   KILN_UPLOAD     "all" (default) or "dependencies" (never upload workspace crates)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// Effective settings for this process.
struct Config {
  std::string dir;
  bool remap = true;
  bool disabled = false;
  uint64_t cache_size_bytes = 10ull << 30;
  std::vector<std::string> remotes;  // URLs, each possibly with a "#read-only"/"#write-only" suffix
  int remote_timeout_ms = 5000;
  std::string upload = "all";  // "all" | "dependencies"
};

/// Reads the settings from the environment.
Config load_config();

/// Parses a size such as "10G", "500M", "1024K", "123" (bytes; binary units). 0 on bad input.
uint64_t parse_size(const std::string& text);

}  // namespace kiln

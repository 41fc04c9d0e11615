// kiln's settings. Today from the environment (KILN_*) with built-in defaults; the layered
// config files (user config.toml, Cargo.toml metadata) plug in here.
//   KILN_DIR        store directory (default $XDG_CACHE_HOME/kiln, else ~/.cache/kiln)
//   KILN_REMAP      "on" (default) or "off": add --remap-path-prefix for path-independent outputs
//   KILN_DISABLE    "1": run rustc directly, count nothing
//   KILN_CACHE_SIZE local store cap, e.g. "10G", "500M" (default 10 GiB)
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

/// Effective settings for this process.
struct Config {
  std::string dir;
  bool remap = true;
  bool disabled = false;
  uint64_t cache_size_bytes = 10ull << 30;
};

/// Reads the settings from the environment.
Config load_config();

/// Parses a size such as "10G", "500M", "1024K", "123" (bytes; binary units). 0 on bad input.
uint64_t parse_size(const std::string& text);

}  // namespace kiln

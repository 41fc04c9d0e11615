// Settings from the environment (see config.h).
#include "config/config.h"

#include <cctype>
#include <cstdlib>

namespace kiln {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

uint64_t parse_size(const std::string& text) {
  if (text.empty()) return 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v < 0) return 0;
  std::string unit(end);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'B') unit.pop_back();
  if (!unit.empty() && unit.back() == 'I') unit.pop_back();
  double mult = 1;
  if (unit == "K") mult = 1024.0;
  else if (unit == "M") mult = 1024.0 * 1024;
  else if (unit == "G") mult = 1024.0 * 1024 * 1024;
  else if (unit == "T") mult = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty()) return 0;
  return static_cast<uint64_t>(v * mult);
}

Config load_config() {
  Config c;
  c.dir = env("KILN_DIR");
  if (c.dir.empty()) {
    std::string xdg = env("XDG_CACHE_HOME");
    c.dir = !xdg.empty() ? xdg + "/kiln" : env("HOME") + "/.cache/kiln";
  }
  std::string remap = env("KILN_REMAP");
  c.remap = !(remap == "off" || remap == "0" || remap == "false" || remap == "no");
  std::string dis = env("KILN_DISABLE");
  c.disabled = dis == "1" || dis == "true" || dis == "yes";
  if (uint64_t s = parse_size(env("KILN_CACHE_SIZE")); s > 0) c.cache_size_bytes = s;
  std::string remotes = env("KILN_REMOTE");
  size_t i = 0;
  while (i < remotes.size()) {
    size_t j = remotes.find(' ', i);
    if (j == std::string::npos) j = remotes.size();
    if (j > i) c.remotes.push_back(remotes.substr(i, j - i));
    i = j + 1;
  }
  if (std::string t = env("KILN_REMOTE_TIMEOUT"); !t.empty()) c.remote_timeout_ms = std::atoi(t.c_str());
  if (std::string u = env("KILN_UPLOAD"); !u.empty()) c.upload = u;
  return c;
}

}  // namespace kiln

// Resolving rustup proxies (see rustup.h).
#include "rustc/rustup.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <toml++/toml.h>

#include "util/fs.h"
#include "util/process.h"

namespace kiln {
namespace {

std::string rustup_home() {
  const char* home = std::getenv("HOME");
  return env_or("RUSTUP_HOME", std::string(home ? home : "") + "/.rustup");
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

// The toolchain a rust-toolchain(.toml) file names: a channel, or a path (prefixed "path:").
std::string toolchain_from_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return {};
  if (text->find('[') == std::string::npos && text->find('=') == std::string::npos) return trim(*text);  // legacy
  try {
    toml::table t = toml::parse(*text, path);
    if (auto p = t["toolchain"]["path"].value<std::string>()) return "path:" + absolute_path(*p, dir_name(path));
    if (auto c = t["toolchain"]["channel"].value<std::string>()) return *c;
  } catch (const std::exception&) {
  }
  return {};
}

// rustup's choice for `cwd`, as a toolchain name or "path:DIR"; "" when it cannot tell.
std::string active_toolchain(const std::string& cwd) {
  if (const char* t = std::getenv("RUSTUP_TOOLCHAIN"); t && *t) return std::string(t).find('/') != std::string::npos ? std::string("path:") + t : t;
  toml::table settings;
  if (auto text = read_file(rustup_home() + "/settings.toml")) {
    try {
      settings = toml::parse(*text);
    } catch (const std::exception&) {
    }
  }
  for (std::string d = cwd; !d.empty(); d = dir_name(d)) {
    if (auto o = settings["overrides"][d].value<std::string>()) return *o;
    for (const char* f : {"/rust-toolchain.toml", "/rust-toolchain"}) {
      if (path_exists(d + f)) {
        std::string t = toolchain_from_file(d + f);
        if (!t.empty()) return t;
      }
    }
    if (d == "/") break;
  }
  if (auto def = settings["default_toolchain"].value<std::string>()) return *def;
  return {};
}

// The directory of toolchain `name` under $RUSTUP_HOME/toolchains: exactly `name`, or the one
// entry `name-<host triple>`.
std::string toolchain_dir(const std::string& name) {
  if (name.rfind("path:", 0) == 0) return name.substr(5);
  std::string dir = rustup_home() + "/toolchains";
  if (path_exists(dir + "/" + name + "/bin")) return dir + "/" + name;
  std::string found;
  for (const auto& e : list_dir(dir)) {
    if (e.rfind(name + "-", 0) != 0) continue;
    // "<name>-<arch>-…": the rest must be a target triple, not a longer version ("1.9" vs "1.95").
    std::string rest = e.substr(name.size() + 1);
    if (rest.find('-') == std::string::npos || std::isdigit(static_cast<unsigned char>(rest[0]))) continue;
    if (!found.empty()) return {};  // ambiguous
    found = dir + "/" + e;
  }
  return found;
}

}  // namespace

bool is_rustup_proxy(const std::string& path) {
  struct stat self {}, rustup {};
  if (::stat(path.c_str(), &self) != 0) return false;
  if (::stat((dir_name(path) + "/rustup").c_str(), &rustup) != 0) return false;
  return self.st_ino == rustup.st_ino && self.st_dev == rustup.st_dev;
}

Result<std::string> resolve_tool(const std::string& tool, const std::string& cwd) {
  std::string path = tool;
  if (path.find('/') == std::string::npos) {
    auto found = find_in_path(path);
    if (!found) return make_error(tool + " not found on PATH");
    path = *found;
  }
  path = absolute_path(path, cwd);
  if (!is_rustup_proxy(path)) return path;
  std::string name = base_name(path);
  std::string dir = toolchain_dir(active_toolchain(cwd));
  if (!dir.empty() && path_exists(dir + "/bin/" + name)) return dir + "/bin/" + name;
  // Not settled from the files: ask rustup (a few ms, only for this unusual setup).
  auto which = run_process({dir_name(path) + "/rustup", "which", name});
  if (which && which->exit_code == 0) {
    std::string real = trim(which->stdout_data);
    if (!real.empty() && path_exists(real)) return real;
  }
  return make_error("cannot tell which toolchain the rustup proxy " + path + " would run");
}

}  // namespace kiln

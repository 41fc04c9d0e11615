// Key computation (see action_key.h and docs/cache-key.md for each input and why).
#include "key/action_key.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "key/file_digests.h"
#include "util/fs.h"

extern char** environ;

namespace kiln {
namespace {

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// CARGO_* variables that do not change rustc's output, or are local paths/tools: cargo's
// own settings (terminal, network, registries, jobs) and where cargo and its home live.
bool excluded_cargo_var(const std::string& name) {
  static const char* names[] = {"CARGO", "CARGO_MAKEFLAGS", "CARGO_HOME", "CARGO_TARGET_DIR", "CARGO_INCREMENTAL",
                                "CARGO_LOG"};
  for (auto* n : names)
    if (name == n) return true;
  static const char* prefixes[] = {"CARGO_TERM_", "CARGO_NET_", "CARGO_HTTP_", "CARGO_REGISTRIES_",
                                   "CARGO_REGISTRY_", "CARGO_BUILD_", "CARGO_CACHE_", "CARGO_ALIAS_"};
  for (auto* p : prefixes)
    if (starts_with(name, p)) return true;
  return false;
}

// Finds lib<name>.a / .so / .rlib for `-l [kind[:mods]=]name[:rename]` in the -L dirs.
std::string find_native_lib(const RustcInvocation& inv, const std::string& spec) {
  std::string name = spec;
  size_t eq = name.find('=');
  if (eq != std::string::npos) name = name.substr(eq + 1);
  size_t colon = name.find(':');
  if (colon != std::string::npos) name = name.substr(0, colon);
  for (const auto& lp : inv.lib_paths) {
    if (lp.kind == "dependency" || lp.kind == "crate") continue;
    std::string dir = absolute_path(lp.path, inv.cwd);
    for (const char* pat : {"lib%s.a", "lib%s.so", "%s.lib", "lib%s.rlib"}) {
      char buf[512];
      std::snprintf(buf, sizeof buf, pat, name.c_str());
      std::string cand = dir + "/" + buf;
      if (path_exists(cand)) return cand;
    }
  }
  return {};
}

}  // namespace

bool is_build_output(const PathAnchors& anchors, const std::string& abs_path) {
  return anchors.portable_path(abs_path).rfind(anchor_token("target"), 0) == 0;
}

KeyBuilder::KeyBuilder(std::string domain) { add("domain", domain); }

void KeyBuilder::add(const std::string& label, const std::string& value) {
  hash_.field(label);
  hash_.field(value);
  if (lines_.size() < 4096) lines_.push_back(label + ": " + value);
}

Digest KeyBuilder::finish() { return hash_.finish(); }

std::vector<std::string> key_environment(const PathAnchors& anchors) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (!eq) continue;
    std::string name(*e, static_cast<size_t>(eq - *e));
    bool take = false;
    if (starts_with(name, "CARGO_")) take = !excluded_cargo_var(name);
    else if (name == "RUSTC_BOOTSTRAP" || name == "CLIPPY_ARGS" || name == "CLIPPY_CONF_DIR" ||
             name == "LIBRARY_PATH" || name == "OUT_DIR" || name == "__CARGO_DEFAULT_LIB_METADATA")
      take = true;
    if (take) out.push_back(name + "=" + anchors.portable_text(eq + 1));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<PreKey> compute_pre_key(const RustcInvocation& inv, const Toolchain& toolchain, const PathAnchors& anchors,
                               const KeyOptions& options) {
  KeyBuilder k("kiln-pre-key-v1");
  k.add("toolchain", toolchain.identity().hex());
  k.add("remap", options.remap ? "on" : "off");
  if (!inv.workspace_wrapper.empty()) {
    auto d = cached_file_digest(options.digest_cache_dir, inv.workspace_wrapper);
    if (!d) return d.error();
    k.add("workspace-wrapper", base_name(inv.workspace_wrapper) + " " + d->hex());
  }

  std::vector<std::string> cfgs, check_cfgs, lib_paths;
  std::vector<std::pair<std::string, std::string>> externs;
  for (const auto& a : inv.parsed) {
    const std::string& f = a.flag;
    if (f.empty()) {
      k.add("input", anchors.portable_path(a.value));
    } else if (f == "--cfg") {
      cfgs.push_back(a.value);
    } else if (f == "--check-cfg") {
      check_cfgs.push_back(a.value);
    } else if (f == "-L") {
      size_t eq = a.value.find('=');
      std::string kind, path = a.value;
      if (eq != std::string::npos && a.value.find('/') > eq) {
        kind = a.value.substr(0, eq);
        path = a.value.substr(eq + 1);
      }
      lib_paths.push_back(kind + "=" + anchors.portable_path(absolute_path(path, inv.cwd)));
    } else if (f == "--extern") {
      continue;  // below, from inv.externs
    } else if (f == "--out-dir" || f == "-o" || f == "--sysroot") {
      k.add("arg " + f, anchors.portable_path(absolute_path(a.value, inv.cwd)));
    } else if (f == "--emit") {
      k.add("arg --emit", anchors.portable_text(a.value));
    } else if (f == "--target" && a.value.size() > 5 && a.value.substr(a.value.size() - 5) == ".json") {
      auto d = cached_file_digest(options.digest_cache_dir, absolute_path(a.value, inv.cwd));
      if (!d) return d.error();
      k.add("target-spec", base_name(a.value) + " " + d->hex());
    } else if (f == "-C" && (a.value.rfind("incremental=", 0) == 0)) {
      // Whether it is incremental, not where its cache lives (outputs are correct either way,
      // not bit-identical: the key keeps the two apart).
      k.add("arg -C", "incremental");
    } else if (f == "-C" && inv.native_cpu && (a.value == "target-cpu=native" || a.value == "target_cpu=native")) {
      if (options.native_cpu.empty()) return make_error("-C target-cpu=native was not resolved");
      k.add("arg -C", "target-cpu=native " + options.native_cpu);
    } else {
      k.add("arg " + f, anchors.portable_text(a.value));
    }
  }
  std::sort(cfgs.begin(), cfgs.end());
  for (const auto& c : cfgs) k.add("cfg", c);
  std::sort(check_cfgs.begin(), check_cfgs.end());
  for (const auto& c : check_cfgs) k.add("check-cfg", c);
  std::sort(lib_paths.begin(), lib_paths.end());
  for (const auto& l : lib_paths) k.add("lib-path", l);

  for (const auto& e : inv.externs) {
    std::string v = e.modifiers + ":" + e.name;
    if (!e.path.empty()) {
      std::string file = absolute_path(e.path, inv.cwd);
      auto d = file_digest(file, is_build_output(anchors, file));
      if (!d) return d.error();
      v += " " + base_name(e.path).substr(base_name(e.path).rfind('.') + 1) + " " + d->hex();
    }
    externs.emplace_back(e.name, v);
  }
  std::sort(externs.begin(), externs.end());
  for (const auto& [name, v] : externs) k.add("extern", v);

  for (const auto& lib : inv.native_libs) {
    std::string file = find_native_lib(inv, lib);
    if (file.empty()) {
      k.add("native-lib", lib + " (system)");
      continue;
    }
    auto d = is_build_output(anchors, file) ? file_digest(file, true) : cached_file_digest(options.digest_cache_dir, file);
    if (!d) return d.error();
    k.add("native-lib", lib + " " + d->hex());
  }

  if (inv.links()) {
    std::string linker = inv.linker.empty() ? "cc" : inv.linker;
    auto found = find_in_path(linker);
    std::string digest = "missing";
    if (found) {
      auto d = cached_file_digest(options.digest_cache_dir, absolute_path(*found, inv.cwd));
      if (d) digest = d->hex();
    }
    k.add("linker", base_name(linker) + " " + digest);
  }

  for (const auto& e : key_environment(anchors)) k.add("env", e);
  PreKey pk;
  pk.digest = k.finish();
  pk.lines = k.lines();
  return pk;
}

Digest compute_full_key(const Digest& pre_key, const SourceSet& sources) {
  Sha256 h;
  h.field("kiln-full-key-v1");
  h.field(pre_key.hex());
  for (const auto& f : sources.files) {
    h.field(f.path);
    h.field(f.digest.hex());
  }
  for (const auto& e : sources.env_deps) {
    h.field(e.name);
    h.field(e.value ? "=" + *e.value : "unset");
  }
  if (!sources.listings.empty()) {
    h.field("listings");
    for (const auto& l : sources.listings) {
      h.field(l.dir);
      h.field(l.digest.hex());
    }
  }
  return h.finish();
}

Digest compute_path_bound_key(const Digest& full_key, const PathAnchors& anchors, const std::vector<std::string>& only) {
  if (!only.empty()) {
    Sha256 h;
    h.field("kiln-path-bound-v2");
    h.field(full_key.hex());
    for (const auto& name : only) {
      auto it = std::find_if(anchors.anchors().begin(), anchors.anchors().end(),
                             [&](const Anchor& a) { return a.name == name; });
      h.field(name);
      h.field(it == anchors.anchors().end() ? std::string("\0absent", 7) : it->dir);
    }
    return h.finish();
  }
  Sha256 h;
  h.field("kiln-path-bound-v1");
  h.field(full_key.hex());
  // The directories an output was scanned for (PathAnchors::scan_dirs): the sysroot's path
  // never made an entry path-bound, and its identity is in the key already, so a toolchain
  // installed elsewhere (a container's /usr/local/rust) finds the same entry.
  for (const auto& a : anchors.anchors()) {
    if (a.name == "sysroot") continue;
    h.field(a.name);
    h.field(a.dir);
  }
  return h.finish();
}

Digest compute_manifest_key(const Digest& pre_key) {
  Sha256 h;
  h.field("kiln-manifest-v1");
  h.field(pre_key.hex());
  return h.finish();
}

}  // namespace kiln

// Anchor discovery and path/text rewriting (see path_anchors.h).
#include "key/path_anchors.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "util/fs.h"
#include "util/process.h"

namespace kiln {
namespace {

// True when the character after a matched directory ends a path component.
bool at_boundary(const std::string& s, size_t end) { return end >= s.size() || !continues_path_component(s[end]); }

// True when a match at `pos` starts a path: not the tail of a longer one ("/x/tmp/a"), nor
// right after a token (the rest of a longer anchor's path, already replaced); a short flag
// glued to the path ("-L/tmp/a", "-I/tmp/a") does start one.
bool starts_path(const std::string& s, size_t pos) {
  if (pos == 0) return true;
  char prev = s[pos - 1];
  if (!continues_path_component(prev) && prev != '}') return true;
  return pos >= 2 && s[pos - 2] == '-' && std::isalpha(static_cast<unsigned char>(prev)) &&
         (pos == 2 || !continues_path_component(s[pos - 3]));
}

void replace_all(std::string& s, std::string_view from, std::string_view to, bool boundary) {
  if (from.empty()) return;
  std::string out;
  size_t done = 0, pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    if (boundary && !(starts_path(s, pos) && at_boundary(s, pos + from.size()))) {
      ++pos;
      continue;
    }
    out.append(s, done, pos - done);
    out.append(to);
    pos += from.size();
    done = pos;
  }
  if (done == 0) return;
  out.append(s, done, std::string::npos);
  s = std::move(out);
}

}  // namespace

bool continues_path_component(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '~' || c == '+';
}

std::string find_target_dir(const std::string& dir) {
  std::string d = dir;
  for (int i = 0; i < 6 && d.size() > 1; ++i) {
    if (path_exists(d + "/CACHEDIR.TAG")) return d;
    d = dir_name(d);
  }
  return {};
}

std::string anchor_token(const std::string& name) { return "{{kiln:" + name + "}}"; }

void PathAnchors::add(Anchor a) {
  while (a.dir.size() > 1 && a.dir.back() == '/') a.dir.pop_back();
  if (a.dir.empty()) return;
  for (const auto& existing : anchors_)
    if (existing.dir == a.dir || existing.name == a.name) return;
  anchors_.push_back(std::move(a));
  std::stable_sort(anchors_.begin(), anchors_.end(),
                   [](const Anchor& x, const Anchor& y) { return x.dir.size() > y.dir.size(); });
}

PathAnchors PathAnchors::for_invocation(const RustcInvocation& inv, const std::string& sysroot) {
  PathAnchors p;
  bool local_only = !inv.input.empty() && inv.input[0] != '/';
  std::string out_dir = inv.out_dir.empty() ? dir_name(inv.output_file) : inv.out_dir;
  std::string target = find_target_dir(out_dir);
  if (!target.empty()) p.add({"target", target, "/kiln/target"});
  std::string manifest = env_or("CARGO_MANIFEST_DIR", "");
  if (local_only) {
    p.add({"ws", inv.cwd, "."});
    if (!manifest.empty() && !path_is_under(manifest, inv.cwd)) {
      p.add({"pkg", manifest, "/kiln/registry/" + env_or("CARGO_PKG_NAME", "pkg") + "-" + env_or("CARGO_PKG_VERSION", "0")});
    }
  } else if (!manifest.empty()) {
    p.add({"pkg", manifest, "/kiln/registry/" + env_or("CARGO_PKG_NAME", "pkg") + "-" + env_or("CARGO_PKG_VERSION", "0")});
    if (inv.cwd != manifest) p.add({"ws", inv.cwd, ""});
  } else {
    p.add({"ws", inv.cwd, ""});
  }
  if (!sysroot.empty()) p.add({"sysroot", sysroot, ""});
  return p;
}

std::string PathAnchors::portable_path(const std::string& path) const {
  if (path.empty()) return path;
  std::string raw = path;
  if (raw[0] != '/') {
    // Relative paths are relative to cwd, which is itself the "ws" anchor or under one.
    for (const auto& a : anchors_)
      if (a.name == "ws") raw = a.dir + "/" + path;
  }
  std::string abs = raw[0] == '/' ? normalize_path(raw) : raw;
  for (const auto& a : anchors_) {
    if (path_is_under(abs, a.dir)) return anchor_token(a.name) + abs.substr(a.dir.size());
  }
  // Outside every anchor, but reached from one through "..": it stays relative to that
  // anchor ("{{kiln:ws}}/../shared/data.txt"), so that another checkout checks its own file.
  for (const auto& a : anchors_) {
    if (a.name == "sysroot" || a.dir.size() < 2) continue;
    if (raw.size() > a.dir.size() && raw.compare(0, a.dir.size(), a.dir) == 0 && raw[a.dir.size()] == '/')
      return anchor_token(a.name) + "/" + normalize_path(raw.substr(a.dir.size() + 1));
  }
  return abs;
}

std::string PathAnchors::local_path(const std::string& portable) const { return local_text(portable); }

std::string PathAnchors::portable_text(std::string_view text) const {
  std::string s(text);
  for (const auto& a : anchors_) {
    if (a.dir.size() < 2) continue;
    replace_all(s, a.dir, anchor_token(a.name), true);
  }
  return s;
}

std::string PathAnchors::local_text(std::string_view text) const {
  std::string s(text);
  if (s.find("{{kiln:") == std::string::npos) return s;
  for (const auto& a : anchors_) replace_all(s, anchor_token(a.name), a.dir, false);
  return s;
}

std::vector<std::string> PathAnchors::remap_args() const {
  // anchors_ is longest-first; rustc applies the last matching remap, so emit shortest first.
  std::vector<std::string> out;
  for (auto it = anchors_.rbegin(); it != anchors_.rend(); ++it) {
    if (it->remap_to.empty()) continue;
    out.push_back("--remap-path-prefix=" + it->dir + "=" + it->remap_to);
  }
  return out;
}

std::vector<Anchor> PathAnchors::scan_anchors() const {
  std::vector<Anchor> out;
  for (const auto& a : anchors_)
    if (a.name != "sysroot" && a.dir.size() >= 4) out.push_back(a);
  return out;
}

std::vector<std::string> PathAnchors::scan_dirs() const {
  std::vector<std::string> out;
  for (const auto& a : scan_anchors()) out.push_back(a.dir);
  return out;
}

}  // namespace kiln

// Output discovery after a compilation (see outputs.h for the naming rules).
#include "rustc/outputs.h"

#include <algorithm>

#include "util/fs.h"

namespace kiln {
namespace {

std::string stem_of_output_file(const std::string& path) {
  std::string b = base_name(path);
  size_t dot = b.find('.');
  return dot == std::string::npos ? b : b.substr(0, dot);
}

bool matches_stem(const std::string& name, const std::string& stem) {
  if (name.size() < stem.size() || name.compare(0, stem.size(), stem) != 0) return false;
  return name.size() == stem.size() || name[stem.size()] == '.';
}

}  // namespace

std::string dep_info_path(const RustcInvocation& inv) {
  for (const auto& e : inv.emits)
    if (e.kind == "dep-info" && !e.path.empty()) return e.path;
  if (!inv.output_file.empty()) {
    std::string dir = dir_name(inv.output_file);
    return path_join(dir, stem_of_output_file(inv.output_file) + ".d");
  }
  return path_join(inv.out_dir, inv.crate_name + inv.extra_filename + ".d");
}

OutputNames output_names(const RustcInvocation& inv) {
  OutputNames n;
  if (!inv.output_file.empty()) {
    n.dir = dir_name(inv.output_file);
    n.stems.push_back(stem_of_output_file(inv.output_file));
  } else {
    n.dir = inv.out_dir;
    n.stems.push_back(inv.crate_name + inv.extra_filename);
    n.stems.push_back("lib" + inv.crate_name + inv.extra_filename);
  }
  return n;
}

std::vector<std::string> collect_outputs(const RustcInvocation& inv, int64_t since_ns) {
  std::vector<std::string> out;
  auto [dir, stems] = output_names(inv);
  if (!inv.output_file.empty()) out.push_back(inv.output_file);
  for (const auto& name : list_dir(dir)) {
    bool match = std::any_of(stems.begin(), stems.end(), [&](const std::string& s) { return matches_stem(name, s); });
    if (!match) continue;
    std::string p = path_join(dir, name);
    auto st = stat_file(p);
    if (!st || !S_ISREG(st->mode) || st->mtime_ns < since_ns) continue;
    out.push_back(p);
  }
  for (const auto& e : inv.emits)
    if (!e.path.empty() && path_exists(e.path)) out.push_back(e.path);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace kiln

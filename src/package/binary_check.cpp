// readelf for a binary's needs, libarchive for the base's libraries (see binary_check.h).
#include "package/binary_check.h"

#include <set>

#include "util/fs.h"
#include "util/process.h"
#include "util/tar_archive.h"

namespace kiln {
namespace {

// Every "GLIBC_x.y" in text; the highest one ("" when none).
std::string highest_glibc(const std::string& text) {
  std::string best;
  size_t pos = 0;
  while ((pos = text.find("GLIBC_", pos)) != std::string::npos) {
    pos += 6;
    size_t end = pos;
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
    std::string v = text.substr(pos, end - pos);
    if (!v.empty() && std::isdigit(static_cast<unsigned char>(v[0])) && v.back() != '.' &&
        (best.empty() || compare_versions(v, best) > 0))
      best = v;
  }
  return best;
}

bool under_lib_dir(const std::string& path) {
  return path.find("lib/") != std::string::npos || path.find("lib64/") != std::string::npos;
}

}  // namespace

int compare_versions(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    long x = 0, y = 0;
    while (i < a.size() && a[i] != '.') x = x * 10 + (a[i++] - '0');
    while (j < b.size() && b[j] != '.') y = y * 10 + (b[j++] - '0');
    if (x != y) return x < y ? -1 : 1;
    ++i;
    ++j;
  }
  return 0;
}

Result<BinaryNeeds> read_binary_needs(const std::string& binary) {
  auto d = run_process({"readelf", "-d", "-V", "-W", binary});
  if (!d) return make_error("cannot run readelf (apt-get install binutils): " + d.error().message);
  if (d->exit_code != 0) return make_error(binary + " is not an ELF binary");
  BinaryNeeds n;
  size_t pos = 0;
  const std::string& out = d->stdout_data;
  while ((pos = out.find("(NEEDED)", pos)) != std::string::npos) {
    size_t open = out.find('[', pos), close = out.find(']', open);
    if (open == std::string::npos || close == std::string::npos) break;
    n.libraries.push_back(out.substr(open + 1, close - open - 1));
    pos = close;
  }
  size_t vr = out.find(".gnu.version_r");
  if (vr != std::string::npos) n.max_glibc = highest_glibc(out.substr(vr));
  return n;
}

Status check_binary_runs_on(const std::string& name, const BinaryNeeds& needs, const BaseImage& base) {
  const std::string fix = "build it in a toolchain image made from that base: add --container";
  if (base.scratch()) {
    if (needs.libraries.empty()) return {};
    return make_error(name + " is dynamically linked (it needs " + needs.libraries.front() +
                      "): --base scratch takes a static binary (e.g. --target x86_64-unknown-linux-musl), or "
                      "name a base with a libc");
  }
  std::set<std::string> present;
  std::string base_glibc;
  for (const auto& layer : base.layers) {
    auto st = read_tar(layer.path, [&](const TarEntry& e, const std::function<std::string(size_t)>& read) {
      if (!under_lib_dir(e.path) || e.type == 'd') return true;
      std::string file = base_name(e.path);
      present.insert(file);
      if (e.type == 'f' && (file.rfind("libc.so", 0) == 0 || file.rfind("libc-2.", 0) == 0)) {
        std::string v = highest_glibc(read(16u << 20));
        if (!v.empty() && (base_glibc.empty() || compare_versions(v, base_glibc) > 0)) base_glibc = v;
      }
      return true;
    });
    if (!st) return make_error("cannot read the base's layer " + layer.digest + ": " + st.error().message);
  }
  for (const auto& lib : needs.libraries)
    if (!present.count(lib)) return make_error(name + " needs " + lib + ", which " + base.ref + " lacks: " + fix);
  if (!needs.max_glibc.empty()) {
    if (base_glibc.empty()) return make_error(name + " needs glibc (GLIBC_" + needs.max_glibc + "), which " + base.ref + " lacks: " + fix);
    if (compare_versions(needs.max_glibc, base_glibc) > 0)
      return make_error(name + " needs GLIBC_" + needs.max_glibc + " but the libc of " + base.ref + " provides up to GLIBC_" +
                        base_glibc + ": " + fix);
  }
  return {};
}

}  // namespace kiln

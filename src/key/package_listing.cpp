// The package file list as a key input (see package_listing.h).
#include "key/package_listing.h"

#include <sys/stat.h>

#include <algorithm>
#include <vector>

#include "util/fs.h"

namespace kiln {
namespace {

// Appends "KIND relative/path" for everything below `dir` (whose relative name is `rel`).
// `newest` receives the newest mtime of `dir` and the directories below it.
void list_below(const std::string& dir, const std::string& rel, std::vector<std::string>& out, int64_t& newest) {
  for (const auto& name : list_dir(dir)) {
    std::string p = dir + "/" + name;
    std::string r = rel.empty() ? name : rel + "/" + name;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      out.push_back("l " + r);
    } else if (S_ISDIR(st.st_mode)) {
      if (is_build_or_vcs_dir(p)) continue;
      out.push_back("d " + r);
      newest = std::max(newest, timespec_ns(st.st_mtim));
      list_below(p, r, out, newest);
    } else if (S_ISREG(st.st_mode)) {
      out.push_back("f " + r);
    }
  }
}

}  // namespace

bool is_build_or_vcs_dir(const std::string& dir) {
  std::string name = base_name(dir);
  return name == ".git" || name == "target" || path_exists(dir + "/CACHEDIR.TAG");
}

Result<PackageListing> package_listing(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return make_error("not a directory: " + dir);
  PackageListing listing;
  listing.newest_dir_mtime_ns = timespec_ns(st.st_mtim);
  std::vector<std::string> entries;
  list_below(dir, "", entries, listing.newest_dir_mtime_ns);
  std::sort(entries.begin(), entries.end());
  Sha256 h;
  h.field("kiln-package-listing-v1");
  for (const auto& e : entries) h.field(e);
  listing.digest = h.finish();
  return listing;
}

}  // namespace kiln

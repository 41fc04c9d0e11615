// Restoring outputs and replaying rustc's output (see replay.h).
#include "core/replay.h"

#include <sys/stat.h>
#include <unistd.h>

#include "key/file_digests.h"
#include "util/fs.h"
#include "util/process.h"

namespace kiln {
namespace {

bool is_dep_info(const std::string& path) { return path.size() > 2 && path.substr(path.size() - 2) == ".d"; }

}  // namespace

Status restore_outputs(Store& store, const ActionResult& entry, const PathAnchors& anchors, bool remember_digests,
                       bool may_link) {
  // An evicted blob (the usual way an entry goes incomplete) is found before anything is written.
  for (const auto& of : entry.output_files) {
    auto have = store.has_blob(of.digest);
    if (!have) return have.error();
    if (!*have) return make_error("blob missing: " + of.digest.hex());
  }
  for (const auto& of : entry.output_files) {
    std::string path = anchors.local_path(of.path);
    if (path.find("{{kiln:") != std::string::npos) return make_error("output path has an unknown anchor: " + of.path);
    if (is_dep_info(path)) {  // small, and its paths are mapped back to this machine's
      auto blob = store.get_blob(of.digest);
      if (!blob) return blob.error();
      if (!*blob) return make_error("blob missing: " + of.digest.hex());
      if (auto st = write_file_atomic(path, anchors.local_text(**blob)); !st) return st;
      continue;
    }
    auto restored = store.restore_blob(of.digest, path, of.executable, may_link);
    if (!restored) return restored.error();
    if (!*restored) return make_error("blob missing: " + of.digest.hex());
    if (remember_digests) remember_file_digest(path, of.digest);
  }
  return {};
}

void break_shared_links(const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink > 1) ::unlink(p.c_str());
  }
}

void replay_output(const ActionResult& entry, const PathAnchors& anchors) {
  if (!entry.stdout_raw.empty()) write_all(1, anchors.local_text(entry.stdout_raw));
  if (!entry.stderr_raw.empty()) write_all(2, anchors.local_text(entry.stderr_raw));
}

}  // namespace kiln

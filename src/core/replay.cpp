// Restoring outputs and replaying rustc's output (see replay.h).
#include "core/replay.h"

#include "key/file_digests.h"
#include "util/fs.h"
#include "util/process.h"

namespace kiln {
namespace {

bool is_dep_info(const std::string& path) { return path.size() > 2 && path.substr(path.size() - 2) == ".d"; }

}  // namespace

Status restore_outputs(Store& store, const ActionResult& entry, const PathAnchors& anchors) {
  std::vector<std::pair<const OutputFile*, std::string>> blobs;
  blobs.reserve(entry.output_files.size());
  for (const auto& of : entry.output_files) {
    auto blob = store.get_blob(of.digest);
    if (!blob) return blob.error();
    if (!*blob) return make_error("blob missing: " + of.digest.hex());
    blobs.emplace_back(&of, std::move(**blob));
  }
  for (auto& [of, content] : blobs) {
    std::string path = anchors.local_path(of->path);
    if (path.find("{{kiln:") != std::string::npos) return make_error("output path has an unknown anchor: " + of->path);
    bool dep = is_dep_info(path);
    if (dep) content = anchors.local_text(content);
    Status st = write_file_atomic(path, content, of->executable ? 0755 : 0644);
    if (!st) {
      if (auto m = make_dirs(dir_name(path)); !m) return m;
      st = write_file_atomic(path, content, of->executable ? 0755 : 0644);
      if (!st) return st;
    }
    if (!dep) remember_file_digest(path, of->digest);
  }
  return {};
}

void replay_output(const ActionResult& entry, const PathAnchors& anchors) {
  if (!entry.stdout_raw.empty()) write_all(1, anchors.local_text(entry.stdout_raw));
  if (!entry.stderr_raw.empty()) write_all(2, anchors.local_text(entry.stderr_raw));
}

}  // namespace kiln

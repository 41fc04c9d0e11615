// Recording a miss into the store (see record.h).
#include "core/record.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <functional>

#include "key/file_digests.h"
#include "key/source_manifest.h"
#include "rustc/dep_info.h"
#include "rustc/outputs.h"
#include "util/fs.h"
#include "util/log.h"

namespace kiln {

bool contains_any_dir(std::string_view data, const std::vector<std::string>& dirs) {
  for (const auto& d : dirs) {
    std::boyer_moore_horspool_searcher search(d.begin(), d.end());
    auto it = data.begin();
    while (true) {
      it = std::search(it, data.end(), search);
      if (it == data.end()) break;
      auto after = it + static_cast<std::ptrdiff_t>(d.size());
      if (after == data.end() || *after == '/' || *after == '\0' || *after == '"' || *after == '\n' ||
          *after == ' ' || *after == ':')
        return true;
      ++it;
    }
  }
  return false;
}

Result<RecordOutcome> record_compilation(Store& store, const RustcInvocation& inv, const PathAnchors& anchors,
                                         const Digest& pre_key, const ProcessResult& result, int64_t start_ns,
                                         int64_t compile_ms) {
  RecordOutcome out;
  std::string dep_path = dep_info_path(inv);
  auto dep_text = read_file(dep_path);
  if (!dep_text) {
    out.not_stored_reason = "no-dep-info";
    return out;
  }
  auto dep = parse_dep_info(*dep_text);
  if (!dep) {
    out.not_stored_reason = "bad-dep-info";
    return out;
  }
  auto sets = source_set_from_dep_info(*dep, inv.cwd, anchors, start_ns);
  if (!sets) {
    debug("not stored: " + sets.error().message);
    out.not_stored_reason = "source-changed";
    return out;
  }
  auto& [source_set, manifest_set] = *sets;
  Digest full_key = compute_full_key(pre_key, source_set);

  ActionResult entry;
  entry.meta.kind = "result";
  entry.meta.crate_name = inv.crate_name;
  entry.meta.crate_type = inv.crate_type_label();
  const char* pn = std::getenv("CARGO_PKG_NAME");
  const char* pv = std::getenv("CARGO_PKG_VERSION");
  if (pn) entry.meta.package = std::string(pn) + " " + (pv ? pv : "");
  entry.meta.workspace_member = !inv.input.empty() && inv.input[0] != '/';
  entry.meta.compile_ms = compile_ms;
  entry.meta.created_unix = static_cast<int64_t>(std::time(nullptr));

  std::vector<std::string> scan = anchors.scan_dirs();
  auto outputs = collect_outputs(inv, start_ns - 2'000'000'000);
  if (std::find(outputs.begin(), outputs.end(), dep_path) == outputs.end()) {
    out.not_stored_reason = "no-dep-info";
    return out;
  }
  for (const auto& path : outputs) {
    auto content = read_file(path);
    if (!content) return content.error();
    auto st = stat_file(path);
    bool is_dep_info = path == dep_path;
    if (is_dep_info) {
      *content = anchors.portable_text(*content);
    } else if (!out.path_bound && contains_any_dir(*content, scan)) {
      out.path_bound = true;
      debug("path-bound output: " + path);
    }
    Digest d = sha256(*content);
    if (auto s = store.put_blob(d, *content); !s) return s.error();
    if (!is_dep_info) remember_file_digest(path, d);
    out.bytes += content->size();
    entry.output_files.push_back(
        {anchors.portable_path(path), d, static_cast<int64_t>(content->size()), st && (st->mode & S_IXUSR)});
  }
  entry.exit_code = result.exit_code;
  entry.stdout_raw = anchors.portable_text(result.stdout_data);
  entry.stderr_raw = anchors.portable_text(result.stderr_data);

  if (out.path_bound) {
    Digest bound = compute_path_bound_key(full_key, anchors);
    if (auto s = store.put_action(bound, entry); !s) return s.error();
    ActionResult redirect;
    redirect.meta = entry.meta;
    redirect.meta.kind = "path-bound";
    if (auto s = store.put_action(full_key, redirect); !s) return s.error();
    out.keys = {full_key, bound};
  } else {
    if (auto s = store.put_action(full_key, entry); !s) return s.error();
    out.keys = {full_key};
  }

  Digest mkey = compute_manifest_key(pre_key);
  SourceManifest manifest;
  if (auto old = store.get_action(mkey); old && *old && (*old)->meta.kind == "manifest") {
    if (auto parsed = SourceManifest::from_json((*old)->meta.payload)) manifest = std::move(*parsed);
  }
  manifest.add(std::move(manifest_set));
  ActionResult mentry;
  mentry.meta = entry.meta;
  mentry.meta.kind = "manifest";
  mentry.meta.payload = manifest.to_json();
  if (auto s = store.put_action(mkey, mentry); !s) return s.error();
  out.keys.insert(out.keys.begin(), mkey);
  out.stored = true;
  return out;
}

}  // namespace kiln

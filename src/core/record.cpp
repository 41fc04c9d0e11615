// Recording a miss into the store (see record.h).
#include "core/record.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <cstdlib>
#include <ctime>
#include <functional>

#include "key/file_digests.h"
#include "core/direct_mode.h"
#include "key/source_manifest.h"
#include "key/traced_inputs.h"
#include "rustc/dep_info.h"
#include "rustc/outputs.h"
#include "util/fs.h"
#include "util/log.h"

namespace kiln {

bool contains_any_dir(std::string_view data, const std::vector<std::string>& dirs, bool strict_end) {
  for (const auto& d : dirs) {
    std::boyer_moore_horspool_searcher search(d.begin(), d.end());
    auto it = data.begin();
    while (true) {
      it = std::search(it, data.end(), search);
      if (it == data.end()) break;
      auto after = it + static_cast<std::ptrdiff_t>(d.size());
      if (after == data.end() || !strict_end) return true;
      if (!continues_path_component(*after)) return true;  // "/tmp/a" is not in "/tmp/ab"
      ++it;
    }
  }
  return false;
}

namespace {

size_t skip_ws_forward(std::string_view t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  return i;
}

// Index just past the whitespace before position i (going backwards); i itself excluded.
size_t skip_ws_backward(std::string_view t, size_t i) {
  while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\n' || t[i - 1] == '\r')) --i;
  return i;
}

// A character that joins the word before it: a macro name is whole only when preceded by
// none ("option_env!", "std::env!" are other names).
bool joins_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }

bool ends_with_at(std::string_view t, size_t end, std::string_view word) {
  return end >= word.size() && t.substr(end - word.size(), word.size()) == word &&
         (end == word.size() || !joins_word(t[end - word.size() - 1]));
}

}  // namespace

bool env_used_only_as_include_path(const std::string& name, const std::vector<std::string>& sources) {
  std::string quoted = "\"" + name + "\"";
  int uses = 0, include_uses = 0;
  for (const auto& text : sources) {
    std::string_view t(text);
    for (size_t at = t.find("env!"); at != std::string_view::npos; at = t.find("env!", at + 4)) {
      size_t i = skip_ws_forward(t, at + 4);
      if (i >= t.size() || t[i] != '(') continue;
      i = skip_ws_forward(t, i + 1);
      if (t.substr(i, quoted.size()) != quoted) continue;
      ++uses;
      // env! must be a whole word: `option_env!` and `std::env!` count as other uses.
      if (at > 0 && joins_word(t[at - 1])) continue;
      size_t b = skip_ws_backward(t, at);
      if (b == 0 || t[b - 1] != '(') continue;
      b = skip_ws_backward(t, b - 1);
      if (!ends_with_at(t, b, "concat!")) continue;
      b = skip_ws_backward(t, b - 7);
      if (b == 0 || t[b - 1] != '(') continue;
      b = skip_ws_backward(t, b - 1);
      if (ends_with_at(t, b, "include!") || ends_with_at(t, b, "include_str!") || ends_with_at(t, b, "include_bytes!"))
        ++include_uses;
    }
  }
  return uses > 0 && uses == include_uses;
}

std::vector<std::string> compilation_outputs(const RustcInvocation& inv, int64_t start_ns) {
  return collect_outputs(inv, start_ns - 2'000'000'000);
}

using Checked = std::variant<RecordOutcome, PendingRecord>;

ActionResult result_entry(const std::string& crate_name, const std::string& crate_type, bool local_only,
                          int64_t run_ms, const ProcessResult& result, const PathAnchors& anchors) {
  ActionResult entry;
  entry.meta.kind = EntryKind::Result;
  entry.meta.crate_name = crate_name;
  entry.meta.crate_type = crate_type;
  const char* pn = std::getenv("CARGO_PKG_NAME");
  const char* pv = std::getenv("CARGO_PKG_VERSION");
  if (pn) entry.meta.package = std::string(pn) + " " + (pv ? pv : "");
  entry.meta.local_only = local_only;
  entry.meta.compile_ms = run_ms;
  entry.meta.created_unix = static_cast<int64_t>(std::time(nullptr));
  entry.exit_code = result.exit_code;
  entry.stdout_raw = anchors.portable_text(result.stdout_data);
  entry.stderr_raw = anchors.portable_text(result.stderr_data);
  return entry;
}

Result<std::variant<RecordOutcome, PendingRecord>> check_compilation(const RustcInvocation& inv,
                                                                     const PathAnchors& anchors, const Digest& pre_key,
                                                                     const ProcessResult& result, int64_t start_ns,
                                                                     int64_t compile_ms, const TraceLog* trace,
                                                                     const std::string& sysroot) {
  RecordOutcome out;
  std::string dep_path = dep_info_path(inv);
  auto dep_text = read_file(dep_path);
  if (!dep_text) {
    out.not_stored_reason = "no-dep-info";
    return Checked(std::move(out));
  }
  auto dep = parse_dep_info(*dep_text);
  if (!dep) {
    out.not_stored_reason = "bad-dep-info";
    return Checked(std::move(out));
  }
  auto outputs = compilation_outputs(inv, start_ns);
  if (std::find(outputs.begin(), outputs.end(), dep_path) == outputs.end()) {
    out.not_stored_reason = "no-dep-info";
    return Checked(std::move(out));
  }
  std::optional<TracedInputs> traced;
  if (trace) {
    TraceContext ctx = trace_context_for(anchors, sysroot);
    auto names = output_names(inv);
    ctx.output_dirs = {names.dir};
    ctx.output_stems = names.stems;
    for (const auto& e : inv.emits)
      if (!e.path.empty()) ctx.output_dirs.push_back(dir_name(e.path));
    ctx.outputs = outputs;
    if (!inv.incremental_dir.empty()) ctx.cache_dirs.push_back(inv.incremental_dir);
    traced = classify_trace(*trace, ctx);
    if (!traced->untraceable.empty()) {
      debug("not stored: " + traced->untraceable);
      out.not_stored_reason = "untraced";
      out.detail = traced->untraceable;
      return Checked(std::move(out));
    }
    if (debug_enabled()) {
      std::string env;
      for (const auto& n : traced->env_names) env += " " + n;
      debug("traced: " + std::to_string(traced->files.size()) + " files read, " +
            std::to_string(traced->absent.size()) + " absent, env:" + env);
      for (const auto& f : traced->files) debug("  read " + anchors.portable_path(f.raw_path));
    }
    for (const auto& side : traced->side_outputs) {
      debug("side output: " + side);
      outputs.push_back(side);
    }
    std::sort(outputs.begin(), outputs.end());
    outputs.erase(std::unique(outputs.begin(), outputs.end()), outputs.end());
  }

  auto sets = source_set_from_dep_info(*dep, inv.cwd, anchors, start_ns, traced ? &*traced : nullptr);
  if (!sets) {
    debug("not stored: " + sets.error().message);
    out.not_stored_reason = "source-changed";
    out.detail = sets.error().message;
    return Checked(std::move(out));
  }
  auto& [source_set, manifest_set] = *sets;
  Digest full_key = compute_full_key(pre_key, source_set);

  // A value that holds a machine path can reach the output in ways no byte scan finds (its
  // length, a hash of it): such a compilation is path-bound, unless the value only located
  // an included file. Variables a proc-macro read are path-bound whenever they hold one.
  std::vector<std::string> scan = anchors.scan_dirs();
  auto holds_machine_path = [&](const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v && contains_any_dir(v, scan, /*strict_end=*/false);
  };
  std::vector<std::string> rust_sources;
  bool sources_read = false;
  for (const auto& e : dep->env_deps) {
    if (out.path_bound || !holds_machine_path(e.name)) continue;
    if (!sources_read) {
      for (const auto& in : dep->inputs)
        if (in.size() > 3 && in.substr(in.size() - 3) == ".rs")
          if (auto text = read_file(absolute_path(in, inv.cwd))) rust_sources.push_back(std::move(*text));
      sources_read = true;
    }
    if (!env_used_only_as_include_path(e.name, rust_sources)) {
      out.path_bound = true;
      debug("path-bound: env-dep " + e.name + " holds a machine path");
    }
  }
  if (traced)
    for (const auto& n : traced->plugin_env)
      if (!out.path_bound && holds_machine_path(n)) {
        out.path_bound = true;
        debug("path-bound: a proc-macro read " + n + ", which holds a machine path");
      }

  ActionResult entry = result_entry(inv.crate_name, inv.crate_type_label(), !inv.input.empty() && inv.input[0] != '/',
                                    compile_ms, result, anchors);

  PendingRecord p;
  p.out = std::move(out);
  p.outputs = std::move(outputs);
  p.dep_path = dep_path;
  p.anchors = anchors;
  p.pre_key = pre_key;
  p.full_key = full_key;
  p.manifest_set = std::move(manifest_set);
  p.entry = std::move(entry);
  return Checked(std::move(p));
}

Result<RecordOutcome> store_pending_record(Store& store, PendingRecord p, const OutputSnapshot* snapshot,
                                           bool scan_strict_end) {
  RecordOutcome& out = p.out;
  // Which anchors the outputs contain: a path-bound entry is keyed on those only (a registry
  // crate's docs name its source dir, not the workspace's: another checkout finds them). One
  // already bound by its environment is keyed on every anchor: nothing to look for.
  std::vector<Anchor> unseen = out.path_bound ? std::vector<Anchor>{} : p.anchors.scan_anchors();
  for (const auto& path : p.outputs) {
    auto content = read_output(snapshot, path);
    if (!content && snapshot) {
      out.not_stored_reason = "output-changed";
      out.detail = content.error().message;
      debug("not stored: " + content.error().message);
      return out;
    }
    if (!content) return content.error();
    auto st = stat_output(snapshot, path);
    bool is_dep_info = path == p.dep_path;
    if (is_dep_info) {
      *content = p.anchors.portable_text(*content);
    } else {
      for (auto it = unseen.begin(); it != unseen.end();) {
        if (!contains_any_dir(*content, {it->dir}, scan_strict_end)) {
          ++it;
          continue;
        }
        out.path_bound = true;
        out.bound_to.push_back(it->name);
        debug("path-bound output (" + it->name + "): " + path);
        it = unseen.erase(it);
      }
    }
    Digest d = sha256(*content);
    if (auto s = store.put_blob(d, *content); !s) return s.error();
    if (!is_dep_info && !snapshot) remember_file_digest(path, d);
    out.bytes += content->size();
    p.entry.output_files.push_back(
        {p.anchors.portable_path(path), d, static_cast<int64_t>(content->size()), st && (st->mode & S_IXUSR)});
  }
  return store_result(store, p.pre_key, p.full_key, std::move(p.manifest_set), std::move(p.entry), p.anchors,
                      std::move(out));
}

Result<RecordOutcome> record_compilation(Store& store, const RustcInvocation& inv, const PathAnchors& anchors,
                                         const Digest& pre_key, const ProcessResult& result, int64_t start_ns,
                                         int64_t compile_ms, const TraceLog* trace, const std::string& sysroot) {
  auto checked = check_compilation(inv, anchors, pre_key, result, start_ns, compile_ms, trace, sysroot);
  if (!checked) return checked.error();
  if (auto* done = std::get_if<RecordOutcome>(&*checked)) return *done;
  return store_pending_record(store, std::move(std::get<PendingRecord>(*checked)), nullptr);
}

}  // namespace kiln

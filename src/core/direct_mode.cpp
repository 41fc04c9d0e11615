// Direct mode: lookup, storing with the manifest, merging remote manifests (see direct_mode.h).
#include "core/direct_mode.h"

#include <algorithm>

#include "key/file_digests.h"

#include "util/log.h"

namespace kiln {

Result<std::optional<CacheHit>> lookup_entry(Store& store, const Digest& pre_key, const PathAnchors& anchors,
                                             LookupMiss* why) {
  using Found = std::optional<CacheHit>;
  auto miss = [&](const char* reason) {
    if (why) {
      why->reason = reason;
      why->details.clear();
    }
  };
  auto m = store.get_action(compute_manifest_key(pre_key));
  if (!m) return m.error();
  if (!*m) {
    debug("lookup: no manifest for this pre-key");
    miss("no-manifest");
    return Found{};
  }
  auto manifest = SourceManifest::from_json((*m)->meta.payload);
  if (!manifest) {
    debug("lookup: " + manifest.error().message);
    miss("unreadable");
    return Found{};
  }
  std::vector<std::string> mismatches;
  auto sources = match_manifest(*manifest, anchors, debug_enabled() || why ? &mismatches : nullptr);
  if (!sources) {
    debug("lookup: no source set of the manifest matches");
    miss("no-set-matches");
    if (why) why->details = mismatches;
    for (const auto& m : mismatches) debug("  set rejected: " + m);
    // The miss that follows hashes its inputs: those still as the newest set recorded them
    // (after an edit: all but the edited files) need not be. Not done on a hit: nothing follows.
    if (!manifest->sets.empty())
      for (const auto& f : manifest->sets.front().files)
        note_known_digest(anchors.local_path(f.path), FileStat{f.size, f.mtime_ns, f.ctime_ns, f.inode, 0}, f.digest);
    return Found{};
  }
  Digest key = compute_full_key(pre_key, *sources);
  auto e = store.get_action(key);
  if (!e) return e.error();
  if (!*e) {
    debug("lookup: a source set matches, but no entry has its full key (files and variables by value)");
    miss("no-entry");
    if (why)
      for (const auto& ev : sources->env_deps) why->details.push_back(ev.name + (ev.value ? "=" + *ev.value : " unset"));
    if (debug_enabled())
      for (const auto& ev : sources->env_deps) debug("  env " + ev.name + (ev.value ? "=" + *ev.value : " unset"));
    return Found{};
  }
  if ((*e)->meta.kind == EntryKind::PathBound) {
    // The redirect names the anchors its outputs contain ("" before kiln knew: all of them).
    std::vector<std::string> only;
    const std::string& names = (*e)->meta.payload;
    for (size_t start = 0; start < names.size();) {
      size_t comma = std::min(names.find(',', start), names.size());
      if (comma > start) only.push_back(names.substr(start, comma - start));
      start = comma + 1;
    }
    key = compute_path_bound_key(key, anchors, only);
    e = store.get_action(key);
    if (!e) return e.error();
    if (!*e) {
      debug("lookup: path-bound, and no entry for these paths");
      miss("path-bound");
      return Found{};
    }
  }
  if ((*e)->meta.kind != EntryKind::Result) return Found{};
  return Found(CacheHit{std::move(**e), key});
}

Result<RecordOutcome> store_result(Store& store, const Digest& pre_key, const Digest& full_key, ManifestSet manifest_set,
                                   ActionResult entry, const PathAnchors& anchors, RecordOutcome out) {
  if (out.path_bound) {
    std::vector<std::string> only = out.bound_to;
    std::sort(only.begin(), only.end());
    Digest bound = compute_path_bound_key(full_key, anchors, only);
    if (auto s = store.put_action(bound, entry); !s) return s.error();
    ActionResult redirect;
    redirect.meta = entry.meta;
    redirect.meta.kind = EntryKind::PathBound;
    redirect.meta.payload.clear();
    for (const auto& n : only) redirect.meta.payload += (redirect.meta.payload.empty() ? "" : ",") + n;
    if (auto s = store.put_action(full_key, redirect); !s) return s.error();
    out.keys = {full_key, bound};
  } else {
    if (auto s = store.put_action(full_key, entry); !s) return s.error();
    out.keys = {full_key};
  }

  Digest mkey = compute_manifest_key(pre_key);
  SourceManifest manifest;
  if (auto old = store.get_action(mkey); old && *old && (*old)->meta.kind == EntryKind::Manifest) {
    if (auto parsed = SourceManifest::from_json((*old)->meta.payload)) manifest = std::move(*parsed);
  }
  manifest.add(std::move(manifest_set));
  ActionResult mentry;
  mentry.meta = entry.meta;
  mentry.meta.kind = EntryKind::Manifest;
  mentry.meta.payload = manifest.to_json();
  if (auto s = store.put_action(mkey, mentry); !s) return s.error();
  out.keys.insert(out.keys.begin(), mkey);
  out.stored = true;
  return out;
}

std::optional<std::string> merge_manifest_payload(const std::string& local, const std::string& remote) {
  auto mine = SourceManifest::from_json(local);
  auto theirs = SourceManifest::from_json(remote);
  if (!mine || !theirs) return std::nullopt;
  // Local sets first (newest first), then the remote's that are new here.
  SourceManifest m = std::move(*theirs);
  for (auto it = mine->sets.rbegin(); it != mine->sets.rend(); ++it) m.add(*it);
  std::string merged = m.to_json();
  if (merged == mine->to_json()) return std::nullopt;
  return merged;
}

}  // namespace kiln

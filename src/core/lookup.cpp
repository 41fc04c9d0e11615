// Direct-mode lookup (see lookup.h and key/source_manifest.h).
#include "core/lookup.h"

#include "key/source_manifest.h"
#include "util/log.h"

namespace kiln {

Result<std::optional<CacheHit>> lookup_entry(Store& store, const Digest& pre_key, const PathAnchors& anchors) {
  using Found = std::optional<CacheHit>;
  auto m = store.get_action(compute_manifest_key(pre_key));
  if (!m) return m.error();
  if (!*m) return Found{};
  auto manifest = SourceManifest::from_json((*m)->meta.payload);
  if (!manifest) {
    debug("lookup: " + manifest.error().message);
    return Found{};
  }
  std::vector<std::string> mismatches;
  auto sources = match_manifest(*manifest, anchors, debug_enabled() ? &mismatches : nullptr);
  if (!sources) {
    debug("lookup: no source set of the manifest matches");
    for (const auto& m : mismatches) debug("  set rejected: " + m);
    return Found{};
  }
  Digest key = compute_full_key(pre_key, *sources);
  auto e = store.get_action(key);
  if (!e) return e.error();
  if (!*e) return Found{};
  if ((*e)->meta.kind == "path-bound") {
    key = compute_path_bound_key(key, anchors);
    e = store.get_action(key);
    if (!e) return e.error();
    if (!*e) return Found{};
  }
  if ((*e)->meta.kind != "result") return Found{};
  return Found(CacheHit{std::move(**e), key});
}

}  // namespace kiln

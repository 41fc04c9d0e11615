// Finding the binary target (see bin_target.h).
#include "cli/bin_target.h"

#include <cstdlib>
#include <vector>

#include "util/process.h"
#include "util/text.h"

namespace kiln {

Result<BinTarget> find_bin_target(const std::string& bin) {
  const char* cargo_env = std::getenv("CARGO");
  std::string cargo = cargo_env && *cargo_env ? cargo_env : "cargo";
  auto meta = run_process({cargo, "metadata", "--format-version", "1", "--no-deps", "--offline"});
  if (!meta || meta->exit_code != 0)
    return make_error("cargo metadata failed: " + (meta ? trim_end(meta->stderr_data) : meta.error().message));
  auto m = nlohmann::json::parse(meta->stdout_data, nullptr, false);
  if (m.is_discarded()) return make_error("cannot read cargo metadata");
  std::vector<BinTarget> bins;
  for (const auto& p : m["packages"])
    for (const auto& t : p["targets"])
      if (t["kind"] == nlohmann::json::array({"bin"})) bins.push_back({t["name"].get<std::string>(), p, {}});
  if (bins.empty()) return make_error("this workspace has no binary target");
  BinTarget* target = nullptr;
  if (bin.empty()) {
    if (bins.size() > 1) {
      std::string names;
      for (const auto& b : bins) names += (names.empty() ? "" : ", ") + b.name;
      return make_error("this workspace has " + std::to_string(bins.size()) + " binaries (" + names +
                        "): choose one with --bin NAME");
    }
    target = &bins[0];
  } else {
    for (auto& b : bins)
      if (b.name == bin) target = &b;
    if (!target) return make_error("no binary target named " + bin);
  }
  target->metadata = std::move(m);
  return std::move(*target);
}

}  // namespace kiln

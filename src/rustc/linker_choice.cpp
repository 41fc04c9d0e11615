// KILN_LINKER → `-C link-arg=-fuse-ld=…` for linking invocations (see linker_choice.h).
#include "rustc/linker_choice.h"

#include <algorithm>

#include "util/fs.h"

namespace kiln {
namespace {

std::string find_on_path(const std::string& name) {
  auto p = find_in_path(name);
  return p ? *p : std::string();
}

}  // namespace

LinkerChoice linker_choice(const std::string& choice, const RustcInvocation& inv, std::string (*find)(const std::string&)) {
  LinkerChoice out;
  if (choice != "mold" && choice != "lld") return out;
  if (!inv.links()) return out;
  bool only_staticlib = !inv.test_harness && !inv.crate_types.empty() &&
                        std::all_of(inv.crate_types.begin(), inv.crate_types.end(),
                                    [](const std::string& t) { return t == "staticlib"; });
  if (only_staticlib) return out;  // an archive: no linker runs
  if (!inv.linker.empty()) return out;
  for (const auto& a : inv.args)
    if (a.find("fuse-ld") != std::string::npos) return out;
  std::string program = choice == "mold" ? "mold" : "ld.lld";
  if ((find ? find : find_on_path)(program).empty()) {
    out.warning = "KILN_LINKER=" + choice + " but " + program + " is not installed (apt-get install " + choice +
                  "): linking with the default linker";
    return out;
  }
  out.args = {"-C", "link-arg=-fuse-ld=" + choice};
  return out;
}

}  // namespace kiln

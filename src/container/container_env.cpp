// Which host variables reach a container command (see container_env.h).
#include "container/container_env.h"

#include <array>
#include <string_view>

namespace kiln {

std::string container_path_value() {
  return std::string(kContainerCargoHome) + "/bin:" + kContainerToolchain + "/bin:" + kContainerKilnBin +
         ":/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

bool passes_into_container(const std::string& name) {
  static constexpr std::array<std::string_view, 20> exact = {
      "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy",
      "all_proxy", "RUSTFLAGS", "RUSTDOCFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_ENCODED_RUSTDOCFLAGS",
      "CARGO_INCREMENTAL", "RUST_LOG", "RUST_BACKTRACE", "SOURCE_DATE_EPOCH", "TERM", "CI", "COLORTERM",
      "CARGO_LOG"};
  for (auto e : exact)
    if (name == e) return true;
  static constexpr std::array<std::string_view, 7> prefixes = {"CARGO_NET_",     "CARGO_REGISTRIES_", "CARGO_REGISTRY_",
                                                               "CARGO_BUILD_",   "CARGO_PROFILE_",    "CARGO_TARGET_",
                                                               "CARGO_TERM_"};
  for (auto p : prefixes)
    if (name.rfind(p, 0) == 0) return true;
  if (name.rfind("KILN_", 0) == 0) {
    if (name.rfind("KILN_CONTAINER_", 0) == 0) return false;  // about the container itself
    return name != "KILN_DIR" && name != "KILN_SESSION" && name != "KILN_WARNINGS_FILE" &&
           name != "KILN_INDEX_FILE" && name != "KILN_PREFETCH_DIR" && name != kInContainerVar;
  }
  return false;
}

}  // namespace kiln

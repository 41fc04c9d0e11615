// cargo's download caches in a container: the host's, or named volumes kiln initialises.
//
// Like the toolchain sidecars users know (shared/seeds/000): ~/.cargo/registry and ~/.cargo/git
// of the host are mounted at the container's CARGO_HOME when they exist ("auto", or "host"),
// else named volumes kiln-cargo-registry and kiln-cargo-git ("volumes" forces them; "off"
// mounts none). A new volume belongs to root; kiln initialises its ownership once for the
// container user with a short-lived helper container, and leaves a stamp (.kiln-init-done,
// holding "uid:gid") so that the next run skips the helper. The stamp is read on the host
// when the volume's mountpoint is visible there (a local daemon), else by the helper itself.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "container/run_spec.h"
#include "util/expected.h"

namespace kiln {

/// Named volumes kiln uses for cargo's caches.
inline constexpr const char* kRegistryVolume = "kiln-cargo-registry";
inline constexpr const char* kGitVolume = "kiln-cargo-git";

/// The mounts for cargo's registry and git caches under `mode` ("auto", "host", "volumes",
/// "off"), given the host's CARGO_HOME. "host" with a cache missing on the host creates it.
std::vector<ContainerMount> cargo_cache_mounts(const std::string& mode, const std::string& host_cargo_home);

/// Makes each named volume among `mounts` writable by `user` ("uid:gid") unless its stamp says
/// it is already; `base` supplies image, ulimits and extra args for the helper. `say` gets
/// one line per volume initialised (or skipped, when `verbose`). Errors: the helper failed.
Status init_cache_volumes(const ContainerRuntime& rt, const RunSpec& base, const std::vector<ContainerMount>& mounts,
                          const std::string& user, bool verbose, const std::function<void(const std::string&)>& say);

}  // namespace kiln

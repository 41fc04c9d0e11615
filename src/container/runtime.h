// The container runtime kiln drives: podman or docker, found the way users expect.
//
// Choice, first that works: KILN_CONTAINER_RUNTIME (config `container_runtime`: "podman",
// "docker" or a program path) and nothing else; else the runtime the environment points at
// (DOCKER_HOST → docker first, CONTAINER_HOST → podman first); else podman, then docker.
// "Works" means `podman version` / `docker version` answers, which for docker includes its
// daemon. When none works the error names every runtime tried and why, with the fix.
//
// podman on hosts like kiln's CI (cgroups v2 without delegation, root that cannot raise
// rlimits) refuses to start a container unless its rlimits are given explicitly; kiln always
// passes them (run_spec.cpp), which is harmless elsewhere.
#pragma once

#include <string>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// Which command-line dialect a runtime speaks.
enum class RuntimeKind { Podman, Docker };

/// A container runtime that answered: its dialect, the program to run and, for podman with
/// CONTAINER_HOST, the flag that makes it talk to that service.
struct ContainerRuntime {
  RuntimeKind kind = RuntimeKind::Podman;
  std::string program;             // "podman", "docker" or the path the user forced
  std::vector<std::string> global;  // arguments before the subcommand ("--remote" for podman)
  std::string version;             // the server's version, as `version` printed it
  /// "podman" or "docker".
  std::string name() const { return kind == RuntimeKind::Podman ? "podman" : "docker"; }
  /// program, the global arguments, then `args`: a complete command line.
  std::vector<std::string> command(const std::vector<std::string>& args) const;
};

/// The runtime to use. `forced` is the user's choice ("" = choose; "podman", "docker" or a
/// path, whose base name tells the dialect). Errors: no runtime works; the message is one
/// line naming each runtime tried, what failed, and the fix.
Result<ContainerRuntime> find_container_runtime(const std::string& forced);

/// True when `image` exists in the runtime's image store (`image inspect`).
bool image_exists(const ContainerRuntime& rt, const std::string& image);

/// The image's ID (`image inspect --format {{.Id}}`), "" when it does not exist.
std::string image_id(const ContainerRuntime& rt, const std::string& image);

}  // namespace kiln

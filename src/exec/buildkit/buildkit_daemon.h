// The BuildKit daemon a remote executor drives, and the docker client that reaches it.
//
// The daemon is the one DOCKER_HOST names (unix:///…, tcp://host:port, ssh://user@host; unset:
// the local /var/run/docker.sock), reached through a docker CLI that has BuildKit: a client
// before 23.0 (Debian's docker.io 20.10) has it built in; a newer one needs its buildx
// plugin. KILN_DOCKER forces a client; else `docker` on PATH, then /usr/bin/docker.
//
// `cargo kiln` connects once per build (connect_buildkit): finds the client, asks the daemon
// for its core count (`docker info`), makes sure the toolchain image is there — the
// configured container_image, else kiln's toolchain image (container/toolchain_image.h),
// built on the daemon from its base, or copied from local podman (`podman save | docker
// load`) — and hands the result to its wrappers in KILN_BUILDKIT_CLIENT / _IMAGE. A wrapper
// started without `cargo kiln` connects itself.
#pragma once

#include <functional>
#include <string>

#include "config/config.h"
#include "util/expected.h"

namespace kiln {

/// A daemon ready for actions.
struct BuildkitDaemon {
  std::string client;  // the docker CLI to run (absolute path)
  std::string host;    // DOCKER_HOST as given ("" = the client's default)
  std::string image;   // the toolchain image on the daemon
  int cores = 0;       // the daemon's NCPU
};

/// The variables `cargo kiln` passes the connection on in.
inline constexpr const char* kBuildkitClientVar = "KILN_BUILDKIT_CLIENT";
inline constexpr const char* kBuildkitImageVar = "KILN_BUILDKIT_IMAGE";

/// A docker client with BuildKit. Errors: none found, with the fix.
Result<std::string> find_buildkit_client();

/// Connects (see the file comment); `say` gets progress lines (an image being built).
/// Errors: no client, the daemon does not answer, no image and no way to make one — each
/// one line with the fix.
Result<BuildkitDaemon> connect_buildkit(const Config& cfg, const std::function<void(const std::string&)>& say);

/// The connection `cargo kiln` made for this build, from the environment; else connects.
Result<BuildkitDaemon> buildkit_for_action(const Config& cfg);

/// The environment for running the client: this process's, with DOCKER_BUILDKIT=1.
std::vector<std::string> buildkit_client_env();

}  // namespace kiln

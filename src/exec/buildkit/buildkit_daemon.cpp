// Finding and preparing the BuildKit daemon (see buildkit_daemon.h).
#include "exec/buildkit/buildkit_daemon.h"

#include <cstdlib>

#include "container/run_spec.h"
#include "container/runtime.h"
#include "container/toolchain_image.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/text.h"

extern char** environ;

namespace kiln {
namespace {

// The client's own major version from `docker --version` ("Docker version 20.10.24+dfsg1, …"); 0 = unknown.
int client_major(const std::string& client) {
  auto r = run_process({client, "--version"});
  if (!r || r->exit_code != 0) return 0;
  size_t p = r->stdout_data.find("version ");
  return p == std::string::npos ? 0 : std::atoi(r->stdout_data.c_str() + p + 8);
}

bool has_buildkit(const std::string& client) {
  int major = client_major(client);
  if (major == 0) return false;
  if (major < 23) return true;  // BuildKit built into `docker build`
  auto r = run_process({client, "buildx", "version"});
  return r && r->exit_code == 0;
}

std::string daemon_name() { return env_or("DOCKER_HOST", "unix:///var/run/docker.sock"); }

ContainerRuntime docker_runtime(const std::string& client) {
  ContainerRuntime rt;
  rt.kind = RuntimeKind::Docker;
  rt.program = client;
  return rt;
}

}  // namespace

std::vector<std::string> buildkit_client_env() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e)
    if (std::string_view(*e).rfind("DOCKER_BUILDKIT=", 0) != 0) env.emplace_back(*e);
  env.push_back("DOCKER_BUILDKIT=1");
  return env;
}

Result<std::string> find_buildkit_client() {
  std::vector<std::string> candidates;
  if (std::string forced = env_or("KILN_DOCKER"); !forced.empty()) {
    auto p = forced.find('/') == std::string::npos ? find_in_path(forced) : std::optional<std::string>(forced);
    if (!p || !has_buildkit(*p))
      return make_error("buildkit: KILN_DOCKER=" + forced + " is not a docker client with BuildKit");
    return *p;
  }
  if (auto p = find_in_path("docker")) candidates.push_back(*p);
  candidates.push_back("/usr/bin/docker");
  for (const auto& c : candidates)
    if (path_exists(c) && has_buildkit(c)) return c;
  return make_error(
      "buildkit: no docker client with BuildKit (a client before 23.0 has it built in, a newer one needs buildx): "
      "apt-get install docker.io, or set KILN_DOCKER");
}

Result<BuildkitDaemon> connect_buildkit(const Config& cfg, const std::function<void(const std::string&)>& say) {
  auto client = find_buildkit_client();
  if (!client) return client.error();
  BuildkitDaemon d;
  d.client = *client;
  d.host = env_or("DOCKER_HOST");
  auto info = run_process({d.client, "info", "--format", "{{.NCPU}}"});
  if (!info || info->exit_code != 0 || std::atoi(info->stdout_data.c_str()) <= 0)
    return make_error("buildkit: cannot reach the daemon at " + daemon_name() + " (" +
                      (info ? first_line(trim_end(info->stderr_data)) : info.error().message) +
                      "): start it, or point DOCKER_HOST at one (ssh://user@host)");
  d.cores = std::atoi(info->stdout_data.c_str());
  ContainerRuntime rt = docker_runtime(d.client);
  if (!cfg.container_image.empty()) {
    if (!image_exists(rt, cfg.container_image))
      return make_error("buildkit: the daemon at " + daemon_name() + " has no image " + cfg.container_image +
                        " (kiln never pulls): load it there, or unset KILN_CONTAINER_IMAGE");
    d.image = cfg.container_image;
    return d;
  }
  if (!image_id(rt, cfg.container_base_image).empty()) {
    auto tag = default_toolchain_image(rt, cfg.container_base_image, cfg.dir, false, say, cfg.image_apt);
    if (!tag) return make_error("buildkit: " + tag.error().message);
    d.image = *tag;
    return d;
  }
  // The daemon has no base: a toolchain image made with local podman travels as an archive.
  ContainerRuntime podman;
  podman.kind = RuntimeKind::Podman;
  podman.program = "podman";
  if (find_in_path("podman") && !image_id(podman, cfg.container_base_image).empty()) {
    auto tag = default_toolchain_image(podman, cfg.container_base_image, cfg.dir, false, say, cfg.image_apt);
    if (!tag) return make_error("buildkit: " + tag.error().message);
    if (!image_exists(rt, *tag)) {
      say("loading " + *tag + " onto the daemon at " + daemon_name() + " (podman save | docker load, once)");
      auto r = run_process({"sh", "-c", "podman save --format docker-archive " + shell_quote({*tag}) + " | " +
                                            shell_quote({d.client}) + " load"});
      if (!r || r->exit_code != 0)
        return make_error("buildkit: docker load of " + *tag + " failed: " +
                          (r ? first_line(trim_end(r->stderr_data)) : r.error().message));
    }
    d.image = *tag;
    return d;
  }
  return make_error("buildkit: the daemon at " + daemon_name() + " has no base image " + cfg.container_base_image +
                    " for kiln's toolchain image: run `kiln image build-base` with this DOCKER_HOST (debootstrap "
                    "here, imported there), or set KILN_CONTAINER_IMAGE");
}

Result<BuildkitDaemon> buildkit_for_action(const Config& cfg) {
  std::string client = env_or(kBuildkitClientVar), image = env_or(kBuildkitImageVar);
  if (!client.empty() && !image.empty()) {
    BuildkitDaemon d;
    d.client = client;
    d.image = image;
    d.host = env_or("DOCKER_HOST");
    return d;
  }
  return connect_buildkit(cfg, [](const std::string&) {});
}

}  // namespace kiln

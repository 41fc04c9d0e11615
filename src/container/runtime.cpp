// Finding a container runtime that answers (see runtime.h).
#include "container/runtime.h"

#include "util/fs.h"
#include "util/process.h"
#include "util/text.h"

namespace kiln {
namespace {

// Asks `rt` for its server version; "" with `why` and `fix` filled when it does not answer.
std::string probe(ContainerRuntime& rt, std::string& why, std::string& fix) {
  if (rt.program.find('/') == std::string::npos ? !find_in_path(rt.program) : !path_exists(rt.program)) {
    why = "not installed";
    fix = rt.kind == RuntimeKind::Docker ? "apt-get install docker.io" : "apt-get install podman";
    return {};
  }
  auto r = run_process(rt.command({"version", "--format", "{{.Server.Version}}"}));
  if (!r) {
    why = r.error().message;
    return {};
  }
  std::string out = first_line(r->stdout_data);
  if (r->exit_code != 0 || out.empty() || out == "<no value>") {
    std::string err = first_line(r->stderr_data);
    if (rt.kind == RuntimeKind::Docker) {
      std::string host = env_or("DOCKER_HOST", "unix:///var/run/docker.sock");
      why = "cannot reach the daemon at " + host + (err.empty() ? "" : " (" + err + ")");
      fix = "start dockerd or set DOCKER_HOST";
    } else {
      why = err.empty() ? "`podman version` failed" : err;
      fix = env_or("CONTAINER_HOST").empty() ? "see `podman info`" : "start the podman service CONTAINER_HOST names";
    }
    return {};
  }
  return out;
}

ContainerRuntime runtime_for(const std::string& program) {
  ContainerRuntime rt;
  rt.program = program;
  rt.kind = base_name(program).find("docker") != std::string::npos ? RuntimeKind::Docker : RuntimeKind::Podman;
  if (rt.kind == RuntimeKind::Podman && !env_or("CONTAINER_HOST").empty() &&
      base_name(program).find("remote") == std::string::npos)
    rt.global.push_back("--remote");
  return rt;
}

}  // namespace

std::vector<std::string> ContainerRuntime::command(const std::vector<std::string>& args) const {
  std::vector<std::string> out = {program};
  out.insert(out.end(), global.begin(), global.end());
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

Result<ContainerRuntime> find_container_runtime(const std::string& forced) {
  std::vector<std::string> order;
  if (!forced.empty()) {
    order.push_back(forced);
  } else if (!env_or("DOCKER_HOST").empty()) {
    order = {"docker", "podman"};
  } else {
    order = {"podman", "docker"};
  }
  std::string tried, fixes;
  for (const auto& program : order) {
    ContainerRuntime rt = runtime_for(program);
    std::string why, fix;
    rt.version = probe(rt, why, fix);
    if (!rt.version.empty()) return rt;
    tried += (tried.empty() ? "" : "; ") + program + ": " + why;
    fixes += (fixes.empty() ? "" : ", or ") + fix;
  }
  if (!forced.empty()) fixes += ", or unset KILN_CONTAINER_RUNTIME to let kiln choose";
  return make_error("no container runtime works (" + tried + "): " + fixes);
}

bool image_exists(const ContainerRuntime& rt, const std::string& image) { return !image_id(rt, image).empty(); }

std::string image_id(const ContainerRuntime& rt, const std::string& image) {
  auto r = run_process(rt.command({"image", "inspect", "--format", "{{.Id}}", image}));
  if (!r || r->exit_code != 0) return {};
  return first_line(r->stdout_data);
}

}  // namespace kiln

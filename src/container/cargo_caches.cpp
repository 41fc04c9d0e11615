// cargo cache mounts and the one-time ownership of their named volumes (see cargo_caches.h).
#include "container/cargo_caches.h"

#include <sys/stat.h>

#include "container/container_env.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/text.h"

namespace kiln {
namespace {

constexpr const char* kStamp = ".kiln-init-done";

// True when the volume's stamp, read on the host, says it is ready for `user`.
bool stamp_says_ready(const ContainerRuntime& rt, const std::string& volume, const std::string& user) {
  auto r = run_process(rt.command({"volume", "inspect", "--format", "{{.Mountpoint}}", volume}));
  if (!r || r->exit_code != 0) return false;
  std::string mountpoint = trim_end(r->stdout_data);
  if (mountpoint.empty()) return false;
  auto stamp = read_file(mountpoint + "/" + kStamp);
  if (!stamp || trim_end(*stamp) != user) return false;
  struct stat st {};
  return ::stat(mountpoint.c_str(), &st) == 0 && std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) == user;
}

}  // namespace

std::vector<ContainerMount> cargo_cache_mounts(const std::string& mode, const std::string& host_cargo_home) {
  std::vector<ContainerMount> out;
  if (mode == "off") return out;
  for (auto [sub, volume] : {std::pair{"registry", kRegistryVolume}, std::pair{"git", kGitVolume}}) {
    std::string host = path_join(host_cargo_home, sub);
    std::string target = std::string(kContainerCargoHome) + "/" + sub;
    bool use_host = mode == "host" || (mode == "auto" && !host_cargo_home.empty() && path_exists(host));
    if (use_host && mode == "host" && !path_exists(host)) (void)make_dirs(host);
    if (use_host) out.push_back({host, target, false, false});
    else out.push_back({volume, target, false, true});
  }
  return out;
}

Status init_cache_volumes(const ContainerRuntime& rt, const RunSpec& base, const std::vector<ContainerMount>& mounts,
                          const std::string& user, bool verbose, const std::function<void(const std::string&)>& say) {
  for (const auto& m : mounts) {
    if (!m.volume) continue;
    if (stamp_says_ready(rt, m.source, user)) {
      if (verbose) say("cargo cache volume " + m.source + " is initialised for " + user + " already");
      continue;
    }
    RunSpec helper;
    helper.image = base.image;
    helper.ulimits = base.ulimits;
    helper.extra = base.extra;
    helper.user = "0:0";
    helper.mounts = {{m.source, "/v", false, true}};
    std::string script =
        "set -e; if [ \"$(cat /v/" + std::string(kStamp) + " 2>/dev/null)\" = '" + user +
        "' ] && [ \"$(stat -c %u:%g /v)\" = '" + user + "' ]; then echo ready; exit 0; fi; chown -R '" + user +
        "' /v; echo '" + user + "' > /v/" + kStamp + "; chown '" + user + "' /v/" + kStamp + "; echo initialised";
    helper.command = {"sh", "-c", script};
    auto argv = run_command_line(rt, helper);
    if (verbose) say("+ " + shell_quote(argv));
    auto r = run_process(argv);
    if (!r) return r.error();
    if (r->exit_code != 0) {
      std::string err = trim_end(r->stderr_data);
      return make_error("initialising cargo cache volume " + m.source + " failed" + (err.empty() ? "" : ": " + err) +
                        "; remove it (" + rt.name() + " volume rm -f " + m.source + ") and try again");
    }
    if (trim_end(r->stdout_data) == "initialised") say("initialised cargo cache volume " + m.source + " for " + user);
    else if (verbose) say("cargo cache volume " + m.source + " is initialised for " + user + " already");
  }
  return {};
}

}  // namespace kiln

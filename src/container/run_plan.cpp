// Planning a container run of a host command (see run_plan.h).
#include "container/run_plan.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <toml++/toml.h>

#include "container/cargo_caches.h"
#include "container/container_env.h"
#include "util/fs.h"
#include "util/process.h"

extern char** environ;

namespace kiln {
namespace {

// The file cargo reads in a .cargo dir: config.toml, else the older extension-less config.
std::string cargo_config_in(const std::string& dot_cargo) {
  for (const char* n : {"config.toml", "config"}) {
    std::string p = path_join(dot_cargo, n);
    auto st = stat_file(p);
    if (st && S_ISREG(st->mode)) return p;
  }
  return {};
}

void add_sources_of(const std::string& file, const std::string& base, std::vector<std::string>& out) {
  try {
    toml::table t = toml::parse_file(file);
    const toml::table* sources = t["source"].as_table();
    if (!sources) return;
    for (const auto& [name, node] : *sources) {
      const toml::table* s = node.as_table();
      if (!s) continue;
      for (const char* key : {"directory", "local-registry"}) {
        if (auto v = (*s)[key].value<std::string>()) {
          std::string p = normalize_path(absolute_path(*v, base));
          if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
        }
      }
    }
  } catch (const std::exception&) {
  }
}

bool under_any(const std::string& p, const std::vector<ContainerMount>& mounts) {
  for (const auto& m : mounts)
    if (!m.volume && m.source == m.target && path_is_under(p, m.source)) return true;
  return false;
}

std::string lookup(const HostContext& h, const std::string& name) {
  auto v = h.env ? h.env(name) : std::nullopt;
  return v ? *v : "";
}

// An init for PID 1 that podman can use: its own catatonit, else tini from the host.
std::string podman_init() {
  for (const char* p : {"/usr/libexec/podman/catatonit", "/usr/bin/catatonit"})
    if (path_exists(p)) return "default";
  for (const char* p : {"/usr/bin/tini-static", "/usr/bin/tini"})
    if (path_exists(p)) return p;
  return {};
}

}  // namespace

HostContext HostContext::from_process(const ConfigReport& config) {
  HostContext h;
  h.cwd = current_dir();
  h.workspace_dir = config.cargo_toml.empty() ? h.cwd : dir_name(config.cargo_toml);
  h.home = env_or("HOME");
  h.cargo_home = env_or("CARGO_HOME", h.home.empty() ? "" : h.home + "/.cargo");
  h.kiln_binary = self_exe_path();
  if (config.user_file_found) h.kiln_user_config = config.user_file;
  h.uid = ::getuid();
  h.gid = ::getgid();
  h.rootless = ::geteuid() != 0;
  h.stdin_tty = ::isatty(0);
  h.stdout_tty = ::isatty(1);
  h.env = [](const std::string& n) -> std::optional<std::string> {
    const char* v = std::getenv(n.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos && eq > 0) h.env_names.push_back(kv.substr(0, eq));
  }
  return h;
}

std::vector<std::string> cargo_directory_sources(const std::string& cwd, const std::string& cargo_home) {
  std::vector<std::string> out;
  std::string dir = normalize_path(cwd);
  while (!dir.empty()) {
    std::string f = cargo_config_in(path_join(dir, ".cargo"));
    if (!f.empty()) add_sources_of(f, dir, out);
    if (dir == "/") break;
    dir = dir_name(dir);
  }
  if (!cargo_home.empty()) {
    std::string f = cargo_config_in(cargo_home);
    if (!f.empty()) add_sources_of(f, dir_name(cargo_home), out);
  }
  return out;
}

RunSpec base_run_spec(const ContainerRuntime& rt, const Config& cfg, const std::string& image) {
  RunSpec s;
  s.image = image;
  if (rt.kind == RuntimeKind::Podman) {
    // podman asks runc for rlimits above what this process may set on some hosts (see
    // runtime.h); the host's own values always work. nproc is capped: hosts that hold a lower
    // limit than they report refuse more (seen: 32768 works where 96364 is reported).
    rlimit nofile {}, nproc {};
    ::getrlimit(RLIMIT_NOFILE, &nofile);
    ::getrlimit(RLIMIT_NPROC, &nproc);
    auto clamp = [](rlim_t v, rlim_t cap) { return v == RLIM_INFINITY || v > cap ? cap : v; };
    rlim_t nf = clamp(nofile.rlim_cur, 1u << 20);
    rlim_t np = clamp(nproc.rlim_cur, 32768);
    s.ulimits = {{"nofile", std::to_string(nf) + ":" + std::to_string(nf)},
                 {"nproc", std::to_string(np) + ":" + std::to_string(np)}};
  }
  s.extra = cfg.container_run_args;
  return s;
}

RunSpec plan_container_run(const ContainerRuntime& rt, const Config& cfg, const HostContext& host,
                           const std::string& image, const std::vector<std::string>& command, bool wrap_rustc) {
  RunSpec s = base_run_spec(rt, cfg, image);
  s.command = command;
  s.workdir = host.cwd;
  s.network = cfg.container_network == "host" ? "host" : "none";
  s.interactive = true;
  s.tty = host.stdin_tty && host.stdout_tty;
  s.name = "kiln-" + std::to_string(::getpid());
  s.init_path = rt.kind == RuntimeKind::Docker ? "default" : podman_init();
  std::string ids = std::to_string(host.uid) + ":" + std::to_string(host.gid);
  if (rt.kind == RuntimeKind::Podman && host.rootless) s.keep_id = true;
  else s.user = ids;

  auto bind = [&s](const std::string& src, const std::string& dst, bool ro) { s.mounts.push_back({src, dst, ro, false}); };
  std::string ws = host.workspace_dir.empty() ? host.cwd : host.workspace_dir;
  if (!path_is_under(host.cwd, ws)) ws = host.cwd;
  bind(ws, ws, false);
  for (const char* var : {"CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"}) {
    std::string t = lookup(host, var);
    if (t.empty() || t[0] != '/' || under_any(t, s.mounts)) continue;
    (void)make_dirs(t);
    bind(t, t, false);
  }
  for (const auto& src : cargo_directory_sources(host.cwd, host.cargo_home))
    if (path_exists(src) && !under_any(src, s.mounts)) bind(src, src, true);

  (void)make_dirs(cfg.dir);
  bind(cfg.dir, kContainerStore, false);
  std::string kiln_bin = host.kiln_binary.empty() ? "/proc/self/exe" : host.kiln_binary;
  bind(kiln_bin, std::string(kContainerKilnBin) + "/kiln", true);
  bind(kiln_bin, std::string(kContainerKilnBin) + "/cargo-kiln", true);
  if (!host.kiln_user_config.empty()) bind(host.kiln_user_config, std::string(kContainerHome) + "/.config/kiln/config.toml", true);
  std::string log = lookup(host, "KILN_LOG");
  if (!log.empty() && log[0] == '/' && !under_any(log, s.mounts)) bind(dir_name(log), dir_name(log), false);

  for (auto& m : cargo_cache_mounts(cfg.container_caches, host.cargo_home)) s.mounts.push_back(m);
  for (const char* n : {"config.toml", "config", "credentials.toml", "credentials"}) {
    std::string p = path_join(host.cargo_home, n);
    if (!host.cargo_home.empty() && path_exists(p)) {
      std::string target = std::string(kContainerCargoHome) + "/" + n;
      if (std::string(n) == "config") target = std::string(kContainerCargoHome) + "/config.toml";
      if (std::string(n) == "credentials") target = std::string(kContainerCargoHome) + "/credentials.toml";
      bool taken = std::any_of(s.mounts.begin(), s.mounts.end(), [&](const ContainerMount& m) { return m.target == target; });
      if (!taken) bind(p, target, true);
    }
  }
  std::string agent = lookup(host, "SSH_AUTH_SOCK");
  if (!agent.empty() && path_exists(agent)) {
    bind(agent, kContainerSshAgent, false);
    s.env.push_back({"SSH_AUTH_SOCK", kContainerSshAgent});
  }

  s.env.push_back({"HOME", kContainerHome});
  s.env.push_back({"CARGO_HOME", kContainerCargoHome});
  s.env.push_back({"PATH", container_path_value()});
  s.env.push_back({"KILN_DIR", kContainerStore});
  s.env.push_back({kInContainerVar, "1"});
  if (lookup(host, "RUST_BACKTRACE").empty()) s.env.push_back({"RUST_BACKTRACE", "1"});
  if (wrap_rustc) s.env.push_back({"RUSTC_WRAPPER", std::string(kContainerKilnBin) + "/kiln"});
  std::vector<std::string> names = host.env_names;
  std::sort(names.begin(), names.end());
  for (const auto& n : names)
    if (passes_into_container(n)) s.env_from_host.push_back(n);
  return s;
}

}  // namespace kiln

// RunSpec → `podman run` / `docker run` arguments (see run_spec.h). The two dialects agree on
// everything kiln uses except the init binary and podman's user-namespace mapping.
#include "container/run_spec.h"

namespace kiln {

std::vector<std::string> run_command_line(const ContainerRuntime& rt, const RunSpec& spec) {
  std::vector<std::string> a = {"run", "--rm"};
  if (!spec.name.empty()) a.insert(a.end(), {"--name", spec.name});
  if (spec.interactive) a.push_back("-i");
  if (spec.tty) a.push_back("-t");
  a.push_back("--network=" + spec.network);
  if (!spec.init_path.empty()) {
    a.push_back("--init");
    if (spec.init_path != "default" && rt.kind == RuntimeKind::Podman) a.insert(a.end(), {"--init-path", spec.init_path});
  }
  if (spec.keep_id && rt.kind == RuntimeKind::Podman) a.push_back("--userns=keep-id");
  if (!spec.user.empty()) a.insert(a.end(), {"--user", spec.user});
  for (const auto& [what, value] : spec.ulimits) a.insert(a.end(), {"--ulimit", what + "=" + value});
  for (const auto& m : spec.mounts) {
    std::string v = m.source + ":" + m.target;
    if (m.read_only) v += ":ro";
    a.insert(a.end(), {"-v", v});
  }
  for (const auto& [k, v] : spec.env) a.insert(a.end(), {"--env", k + "=" + v});
  for (const auto& k : spec.env_from_host) a.insert(a.end(), {"--env", k});
  if (!spec.workdir.empty()) a.insert(a.end(), {"-w", spec.workdir});
  a.insert(a.end(), spec.extra.begin(), spec.extra.end());
  a.push_back(spec.image);
  a.insert(a.end(), spec.command.begin(), spec.command.end());
  return rt.command(a);
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& s : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                                   "_-+=/.,:@%") == std::string::npos;
    if (plain) {
      out += s;
      continue;
    }
    out += '\'';
    for (char c : s) {
      if (c == '\'') out += "'\\''";
      else out += c;
    }
    out += '\'';
  }
  return out;
}

}  // namespace kiln

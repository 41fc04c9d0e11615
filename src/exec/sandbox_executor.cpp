// The sandbox executor (see executor.h): bubblewrap around the local executor. The sandbox
// is checked once per process with a trivial command, so that a sandbox that cannot start
// (no user namespaces, a seccomp policy) is an error that names the cause — never a build
// that silently ran without one. Keys do not depend on the sandbox: it only takes away.
#include <cstdlib>

#include "exec/executor.h"
#include "util/fs.h"

namespace kiln {

std::vector<std::string> SandboxExecutor::command_line(const ExecRequest& request) const {
  std::vector<std::string> c = {bwrap_, "--die-with-parent", "--unshare-net"};
  if (mode_ == SandboxMode::Strict) {
    c.insert(c.end(), {"--ro-bind", "/", "/", "--dev-bind", "/dev", "/dev", "--tmpfs", "/tmp"});
    for (const auto& d : request.writable_dirs)
      if (!d.empty() && path_exists(d)) c.insert(c.end(), {"--bind", d, d});
  } else {
    c.insert(c.end(), {"--dev-bind", "/", "/"});
  }
  // The tracer goes into the command, not into bwrap itself (whose own reads are no input).
  for (const auto& e : request.env) {
    if (e.rfind("LD_PRELOAD=", 0) == 0) c.insert(c.end(), {"--setenv", "LD_PRELOAD", e.substr(11)});
    if (e.rfind("KILN_TRACE_FILE=", 0) == 0 && mode_ == SandboxMode::Strict) {
      std::string dir = dir_name(e.substr(16));
      c.insert(c.end(), {"--bind", dir, dir});
    }
  }
  if (!request.cwd.empty()) c.insert(c.end(), {"--chdir", request.cwd});
  c.push_back("--");
  c.insert(c.end(), request.argv.begin(), request.argv.end());
  return c;
}

Result<ProcessResult> SandboxExecutor::run(const ExecRequest& request) {
  static int usable = -1;  // checked once per process
  if (usable < 0) {
    auto probe = run_process({bwrap_, "--die-with-parent", "--unshare-net", "--dev-bind", "/", "/", "--", "true"});
    usable = probe && probe->exit_code == 0;
    if (!usable)
      return make_error("sandbox: bubblewrap cannot start here (" +
                        (probe ? probe->stderr_data.substr(0, 200) : probe.error().message) +
                        "); set KILN_SANDBOX=off to build without a sandbox");
  }
  if (!usable) return make_error("sandbox: bubblewrap cannot start here; set KILN_SANDBOX=off");
  ExecRequest wrapped = request;
  wrapped.argv = command_line(request);
  if (!wrapped.env.empty()) {  // bwrap runs untraced; --setenv hands the tracer to the command
    std::vector<std::string> env;
    for (const auto& e : wrapped.env)
      if (e.rfind("LD_PRELOAD=", 0) != 0) env.push_back(e);
    wrapped.env = std::move(env);
  }
  LocalExecutor local;
  return local.run(wrapped);
}

}  // namespace kiln

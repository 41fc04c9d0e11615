// The sandbox executor (see executor.h): bubblewrap around the local executor. The sandbox
// is checked once per process with a trivial command, so that a sandbox that cannot start
// (no user namespaces, a seccomp policy) is an error that names the cause — never a build
// that silently ran without one. Keys do not depend on the sandbox: it only takes away.
#include <stdlib.h>

#include <cstdlib>

#include "exec/executor.h"
#include "util/fs.h"

namespace kiln {

std::vector<std::string> SandboxExecutor::command_line(const ExecRequest& request) const {
  std::vector<std::string> c = {bwrap_, "--die-with-parent", "--unshare-net"};
  if (mode_ == SandboxMode::Strict) {
    c.insert(c.end(), {"--ro-bind", "/", "/", "--dev-bind", "/dev", "/dev"});
    for (const auto& d : request.writable_dirs)
      if (!d.empty() && path_exists(d)) c.insert(c.end(), {"--bind", d, d});
    // A private temp dir (not a tmpfs over /tmp: sources and targets may live there).
    if (!private_tmp_.empty())
      c.insert(c.end(), {"--bind", private_tmp_, private_tmp_, "--setenv", "TMPDIR", private_tmp_});
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
  if (mode_ == SandboxMode::Strict) {
    char tmpl[] = "/tmp/kiln-sandbox.XXXXXX";
    const char* base = std::getenv("TMPDIR");
    std::string t = std::string(base && *base ? base : "/tmp") + "/kiln-sandbox.XXXXXX";
    std::vector<char> buf(t.begin(), t.end());
    buf.push_back('\0');
    char* made = ::mkdtemp(buf.data());
    if (!made) made = ::mkdtemp(tmpl);
    if (!made) return make_error("sandbox: cannot create a private temp dir");
    private_tmp_ = made;
  }
  ExecRequest wrapped = request;
  wrapped.argv = command_line(request);
  if (!wrapped.env.empty()) {  // bwrap runs untraced; --setenv hands the tracer to the command
    std::vector<std::string> env;
    for (const auto& e : wrapped.env)
      if (e.rfind("LD_PRELOAD=", 0) != 0) env.push_back(e);
    wrapped.env = std::move(env);
  }
  LocalExecutor local;
  auto result = local.run(wrapped);
  if (!private_tmp_.empty()) (void)remove_all(private_tmp_);
  private_tmp_.clear();
  return result;
}

}  // namespace kiln

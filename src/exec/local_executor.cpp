// The local executor: the command as a child process, its output teed to kiln's own stdout
// and stderr as it arrives (cargo sees the rmeta artifact notice before codegen ends).
#include <unistd.h>

#include "exec/executor.h"
#include "util/fs.h"

namespace kiln {

Result<ProcessResult> LocalExecutor::run(const ExecRequest& request) {
  // cargo runs rustc in the directory kiln was started in; kiln does not chdir elsewhere.
  if (!request.cwd.empty() && request.cwd != current_dir()) {
    if (::chdir(request.cwd.c_str()) != 0) return make_error("cannot enter " + request.cwd);
  }
  return run_process(request.argv, request.sink, request.env.empty() ? nullptr : &request.env);
}

Result<SandboxMode> parse_sandbox_mode(const std::string& text) {
  if (text == "off" || text.empty()) return SandboxMode::Off;
  if (text == "network") return SandboxMode::Network;
  if (text == "strict") return SandboxMode::Strict;
  return make_error("expected \"off\", \"network\" or \"strict\"");
}

Result<std::unique_ptr<Executor>> make_executor(const Config& cfg) {
  if (cfg.executor == "buildkit") return make_buildkit_executor(cfg);
  if (!cfg.executor.empty() && cfg.executor != "local")
    return make_error("unknown executor '" + cfg.executor + "' (known: local, buildkit)");
  auto mode = parse_sandbox_mode(cfg.sandbox);
  if (!mode) return make_error("sandbox: " + mode.error().message);
  if (*mode == SandboxMode::Off) return std::unique_ptr<Executor>(new LocalExecutor());
  auto bwrap = find_in_path("bwrap");
  if (!bwrap)
    return make_error("sandbox: KILN_SANDBOX=" + cfg.sandbox +
                      " needs bubblewrap, which is not installed (apt-get install bubblewrap), or set KILN_SANDBOX=off");
  return std::unique_ptr<Executor>(new SandboxExecutor(*mode, *bwrap));
}

}  // namespace kiln

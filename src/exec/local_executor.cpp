// The local executor: rustc as a child process, its output teed to kiln's own stdout and
// stderr as it arrives (cargo sees the rmeta artifact notice before codegen ends).
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

Result<std::unique_ptr<Executor>> make_executor(const std::string& name) {
  if (name.empty() || name == "local") return std::unique_ptr<Executor>(new LocalExecutor());
  return make_error("unknown executor '" + name + "' (known: local)");
}

}  // namespace kiln

// Executors: where a cache miss runs rustc. Only "local" exists today; a network-less
// sandbox (bubblewrap), a toolchain container and a remote BuildKit daemon implement the
// same interface.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "util/process.h"

namespace kiln {

/// One compilation to run: the full command line, where, and with which environment.
struct ExecRequest {
  std::vector<std::string> argv;  // argv[0] = rustc (or workspace wrapper)
  std::string cwd;
  std::vector<std::string> env;  // the whole environment ("NAME=value"); empty: kiln's own
  OutputSink sink;  // receives stdout/stderr chunks as they arrive (pipelining)
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string name() const = 0;
  /// Runs the request; stdout/stderr chunks go to `sink` as produced and are also returned.
  /// Errors: the command could not be started.
  virtual Result<ProcessResult> run(const ExecRequest& request) = 0;
};

/// Runs rustc as a child of this process, in `cwd`, with `env` (or kiln's environment).
class LocalExecutor : public Executor {
 public:
  std::string name() const override { return "local"; }
  Result<ProcessResult> run(const ExecRequest& request) override;
};

/// The executor named by `name` ("local"). Errors: unknown name.
Result<std::unique_ptr<Executor>> make_executor(const std::string& name);

}  // namespace kiln

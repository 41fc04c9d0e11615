// Executors: where a miss runs. An executor receives the command (argv), its environment,
// working directory and the directories it may write, and returns its exit code and output,
// forwarding the output as it arrives. The engine picks one from the configuration
// (make_executor): `local` runs the command as a child process; `sandbox` (KILN_SANDBOX =
// network | strict) runs it inside bubblewrap — without network, and with `strict` also on a
// read-only file system except its output dirs and a private /tmp. A toolchain container and
// `buildkit` (KILN_EXECUTOR=buildkit) runs it as a BuildKit build on the daemon DOCKER_HOST
// names (exec/buildkit_executor.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "util/process.h"

namespace kiln {

/// One command to run: the full command line, where, with which environment, and where it
/// writes.
struct ExecRequest {
  std::vector<std::string> argv;  // argv[0] = rustc (or workspace wrapper, or a build script)
  std::string cwd;
  std::vector<std::string> env;  // the whole environment ("NAME=value"); empty: kiln's own
  std::vector<std::string> inputs;  // what it is declared to read before it runs (absolute paths:
                                    // files or dirs) — what a remote executor must ship; what it
                                    // really read is learnt from the trace
  std::vector<std::string> writable_dirs;  // output dirs (a strict sandbox lets it write only there)
  OutputSink sink;  // receives stdout/stderr chunks as they arrive (pipelining)
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string name() const = 0;
  /// Runs the request; stdout/stderr chunks go to `sink` as produced and are also returned.
  /// Errors: the command could not be started; a sandbox that cannot start says so with a
  /// message starting "sandbox:" (the engine then stops the build instead of running the
  /// command unsandboxed).
  virtual Result<ProcessResult> run(const ExecRequest& request) = 0;
};

/// Runs the command as a child of this process, in `cwd`, with `env` (or kiln's environment).
class LocalExecutor : public Executor {
 public:
  std::string name() const override { return "local"; }
  Result<ProcessResult> run(const ExecRequest& request) override;
};

/// How much a sandbox takes away.
enum class SandboxMode { Off, Network, Strict };

/// Runs the command inside bubblewrap (`bwrap`, Debian's `bubblewrap`): a network namespace
/// of its own with only a loopback device (`network`); with `strict` also every mount
/// read-only except the request's writable dirs, kiln's trace dir and a private TMPDIR.
class SandboxExecutor : public Executor {
 public:
  SandboxExecutor(SandboxMode mode, std::string bwrap) : mode_(mode), bwrap_(std::move(bwrap)) {}
  std::string name() const override { return mode_ == SandboxMode::Strict ? "sandbox (strict)" : "sandbox (network)"; }
  Result<ProcessResult> run(const ExecRequest& request) override;
  /// The bwrap command line that wraps `request` (for tests and `-v`).
  std::vector<std::string> command_line(const ExecRequest& request) const;

 private:
  SandboxMode mode_;
  std::string bwrap_;
  std::string private_tmp_;  // strict: the run's own TMPDIR, removed after it
};

/// The BuildKit executor (exec/buildkit_executor.cpp): each miss one BuildKit build on the
/// daemon DOCKER_HOST names; anything that keeps it from running there runs it locally.
std::unique_ptr<Executor> make_buildkit_executor(const Config& cfg);

/// Parses "off", "network" or "strict". Errors: any other word.
Result<SandboxMode> parse_sandbox_mode(const std::string& text);

/// The executor the settings ask for: `cfg.executor` ("local" or "buildkit") with `cfg.sandbox`. Errors: an
/// unknown executor; a sandbox whose tool is missing ("sandbox: …", with the fix).
Result<std::unique_ptr<Executor>> make_executor(const Config& cfg);

}  // namespace kiln

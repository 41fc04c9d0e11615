// Running child processes: capture their output, or tee it (forward while recording).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// What a finished child left behind. `exit_code` is the exit status, or 128+signal.
struct ProcessResult {
  int exit_code = 0;
  std::string stdout_data;
  std::string stderr_data;
};

/// Called with each chunk of output as it arrives (fd is 1 or 2).
using OutputSink = std::function<void(int fd, std::string_view chunk)>;

/// Runs argv[0] (searched in PATH) with argv, inheriting the environment and every
/// non-close-on-exec fd (cargo's jobserver fds among them). stdout/stderr are read through
/// pipes: each chunk goes to `sink` as soon as it is read and is also kept in the result.
/// Errors: the program could not be started.
Result<ProcessResult> run_process(const std::vector<std::string>& argv, const OutputSink& sink = {},
                                  const std::vector<std::string>* env = nullptr);

/// Runs argv[0] (searched in PATH) with the terminal and stdio of this process, and waits.
/// While it runs, SIGINT and SIGQUIT are ignored here (the terminal sends them to the child
/// too, which decides) and SIGTERM / SIGHUP are passed on to it. Returns its exit status, or
/// 128+signal when a signal ended it. Errors: the program could not be started.
Result<int> run_foreground(const std::vector<std::string>& argv);

/// Replaces this process with argv (execvp). Returns only on failure, with the error.
Error exec_process(const std::vector<std::string>& argv);

/// The value of environment variable `name`, or `fallback` when it is unset or empty.
std::string env_or(const char* name, const std::string& fallback = {});

/// The absolute path of this process's executable (/proc/self/exe); "" when unknown.
std::string self_exe_path();

/// Writes all of `data` to fd, retrying on EINTR/partial writes.
void write_all(int fd, std::string_view data);

}  // namespace kiln

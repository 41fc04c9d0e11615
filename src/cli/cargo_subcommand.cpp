// `cargo kiln …`: a cargo subcommand (cargo finds `cargo-kiln` on PATH and runs it with
// "kiln" as the first argument; https://doc.rust-lang.org/cargo/reference/external-tools.html).
// Sets RUSTC_WRAPPER to kiln, turns incremental compilation off unless the user chose
// (incremental outputs are not reproducible and cannot be cached), tags this build's stats
// with a session id, runs cargo, and prints a one-line summary of this build.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>

#include "cli/commands.h"
#include "config/config.h"
#include "stats/stats.h"
#include "util/fs.h"
#include "util/process.h"

namespace kiln {

std::string self_path() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "kiln";
  return std::string(buf, static_cast<size_t>(n));
}

int run_cargo_subcommand(const std::vector<std::string>& cargo_args) {
  std::string session = std::to_string(::getpid()) + "-" +
                        std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
  ::setenv("RUSTC_WRAPPER", self_path().c_str(), 1);
  if (!std::getenv("CARGO_INCREMENTAL")) ::setenv("CARGO_INCREMENTAL", "0", 1);
  ::setenv("KILN_SESSION", session.c_str(), 1);
  const char* cargo_env = std::getenv("CARGO");
  std::vector<std::string> argv = {cargo_env && *cargo_env ? cargo_env : "cargo"};
  argv.insert(argv.end(), cargo_args.begin(), cargo_args.end());

  // kiln's warnings are collected and printed once, after cargo (see util/log.cpp).
  std::string warnings_file;
  {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/kiln-warnings.XXXXXX";
    int fd = ::mkstemp(tmpl.data());
    if (fd >= 0) {
      ::close(fd);
      warnings_file = tmpl;
      ::setenv("KILN_WARNINGS_FILE", warnings_file.c_str(), 1);
    }
  }
  auto result = run_process(argv, [](int fd, std::string_view chunk) { write_all(fd, chunk); });
  if (!warnings_file.empty()) {
    ::unsetenv("KILN_WARNINGS_FILE");
    if (auto text = read_file(warnings_file)) {
      std::set<std::string> seen;
      size_t i = 0;
      while (i < text->size()) {
        size_t j = text->find('\n', i);
        if (j == std::string::npos) j = text->size();
        std::string line = text->substr(i, j - i);
        if (!line.empty() && seen.insert(line).second) write_all(2, line + "\n");
        i = j + 1;
      }
    }
    ::unlink(warnings_file.c_str());
  }
  if (!result) {
    std::fprintf(stderr, "kiln: error: %s\n", result.error().message.c_str());
    return 127;
  }
  Config cfg = load_config();
  StatsSummary s = read_stats(cfg.dir, session);
  char line[256];
  std::snprintf(line, sizeof line, "kiln: %llu hits, %llu misses, %llu not cached — %.1f s of rustc saved\n",
                static_cast<unsigned long long>(s.hits), static_cast<unsigned long long>(s.misses),
                static_cast<unsigned long long>(s.not_cached_total()), s.time_saved_ms / 1000.0);
  write_all(2, line);
  return result->exit_code;
}

}  // namespace kiln

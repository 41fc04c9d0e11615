// stderr warnings and the optional $KILN_LOG debug file (appended with O_APPEND, one write
// per line, so parallel kiln processes do not interleave within a line).
#include "util/log.h"

#include "session/session_env.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace kiln {

void warn(std::string_view message) {
  std::string line = "kiln: warning: ";
  line += message;
  line += '\n';
  // Under `cargo kiln`, warnings go to a file that cargo-kiln prints once after cargo ends:
  // cargo keeps a unit's stderr and replays it on later no-op builds, so a warning written
  // to stderr here would reappear in every later build until that crate is rebuilt.
  if (std::string sink = session_env().warnings_file; !sink.empty()) {
    int fd = ::open(sink.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);  // never created here
    if (fd >= 0) {
      ssize_t r = ::write(fd, line.data(), line.size());
      ::close(fd);
      if (r == static_cast<ssize_t>(line.size())) return;
    }
  }
  ssize_t r = ::write(2, line.data(), line.size());
  (void)r;
}

namespace {
int g_log_pid = 0;  // 0: this process's pid
}  // namespace

void set_log_pid(int pid) { g_log_pid = pid; }

bool debug_enabled() {
  static const bool on = std::getenv("KILN_LOG") != nullptr;
  return on;
}

void debug(std::string_view message) {
  if (!debug_enabled()) return;
  const char* path = std::getenv("KILN_LOG");
  int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  std::string line = "[" + std::to_string(g_log_pid ? g_log_pid : ::getpid()) + "] ";
  line += message;
  line += '\n';
  ssize_t r = ::write(fd, line.data(), line.size());
  (void)r;
  ::close(fd);
}

}  // namespace kiln

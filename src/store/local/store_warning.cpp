// One store warning per build (see store_warning.h).
#include "store/local/store_warning.h"

#include "session/session_env.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "util/clock.h"
#include "util/digest.h"
#include "util/fs.h"

namespace kiln {
namespace {

// "<ppid>:<start time>" of the parent process, or "<ppid>" when /proc is not readable.
std::string parent_identity() {
  pid_t ppid = ::getppid();
  std::string id = std::to_string(ppid);
  auto stat = read_file("/proc/" + std::to_string(ppid) + "/stat");
  if (!stat) return id;
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return id;
  // Fields after the command name: state (3), ppid (4), … starttime (22).
  size_t pos = close + 2;
  for (int field = 3; field < 22 && pos != std::string::npos; ++field) {
    pos = stat->find(' ', pos);
    if (pos != std::string::npos) ++pos;
  }
  if (pos == std::string::npos) return id;
  return id + ":" + stat->substr(pos, stat->find(' ', pos) - pos);
}

std::string marks_dir() {
  const char* rt = std::getenv("XDG_RUNTIME_DIR");
  if (rt && *rt && path_exists(rt)) return std::string(rt) + "/kiln-warned";
  return "/tmp/kiln-warned-" + std::to_string(::getuid());
}

void remove_old_marks(const std::string& dir) {
  int64_t now = wall_ns();
  for (const auto& name : list_dir(dir)) {
    std::string p = dir + "/" + name;
    auto st = stat_file(p);
    if (st && now - st->mtime_ns > 86400LL * 1000000000LL) ::unlink(p.c_str());
  }
}

}  // namespace

bool first_store_warning_of_build(const std::string& store_dir) {
  std::string session = session_env().session;
  std::string build = !session.empty() ? "session " + session : "parent " + parent_identity();
  std::string dir = marks_dir();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return true;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid()) return true;
  std::string mark = dir + "/" + sha256(build + "\n" + store_dir).hex().substr(0, 32);
  int fd = ::open(mark.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return errno != EEXIST;
  ::close(fd);
  remove_old_marks(dir);
  return true;
}

}  // namespace kiln

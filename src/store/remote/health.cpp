// Down-marks for remotes (see health.h).
#include "store/remote/health.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <sstream>

#include "util/digest.h"
#include "util/fs.h"

namespace kiln {
namespace {

constexpr std::string_view kMagic = "kiln-remote-down 1";

std::string one_line(std::string_view s) {
  std::string out(s.substr(0, 300));
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

}  // namespace

RemoteHealth::RemoteHealth(std::string kiln_dir, std::string remote_name, std::string session, int64_t validity_s)
    : dir_(std::move(kiln_dir) + "/remote-health"), session_(std::move(session)), validity_s_(validity_s) {
  path_ = dir_ + "/" + sha256(remote_name).hex().substr(0, 16);
}

RemoteHealth::Mark RemoteHealth::read_mark() const {
  Mark m;
  auto text = read_file(path_);
  if (!text) return m;
  std::istringstream in(*text);
  std::string magic, t;
  if (!std::getline(in, magic) || magic != kMagic || !std::getline(in, t)) return m;
  std::getline(in, m.session);
  std::getline(in, m.reason);
  m.unix_s = std::atoll(t.c_str());
  m.present = true;
  return m;
}

bool RemoteHealth::valid(const Mark& m) const {
  if (!m.present) return false;
  if (!session_.empty() && m.session == session_) return true;
  if (!session_.empty() && !m.session.empty()) return false;  // another build's mark
  int64_t age = static_cast<int64_t>(std::time(nullptr)) - m.unix_s;
  return age >= -5 && age < validity_s_;
}

bool RemoteHealth::is_down() const { return valid(read_mark()); }

std::string RemoteHealth::reason() const {
  Mark m = read_mark();
  return valid(m) ? m.reason : std::string();
}

RemoteHealth::MarkResult RemoteHealth::mark_down(std::string_view reason) {
  if (!make_dirs(dir_)) return MarkResult::Failed;
  std::string lock_path = path_ + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return MarkResult::Failed;
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      ::close(fd);
      return MarkResult::Failed;
    }
  }
  MarkResult result = MarkResult::AlreadyDown;
  if (!valid(read_mark())) {
    std::string text = std::string(kMagic) + "\n" + std::to_string(std::time(nullptr)) + "\n" + one_line(session_) +
                       "\n" + one_line(reason) + "\n";
    result = write_file_atomic(path_, text) ? MarkResult::Made : MarkResult::Failed;
  }
  ::flock(fd, LOCK_UN);
  ::close(fd);
  return result;
}

void RemoteHealth::clear() { ::unlink(path_.c_str()); }

Error timeout_error(std::string message) { return make_error("timeout: " + std::move(message)); }

bool is_timeout(const Error& e) { return e.message.rfind("timeout: ", 0) == 0; }

}  // namespace kiln

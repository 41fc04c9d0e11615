// File system helpers (POSIX). Atomic writes follow ccache's pattern: write a unique temp
// file in the target directory, then rename(2) over the destination.
#include "util/fs.h"

#include "util/text.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>

namespace kiln {

Status read_fd_to_end(int fd, std::string& out) {
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(out.size() + static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(std::strerror(errno));
    }
    if (n == 0) return {};
    out.append(buf, static_cast<size_t>(n));
  }
}

Result<std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot open " + path + ": " + std::strerror(errno));
  std::string out;
  Status r = read_fd_to_end(fd, out);
  ::close(fd);
  if (!r) return make_error("cannot read " + path + ": " + r.error().message);
  return out;
}

std::vector<std::string> read_distinct_lines(const std::string& path) {
  std::vector<std::string> out;
  auto text = read_file(path);
  if (!text) return out;
  std::set<std::string> seen;
  for (std::string_view lv : split_lines(*text)) {
    std::string line(lv);
    if (!line.empty() && seen.insert(line).second) out.push_back(std::move(line));
  }
  return out;
}

static std::string unique_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^ static_cast<uint64_t>(::getpid())};
  static const char* k = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s = ".tmp." + std::to_string(::getpid()) + ".";  // the pid: `kiln cache verify` sees a dead writer's
  uint64_t v = rng();
  for (int i = 0; i < 10; ++i, v /= 36) s += k[v % 36];
  return s;
}

Result<TempFile> create_temp_beside(const std::string& target, mode_t mode) {
  TempFile t;
  t.target = target;
  t.mode = mode;
  t.path = target + unique_suffix();
  t.fd = ::open(t.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (t.fd < 0 && errno == ENOENT) {
    if (auto m = make_dirs(dir_name(target)); !m) return m.error();
    t.fd = ::open(t.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  }
  if (t.fd < 0) return make_error("cannot create " + t.path + ": " + std::strerror(errno));
  return t;
}

void discard_temp(TempFile& t) {
  if (t.fd >= 0) ::close(t.fd);
  t.fd = -1;
  if (!t.path.empty()) ::unlink(t.path.c_str());
  t.path.clear();
}

Status commit_temp(TempFile& t) {
  if (t.mode != 0644) ::fchmod(t.fd, t.mode);  // open(2)'s mode is cut by the umask
  int c = ::close(t.fd);
  t.fd = -1;
  if (c != 0) {
    int e = errno;
    discard_temp(t);
    return make_error("cannot write " + t.target + ": " + std::strerror(e));
  }
  if (::rename(t.path.c_str(), t.target.c_str()) != 0) {
    int e = errno;
    std::string tmp = t.path;
    discard_temp(t);
    return make_error("cannot rename " + tmp + " to " + t.target + ": " + std::strerror(e));
  }
  t.path.clear();
  return {};
}

Result<bool> link_beside(const std::string& existing, const std::string& target) {
  std::string tmp = target + unique_suffix();
  // AT_SYMLINK_FOLLOW: `existing` may be /proc/self/fd/N, which names the open file itself.
  auto link_tmp = [&] { return ::linkat(AT_FDCWD, existing.c_str(), AT_FDCWD, tmp.c_str(), AT_SYMLINK_FOLLOW); };
  if (link_tmp() != 0) {
    int e = errno;
    if (e == ENOENT && path_exists(existing)) {  // the target's directory is missing
      if (auto m = make_dirs(dir_name(target)); !m) return m.error();
      if (link_tmp() == 0) e = 0;
      else e = errno;
    }
    if (e == EXDEV || e == EPERM || e == EMLINK || e == ENOTSUP || e == EOPNOTSUPP) return false;
    if (e != 0) return make_error("cannot link " + existing + " to " + tmp + ": " + std::strerror(e));
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return make_error("cannot rename " + tmp + " to " + target + ": " + std::strerror(e));
  }
  return true;
}

Status write_fd(int fd, std::string_view data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(std::strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return {};
}

bool append_record(const std::string& path, std::string_view line, uint64_t trim_above_bytes, size_t keep_lines) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  (void)write_fd(fd, line);
  off_t size = ::lseek(fd, 0, SEEK_END);
  ::close(fd);
  if (trim_above_bytes == 0 || size <= static_cast<off_t>(trim_above_bytes)) return true;
  auto text = read_file(path);
  if (!text) return true;
  std::vector<std::string_view> lines;
  for (size_t at = 0; at < text->size();) {
    size_t nl = text->find('\n', at);
    size_t end = nl == std::string::npos ? text->size() : nl;
    if (end > at) lines.emplace_back(text->data() + at, end - at);
    at = end + 1;
  }
  std::string kept;
  for (size_t i = lines.size() > keep_lines ? lines.size() - keep_lines : 0; i < lines.size(); ++i)
    kept += std::string(lines[i]) + "\n";
  (void)write_file_atomic(path, kept);
  return true;
}

Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
  auto t = create_temp_beside(path, mode);
  if (!t) return t.error();
  if (auto w = write_fd(t->fd, data); !w) {
    discard_temp(*t);
    return make_error("cannot write " + path + ": " + w.error().message);
  }
  return commit_temp(*t);
}

Status make_dirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec && !std::filesystem::is_directory(path)) {
    return make_error("cannot create directory " + path + ": " + ec.message());
  }
  return {};
}

namespace {

FileStat to_file_stat(const struct stat& st) {
  FileStat fs;
  fs.size = static_cast<uint64_t>(st.st_size);
  fs.mtime_ns = timespec_ns(st.st_mtim);
  fs.ctime_ns = timespec_ns(st.st_ctim);
  fs.inode = st.st_ino;
  fs.mode = st.st_mode;
  return fs;
}

}  // namespace

std::optional<FileStat> stat_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return to_file_stat(st);
}

std::optional<FileStat> stat_fd(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  return to_file_stat(st);
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string normalize_path(const std::string& path) {
  if (path.empty()) return path;
  bool abs = path[0] == '/';
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (part.empty() || part == ".") {
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (!abs) parts.push_back("..");
    } else {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = abs ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) out += '/';
    out += parts[k];
  }
  if (out.empty()) out = ".";
  return out;
}

std::string absolute_path(const std::string& path, const std::string& base) {
  if (!path.empty() && path[0] == '/') return normalize_path(path);
  return normalize_path(base + "/" + path);
}

std::string dir_name(const std::string& path) {
  size_t p = path.rfind('/');
  if (p == std::string::npos) return ".";
  if (p == 0) return "/";
  return path.substr(0, p);
}

std::string base_name(const std::string& path) {
  size_t p = path.rfind('/');
  return p == std::string::npos ? path : path.substr(p + 1);
}

std::string path_join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  if (a.back() == '/') return a + (b.front() == '/' ? b.substr(1) : b);
  return a + (b.front() == '/' ? b : "/" + b);
}

bool path_is_under(std::string_view path, std::string_view dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  if (dir == "/") return !path.empty() && path[0] == '/';
  if (path.size() < dir.size() || path.substr(0, dir.size()) != dir) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

std::string current_dir() {
  char buf[4096];
  if (::getcwd(buf, sizeof buf)) return buf;
  const char* pwd = std::getenv("PWD");
  return pwd ? pwd : ".";
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(std::move(n));
  }
  ::closedir(d);
  return out;
}

std::optional<std::string> find_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* p = std::getenv("PATH");
  if (!p) return std::nullopt;
  std::string path = p;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find(':', i);
    if (j == std::string::npos) j = path.size();
    std::string dir = path.substr(i, j - i);
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + name;
    if (::access(cand.c_str(), X_OK) == 0) return cand;
    i = j + 1;
  }
  return std::nullopt;
}

Status remove_all(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return make_error("cannot remove " + path + ": " + ec.message());
  return {};
}

}  // namespace kiln

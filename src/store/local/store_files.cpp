// Enumerating the files of a local store (see store_files.h).
#include "store/local/store_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "util/fs.h"

namespace kiln {
namespace {

constexpr const char* kHex = "0123456789abcdef";

bool is_hex(const std::string& s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// True when `pid` is a live process. A zombie is not: a killed background store is reparented
// when its wrapper has returned, and a parent that is slow to reap (a container's init) would
// otherwise keep its torn temp file "in use" forever (proc(5): state Z or X in /proc/PID/stat).
bool pid_running(long pid) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0) return errno == EPERM;
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat").value_or("");
  size_t close = stat.rfind(')');
  if (close != std::string::npos && close + 2 < stat.size()) {
    char state = stat[close + 2];
    if (state == 'Z' || state == 'X') return false;
  }
  return true;
}

}  // namespace

int store_bucket(const std::string& hex) {
  if (hex.empty()) return 0;
  char c = hex[0];
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return 0;
}

std::vector<std::string> bucket_dirs(const std::string& dir, int bucket) {
  std::vector<std::string> out;
  out.reserve(32);
  for (const char* kind : {"/ac/", "/cas/"})
    for (int i = 0; i < 16; ++i) out.push_back(dir + kind + kHex[bucket & 15] + kHex[i]);
  return out;
}

bool is_store_temp_name(const std::string& name) { return name.find(".tmp.") != std::string::npos; }

bool store_temp_abandoned(const std::string& name, int64_t mtime_ns, int64_t now_ns) {
  if (now_ns - mtime_ns > kTempMaxAgeNs) return true;
  // "<62 hex>.tmp.<pid>.<random>" (util/fs.h's create_temp_beside): ours carry the writer's pid.
  size_t p = name.find(".tmp.");
  if (p == std::string::npos) return false;
  std::string rest = name.substr(p + 5);
  size_t dot = rest.find('.');
  if (dot == std::string::npos || dot == 0) return false;  // no pid (older kiln): age only
  char* end = nullptr;
  long pid = std::strtol(rest.c_str(), &end, 10);
  if (end != rest.c_str() + dot) return false;
  return !pid_running(pid);
}

void scan_bucket(const std::string& dir, int bucket, int64_t now_ns, StoreScan& out) {
  for (const auto& sub : bucket_dirs(dir, bucket)) {
    DIR* d = ::opendir(sub.c_str());
    if (!d) continue;
    bool is_entry = sub[dir.size() + 1] == 'a';
    std::string prefix = sub.substr(sub.size() - 2);
    int dfd = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      struct stat st {};
      if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
      int64_t mtime = timespec_ns(st.st_mtim);
      uint64_t disk = static_cast<uint64_t>(st.st_blocks) * 512;
      std::string path = sub + "/" + name;
      if (is_store_temp_name(name)) {
        out.temps.push_back({path, disk, mtime, store_temp_abandoned(name, mtime, now_ns)});
      } else if (S_ISREG(st.st_mode) && is_hex(name, 62)) {
        StoreFile f;
        f.kind = is_entry ? StoreFileKind::Entry : StoreFileKind::Blob;
        f.path = std::move(path);
        f.hex = prefix + name;
        f.disk_bytes = disk;
        f.mtime_ns = mtime;
        out.disk_bytes += disk;
        out.files.push_back(std::move(f));
      } else {
        out.strays.push_back(std::move(path));
      }
    }
    ::closedir(d);
  }
}

StoreScan scan_store(const std::string& dir, int64_t now_ns) {
  StoreScan s;
  for (int b = 0; b < kStoreBuckets; ++b) scan_bucket(dir, b, now_ns, s);
  return s;
}

}  // namespace kiln

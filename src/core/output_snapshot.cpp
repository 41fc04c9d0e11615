// Output files held open for records that run later (see output_snapshot.h).
#include "core/output_snapshot.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/xxh3.h"

namespace kiln {
namespace {

// The XXH3-64 of the file behind `fd`, `size` bytes (mapped, not copied); nullopt when it
// cannot be read.
std::optional<uint64_t> checksum(int fd, uint64_t size) {
  if (size == 0) return xxh3_64({});
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return std::nullopt;
  uint64_t h = xxh3_64(std::string_view(static_cast<const char*>(p), size));
  ::munmap(p, size);
  return h;
}

}  // namespace

OutputSnapshot::~OutputSnapshot() {
  for (auto& [path, o] : files_)
    if (o.fd >= 0) ::close(o.fd);
}

OutputSnapshot OutputSnapshot::take(const std::vector<std::string>& paths) {
  OutputSnapshot s;
  for (const auto& p : paths) {
    if (s.files_.count(p)) continue;
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    auto st = stat_fd(fd);
    std::optional<uint64_t> sum = st && S_ISREG(st->mode) ? checksum(fd, st->size) : std::nullopt;
    if (!sum) {
      ::close(fd);
      continue;
    }
    s.files_.emplace(p, Open{fd, *st, *sum});
  }
  return s;
}

std::optional<FileStat> OutputSnapshot::stat(const std::string& path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  return it->second.st;
}

Result<std::string> OutputSnapshot::read(const std::string& path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return make_error("output changed: " + path + " was not there when the command ended");
  const Open& o = it->second;
  auto now = stat_fd(o.fd);
  if (!now || now->size != o.st.size) return make_error("output changed after the command ended: " + path);
  std::string content(o.st.size, '\0');
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::pread(o.fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("cannot read " + path + ": " + std::strerror(errno));
    if (n == 0) return make_error("output changed after the command ended: " + path + " got shorter");
    done += static_cast<size_t>(n);
  }
  if (xxh3_64(content) != o.xxh3) return make_error("output changed after the command ended: " + path);
  return content;
}

Result<std::string> read_output(const OutputSnapshot* snapshot, const std::string& path) {
  return snapshot ? snapshot->read(path) : read_file(path);
}

std::optional<FileStat> stat_output(const OutputSnapshot* snapshot, const std::string& path) {
  return snapshot ? snapshot->stat(path) : stat_file(path);
}

}  // namespace kiln

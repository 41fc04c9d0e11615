// Restoring a plain blob file by hard link (see blob_link.h).
#include "store/local/blob_link.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "util/fs.h"
#include "util/log.h"

namespace kiln {
namespace {

// A read-only mapping of a whole file, unmapped when it goes.
struct Mapping {
  void* p = MAP_FAILED;
  size_t n = 0;
  ~Mapping() {
    if (p != MAP_FAILED) ::munmap(p, n);
  }
  std::string_view bytes() const {
    return n == 0 ? std::string_view() : std::string_view(static_cast<const char*>(p), n);
  }
};

}  // namespace

Result<bool> restore_plain_blob(int fd, const std::string& blob, const struct stat& st, const BlobTag& tag,
                                const Digest& digest, const std::string& path, bool executable, bool allow_link) {
  if (tag.digest != digest) return false;
  Mapping m;
  m.n = static_cast<size_t>(st.st_size);
  if (m.n > 0) {
    // MAP_POPULATE maps the (cached) pages up front: one call instead of a fault per page.
    m.p = ::mmap(nullptr, m.n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (m.p == MAP_FAILED) return make_error("cannot map " + blob + ": " + std::strerror(errno));
  }
  if (xxh3_64(m.bytes()) != tag.xxh3_64) return false;

  mode_t want = executable ? 0755 : 0644;
  bool same_mode = (st.st_mode & 07777) == want;
  if (!same_mode && st.st_nlink == 1 && ::fchmod(fd, want) == 0) same_mode = true;  // only the store has it
  // Now is the blob's last use (eviction's recency) and, when linked, the output's mtime, as a
  // copy's would be.
  ::futimens(fd, nullptr);
  if (allow_link && same_mode) {
    auto linked = link_beside("/proc/self/fd/" + std::to_string(fd), path);
    if (linked && *linked) return true;
    if (!linked) debug("copying " + blob + ": " + linked.error().message);
  }
  if (auto c = write_file_atomic(path, m.bytes(), want); !c) return c.error();
  return true;
}

}  // namespace kiln

// Tar archives through libarchive (https://libarchive.org), loaded on first use (dlopen
// "libarchive.so.13", as libcurl is: util/curl_api.h) so that the wrapper's process start
// does not pay for it. Writing is reproducible: ustar entries exactly as given (the caller
// sorts them), owner 0:0 with no names, the given mtime, gzip without a timestamp or name.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "util/expected.h"

struct archive;  // libarchive's handle (<archive.h>)

namespace kiln {

/// Writes one tar file, optionally gzip-compressed. Errors are values; the file is left for
/// the caller to remove on failure.
class TarWriter {
 public:
  /// Opens `path` for writing (`gzip`: a .tar.gz). Errors: libarchive missing, cannot create.
  static Result<std::unique_ptr<TarWriter>> open(const std::string& path, bool gzip);
  ~TarWriter();
  /// A directory entry `path` (no leading '/', no trailing '/') with `mode` (e.g. 0755).
  Status add_dir(const std::string& path, unsigned mode, int64_t mtime);
  /// A regular file with `data` as its content.
  Status add_file(const std::string& path, std::string_view data, unsigned mode, int64_t mtime);
  /// A regular file whose content is read from `source` (streamed; sizes in bytes).
  Status add_file_from(const std::string& path, const std::string& source, unsigned mode, int64_t mtime);
  /// Finishes the archive. Errors: a write failed (disk full).
  Status close();

 private:
  TarWriter() = default;
  Status header(const std::string& path, unsigned type, unsigned mode, int64_t size, int64_t mtime);
  ::archive* a_ = nullptr;
  bool closed_ = false;
};

/// One entry of an archive being read.
struct TarEntry {
  std::string path;     // as stored ("./usr/lib/…" or "usr/lib/…")
  char type = 'f';      // 'f' file, 'd' directory, 'l' symlink, 'h' hard link, '?' other
  std::string link;     // symlink or hard-link target
  int64_t size = 0;
};

/// Reads the tar (any compression libarchive knows) at `path`, calling `each` per entry;
/// `read` (valid during the call) returns up to `max` bytes of the entry's content. `each`
/// returns false to stop. Errors: libarchive missing, not an archive, a damaged one.
Status read_tar(const std::string& path,
                const std::function<bool(const TarEntry&, const std::function<std::string(size_t max)>& read)>& each);

}  // namespace kiln

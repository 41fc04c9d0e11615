// The default Store::restore_blob (see store.h): fetch the whole blob, then write it.
#include "store/store.h"

#include "util/fs.h"

namespace kiln {

Result<bool> Store::restore_blob(const Digest& digest, const std::string& path, bool executable, bool) {
  auto blob = get_blob(digest);
  if (!blob) return blob.error();
  if (!*blob) return false;
  if (auto w = write_file_atomic(path, **blob, executable ? 0755 : 0644); !w) return w.error();
  return true;
}

}  // namespace kiln

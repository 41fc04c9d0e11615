// libarchive, loaded on first use, behind TarWriter and read_tar (see tar_archive.h).
#include "util/tar_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <mutex>

namespace kiln {
namespace {

// The functions used, typed from libarchive's own header.
struct Api {
  decltype(&::archive_write_new) write_new;
  decltype(&::archive_write_set_format_ustar) write_set_format_ustar;
  decltype(&::archive_write_add_filter_gzip) write_add_filter_gzip;
  decltype(&::archive_write_set_filter_option) write_set_filter_option;
  decltype(&::archive_write_set_bytes_in_last_block) write_set_bytes_in_last_block;
  decltype(&::archive_write_open_filename) write_open_filename;
  decltype(&::archive_write_header) write_header;
  decltype(&::archive_write_data) write_data;
  decltype(&::archive_write_finish_entry) write_finish_entry;
  decltype(&::archive_write_close) write_close;
  decltype(&::archive_write_free) write_free;
  decltype(&::archive_error_string) error_string;
  decltype(&::archive_entry_new) entry_new;
  decltype(&::archive_entry_free) entry_free;
  decltype(&::archive_entry_set_pathname) entry_set_pathname;
  decltype(&::archive_entry_set_size) entry_set_size;
  decltype(&::archive_entry_set_filetype) entry_set_filetype;
  decltype(&::archive_entry_set_perm) entry_set_perm;
  decltype(&::archive_entry_set_uid) entry_set_uid;
  decltype(&::archive_entry_set_gid) entry_set_gid;
  decltype(&::archive_entry_set_mtime) entry_set_mtime;
  decltype(&::archive_read_new) read_new;
  decltype(&::archive_read_support_filter_all) read_support_filter_all;
  decltype(&::archive_read_support_format_all) read_support_format_all;
  decltype(&::archive_read_open_filename) read_open_filename;
  decltype(&::archive_read_next_header) read_next_header;
  decltype(&::archive_read_data) read_data;
  decltype(&::archive_read_free) read_free;
  decltype(&::archive_entry_pathname) entry_pathname;
  decltype(&::archive_entry_filetype) entry_filetype;
  decltype(&::archive_entry_symlink) entry_symlink;
  decltype(&::archive_entry_hardlink) entry_hardlink;
  decltype(&::archive_entry_size) entry_size;
};

Api g_api;
bool g_loaded = false;
std::string g_error;

template <class F>
bool bind(void* lib, F& fn, const char* name) {
  fn = reinterpret_cast<F>(::dlsym(lib, name));
  if (!fn) g_error = std::string("libarchive lacks ") + name;
  return fn != nullptr;
}

void load() {
  void* lib = ::dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* e = ::dlerror();
    g_error = std::string("cannot load libarchive.so.13 (apt-get install libarchive13): ") + (e ? e : "unknown error");
    return;
  }
  Api& a = g_api;
#define B(field, name) bind(lib, a.field, #name)
  g_loaded = B(write_new, archive_write_new) && B(write_set_format_ustar, archive_write_set_format_ustar) &&
             B(write_add_filter_gzip, archive_write_add_filter_gzip) &&
             B(write_set_filter_option, archive_write_set_filter_option) &&
             B(write_set_bytes_in_last_block, archive_write_set_bytes_in_last_block) &&
             B(write_open_filename, archive_write_open_filename) && B(write_header, archive_write_header) &&
             B(write_data, archive_write_data) && B(write_finish_entry, archive_write_finish_entry) &&
             B(write_close, archive_write_close) && B(write_free, archive_write_free) &&
             B(error_string, archive_error_string) && B(entry_new, archive_entry_new) &&
             B(entry_free, archive_entry_free) && B(entry_set_pathname, archive_entry_set_pathname) &&
             B(entry_set_size, archive_entry_set_size) && B(entry_set_filetype, archive_entry_set_filetype) &&
             B(entry_set_perm, archive_entry_set_perm) && B(entry_set_uid, archive_entry_set_uid) &&
             B(entry_set_gid, archive_entry_set_gid) && B(entry_set_mtime, archive_entry_set_mtime) &&
             B(read_new, archive_read_new) && B(read_support_filter_all, archive_read_support_filter_all) &&
             B(read_support_format_all, archive_read_support_format_all) &&
             B(read_open_filename, archive_read_open_filename) && B(read_next_header, archive_read_next_header) &&
             B(read_data, archive_read_data) && B(read_free, archive_read_free) &&
             B(entry_pathname, archive_entry_pathname) && B(entry_filetype, archive_entry_filetype) &&
             B(entry_symlink, archive_entry_symlink) && B(entry_hardlink, archive_entry_hardlink) &&
             B(entry_size, archive_entry_size);
#undef B
}

const Api* api() {
  static std::once_flag once;
  std::call_once(once, load);
  return g_loaded ? &g_api : nullptr;
}

std::string err(::archive* a, const std::string& what) {
  const char* e = api()->error_string(a);
  return what + ": " + (e ? e : "libarchive error");
}

}  // namespace

Result<std::unique_ptr<TarWriter>> TarWriter::open(const std::string& path, bool gzip) {
  const Api* x = api();
  if (!x) return make_error(g_error);
  std::unique_ptr<TarWriter> w(new TarWriter());
  w->a_ = x->write_new();
  x->write_set_format_ustar(w->a_);
  x->write_set_bytes_in_last_block(w->a_, 1);  // no padding to 10 KiB: the size is the content's
  if (gzip) {
    x->write_add_filter_gzip(w->a_);
    x->write_set_filter_option(w->a_, "gzip", "timestamp", nullptr);  // no mtime in the header
  }
  if (x->write_open_filename(w->a_, path.c_str()) != ARCHIVE_OK) return make_error(err(w->a_, "cannot create " + path));
  return w;
}

TarWriter::~TarWriter() {
  if (a_) api()->write_free(a_);
}

Status TarWriter::header(const std::string& path, unsigned type, unsigned mode, int64_t size, int64_t mtime) {
  const Api* x = api();
  archive_entry* e = x->entry_new();
  x->entry_set_pathname(e, path.c_str());
  x->entry_set_filetype(e, type);
  x->entry_set_perm(e, mode);
  x->entry_set_size(e, size);
  x->entry_set_uid(e, 0);
  x->entry_set_gid(e, 0);
  x->entry_set_mtime(e, mtime, 0);
  int rc = x->write_header(a_, e);
  x->entry_free(e);
  if (rc != ARCHIVE_OK) return make_error(err(a_, "cannot add " + path));
  return {};
}

Status TarWriter::add_dir(const std::string& path, unsigned mode, int64_t mtime) {
  if (auto s = header(path + "/", AE_IFDIR, mode, 0, mtime); !s) return s;
  api()->write_finish_entry(a_);
  return {};
}

Status TarWriter::add_file(const std::string& path, std::string_view data, unsigned mode, int64_t mtime) {
  if (auto s = header(path, AE_IFREG, mode, static_cast<int64_t>(data.size()), mtime); !s) return s;
  size_t off = 0;
  while (off < data.size()) {
    la_ssize_t n = api()->write_data(a_, data.data() + off, data.size() - off);
    if (n <= 0) return make_error(err(a_, "cannot write " + path));
    off += static_cast<size_t>(n);
  }
  api()->write_finish_entry(a_);
  return {};
}

Status TarWriter::add_file_from(const std::string& path, const std::string& source, unsigned mode, int64_t mtime) {
  int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot read " + source);
  off_t size = ::lseek(fd, 0, SEEK_END);
  ::lseek(fd, 0, SEEK_SET);
  if (auto s = header(path, AE_IFREG, mode, size, mtime); !s) {
    ::close(fd);
    return s;
  }
  char buf[1 << 16];
  int64_t left = size;
  while (left > 0) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r <= 0) {
      ::close(fd);
      return make_error("cannot read " + source);
    }
    if (api()->write_data(a_, buf, static_cast<size_t>(r)) != r) {
      ::close(fd);
      return make_error(err(a_, "cannot write " + path));
    }
    left -= r;
  }
  ::close(fd);
  api()->write_finish_entry(a_);
  return {};
}

Status TarWriter::close() {
  if (closed_) return {};
  closed_ = true;
  if (api()->write_close(a_) != ARCHIVE_OK) return make_error(err(a_, "cannot finish the archive"));
  return {};
}

Status read_tar(const std::string& path,
                const std::function<bool(const TarEntry&, const std::function<std::string(size_t)>&)>& each) {
  const Api* x = api();
  if (!x) return make_error(g_error);
  ::archive* a = x->read_new();
  x->read_support_filter_all(a);
  x->read_support_format_all(a);
  if (x->read_open_filename(a, path.c_str(), 1 << 16) != ARCHIVE_OK) {
    Error e = make_error(err(a, "cannot read " + path));
    x->read_free(a);
    return e;
  }
  archive_entry* e = nullptr;
  Status result;
  while (true) {
    int rc = x->read_next_header(a, &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      result = make_error(err(a, "damaged archive " + path));
      break;
    }
    TarEntry t;
    t.path = x->entry_pathname(e) ? x->entry_pathname(e) : "";
    unsigned ft = x->entry_filetype(e);
    const char* hl = x->entry_hardlink(e);
    if (hl) {
      t.type = 'h';
      t.link = hl;
    } else if (ft == AE_IFREG) {
      t.type = 'f';
    } else if (ft == AE_IFDIR) {
      t.type = 'd';
    } else if (ft == AE_IFLNK) {
      t.type = 'l';
      t.link = x->entry_symlink(e) ? x->entry_symlink(e) : "";
    } else {
      t.type = '?';
    }
    t.size = x->entry_size(e);
    auto read = [&](size_t max) {
      std::string out;
      char buf[1 << 16];
      while (out.size() < max) {
        la_ssize_t n = x->read_data(a, buf, std::min(sizeof buf, max - out.size()));
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
      }
      return out;
    };
    if (!each(t, read)) break;
  }
  x->read_free(a);
  return result;
}

}  // namespace kiln

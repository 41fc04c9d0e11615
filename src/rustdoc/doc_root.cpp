// The doc root's shared files (see doc_root.h).
#include "rustdoc/doc_root.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "util/fs.h"
#include "util/process.h"

extern char** environ;

namespace kiln {
namespace {

// An flock(2) on `<parts root>/.lock` for as long as it lives (invalid: fd < 0).
struct DocRootLock {
  int fd = -1;
  int error = 0;  // errno of the failure
  DocRootLock(const std::string& out_dir, int how) {
    std::string root = doc_parts_root(out_dir);
    if (!make_dirs(root)) {
      error = ENOTDIR;
      return;
    }
    fd = ::open((root + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) error = errno;
    if (fd >= 0 && ::flock(fd, how) != 0) {
      error = errno;
      ::close(fd);
      fd = -1;
    }
  }
  ~DocRootLock() {
    if (fd >= 0) ::close(fd);
  }
  DocRootLock(const DocRootLock&) = delete;
  DocRootLock& operator=(const DocRootLock&) = delete;
};

// This process's environment without RUSTC_BOOTSTRAP.
std::vector<std::string> env_without_bootstrap() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e)
    if (std::strncmp(*e, "RUSTC_BOOTSTRAP=", 16) != 0) env.emplace_back(*e);
  return env;
}

// The same with RUSTC_BOOTSTRAP=1 (rustdoc's merge flags are unstable).
std::vector<std::string> bootstrap_env() {
  std::vector<std::string> env = env_without_bootstrap();
  env.emplace_back("RUSTC_BOOTSTRAP=1");
  return env;
}

// The first `n` lines of `text` (all of it when it has fewer).
std::string first_lines(const std::string& text, size_t n) {
  size_t end = 0;
  for (size_t i = 0; i < n; ++i) {
    end = text.find('\n', end);
    if (end == std::string::npos) return text;
    if (i + 1 < n) ++end;
  }
  return text.substr(0, end);
}

}  // namespace

std::string doc_parts_root(const std::string& out_dir) { return out_dir + "/.kiln-doc-parts"; }

std::vector<std::string> parse_crates_js(const std::string& text) {
  std::vector<std::string> names;
  size_t open = text.find("ALL_CRATES");
  if (open == std::string::npos) return {};
  open = text.find('[', open);
  size_t close = open == std::string::npos ? open : text.find(']', open);
  if (close == std::string::npos) return {};
  std::string list = text.substr(open + 1, close - open - 1);
  size_t p = 0;
  while ((p = list.find('"', p)) != std::string::npos) {
    size_t q = list.find('"', p + 1);
    if (q == std::string::npos) return {};
    std::string name = list.substr(p + 1, q - p - 1);
    bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
    if (!ok) return {};
    names.push_back(name);
    p = q + 1;
  }
  return names;
}

std::vector<std::string> documented_crates(const std::string& out_dir) {
  if (!path_exists(out_dir + "/crates.js")) return {};
  DocRootLock lock(out_dir, LOCK_SH);
  auto text = read_file(out_dir + "/crates.js");
  return text ? parse_crates_js(*text) : std::vector<std::string>{};
}

std::string crate_documented_without_kiln(const std::string& out_dir, const std::string& crate_name) {
  std::string root = doc_parts_root(out_dir);
  for (const auto& name : documented_crates(out_dir))
    if (name != crate_name && !path_exists(root + "/" + name)) return name;
  return {};
}

namespace {

// One `rustdoc --merge=finalize` over every crate's parts; the caller holds the lock.
Status run_finalize(const std::string& rustdoc, const std::string& out_dir) {
  std::vector<std::string> parts;
  std::string root = doc_parts_root(out_dir);
  for (const auto& name : list_dir(root))
    if (!name.empty() && name[0] != '.' && path_exists(root + "/" + name + "/" + name + ".json"))
      parts.push_back(root + "/" + name);
  // In crate-name order: entries that sort alike in the search index keep this order, so the
  // index is the same whatever order the crates were documented in.
  std::sort(parts.begin(), parts.end());
  std::vector<std::string> argv = {rustdoc, "-Zunstable-options", "--merge=finalize", "-o", out_dir};
  for (const auto& p : parts) argv.push_back("--include-parts-dir=" + p);
  std::vector<std::string> env = bootstrap_env();
  auto r = run_process(argv, {}, &env);
  if (!r) return make_error("cannot run " + rustdoc + ": " + r.error().message);
  if (r->exit_code != 0)
    return make_error("rustdoc --merge=finalize exited " + std::to_string(r->exit_code) + ": " +
                      first_lines(r->stderr_data, 3));
  return {};
}

}  // namespace

Status merge_doc_root(const std::string& rustdoc, const std::string& out_dir) {
  DocRootLock lock(out_dir, LOCK_EX);
  if (lock.fd < 0) return make_error("cannot lock " + doc_parts_root(out_dir) + "/.lock: " + std::strerror(lock.error));
  (void)::unlink((doc_parts_root(out_dir) + "/.dirty").c_str());
  return run_finalize(rustdoc, out_dir);
}

Status merge_doc_root_soon(const std::string& rustdoc, const std::string& out_dir) {
  std::string dirty = doc_parts_root(out_dir) + "/.dirty";
  if (auto s = write_file_atomic(dirty, ""); !s) return s;
  // Whoever holds the lock merges again after its merge when it finds .dirty there: a merge
  // asked for while one runs is never lost, and never waited for.
  while (path_exists(dirty)) {
    DocRootLock lock(out_dir, LOCK_EX | LOCK_NB);
    if (lock.fd < 0) {
      if (lock.error == EWOULDBLOCK) return {};
      return make_error("cannot lock " + doc_parts_root(out_dir) + "/.lock: " + std::strerror(lock.error));
    }
    if (::unlink(dirty.c_str()) != 0) return {};  // merged by the one before
    if (auto s = run_finalize(rustdoc, out_dir); !s) return s;
  }
  return {};
}

Result<std::string> fill_root_page(const std::string& text, const std::string& crate_name) {
  const std::string attr = std::string("data-current-crate=\"") + kRootPagePlaceholder + "\"";
  size_t at = text.find(attr);
  if (at == std::string::npos || text.find(kRootPagePlaceholder, at + attr.size()) != std::string::npos ||
      text.find(kRootPagePlaceholder) < at)
    return make_error("the root-page template does not name its placeholder crate exactly once");
  std::string out = text;
  out.replace(at, attr.size(), "data-current-crate=\"" + crate_name + "\"");
  return out;
}

Status write_root_pages(const std::string& rustdoc, const std::vector<std::string>& page_args,
                        const std::string& crate_name, const std::string& out_dir, const std::string& cache_dir,
                        const std::string& template_key) {
  static const char* pages[] = {"help.html", "settings.html"};
  std::string dir = cache_dir + "/rustdoc-pages/" + template_key;
  if (!path_exists(dir + "/" + pages[1])) {
    // Made once: document an empty crate named after the placeholder, keep its two pages.
    std::string work = cache_dir + "/rustdoc-pages/.make-" + std::to_string(::getpid());
    (void)remove_all(work);
    if (auto s = make_dirs(work); !s) return s;
    if (auto s = write_file_atomic(work + "/empty.rs", ""); !s) return s;
    std::vector<std::string> argv = {rustdoc, "--crate-type", "lib", "--crate-name", kRootPagePlaceholder,
                                     work + "/empty.rs", "-o", work + "/out"};
    argv.insert(argv.end(), page_args.begin(), page_args.end());
    std::vector<std::string> env = env_without_bootstrap();
    auto r = run_process(argv, {}, &env);
    if (!r || r->exit_code != 0) {
      (void)remove_all(work);
      return make_error("cannot make the root-page template: " + (r ? first_lines(r->stderr_data, 3) : r.error().message));
    }
    if (auto s = make_dirs(dir); !s) return s;
    for (const char* p : pages) {
      auto text = read_file(work + "/out/" + p);
      if (!text) return text.error();
      if (auto filled = fill_root_page(*text, "x"); !filled) return filled.error();
      if (auto s = write_file_atomic(dir + "/" + p, *text); !s) return s;
    }
    (void)remove_all(work);
  }
  for (const char* p : pages) {
    auto text = read_file(dir + "/" + p);
    if (!text) return text.error();
    auto filled = fill_root_page(*text, crate_name);
    if (!filled) return filled.error();
    if (auto s = write_file_atomic(out_dir + "/" + p, *filled); !s) return s;
  }
  return {};
}

}  // namespace kiln

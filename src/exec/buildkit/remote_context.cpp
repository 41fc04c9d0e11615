// Planning a miss as a BuildKit build and writing its context (see remote_context.h).
#include "exec/buildkit/remote_context.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "container/run_spec.h"
#include "key/package_listing.h"
#include "util/fs.h"
#include "util/text.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxFiles = 50'000;

// Directories whose content comes from the image, never from this machine.
bool system_path(const std::string& p, const std::string& sysroot) {
  static const char* dirs[] = {"/usr/lib", "/usr/lib64", "/usr/libexec", "/lib", "/lib64", "/lib32", "/usr/include",
                               "/usr/bin", "/usr/sbin", "/bin", "/sbin", "/etc", "/usr/local/lib",
                               "/usr/local/include", "/proc", "/sys", "/dev", "/kiln", "/tmp/kiln-remote"};
  for (const char* d : dirs)
    if (path_is_under(p, d)) return true;
  return p == "/" || p == "/usr" || p == "/usr/local" || (!sysroot.empty() && path_is_under(p, sysroot));
}

bool library_file(const std::string& name) {
  auto ends = [&](const char* s) { return name.size() > std::strlen(s) && name.ends_with(s); };
  return ends(".rlib") || ends(".rmeta") || ends(".so");
}

struct Collector {
  const std::string& sysroot;
  uint64_t max_bytes;
  RemoteAction& out;
  std::set<std::string> root_set;
  std::string error;

  void add_file(const std::string& path) {
    if (!error.empty() || system_path(path, sysroot) || out.files.count(path)) return;
    if (path.find('\n') != std::string::npos) return;  // cannot go into the script's lists
    auto st = stat_file(path);
    if (!st || !S_ISREG(st->mode)) return;
    out.files.emplace(path, *st);
    out.bytes += st->size;
    if (out.files.size() > kMaxFiles) error = "more than 50000 input files";
    if (out.bytes > max_bytes) error = "inputs larger than " + std::to_string(max_bytes >> 20) + " MiB";
  }
  void add_root(const std::string& dir) {
    if (!system_path(dir, sysroot)) root_set.insert(dir);
  }
  // Every file under `dir`, without target dirs (cargo's CACHEDIR.TAG) and .git; `only_libs`:
  // the libraries directly in it.
  void add_dir(const std::string& dir, bool only_libs) {
    if (system_path(dir, sysroot)) return;
    add_root(dir);
    std::error_code ec;
    if (only_libs) {
      for (const auto& e : fs::directory_iterator(dir, ec))
        if (library_file(e.path().filename().string())) add_file(e.path().string());
      return;
    }
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end && error.empty(); it.increment(ec)) {
      const fs::path& p = it->path();
      std::error_code e2;
      if (it->is_directory(e2)) {
        if (is_build_or_vcs_dir(p.string())) it.disable_recursion_pending();
        continue;
      }
      add_file(p.string());
    }
  }
};

std::string csv_ok(const std::string& path) {
  return path.find_first_of(",\"\n=") == std::string::npos ? "" : "a path with ',', '\"', '=' or a newline: " + path;
}

std::string q(const std::string& s) { return shell_quote({s}); }

// Copies `src` to `dst` with its mode and mtime. Errors: with the path.
Status copy_preserving(const std::string& src, const std::string& dst, const FileStat& st) {
  int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return make_error("cannot read " + src + ": " + std::strerror(errno));
  std::string tmp = dst + ".kiln-part";
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    ::close(in);
    return make_error("cannot write " + tmp + ": " + std::strerror(errno));
  }
  bool ok = true;
  off_t left = static_cast<off_t>(st.size);
  while (left > 0) {
    ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, static_cast<size_t>(left), 0);
    if (n <= 0) {  // another file system, or an old kernel: read and write
      char buf[1 << 16];
      ssize_t r = ::read(in, buf, sizeof buf);
      if (r <= 0) {
        ok = r == 0;
        break;
      }
      if (!write_fd(out, std::string_view(buf, static_cast<size_t>(r)))) {
        ok = false;
        break;
      }
      n = r;
    }
    left -= n;
  }
  struct timespec times[2];
  times[0].tv_sec = st.mtime_ns / 1'000'000'000;
  times[0].tv_nsec = st.mtime_ns % 1'000'000'000;
  times[1] = times[0];
  ok = ok && ::fchmod(out, st.mode & 07777) == 0 && ::futimens(out, times) == 0;
  ::close(in);
  ok = ::close(out) == 0 && ok && ::rename(tmp.c_str(), dst.c_str()) == 0;
  if (!ok) {
    ::unlink(tmp.c_str());
    return make_error("cannot copy " + src + " into the build context");
  }
  return {};
}

}  // namespace

std::vector<std::string> build_script_env_names(const std::string& out_dir) {
  std::vector<std::string> names;
  auto text = read_file(path_join(dir_name(out_dir), "output"));
  if (!text) return names;
  for (const char* prefix : {"cargo:rustc-env=", "cargo::rustc-env="})
    for (size_t p = text->find(prefix); p != std::string::npos; p = text->find(prefix, p + 1)) {
      if (p != 0 && (*text)[p - 1] != '\n') continue;
      size_t start = p + std::strlen(prefix), eq = text->find('=', start), nl = text->find('\n', start);
      if (eq != std::string::npos && eq < nl) names.push_back(text->substr(start, eq - start));
    }
  return names;
}

std::vector<std::string> sendable_env(const std::vector<std::string>& env, const std::vector<std::string>& extra,
                                      std::vector<std::string>* withheld) {
  std::vector<std::string> allowed = extra;
  if (std::string out_dir = env_entry_value(env, "OUT_DIR"); !out_dir.empty())
    for (auto& n : build_script_env_names(out_dir)) allowed.push_back(std::move(n));
  std::vector<std::string> out;
  for (const auto& e : env) {
    size_t eq = e.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string name = e.substr(0, eq);
    if (remote_env_sent(name, allowed)) out.push_back(e);
    else if (withheld) withheld->push_back(name);
  }
  return out;
}

bool remote_env_sent(const std::string& name, const std::vector<std::string>& extra) {
  if (std::find(extra.begin(), extra.end(), name) != extra.end()) return true;
  static const std::set<std::string> exact = {
      "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TERM", "CI", "NO_COLOR", "CLICOLOR",
      "CLICOLOR_FORCE", "OUT_DIR", "TARGET", "HOST", "NUM_JOBS", "OPT_LEVEL", "PROFILE", "DEBUG", "CC", "CXX", "AR",
      "RANLIB", "LD", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "ARFLAGS", "LIBRARY_PATH", "CPATH",
      "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "SOURCE_DATE_EPOCH", "RUSTFLAGS", "RUSTDOCFLAGS", "RUST_BACKTRACE",
      "RUST_MIN_STACK", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "SSL_CERT_FILE", "SSL_CERT_DIR", "LD_LIBRARY_PATH"};
  if (exact.count(name)) return true;
  if (name == "CARGO_MAKEFLAGS") return false;  // the jobserver's fds are this machine's
  static const char* prefixes[] = {"CARGO",  "__CARGO", "RUSTC",    "RUSTDOC", "DEP_",    "CC_",        "CXX_",
                                   "AR_",    "CFLAGS_", "CXXFLAGS_", "HOST_",  "TARGET_", "PKG_CONFIG", "LC_"};
  for (const char* p : prefixes)
    if (name.starts_with(p)) return true;
  return false;
}

Result<RemoteAction> plan_remote_action(const ExecRequest& request, const std::string& sysroot,
                                        const std::vector<std::string>& extra_env, uint64_t max_bytes,
                                        const ClosureLookup& closure) {
  RemoteAction a;
  a.argv = request.argv;
  a.cwd = request.cwd.empty() ? current_dir() : request.cwd;
  a.sysroot = sysroot;
  for (const auto& d : request.writable_dirs)
    if (!d.empty()) a.writable_dirs.push_back(normalize_path(absolute_path(d, a.cwd)));
  if (a.argv.empty()) return make_error("no command");
  Collector c{sysroot, max_bytes, a, {}, {}};

  // The tracer: the first library in LD_PRELOAD (tracer.h puts kiln's first).
  std::string preload = env_entry_value(request.env, "LD_PRELOAD");
  std::string tracer = preload.substr(0, preload.find_first_of(": "));
  if (tracer.empty() || env_entry_value(request.env, "KILN_TRACE_FILE").empty())
    return make_error("the command is not traced");
  c.add_file(tracer);
  c.add_root(dir_name(tracer));

  std::string program = normalize_path(absolute_path(a.argv[0], a.cwd));
  bool in_sysroot = !sysroot.empty() && path_is_under(program, sysroot);
  if (!in_sysroot) {
    c.add_file(program);
    c.add_root(dir_name(program));
    if (!c.out.files.count(program))
      return make_error(program + " is neither in the toolchain nor a file that can travel (a workspace wrapper?)");
  }
  std::string manifest_dir = env_entry_value(request.env, "CARGO_MANIFEST_DIR");
  if (!manifest_dir.empty()) c.add_dir(normalize_path(manifest_dir), false);
  // A compilation reads what its build script generated (include!(concat!(env!("OUT_DIR"), …))).
  if (std::string out_dir = env_entry_value(request.env, "OUT_DIR"); !out_dir.empty() && a.argv[0] != out_dir)
    if (auto st = stat_file(out_dir); st && S_ISDIR(st->mode)) c.add_dir(normalize_path(out_dir), false);
  std::set<std::string> dependency_dirs;
  std::vector<std::string> externs;
  bool links = false;
  auto value_of = [&](size_t& i, const char* flag) -> std::optional<std::string> {
    std::string f = flag;
    if (a.argv[i] == f && i + 1 < a.argv.size()) return a.argv[++i];
    if (a.argv[i].starts_with(f + "=")) return a.argv[i].substr(f.size() + 1);
    if (f.size() == 2 && a.argv[i].starts_with(f) && a.argv[i].size() > 2) return a.argv[i].substr(2);
    return std::nullopt;
  };
  for (size_t i = 1; i < a.argv.size(); ++i) {
    if (a.argv[i] == "--test") links = true;
    if (auto v = value_of(i, "-L")) {
      if (v->starts_with("dependency=")) dependency_dirs.insert(normalize_path(absolute_path(v->substr(11), a.cwd)));
    } else if (auto t = value_of(i, "--crate-type")) {
      for (const char* l : {"bin", "dylib", "cdylib", "staticlib", "proc-macro"})
        if (t->find(l) != std::string::npos) links = true;
    } else if (auto e = value_of(i, "--extern")) {
      if (size_t eq = e->find('='); eq != std::string::npos)
        externs.push_back(normalize_path(absolute_path(e->substr(eq + 1), a.cwd)));
    }
  }
  a.dependency_dirs.assign(dependency_dirs.begin(), dependency_dirs.end());
  // What of a crate library a compilation needs: its metadata, and its code when it links.
  auto wanted = [&](const std::string& name) {
    return name.ends_with(".rmeta") || name.ends_with(".so") || (links && name.ends_with(".rlib"));
  };
  // The externs' transitive crates, when every extern's are known; else the whole dirs.
  std::set<std::string> crates;
  bool known = closure != nullptr && !dependency_dirs.empty();
  for (const auto& e : externs) {
    if (!known) break;
    auto more = closure(e);
    if (!more) known = false;
    else crates.insert(more->begin(), more->end());
  }
  for (const auto& d : dependency_dirs) {
    c.add_root(d);
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(d, ec)) {
      std::string p = e.path().string(), name = e.path().filename().string();
      if (!library_file(name) || !wanted(name)) continue;
      if (known) {
        std::string stem = name.substr(0, name.rfind('.'));
        if (!crates.count(path_join(d, stem))) continue;
      }
      c.add_file(p);
    }
  }
  // The externs themselves (the closure names crates by stem: dir/libfoo-HASH).
  for (const auto& e : externs) {
    c.add_file(e);
    c.add_root(dir_name(e));
  }
  // The incremental dir is a cache (docs/cache-key.md): the remote run starts it empty.
  for (size_t i = 1; i < a.argv.size(); ++i) {
    std::string v = a.argv[i] == "-C" && i + 1 < a.argv.size() ? a.argv[i + 1]
                    : a.argv[i].starts_with("-C")              ? a.argv[i].substr(2)
                                                               : "";
    if (v.starts_with("incremental=")) {
      std::string d = normalize_path(absolute_path(v.substr(12), a.cwd));
      a.cache_dirs.push_back(d);
      a.writable_dirs.erase(std::remove(a.writable_dirs.begin(), a.writable_dirs.end(), d), a.writable_dirs.end());
    }
  }
  for (const auto& in : request.inputs) {
    std::string p = normalize_path(absolute_path(in, a.cwd));
    if (dependency_dirs.count(p) || std::find(externs.begin(), externs.end(), p) != externs.end()) continue;
    auto st = stat_file(p);
    if (!st) continue;
    if (S_ISDIR(st->mode)) {
      if (!manifest_dir.empty() && path_is_under(p, normalize_path(manifest_dir))) continue;  // walked already
      c.add_dir(p, false);
    } else {
      c.add_file(p);
      c.add_root(dir_name(p));
    }
  }
  if (!c.error.empty()) return make_error(c.error);

  // Mount points: no root under another (the outer one's mirror holds the inner files).
  for (const auto& r : c.root_set)
    if (a.roots.empty() || !path_is_under(r, a.roots.back())) a.roots.push_back(r);
  for (const auto& r : a.roots)
    if (auto bad = csv_ok(r); !bad.empty()) return make_error(bad);
  for (const auto& [path, st] : a.files) {
    bool under = std::any_of(a.roots.begin(), a.roots.end(), [&](const std::string& r) { return path_is_under(path, r); });
    if (!under) return make_error("internal error: " + path + " is under no mount");
  }

  // The environment: what may travel; the tracer's file inside the build.
  std::vector<std::string> plain;
  for (const auto& e : request.env) {
    if (e.starts_with("LD_PRELOAD=")) a.env.push_back("LD_PRELOAD=" + tracer);
    else if (e.starts_with("KILN_TRACE_FILE=")) a.env.push_back("KILN_TRACE_FILE=" + std::string(kRemoteOut) + "/.kiln/trace");
    else if (e.starts_with("KILN_TRACE_PLUGINS=")) a.env.push_back(e);
    else plain.push_back(e);
  }
  for (auto& e : sendable_env(plain, extra_env, &a.withheld)) a.env.push_back(std::move(e));
  return a;
}

std::vector<std::string> dependency_libraries_read(const RemoteAction& a, const std::vector<std::string>& reads) {
  std::set<std::string> stems;
  for (const auto& raw : reads) {
    std::string p = normalize_path(raw), name = base_name(p);
    if (!library_file(name)) continue;
    for (const auto& d : a.dependency_dirs)
      if (dir_name(p) == d) stems.insert(path_join(d, name.substr(0, name.rfind('.'))));
  }
  return {stems.begin(), stems.end()};
}

std::string remote_dockerfile(const RemoteAction& a, const std::string& image) {
  std::string f = "# kiln: one action (a miss) run by BuildKit; generated, see src/exec/buildkit/remote_context.h\n";
  f += "FROM " + image + "\n";
  f += "RUN --mount=type=bind,source=in,target=" + std::string(kRemoteIn);
  for (const auto& r : a.roots) f += " \\\n    --mount=type=bind,source=r" + r + ",target=" + r + ",rw";
  if (!a.sysroot.empty())
    f += " \\\n    --mount=type=bind,from=" + image + ",source=/usr/local/rust,target=" + a.sysroot;
  f += " \\\n    [\"/bin/sh\", \"" + std::string(kRemoteIn) + "/action.sh\"]\n";
  f += "FROM scratch\nCOPY --from=0 " + std::string(kRemoteOut) + " /\n";
  return f;
}

std::string remote_action_script(const RemoteAction& a) {
  std::string k = std::string(kRemoteOut) + "/.kiln", in = kRemoteIn;
  std::string s = "# kiln: runs one action and collects what it did (remote_context.h)\n";
  s += "set -u\nexport LC_ALL=C\n";
  s += "mkdir -p " + k + " " + kRemoteOut + "/files\n";
  s += ": > /tmp/kiln-start\n";
  std::string dirs, all_dirs;
  for (const auto& d : a.writable_dirs) dirs += " " + q(d);
  for (const auto& d : a.cache_dirs) all_dirs += " " + q(d);
  all_dirs = dirs + all_dirs;
  if (!all_dirs.empty()) s += "mkdir -p" + all_dirs + "\n";
  std::string home;
  for (const auto& e : a.env)
    if (e.starts_with("HOME=")) home = e.substr(5);
  s += "mkdir -p " + q(a.cwd) + (home.empty() ? "" : " " + q(home)) + " 2>/dev/null\n";
  s += "cd " + q(a.cwd) + " || { echo 'kiln: cannot enter the working directory' > " + k + "/setup-error; exit 0; }\n";
  // The command: its environment and argv from a NUL-separated file (any byte may travel).
  s += "xargs -0 -x -s 1000000 -a " + in + "/action.args sh -c 'env -i \"$@\" > \"$0/stdout\" 2> \"$0/stderr\"; "
       "echo $? > \"$0/exit\"' " + k + " || echo 'kiln: xargs failed' > " + k + "/setup-error\n";
  // Outputs: what is new under the output dirs, and what it wrote under the mounted dirs.
  s += "under_root() {\n  case $1 in\n";
  for (const auto& r : a.roots) s += "    " + q(r) + "/*) return 0 ;;\n";
  for (const auto& d : a.writable_dirs) s += "    " + q(d) + "/*) return 0 ;;\n";
  s += "  esac\n  return 1\n}\n";
  s += "{\n";
  if (!dirs.empty()) s += "  find" + dirs + " -newer /tmp/kiln-start \\( -type f -o -type l \\) -print 2>/dev/null\n";
  s += "  grep '^W\t' " + k + "/trace 2>/dev/null | cut -f2\n";
  s += "} | sort -u | while IFS= read -r p; do\n";
  s += "  under_root \"$p\" || continue\n";
  for (const auto& d : a.cache_dirs) s += "  case $p in " + q(d) + "/*) continue ;; esac\n";
  s += "  { [ -f \"$p\" ] || [ -L \"$p\" ]; } && cp -a --parents \"$p\" " + std::string(kRemoteOut) + "/files/\n";
  s += "done\n";
  // Digests of what it read or ran that did not travel: checked against this machine's.
  s += "grep -E '^(R|X)\t' " + k + "/trace 2>/dev/null | cut -f2 | sort -u > /tmp/kiln-reads\n";
  s += "comm -23 /tmp/kiln-reads " + in + "/shipped | while IFS= read -r p; do\n";
  s += "  case $p in /proc/*|/sys/*|/dev/*|/kiln/*) continue ;;";
  if (!a.sysroot.empty()) s += " " + q(a.sysroot) + "/*) continue ;;";
  s += " esac\n";
  s += "  [ -f \"$p\" ] && printf '%s\\t%s\\n' \"$(sha256sum < \"$p\" | cut -d' ' -f1)\" \"$p\"\n";
  s += "done > " + k + "/digests\n";
  s += "exit 0\n";
  return s;
}

Status write_remote_context(const RemoteAction& a, const std::string& image, const std::string& context_dir) {
  std::string in_dir = path_join(context_dir, "in"), mirror = path_join(context_dir, "r");
  if (auto st = make_dirs(in_dir); !st) return st;
  if (auto st = make_dirs(mirror); !st) return st;
  std::string args;
  for (const auto& e : a.env) args += e + '\0';
  for (const auto& v : a.argv) args += v + '\0';
  std::string shipped;
  for (const auto& [path, st] : a.files) shipped += path + "\n";  // std::map: sorted bytewise, as LC_ALL=C comm wants
  if (auto st = write_file_atomic(path_join(in_dir, "action.args"), args); !st) return st;
  if (auto st = write_file_atomic(path_join(in_dir, "shipped"), shipped); !st) return st;
  if (auto st = write_file_atomic(path_join(in_dir, "action.sh"), remote_action_script(a), 0755); !st) return st;
  if (auto st = write_file_atomic(path_join(dir_name(context_dir), "Dockerfile"), remote_dockerfile(a, image)); !st)
    return st;

  // The mirror: keep what matches, remove the rest, copy what is missing.
  std::set<std::string> needed_dirs;
  for (const auto& r : a.roots)
    for (std::string d = mirror + r; d.size() > mirror.size(); d = dir_name(d)) needed_dirs.insert(d);
  for (const auto& [path, st] : a.files)
    for (std::string d = dir_name(mirror + path); d.size() > mirror.size(); d = dir_name(d)) needed_dirs.insert(d);
  std::set<std::string> present;
  std::vector<std::string> dirs;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(mirror, ec), end; !ec && it != end; it.increment(ec)) {
    std::string p = it->path().string();
    std::error_code e2;
    if (it->is_directory(e2) && !it->is_symlink(e2)) {
      if (!needed_dirs.count(p)) {
        fs::remove_all(it->path(), e2);
        it.disable_recursion_pending();
      }
      continue;
    }
    auto want = a.files.find(p.substr(mirror.size()));
    struct stat st {};
    bool keep = want != a.files.end() && ::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
                static_cast<uint64_t>(st.st_size) == want->second.size &&
                timespec_ns(st.st_mtim) == want->second.mtime_ns &&
                (st.st_mode & 07777) == (want->second.mode & 07777);
    if (keep) present.insert(p);
    else ::unlink(p.c_str());
  }
  for (const auto& d : needed_dirs)
    if (auto st = make_dirs(d); !st) return st;
  for (const auto& [path, st] : a.files) {
    std::string dst = mirror + path;
    if (present.count(dst)) continue;
    if (auto s = copy_preserving(path, dst, st); !s) return s;
  }
  return {};
}

}  // namespace kiln

// Comparing a remote run's world with this machine's (see remote_check.h).
#include "exec/buildkit/remote_check.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "key/traced_inputs.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/text.h"

namespace kiln {
namespace {

// Paths whose state is the run's own, not the world's.
struct OwnPaths {
  const RemoteAction& a;
  std::set<std::string> written;
  bool operator()(const std::string& p) const {
    static const char* pseudo[] = {"/proc", "/sys", "/dev", "/kiln"};
    for (const char* d : pseudo)
      if (path_is_under(p, d)) return true;
    if (!a.sysroot.empty() && path_is_under(p, a.sysroot)) return true;
    if (written.count(p)) return true;
    auto under = [&](const std::vector<std::string>& dirs) {
      return std::any_of(dirs.begin(), dirs.end(), [&](const std::string& d) { return path_is_under(p, d); });
    };
    return under(a.writable_dirs) || under(a.cache_dirs);
  }
};

}  // namespace

Result<RemoteRun> read_remote_run(const std::string& dir) {
  std::string k = path_join(dir, ".kiln");
  if (auto e = read_file(path_join(k, "setup-error"))) return make_error(trim_end(*e));
  auto exit_text = read_file(path_join(k, "exit"));
  if (!exit_text) return make_error("the remote run left no exit code");
  RemoteRun run;
  run.exit_code = std::atoi(exit_text->c_str());
  if (auto s = read_file(path_join(k, "stdout"))) run.stdout_data = std::move(*s);
  if (auto s = read_file(path_join(k, "stderr"))) run.stderr_data = std::move(*s);
  if (auto s = read_file(path_join(k, "trace"))) run.trace_text = std::move(*s);
  if (auto s = read_file(path_join(k, "digests"))) {
    for (auto line : split_lines(*s)) {
      size_t tab = line.find('\t');
      if (tab == 64) run.digests.emplace(std::string(line.substr(65)), std::string(line.substr(0, 64)));
    }
  }
  return run;
}

HostView this_host() {
  HostView h;
  h.env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
  h.digest = [](const std::string& path) -> std::string {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
    auto d = sha256_file(path);
    return d ? d->hex() : std::string("unreadable");
  };
  h.exists = [](const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
  };
  return h;
}

std::string check_remote_world(const RemoteAction& a, const RemoteRun& run, const TraceLog& trace, const HostView& host) {
  OwnPaths own{a, {}};
  for (const auto& w : trace.written) own.written.insert(normalize_path(w));

  std::set<std::string> checked;
  auto check_file = [&](const std::string& raw) -> std::string {
    std::string p = normalize_path(raw);
    if (own(p) || a.files.count(p) || !checked.insert(p).second) return {};
    std::string here = host.digest(p);
    auto there = run.digests.find(raw);
    if (there == run.digests.end()) there = run.digests.find(p);
    if (there == run.digests.end()) {
      if (!here.empty()) return p + " is a file here but not on the daemon";
      return {};
    }
    if (here.empty()) return p + " is on the daemon but not here";
    if (here != there->second) return p + " differs between this machine and the daemon's image";
    return {};
  };
  for (const auto& r : trace.reads)
    if (auto why = check_file(r.path); !why.empty()) return why;
  for (const auto& x : trace.execs)
    if (auto why = check_file(x); !why.empty()) return why;
  for (const auto& raw : trace.absent) {
    std::string p = normalize_path(raw);
    if (own(p)) continue;
    if (host.exists(p)) return p + " exists here but not on the daemon";
  }
  for (const auto& f : trace.failed_execs) {
    if (f.empty() || f[0] != '/') continue;
    std::string p = normalize_path(f);
    if (!own(p) && host.exists(p)) return p + " exists here but could not run on the daemon";
  }
  std::set<std::string> sent;
  for (const auto& e : a.env) sent.insert(e.substr(0, e.find('=')));
  for (const auto& e : trace.env) {
    if (sent.count(e.name) || (!e.by_plugin && tool_env_ignored(e.name))) continue;
    if (host.env(e.name))
      return e.name + " is set here but was not sent to the daemon (add it to KILN_REMOTE_ENV to send it)";
  }
  return {};
}

std::string remote_trace_for_host(const std::string& text, const RemoteAction& a) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    size_t end = j == std::string::npos ? text.size() : j + 1;
    std::string_view line(text.data() + i, end - i);
    i = end;
    if (line.size() > 2 && line[0] == 'R' && line[1] == '\t') {
      size_t tab = line.find('\t', 2);
      if (tab != std::string_view::npos) {
        std::string raw(line.substr(2, tab - 2));
        std::string p = normalize_path(raw);
        std::optional<FileStat> id;
        if (auto it = a.files.find(p); it != a.files.end()) id = it->second;
        else if (!a.sysroot.empty() && path_is_under(p, a.sysroot)) id = std::nullopt;  // the toolchain: not an input
        else id = stat_file(p);
        if (id) {
          out += "R\t" + raw + "\t" + std::to_string(id->size) + " " + std::to_string(id->mtime_ns) + " " +
                 std::to_string(id->ctime_ns) + " " + std::to_string(id->inode) + "\n";
          continue;
        }
      }
    }
    out += line;
  }
  return out;
}

}  // namespace kiln

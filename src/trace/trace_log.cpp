// Parsing the tracer's records (see trace_log.h and trace/shim/kiln_trace.c).
#include "trace/trace_log.h"

#include <charconv>
#include <set>

namespace kiln {
namespace {

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (true) {
    size_t j = line.find('\t', i);
    out.push_back(line.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return out;
}

bool parse_identity(std::string_view s, FileStat& st) {
  uint64_t v[4];
  const char* p = s.data();
  const char* end = s.data() + s.size();
  for (int i = 0; i < 4; ++i) {
    while (p < end && *p == ' ') ++p;
    auto r = std::from_chars(p, end, v[i]);
    if (r.ec != std::errc()) return false;
    p = r.ptr;
  }
  st.size = v[0];
  st.mtime_ns = static_cast<int64_t>(v[1]);
  st.ctime_ns = static_cast<int64_t>(v[2]);
  st.inode = v[3];
  return true;
}

}  // namespace

TraceLog parse_trace(std::string_view text) {
  TraceLog log;
  std::set<std::pair<std::string, bool>> env_seen;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string_view::npos) {  // a record cut short: the writer died or the disk filled
      ++log.malformed;
      break;
    }
    std::string_view line = text.substr(i, j - i);
    i = j + 1;
    auto f = split_tabs(line);
    if (f.size() < 2 || f[0].size() != 1 || f[1].empty()) {
      ++log.malformed;
      continue;
    }
    std::string path(f[1]);
    switch (f[0][0]) {
      case 'P':
        ++log.processes;
        log.images.push_back(f.size() > 2 ? std::string(f[2]) : std::string());
        break;
      case 'R': {
        TracedRead r{path, {}};
        if (f.size() < 3 || !parse_identity(f[2], r.identity)) {
          ++log.malformed;
          break;
        }
        log.reads.push_back(std::move(r));
        break;
      }
      case 'W': log.written.push_back(std::move(path)); break;
      case 'A': log.absent.push_back(std::move(path)); break;
      case 'X': log.execs.push_back(std::move(path)); break;
      case 'F': log.failed_execs.push_back(std::move(path)); break;
      case 'E': {
        bool plugin = f.size() > 2 && f[2] == "P";
        if (env_seen.insert({path, plugin}).second) log.env.push_back({path, plugin});
        break;
      }
      default: ++log.malformed;
    }
  }
  return log;
}

}  // namespace kiln

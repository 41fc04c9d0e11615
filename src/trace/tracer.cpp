// Installing the tracer library and setting up a traced run (see tracer.h).
#include "trace/tracer.h"

#include <unistd.h>

#include <cstring>
#include <random>

#include "util/digest.h"
#include "util/fs.h"

extern char** environ;

// The tracer library's bytes, linked into kiln by trace/shim_blob.S.
extern "C" const unsigned char kiln_trace_so_start[];
extern "C" const unsigned char kiln_trace_so_end[];

namespace kiln {
namespace {

std::string_view tracer_bytes() {
  return {reinterpret_cast<const char*>(kiln_trace_so_start),
          static_cast<size_t>(kiln_trace_so_end - kiln_trace_so_start)};
}

// <store>/lib/libkiln_trace-<16 hex>.so, written once per kiln build.
Result<std::string> install_tracer(const std::string& store_dir) {
  static std::string installed;
  if (!installed.empty()) return installed;
  std::string_view bytes = tracer_bytes();
  if (bytes.empty()) return make_error("this kiln was built without the tracer");
  std::string path = store_dir + "/lib/libkiln_trace-" + sha256(bytes).hex().substr(0, 16) + ".so";
  if (path.find_first_of(" :") != std::string::npos)
    return make_error("the store path " + store_dir + " contains a space or ':', which LD_PRELOAD cannot carry");
  auto st = stat_file(path);
  if (!st || st->size != bytes.size()) {
    if (auto s = make_dirs(store_dir + "/lib"); !s) return s.error();
    if (auto s = write_file_atomic(path, bytes, 0755); !s) return s.error();
  }
  installed = path;
  return path;
}

}  // namespace

Result<TraceSession> start_trace(const std::string& store_dir, const std::string& plugin_dir) {
  auto lib = install_tracer(store_dir);
  if (!lib) return lib.error();
  TraceSession s;
  std::random_device rd;
  s.trace_file = store_dir + "/tmp/trace." + std::to_string(::getpid()) + "." + std::to_string(rd());
  if (auto st = make_dirs(store_dir + "/tmp"); !st) return st.error();
  std::string preload = *lib;
  for (char** e = environ; *e; ++e) {
    std::string_view v(*e);
    if (v.rfind("KILN_TRACE_", 0) == 0) continue;
    if (v.rfind("LD_PRELOAD=", 0) == 0) {
      std::string_view rest = v.substr(11);
      if (!rest.empty()) preload += " " + std::string(rest);
      continue;
    }
    s.env.emplace_back(v);
  }
  s.env.push_back("LD_PRELOAD=" + preload);
  s.env.push_back("KILN_TRACE_FILE=" + s.trace_file);
  if (!plugin_dir.empty()) s.env.push_back("KILN_TRACE_PLUGINS=" + plugin_dir + "/");
  return s;
}

Result<TraceLog> finish_trace(const TraceSession& session) {
  auto text = read_file(session.trace_file);
  ::unlink(session.trace_file.c_str());
  if (!text) return make_error("no trace was written (the tracer could not be loaded into rustc)");
  return parse_trace(*text);
}

void discard_trace(const TraceSession& session) { ::unlink(session.trace_file.c_str()); }

}  // namespace kiln

// Sorting a trace into inputs (see traced_inputs.h).
#include "key/traced_inputs.h"

#include <unistd.h>

#include <algorithm>
#include <set>
#include <unordered_map>

namespace kiln {
namespace {

bool starts_with(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

bool system_pseudo(const std::string& p) {
  return starts_with(p, "/proc/") || starts_with(p, "/sys/") || starts_with(p, "/dev/") || p == "/dev" ||
         p == "/proc" || p == "/sys";
}

bool in_toolchain(const TraceContext& ctx, const std::string& p) {
  return !ctx.sysroot.empty() && path_is_under(p, ctx.sysroot);
}

// One of this compilation's own output names (written, or probed before being written).
bool own_output_name(const TraceContext& ctx, const std::string& p) {
  std::string dir = dir_name(p), name = base_name(p);
  for (const auto& d : ctx.output_dirs) {
    if (d != dir) continue;
    for (const auto& stem : ctx.output_stems)
      if (starts_with(name, stem) && (name.size() == stem.size() || name[stem.size()] == '.')) return true;
  }
  return false;
}

// A path inside a directory of the target dir that no longer exists: a temp dir of the run
// (rustc's rustcXXXXXX/, rmetaXXXXXX/), whose random name can never be looked up again.
bool in_vanished_build_dir(const TraceContext& ctx, const std::string& p) {
  if (ctx.target_dir.empty() || !path_is_under(p, ctx.target_dir)) return false;
  return !path_exists(dir_name(p));
}

}  // namespace

bool tool_env_ignored(const std::string& name) {
  static const std::set<std::string> names = {
      "PATH", "TMPDIR", "TMP", "TEMP", "PWD", "OLDPWD", "HOME", "TERM", "COLUMNS", "LINES", "CI",
      "CARGO_MAKEFLAGS", "MAKEFLAGS", "MFLAGS", "LD_PRELOAD", "RUST_BACKTRACE", "RUST_LIB_BACKTRACE",
      "RUST_MIN_STACK", "MALLOC_CONF", "LANG", "LANGUAGE", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE",
      "GCC_COLORS", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "CARGO_HOME"};
  if (names.count(name)) return true;
  static const char* prefixes[] = {"KILN_", "LC_", "RUSTC_LOG", "RUST_LOG", "COLLECT_GCC", "DEBUGINFOD_"};
  for (const char* p : prefixes)
    if (starts_with(name, p)) return true;
  return false;
}

TraceContext trace_context_for(const PathAnchors& anchors, const std::string& sysroot) {
  TraceContext ctx;
  ctx.sysroot = sysroot;
  for (const auto& a : anchors.anchors()) {
    if (a.name == "target") ctx.target_dir = a.dir;
    if (a.name != "sysroot") ctx.anchor_dirs.push_back(a.dir);
  }
  return ctx;
}

TracedInputs classify_trace(const TraceLog& log, const TraceContext& ctx) {
  TracedInputs in;
  if (log.processes == 0) in.untraceable = "the tracer was not loaded into the compiler";
  else if (log.malformed > 0) in.untraceable = "the trace is incomplete";

  std::set<std::string> written;
  for (const auto& w : log.written) written.insert(normalize_path(w));
  std::set<std::string> outputs(ctx.outputs.begin(), ctx.outputs.end());
  auto in_cache_dir = [&](const std::string& p) {
    return std::any_of(ctx.cache_dirs.begin(), ctx.cache_dirs.end(),
                       [&](const std::string& d) { return !d.empty() && path_is_under(p, d); });
  };
  auto not_an_input = [&](const std::string& p) {
    return system_pseudo(p) || in_toolchain(ctx, p) || written.count(p) || outputs.count(p) ||
           own_output_name(ctx, p) || in_vanished_build_dir(ctx, p) || in_cache_dir(p);
  };

  // Files read: the first identity seen is the one the compilation used.
  std::unordered_map<std::string, size_t> seen;
  auto add_file = [&](const std::string& raw, const FileStat& id) {
    std::string p = normalize_path(raw);
    if (not_an_input(p)) return;
    auto [it, fresh] = seen.emplace(p, in.files.size());
    if (fresh) in.files.push_back({raw, p, id});
  };
  for (const auto& r : log.reads) add_file(r.path, r.identity);

  // Programs started: each one that ran must have loaded the tracer (a P record), else what
  // it read is unknown. The programs themselves are inputs like any file they read.
  std::multiset<std::string> failed;
  bool env_escape = false;
  for (const auto& f : log.failed_execs) {
    if (f == "(environment without the tracer)") env_escape = true;
    else failed.insert(f);
  }
  std::multiset<std::string> images(log.images.begin(), log.images.end());
  int ran = 0;
  for (const auto& x : log.execs) {
    if (auto it = failed.find(x); it != failed.end()) {
      failed.erase(it);
      continue;
    }
    ++ran;
    if (auto st = stat_file(x)) add_file(x, *st);
  }
  if (in.untraceable.empty() && env_escape)
    in.untraceable = "a program was started with an environment that drops the tracer";
  if (in.untraceable.empty() && log.processes < 1 + ran) {
    std::string culprit;
    for (const auto& x : log.execs) {
      char buf[4096];
      ssize_t n = ::readlink(x.c_str(), buf, sizeof buf - 1);
      std::string real = n > 0 ? absolute_path(std::string(buf, static_cast<size_t>(n)), dir_name(x)) : x;
      if (!images.count(x) && !images.count(real)) {
        culprit = x;
        break;
      }
    }
    in.untraceable = "a program ran without the tracer (statically linked or setuid?)" +
                     (culprit.empty() ? std::string() : ": " + culprit);
  }

  std::set<std::string> absent_seen;
  for (const auto& a : log.absent) {
    std::string p = normalize_path(a);
    if (not_an_input(p) || seen.count(p)) continue;
    if (!ctx.target_dir.empty() && path_is_under(p, ctx.target_dir) && path_exists(p)) continue;  // made by the run
    if (absent_seen.insert(p).second) in.absent.push_back(a);
  }

  std::set<std::string> env, plugin_env;
  for (const auto& e : log.env) {
    if (starts_with(e.name, "KILN_") || e.name == "LD_PRELOAD" || e.name == "CARGO_MAKEFLAGS") continue;
    bool kept = std::find(ctx.keep_env.begin(), ctx.keep_env.end(), e.name) != ctx.keep_env.end();
    if (e.by_plugin) plugin_env.insert(e.name);
    else if (!kept && tool_env_ignored(e.name)) continue;
    env.insert(e.name);
  }
  in.env_names.assign(env.begin(), env.end());
  in.plugin_env.assign(plugin_env.begin(), plugin_env.end());

  for (const auto& w : written) {
    if (system_pseudo(w) || outputs.count(w) || own_output_name(ctx, w) || in_cache_dir(w)) continue;
    auto st = stat_file(w);
    if (!st || !S_ISREG(st->mode)) continue;  // a temp file, gone by now
    in.side_outputs.push_back(w);
  }
  for (const auto& s : in.side_outputs) {
    bool under_anchor = std::any_of(ctx.anchor_dirs.begin(), ctx.anchor_dirs.end(),
                                    [&](const std::string& d) { return path_is_under(s, d); });
    if (!under_anchor && in.untraceable.empty()) in.untraceable = "it wrote " + s + ", outside the workspace and target dir";
  }
  return in;
}

}  // namespace kiln

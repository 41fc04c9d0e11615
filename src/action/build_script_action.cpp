// The build-script action kind (see build_script_action.h).
#include "action/build_script_action.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <set>

#include "action/engine.h"
#include "config/config.h"
#include "core/direct_mode.h"
#include "core/record.h"
#include "core/replay.h"
#include "key/action_key.h"
#include "key/file_digests.h"
#include "key/package_listing.h"
#include "key/source_manifest.h"
#include "key/traced_inputs.h"
#include "rustc/rustup.h"
#include "rustc/toolchain.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/process.h"
#include "util/text.h"

extern char** environ;

namespace kiln {
namespace {

// Every regular file below `dir` (sorted), skipping target dirs and VCS metadata. Sets
// `symlink` to the first symlink met.
void walk_files(const std::string& dir, std::vector<std::string>& out, std::string* symlink, bool skip_build_dirs) {
  for (const auto& name : list_dir(dir)) {
    std::string p = dir + "/" + name;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      if (symlink && symlink->empty()) *symlink = p;
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      if (skip_build_dirs && is_build_or_vcs_dir(p)) continue;
      walk_files(p, out, symlink, skip_build_dirs);
    } else if (S_ISREG(st.st_mode)) {
      out.push_back(p);
    }
  }
}

// Variables of cargo's build-script protocol that name this run's inputs (the Cargo Book,
// "Environment variables Cargo sets for build scripts"), besides the CARGO_* ones that
// key_environment takes; the C toolchain's when set. NUM_JOBS, RUSTC (keyed by identity),
// RUSTDOC and the jobserver are left out: they do not change what a script produces.
bool build_script_key_var(const std::string& name) {
  static const std::set<std::string> names = {"TARGET", "HOST", "PROFILE", "OPT_LEVEL", "DEBUG", "RUSTC_LINKER",
                                              "CC", "CXX", "AR", "LD", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS",
                                              "ARFLAGS", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR"};
  return names.count(name) || name.rfind("DEP_", 0) == 0;
}

// Appends the anchors' prefix maps to the C flags variable the `cc` crate will read: the first
// of CFLAGS_<target>, CFLAGS_<target with underscores>, TARGET_CFLAGS, CFLAGS that is set (cc's
// own order), else CFLAGS. Same for CXXFLAGS.
void add_c_prefix_maps(const std::string& maps) {
  std::string target = env_or("TARGET");
  std::string target_us = target;
  for (auto& c : target_us)
    if (c == '-') c = '_';
  for (const char* base : {"CFLAGS", "CXXFLAGS"}) {
    std::string b(base);
    std::vector<std::string> order = {b + "_" + target, b + "_" + target_us, "TARGET_" + b, b};
    std::string var = b;
    for (const auto& v : order)
      if (std::getenv(v.c_str())) {
        var = v;
        break;
      }
    std::string now = env_or(var.c_str());
    ::setenv(var.c_str(), (now.empty() ? maps : now + " " + maps).c_str(), 1);
  }
}

class BuildScriptAction : public ActionKind {
 public:
  explicit BuildScriptAction(std::vector<std::string> args) : args_(std::move(args)) {}

  std::vector<std::string> passthrough() const override { return args_; }

  Result<PreparedAction> prepare(const Config& cfg) override {
    PreparedAction a;
    a.name = "build_script_build";
    a.label = "run";
    std::string real = args_[0];
    out_dir_ = normalize_path(env_or("OUT_DIR"));
    std::string manifest_dir = env_or("CARGO_MANIFEST_DIR");
    if (out_dir_.empty() || manifest_dir.empty()) {
      a.not_cacheable = "unsupported-argument";
      a.not_cacheable_detail = "not run by cargo (no OUT_DIR or CARGO_MANIFEST_DIR)";
      return a;
    }
    cwd_ = current_dir();
    if (cache_opted_out(cfg, {env_or("CARGO_PKG_NAME")}, manifest_dir + "/Cargo.toml")) {
      a.not_cacheable = "opted-out";
      a.not_cacheable_detail = "KILN_NO_CACHE or [package.metadata.kiln] cache = false";
      return a;
    }

    auto rustc = resolve_tool(env_or("RUSTC", "rustc"), cwd_);
    if (!rustc) return rustc.error();
    auto toolchain = load_toolchain(*rustc, cfg.dir);
    if (!toolchain) return make_error("cannot identify the toolchain: " + toolchain.error().message);
    sysroot_ = toolchain->sysroot;
    std::string target_dir = find_target_dir(out_dir_);
    if (!target_dir.empty()) a.anchors.add({"target", target_dir, "/kiln/target"});
    a.anchors.add({"pkg", manifest_dir, "/kiln/pkg"});
    a.anchors.add({"sysroot", sysroot_, ""});

    KeyBuilder k("kiln-build-script-v1");
    auto script = file_digest(real, /*remember=*/true);
    if (!script) return script.error();
    k.add("script", script->hex());
    k.add("toolchain", toolchain->identity().hex());
    for (size_t i = 1; i < args_.size(); ++i) k.add("arg", a.anchors.portable_text(args_[i]));
    for (const auto& e : key_environment(a.anchors)) k.add("env", e);
    std::vector<std::string> protocol;
    for (char** e = environ; *e; ++e) {
      const char* eq = std::strchr(*e, '=');
      if (!eq) continue;
      std::string name(*e, static_cast<size_t>(eq - *e));
      if (build_script_key_var(name)) protocol.push_back(name + "=" + a.anchors.portable_text(eq + 1));
    }
    std::sort(protocol.begin(), protocol.end());
    for (const auto& e : protocol) k.add("env", e);

    // C and C++ compiled by the script carry no machine path (debug info, __FILE__), as
    // rustc's outputs do not: the same flags in every checkout, in their portable form.
    if (cfg.remap) {
      std::string maps;
      for (auto it = a.anchors.anchors().rbegin(); it != a.anchors.anchors().rend(); ++it)
        if (!it->remap_to.empty()) maps += (maps.empty() ? "" : " ") + ("-ffile-prefix-map=" + it->dir + "=" + it->remap_to);
      add_c_prefix_maps(maps);
      k.add("c-prefix-map", "on");
    }
    a.pre_key = k.finish();
    a.key_lines = k.lines();
    a.request.argv = args_;
    a.request.argv[0] = real;
    a.request.cwd = cwd_;
    a.request.inputs = {real, manifest_dir};  // the script and its package
    a.request.writable_dirs = {out_dir_};
    return a;
  }

  Status restore(Store& store, const ActionResult& entry, const PreparedAction& a) override {
    if (auto s = make_dirs(out_dir_); !s) return s;
    return restore_outputs(store, entry, a.anchors);
  }

  void replay(const ActionResult& entry, const PreparedAction& a) override { replay_output(entry, a.anchors); }

  // Checked at once (the trace, the watched inputs); the OUT_DIR files are stored as a
  // compilation's outputs are, in a background store when there is one (cargo only reads them).
  Result<RecordPlan> plan_record(const PreparedAction& a, const ProcessResult& result, int64_t start_ns, int64_t run_ms,
                                 const TraceLog& trace) override {
    RecordPlan plan;
    RecordOutcome out;
    auto not_stored = [&](const std::string& reason, const std::string& detail) {
      out.not_stored_reason = reason;
      out.detail = detail;
      plan.done = out;
      return plan;
    };
    std::vector<std::string> outputs;
    std::string symlink;
    walk_files(out_dir_, outputs, &symlink, false);
    if (!symlink.empty()) return not_stored("symlink-in-out-dir", symlink);

    TraceContext ctx = trace_context_for(a.anchors, sysroot_);
    ctx.anchor_dirs.push_back("/");  // any write outside OUT_DIR is refused below, with its own reason
    ctx.outputs = outputs;
    // The script's own reads count as the tool's: what rustc ignores may decide a script's
    // output (many scripts behave otherwise on CI, or read files under HOME).
    ctx.keep_env = {"CI", "HOME", "CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "LANG", "LANGUAGE", "NO_COLOR"};
    TracedInputs traced = classify_trace(trace, ctx);
    if (!traced.untraceable.empty()) return not_stored("untraced", traced.untraceable);
    for (const auto& w : traced.side_outputs)
      if (!path_is_under(w, out_dir_)) return not_stored("writes-outside-out-dir", w);

    // What cargo itself watches: the rerun-if files and variables, else the whole package —
    // which kiln narrows to what the trace saw the script read (by content) plus the
    // package's file list, which the tracer cannot see being listed (key/package_listing.h):
    // editing a file the script never read is then a hit, where cargo reruns it.
    RerunDirectives rerun = parse_rerun_directives(result.stdout_data);
    DepInfo dep;
    std::vector<std::string> listing_dirs;
    std::string manifest_dir = env_or("CARGO_MANIFEST_DIR");
    if (rerun.any()) {
      for (const auto& f : rerun.files) {
        std::string abs = absolute_path(f, manifest_dir);
        struct stat st {};
        if (::stat(abs.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) walk_files(abs, dep.inputs, nullptr, true);
        else dep.inputs.push_back(abs);
      }
      for (const auto& e : rerun.env) dep.env_deps.push_back({e, std::nullopt});
    } else {
      listing_dirs.push_back(manifest_dir);
    }
    auto sets = source_set_from_dep_info(dep, cwd_, a.anchors, start_ns, &traced, listing_dirs);
    if (!sets) return not_stored("source-changed", sets.error().message);
    auto& [source_set, manifest_set] = *sets;
    Digest full_key = compute_full_key(a.pre_key, source_set);

    bool member = !path_is_under(manifest_dir, env_or("CARGO_HOME", "/nonexistent")) &&
                  !path_exists(manifest_dir + "/.cargo-checksum.json");
    ActionResult entry = result_entry("build_script_build", "build-script-run", member, run_ms, result, a.anchors);

    PendingRecord pending;
    pending.out = std::move(out);
    pending.outputs = std::move(outputs);
    pending.anchors = a.anchors;
    pending.pre_key = a.pre_key;
    pending.full_key = full_key;
    pending.manifest_set = std::move(manifest_set);
    pending.entry = std::move(entry);
    return plan_to_store(std::move(pending), /*background_ok=*/true, /*scan_strict_end=*/false);
  }

 private:
  std::vector<std::string> args_;  // REAL [ARGS…]
  std::string out_dir_, cwd_, sysroot_;
};

}  // namespace

RerunDirectives parse_rerun_directives(const std::string& text) {
  RerunDirectives r;
  for (std::string_view lv : split_lines(text)) {
    std::string line(lv);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string rest;
    if (line.rfind("cargo::", 0) == 0) rest = line.substr(7);
    else if (line.rfind("cargo:", 0) == 0) rest = line.substr(6);
    else continue;
    if (rest.rfind("rerun-if-changed=", 0) == 0) r.files.push_back(rest.substr(17));
    else if (rest.rfind("rerun-if-env-changed=", 0) == 0) r.env.push_back(rest.substr(21));
  }
  return r;
}

Status install_build_script_launcher(const std::string& binary) {
  std::string kiln = self_exe_path();
  if (kiln.empty()) return make_error("cannot find the kiln binary");
  if (kiln.find('\'') != std::string::npos || binary.find('\'') != std::string::npos)
    return make_error("a path contains a quote");
  std::string real = binary + ".kiln-real";
  if (::rename(binary.c_str(), real.c_str()) != 0) return make_error("cannot move " + binary + ": " + std::strerror(errno));
  std::string script =
      "#!/bin/sh\n"
      "# kiln's build-script launcher (kiln: src/action/build_script_action.h). cargo runs it in\n"
      "# place of the compiled build script: under kiln the run is a cached action, without kiln\n"
      "# the script runs as it is.\n"
      "real=\"${0%/*}/" + base_name(real) + "\"\n"
      "[ -x \"$real\" ] || real='" + real + "'\n"
      "case \"${RUSTC_WRAPPER##*/}\" in\n"
      "  kiln|kiln-*) [ -x '" + kiln + "' ] && exec '" + kiln + "' " + kBuildScriptRunCommand + " \"$real\" \"$@\" ;;\n"
      "esac\n"
      "exec \"$real\" \"$@\"\n";
  if (auto s = write_file_atomic(binary, script, 0755); !s) {
    (void)::rename(real.c_str(), binary.c_str());
    return s;
  }
  return {};
}

int run_build_script(const std::vector<std::string>& args) {
  if (args.empty()) {
    warn("build-script-run: no build script given");
    return 2;
  }
  Config cfg = load_config();
  BuildScriptAction action(args);
  return run_action(action, cfg);
}

}  // namespace kiln

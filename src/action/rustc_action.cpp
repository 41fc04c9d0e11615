// The rustc action kind (see rustc_action.h).
#include "action/rustc_action.h"

#include <cstdlib>
#include <variant>

#include "action/build_script_action.h"
#include "action/engine.h"
#include "config/config.h"
#include "core/record.h"
#include "core/replay.h"
#include "key/action_key.h"
#include "key/path_anchors.h"
#include "rustc/invocation.h"
#include "rustc/linker_choice.h"
#include "rustc/native_cpu.h"
#include "rustc/outputs.h"
#include "rustc/rustup.h"
#include "rustc/toolchain.h"
#include "util/fs.h"
#include "util/log.h"

namespace kiln {
namespace {

class RustcAction : public ActionKind {
 public:
  explicit RustcAction(std::vector<std::string> command) : command_(std::move(command)) {}

  std::vector<std::string> passthrough() const override { return command_; }

  Result<PreparedAction> prepare(const Config& cfg) override {
    PreparedAction a;
    std::string rustc = command_[0];
    std::string workspace_wrapper;
    size_t first_arg = 1;
    if (command_.size() >= 2 && !looks_like_rustc(command_[0]) && looks_like_rustc(command_[1])) {
      workspace_wrapper = command_[0];
      rustc = command_[1];
      first_arg = 2;
    }
    std::vector<std::string> args(command_.begin() + static_cast<std::ptrdiff_t>(first_arg), command_.end());
    std::string cwd = current_dir();
    // A rustup proxy or a bare name: the key and the miss both use the program it resolves to.
    auto real_rustc = resolve_tool(rustc, cwd);
    if (!real_rustc) return real_rustc.error();
    rustc = *real_rustc;
    if (!workspace_wrapper.empty()) {
      auto real_wrapper = resolve_tool(workspace_wrapper, cwd);
      if (!real_wrapper) return real_wrapper.error();
      workspace_wrapper = *real_wrapper;
    }

    auto inv = parse_rustc_invocation(args, cwd);
    if (!inv) return make_error("cannot parse the rustc command line: " + inv.error().message);
    // KILN_LINKER: its flag is one more argument, keyed and run like cargo's own.
    if (LinkerChoice link = linker_choice(cfg.linker, *inv); !link.args.empty() || !link.warning.empty()) {
      if (!link.warning.empty()) warn(link.warning);
      if (!link.args.empty()) {
        args.insert(args.end(), link.args.begin(), link.args.end());
        command_.insert(command_.end(), link.args.begin(), link.args.end());
        inv = parse_rustc_invocation(args, cwd);
        if (!inv) return make_error("cannot parse the rustc command line: " + inv.error().message);
      }
    }
    inv->rustc = rustc;
    inv->workspace_wrapper = workspace_wrapper;
    a.name = inv->crate_name;
    a.label = inv->crate_type_label();
    if (inv->not_cacheable.empty() && opted_out(cfg, *inv)) {
      inv->not_cacheable = "opted-out";
      inv->not_cacheable_detail = "KILN_NO_CACHE or [package.metadata.kiln] cache = false";
    }
    if (!inv->not_cacheable.empty()) {
      if (inv->not_cacheable == "unsupported-argument")
        warn("not caching " + inv->crate_name + ": " + inv->not_cacheable_detail + " is not understood; running rustc");
      a.not_cacheable = inv->not_cacheable;
      a.not_cacheable_detail = inv->not_cacheable_detail;
      return a;
    }

    auto toolchain = load_toolchain(rustc, cfg.dir);
    if (!toolchain) return make_error("cannot identify the toolchain: " + toolchain.error().message);
    sysroot_ = toolchain->sysroot;
    a.anchors = PathAnchors::for_invocation(*inv, toolchain->sysroot);
    KeyOptions key_options;
    key_options.remap = cfg.remap && !inv->user_remaps;
    key_options.digest_cache_dir = cfg.dir.empty() ? "" : cfg.dir + "/digests";
    if (inv->native_cpu) {
      std::string target = inv->target.size() > 5 && inv->target.substr(inv->target.size() - 5) == ".json" ? "" : inv->target;
      auto native = resolve_native_cpu(rustc, *toolchain, target, cfg.dir);
      if (!native) return native.error();
      key_options.native_cpu = *native;
    }
    auto pre = compute_pre_key(*inv, *toolchain, a.anchors, key_options);
    if (!pre) return make_error("cannot compute the key: " + pre.error().message);
    a.pre_key = pre->digest;
    a.key_lines = pre->lines;

    // What a miss runs: the resolved programs, with the anchors' remaps.
    a.request.argv = command_;
    a.request.argv[first_arg - 1] = rustc;
    if (!workspace_wrapper.empty()) a.request.argv[0] = workspace_wrapper;
    if (key_options.remap)
      for (auto& r : a.anchors.remap_args()) a.request.argv.push_back(r);
    a.request.cwd = cwd;
    // Declared inputs: the crate root (its directory: modules live beside it), the externs, the
    // native search dirs; the sources a compilation really reads are learnt from its trace.
    a.request.inputs.push_back(dir_name(absolute_path(inv->input, cwd)));
    for (const auto& e : inv->externs)
      if (!e.path.empty()) a.request.inputs.push_back(absolute_path(e.path, cwd));
    for (const auto& lp : inv->lib_paths)
      if (lp.kind != "dependency" && lp.kind != "crate") a.request.inputs.push_back(absolute_path(lp.path, cwd));
    a.request.writable_dirs = {output_names(*inv).dir};
    for (const auto& e : inv->emits)
      if (!e.path.empty()) a.request.writable_dirs.push_back(dir_name(e.path));
    if (!inv->incremental_dir.empty()) a.request.writable_dirs.push_back(inv->incremental_dir);
    for (const auto& an : a.anchors.anchors())
      if (an.name == "target") a.plugin_dir = an.dir;
    if (a.plugin_dir.empty()) a.plugin_dir = inv->out_dir;
    inv_ = std::move(*inv);
    return a;
  }

  Status restore(Store& store, const ActionResult& entry, const PreparedAction& a) override {
    return restore_outputs(store, entry, a.anchors, /*remember_digests=*/true, /*may_link=*/true);
  }

  Status before_run(const PreparedAction&) override {
    break_shared_links(collect_outputs(inv_, 0));
    return {};
  }

  void replay(const ActionResult& entry, const PreparedAction& a) override { replay_output(entry, a.anchors); }

  Result<RecordPlan> plan_record(const PreparedAction& a, const ProcessResult& result, int64_t start_ns, int64_t run_ms,
                                 const TraceLog& trace) override {
    auto checked = check_compilation(inv_, a.anchors, a.pre_key, result, start_ns, run_ms, &trace, sysroot_);
    if (!checked) return checked.error();
    if (auto* done = std::get_if<RecordOutcome>(&*checked)) {
      RecordPlan plan;
      plan.done = *done;
      return plan;
    }
    // A compiled build script is moved aside for its launcher by finish(): stored first.
    return plan_to_store(std::move(std::get<PendingRecord>(*checked)), !is_launched_build_script());
  }

  // A compiled build script: cargo will run the binary at its output path; a launcher there
  // makes that run a cached action.
  void finish(const PreparedAction& a, int exit_code) override {
    if (exit_code != 0 || !is_launched_build_script()) return;
    auto names = output_names(inv_);
    std::string binary = path_join(names.dir, names.stems.front());
    if (Status s = install_build_script_launcher(binary); !s) debug("no build-script launcher: " + s.error().message);
  }

 private:
  // KILN_NO_CACHE / no_cache names the crate or its package, or its own Cargo.toml says
  // `cache = false`.
  static bool opted_out(const Config& cfg, const RustcInvocation& inv) {
    const char* pkg = std::getenv("CARGO_PKG_NAME");
    const char* manifest = std::getenv("CARGO_MANIFEST_PATH");
    std::string path = manifest && *manifest ? manifest : "";
    if (path.empty())
      if (const char* dir = std::getenv("CARGO_MANIFEST_DIR"); dir && *dir) path = std::string(dir) + "/Cargo.toml";
    return cache_opted_out(cfg, {inv.crate_name, pkg ? pkg : ""}, path);
  }

  bool is_launched_build_script() const { return inv_.crate_name == "build_script_build" && inv_.links(); }

  std::vector<std::string> command_;  // [workspace wrapper] rustc args…
  RustcInvocation inv_;
  std::string sysroot_;
};

}  // namespace

bool looks_like_rustc(const std::string& path) { return base_name(path).rfind("rustc", 0) == 0; }

int run_wrapper(const std::vector<std::string>& command) {
  if (command.empty()) {
    warn("no rustc given to the wrapper");
    return 2;
  }
  Config cfg = load_config();
  RustcAction action(command);
  return run_action(action, cfg);
}

}  // namespace kiln

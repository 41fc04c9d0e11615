// The wrapper flow (see wrapper.h). Stats: exactly one event per invocation.
#include "core/wrapper.h"

#include <cstdlib>

#include "config/config.h"
#include "core/build_index.h"
#include "core/prefetch.h"
#include "core/lookup.h"
#include "core/record.h"
#include "core/replay.h"
#include "exec/executor.h"
#include "key/action_key.h"
#include "key/path_anchors.h"
#include "rustc/invocation.h"
#include "rustc/native_cpu.h"
#include "rustc/rustup.h"
#include "rustc/toolchain.h"
#include "stats/stats.h"
#include "store/local/local_store.h"
#include "store/local/store_warning.h"
#include "store/store_factory.h"
#include "trace/tracer.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/process.h"

namespace kiln {
namespace {

// Runs the real command in place of kiln (exec), or as a child if exec fails.
[[noreturn]] void pass_through(const std::vector<std::string>& command) {
  Error e = exec_process(command);
  warn(e.message);
  std::exit(127);
}

struct Flow {
  Config cfg;
  std::vector<std::string> command;  // [workspace wrapper] rustc args…
  StatsEvent event;
  double t0 = now_ms();

  void record(Outcome o, const std::string& reason = {}, double saved_ms = 0) {
    event.outcome = o;
    event.reason = reason;
    event.kiln_ms = now_ms() - t0;
    event.saved_ms = saved_ms;
    record_event(cfg.dir, event);
  }

  [[noreturn]] void fail_open(const std::string& why) {
    warn(why + "; running rustc uncached");
    record(Outcome::Error, "internal");
    pass_through(command);
  }

  // KILN_NO_CACHE / no_cache names the crate or its package, or its own Cargo.toml says
  // `cache = false`.
  bool opted_out(const RustcInvocation& inv) const {
    const char* pkg = std::getenv("CARGO_PKG_NAME");
    for (const auto& n : cfg.no_cache)
      if (n == inv.crate_name || (pkg && n == pkg)) return true;
    const char* manifest = std::getenv("CARGO_MANIFEST_PATH");
    std::string path = manifest && *manifest ? manifest : "";
    if (path.empty())
      if (const char* dir = std::getenv("CARGO_MANIFEST_DIR"); dir && *dir) path = std::string(dir) + "/Cargo.toml";
    const char* home = std::getenv("CARGO_HOME");
    const char* user_home = std::getenv("HOME");
    std::string cargo_home = home && *home ? home : std::string(user_home ? user_home : "") + "/.cargo";
    return package_opts_out(path, cargo_home);
  }

  int run() {
    std::string rustc = command[0];
    std::string workspace_wrapper;
    size_t first_arg = 1;
    if (command.size() >= 2 && !looks_like_rustc(command[0]) && looks_like_rustc(command[1])) {
      workspace_wrapper = command[0];
      rustc = command[1];
      first_arg = 2;
    }
    std::vector<std::string> args(command.begin() + static_cast<std::ptrdiff_t>(first_arg), command.end());
    std::string cwd = current_dir();
    // A rustup proxy or a bare name: the key and the miss both use the program it resolves to.
    auto real_rustc = resolve_tool(rustc, cwd);
    if (!real_rustc) fail_open(real_rustc.error().message);
    rustc = *real_rustc;
    if (!workspace_wrapper.empty()) {
      auto real_wrapper = resolve_tool(workspace_wrapper, cwd);
      if (!real_wrapper) fail_open(real_wrapper.error().message);
      workspace_wrapper = *real_wrapper;
    }

    auto inv = parse_rustc_invocation(args, cwd);
    if (!inv) fail_open("cannot parse the rustc command line: " + inv.error().message);
    inv->rustc = rustc;
    inv->workspace_wrapper = workspace_wrapper;
    event.crate_type = inv->crate_type_label();
    if (inv->not_cacheable.empty() && opted_out(*inv)) {
      inv->not_cacheable = "opted-out";
      inv->not_cacheable_detail = "KILN_NO_CACHE or [package.metadata.kiln] cache = false";
    }
    if (!inv->not_cacheable.empty()) {
      debug("not-cached " + inv->crate_name + " " + inv->not_cacheable + ": " + inv->not_cacheable_detail);
      if (inv->not_cacheable == "unsupported-argument")
        warn("not caching " + inv->crate_name + ": " + inv->not_cacheable_detail + " is not understood; running rustc");
      record(Outcome::NotCached, inv->not_cacheable);
      pass_through(command);
    }

    auto toolchain = load_toolchain(rustc, cfg.dir);
    if (!toolchain) fail_open("cannot identify the toolchain: " + toolchain.error().message);
    PathAnchors anchors = PathAnchors::for_invocation(*inv, toolchain->sysroot);
    KeyOptions key_options;
    key_options.remap = cfg.remap && !inv->user_remaps;
    if (inv->native_cpu) {
      std::string target = inv->target.size() > 5 && inv->target.substr(inv->target.size() - 5) == ".json" ? "" : inv->target;
      auto native = resolve_native_cpu(rustc, *toolchain, target, cfg.dir);
      if (!native) fail_open(native.error().message);
      key_options.native_cpu = *native;
    }
    auto pre = compute_pre_key(*inv, *toolchain, anchors, key_options);
    if (!pre) fail_open("cannot compute the key: " + pre.error().message);
    if (debug_enabled()) {
      debug("crate " + inv->crate_name + " pre-key " + pre->digest.hex());
      for (const auto& l : pre->lines) debug("  " + l);
    }

    double t_key = now_ms();
    StoreChain stores = make_store_chain(cfg);  // local store, then the remotes (if any)
    if (const char* dir = std::getenv("KILN_PREFETCH_DIR"); dir && *dir && stores.tiered()) {
      int max_ms = cfg.remote_timeout_ms;
      stores.tiered()->set_before_remote_lookup(
          [d = std::string(dir), max_ms](const Digest& key) { return wait_for_prefetch(d, key, max_ms); });
    }
    Store& store = stores.store();
    auto found = lookup_entry(store, pre->digest, anchors);
    // A local manifest shadows the remotes': on a miss, look again with their source sets merged in.
    if (found && !*found && stores.tiered() && stores.tiered()->refresh_manifests())
      found = lookup_entry(store, pre->digest, anchors);
    if (!found) {
      warn("store unreadable (" + found.error().message + "); compiling");
    } else if (*found) {
      const ActionResult& entry = (*found)->result;
      double t_lookup = now_ms();
      Status restored = restore_outputs(store, entry, anchors);
      if (restored) {
        replay_output(entry, anchors);
        double hit_ms = now_ms() - t0;
        record(Outcome::DirectHit, {}, std::max(0.0, static_cast<double>(entry.meta.compile_ms) - hit_ms));
        note_used_keys({compute_manifest_key(pre->digest), (*found)->key});
        auto us = [](double ms) { return std::to_string(static_cast<int>(ms * 1000)); };
        debug("hit " + inv->crate_name + " " + event.crate_type + " key " + (*found)->key.hex() + " in " +
              us(hit_ms) + " us (key " + us(t_key - t0) + ", lookup " + us(t_lookup - t_key) + ", restore " +
              us(now_ms() - t_lookup) + ")");
        return entry.exit_code;
      }
      debug("hit not restorable, compiling: " + restored.error().message);
    }

    // Miss: run rustc, teeing its output to cargo as it arrives.
    std::vector<std::string> argv = command;
    argv[first_arg - 1] = rustc;
    if (!workspace_wrapper.empty()) argv[0] = workspace_wrapper;
    if (key_options.remap)
      for (auto& r : anchors.remap_args()) argv.push_back(r);
    auto executor = make_executor("local");
    if (!executor) fail_open(executor.error().message);
    // The miss runs traced: what rustc, its proc-macros and its linker read becomes part of the
    // entry's manifest (trace/tracer.h). Without a tracer the result is not stored.
    std::string plugin_dir;
    for (const auto& a : anchors.anchors())
      if (a.name == "target") plugin_dir = a.dir;
    auto tracing = start_trace(cfg.dir, plugin_dir.empty() ? inv->out_dir : plugin_dir);
    if (!tracing) debug("not tracing: " + tracing.error().message);
    int64_t start_ns = wall_ns();
    double tc = now_ms();
    auto result = (*executor)->run({argv, cwd, tracing ? tracing->env : std::vector<std::string>{},
                                    [](int fd, std::string_view chunk) { write_all(fd, chunk); }});
    if (!result) {
      if (tracing) discard_trace(*tracing);
      fail_open(result.error().message);
    }
    auto compile_ms = static_cast<int64_t>(now_ms() - tc);
    Result<TraceLog> trace = tracing ? finish_trace(*tracing) : Result<TraceLog>(tracing.error());
    if (result->exit_code != 0) {
      record(Outcome::NotCached, "compile-failed");
      return result->exit_code;
    }
    Result<RecordOutcome> rec = make_error("internal error");
    if (!trace) {
      RecordOutcome untraced;
      untraced.not_stored_reason = "untraced";
      untraced.detail = trace.error().message;
      rec = untraced;
    } else {
      try {
        rec = record_compilation(store, *inv, anchors, pre->digest, *result, start_ns, compile_ms, &*trace,
                                 toolchain->sysroot);
      } catch (const std::exception& e) {
        rec = make_error(std::string("internal error: ") + e.what());
      }
    }
    if (!rec) {
      if (first_store_warning_of_build(cfg.dir)) warn("cannot store the result (" + rec.error().message + ")");
      record(Outcome::Miss, "store-failed");
    } else if (!rec->stored) {
      if (rec->not_stored_reason == "untraced" && first_store_warning_of_build(cfg.dir))
        warn("not caching " + inv->crate_name + ": its inputs cannot be traced (" + rec->detail + ")");
      debug("not-cached " + inv->crate_name + " " + rec->not_stored_reason + ": " + rec->detail);
      record(Outcome::NotCached, rec->not_stored_reason);
    } else {
      record(Outcome::Miss);
      note_used_keys(rec->keys);
    }
    if (!rec || rec->stored)
      debug("miss " + inv->crate_name + " " + event.crate_type + (rec && rec->path_bound ? " path-bound" : ""));
    return result->exit_code;
  }
};

}  // namespace

bool looks_like_rustc(const std::string& path) { return base_name(path).rfind("rustc", 0) == 0; }

int run_wrapper(const std::vector<std::string>& command) {
  if (command.empty()) {
    warn("no rustc given to the wrapper");
    return 2;
  }
  Flow flow;
  flow.cfg = load_config();
  flow.command = command;
  if (const char* s = std::getenv("KILN_SESSION")) flow.event.session = s;
  if (flow.cfg.disabled) pass_through(command);
  try {
    return flow.run();
  } catch (const std::exception& e) {
    // Only reachable before rustc ran: after it, nothing throws past record_compilation.
    flow.fail_open(std::string("internal error: ") + e.what());
  }
}

}  // namespace kiln

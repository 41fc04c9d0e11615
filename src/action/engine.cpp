// The action engine's flow (see engine.h). Stats: exactly one event per action.
#include "action/engine.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#include <unistd.h>

#include "core/background_store.h"
#include "core/build_index.h"
#include "core/direct_mode.h"
#include "core/prefetch.h"
#include "explain/miss_log.h"
#include "graph/action_log.h"
#include "report/timeline.h"
#include "session/session_env.h"
#include "stats/stats.h"
#include "store/local/store_warning.h"
#include "store/store_factory.h"
#include "trace/tracer.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/process.h"

extern char** environ;

namespace kiln {
namespace {

// Runs the real command in place of kiln (exec), or as a child if exec fails.
[[noreturn]] void pass_through(const std::vector<std::string>& command) {
  Error e = exec_process(command);
  warn(e.message);
  std::exit(127);
}

// How long a lookup waits for a background store of its own key (ms).
constexpr int kPendingStoreWaitMs = 30'000;

struct Engine {
  ActionKind& kind;
  const Config& cfg;
  StatsEvent event;
  double t0 = now_ms();
  double answered_ms = -1;  // when cargo got its answer, if before the event (a background store)
  double snapshot_ms = 0;   // of that: checksumming the outputs before the fork (debug timing)
  double t_key = 0, t_looked_up = 0;  // when the key was ready, when the lookup ended (for KILN_LOG)
  // For the session's timeline (report/timeline.h).
  int64_t start_unix_ms = static_cast<int64_t>(wall_ns() / 1'000'000);
  int wrapper_pid = static_cast<int>(::getpid());
  TimelineEntry unit;
  bool remote_hit = false;
  StoreChain* chain = nullptr;  // the stores of this action, once made (for the unit's bytes)

  // What this process moved to and from each remote so far (its counters are this action's).
  std::vector<UnitStoreBytes> remote_bytes() const {
    std::vector<UnitStoreBytes> out;
    if (!chain || !chain->tiered()) return out;
    for (size_t i = 0; i < chain->tiered()->remote_count(); ++i) {
      const StoreEvent& c = chain->tiered()->counters(i);
      if (c.bytes_down || c.bytes_up) out.push_back({c.store, c.bytes_down, c.bytes_up});
    }
    return out;
  }

  void record(Outcome o, const std::string& reason = {}, double saved_ms = 0) {
    event.outcome = o;
    event.reason = reason;
    event.kiln_ms = (answered_ms >= 0 ? answered_ms : now_ms()) - t0;
    event.saved_ms = saved_ms;
    record_event(cfg.dir, event);
    if (event.session.empty()) return;
    unit.label = event.crate_type;
    unit.outcome = o == Outcome::DirectHit || o == Outcome::Hit ? (remote_hit ? "hit-remote" : "hit-local")
                   : o == Outcome::Miss                         ? "miss"
                   : o == Outcome::NotCached                    ? "not-cached"
                   : o == Outcome::Unstored                     ? "unstored"
                                                                : "error";
    unit.reason = reason;
    unit.start_ms = start_unix_ms;
    unit.end_ms = start_unix_ms + static_cast<int64_t>(event.kiln_ms);
    unit.saved_ms = saved_ms;
    unit.pid = wrapper_pid;
    unit.stores = remote_bytes();
    if (unit.package.empty()) unit.package = env_or("CARGO_PKG_NAME");
    append_timeline(cfg.dir, event.session, unit);
  }

  // A background store's uploads, as an amendment to its miss on the timeline.
  void amend_uploads() {
    if (event.session.empty()) return;
    TimelineEntry a = unit;
    a.outcome = "uploaded";
    a.stores = remote_bytes();
    if (a.stores.empty()) return;
    a.pid = wrapper_pid;
    append_timeline(cfg.dir, event.session, a);
  }

  [[noreturn]] void fail_open(const std::string& why) {
    warn(why + "; running it uncached");
    record(Outcome::Error, "internal");
    pass_through(kind.passthrough());
  }

  int run() {
    auto prepared = kind.prepare(cfg);
    if (!prepared) fail_open(prepared.error().message);
    PreparedAction& a = *prepared;
    event.crate_type = a.label;
    unit.crate = a.name;
    if (!a.not_cacheable.empty()) {
      debug("not-cached " + a.name + " " + a.not_cacheable + ": " + a.not_cacheable_detail);
      record(Outcome::NotCached, a.not_cacheable);
      pass_through(kind.passthrough());
    }
    if (!env_or(kActionLogVar).empty()) {
      LoggedAction logged{a.name, a.label, a.request.argv, a.request.cwd, {}, a.request.inputs};
      for (char** e = environ; e && *e; ++e) logged.env.emplace_back(*e);
      log_action(logged);
    }
    if (debug_enabled()) {
      debug("crate " + a.name + " pre-key " + a.pre_key.hex());
      for (const auto& l : a.key_lines) debug("  " + l);
    }

    t_key = now_ms();
    StoreChain stores = make_store_chain(cfg);  // local store, then the remotes (if any)
    chain = &stores;
    const SessionEnv& session = session_env();
    if (!session.prefetch_dir.empty() && stores.tiered()) {
      int max_ms = cfg.remote_timeout_ms;
      stores.tiered()->set_before_remote_lookup(
          [d = session.prefetch_dir, max_ms](const Digest& key) { return wait_for_prefetch(d, key, max_ms); });
    }
    Store& store = stores.store();
    LookupMiss why;
    auto found = lookup_entry(store, a.pre_key, a.anchors, &why);
    // A local manifest shadows the remotes': on a miss, look again with their source sets merged in.
    if (found && !*found && stores.tiered() && stores.tiered()->refresh_manifests(merge_manifest_payload))
      found = lookup_entry(store, a.pre_key, a.anchors, &why);
    // The same action still being stored by a background store (a build started right after
    // the one that compiled it): wait for it rather than compile it again.
    if (found && !*found && wait_for_pending_store(cfg.dir, a.pre_key.hex(), kPendingStoreWaitMs)) {
      debug("waited for a background store of " + a.name);
      found = lookup_entry(store, a.pre_key, a.anchors, &why);
    }
    if (!found) {
      warn("store unreadable (" + found.error().message + "); running it");
    } else if (*found) {
      const ActionResult& entry = (*found)->result;
      double t_lookup = now_ms();
      Status restored = kind.restore(store, entry, a);
      if (restored) {
        unit.key = (*found)->key.hex();
        for (const auto& f : entry.output_files) unit.bytes += static_cast<uint64_t>(f.size);
        if (auto* t = stores.tiered())
          for (size_t i = 0; i < t->remote_count(); ++i) remote_hit = remote_hit || t->counters(i).hits > 0;
        kind.replay(entry, a);
        double hit_ms = now_ms() - t0;
        record(Outcome::DirectHit, {}, std::max(0.0, static_cast<double>(entry.meta.compile_ms) - hit_ms));
        note_used_keys({compute_manifest_key(a.pre_key), (*found)->key});
        auto us = [](double ms) { return std::to_string(static_cast<int>(ms * 1000)); };
        debug("hit " + a.name + " " + a.label + " key " + (*found)->key.hex() + " in " + us(hit_ms) + " us (key " +
              us(t_key - t0) + ", lookup " + us(t_lookup - t_key) + ", restore " + us(now_ms() - t_lookup) + ")");
        kind.finish(a, entry.exit_code);
        return entry.exit_code;
      }
      debug("hit not restorable, running it: " + restored.error().message);
    }
    t_looked_up = now_ms();
    unit.key = a.pre_key.hex();
    // For `kiln explain`: what the key was made of, and why the lookup found nothing.
    MissRecord r{static_cast<int64_t>(wall_ns() / 1'000'000), event.session, a.name, a.label, env_or("CARGO_PKG_NAME"),
                 a.pre_key.hex(), a.key_lines, why.reason.empty() ? "restore-failed" : why.reason, why.details};
    record_miss(cfg.dir, r);
    return miss(a, stores);
  }

  // Runs the action traced, teeing its output to the caller as it arrives, and records it.
  int miss(PreparedAction& a, StoreChain& stores) {
    Config exec_cfg = cfg;
    if (a.run_here && exec_cfg.executor == "buildkit") exec_cfg.executor = "local";
    auto executor = make_executor(exec_cfg);
    if (!executor) fail_open(executor.error().message);
    // What the command, its plugins and the programs it starts read becomes part of the
    // entry's manifest (trace/tracer.h). Without a tracer the result is not stored.
    auto tracing = start_trace(cfg.dir, a.plugin_dir);
    if (!tracing) debug("not tracing: " + tracing.error().message);
    ExecRequest request = a.request;
    if (tracing) request.env = tracing->env;
    if (!a.env_overrides.empty()) {
      if (request.env.empty())
        for (char** e = environ; e && *e; ++e) request.env.emplace_back(*e);
      for (const auto& o : a.env_overrides) {
        std::string name = o.substr(0, o.find('=') + 1);
        auto same = [&](const std::string& e) { return e.compare(0, name.size(), name) == 0; };
        request.env.erase(std::remove_if(request.env.begin(), request.env.end(), same), request.env.end());
        request.env.push_back(o);
      }
    }
    if (!a.buffer_output) request.sink = [](int fd, std::string_view chunk) { write_all(fd, chunk); };
    if (Status ready = kind.before_run(a); !ready) {
      if (tracing) discard_trace(*tracing);
      fail_open(ready.error().message);
    }
    int64_t start_ns = wall_ns();
    double tc = now_ms();
    auto result = (*executor)->run(request);
    if (!result) {
      if (tracing) discard_trace(*tracing);
      if (result.error().message.rfind("sandbox:", 0) == 0) {  // never a silent non-sandbox
        warn(result.error().message);
        record(Outcome::Error, "sandbox");
        return 101;
      }
      fail_open(result.error().message);
    }
    double t_ran = now_ms();
    auto run_ms = static_cast<int64_t>(t_ran - tc);
    Result<TraceLog> trace = tracing ? finish_trace(*tracing) : Result<TraceLog>(tracing.error());
    if (Status settled = kind.settle(a, *result); !settled) fail_open(settled.error().message);
    if (result->exit_code != 0) {
      record(Outcome::NotCached, "compile-failed");
      kind.finish(a, result->exit_code);
      return result->exit_code;
    }
    Result<RecordPlan> plan = make_error("internal error");
    if (!trace) {
      RecordPlan untraced;
      untraced.done = RecordOutcome{};
      untraced.done->not_stored_reason = "untraced";
      untraced.done->detail = trace.error().message;
      plan = std::move(untraced);
    } else {
      try {
        plan = kind.plan_record(a, *result, start_ns, run_ms, *trace);
      } catch (const std::exception& e) {
        plan = make_error(std::string("internal error: ") + e.what());
      }
    }
    double t_checked = now_ms();
    auto timing = [&](const char* store_part) {
      if (!debug_enabled()) return;
      auto us = [](double ms) { return std::to_string(static_cast<int>(ms * 1000)); };
      debug("timing of the miss of " + a.name + ": key " + us(t_key - t0) + " us, lookup " + us(t_looked_up - t_key) +
            ", trace setup " + us(tc - t_looked_up) + ", run " + us(t_ran - tc) + ", check " + us(t_checked - t_ran) +
            ", " + store_part + " " + us(now_ms() - t_checked));
    };
    if (plan && !plan->done && plan->background_ok && background_store_enabled(cfg))
      if (auto code = store_in_background(a, stores, *plan, *result)) {
        timing(("fork (output snapshot " + std::to_string(static_cast<int>(snapshot_ms * 1000)) + " us)").c_str());
        return *code;
      }
    Result<RecordOutcome> rec = !plan        ? Result<RecordOutcome>(plan.error())
                                : plan->done ? Result<RecordOutcome>(std::move(*plan->done))
                                             : run_store(*plan, stores.store(), nullptr);
    report(a, rec, false);
    timing("store");
    kind.finish(a, result->exit_code);
    return result->exit_code;
  }

  // Forks a background store (core/background_store.h) when a slot is free: the parent
  // counts the miss and answers cargo with the exit code, the child stores it.
  // nullopt: store in the foreground.
  std::optional<int> store_in_background(PreparedAction& a, StoreChain& stores, RecordPlan& plan,
                                         const ProcessResult& result) {
    auto slot = claim_store_slot(cfg.dir, event.session, a.pre_key.hex(), background_store_slots());
    if (!slot) return std::nullopt;
    double t_snap = now_ms();
    OutputSnapshot snapshot = OutputSnapshot::take(plan.outputs);
    snapshot_ms = now_ms() - t_snap;
    if (stores.tiered()) stores.tiered()->flush_stats();  // the child starts from zero
    answered_ms = now_ms();
    int wrapper_pid = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
      become_background_store();
      set_log_pid(wrapper_pid);
      Result<RecordOutcome> rec = run_store(plan, stores.store(), &snapshot);
      report(a, rec, true);
      if (rec && rec->stored) amend_uploads();
      debug("background store of " + a.name + " took " + std::to_string(static_cast<int>(now_ms() - answered_ms)) +
            " ms");
      if (stores.tiered()) stores.tiered()->flush_stats();
      std::_Exit(0);  // no destructors: nothing of the parent's (buffers, atexit) runs twice
    }
    ::close(slot->fd);  // the child holds the lock now (or, fork failed, nobody does)
    if (pid < 0) {
      answered_ms = -1;
      return std::nullopt;
    }
    // The miss is counted now, so that a report need not wait for the store; the store
    // amends it ("unstored") if it ends up not storing it.
    record(Outcome::Miss);
    debug("miss " + a.name + " " + a.label + " (storing in the background)");
    stores.forget_at_exit();
    kind.finish(a, result.exit_code);
    return result.exit_code;
  }

  // Runs a plan's store; an exception is an error value (nothing throws past a record).
  static Result<RecordOutcome> run_store(RecordPlan& plan, Store& store, const OutputSnapshot* snapshot) {
    try {
      return plan.store(store, snapshot);
    } catch (const std::exception& e) {
      return make_error(std::string("internal error: ") + e.what());
    }
  }

  // Writes the stats event and log line of a recorded miss. `background`: a background
  // store, whose wrapper counted the miss already — only a result it did not store is
  // written, as an amendment ("unstored").
  void report(const PreparedAction& a, const Result<RecordOutcome>& rec, bool background) {
    if (!rec) {
      if (first_store_warning_of_build(cfg.dir)) warn("cannot store the result (" + rec.error().message + ")");
      record(background ? Outcome::Unstored : Outcome::Miss, "store-failed");
      if (background) debug("unstored " + a.name + " store-failed: " + rec.error().message);
    } else if (!rec->stored) {
      if (rec->not_stored_reason == "untraced" && first_store_warning_of_build(cfg.dir))
        warn("not caching " + a.name + ": its inputs cannot be traced (" + rec->detail + ")");
      debug((background ? "unstored " : "not-cached ") + a.name + " " + rec->not_stored_reason + ": " + rec->detail);
      record(background ? Outcome::Unstored : Outcome::NotCached, rec->not_stored_reason);
    } else {
      if (!background) record(Outcome::Miss);
      note_used_keys(rec->keys);
    }
    if (!background && (!rec || rec->stored))
      debug("miss " + a.name + " " + a.label + (rec && rec->path_bound ? " path-bound" : ""));
  }
};

}  // namespace

RecordPlan plan_to_store(PendingRecord pending, bool background_ok, bool scan_strict_end) {
  RecordPlan plan;
  plan.outputs = pending.outputs;
  plan.background_ok = background_ok;
  auto shared = std::make_shared<PendingRecord>(std::move(pending));  // std::function needs a copyable callable
  plan.store = [shared, scan_strict_end](Store& store, const OutputSnapshot* snapshot) {
    return store_pending_record(store, std::move(*shared), snapshot, scan_strict_end);
  };
  return plan;
}

int run_action(ActionKind& kind, const Config& cfg) {
  Engine engine{kind, cfg, {}};
  engine.event.session = session_env().session;
  if (cfg.disabled) pass_through(kind.passthrough());
  try {
    return engine.run();
  } catch (const std::exception& e) {
    // Only reachable before the command ran: after it, nothing throws past record.
    engine.fail_open(std::string("internal error: ") + e.what());
  }
}

}  // namespace kiln

// The action engine: the one flow every kind of action goes through —
//   prepare (parse, anchors, pre-key) → lookup (direct mode) → hit: restore outputs, replay
//   stdout/stderr, exit code | miss: execute traced (an Executor) → record,
// failing open (any internal error runs the real command and says why on stderr) and writing
// exactly one stats event. What differs between kinds — how a command is parsed and keyed,
// which files are its outputs, what a hit leaves behind — is an ActionKind:
//   action/rustc_action.cpp         a rustc (or clippy-driver) invocation, RUSTC_WRAPPER
//   action/build_script_action.cpp  a build-script run, started by kiln's launcher
// A new kind implements ActionKind; a new place to run misses is an Executor (exec/).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/output_snapshot.h"
#include "core/record.h"
#include "exec/executor.h"
#include "key/path_anchors.h"
#include "store/store.h"
#include "trace/trace_log.h"
#include "util/digest.h"

namespace kiln {

/// What a kind decided before the lookup.
struct PreparedAction {
  std::string name;   // for logs: crate name ("serde"), or "serde build script"
  std::string label;  // for stats: crate type ("lib", "bin", …) or "build-script"
  Digest pre_key;
  PathAnchors anchors;
  ExecRequest request;    // what a miss runs (env empty: kiln's own, the tracer is added)
  std::string plugin_dir; // code loaded from here counts as a plugin in the trace ("" = none)
  std::string not_cacheable;         // slug: run the command plainly, count it with this reason
  std::string not_cacheable_detail;  // what exactly, for the log
  std::vector<std::string> key_lines;  // what the pre-key was made of, for KILN_LOG
  std::vector<std::string> env_overrides;  // "NAME=value" set for a miss's run only (never a pass-through)
  bool buffer_output = false;  // a miss's stdout/stderr are not streamed: settle() writes them
  bool run_here = false;       // a miss runs on this machine whatever the executor setting
};

/// How a successful miss gets stored (ActionKind::plan_record).
struct RecordPlan {
  /// Set: decided already that it is not stored (with the reason); `store` is empty.
  std::optional<RecordOutcome> done;
  /// The rest — read, digest, write, upload the outputs —: now, or in a background store
  /// (core/background_store.h) with the outputs' snapshot (outputs are then read through it).
  std::function<Result<RecordOutcome>(Store&, const OutputSnapshot*)> store;
  /// The files `store` reads as outputs.
  std::vector<std::string> outputs;
  /// True when `store` may run after cargo was answered (nothing moves the outputs).
  bool background_ok = false;
};

/// The plan that stores `pending` (core/record.h's second half) with `scan_strict_end` as
/// store_pending_record takes it.
RecordPlan plan_to_store(PendingRecord pending, bool background_ok, bool scan_strict_end = true);

/// One kind of action (see the file comment).
class ActionKind {
 public:
  virtual ~ActionKind() = default;
  /// The command as the caller gave it: run as is when the action is not cacheable, or on an
  /// internal error.
  virtual std::vector<std::string> passthrough() const = 0;
  /// Parses and keys the action. A not-cacheable action sets PreparedAction::not_cacheable.
  /// Errors: anything unexpected (the engine then fails open).
  virtual Result<PreparedAction> prepare(const Config& cfg) = 0;
  /// A hit: restores the entry's outputs. Errors: a blob is missing or corrupt (the engine
  /// then executes instead).
  virtual Status restore(Store& store, const ActionResult& entry, const PreparedAction& action) = 0;
  /// A hit, after restore: writes the entry's stdout and stderr.
  virtual void replay(const ActionResult& entry, const PreparedAction& action) = 0;
  /// A miss, just before the command runs: prepares what it needs (a kind that runs it in a
  /// directory of its own). Errors: the engine fails open.
  virtual Status before_run(const PreparedAction& action) { return {}; }
  /// A miss, right after the command ended (any exit code), before its trace is read: puts
  /// outputs where the caller expects them, writes buffered output. Errors: the engine fails
  /// open (runs the passthrough command).
  virtual Status settle(const PreparedAction& action, const ProcessResult& result) { return {}; }
  /// A successful miss, first half: checks at once what decides whether it can be stored
  /// (`trace` is what the tracer saw), and returns either that decision or the work that
  /// stores it (RecordPlan). Errors: anything unexpected (the miss is then counted as
  /// store-failed).
  virtual Result<RecordPlan> plan_record(const PreparedAction& action, const ProcessResult& result, int64_t start_ns,
                                         int64_t run_ms, const TraceLog& trace) = 0;
  /// Called after a hit's replay or a miss's record (whether or not it was stored), with the
  /// exit code; kinds that leave something behind (a build-script launcher) do it here.
  virtual void finish(const PreparedAction& action, int exit_code) {}
};

/// Runs `kind` through the engine with the settings `cfg`. Returns the exit code cargo should
/// see; may exec the real command and not return.
int run_action(ActionKind& kind, const Config& cfg);

}  // namespace kiln

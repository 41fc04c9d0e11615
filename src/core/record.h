// Store (after a successful miss): read the dep-info, build the source set and full key,
// collect the output files, decide whether they are path-bound (they contain one of this
// run's anchor directories even after remapping, e.g. through `env!("CARGO_MANIFEST_DIR")`),
// put blobs then the entry, and add the source set to the pre-key's manifest.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "core/output_snapshot.h"
#include "key/action_key.h"
#include "key/path_anchors.h"
#include "key/source_manifest.h"
#include "rustc/invocation.h"
#include "store/action_result.h"
#include "store/store.h"
#include "trace/trace_log.h"
#include "util/process.h"

namespace kiln {

/// What happened when recording.
struct RecordOutcome {
  bool stored = false;
  std::string not_stored_reason;  // slug when not stored for a legitimate reason
  std::string detail;             // what exactly (a path, a program), for the log and a warning
  bool path_bound = false;
  /// When path-bound by what the outputs contain: the names of the anchors found in them (the
  /// entry is keyed on those alone); empty: on every anchor (decided from the environment).
  std::vector<std::string> bound_to;
  uint64_t bytes = 0;  // sum of output sizes
  std::vector<Digest> keys;  // action entries written (result or redirect + path-bound, manifest)
};

/// A compilation that passed every check and is ready to be stored: what the second half of
/// recording needs (the outputs are read, scanned for machine paths, digested and written).
struct PendingRecord {
  RecordOutcome out;                 // path_bound from the environment checks so far
  std::vector<std::string> outputs;  // absolute paths, sorted, dep-info and side outputs included
  std::string dep_path;                // "" when the action has no dep-info
  PathAnchors anchors;
  Digest pre_key, full_key;
  ManifestSet manifest_set;
  ActionResult entry;  // meta, exit code, stdout/stderr; output_files filled when stored
};

/// The entry of a finished action (kind Result, outputs still to add): `crate_name` and
/// `crate_type` for stats, the package from CARGO_PKG_NAME / CARGO_PKG_VERSION, whether it is
/// a workspace member's (`local_only`), the run's time (ms), exit code, and stdout/stderr
/// with this run's anchors made portable.
ActionResult result_entry(const std::string& crate_name, const std::string& crate_type, bool local_only,
                          int64_t run_ms, const ProcessResult& result, const PathAnchors& anchors);

/// Records a finished compilation, in two halves:
///   check_compilation — at once, while cargo waits: reads the dep-info, classifies the trace
///     (`trace`: what the run's tracer recorded; nullptr: not traced, only dep-info's inputs
///     are known — tests use this), digests the inputs and checks that none changed during the
///     compilation, decides path-boundness by environment. Returns a RecordOutcome when the
///     compilation is not stored ("untraced", "source-changed", "no-dep-info"…), else the
///     PendingRecord. `sysroot` is the toolchain's, whose files the toolchain identity covers.
///   store_pending_record — now or in a background store (core/background_store.h): reads
///     the outputs (through `snapshot` when given: one that changed since the compilation ended
///     leaves it unstored, "output-changed", and no digest note is written to the outputs),
///     scans them for machine paths, puts blobs then the entry.
/// record_compilation does both. Errors: the store failed (full disk, read-only…).
Result<std::variant<RecordOutcome, PendingRecord>> check_compilation(const RustcInvocation& inv,
                                                                     const PathAnchors& anchors, const Digest& pre_key,
                                                                     const ProcessResult& result, int64_t start_ns,
                                                                     int64_t compile_ms, const TraceLog* trace = nullptr,
                                                                     const std::string& sysroot = {});
/// `scan_strict_end` false: a machine path counts even when a file name continues it (what a
/// build script writes may join paths any way).
Result<RecordOutcome> store_pending_record(Store& store, PendingRecord record, const OutputSnapshot* snapshot,
                                           bool scan_strict_end = true);
Result<RecordOutcome> record_compilation(Store& store, const RustcInvocation& inv, const PathAnchors& anchors,
                                         const Digest& pre_key, const ProcessResult& result, int64_t start_ns,
                                         int64_t compile_ms, const TraceLog* trace = nullptr,
                                         const std::string& sysroot = {});

/// The output files of a compilation that started at `start_ns` (wall ns), as check_compilation
/// collects them (before the trace's side outputs).
std::vector<std::string> compilation_outputs(const RustcInvocation& inv, int64_t start_ns);

/// True when every use of `env!("NAME")` in `sources` (Rust files' text) is the first
/// argument of `concat!` inside `include!`, `include_str!` or `include_bytes!`: the value
/// only located a file (which is an input by content), so a machine path in it cannot reach
/// the output. False when there is no such use, or any other one (`.len()`, formatting,
/// `option_env!`, a macro that builds it).
bool env_used_only_as_include_path(const std::string& name, const std::vector<std::string>& sources);

/// True when `data` contains one of `dirs` as a path: with `strict_end`, not followed by a
/// character that continues a file name ("/tmp/a" is not found in "/tmp/ab"); else anywhere.
bool contains_any_dir(std::string_view data, const std::vector<std::string>& dirs, bool strict_end = true);

}  // namespace kiln

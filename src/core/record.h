// Store (after a successful miss): read the dep-info, build the source set and full key,
// collect the output files, decide whether they are path-bound (they contain one of this
// run's anchor directories even after remapping, e.g. through `env!("CARGO_MANIFEST_DIR")`),
// put blobs then the entry, and add the source set to the pre-key's manifest.
#pragma once

#include <string>

#include "key/action_key.h"
#include "key/path_anchors.h"
#include "key/source_manifest.h"
#include "rustc/invocation.h"
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
  uint64_t bytes = 0;  // sum of output sizes
  std::vector<Digest> keys;  // action entries written (result or redirect + path-bound, manifest)
};

/// Records a finished compilation. `trace` is what the run's tracer recorded (nullptr: the
/// run was not traced, and only dep-info's inputs are known — tests use this); `sysroot` is
/// the toolchain's, whose files the toolchain identity covers. A trace that cannot be trusted
/// leaves the compilation unstored ("untraced"). Errors: the store failed (full disk,
/// read-only…).
Result<RecordOutcome> record_compilation(Store& store, const RustcInvocation& inv, const PathAnchors& anchors,
                                         const Digest& pre_key, const ProcessResult& result, int64_t start_ns,
                                         int64_t compile_ms, const TraceLog* trace = nullptr,
                                         const std::string& sysroot = {});

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

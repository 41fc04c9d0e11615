// Starting and ending a traced run. The tracer library (trace/shim/kiln_trace.c) is compiled
// into the kiln binary; the first traced miss writes it to <store>/lib/libkiln_trace-<digest>.so
// (atomically, so concurrent wrappers never load a torn copy), and every traced run gets
// LD_PRELOAD (ours first, any the user set kept after it), KILN_TRACE_FILE (a fresh file in
// <store>/tmp) and KILN_TRACE_PLUGINS (the directory whose code counts as a plugin:
// proc-macros in the target dir). Only misses are traced; a hit never starts a process.
#pragma once

#include <string>
#include <vector>

#include "trace/trace_log.h"
#include "util/expected.h"

namespace kiln {

/// One traced run being prepared.
struct TraceSession {
  std::string trace_file;        // where the records go
  std::vector<std::string> env;  // the child's whole environment ("NAME=value")
};

/// Installs the tracer in `store_dir`/lib if needed and prepares a run whose plugins live under
/// `plugin_dir` (absolute; "" = none). Errors: the store dir is not writable, or its path
/// cannot go into LD_PRELOAD (it contains a space or a colon).
Result<TraceSession> start_trace(const std::string& store_dir, const std::string& plugin_dir);

/// Reads the session's records and removes the trace file. Errors: the file is missing
/// (the tracer never ran in the child: it could not be loaded).
Result<TraceLog> finish_trace(const TraceSession& session);

/// Removes the session's trace file without reading it.
void discard_trace(const TraceSession& session);

}  // namespace kiln

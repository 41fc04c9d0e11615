// The trace a miss leaves behind: what the compilation's processes (rustc or clippy-driver,
// the proc-macros loaded into it, the C compiler driver and linker it started) opened, looked
// for, executed and read from the environment, as recorded by the LD_PRELOAD tracer
// (trace/shim/kiln_trace.c, whose file comment defines the record format). This file only
// parses; deciding what is an input is key/traced_inputs.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/fs.h"

namespace kiln {

/// A file opened for reading, with its identity at that moment (size, mtime, ctime, inode).
struct TracedRead {
  std::string path;  // absolute, as the process named it (not normalized)
  FileStat identity;
};

/// An environment variable a traced process read.
struct TracedEnv {
  std::string name;
  bool by_plugin = false;  // read by code loaded from the target dir (a proc-macro)
};

/// Everything one traced run recorded, in record order.
struct TraceLog {
  int processes = 0;           // P records: images that loaded the tracer
  std::vector<std::string> images;  // their executables (P records)
  std::vector<TracedRead> reads;
  std::vector<std::string> written;  // W
  std::vector<std::string> absent;   // A
  std::vector<std::string> execs;    // X: programs about to run
  std::vector<std::string> failed_execs;  // F: exec attempts that failed (or left the tracer out)
  std::vector<TracedEnv> env;        // E, first occurrence of each (name, by_plugin)
  int malformed = 0;                 // lines that did not parse (e.g. cut by a full disk)
};

/// Parses the text of a trace file. Never fails: unparsable lines are counted in `malformed`.
TraceLog parse_trace(std::string_view text);

}  // namespace kiln

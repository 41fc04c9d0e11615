// The history of `cargo kiln` builds, for trends (`kiln stats --history [--json]`): one JSON
// line per build appended to <store>/history.jsonl when cargo ends — when, how long, the
// command, the exit code, hits, misses, not cached, time saved — trimmed to the last 1000.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stats/stats.h"

namespace kiln {

/// One `cargo kiln` build.
struct BuildRecord {
  int64_t unix_ms = 0;   // when it started
  int64_t wall_ms = 0;   // how long cargo ran
  std::string command;   // "build --release"
  std::string dir;       // where it ran
  int exit_code = 0;
  uint64_t hits = 0, misses = 0, not_cached = 0;
  int64_t saved_ms = 0;  // rustc time avoided
};

/// The record of a build from its session's stats.
BuildRecord make_build_record(const StatsSummary& s, int64_t unix_ms, int64_t wall_ms, const std::string& command,
                              const std::string& dir, int exit_code);

/// Appends `r` to <store_dir>/history.jsonl (keeping the last 1000). Errors are ignored.
void append_build_record(const std::string& store_dir, const BuildRecord& r);

/// The recorded builds, oldest first (unparsable lines skipped).
std::vector<BuildRecord> read_build_history(const std::string& store_dir);

/// The history as a table: one line per build with its hit rate, and a last line with the
/// totals (text), or as a JSON array (json).
std::string format_build_history(const std::vector<BuildRecord>& history, bool json);

}  // namespace kiln

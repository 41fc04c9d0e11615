// Why a crate missed, in words (`kiln explain CRATE`).
//
// Each miss appends one record to <store>/explain/<crate name>.jsonl: when, which session,
// the crate type and package, its pre-key and the lines the pre-key was made of (the
// toolchain, every argument, each extern's digest, the variables cargo set — key/action_key.h),
// and why the lookup found nothing (core/direct_mode.h LookupMiss: no manifest for the pre-key,
// no source set matching the files as they are, no entry for the variables' values). The file
// keeps the last 32 records.
//
// explain_miss compares the miss asked about with the nearest record before it of the same
// crate and crate type: when the pre-key differs, the key lines that differ (an argument such as
// a feature or opt-level, a variable, a dependency's digest, the toolchain); when the pre-key was
// the same, the source files or variables the lookup rejected; when the store had stored that
// very pre-key before and now has no manifest for it, that it was evicted or cleared; with no
// earlier record, that the store never had the crate.
#pragma once

#include <string>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// One miss as recorded.
struct MissRecord {
  int64_t unix_ms = 0;
  std::string session;
  std::string crate, label, package;
  std::string pre_key;
  std::vector<std::string> key_lines;  // "arg --cfg: feature=\"x\"", "env: NAME=value", "extern: …", "toolchain: …"
  std::string reason;                   // LookupMiss::reason
  std::vector<std::string> details;     // LookupMiss::details
};

/// Appends `r` to <store_dir>/explain/<crate>.jsonl (trimmed to its last 32 records). Errors
/// are ignored: explaining never changes a build.
void record_miss(const std::string& store_dir, const MissRecord& r);

/// The records of `crate`, oldest first. Errors: none recorded (the message says so).
Result<std::vector<MissRecord>> read_misses(const std::string& store_dir, const std::string& crate);

/// The explanation of the last miss of `crate` (in `session` when not empty) as lines of text.
/// Errors: no miss of it recorded (in that session).
Result<std::vector<std::string>> explain_miss(const std::vector<MissRecord>& records, const std::string& session);

}  // namespace kiln

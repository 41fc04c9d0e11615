// Action entries in REAPI's data model: an action key maps to an ActionResult — output
// files (path → CAS digest, executable bit), stdout, stderr, exit code — plus kiln's own
// metadata carried as a google.protobuf.Any in ExecutedActionMetadata.auxiliary_metadata.
// Encoded as protobuf wire format (https://protobuf.dev/programming-guides/encoding/) with
// the field numbers of build.bazel.remote.execution.v2 (remote_execution.proto), so the same
// bytes are valid on a Bazel HTTP cache such as bazel-remote, which checks /ac/ bodies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/digest.h"
#include "util/expected.h"

namespace kiln {

/// An output file: portable path, CAS digest and size (bytes), exec bit.
struct OutputFile {
  std::string path;
  Digest digest;
  int64_t size = 0;
  bool executable = false;
};

/// kiln's metadata about an entry (auxiliary metadata, type "kiln.EntryMeta", JSON value).
/// What an action entry is. Stored as text ("result", "path-bound", "manifest", "index");
/// text this kiln does not know decodes as Unknown, which no lookup serves.
enum class EntryKind {
  Result,     // an action's outputs
  PathBound,  // a redirect: the outputs embed machine paths, look under the path-bound key
  Manifest,   // a pre-key's direct-mode source sets (payload: JSON, core/direct_mode.h)
  Index,      // a build index (core/build_index.h)
  Unknown,
};

/// The stored text of `k`.
std::string_view entry_kind_name(EntryKind k);
/// The kind named by stored text; Unknown for any other.
EntryKind parse_entry_kind(std::string_view text);

struct EntryMeta {
  EntryKind kind = EntryKind::Result;
  std::string crate_name;
  std::string crate_type;
  std::string package;           // "name version" from CARGO_PKG_*
  bool local_only = false; // the crate's source lies in the workspace (not a registry)
  int64_t compile_ms = 0;        // how long rustc took (ms)
  int64_t created_unix = 0;      // seconds since the epoch
  std::string payload;           // kind-specific text (the manifest JSON for "manifest")
};

/// REAPI ActionResult (the subset kiln uses).
struct ActionResult {
  std::vector<OutputFile> output_files;
  int32_t exit_code = 0;
  std::string stdout_raw;
  std::string stderr_raw;
  EntryMeta meta;

  /// Protobuf wire encoding.
  std::string encode() const;
  /// Decodes protobuf wire bytes. Errors: truncated or malformed message.
  static Result<ActionResult> decode(std::string_view bytes);
};

}  // namespace kiln

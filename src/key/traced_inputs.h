// What a traced miss really read, decided from its trace (trace/trace_log.h): the inputs that
// go into the direct-mode manifest beside dep-info's sources — files by content, look-ups that
// found nothing as paths that must stay absent, environment variables by value — and the
// files it wrote beside its known outputs. Left out, with the reason:
//   the toolchain's own files (the sysroot: its identity is already in the key), /proc, /sys
//   and /dev, files the compilation itself wrote (its outputs, objects and temp files), and
//   variables that do not change what the tools produce (PATH: the programs it found are
//   inputs themselves; temp dirs, the jobserver, terminal and logging settings).
// A trace that cannot be trusted — a program that ran without the tracer (statically linked,
// setuid, or started with a cleared environment), a cut record — makes the compilation not
// cacheable, with the reason: never a silent guess.
#pragma once

#include <string>
#include <vector>

#include "key/path_anchors.h"
#include "trace/trace_log.h"
#include "util/fs.h"

namespace kiln {

/// A file the compilation read: its path as reached (absolute, not normalized, so that a
/// "dir/../x" stays relative to dir) and its identity when first read.
struct TracedFile {
  std::string raw_path;
  std::string path;  // normalized
  FileStat identity;
};

/// The inputs and side outputs of one traced compilation.
struct TracedInputs {
  std::vector<TracedFile> files;
  std::vector<std::string> absent;        // raw absolute paths that must stay absent
  std::vector<std::string> env_names;     // variables that enter the key (sorted, unique)
  std::vector<std::string> plugin_env;    // of those, the ones a plugin (proc-macro) read
  std::vector<std::string> side_outputs;  // normalized paths written beside the known outputs
  std::string untraceable;                // why this trace cannot be trusted ("" = it can)
};

/// What classification needs to know about the compilation.
struct TraceContext {
  std::string sysroot;
  std::string target_dir;                 // "" when unknown
  std::vector<std::string> output_dirs;   // where this compilation's outputs go
  std::vector<std::string> output_stems;  // their file-name stems ("libfoo-HASH", "foo-HASH")
  std::vector<std::string> outputs;       // the outputs found after the run (absolute)
  std::vector<std::string> anchor_dirs;   // directories a side output may be restored into
  std::vector<std::string> keep_env;      // variables keyed even when tool_env_ignored says no
                                          // (a build script is its own tool: CI, HOME matter)
  std::vector<std::string> cache_dirs;    // a tool's own caches (rustc's incremental dir): neither
                                          // inputs nor outputs
};

/// A context with what the anchors give filled in: the sysroot, the target dir, and every
/// other anchor as a directory side outputs may be restored into.
TraceContext trace_context_for(const PathAnchors& anchors, const std::string& sysroot);

/// Sorts a trace into inputs and side outputs (see the file comment).
TracedInputs classify_trace(const TraceLog& log, const TraceContext& ctx);

/// True for a variable whose value never changes what the traced tools produce, when the
/// tool itself (not a plugin) read it: PATH, TMPDIR, the jobserver, terminal and log settings.
bool tool_env_ignored(const std::string& name);

}  // namespace kiln

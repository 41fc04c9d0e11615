// After a remote run: did the daemon see this machine's world, and what does kiln keep of it.
//
// A remote run is worth as much as a local one only when it read what a local run would
// have: the same bytes for every file it opened or ran, nothing missing that exists here,
// no variable set here that it did not get. The context (remote_context.h) carries the
// crate's own inputs; the rest — the C compiler, crt objects, system libraries, config files
// a build script looks for — comes from the toolchain image. check_remote_world compares:
//   files read or run that did not travel: their SHA-256 on the daemon (the script's
//     digests) against this machine's; a file here that was not a file there;
//   look-ups that found nothing there: must find nothing here either;
//   variables read: set here and withheld → different.
// Any difference makes the engine run the action locally instead (the remote's outputs are
// dropped), so a remote result is never one this machine would not have produced.
//
// A run that saw the same world is recorded from its trace like a local one. The trace's
// file identities (inode, times) are the daemon's; remote_trace_for_host gives each file read
// the identity it has here (shipped files: the one they had when they were shipped), so that
// record's "did a source change during the compilation" check compares this machine's files.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "exec/buildkit/remote_context.h"
#include "trace/trace_log.h"
#include "util/expected.h"

namespace kiln {

/// What the script left in /kiln/out, as `--output type=local` brought it to `dir`.
struct RemoteRun {
  int exit_code = 0;
  std::string stdout_data, stderr_data;
  std::string trace_text;
  std::map<std::string, std::string> digests;  // path as read there → SHA-256 hex
};

/// Reads `dir`/.kiln. Errors: the script did not run to its end (no exit file), or said why
/// it could not start the command.
Result<RemoteRun> read_remote_run(const std::string& dir);

/// What the comparison needs from this machine.
struct HostView {
  std::function<std::optional<std::string>(const std::string&)> env;  // a variable's value
  std::function<std::string(const std::string&)> digest;  // a file's SHA-256 hex ("" = not a regular file)
  std::function<bool(const std::string&)> exists;         // lstat succeeds
};

/// The real machine: getenv, sha256_file, lstat.
HostView this_host();

/// "" when the remote run of `action` saw this machine's world (see the file comment), else
/// the first difference in words ("/usr/bin/a2x exists here but not on the daemon").
std::string check_remote_world(const RemoteAction& action, const RemoteRun& run, const TraceLog& trace,
                               const HostView& host);

/// The trace text with each R record's identity replaced by the file's identity here (see
/// the file comment); other records unchanged.
std::string remote_trace_for_host(const std::string& text, const RemoteAction& action);

}  // namespace kiln

// A miss as one BuildKit build: what its build context holds, which environment travels, and
// the Dockerfile and script that run it on the daemon.
//
// The command runs at the host's own paths. Every input directory of the action is bind-
// mounted from the build context at the path it has here (RUN --mount=type=bind,rw), and the
// toolchain image's /usr/local/rust at the host's sysroot path, so the command line, dep-info,
// the trace and every path rustc writes are exactly those of a local run with the same remaps
// — no path in or out needs rewriting, and the outputs are the bytes a local run gives.
//
// The context (a mirror tree <slot>/context/r/<host path>) holds only:
//   - the crate's package dir (CARGO_MANIFEST_DIR, without target dirs and .git), and the
//     crate root's dir when it lies outside it;
//   - the externs, and the rlibs, rmetas and proc-macro libraries in each `-L dependency=`
//     dir (rustc finds transitive crates there);
//   - the `-L native=`/`-L all=` dirs (native libraries a build script made), and for a
//     build-script run its binary;
//   - kiln's tracer library, so the remote run is traced like a local one.
// System dirs (/usr/lib, /etc, …) and the sysroot never travel: the image has its own, and
// remote_check.h verifies after the run that what the command read of them is byte for byte
// what this machine has.
//
// Environment: cargo's and the C toolchain's variables (CARGO_*, RUST*, DEP_*, OUT_DIR,
// TARGET, CC, CFLAGS, PKG_CONFIG*, …), PATH, HOME and the locale, plus the names in
// KILN_REMOTE_ENV; nothing else (tokens, SSH_AUTH_SOCK and the like stay here). A variable
// withheld that the command turns out to read makes the run local (remote_check.h).
//
// The Dockerfile has no `# syntax=` line (the daemon would pull a frontend); the script
// always exits 0 and leaves the command's exit code, stdout and stderr, its trace, the
// digests of what it read outside the context, and every file it wrote under its output dirs
// in /kiln/out, which `--output type=local` brings back.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "exec/executor.h"
#include "util/expected.h"
#include "util/fs.h"

namespace kiln {

/// Where the outputs land inside the build; the script's layout under it.
inline constexpr const char* kRemoteOut = "/kiln/out";
inline constexpr const char* kRemoteIn = "/kiln/in";

/// A miss as it will travel.
struct RemoteAction {
  std::map<std::string, FileStat> files;  // host files shipped (absolute, normalized) → identity when shipped
  std::vector<std::string> roots;         // dirs bind-mounted at their own paths (no root under another)
  std::vector<std::string> env;           // "NAME=value" sent (the tracer's variables point into the build)
  std::vector<std::string> withheld;      // names set here but not sent
  std::vector<std::string> argv;
  std::string cwd;
  std::vector<std::string> writable_dirs;
  std::vector<std::string> cache_dirs;  // rustc's incremental dir: made, never brought back
  std::vector<std::string> dependency_dirs;  // `-L dependency=` dirs
  std::string sysroot;  // mounted from the image's /usr/local/rust
  uint64_t bytes = 0;   // total size of `files`
};

/// True when `name` may travel to a remote executor: cargo's, rustc's and the C toolchain's
/// variables, PATH, HOME, the locale, or one of `extra` (KILN_REMOTE_ENV).
bool remote_env_sent(const std::string& name, const std::vector<std::string>& extra);

/// The variables a crate's build script set for its compilation: the NAMEs of
/// `cargo:rustc-env=NAME=…` (and `cargo::`) lines in the `output` file beside `out_dir`.
std::vector<std::string> build_script_env_names(const std::string& out_dir);

/// The part of `env` ("NAME=value") that may travel (remote_env_sent), with `extra` and the
/// build script's variables (the env's OUT_DIR) allowed too; the rest's names go to `withheld`.
std::vector<std::string> sendable_env(const std::vector<std::string>& env, const std::vector<std::string>& extra,
                                      std::vector<std::string>* withheld = nullptr);

/// The crate libraries (absolute paths) a compilation that produced the library at the given
/// path read through `-L dependency=` (its transitive crates), as an earlier remote run
/// recorded them; nullopt when unknown.
using ClosureLookup = std::function<std::optional<std::vector<std::string>>(const std::string&)>;

/// Plans `request` (its env: the traced environment) for a toolchain whose sysroot is
/// `sysroot`, sending also the variables in `extra_env`. From each `-L dependency=` dir it
/// ships the externs' transitive crates when `closure` knows them all, else every crate
/// library there; of each only what the compilation needs (.rmeta, and the .rlib when it
/// links: bins, dylibs, cdylibs, staticlibs, proc-macros, tests). Errors: the command is not
/// under the sysroot nor a shipped file (a workspace wrapper, a rustc elsewhere), no tracer in
/// the environment, or the inputs exceed `max_bytes` / 50 000 files.
Result<RemoteAction> plan_remote_action(const ExecRequest& request, const std::string& sysroot,
                                        const std::vector<std::string>& extra_env, uint64_t max_bytes,
                                        const ClosureLookup& closure = {});

/// The crate libraries `trace` shows read from `action`'s `-L dependency=` dirs (what to
/// record as the closure of each library the action produced).
std::vector<std::string> dependency_libraries_read(const RemoteAction& action, const std::vector<std::string>& reads);

/// The Dockerfile that runs `action` in `image`: the mounts, the script, a scratch stage with
/// /kiln/out.
std::string remote_dockerfile(const RemoteAction& action, const std::string& image);

/// The shell script (POSIX sh, coreutils, findutils) the build runs; see the file comment.
std::string remote_action_script(const RemoteAction& action);

/// Writes the build context for `action` into `context_dir` (created; a mirror kept between
/// builds of one slot: files whose size and mtime match are kept, the rest copied, anything
/// else removed, so the daemon's copy of a slot's context is updated, not re-sent).
/// Errors: a file cannot be copied (with its path).
Status write_remote_context(const RemoteAction& action, const std::string& image, const std::string& context_dir);

}  // namespace kiln

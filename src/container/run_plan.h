// A command of the host, planned as a run in the toolchain container that shares kiln's store.
//
// What the container gets (docs/containers.md has the user's view):
//   - the workspace (the root cargo and kiln's config found: its Cargo.toml's directory) at
//     its own host path, rw, and the working directory inside it: the target dir stays on
//     the host, and paths in messages are the host's; an absolute CARGO_TARGET_DIR outside it
//     also at its own path;
//   - cargo's directory sources (`[source.*] directory` / `local-registry` in the
//     .cargo/config.toml files cargo reads, vendored crates such as Debian's
//     /usr/share/cargo/registry) read-only at their own paths, so that offline builds resolve;
//   - the host's cargo config ($CARGO_HOME/config.toml and credentials.toml) read-only;
//   - kiln's store at /kiln/store and this kiln binary at /opt/kiln/bin (as kiln and
//     cargo-kiln): keys are path-independent (docs/cache-key.md), so what the container
//     stores hits on the host and the other way round when the toolchain is the same;
//   - kiln's user config read-only, and the directory of KILN_LOG when it is set;
//   - cargo's caches (cargo_caches.h); the ssh agent when SSH_AUTH_SOCK is set;
//   - the environment of container_env.h; the invoking user's uid:gid, so that files written
//     into the checkout belong to the user; `--network none` unless container_network=host;
//   - an init as PID 1 so that Ctrl-C reaches the command, and podman's explicit rlimits.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "container/run_spec.h"
#include "util/expected.h"

namespace kiln {

/// What planning reads of the host. from_process() fills it from this process.
struct HostContext {
  std::string cwd;
  std::string workspace_dir;  // where the workspace's Cargo.toml is; "" = cwd
  std::string home;
  std::string cargo_home;     // $CARGO_HOME, else ~/.cargo
  std::string kiln_binary;    // this kiln, mounted into the container
  std::string kiln_user_config;  // kiln's user config.toml ("" = none)
  unsigned uid = 0, gid = 0;
  bool rootless = false;      // kiln is not root (podman then maps the user with keep-id)
  bool stdin_tty = false, stdout_tty = false;
  std::function<std::optional<std::string>(const std::string&)> env;
  std::vector<std::string> env_names;  // names of the set variables

  /// This process: getcwd, the environment, getuid/getgid, isatty, /proc/self/exe.
  static HostContext from_process(const ConfigReport& config);
};

/// Plans `command` (argv inside) in `image` with `rt`. With `wrap_rustc`, RUSTC_WRAPPER
/// names kiln inside (for `kiln run`; `cargo kiln` sets it itself). Never fails for a
/// well-formed context; returns the spec (run_spec.h), whose mounts include the caches.
RunSpec plan_container_run(const ContainerRuntime& rt, const Config& cfg, const HostContext& host,
                           const std::string& image, const std::vector<std::string>& command, bool wrap_rustc);

/// The part of a plan every container kiln starts needs (image, podman's rlimits, the
/// user's extra arguments): also the helper containers' base.
RunSpec base_run_spec(const ContainerRuntime& rt, const Config& cfg, const std::string& image);

/// Directories named by `[source.*] directory` and `local-registry` in the cargo config
/// files that cargo reads from `cwd` (each .cargo/config.toml or .cargo/config from cwd up to
/// /, then $CARGO_HOME's), absolute; relative ones are resolved as cargo does (against the
/// directory holding .cargo/). Unreadable files are skipped.
std::vector<std::string> cargo_directory_sources(const std::string& cwd, const std::string& cargo_home);

}  // namespace kiln

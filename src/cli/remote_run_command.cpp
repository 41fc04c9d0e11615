// `kiln remote-run BINARY ARGS…`: runs a test harness on the BuildKit executor's daemon, as
// cargo's target runner (`cargo kiln test --remote-run` makes it the host target's runner),
// so that a laptop compiles remotely and never executes a heavy test suite itself.
//
// The harness runs in the toolchain image (with the package's binaries beside it, for
// integration tests' CARGO_BIN_EXE_<name>) with `--network none`, in the directory cargo gave
// it (the package dir, which travels with it, without target dirs and .git), with the
// environment that travels to the executor (exec/buildkit/remote_context.h's sendable_env):
//   docker create … IMAGE BINARY ARGS  →  docker cp - ID:/ (a tar of the binary and the
//   package at their own paths)  →  docker start -a ID (output streams, exit code passes
//   through)  →  docker rm -f ID.
// A daemon that does not answer: a warning, and the harness runs here. cargo kiln passes the
// runner with `--config target.<host>.runner=[…]`, not in the environment, so keys stay the same.
#include <unistd.h>

#include <cstdlib>

#include "cli/commands.h"
#include "config/config.h"
#include "container/run_spec.h"
#include "container/toolchain_image.h"
#include "exec/buildkit/buildkit_daemon.h"
#include "exec/buildkit/remote_context.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/process.h"
#include "util/text.h"

extern char** environ;

namespace kiln {

int run_remote_run_command(const std::vector<std::string>& command) {
  if (command.empty()) {
    write_all(2, "kiln: error: kiln remote-run BINARY [ARGS…] (cargo's target runner)\n");
    return 2;
  }
  auto run_here = [&](const std::string& why) -> int {
    warn(why + "; running " + base_name(command[0]) + " here");
    auto rc = run_foreground(command);
    return rc ? *rc : 127;
  };
  Config cfg = load_config();
  auto daemon = buildkit_for_action(cfg);
  if (!daemon) return run_here(daemon.error().message);
  std::string binary = absolute_path(command[0], current_dir());
  std::string cwd = current_dir();
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  std::vector<std::string> create = {daemon->client, "create", "--network", "none", "--init", "-w", cwd};
  for (const auto& e : sendable_env(env, cfg.remote_env)) create.insert(create.end(), {"-e", e});
  create.push_back(daemon->image);
  // The toolchain at this machine's sysroot path (proc-macro test harnesses load libstd from
  // there, through the LD_LIBRARY_PATH cargo sets).
  auto tc = find_host_toolchain(cfg.dir);
  if (tc && !tc->sysroot.empty())
    create.insert(create.end(), {"/bin/sh", "-c", "mkdir -p \"${1%/*}\" && ln -sfn /usr/local/rust \"$1\" && shift && exec \"$@\"",
                                 "sh", tc->sysroot});
  create.push_back(binary);
  create.insert(create.end(), command.begin() + 1, command.end());
  auto created = run_process(create);
  if (!created || created->exit_code != 0)
    return run_here("buildkit: cannot create the test container (" +
                    (created ? first_line(trim_end(created->stderr_data)) : created.error().message) + ")");
  std::string id = trim_end(created->stdout_data);
  struct Remove {
    std::string client, id;
    ~Remove() { (void)run_process({client, "rm", "-f", id}); }
  } remove{daemon->client, id};
  // The package dir (without target dirs and .git), then the binary, at their own paths.
  std::string pkg = env_or("CARGO_MANIFEST_DIR", cwd);
  std::vector<std::string> tars;
  if (pkg != "/")
    tars.push_back("tar -C / --exclude=target --exclude=.git -cf - " + shell_quote({pkg.substr(1)}));
  tars.push_back("tar -C / -cf - " + shell_quote({binary.substr(1)}));
  // Integration tests run the package's binaries (CARGO_BIN_EXE_<name>): the profile dir's.
  if (base_name(dir_name(binary)) == "deps") {
    std::string profile = dir_name(dir_name(binary));
    tars.push_back("cd / && find " + shell_quote({profile.substr(1)}) +
                   " -maxdepth 1 -type f -perm -u+x -print0 | tar --null -T - -cf -");
  }
  for (const auto& tar : tars) {
    auto copied = run_process({"sh", "-c", tar + " | " + shell_quote({daemon->client, "cp", "-", id + ":/"})});
    if (!copied || copied->exit_code != 0)
      return run_here("buildkit: cannot copy the test into its container (" +
                      (copied ? first_line(trim_end(copied->stderr_data)) : copied.error().message) + ")");
  }
  debug("remote-run: " + binary + " on the daemon in container " + id.substr(0, 12));
  auto rc = run_foreground({daemon->client, "start", "-a", id});
  if (!rc) return run_here("buildkit: " + rc.error().message);
  return *rc;
}

}  // namespace kiln

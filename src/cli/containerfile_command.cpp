// `cargo kiln containerfile [--bin NAME] [-o PATH] [-v] [CARGO BUILD ARGS…]`: writes the crate
// graph of building NAME as a multi-stage Containerfile (graph/containerfile.h) that any
// BuildKit builds without kiln: `DOCKER_BUILDKIT=1 docker build --network none -o out -f PATH .`.
//
// How: the binary is built through kiln into its own target dir (<target>/kiln-containerfile,
// started empty so that cargo runs every unit; kiln's store makes that a run of hits) with
// the action log on (graph/action_log.h); the log and the outputs on disk give the stages.
// Registry crates' sources are copied into kiln-vendor/ beside the Containerfile (the build
// context is the workspace root); PATH.dockerignore keeps target/ and .git out of the context.
// The toolchain image is the executor's (exec/buildkit/buildkit_daemon.h: built or loaded on
// the daemon DOCKER_HOST names when missing).
#include <cstdlib>

#include "cli/bin_target.h"
#include "cli/commands.h"
#include "config/config.h"
#include "container/toolchain_image.h"
#include "exec/buildkit/buildkit_daemon.h"
#include "graph/action_log.h"
#include "graph/containerfile.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/process.h"

namespace kiln {
namespace {

int fail(const std::string& message) {
  write_all(2, "kiln: error: " + message + "\n");
  return 1;
}

void say(const std::string& line) { write_all(2, "kiln: " + line + "\n"); }

}  // namespace

int run_containerfile_command(const std::vector<std::string>& args) {
  std::string bin, output;
  bool verbose = false;
  std::vector<std::string> build_args;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--bin" || a == "-o" || a == "--output") && i + 1 < args.size()) (a == "--bin" ? bin : output) = args[++i];
    else if (a.rfind("--bin=", 0) == 0) bin = a.substr(6);
    else if (a.rfind("--output=", 0) == 0) output = a.substr(9);
    else if (a == "-v" || a == "--verbose") verbose = true;
    else if (a == "-h" || a == "--help") {
      write_all(1,
                "cargo kiln containerfile [--bin NAME] [-o PATH] [-v] [CARGO BUILD ARGS…]\n"
                "Writes the crate graph of building NAME as a multi-stage Containerfile (default\n"
                "<workspace>/kiln.Containerfile), registry sources in <workspace>/kiln-vendor/. Build it with\n"
                "  DOCKER_BUILDKIT=1 docker build --network none -o out -f PATH <workspace>\n");
      return 0;
    } else build_args.push_back(a);
  }
  Config cfg = load_config();
  auto target = find_bin_target(bin);
  if (!target) return fail(target.error().message);
  std::string root = target->metadata.value("workspace_root", current_dir());
  std::string target_dir = target->metadata.value("target_directory", root + "/target");
  std::string work_target = path_join(target_dir, "kiln-containerfile");
  std::string path = output.empty() ? path_join(root, "kiln.Containerfile") : absolute_path(output, current_dir());

  // 1. The image and the toolchain (before the build: a missing daemon fails fast).
  auto daemon = connect_buildkit(cfg, say);
  if (!daemon) return fail(daemon.error().message);
  auto tc = find_host_toolchain(cfg.dir);
  if (!tc) return fail(tc.error().message);

  // 2. Every action of the build, into the log.
  (void)remove_all(work_target);
  std::string log = path_join(cfg.dir, "tmp/action-log-" + std::to_string(::getpid()));
  (void)make_dirs(dir_name(log));
  (void)remove_all(log);
  ::setenv(kActionLogVar, log.c_str(), 1);
  ::setenv("CARGO_TARGET_DIR", work_target.c_str(), 1);
  ::setenv("KILN_EXECUTOR", "local", 1);
  std::vector<std::string> build = {"build", "--bin", target->name};
  if (verbose) build.push_back("-v");
  build.insert(build.end(), build_args.begin(), build_args.end());
  say("building " + target->name + " through kiln into " + work_target + " to learn its crate graph");
  int rc = run_cargo_subcommand(build);
  ::unsetenv(kActionLogVar);
  if (rc != 0) return fail("the build of " + target->name + " failed (exit " + std::to_string(rc) + ")");
  auto actions = read_action_log(log);
  (void)remove_all(log);
  if (!actions) return fail("no action log: " + actions.error().message);

  // 3. The stages.
  ContainerfileRequest req;
  req.actions = std::move(*actions);
  req.workspace_root = root;
  req.image = daemon->image;
  req.sysroot = tc->sysroot;
  req.binary = target->name;
  auto file = make_containerfile(req);
  if (!file) return fail(file.error().message);
  std::string vendor_root = path_join(root, req.vendor_dir);
  (void)remove_all(vendor_root);
  for (const auto& [src, rel] : file->vendor) {
    std::string dst = path_join(root, rel);
    (void)make_dirs(dir_name(dst));
    auto r = run_process({"cp", "-a", src, dst});
    if (!r || r->exit_code != 0) return fail("cannot copy " + src + " into " + dst);
  }
  if (auto st = write_file_atomic(path, file->text); !st) return fail(st.error().message);
  if (auto st = write_file_atomic(path + ".dockerignore", "target\n.git\n"); !st) return fail(st.error().message);
  say("wrote " + path + " (" + std::to_string(file->stages) + " stages; " + std::to_string(file->vendor.size()) +
      " registry crates in " + vendor_root + "); build it with:");
  say("  DOCKER_BUILDKIT=1 docker build --network none -o out -f " + path + " " + root);
  return 0;
}

}  // namespace kiln

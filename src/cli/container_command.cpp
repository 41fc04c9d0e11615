// Commands in a toolchain container: `kiln run [--image IMAGE] [--dry-run] [-v] -- COMMAND…`,
// `cargo kiln --container[=IMAGE] ARGS…`, and `kiln image build-toolchain|build-base`.
// The container layer (container/) decides what the container gets; this file finds the
// runtime and the image, initialises cargo's cache volumes, prints or runs the command line,
// and hands back the command's exit code (after a signal it also removes the container).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"
#include "config/config.h"
#include "container/base_image.h"
#include "container/cargo_caches.h"
#include "container/run_plan.h"
#include "container/runtime.h"
#include "container/toolchain_image.h"
#include "util/fs.h"
#include "util/process.h"

namespace kiln {
namespace {

// Exit code for kiln's own failures around a container (the runtime's convention).
constexpr int kContainerError = 125;

void say(const std::string& line) { write_all(2, "kiln: " + line + "\n"); }

int fail(const std::string& message) {
  write_all(2, "kiln: error: " + message + "\n");
  return kContainerError;
}

ConfigReport load_report() {
  ConfigReport r = explain_config(ConfigInputs::from_process());
  for (const auto& w : r.warnings) say("warning: config: " + w);
  return r;
}

// The image to run: the one asked for, the configured one, else the toolchain image (built
// when missing, unless `dry_run`, which names the tag it would build).
Result<std::string> choose_image(const ContainerRuntime& rt, const Config& cfg, const std::string& asked, bool dry_run,
                                 bool verbose) {
  std::string image = !asked.empty() ? asked : cfg.container_image;
  if (!image.empty()) {
    if (!image_exists(rt, image))
      return make_error("image " + image + " is not in " + rt.name() +
                        "'s image store (kiln never pulls): load or build it, or unset KILN_CONTAINER_IMAGE to use "
                        "kiln's toolchain image (`kiln image build-toolchain`)");
    return image;
  }
  if (dry_run) {
    auto tc = find_host_toolchain(cfg.dir);
    if (!tc) return tc.error();
    std::string base_id = image_id(rt, cfg.container_base_image);
    std::string tag = toolchain_image_tag(*tc, base_id, toolchain_containerfile(cfg.container_base_image, *tc, cfg.image_apt));
    if (!image_exists(rt, tag)) say("(" + tag + " does not exist yet: a real run builds it first)");
    return tag;
  }
  return default_toolchain_image(rt, cfg.container_base_image, cfg.dir, verbose, say, cfg.image_apt);
}

struct RunOptions {
  std::string image;
  bool dry_run = false;
  bool verbose = false;
  bool wrap_rustc = true;
};

int run_in_container(const RunOptions& o, const std::vector<std::string>& command) {
  if (command.empty()) return fail("no command to run (kiln run [--image IMAGE] -- COMMAND…)");
  ConfigReport report = load_report();
  const Config& cfg = report.config;
  auto rt = find_container_runtime(cfg.container_runtime);
  if (!rt) return fail(rt.error().message);
  auto image = choose_image(*rt, cfg, o.image, o.dry_run, o.verbose);
  if (!image) return fail(image.error().message);
  HostContext host = HostContext::from_process(report);
  RunSpec spec = plan_container_run(*rt, cfg, host, *image, command, o.wrap_rustc);
  std::vector<std::string> argv = run_command_line(*rt, spec);
  if (o.dry_run) {
    write_all(1, shell_quote(argv) + "\n");
    return 0;
  }
  std::string user = spec.user.empty() ? std::to_string(host.uid) + ":" + std::to_string(host.gid) : spec.user;
  if (auto st = init_cache_volumes(*rt, base_run_spec(*rt, cfg, *image), spec.mounts, user, o.verbose, say); !st)
    return fail(st.error().message);
  if (o.verbose) write_all(2, "+ " + shell_quote(argv) + "\n");
  auto code = run_foreground(argv);
  if (!code) return fail(code.error().message);
  if (*code > 128) {  // a signal: make sure nothing is left running
    (void)run_process(rt->command({"rm", "-f", spec.name}));
  }
  return *code;
}

}  // namespace

int run_kiln_run_command(const std::vector<std::string>& args) {
  RunOptions o;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--dry-run") o.dry_run = true;
    else if (a == "-v" || a == "--verbose") o.verbose = true;
    else if (a == "--image" && i + 1 < args.size()) o.image = args[++i];
    else if (a.rfind("--image=", 0) == 0) o.image = a.substr(8);
    else if (a == "-h" || a == "--help") {
      write_all(1,
                "Run a command in a Rust toolchain container that shares kiln's store.\n\n"
                "Usage: kiln run [--image IMAGE] [--dry-run] [-v] -- COMMAND [ARGS…]\n\n"
                "  --image IMAGE  image to run (default: KILN_CONTAINER_IMAGE, else kiln's toolchain image)\n"
                "  --dry-run      print the runtime's command line and exit\n"
                "  -v             print it before running\n\n"
                "See docs/containers.md.\n");
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      return fail("unknown option " + a + " (kiln run [--image IMAGE] [--dry-run] [-v] -- COMMAND…)");
    } else {
      break;
    }
  }
  return run_in_container(o, std::vector<std::string>(args.begin() + static_cast<long>(i), args.end()));
}

int run_cargo_in_container(const std::string& image, const std::vector<std::string>& cargo_args) {
  RunOptions o;
  o.image = image;
  o.wrap_rustc = false;  // `cargo kiln` inside sets RUSTC_WRAPPER itself
  for (const auto& a : cargo_args) {
    if (a == "-v" || a == "--verbose" || a == "-vv") o.verbose = true;
    if (a == "--") break;
  }
  std::vector<std::string> command = {"kiln", "cargo"};
  command.insert(command.end(), cargo_args.begin(), cargo_args.end());
  return run_in_container(o, command);
}

CLI::App* add_image_command(CLI::App& app) {
  auto* image = app.add_subcommand("image", "Make the images `kiln run` and `cargo kiln --container` use");
  image->require_subcommand(1);
  auto* tc = image->add_subcommand("build-toolchain", "Build the toolchain image: a base plus the host's toolchain");
  tc->add_option("--base", "Base image (default: container_base_image, kiln-base:bookworm)");
  tc->add_option("--tag", "Tag for the image (default: kiln-toolchain:RELEASE-DIGEST)");
  tc->add_flag("-v,--verbose")->description("Show the build's output");
  auto* base = image->add_subcommand("build-base", "Make a Debian base image offline: debootstrap, then import");
  base->add_option("--tag", "Tag (default: kiln-base:bookworm)");
  base->add_option("--suite", "Debian suite (default: bookworm)");
  base->add_option("--mirror", "Debian mirror (default: http://deb.debian.org/debian)");
  base->add_option("--rootfs-tar", "Keep the root file system as this tar, and reuse it when it exists");
  return image;
}

int run_image_command(CLI::App& image) {
  ConfigReport report = load_report();
  const Config& cfg = report.config;
  auto rt = find_container_runtime(cfg.container_runtime);
  if (!rt) return fail(rt.error().message);
  auto opt = [](CLI::App* app, const char* name) {
    auto* o = app->get_option(name);
    return o->count() ? o->as<std::string>() : std::string();
  };
  if (auto* tc = image.get_subcommand("build-toolchain"); tc->parsed()) {
    std::string base = opt(tc, "--base");
    if (base.empty()) base = cfg.container_base_image;
    auto host_tc = find_host_toolchain(cfg.dir);
    if (!host_tc) return fail(host_tc.error().message);
    bool verbose = tc->get_option("--verbose")->count() > 0;
    auto tag = build_toolchain_image(*rt, base, *host_tc, opt(tc, "--tag"), cfg.dir, verbose, say, cfg.image_apt);
    if (!tag) return fail(tag.error().message);
    write_all(1, *tag + "\n");
    return 0;
  }
  if (auto* b = image.get_subcommand("build-base"); b->parsed()) {
    BaseImageRequest req;
    if (auto t = opt(b, "--tag"); !t.empty()) req.tag = t;
    if (auto s = opt(b, "--suite"); !s.empty()) req.suite = s;
    if (auto m = opt(b, "--mirror"); !m.empty()) req.mirror = m;
    req.rootfs_tar = opt(b, "--rootfs-tar");
    if (!req.rootfs_tar.empty()) req.rootfs_tar = absolute_path(req.rootfs_tar, current_dir());
    if (auto st = build_base_image(*rt, req, say); !st) return fail(st.error().message);
    write_all(1, req.tag + "\n");
    return 0;
  }
  return 2;
}

}  // namespace kiln

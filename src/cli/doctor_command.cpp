// `kiln doctor`: checks the setup and prints each finding with its fix — kiln and cargo-kiln
// on PATH, a RUSTC_WRAPPER kiln would replace, the store (writable, free space), each remote
// (reachable, round-trip time), the toolchain, incremental mode, the sandbox and container
// runtimes, the linkers. Exit 1 when something would stop kiln from working, else 0.
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "config/config.h"
#include "container/runtime.h"
#include "store/remote/remote_url.h"
#include "store/store_factory.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/text.h"

namespace kiln {
namespace {

struct Report {
  int problems = 0;
  void ok(const std::string& what) { std::printf("ok    %s\n", what.c_str()); }
  void note(const std::string& what, const std::string& fix) {
    std::printf("note  %s\n      → %s\n", what.c_str(), fix.c_str());
  }
  void bad(const std::string& what, const std::string& fix) {
    ++problems;
    std::printf("FAIL  %s\n      → %s\n", what.c_str(), fix.c_str());
  }
};

}  // namespace

int run_doctor_command() {
  Report r;
  ConfigReport cr = explain_config(ConfigInputs::from_process());
  const Config& cfg = cr.config;
  for (const auto& w : cr.warnings) r.bad("config: " + w, "fix the setting (`kiln config --doc`)");

  // kiln and cargo-kiln on PATH.
  std::string self = self_path();
  auto kiln = find_in_path("kiln");
  auto cargo_kiln = find_in_path("cargo-kiln");
  if (cargo_kiln) r.ok("cargo-kiln on PATH: " + *cargo_kiln);
  else r.bad("cargo-kiln is not on PATH: `cargo kiln` will not be found", "cmake --install build, or put " + dir_name(self) + " on PATH");
  if (!kiln) r.note("kiln is not on PATH (this one is " + self + ")", "add " + dir_name(self) + " to PATH for `kiln stats` and friends");
  // The rustdoc cargo kiln sets (action/rustdoc_action.h): beside kiln, else made in the store.
  std::string shim = path_join(dir_name(self), "kiln-rustdoc");
  if (path_exists(shim)) r.ok("kiln-rustdoc beside kiln: `cargo kiln doc` caches rustdoc runs");
  else r.note("no kiln-rustdoc beside " + self + ": `cargo kiln doc` keeps one in the store dir instead",
              "cmake --install build (it makes the symlink), or ln -s kiln " + shim);
  if (std::string given = env_or("RUSTDOC"); !given.empty() && base_name(given) != "kiln-rustdoc")
    r.note("RUSTDOC=" + given + " is set: `cargo kiln doc` runs it through kiln (KILN_RUSTDOC)", "nothing to do");

  // A wrapper kiln would replace.
  std::string wrapper = env_or("RUSTC_WRAPPER");
  if (!wrapper.empty() && base_name(wrapper).find("kiln") == std::string::npos)
    r.note("RUSTC_WRAPPER=" + wrapper + " is set: `cargo kiln` replaces it for its builds",
           "unset it (kiln caches every crate type sccache does) or keep using it without kiln");
  std::string cargo_home = env_or("CARGO_HOME", env_or("HOME") + "/.cargo");
  for (const char* n : {"config.toml", "config"})
    if (auto text = read_file(cargo_home + "/" + n); text && text->find("rustc-wrapper") != std::string::npos)
      r.note(cargo_home + "/" + n + " sets build.rustc-wrapper", "`cargo kiln` overrides it; remove it to use kiln everywhere");

  // The store.
  if (auto st = make_dirs(cfg.dir); !st) {
    r.bad("the store " + cfg.dir + " cannot be created: " + st.error().message, "set KILN_DIR to a writable directory");
  } else if (::access(cfg.dir.c_str(), W_OK) != 0) {
    r.bad("the store " + cfg.dir + " is not writable", "fix its permissions or set KILN_DIR");
  } else {
    struct statvfs v {};
    double free_gib = ::statvfs(cfg.dir.c_str(), &v) == 0 ? static_cast<double>(v.f_bavail) * v.f_frsize / (1ull << 30) : 0;
    char line[512];
    std::snprintf(line, sizeof line, "store %s: writable, %.1f GiB free, cap %s", cfg.dir.c_str(), free_gib,
                  format_size(cfg.cache_size_bytes).c_str());
    if (free_gib * (1ull << 30) < static_cast<double>(cfg.cache_size_bytes))
      r.note(std::string(line) + " (less free space than the cap)", "lower KILN_CACHE_SIZE or free space; a full disk only costs misses");
    else r.ok(line);
  }

  // Remotes: reachable, and how fast.
  for (const auto& text : cfg.remotes) {
    auto url = parse_remote_url(text);
    if (!url) {
      r.bad("remote " + mask_url_credentials(text) + ": " + url.error().message, "fix KILN_REMOTE (docs/remote-stores.md)");
      continue;
    }
    auto store = make_remote_store(*url, cfg.remote_timeout_ms, &cfg);
    if (!store) {
      r.bad("remote " + url->name() + ": " + store.error().message, "fix KILN_REMOTE (docs/remote-stores.md)");
      continue;
    }
    auto t0 = std::chrono::steady_clock::now();
    auto have = (*store)->has_blob(sha256("kiln doctor probe"));
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    char line[512];
    std::snprintf(line, sizeof line, "remote %s: reachable, %.1f ms round trip", url->name().c_str(), ms);
    if (have) r.ok(line);
    else r.bad("remote " + url->name() + ": " + have.error().message, "start it, fix the URL or credentials, or unset KILN_REMOTE (a dead remote is only a warning during builds)");
  }

  // The toolchain and incremental mode.
  auto vv = run_process({env_or("RUSTC", "rustc"), "-vV"});
  if (vv && vv->exit_code == 0) r.ok("toolchain: " + first_line(vv->stdout_data));
  else r.bad("rustc cannot be run", "install Rust with rustup and put ~/.cargo/bin first on PATH");
  std::string inc = env_or("CARGO_INCREMENTAL");
  if (inc == "0") r.ok("CARGO_INCREMENTAL=0: outputs are the same bytes on every machine (best for CI)");
  else r.ok("incremental compilation as cargo chooses (workspace members in dev builds; docs/cache-key.md)");

  // Where misses and containers run.
  if (find_in_path("bwrap")) r.ok("sandbox: bubblewrap installed (KILN_SANDBOX=network|strict" + std::string(cfg.sandbox != "off" ? ", on: " + cfg.sandbox : "") + ")");
  else if (cfg.sandbox != "off") r.bad("KILN_SANDBOX=" + cfg.sandbox + " but bubblewrap is missing", "apt-get install bubblewrap");
  else r.note("no sandbox: bubblewrap is not installed", "apt-get install bubblewrap for KILN_SANDBOX=network");
  auto rt = find_container_runtime(cfg.container_runtime);
  if (rt) r.ok("containers: " + rt->name() + " " + rt->version + " (cargo kiln --container, kiln run)");
  else r.note("containers: " + rt.error().message, "only needed for --container and kiln run");

  // Linkers.
  bool mold = find_in_path("mold").has_value(), lld = find_in_path("ld.lld").has_value();
  if (cfg.linker == "default" && mold)
    r.note("mold is installed but unused", "KILN_LINKER=mold links bins and tests faster (part of the key)");
  else if (cfg.linker == "mold" && !mold) r.bad("KILN_LINKER=mold but mold is not installed", "apt-get install mold");
  else if (cfg.linker == "lld" && !lld) r.bad("KILN_LINKER=lld but ld.lld is not installed", "apt-get install lld");
  else r.ok("linker: " + cfg.linker + (mold ? " (mold available)" : "") + (lld ? " (lld available)" : ""));

  std::printf("%s\n", r.problems == 0 ? "kiln doctor: no problems" : ("kiln doctor: " + std::to_string(r.problems) + " problem(s)").c_str());
  return r.problems == 0 ? 0 : 1;
}

}  // namespace kiln

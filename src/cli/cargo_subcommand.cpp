// `cargo kiln …`: a cargo subcommand (cargo finds `cargo-kiln` on PATH and runs it with
// "kiln" as the first argument; https://doc.rust-lang.org/cargo/reference/external-tools.html).
// Sets RUSTC_WRAPPER to kiln, tags this build's stats with a session id, runs cargo, waits
// for the misses still being stored in the background (core/background_store.h), and prints a
// one-line summary of this build. Incremental compilation is cargo's choice, as without kiln
// (on for workspace members in the dev profile; docs/cache-key.md says how those are cached).
// With remote stores it also keeps the build index (core/build_index.h): fetched beside cargo
// (core/prefetch.h), written after it ends.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "action/rustdoc_action.h"
#include "cli/commands.h"
#include "rustdoc/doc_root.h"
#include "cli/prefetch_progress.h"
#include "config/config.h"
#include "container/container_env.h"
#include "core/background_store.h"
#include "core/build_index.h"
#include "core/prefetch.h"
#include "exec/buildkit/buildkit_daemon.h"
#include "rustc/rustup.h"
#include "rustc/toolchain.h"
#include "session/session_env.h"
#include "store/store_factory.h"
#include "store/tiered_store.h"
#include "report/timeline.h"
#include "stats/build_history.h"
#include "stats/stats.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/process.h"

namespace kiln {

std::string self_path() {
  std::string p = self_exe_path();
  return p.empty() ? "kiln" : p;
}

namespace {

// kiln under the name kiln-rustdoc (action/rustdoc_action.h): the one beside kiln (made by the
// build and by `cmake --install`), else a symlink kept in the store dir. "" when neither works.
std::string rustdoc_shim(const Config& cfg) {
  std::string self = self_exe_path();
  if (self.empty()) return {};
  std::string beside = path_join(dir_name(self), kRustdocShimName);
  char real[PATH_MAX];
  if (::realpath(beside.c_str(), real) && self == real) return beside;
  std::string dir = cfg.dir + "/bin/" + sha256(self).hex().substr(0, 16);
  std::string link = dir + "/" + kRustdocShimName;
  if (::realpath(link.c_str(), real) && self == real) return link;
  if (!make_dirs(dir)) return {};
  std::string tmp = link + ".tmp-" + std::to_string(::getpid());
  if (::symlink(self.c_str(), tmp.c_str()) != 0 || ::rename(tmp.c_str(), link.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return {};
  }
  return link;
}

// cargo runs RUSTDOC for `cargo doc` and `cargo test --doc`, never through RUSTC_WRAPPER: kiln
// becomes it, with the rustdoc cargo would have run in KILN_RUSTDOC.
void wrap_rustdoc(const Config& cfg) {
  std::string shim = rustdoc_shim(cfg);
  if (shim.empty()) {
    debug("no kiln-rustdoc: rustdoc runs are not cached");
    return;
  }
  std::string given = env_or("RUSTDOC");
  if (base_name(given) != kRustdocShimName) ::setenv(kRealRustdocVar, given.empty() ? "rustdoc" : given.c_str(), 1);
  ::setenv("RUSTDOC", shim.c_str(), 1);
}

// The doc roots the build's rustdoc runs left to merge (rustdoc/doc_root.h), merged once each.
void merge_doc_roots(const std::string& roots_file) {
  for (const auto& line : read_distinct_lines(roots_file)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    std::string rustdoc = line.substr(0, tab), root = line.substr(tab + 1);
    if (Status s = merge_doc_root(rustdoc, root); !s)
      warn("the shared files of " + root + " (search index, crate list) were not updated: " + s.error().message);
  }
}

// How long `cargo kiln` waits for its background stores after cargo ended (ms).
constexpr int kStoreWaitMs = 120'000;

// An empty file under $TMPDIR (or /tmp) named "<stem>.XXXXXX"; "" when it cannot be made.
std::string make_temp_file(const std::string& stem) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + stem + ".XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return {};
  ::close(fd);
  return tmpl;
}

// The rustc cargo runs: $RUSTC, else "rustc" from PATH (rustup's proxy, which applies the
// directory's toolchain override).
std::string cargo_rustc() {
  const char* rustc_env = std::getenv("RUSTC");
  return rustc_env && *rustc_env ? rustc_env : "rustc";
}

// stdout of cargo_rustc() run with `args`; "" when it fails.
std::string rustc_output(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {cargo_rustc()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_process(argv);
  return r && r->exit_code == 0 ? r->stdout_data : std::string();
}

// Fills the toolchain cache (rustc/toolchain.h) for the rustc the wrapper will be given. The
// real rustc is found from rustup's files (rustc/rustup.h), as the wrappers find it, so on any
// build but a toolchain's first this is a cache lookup: starting rustc through rustup's proxy
// to ask its sysroot cost ~20 ms of CPU beside every edit-loop build on 2 cores.
void identify_toolchain(const std::string& kiln_dir) {
  auto real = resolve_tool(cargo_rustc(), current_dir());
  if (real && load_toolchain(*real, kiln_dir)) return;
  (void)load_cargo_toolchain(kiln_dir);
}

// True when the store in `kiln_dir` has identified a toolchain before (rustc/toolchain.h's cache).
bool has_toolchain_cache(const std::string& kiln_dir) {
  return !list_dir(kiln_dir + "/toolchains").empty();
}

// With a remote executor: connects once for the whole build (the wrappers get the client and
// image in the environment) and raises cargo's -j to the daemon's cores unless the user chose
// -j. A daemon that does not answer: one warning, and this build runs locally.
void prepare_remote_executor(const Config& cfg, std::vector<std::string>& argv) {
  if (cfg.disabled || cfg.executor != "buildkit") return;
  auto daemon = connect_buildkit(cfg, [](const std::string& line) { write_all(2, "kiln: " + line + "\n"); });
  if (!daemon) {
    warn(daemon.error().message + "; building locally");
    ::setenv("KILN_EXECUTOR", "local", 1);
    return;
  }
  ::setenv(kBuildkitClientVar, daemon->client.c_str(), 1);
  ::setenv(kBuildkitImageVar, daemon->image.c_str(), 1);
  debug("buildkit: daemon " + env_or("DOCKER_HOST", "(default)") + " with " + std::to_string(daemon->cores) +
        " cores, image " + daemon->image);
  if (!env_or("CARGO_BUILD_JOBS").empty()) return;
  static const std::vector<std::string> with_jobs = {"build", "b", "check", "c", "test", "t", "bench", "run", "r",
                                                     "clippy", "doc", "d", "rustc", "install", "fix"};
  size_t sub = 0;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") break;
    if (a == "-j" || a.rfind("-j", 0) == 0 || a == "--jobs" || a.rfind("--jobs=", 0) == 0) return;
    if (!sub && std::find(with_jobs.begin(), with_jobs.end(), a) != with_jobs.end()) sub = i;
  }
  if (!sub || daemon->cores <= static_cast<int>(std::thread::hardware_concurrency())) return;
  argv.insert(argv.begin() + static_cast<long>(sub) + 1, {"-j", std::to_string(daemon->cores)});
}

}  // namespace

int run_cargo(const std::vector<std::string>& cargo_args, const std::string& report);

int run_cargo_subcommand(const std::vector<std::string>& cargo_args) {
  // `cargo kiln package …`: kiln's image packaging (cargo's own crate packaging is `cargo package`).
  if (!cargo_args.empty() && cargo_args[0] == "package")
    return run_package_command(std::vector<std::string>(cargo_args.begin() + 1, cargo_args.end()));
  if (!cargo_args.empty() && cargo_args[0] == "containerfile")
    return run_containerfile_command(std::vector<std::string>(cargo_args.begin() + 1, cargo_args.end()));
  // `cargo kiln --container[=IMAGE] ARGS…`: the same, in the toolchain container. IMAGE may
  // also be the next argument when it looks like an image reference (has ':' or '/').
  if (!cargo_args.empty() && (cargo_args[0] == "--container" || cargo_args[0].rfind("--container=", 0) == 0)) {
    std::string image = cargo_args[0].size() > 12 ? cargo_args[0].substr(12) : "";
    size_t rest = 1;
    if (image.empty() && cargo_args.size() > 1 && cargo_args[1].find_first_of(":/") != std::string::npos &&
        cargo_args[1][0] != '-') {
      image = cargo_args[1];
      rest = 2;
    }
    return run_cargo_in_container(image, std::vector<std::string>(cargo_args.begin() + static_cast<long>(rest), cargo_args.end()));
  }
  // `--remote-run` (with the buildkit executor): test harnesses run on the daemon too, through
  // cargo's target runner for the host triple.
  std::vector<std::string> args = cargo_args;
  bool remote_run = false;
  // `--report[=PATH]`: the build report after the build (report/report_html.h). kiln's own
  // flags are taken only before `--` (what follows belongs to the test harness or the binary).
  std::string report;
  auto end = std::find(args.begin(), args.end(), std::string("--"));
  auto kept = std::remove_if(args.begin(), end, [&](const std::string& a) {
    if (a == "--report") report = "target/kiln-report.html";
    else if (a.rfind("--report=", 0) == 0) report = a.substr(9);
    else if (a == "--remote-run") remote_run = true;
    else return false;
    return true;
  });
  args.erase(kept, end);
  if (remote_run) {
    std::string vv = rustc_output({"-vV"});
    size_t hp = vv.find("host: ");
    std::string host = hp == std::string::npos ? "" : vv.substr(hp + 6, vv.find('\n', hp) - hp - 6);
    if (host.empty() || load_config().executor != "buildkit") {
      warn("--remote-run needs KILN_EXECUTOR=buildkit; running the tests here");
    } else {
      // As a --config argument, not CARGO_TARGET_<HOST>_RUNNER: cargo's variables reach the
      // wrappers, and this one must not change any key.
      std::string runner = "target." + host + ".runner=[\"" + self_path() + "\", \"remote-run\", \"--\"]";
      size_t at = !args.empty() && args[0].rfind("+", 0) == 0 ? 1 : 0;
      args.insert(args.begin() + static_cast<long>(at), {"--config", runner});
    }
  }
  return run_cargo(args, report);
}

// The rest of `cargo kiln ARGS…`: cargo under kiln.
int run_cargo(const std::vector<std::string>& cargo_args, const std::string& report) {
  std::string session = std::to_string(::getpid()) + "-" +
                        std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
  ::setenv("RUSTC_WRAPPER", self_path().c_str(), 1);
  ::setenv(kSessionVar, session.c_str(), 1);
  const char* cargo_env = std::getenv("CARGO");
  std::vector<std::string> argv = {cargo_env && *cargo_env ? cargo_env : "cargo"};
  argv.insert(argv.end(), cargo_args.begin(), cargo_args.end());

  // kiln's warnings are collected and printed once, after cargo (see util/log.cpp).
  std::string warnings_file = make_temp_file("kiln-warnings");
  if (!warnings_file.empty()) ::setenv(kWarningsFileVar, warnings_file.c_str(), 1);
  Config pre_cfg = load_config();
  prepare_remote_executor(pre_cfg, argv);
  // The doc roots' shared files are merged once, after cargo (rustdoc/doc_root.h) — unless
  // cargo opens the docs itself when it ends (`--open`): then after each run, as without it.
  std::string doc_roots_file;
  if (!pre_cfg.disabled) {
    wrap_rustdoc(pre_cfg);
    auto end = std::find(cargo_args.begin(), cargo_args.end(), std::string("--"));
    if (std::find(cargo_args.begin(), end, std::string("--open")) == end) doc_roots_file = make_temp_file("kiln-doc-roots");
    if (!doc_roots_file.empty()) ::setenv(kDocRootsFileVar, doc_roots_file.c_str(), 1);
  }
  // Identify the toolchain here, once: on a fresh store the first wrapper calls would each
  // hash the sysroot (about 0.5 s) at the same time. It runs beside the prefetch below.
  std::thread toolchain_probe;
  if (!pre_cfg.disabled) {
    try {
      toolchain_probe = std::thread([&pre_cfg] {
        try {  // an exception must not end cargo kiln from a helper thread; the wrappers retry
          identify_toolchain(pre_cfg.dir);
        } catch (const std::exception& e) {
          debug(std::string("toolchain probe: ") + e.what());
        }
      });
    } catch (const std::exception&) {
    }
  }
  // Build index: only worth it with remote stores (a local store already has what it has).
  std::optional<Digest> index_key;
  std::string index_file;
  if (!pre_cfg.disabled && !pre_cfg.remotes.empty()) {
    index_key = compute_index_key(cargo_args, current_dir(), rustc_output({"-vV"}));
    if (index_key) index_file = make_temp_file("kiln-index");
  }
  std::unique_ptr<Prefetch> prefetch;
  if (!index_file.empty()) {
    ::setenv(kIndexFileVar, index_file.c_str(), 1);
    std::string dir = index_file + ".prefetch";
    try {  // the prefetch is an optimisation: cargo runs whatever happens to it
      prefetch = Prefetch::start(pre_cfg, *index_key,
                                 static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 2u, 4u)), dir);
    } catch (const std::exception& e) {
      warn(std::string("prefetch skipped: ") + e.what());
    }
    if (prefetch) ::setenv(kPrefetchDirVar, dir.c_str(), 1);
  }

  // Waiting for the probe costs a rustc start (~0.1 s through rustup's proxy) on every build:
  // only worth it on a store that has identified no toolchain yet. Otherwise the wrappers find
  // their toolchain cached (or identify a new one themselves) while the probe runs beside cargo.
  if (toolchain_probe.joinable() && !has_toolchain_cache(pre_cfg.dir)) toolchain_probe.join();
  int64_t started_unix_ms = static_cast<int64_t>(std::time(nullptr)) * 1000;
  auto started = std::chrono::steady_clock::now();
  PrefetchProgress progress(prefetch.get(), stderr_is_terminal());
  auto result = run_process(argv, [&progress](int fd, std::string_view chunk) { progress.relay(fd, chunk); });
  progress.stop();
  int64_t wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  if (toolchain_probe.joinable()) toolchain_probe.join();
  // The build's last misses may still be storing. Their stats are counted already; with
  // remotes, the build index below needs their keys; on CI the job saves the store next.
  const char* ci = std::getenv("CI");
  bool on_ci = ci && *ci && std::string(ci) != "false" && std::string(ci) != "0";
  // In a container kiln started, the container ends with cargo kiln: stores must be done.
  if (!env_or(kInContainerVar).empty()) on_ci = true;
  if (!pre_cfg.disabled && (!index_file.empty() || on_ci)) {
    StoreWait w = wait_for_background_stores(pre_cfg.dir, session, kStoreWaitMs);
    if (w.pending > 0) debug("waited " + std::to_string(static_cast<int>(w.waited_ms)) + " ms for " +
                             std::to_string(w.pending) + " background stores");
    if (w.still_running > 0)
      warn(std::to_string(w.still_running) + " results still being stored after " +
           std::to_string(kStoreWaitMs / 1000) + " s; they finish in the background");
  }
  if (prefetch) {
    ::unsetenv(kPrefetchDirVar);
    PrefetchReport p = prefetch->finish();
    if (p.bytes_down > 0) {
      char line[200];
      std::snprintf(line, sizeof line, "kiln: fetched %zu of %zu entries of the last build (%.1f MiB) beside cargo\n",
                    p.present, p.listed, static_cast<double>(p.bytes_down) / 1048576.0);
      write_all(2, line);
    }
  }
  if (!index_file.empty()) {
    ::unsetenv(kIndexFileVar);
    std::vector<Digest> keys = read_used_keys(index_file);
    ::unlink(index_file.c_str());
    if (!keys.empty() && result) {
      if (prefetch && prefetch->index_lists_exactly(keys)) {
        debug("build index unchanged: not stored again");
      } else {
        try {  // cargo has finished: nothing here may change how the build ended
          StoreChain stores = make_store_chain(pre_cfg);
          bool pack_workspace = parse_upload_policy(pre_cfg.upload) == UploadPolicy::All;
          WireNames prior = prefetch ? prefetch->pack_names() : WireNames{};
          if (auto st = put_index(stores.store(), stores.local(), *index_key, keys, pack_workspace, prior); !st)
            debug("build index: " + st.error().message);
        } catch (const std::exception& e) {
          debug(std::string("build index not stored: ") + e.what());
        }
      }
    }
  }
  if (!doc_roots_file.empty()) {
    ::unsetenv(kDocRootsFileVar);
    merge_doc_roots(doc_roots_file);
    ::unlink(doc_roots_file.c_str());
  }
  if (!warnings_file.empty()) {
    ::unsetenv(kWarningsFileVar);
    for (const auto& line : read_distinct_lines(warnings_file)) write_all(2, line + "\n");
    ::unlink(warnings_file.c_str());
  }
  if (!result) {
    std::fprintf(stderr, "kiln: error: %s\n", result.error().message.c_str());
    return 127;
  }
  StatsSummary s = read_stats(pre_cfg.dir, session);
  if (!pre_cfg.disabled) {
    std::string command;
    for (const auto& a : cargo_args) command += (command.empty() ? "" : " ") + a;
    append_build_record(pre_cfg.dir, make_build_record(s, started_unix_ms, wall_ms, command, current_dir(), result->exit_code));
    if (!report.empty()) {
      std::string error;
      std::string path = write_session_report(pre_cfg.dir, session, "cargo kiln " + command + " in " + current_dir(),
                                              report, &error);
      write_all(2, path.empty() ? "kiln: no report: " + error + "\n" : "kiln: report: " + path + "\n");
    }
    prune_timelines(pre_cfg.dir);
  }
  char line[256];
  std::snprintf(line, sizeof line, "kiln: %llu hits, %llu misses, %llu not cached — %.1f s of rustc saved\n",
                static_cast<unsigned long long>(s.hits), static_cast<unsigned long long>(s.misses),
                static_cast<unsigned long long>(s.not_cached_total()), s.time_saved_ms / 1000.0);
  write_all(2, line);
  return result->exit_code;
}

}  // namespace kiln

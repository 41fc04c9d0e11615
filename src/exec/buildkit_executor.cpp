// The BuildKit executor (KILN_EXECUTOR=buildkit): a miss becomes one `docker build` on the
// daemon DOCKER_HOST names, and comes back as if it had run here.
//
//   1. connect (exec/buildkit/buildkit_daemon.h): the client, the daemon, the toolchain image;
//   2. plan and write the build context into a slot (exec/buildkit/remote_context.h): one of
//      64 flock'ed dirs in <store>/buildkit, each kept between builds, so the daemon's copy of
//      a slot's context is updated by BuildKit's file sync rather than sent again;
//   3. `DOCKER_BUILDKIT=1 docker build --network none -o type=local,dest=<slot>/out`;
//   4. check that the run saw this machine's world (exec/buildkit/remote_check.h), move its
//      outputs into place, hand its trace to the engine as a local run's, replay its output.
//
// Fail open: a daemon that does not answer, a build that BuildKit itself fails, an action that
// cannot travel (a workspace wrapper) or a run whose world differed → the action runs here,
// with the local executor. A daemon that failed is marked for the rest of the build (one
// warning, then local runs without asking it again). A rustc error is not a failure of the
// executor: rustc's exit code and output come back as they are.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "exec/buildkit/buildkit_daemon.h"
#include "exec/buildkit/remote_check.h"
#include "exec/buildkit/remote_context.h"
#include "exec/executor.h"
#include "session/session_env.h"
#include "store/tiered_store.h"
#include "trace/trace_log.h"
#include "util/clock.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/process.h"
#include "util/text.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

constexpr int kSlots = 64;
constexpr uint64_t kMaxContextBytes = 8ull << 30;

// The mark that says this build's daemon failed ("" = no build to mark: a bare wrapper).
std::string down_mark(const std::string& store_dir) {
  std::string session = session_env().session;
  if (session.empty()) return {};
  return path_join(store_dir, "buildkit/down-" + sha256(session + "\n" + env_or("DOCKER_HOST")).hex().substr(0, 24));
}

// The sysroot of the toolchain the command uses: <sysroot>/bin/rustc (or clippy-driver),
// else that of $RUSTC when it is absolute; "" when unknown.
std::string sysroot_of(const std::vector<std::string>& argv) {
  auto from_program = [](const std::string& p) -> std::string {
    if (p.empty() || p[0] != '/' || base_name(dir_name(p)) != "bin") return {};
    std::string name = base_name(p);
    if (name.rfind("rustc", 0) != 0 && name.rfind("clippy-driver", 0) != 0 && name.rfind("rustdoc", 0) != 0) return {};
    return dir_name(dir_name(p));
  };
  if (!argv.empty())
    if (auto s = from_program(argv[0]); !s.empty()) return s;
  return from_program(env_or("RUSTC"));
}

// A workspace member (as the stores' upload policy has it): its package is neither in
// CARGO_HOME nor a vendored/registry package (.cargo-checksum.json).
bool workspace_member(const std::string& manifest_dir) {
  if (manifest_dir.empty()) return true;
  return !path_is_under(manifest_dir, env_or("CARGO_HOME", env_or("HOME") + "/.cargo")) &&
         !path_exists(manifest_dir + "/.cargo-checksum.json");
}

// Moves every file under out/files to its host path (mtime now, as a local run leaves it).
Status place_outputs(const std::string& files_dir) {
  std::error_code ec;
  if (!fs::exists(files_dir, ec)) return {};
  for (fs::recursive_directory_iterator it(files_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code e2;
    if (it->is_directory(e2) && !it->is_symlink(e2)) continue;
    std::string src = it->path().string();
    std::string dst = src.substr(files_dir.size());
    if (auto st = make_dirs(dir_name(dst)); !st) return st;
    if (::rename(src.c_str(), dst.c_str()) != 0) {
      fs::copy_file(src, dst, fs::copy_options::overwrite_existing, e2);
      if (e2) return make_error("cannot place " + dst + ": " + e2.message());
      struct stat st {};
      if (::lstat(src.c_str(), &st) == 0) ::chmod(dst.c_str(), st.st_mode & 07777);
    }
    ::utimensat(AT_FDCWD, dst.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
  }
  return {};
}

// <store>/buildkit/closure/<digest of a crate library's stem>: the stems of the crates its
// compilation read (remote_context.h's ClosureLookup).
std::string closure_file(const std::string& store_dir, const std::string& stem) {
  return path_join(store_dir, "buildkit/closure/" + sha256(stem).hex().substr(0, 32));
}

std::string stem_of(const std::string& path) {
  std::string name = base_name(path);
  size_t dot = name.rfind('.');
  return path_join(dir_name(path), dot == std::string::npos ? name : name.substr(0, dot));
}

// Records, for each crate library the run produced, the crates it read.
void record_closures(const std::string& store_dir, const RemoteAction& plan, const TraceLog& trace,
                     const std::string& files_dir) {
  std::vector<std::string> reads;
  for (const auto& r : trace.reads) reads.push_back(r.path);
  std::string text;
  for (const auto& s : dependency_libraries_read(plan, reads)) text += s + "\n";
  std::error_code ec;
  std::set<std::string> done;
  for (fs::recursive_directory_iterator it(files_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string p = it->path().string().substr(files_dir.size());
    if (!(p.ends_with(".rlib") || p.ends_with(".rmeta") || p.ends_with(".so"))) continue;
    if (!done.insert(stem_of(p)).second) continue;
    std::string f = closure_file(store_dir, stem_of(p));
    if (make_dirs(dir_name(f))) (void)write_file_atomic(f, text);
  }
}

ClosureLookup closure_lookup(const std::string& store_dir) {
  return [store_dir](const std::string& lib) -> std::optional<std::vector<std::string>> {
    auto text = read_file(closure_file(store_dir, stem_of(lib)));
    if (!text) return std::nullopt;
    std::vector<std::string> stems;
    for (auto line : split_lines(*text))
      if (!line.empty()) stems.emplace_back(line);
    return stems;
  };
}

class BuildkitExecutor : public Executor {
 public:
  explicit BuildkitExecutor(const Config& cfg) : cfg_(cfg) {}
  std::string name() const override { return "buildkit"; }

  Result<ProcessResult> run(const ExecRequest& request) override {
    std::string mark = down_mark(cfg_.dir);
    if (!mark.empty() && path_exists(mark)) return local(request);
    auto daemon = buildkit_for_action(cfg_);
    if (!daemon) return daemon_failed(mark, daemon.error().message, request);
    std::string what = request.argv.empty() ? "?" : base_name(request.argv[0]);
    // KILN_UPLOAD decides what leaves the machine, for the context as for the stores.
    UploadPolicy upload = parse_upload_policy(cfg_.upload);
    if (upload == UploadPolicy::None ||
        (upload == UploadPolicy::Dependencies && workspace_member(env_entry_value(request.env, "CARGO_MANIFEST_DIR")))) {
      debug("buildkit: running " + what + " locally: KILN_UPLOAD=" + cfg_.upload + " keeps its sources here");
      return local(request);
    }
    auto plan = plan_remote_action(request, sysroot_of(request.argv), cfg_.remote_env, kMaxContextBytes,
                                   closure_lookup(cfg_.dir));
    if (!plan) {
      debug("buildkit: running " + what + " locally: " + plan.error().message);
      return local(request);
    }
    Slot slot = claim_slot();
    if (slot.fd < 0) return local(request);
    struct Release {
      int fd;
      ~Release() { ::close(fd); }
    } release{slot.fd};

    double t0 = now_ms();
    std::string context = path_join(slot.dir, "context"), out = path_join(slot.dir, "out");
    if (auto st = write_remote_context(*plan, daemon->image, context); !st) {
      debug("buildkit: running " + what + " locally: " + st.error().message);
      return local(request);
    }
    (void)remove_all(out);
    double t_context = now_ms();
    std::vector<std::string> env = buildkit_client_env();
    auto built = run_process({daemon->client, "build", "--network", "none", "-q", "-f", path_join(slot.dir, "Dockerfile"),
                              "-o", "type=local,dest=" + out, context},
                             {}, &env);
    double t_built = now_ms();
    if (!built || built->exit_code != 0) {
      std::string why = built ? last_line(trim_end(built->stderr_data)) : built.error().message;
      // Is it the daemon, or this one build?
      auto info = run_process({daemon->client, "info", "--format", "{{.NCPU}}"}, {}, &env);
      if (!info || info->exit_code != 0)
        return daemon_failed(mark, "buildkit: the daemon at " + env_or("DOCKER_HOST", "unix:///var/run/docker.sock") +
                                       " stopped answering (" + why + ")",
                             request);
      warn("buildkit: the build of " + what + " failed in BuildKit (" + why + "); ran it locally");
      return local(request);
    }
    auto run = read_remote_run(out);
    if (!run) {
      warn("buildkit: the remote run of " + what + " did not finish (" + run.error().message + "); ran it locally");
      return local(request);
    }
    // Killed by a signal (the shell's 128+N), e.g. a daemon shutting down around the step, is
    // not the command's answer: running it here gives the real one (CI saw a build fail with
    // the daemon stopped mid-build). A command that crashes so here too fails the same way.
    if (run->exit_code > 128) {
      warn("buildkit: the remote run of " + what + " was killed (exit " + std::to_string(run->exit_code) +
           "); ran it locally");
      return local(request);
    }
    TraceLog trace = parse_trace(run->trace_text);
    if (std::string why = check_remote_world(*plan, *run, trace, this_host()); !why.empty()) {
      debug("buildkit: running " + what + " locally: " + why);
      return local(request);
    }
    if (run->exit_code == 0) record_closures(cfg_.dir, *plan, trace, path_join(out, "files"));
    if (auto st = place_outputs(path_join(out, "files")); !st) {
      warn("buildkit: " + st.error().message + "; ran " + what + " locally");
      return local(request);
    }
    if (std::string trace_file = env_entry_value(request.env, "KILN_TRACE_FILE"); !trace_file.empty())
      (void)write_file_atomic(trace_file, remote_trace_for_host(run->trace_text, *plan));
    debug("buildkit: ran " + what + " on the daemon: context " + std::to_string(plan->files.size()) + " files (" +
          std::to_string(plan->bytes >> 10) + " KiB) in " + std::to_string(static_cast<int>(t_context - t0)) +
          " ms, build " + std::to_string(static_cast<int>(t_built - t_context)) + " ms, exit " +
          std::to_string(run->exit_code));
    if (request.sink) {
      if (!run->stdout_data.empty()) request.sink(1, run->stdout_data);
      if (!run->stderr_data.empty()) request.sink(2, run->stderr_data);
    }
    ProcessResult r;
    r.exit_code = run->exit_code;
    r.stdout_data = std::move(run->stdout_data);
    r.stderr_data = std::move(run->stderr_data);
    return r;
  }

 private:
  struct Slot {
    int fd = -1;
    std::string dir;
  };

  Slot claim_slot() {
    std::string base = path_join(cfg_.dir, "buildkit");
    if (!make_dirs(base)) return {};
    for (int i = 0; i < kSlots; ++i) {
      std::string dir = path_join(base, "slot-" + std::to_string(i));
      int fd = ::open((dir + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) return {};
      if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return {fd, dir};
      ::close(fd);
    }
    return {};
  }

  Result<ProcessResult> daemon_failed(const std::string& mark, const std::string& why, const ExecRequest& request) {
    warn(why + "; running misses locally");
    if (!mark.empty()) (void)write_file_atomic(mark, why + "\n");
    return local(request);
  }

  static Result<ProcessResult> local(const ExecRequest& request) {
    LocalExecutor l;
    return l.run(request);
  }

  const Config& cfg_;
};

}  // namespace

std::unique_ptr<Executor> make_buildkit_executor(const Config& cfg) { return std::make_unique<BuildkitExecutor>(cfg); }

}  // namespace kiln

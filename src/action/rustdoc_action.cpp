// The rustdoc action kind (see rustdoc_action.h).
#include "action/rustdoc_action.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <set>

#include "action/engine.h"
#include "config/config.h"
#include "core/record.h"
#include "core/replay.h"
#include "key/action_key.h"
#include "key/file_digests.h"
#include "key/source_manifest.h"
#include "key/traced_inputs.h"
#include "rustc/rustup.h"
#include "rustc/toolchain.h"
#include "rustdoc/doc_root.h"
#include "rustdoc/rustdoc_invocation.h"
#include "util/tar_archive.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/process.h"

namespace kiln {
namespace {

// Moves every file below `from` to the same place below `to` (rename(2): same file system),
// creating directories; appends the new paths to `moved`. Symlinks and the top-level
// entries `skip` names are left behind. Errors: a rename failed.
Status move_tree(const std::string& from, const std::string& to, std::vector<std::string>& moved,
                 const std::vector<std::string>& skip = {}) {
  if (auto s = make_dirs(to); !s) return s;
  for (const auto& name : list_dir(from)) {
    if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
    std::string src = from + "/" + name, dst = to + "/" + name;
    struct stat st {};
    if (::lstat(src.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) continue;
    if (S_ISDIR(st.st_mode)) {
      if (auto s = move_tree(src, dst, moved); !s) return s;
    } else {
      if (::rename(src.c_str(), dst.c_str()) != 0) return make_error("cannot move " + src + " to " + dst);
      moved.push_back(dst);
    }
  }
  return {};
}

// The archive of a crate's pages, one output (a crate may have ten thousand pages: libc
// has 10,800; as one blob they are one upload and one fetch, not ten thousand).
std::string pages_archive(const std::string& out_dir, const std::string& crate) {
  return doc_parts_root(out_dir) + "/.pages/" + crate + ".tar";
}

// Writes `pages` (absolute paths below `out_dir`, sorted) into a tar at `tar`: paths relative to
// the doc root, mode 644, mtime 0. Errors: libarchive missing, a read or write failed.
Status write_pages_archive(const std::string& tar, const std::string& out_dir, const std::vector<std::string>& pages) {
  if (auto s = make_dirs(dir_name(tar)); !s) return s;
  (void)::unlink(tar.c_str());
  auto w = TarWriter::open(tar, /*gzip=*/false);
  if (!w) return w.error();
  for (const auto& p : pages)
    if (auto s = (*w)->add_file_from(p.substr(out_dir.size() + 1), p, 0644, 0); !s) return s;
  return (*w)->close();
}

// Writes every page of the archive `tar` below `out_dir`, each file atomically (temp file and
// rename). Errors: a damaged archive, an entry that is not a plain relative path, a write.
Status extract_pages_archive(const std::string& tar, const std::string& out_dir) {
  std::string made;  // the last directory made (pages come sorted: most share it)
  Status failed;
  Status read = read_tar(tar, [&](const TarEntry& e, const std::function<std::string(size_t)>& more) {
    if (e.type != 'f') return true;
    if (e.path.empty() || e.path[0] == '/' || ("/" + e.path + "/").find("/../") != std::string::npos) {
      failed = make_error("a page archive names " + e.path);
      return false;
    }
    std::string path = out_dir + "/" + e.path, dir = dir_name(path);
    if (dir != made) {
      if (auto s = make_dirs(dir); !s) {
        failed = s;
        return false;
      }
      made = dir;
    }
    std::string data;
    for (std::string chunk; !(chunk = more(1 << 20)).empty();) data += chunk;
    if (static_cast<int64_t>(data.size()) != e.size) {
      failed = make_error("a page archive is cut short at " + e.path);
      return false;
    }
    if (auto s = write_file_atomic(path, data); !s) {
      failed = s;
      return false;
    }
    return true;
  });
  if (!read) return read;
  return failed;
}

// "serde" for "libserde-0123abcd.rmeta" (an rlib, rmeta or proc-macro .so in a dependency
// dir); "" for any other file name.
std::string crate_of_library(const std::string& file) {
  if (file.rfind("lib", 0) != 0) return {};
  size_t dot = file.rfind('.');
  if (dot == std::string::npos) return {};
  std::string ext = file.substr(dot);
  if (ext != ".rmeta" && ext != ".rlib" && ext != ".so") return {};
  size_t dash = file.rfind('-', dot);
  if (dash == std::string::npos || dash <= 3) return {};
  return file.substr(3, dash - 3);
}

class RustdocAction : public ActionKind {
 public:
  explicit RustdocAction(std::vector<std::string> args) : args_(std::move(args)) {}

  std::vector<std::string> passthrough() const override {
    std::vector<std::string> cmd = {rustdoc_.empty() ? real_rustdoc_command() : rustdoc_};
    cmd.insert(cmd.end(), args_.begin(), args_.end());
    return cmd;
  }

  Result<PreparedAction> prepare(const Config& cfg) override {
    PreparedAction a;
    a.name = "rustdoc";
    a.label = "doc";
    cwd_ = current_dir();
    std::string tool = real_rustdoc_command();
    if (tool.empty()) return make_error("no rustdoc found (KILN_RUSTDOC is unset and rustdoc is not on PATH)");
    auto real = resolve_tool(tool, cwd_);
    if (!real) return real.error();
    rustdoc_ = *real;

    auto parsed = parse_rustdoc_invocation(args_, cwd_);
    if (!parsed) return make_error("cannot parse the rustdoc command line: " + parsed.error().message);
    inv_ = std::move(*parsed);
    if (!inv_.crate_name.empty()) a.name = inv_.crate_name;
    auto not_cached = [&](const std::string& slug, const std::string& detail) {
      a.not_cacheable = slug;
      a.not_cacheable_detail = detail;
      return a;
    };
    if (!inv_.not_cacheable.empty()) return not_cached(inv_.not_cacheable, inv_.not_cacheable_detail);
    std::string manifest_dir = env_or("CARGO_MANIFEST_DIR");
    if (cache_opted_out(cfg, {inv_.crate_name, env_or("CARGO_PKG_NAME")}, manifest_dir + "/Cargo.toml"))
      return not_cached("opted-out", "KILN_NO_CACHE or [package.metadata.kiln] cache = false");
    std::string bootstrap = env_or("RUSTC_BOOTSTRAP");
    if (!bootstrap.empty() && bootstrap != "1")
      return not_cached("unsupported-argument", "RUSTC_BOOTSTRAP=" + bootstrap + " (kiln's doc merge needs rustdoc's unstable flags)");
    if (std::string other = crate_documented_without_kiln(inv_.out_dir, inv_.crate_name); !other.empty()) {
      warn("not caching rustdoc runs: " + inv_.out_dir +
           " holds crates documented without kiln; `cargo clean --doc` once lets kiln cache them");
      return not_cached("doc-root-shared", other + " was documented without kiln");
    }

    // rustc beside rustdoc identifies the toolchain (its sysroot covers rustdoc's libraries).
    std::string rustc = path_join(dir_name(rustdoc_), "rustc");
    auto toolchain = load_toolchain(rustc, cfg.dir);
    if (!toolchain) return make_error("cannot identify the toolchain: " + toolchain.error().message);
    sysroot_ = toolchain->sysroot;
    bool nightly = toolchain->version_verbose.find("-nightly") != std::string::npos ||
                   toolchain->version_verbose.find("-dev") != std::string::npos;

    RustcInvocation for_anchors;
    for_anchors.cwd = cwd_;
    for_anchors.input = inv_.input;
    for_anchors.out_dir = inv_.out_dir;
    a.anchors = PathAnchors::for_invocation(for_anchors, sysroot_);
    bool under_anchor = false;
    for (const auto& an : a.anchors.anchors())
      if (an.name != "sysroot" && path_is_under(inv_.out_dir, an.dir)) under_anchor = true;
    if (!under_anchor) a.anchors.add({"doc", inv_.out_dir, ""});

    KeyBuilder k("kiln-rustdoc-v2");
    auto self = file_digest(rustdoc_, /*remember=*/true);
    if (!self) return self.error();
    k.add("rustdoc", self->hex());
    k.add("toolchain", toolchain->identity().hex());
    for (const auto& arg : inv_.args) k.add("arg", a.anchors.portable_text(arg));
    for (const auto& e : key_environment(a.anchors)) k.add("env", e);
    // On stable, the miss runs with unstable flags allowed but no language feature (see
    // doc_root.h); on nightly, as the user's rustdoc would.
    allow_no_features_ = !nightly && bootstrap.empty();
    k.add("merge", allow_no_features_ ? "parts, no features" : "parts");
    a.pre_key = k.finish();
    a.key_lines = k.lines();
    // The page template: this rustdoc and the page flags, with the files they name.
    KeyBuilder pages("kiln-rustdoc-pages-v1");
    pages.add("rustdoc", self->hex());
    for (size_t i = 0; i < inv_.page_args.size(); ++i) {
      pages.add("arg", inv_.page_args[i]);
      if (i % 2 == 1 && inv_.page_args[i - 1].rfind("--html-", 0) == 0) {
        auto d = file_digest(absolute_path(inv_.page_args[i], cwd_));
        pages.add("file", d ? d->hex() : "missing");
      }
    }
    pages_key_ = pages.finish().hex().substr(0, 32);
    cache_dir_ = cfg.dir;

    // What a miss runs: the same command into a directory of its own (before_run), its
    // cross-crate info apart.
    tmp_ = doc_parts_root(inv_.out_dir) + "/.run-" + std::to_string(::getpid()) + "-" +
           std::to_string(static_cast<long>(std::time(nullptr)));
    std::vector<std::string> run_args = inv_.args;
    std::string tmp_out = tmp_ + "/out";
    if (!inv_.out_dir_given) {
      run_args.insert(run_args.end(), {"-o", tmp_out});
    } else if (inv_.out_dir_joined) {
      const std::string& given = run_args[inv_.out_dir_arg];
      run_args[inv_.out_dir_arg] =
          (given.rfind("--", 0) == 0 ? given.substr(0, given.find('=') + 1) : given.substr(0, 2)) + tmp_out;
    } else {
      run_args[inv_.out_dir_arg] = tmp_out;
    }
    run_args.insert(run_args.end(), {"-Zunstable-options", "--merge=none", "--parts-out-dir=" + tmp_ + "/parts"});
    if (allow_no_features_) run_args.push_back("-Zallow-features=");
    a.request.argv = {rustdoc_};
    a.request.argv.insert(a.request.argv.end(), run_args.begin(), run_args.end());
    a.request.cwd = cwd_;
    // Declared inputs: the crate root's directory, the externs, the dependency dirs, and the
    // doc root (its crates' pages are linked into the run's own root).
    a.request.inputs.push_back(dir_name(absolute_path(inv_.input, cwd_)));
    for (const auto& e : inv_.externs)
      if (size_t eq = e.find('='); eq != std::string::npos) a.request.inputs.push_back(absolute_path(e.substr(eq + 1), cwd_));
    for (const auto& d : inv_.dependency_dirs) a.request.inputs.push_back(absolute_path(d, cwd_));
    a.request.inputs.push_back(inv_.out_dir);
    a.request.writable_dirs = {tmp_};
    a.env_overrides = {"RUSTC_BOOTSTRAP=1"};
    a.buffer_output = true;
    a.run_here = true;
    for (const auto& an : a.anchors.anchors())
      if (an.name == "target") a.plugin_dir = an.dir;
    return a;
  }

  // The cross-crate info and the pages' archive, then the pages from it.
  Status restore(Store& store, const ActionResult& entry, const PreparedAction& a) override {
    if (auto s = restore_outputs(store, entry, a.anchors, /*remember_digests=*/false); !s) return s;
    std::string tar = pages_archive(inv_.out_dir, inv_.crate_name);
    Status pages = extract_pages_archive(tar, inv_.out_dir);
    (void)::unlink(tar.c_str());
    return pages;
  }

  void replay(const ActionResult& entry, const PreparedAction& a) override { replay_output(entry, a.anchors); }

  // The miss's own doc root: empty but for a symlink to each crate documented in the real
  // one. rustdoc links to a dependency's pages when `<doc root>/<crate>/` is a directory, so
  // it must see those; but it also reads the root's crates.js into the cross-crate info
  // (rustdoc's write_shared.rs), which would make that depend on what else is documented.
  Status before_run(const PreparedAction&) override {
    (void)remove_all(tmp_);
    std::string tmp_out = tmp_ + "/out";
    if (auto s = make_dirs(tmp_out); !s) return s;
    for (const auto& name : list_dir(inv_.out_dir)) {
      // Not this crate's own pages (cargo removes them first; rustdoc would write through the link).
      if (name.empty() || name[0] == '.' || name == "src" || name == inv_.crate_name) continue;
      std::string dir = inv_.out_dir + "/" + name;
      if (!path_exists(dir + "/index.html")) continue;
      if (::symlink(dir.c_str(), (tmp_out + "/" + name).c_str()) != 0)
        return make_error("cannot link " + dir + " into " + tmp_out);
    }
    return {};
  }

  // The pages go to the doc root, the cross-crate info beside the other crates'; then the
  // output cargo waits for.
  Status settle(const PreparedAction& a, const ProcessResult& result) override {
    if (result.exit_code != 0) return {};
    moved_.clear();
    Status moved = move_tree(tmp_ + "/out", inv_.out_dir, moved_, {".lock"});
    if (moved) moved = move_tree(tmp_ + "/parts", doc_parts_root(inv_.out_dir) + "/" + inv_.crate_name, moved_);
    if (!moved) {
      (void)remove_all(tmp_);
      return moved;
    }
    std::sort(moved_.begin(), moved_.end());
    write_all(1, result.stdout_data);
    write_all(2, result.stderr_data);
    return {};
  }

  Result<RecordPlan> plan_record(const PreparedAction& a, const ProcessResult& result, int64_t start_ns, int64_t run_ms,
                                 const TraceLog& trace) override {
    RecordPlan plan;
    auto not_stored = [&](const std::string& reason, const std::string& detail) {
      RecordOutcome out;
      out.not_stored_reason = reason;
      out.detail = detail;
      plan.done = out;
      return plan;
    };
    std::string parts_file = doc_parts_root(inv_.out_dir) + "/" + inv_.crate_name + "/" + inv_.crate_name + ".json";
    if (std::find(moved_.begin(), moved_.end(), parts_file) == moved_.end())
      return not_stored("no-doc-parts", "rustdoc wrote no " + parts_file);
    // The crates it loaded from outside the toolchain: this crate's dependency graph.
    std::set<std::string> graph;
    for (const auto& r : trace.reads)
      if (sysroot_.empty() || !path_is_under(normalize_path(r.path), sysroot_))
        if (std::string c = crate_of_library(base_name(r.path)); !c.empty() && c != inv_.crate_name) graph.insert(c);
    // Its probes of `<own root>/<crate>` that found nothing are probes of the real root, for
    // the crates of its graph. (It also looks for the toolchain's private crates — std's
    // cfg_if, libc, memchr… —, whose items never reach its pages: those are left out, or
    // whether the user's crate of that name was documented yet would change the key.)
    TraceLog seen = trace;
    std::string tmp_out = tmp_ + "/out";
    std::vector<std::string> absent;
    for (const auto& p : seen.absent) {
      std::string n = normalize_path(p);
      if (!path_is_under(n, tmp_out)) {
        absent.push_back(p);
      } else if (n.size() > tmp_out.size() + 1) {
        std::string rel = n.substr(tmp_out.size() + 1);
        if (rel.find('/') == std::string::npos && graph.count(rel)) absent.push_back(inv_.out_dir + "/" + rel);
      }
    }
    seen.absent = std::move(absent);
    (void)remove_all(tmp_);
    TraceContext ctx = trace_context_for(a.anchors, sysroot_);
    ctx.outputs = moved_;
    ctx.cache_dirs = {tmp_};
    TracedInputs traced = classify_trace(seen, ctx);
    if (!traced.untraceable.empty()) return not_stored("untraced", traced.untraceable);
    if (!traced.side_outputs.empty()) return not_stored("writes-outside-out-dir", traced.side_outputs.front());
    DepInfo dep;
    dep.inputs.push_back(absolute_path(inv_.input, cwd_));
    // rustdoc links to a crate's pages when `<doc root>/<crate>/` is a directory. Where one of
    // its graph was missing, the trace has it as a path that must stay absent; where it was
    // there, that crate's index.html becomes an input (written before this run began: cargo
    // documents a crate's dependencies first).
    for (const auto& crate : graph) {
      std::string index = inv_.out_dir + "/" + crate + "/index.html";
      if (path_exists(index)) dep.inputs.push_back(index);
    }
    auto sets = source_set_from_dep_info(dep, cwd_, a.anchors, start_ns, &traced);
    if (!sets) return not_stored("source-changed", sets.error().message);
    auto& [source_set, manifest_set] = *sets;

    ActionResult entry = result_entry(inv_.crate_name, "doc", !inv_.input.empty() && inv_.input[0] != '/', run_ms,
                                      result, a.anchors);

    PendingRecord pending;
    // Stored: the cross-crate info, and the pages as one archive (finish() removes it: a
    // background store reads it through its open descriptor).
    std::vector<std::string> pages;
    for (const auto& m : moved_)
      if (m != parts_file) pages.push_back(m);
    std::string tar = pages_archive(inv_.out_dir, inv_.crate_name);
    if (auto s = write_pages_archive(tar, inv_.out_dir, pages); !s) {
      (void)::unlink(tar.c_str());
      return not_stored("store-failed", "cannot write the pages' archive: " + s.error().message);
    }
    pending.outputs = {parts_file, tar};
    std::sort(pending.outputs.begin(), pending.outputs.end());
    pending.anchors = a.anchors;
    pending.pre_key = a.pre_key;
    pending.full_key = compute_full_key(a.pre_key, source_set);
    pending.manifest_set = std::move(manifest_set);
    pending.entry = std::move(entry);
    return plan_to_store(std::move(pending), /*background_ok=*/true);
  }

  // After a hit or a successful miss: the root pages for this crate, then the shared files
  // from every crate's parts. A failed miss runs the real command, so that the user sees the
  // error a plain rustdoc gives (see doc_root.h); so does a merge that fails.
  void finish(const PreparedAction& a, int exit_code) override {
    if (!tmp_.empty()) (void)remove_all(tmp_);
    if (!inv_.crate_name.empty()) (void)::unlink(pages_archive(inv_.out_dir, inv_.crate_name).c_str());
    if (exit_code == 0) {
      Status s = write_root_pages(rustdoc_, inv_.page_args, inv_.crate_name, inv_.out_dir, cache_dir_, pages_key_);
      std::string roots = env_or(kDocRootsFileVar);
      if (s && !roots.empty() && append_record(roots, rustdoc_ + "\t" + inv_.out_dir + "\n")) return;  // cargo kiln merges
      if (s) s = merge_doc_root_soon(rustdoc_, inv_.out_dir);
      if (s) return;
      warn("cannot merge the doc root " + inv_.out_dir + " (" + s.error().message + "); running rustdoc for " +
           inv_.crate_name + " uncached");
    } else {
      debug("rustdoc of " + a.name + " failed under kiln's merge flags; running it as given");
    }
    Error e = exec_process(passthrough());
    warn(e.message);
    std::_Exit(127);
  }

 private:
  std::vector<std::string> args_;  // rustdoc's arguments as cargo gave them
  std::string rustdoc_, cwd_, sysroot_, tmp_, pages_key_, cache_dir_;
  RustdocInvocation inv_;
  bool allow_no_features_ = false;
  std::vector<std::string> moved_;  // the files a miss wrote, where they are now (sorted)

};

}  // namespace

std::string real_rustdoc_command() {
  std::string given = env_or(kRealRustdocVar);
  if (!given.empty()) return given;
  std::string self = self_exe_path();
  std::string path = env_or("PATH");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    start = end + 1;
    if (dir.empty()) continue;
    std::string candidate = dir + "/rustdoc";
    if (::access(candidate.c_str(), X_OK) != 0) continue;
    char real[4096];
    if (::realpath(candidate.c_str(), real) && self == real) continue;  // kiln itself
    return candidate;
  }
  return {};
}

int run_rustdoc(const std::vector<std::string>& args) {
  Config cfg = load_config();
  RustdocAction action(args);
  return run_action(action, cfg);
}

}  // namespace kiln

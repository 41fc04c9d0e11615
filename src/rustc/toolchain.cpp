// Toolchain identity, cached on disk so a hit never runs rustc.
#include "rustc/toolchain.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "key/file_digests.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/text.h"

namespace kiln {
namespace {

// Digest of every library file in the sysroot that rustc may load or link. Each file's digest
// is remembered on the file (key/file_digests.h): a toolchain's files are written once by its
// installer, so a fresh store on a machine that ran kiln before need not read ~0.5 GB again.
Result<Digest> hash_sysroot(const std::string& sysroot) {
  std::vector<std::string> files;
  std::string libdir = sysroot + "/lib";
  for (const auto& n : list_dir(libdir))
    if (n.find(".so") != std::string::npos) files.push_back("lib/" + n);
  std::string rustlib = libdir + "/rustlib";
  for (const auto& target : list_dir(rustlib)) {
    std::string tl = rustlib + "/" + target + "/lib";
    for (const auto& n : list_dir(tl)) {
      std::string rel = "lib/rustlib/" + target + "/lib/" + n;
      auto st = stat_file(sysroot + "/" + rel);
      if (st && S_ISREG(st->mode)) files.push_back(rel);
    }
  }
  std::sort(files.begin(), files.end());
  Sha256 h;
  for (const auto& rel : files) {
    auto d = file_digest(sysroot + "/" + rel, /*remember=*/true);
    if (!d) return d.error();
    h.field(rel);
    h.field(d->hex());
  }
  return h.finish();
}

}  // namespace

Digest Toolchain::identity() const {
  Sha256 h;
  h.field("kiln-toolchain-v1");
  h.field(version_verbose);
  h.field(sysroot_digest.hex());
  return h.finish();
}

Result<Toolchain> load_toolchain(const std::string& rustc_path, const std::string& cache_dir) {
  auto st = stat_file(rustc_path);
  if (!st) return make_error("rustc not found: " + rustc_path);
  Sha256 kh;
  kh.field(rustc_path);
  kh.field(std::to_string(st->size) + ":" + std::to_string(st->mtime_ns) + ":" + std::to_string(st->ctime_ns) + ":" +
           std::to_string(st->inode));
  std::string cache_file = cache_dir + "/toolchains/" + kh.finish().hex().substr(0, 32) + ".json";

  if (auto text = read_file(cache_file)) {
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
      auto d = Digest::from_hex(j.value("sysroot_digest", ""));
      if (d) {
        Toolchain t;
        t.version_verbose = j.value("version_verbose", "");
        t.host = j.value("host", "");
        t.sysroot = j.value("sysroot", "");
        t.sysroot_digest = *d;
        if (!t.version_verbose.empty() && !t.sysroot.empty()) return t;
      }
    }
  }

  auto vv = run_process({rustc_path, "-vV"});
  if (!vv || vv->exit_code != 0) return make_error("cannot run " + rustc_path + " -vV");
  auto sr = run_process({rustc_path, "--print", "sysroot"});
  if (!sr || sr->exit_code != 0) return make_error("cannot run " + rustc_path + " --print sysroot");
  Toolchain t;
  t.version_verbose = vv->stdout_data;
  t.sysroot = trim_end(sr->stdout_data);
  size_t hp = t.version_verbose.find("host: ");
  if (hp != std::string::npos) {
    size_t e = t.version_verbose.find('\n', hp);
    t.host = t.version_verbose.substr(hp + 6, e - hp - 6);
  }
  auto d = hash_sysroot(t.sysroot);
  if (!d) return d.error();
  t.sysroot_digest = *d;

  nlohmann::json j = {{"rustc", rustc_path},
                      {"version_verbose", t.version_verbose},
                      {"host", t.host},
                      {"sysroot", t.sysroot},
                      {"sysroot_digest", t.sysroot_digest.hex()}};
  if (make_dirs(cache_dir + "/toolchains")) (void)write_file_atomic(cache_file, j.dump(2));
  return t;
}

Result<Toolchain> load_cargo_toolchain(const std::string& cache_dir) {
  std::string rustc = env_or("RUSTC", "rustc");
  auto sr = run_process({rustc, "--print", "sysroot"});
  if (!sr || sr->exit_code != 0) return make_error("cannot run " + rustc + " --print sysroot: is Rust installed?");
  return load_toolchain(trim_end(sr->stdout_data) + "/bin/rustc", cache_dir);
}

}  // namespace kiln

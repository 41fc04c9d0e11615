// Direct-mode manifests (see source_manifest.h).
#include "key/source_manifest.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>
#include <nlohmann/json.hpp>

#include "key/file_digests.h"
#include "key/package_listing.h"
#include "util/fs.h"

namespace kiln {
namespace {

constexpr int64_t kClockSlackNs = 10'000'000;  // 10 ms: coarse kernel file timestamps

// The alternative file that, if it appeared, would change how `mod x;` resolves.
std::string module_alternative(const std::string& path) {
  if (path.size() < 3 || path.substr(path.size() - 3) != ".rs") return {};
  std::string b = base_name(path);
  std::string d = dir_name(path);
  if (b == "mod.rs") return d + ".rs";                     // x/mod.rs ↔ x.rs
  if (b == "lib.rs" || b == "main.rs") return {};          // crate roots are named explicitly
  return d + "/" + b.substr(0, b.size() - 3) + "/mod.rs";  // x.rs ↔ x/mod.rs
}

bool same_files(const ManifestSet& a, const ManifestSet& b) {
  if (a.files.size() != b.files.size() || a.env_names != b.env_names || a.listings != b.listings) return false;
  for (size_t i = 0; i < a.files.size(); ++i)
    if (a.files[i].path != b.files[i].path || a.files[i].digest != b.files[i].digest) return false;
  return true;
}

}  // namespace

std::optional<std::string> env_dep_value(const std::string& name, const PathAnchors& anchors) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  // kiln itself as the wrapper (`cargo kiln` sets its absolute path, RUSTC_WRAPPER=kiln its
  // name): one value, so that a build script that reads it (the cc crate does) hits either way.
  if (name == "RUSTC_WRAPPER" && base_name(v) == "kiln") return std::string("kiln");
  return anchors.portable_text(v);
}

// Version 2 keeps each distinct file record and must-stay-absent path once, in tables the
// sets index into: the sets of one pre-key share nearly all of them (an edit loop adds a set
// per edit that differs from the last by one file), and fd's binary had a 248 KB version-1
// manifest of 8 near-identical sets, read and parsed on every lookup (~8 ms).
std::string SourceManifest::to_json() const {
  nlohmann::json j;
  j["version"] = 2;
  nlohmann::json files = nlohmann::json::array();
  nlohmann::json paths = nlohmann::json::array();
  std::map<std::tuple<std::string, uint64_t, int64_t, int64_t, uint64_t, Digest>, size_t> file_index;
  std::map<std::string, size_t> path_index;
  j["sets"] = nlohmann::json::array();
  for (const auto& s : sets) {
    nlohmann::json js;
    js["f"] = nlohmann::json::array();
    for (const auto& f : s.files) {
      auto [it, fresh] = file_index.try_emplace({f.path, f.size, f.mtime_ns, f.ctime_ns, f.inode, f.digest}, files.size());
      if (fresh)
        files.push_back({{"p", f.path}, {"s", f.size}, {"m", f.mtime_ns}, {"c", f.ctime_ns}, {"i", f.inode},
                         {"d", f.digest.hex()}});
      js["f"].push_back(it->second);
    }
    js["env"] = s.env_names;
    js["a"] = nlohmann::json::array();
    for (const auto& a : s.absent) {
      auto [it, fresh] = path_index.try_emplace(a, paths.size());
      if (fresh) paths.push_back(a);
      js["a"].push_back(it->second);
    }
    if (!s.listings.empty()) {
      js["listings"] = nlohmann::json::array();
      for (const auto& l : s.listings) js["listings"].push_back({{"p", l.dir}, {"d", l.digest.hex()}});
    }
    j["sets"].push_back(std::move(js));
  }
  j["files"] = std::move(files);
  j["paths"] = std::move(paths);
  return j.dump();
}

Result<SourceManifest> SourceManifest::from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("version") || !j["version"].is_number_integer())
    return make_error("malformed manifest");  // no value(): it throws
  int version = j["version"].get<int>();
  if (version != 1 && version != 2) return make_error("malformed manifest (version " + std::to_string(version) + ")");
  SourceManifest m;
  try {
    auto file_of = [](const nlohmann::json& jf) -> Result<ManifestFile> {
      ManifestFile f;
      f.path = jf.at("p").get<std::string>();
      f.size = jf.at("s").get<uint64_t>();
      f.mtime_ns = jf.at("m").get<int64_t>();
      f.ctime_ns = jf.value("c", int64_t{0});
      f.inode = jf.value("i", uint64_t{0});
      auto d = Digest::from_hex(jf.at("d").get<std::string>());
      if (!d) return d.error();
      f.digest = *d;
      return f;
    };
    std::vector<ManifestFile> files;  // version 2's tables
    std::vector<std::string> paths;
    if (version == 2) {
      for (const auto& jf : j.at("files")) {
        auto f = file_of(jf);
        if (!f) return f.error();
        files.push_back(std::move(*f));
      }
      paths = j.at("paths").get<std::vector<std::string>>();
    }
    for (const auto& js : j.at("sets")) {
      ManifestSet s;
      if (version == 1) {
        for (const auto& jf : js.at("files")) {
          auto f = file_of(jf);
          if (!f) return f.error();
          s.files.push_back(std::move(*f));
        }
        s.absent = js.at("absent").get<std::vector<std::string>>();
      } else {
        for (const auto& i : js.at("f")) s.files.push_back(files.at(i.get<size_t>()));
        for (const auto& i : js.at("a")) s.absent.push_back(paths.at(i.get<size_t>()));
      }
      s.env_names = js.at("env").get<std::vector<std::string>>();
      if (js.contains("listings"))
        for (const auto& jl : js.at("listings")) {
          auto d = Digest::from_hex(jl.at("d").get<std::string>());
          if (!d) return d.error();
          s.listings.push_back({jl.at("p").get<std::string>(), *d});
        }
      m.sets.push_back(std::move(s));
    }
  } catch (const std::exception& e) {
    return make_error(std::string("malformed manifest: ") + e.what());
  }
  return m;
}

void SourceManifest::add(ManifestSet set) {
  sets.erase(std::remove_if(sets.begin(), sets.end(), [&](const ManifestSet& s) { return same_files(s, set); }),
             sets.end());
  sets.insert(sets.begin(), std::move(set));
  if (sets.size() > kMaxSets) sets.resize(kMaxSets);
}

bool same_identity(const FileStat& a, const FileStat& b) {
  return a.size == b.size && a.mtime_ns == b.mtime_ns && a.ctime_ns == b.ctime_ns && a.inode == b.inode;
}

Result<std::pair<SourceSet, ManifestSet>> source_set_from_dep_info(const DepInfo& dep_info, const std::string& cwd,
                                                                   const PathAnchors& anchors,
                                                                   int64_t compile_start_ns,
                                                                   const TracedInputs* traced,
                                                                   const std::vector<std::string>& listing_dirs) {
  SourceSet ss;
  ManifestSet ms;
  // The identity each traced file had when the compilation opened it.
  std::map<std::string, const TracedFile*> read_as;
  if (traced)
    for (const auto& f : traced->files) read_as.emplace(f.path, &f);
  std::set<std::string> done;  // normalized absolute paths already in the set

  auto add = [&](const std::string& raw, const std::string& abs) -> Status {
    if (!done.insert(abs).second) return {};
    auto st = stat_file(abs);
    if (!st) return make_error("an input is missing: " + abs);
    if (auto it = read_as.find(abs); it != read_as.end()) {
      if (!same_identity(*st, it->second->identity) && !changed_only_by_note(abs, it->second->identity, *st))
        return make_error("source changed during the compilation: " + abs);
    } else if (st->mtime_ns >= compile_start_ns - kClockSlackNs) {
      return make_error("source changed during the compilation: " + abs);
    }
    auto d = file_digest(abs, is_build_output(anchors, abs));
    if (!d) return d.error();
    // The digest must be of the content the identity stands for: a file replaced while it was
    // hashed (an editor saving, the next build writing an extern) is not stored with either.
    if (auto after = stat_file(abs); !after || !(same_identity(*after, *st) || changed_only_by_note(abs, *st, *after)))
      return make_error("source changed while it was hashed: " + abs);
    std::string portable = anchors.portable_path(raw);
    ss.files.push_back({portable, *d});
    ms.files.push_back({portable, st->size, st->mtime_ns, *d, st->ctime_ns, st->inode});
    std::string alt = module_alternative(abs);
    if (!alt.empty() && !path_exists(alt)) ms.absent.push_back(anchors.portable_path(alt));
    return {};
  };

  std::vector<std::string> inputs = dep_info.inputs;
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
  for (const auto& in : inputs) {
    // Relative inputs are relative to cwd; kept unnormalized so that "src/../../x" stays
    // relative to the anchor it was reached from (PathAnchors::portable_path).
    std::string raw = in.empty() || in[0] == '/' ? in : cwd + "/" + in;
    if (auto s = add(raw, absolute_path(in, cwd)); !s) return s.error();
  }
  if (traced) {
    for (const auto& f : traced->files)
      if (auto s = add(f.raw_path, f.path); !s) return s.error();
    for (const auto& a : traced->absent) ms.absent.push_back(anchors.portable_path(a));
  }
  std::sort(ss.files.begin(), ss.files.end(), [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  std::sort(ms.files.begin(), ms.files.end(),
            [](const ManifestFile& a, const ManifestFile& b) { return a.path < b.path; });
  std::sort(ms.absent.begin(), ms.absent.end());
  ms.absent.erase(std::unique(ms.absent.begin(), ms.absent.end()), ms.absent.end());
  for (const auto& dir : listing_dirs) {
    auto listing = package_listing(dir);
    if (!listing) return listing.error();
    // A file added or removed while the run could list the dir: the list now may not be the
    // one it saw.
    if (listing->newest_dir_mtime_ns >= compile_start_ns - kClockSlackNs)
      return make_error("a file was added or removed during the run: " + dir);
    ss.listings.push_back({anchors.portable_path(dir), listing->digest});
  }
  std::sort(ss.listings.begin(), ss.listings.end(), [](const DirListing& a, const DirListing& b) { return a.dir < b.dir; });
  ss.listings.erase(std::unique(ss.listings.begin(), ss.listings.end()), ss.listings.end());
  ms.listings = ss.listings;

  std::vector<std::string> env_names;
  for (const auto& e : dep_info.env_deps) env_names.push_back(e.name);
  if (traced) env_names.insert(env_names.end(), traced->env_names.begin(), traced->env_names.end());
  std::sort(env_names.begin(), env_names.end());
  env_names.erase(std::unique(env_names.begin(), env_names.end()), env_names.end());
  for (const auto& n : env_names) {
    // Values are taken from this process's environment (the same one rustc saw), so that a
    // lookup derives the identical source set from the manifest.
    ss.env_deps.push_back({n, env_dep_value(n, anchors)});
    ms.env_names.push_back(n);
  }
  return std::make_pair(std::move(ss), std::move(ms));
}

std::optional<SourceSet> match_manifest(const SourceManifest& manifest, const PathAnchors& anchors,
                                        std::vector<std::string>* mismatches) {
  auto reject = [&](const std::string& path, const char* why) {
    if (mismatches) mismatches->push_back(path + ": " + why);
  };
  // Sets share most of their files: each file is stat'ed (and hashed) at most once per lookup,
  // and a file that rejected one set is checked first in the next (after an edit, the edited
  // file is what every older set differs by).
  std::map<std::string, std::optional<FileStat>> stats;
  std::map<std::string, std::optional<Digest>> digests;
  std::vector<std::string> suspects;  // portable paths that rejected a set
  auto stat_of = [&](const std::string& abs) -> const std::optional<FileStat>& {
    auto it = stats.find(abs);
    if (it == stats.end()) it = stats.emplace(abs, stat_file(abs)).first;
    return it->second;
  };
  // Why `f` does not match the file now at its place (nullptr: it does).
  auto mismatch = [&](const ManifestFile& f) -> const char* {
    std::string abs = anchors.local_path(f.path);
    const auto& st = stat_of(abs);
    if (!st) return "missing";
    if (st->size != f.size) return "size differs";
    // The very file that was hashed (0: its identity was not recorded, always hash).
    if (f.ctime_ns != 0 && same_identity(*st, FileStat{f.size, f.mtime_ns, f.ctime_ns, f.inode, 0})) return nullptr;
    auto it = digests.find(abs);
    if (it == digests.end()) {
      auto d = file_digest(abs, is_build_output(anchors, abs));
      it = digests.emplace(abs, d ? std::optional<Digest>(*d) : std::nullopt).first;
    }
    return it->second && *it->second == f.digest ? nullptr : "content differs";
  };
  auto by_path = [](const ManifestFile& f, const std::string& p) { return f.path < p; };
  // Paths that must stay absent (a PATH search leaves hundreds): checked once per lookup,
  // and after the files, which reject an outdated set sooner.
  std::map<std::string, bool> exists;
  auto now_exists = [&](const std::string& portable) {
    auto it = exists.find(portable);
    if (it == exists.end()) it = exists.emplace(portable, path_exists(anchors.local_path(portable))).first;
    return it->second;
  };
  // A listed dir (a build script's package: a whole workspace for ripgrep) is walked once per
  // lookup, not once per set.
  std::map<std::string, std::optional<Digest>> listings;
  auto listing_of = [&](const std::string& portable) -> const std::optional<Digest>& {
    auto it = listings.find(portable);
    if (it == listings.end()) {
      auto l = package_listing(anchors.local_path(portable));
      it = listings.emplace(portable, l ? std::optional<Digest>(l->digest) : std::nullopt).first;
    }
    return it->second;
  };
  for (const auto& set : manifest.sets) {
    bool ok = true;
    for (const auto& sp : suspects) {  // set.files is sorted by path
      auto it = std::lower_bound(set.files.begin(), set.files.end(), sp, by_path);
      if (it == set.files.end() || it->path != sp) continue;
      if (const char* why = mismatch(*it)) {
        reject(it->path, why);
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    SourceSet ss;
    for (const auto& f : set.files) {
      if (const char* why = mismatch(f)) {
        reject(f.path, why);
        suspects.push_back(f.path);
        ok = false;
        break;
      }
      ss.files.push_back({f.path, f.digest});
    }
    if (!ok) continue;
    for (const auto& a : set.absent) {
      if (now_exists(a)) {
        reject(a, "now exists");
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    for (const auto& l : set.listings) {
      const auto& now = listing_of(l.dir);
      if (!now || *now != l.digest) {
        reject(l.dir, now ? "file list differs" : "missing");
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    ss.listings = set.listings;
    for (const auto& n : set.env_names) ss.env_deps.push_back({n, env_dep_value(n, anchors)});
    return ss;
  }
  return std::nullopt;
}

}  // namespace kiln

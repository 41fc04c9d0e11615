// `cargo kiln package [--bin NAME] [--profile P | --release] [--features F] [--base IMAGE]
// [--tag T] [--output FILE] [--push oci://host/repo:tag] [--container] [-v]` builds a binary
// through kiln and packages it as an OCI image archive (package/); `kiln package ls` lists
// what was packaged. The binary, the base and the package's settings
// (`[package.metadata.kiln.package]`) make a fingerprint: when it is unchanged, the last
// archive is reused. Each packaged artifact is recorded as <store>/package/artifacts/NAME.json.
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/bin_target.h"
#include "cli/commands.h"

#include "config/config.h"
#include "package/base_layers.h"
#include "package/binary_check.h"
#include "package/oci_image.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/text.h"

namespace kiln {
namespace {

constexpr int kPackageError = 1;

void say(const std::string& line) { write_all(2, "kiln: " + line + "\n"); }

int fail(const std::string& message) {
  write_all(2, "kiln: error: " + message + "\n");
  return kPackageError;
}

struct Options {
  std::string bin, profile = "dev", features, base, tag, output, push;
  bool container = false, verbose = false, all_features = false, no_default_features = false;
};

// A binary target of a workspace member.
std::vector<std::string> string_list(const nlohmann::json& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.get<std::string>());
  else if (v.is_array())
    for (const auto& e : v) {
      if (e.is_string()) out.push_back(e.get<std::string>());
      else if (e.is_number_integer()) out.push_back(std::to_string(e.get<int64_t>()));
    }
  return out;
}

std::string profile_dir(const std::string& profile) {
  if (profile == "dev" || profile == "test") return "debug";
  if (profile == "bench") return "release";
  return profile;
}

std::string git_in(const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git", "-C", dir};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_process(argv);
  return r && r->exit_code == 0 ? trim_end(r->stdout_data) : "";
}

std::string artifacts_dir(const Config& cfg) { return cfg.dir + "/package/artifacts"; }

int run_package(const Options& o) {
  Config cfg = load_config();
  // 1. The binary target, from cargo's metadata.
  auto found = find_bin_target(o.bin);
  if (!found) return fail(found.error().message == "this workspace has no binary target"
                              ? "this workspace has no binary target to package"
                              : found.error().message);
  const BinTarget* target = &*found;
  const nlohmann::json& m = found->metadata;
  const std::string name = target->name;
  const nlohmann::json& pkg = target->package;
  std::string version = pkg.value("version", "0.0.0");
  std::string pkg_dir = dir_name(pkg.value("manifest_path", ""));
  nlohmann::json settings_table = nlohmann::json::object();
  if (pkg.contains("metadata") && pkg["metadata"].is_object() && pkg["metadata"].contains("kiln") &&
      pkg["metadata"]["kiln"].is_object() && pkg["metadata"]["kiln"].contains("package"))
    settings_table = pkg["metadata"]["kiln"]["package"];
  std::string tag = !o.tag.empty() ? o.tag : name + ":" + version;
  std::string base_ref = !o.base.empty() ? o.base : settings_table.value("base", cfg.container_base_image);
  std::string target_dir = m.value("target_directory", "target");
  std::string output = !o.output.empty() ? absolute_path(o.output, current_dir())
                                         : target_dir + "/kiln-package/" + name + "-" + version + ".oci.tar";

  // 2. Build it through kiln (in the toolchain container with --container).
  std::vector<std::string> build = {"build", "--bin", name, "-p", pkg.value("name", name), "--profile", o.profile};
  if (!o.features.empty()) build.insert(build.end(), {"--features", o.features});
  if (o.all_features) build.push_back("--all-features");
  if (o.no_default_features) build.push_back("--no-default-features");
  if (o.verbose) build.push_back("-v");
  int rc = o.container ? run_cargo_in_container("", build) : run_cargo_subcommand(build);
  if (rc != 0) return fail("the build of " + name + " failed (exit " + std::to_string(rc) + ")");
  std::string binary = target_dir + "/" + profile_dir(o.profile) + "/" + name;
  auto binary_digest = sha256_file(binary);
  if (!binary_digest) return fail("no binary at " + binary + " after the build");

  // 3. The base, the files and the settings.
  auto base = load_base_image(base_ref, cfg, cfg.dir + "/package/bases", say);
  if (!base) return fail(base.error().message);
  std::vector<ImageFile> files = {{binary, "/usr/local/bin/" + name, 0755}};
  for (const auto& f : settings_table.value("files", nlohmann::json::array())) {
    std::string src, dest;
    unsigned mode = 0644;
    if (f.is_string()) {
      std::string s = f.get<std::string>();
      size_t c = s.find(':');
      if (c == std::string::npos) return fail("[package.metadata.kiln.package] files: \"" + s + "\" is not \"SOURCE:DEST\"");
      src = s.substr(0, c);
      dest = s.substr(c + 1);
    } else if (f.is_object()) {
      src = f.value("src", "");
      dest = f.value("dest", "");
      if (f.contains("mode") && f["mode"].is_string()) mode = static_cast<unsigned>(std::stoul(f["mode"].get<std::string>(), nullptr, 8));
    }
    if (src.empty() || dest.empty() || dest[0] != '/')
      return fail("[package.metadata.kiln.package] files: each needs a source and an absolute destination");
    src = absolute_path(src, pkg_dir);
    if (!path_exists(src)) return fail("[package.metadata.kiln.package] files: " + src + " does not exist");
    files.push_back({src, dest, mode});
  }
  if (settings_table.value("ca-certificates", false)) {
    const char* bundle = "/etc/ssl/certs/ca-certificates.crt";
    if (!path_exists(bundle)) return fail("ca-certificates = true, but the host has no " + std::string(bundle));
    files.push_back({bundle, bundle, 0644});
  }
  ImageSettings s;
  s.entrypoint = settings_table.contains("entrypoint") ? string_list(settings_table["entrypoint"])
                                                       : std::vector<std::string>{"/usr/local/bin/" + name};
  if (settings_table.contains("cmd")) s.cmd = string_list(settings_table["cmd"]);
  if (settings_table.contains("env") && settings_table["env"].is_object())
    for (const auto& [k, v] : settings_table["env"].items()) s.env.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  s.workdir = settings_table.value("workdir", "");
  s.user = settings_table.value("user", "");
  if (settings_table.contains("ports")) s.ports = string_list(settings_table["ports"]);
  if (settings_table.contains("labels") && settings_table["labels"].is_object())
    for (const auto& [k, v] : settings_table["labels"].items()) s.labels[k] = v.is_string() ? v.get<std::string>() : v.dump();

  int64_t epoch = 0;
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde && *sde) epoch = std::atoll(sde);
  else if (std::string t = git_in(pkg_dir, {"log", "-1", "--format=%ct"}); !t.empty()) epoch = std::atoll(t.c_str());
  std::string toolchain;
  if (auto v = run_process({"rustc", "-V"}); v && v->exit_code == 0) toolchain = trim_end(v->stdout_data);

  // 4. The fingerprint: binary, base, files, settings, time, name.
  Sha256 fp;
  fp.field("kiln-package-v2");  // bumped whenever what kiln writes changes
  fp.field(binary_digest->hex());
  fp.field(base->id);
  for (size_t i = 0; i < files.size(); ++i) {  // files[0] is the binary, hashed above
    auto d = i == 0 ? Result<Digest>(*binary_digest) : sha256_file(files[i].source);
    fp.field(files[i].dest + ":" + std::to_string(files[i].mode) + ":" + (d ? d->hex() : ""));
  }
  fp.field(settings_table.dump());
  fp.field(std::to_string(epoch));
  fp.field(tag);
  fp.field(o.profile + "|" + o.features + "|" + toolchain);
  std::string fingerprint = fp.finish().hex();

  std::string record_path = artifacts_dir(cfg) + "/" + name + ".json";
  if (o.push.empty()) {
    if (auto text = read_file(record_path)) {
      auto rec = nlohmann::json::parse(*text, nullptr, false);
      if (!rec.is_discarded() && rec.value("fingerprint", "") == fingerprint && rec.value("output", "") == output) {
        auto have = sha256_file(output);
        if (have && have->hex() == rec.value("archive_sha256", "")) {
          say(name + " is unchanged (fingerprint " + fingerprint.substr(0, 12) + "): reusing " + output);
          write_all(1, rec.value("digest", "") + "\n");
          return 0;
        }
      }
    }
  }

  auto needs = read_binary_needs(binary);
  if (!needs) return fail(needs.error().message);
  if (auto st = check_binary_runs_on(name, *needs, *base); !st) return fail(st.error().message);
  s.labels["org.opencontainers.image.title"] = name;
  s.labels["org.opencontainers.image.version"] = version;
  s.labels["org.opencontainers.image.revision"] = git_in(pkg_dir, {"rev-parse", "HEAD"});
  s.labels["org.opencontainers.image.source"] = pkg.value("repository", nlohmann::json("")).is_string()
                                                    ? pkg.value("repository", nlohmann::json("")).get<std::string>()
                                                    : "";
  s.labels["org.opencontainers.image.created"] = rfc3339(epoch);
  s.labels["dev.kiln.crate"] = pkg.value("name", name);
  s.labels["dev.kiln.profile"] = o.profile;
  s.labels["dev.kiln.features"] = o.features;
  s.labels["dev.kiln.toolchain"] = toolchain;
  s.labels["dev.kiln.fingerprint"] = fingerprint;

  // 5. The image, the archive, the push.
  std::string work = cfg.dir + "/package/work/" + name + "-" + std::to_string(::getpid());
  struct Cleanup {
    std::string dir;
    ~Cleanup() { (void)remove_all(dir); }
  } cleanup{work};
  auto img = build_oci_image(*base, files, s, epoch, work);
  if (!img) return fail(img.error().message);
  if (auto st = make_dirs(dir_name(output)); !st) return fail("cannot write " + output + ": " + st.error().message);
  if (auto st = write_oci_archive(*img, tag, epoch, output); !st) return fail("cannot write " + output + ": " + st.error().message);
  say("packaged " + name + " " + version + " as " + tag + " (" + img->manifest_digest + ") in " + output);
  if (!o.push.empty()) {
    auto pushed = push_oci_image(*img, o.push, tag.substr(tag.rfind(':') + 1), cfg);
    if (!pushed) return fail(pushed.error().message);
    say("pushed " + pushed->digest + " to " + o.push + ": " + std::to_string(pushed->uploaded) + " blobs uploaded, " +
        std::to_string(pushed->skipped) + " already there");
  }
  auto archive_sha = sha256_file(output);
  nlohmann::json rec = {{"name", name},
                        {"crate", pkg.value("name", name)},
                        {"version", version},
                        {"tag", tag},
                        {"output", output},
                        {"digest", img->manifest_digest},
                        {"archive_sha256", archive_sha ? archive_sha->hex() : ""},
                        {"fingerprint", fingerprint},
                        {"base", base_ref},
                        {"profile", o.profile},
                        {"features", o.features},
                        {"toolchain", toolchain},
                        {"binary_sha256", binary_digest->hex()},
                        {"created", rfc3339(epoch)},
                        {"pushed", o.push}};
  if (make_dirs(artifacts_dir(cfg))) (void)write_file_atomic(record_path, rec.dump(2) + "\n");
  write_all(1, img->manifest_digest + "\n");
  return 0;
}

}  // namespace

int run_package_command(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* flag, std::string& out) {
      std::string f = flag;
      if (a == f && i + 1 < args.size()) {
        out = args[++i];
        return true;
      }
      if (a.rfind(f + "=", 0) == 0) {
        out = a.substr(f.size() + 1);
        return true;
      }
      return false;
    };
    if (value("--bin", o.bin) || value("--profile", o.profile) || value("--features", o.features) ||
        value("--base", o.base) || value("--tag", o.tag) || value("--output", o.output) || value("--push", o.push) ||
        value("-F", o.features))
      continue;
    if (a == "--release" || a == "-r") o.profile = "release";
    else if (a == "--container") o.container = true;
    else if (a == "--all-features") o.all_features = true;
    else if (a == "--no-default-features") o.no_default_features = true;
    else if (a == "-v" || a == "--verbose") o.verbose = true;
    else if (a == "-h" || a == "--help") {
      write_all(1,
                "Build a binary through kiln and package it as an OCI image archive.\n\n"
                "Usage: cargo kiln package [--bin NAME] [--profile P | --release] [--features F] [--base IMAGE]\n"
                "                          [--tag T] [--output FILE] [--push oci://host:port/repo:tag] [--container]\n"
                "       kiln package ls [--json]\n\n"
                "  --base IMAGE  podman/docker image, oci-archive:FILE, docker-archive:FILE, or scratch\n"
                "                (default: container_base_image, kiln-base:bookworm)\n"
                "  --output FILE the archive (default: target/kiln-package/NAME-VERSION.oci.tar)\n"
                "  -v            a verbose build (cargo -v)\n\n"
                "See docs/packaging.md.\n");
      return 0;
    } else {
      return fail("unknown argument " + a + " (cargo kiln package --help)");
    }
  }
  return run_package(o);
}

int run_package_ls_command(bool json) {
  Config cfg = load_config();
  nlohmann::json all = nlohmann::json::array();
  for (const auto& n : list_dir(artifacts_dir(cfg))) {
    if (n.size() < 6 || n.substr(n.size() - 5) != ".json") continue;
    auto text = read_file(artifacts_dir(cfg) + "/" + n);
    if (!text) continue;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_discarded()) all.push_back(j);
  }
  if (json) {
    write_all(1, all.dump(2) + "\n");
    return 0;
  }
  if (all.empty()) {
    write_all(1, "nothing packaged yet (cargo kiln package)\n");
    return 0;
  }
  for (const auto& j : all) {
    char line[1024];
    std::snprintf(line, sizeof line, "%-24s %-12s %-9s %.19s… %s\n", j.value("tag", "").c_str(), j.value("profile", "").c_str(),
                  j.value("created", "").substr(0, 10).c_str(), j.value("digest", "").c_str(), j.value("output", "").c_str());
    write_all(1, line);
  }
  return 0;
}

}  // namespace kiln

// Building, writing and pushing the packaged image (see oci_image.h).
#include "package/oci_image.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "oci/registry_client.h"
#include "store/remote/oci_store.h"
#include "store/remote/remote_url.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/tar_archive.h"

namespace kiln {
namespace {

constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kConfigType = "application/vnd.oci.image.config.v1+json";
constexpr const char* kLayerType = "application/vnd.oci.image.layer.v1.tar+gzip";

// Writes the new layer's tar (gzip or not) at `path`: parent dirs, then files, sorted by path.
Status write_layer(const std::vector<ImageFile>& files, int64_t epoch, const std::string& path, bool gzip) {
  std::map<std::string, const ImageFile*> entries;  // path in the tar → file (nullptr: directory)
  for (const auto& f : files) {
    std::string rel = f.dest.substr(f.dest.find_first_not_of('/'));
    entries[rel] = &f;
    for (std::string d = dir_name(rel); !d.empty() && d != "." && d != "/"; d = dir_name(d))
      if (!entries.count(d)) entries[d] = nullptr;
  }
  auto w = TarWriter::open(path, gzip);
  if (!w) return w.error();
  for (const auto& [rel, f] : entries) {
    Status s = f ? (*w)->add_file_from(rel, f->source, f->mode, epoch) : (*w)->add_dir(rel, 0755, epoch);
    if (!s) return s;
  }
  return (*w)->close();
}

std::string hexof(const std::string& digest) { return digest.substr(7); }

}  // namespace

std::string rfc3339(int64_t epoch) {
  time_t t = static_cast<time_t>(epoch);
  struct tm tm {};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<BuiltImage> build_oci_image(const BaseImage& base, const std::vector<ImageFile>& files,
                                   const ImageSettings& settings, int64_t epoch, const std::string& work_dir) {
  if (auto st = make_dirs(work_dir); !st) return st.error();
  std::string tar = path_join(work_dir, "layer.tar"), gz = path_join(work_dir, "layer.tar.gz");
  if (auto st = write_layer(files, epoch, tar, false); !st) return st.error();
  if (auto st = write_layer(files, epoch, gz, true); !st) return st.error();
  auto diff_id = sha256_file(tar);
  ::unlink(tar.c_str());
  auto layer_digest = sha256_file(gz);
  if (!diff_id || !layer_digest) return make_error("cannot read the new layer back");
  auto layer_size = stat_file(gz);
  BuiltImage img;
  img.layers = base.layers;
  std::string layer_path = path_join(work_dir, layer_digest->hex());
  if (::rename(gz.c_str(), layer_path.c_str()) != 0) return make_error("cannot keep the layer in " + work_dir);
  img.layers.push_back({kLayerType, "sha256:" + layer_digest->hex(), static_cast<int64_t>(layer_size->size), layer_path});

  nlohmann::json c = base.config;
  std::string created = rfc3339(epoch);
  c["created"] = created;
  if (!c.contains("architecture")) c["architecture"] = "amd64";
  if (!c.contains("os")) c["os"] = "linux";
  c.erase("container");
  c.erase("container_config");
  c.erase("docker_version");
  nlohmann::json& cc = c["config"];
  if (!cc.is_object()) cc = nlohmann::json::object();
  if (!settings.entrypoint.empty()) cc["Entrypoint"] = settings.entrypoint;
  if (!settings.cmd.empty() || !settings.entrypoint.empty()) cc["Cmd"] = settings.cmd;
  if (cc.contains("Cmd") && cc["Cmd"].empty()) cc.erase("Cmd");
  {
    std::vector<std::string> env = cc.contains("Env") && cc["Env"].is_array() ? cc["Env"].get<std::vector<std::string>>()
                                                                              : std::vector<std::string>{};
    bool has_path = std::any_of(env.begin(), env.end(), [](const std::string& e) { return e.rfind("PATH=", 0) == 0; });
    if (!has_path) env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for (const auto& e : settings.env) {
      std::string name = e.substr(0, e.find('='));
      env.erase(std::remove_if(env.begin(), env.end(), [&](const std::string& x) { return x.substr(0, x.find('=')) == name; }),
                env.end());
      env.push_back(e);
    }
    cc["Env"] = env;
  }
  if (!settings.workdir.empty()) cc["WorkingDir"] = settings.workdir;
  if (!settings.user.empty()) cc["User"] = settings.user;
  for (const auto& p : settings.ports)
    cc["ExposedPorts"][p.find('/') == std::string::npos ? p + "/tcp" : p] = nlohmann::json::object();
  for (const auto& [k, v] : settings.labels) cc["Labels"][k] = v;
  c["rootfs"]["type"] = "layers";
  if (!c["rootfs"].contains("diff_ids")) c["rootfs"]["diff_ids"] = nlohmann::json::array();
  c["rootfs"]["diff_ids"].push_back("sha256:" + diff_id->hex());
  if (!c.contains("history")) c["history"] = nlohmann::json::array();
  c["history"].push_back({{"created", created}, {"created_by", "kiln package"}});
  img.config_json = c.dump();
  img.config_digest = "sha256:" + sha256(img.config_json).hex();
  img.config_path = path_join(work_dir, hexof(img.config_digest));
  if (auto st = write_file_atomic(img.config_path, img.config_json); !st) return st.error();

  nlohmann::json m = {{"schemaVersion", 2},
                      {"mediaType", kManifestType},
                      {"config", {{"mediaType", kConfigType}, {"digest", img.config_digest},
                                  {"size", static_cast<int64_t>(img.config_json.size())}}},
                      {"layers", nlohmann::json::array()}};
  for (const auto& l : img.layers) m["layers"].push_back({{"mediaType", l.media_type}, {"digest", l.digest}, {"size", l.size}});
  img.manifest_json = m.dump();
  img.manifest_digest = "sha256:" + sha256(img.manifest_json).hex();
  return img;
}

Status write_oci_archive(const BuiltImage& image, const std::string& tag, int64_t epoch, const std::string& output) {
  std::string part = output + ".part";
  Status result = [&]() -> Status {
    auto w = TarWriter::open(part, false);
    if (!w) return w.error();
    std::map<std::string, std::pair<std::string, std::string>> blobs;  // hex → (file, or inline data)
    for (const auto& l : image.layers) blobs[hexof(l.digest)] = {l.path, ""};
    blobs[hexof(image.config_digest)] = {"", image.config_json};
    blobs[hexof(image.manifest_digest)] = {"", image.manifest_json};
    if (auto s = (*w)->add_dir("blobs", 0755, epoch); !s) return s;
    if (auto s = (*w)->add_dir("blobs/sha256", 0755, epoch); !s) return s;
    for (const auto& [hex, src] : blobs) {
      std::string p = "blobs/sha256/" + hex;
      Status s = src.first.empty() ? (*w)->add_file(p, src.second, 0644, epoch) : (*w)->add_file_from(p, src.first, 0644, epoch);
      if (!s) return s;
    }
    nlohmann::json index = {
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.oci.image.index.v1+json"},
        {"manifests",
         {{{"mediaType", kManifestType},
           {"digest", image.manifest_digest},
           {"size", static_cast<int64_t>(image.manifest_json.size())},
           {"annotations", {{"org.opencontainers.image.ref.name", tag}}}}}}};
    nlohmann::json docker = nlohmann::json::array();
    nlohmann::json entry = {{"Config", "blobs/sha256/" + hexof(image.config_digest)}, {"RepoTags", {tag}}, {"Layers", nlohmann::json::array()}};
    for (const auto& l : image.layers) entry["Layers"].push_back("blobs/sha256/" + hexof(l.digest));
    docker.push_back(entry);
    if (auto s = (*w)->add_file("index.json", index.dump(), 0644, epoch); !s) return s;
    if (auto s = (*w)->add_file("manifest.json", docker.dump(), 0644, epoch); !s) return s;
    if (auto s = (*w)->add_file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})", 0644, epoch); !s) return s;
    if (auto s = (*w)->close(); !s) return s;
    if (::rename(part.c_str(), output.c_str()) != 0) return make_error("cannot write " + output);
    return {};
  }();
  if (!result) ::unlink(part.c_str());
  return result;
}

Result<PushReport> push_oci_image(const BuiltImage& image, const std::string& url_text, const std::string& default_tag,
                                  const Config& cfg) {
  // oci://host:port/repo[:tag]: the tag is after the last ':' of the path.
  std::string text = url_text, tag = default_tag;
  size_t path_start = text.find('/', text.find("://") == std::string::npos ? 0 : text.find("://") + 3);
  size_t q = text.find('?');
  std::string query = q == std::string::npos ? "" : text.substr(q);
  if (q != std::string::npos) text = text.substr(0, q);
  size_t colon = text.rfind(':');
  if (path_start != std::string::npos && colon != std::string::npos && colon > path_start) {
    tag = text.substr(colon + 1);
    text = text.substr(0, colon);
  }
  auto url = parse_remote_url(text + query);
  if (!url || url->scheme != "oci" || url->path.size() < 2)
    return make_error("--push takes oci://host[:port]/repository[:tag], not " + url_text);
  auto address = oci_address(*url);
  if (!address) return make_error("--push " + url_text + ": " + address.error().message);
  RegistryClient client(address->origin, address->repository, url->has_credentials ? url->user : cfg.remote_username,
                        url->has_credentials ? url->password : cfg.remote_password,
                        RegistryOptions{std::max(cfg.remote_timeout_ms, 60000), cfg.remote_ca_bundle, cfg.dir + "/remote-auth"});
  PushReport report;
  std::vector<std::pair<std::string, std::string>> blobs;  // digest, file
  for (const auto& l : image.layers) blobs.push_back({l.digest, l.path});
  blobs.push_back({image.config_digest, image.config_path});
  for (const auto& [digest, file] : blobs) {
    auto d = Digest::from_hex(hexof(digest));
    if (!d) return make_error("bad digest " + digest);
    auto have = client.has_blob(*d, OciAccess::Push);
    if (!have) return make_error("push to " + url->name() + ": " + have.error().message);
    if (*have) {
      ++report.skipped;
      continue;
    }
    auto data = read_file(file);
    if (!data) return data.error();
    if (auto st = client.upload_blob(*d, *data); !st) return make_error("push to " + url->name() + ": " + st.error().message);
    ++report.uploaded;
  }
  if (auto st = client.put_manifest(tag, image.manifest_json, kManifestType); !st)
    return make_error("push to " + url->name() + ": " + st.error().message);
  report.digest = image.manifest_digest;
  return report;
}

}  // namespace kiln

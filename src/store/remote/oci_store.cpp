// OCI registry store over libcurl (see oci_store.h).
#include "store/remote/oci_store.h"

#include <ctime>

#include "oci/registry_client.h"

#include <cstdlib>
#include <cstring>
#include <set>
#include <nlohmann/json.hpp>

#include "store/remote/health.h"
#include "store/remote/wire_compression.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/log.h"

namespace kiln {
namespace {

constexpr size_t kMaxManifestBytes = 4ull << 20;  // distribution's own manifest limit
constexpr size_t kMaxBlobBytes = 4ull << 30;
constexpr size_t kMaxInlineLayer = 16ull << 10;   // embed action layers up to this size
constexpr uint64_t kMaxNamesLogBytes = 16ull << 20;  // a layer-name log is trimmed above this
constexpr size_t kNamesLogKeepLines = 50000;            // to its last lines
constexpr const char* kEmptyJson = "{}";
constexpr const char* kEmptyDigestHex = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// "http(s)://host[:port]" of a registry URL.
std::string origin_of(const RemoteUrl& url, bool tls) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  return std::string(tls ? "https" : "http") + "://" + host + (url.port ? ":" + std::to_string(url.port) : "");
}

// "sha256:<64 hex>" → Digest.
Result<Digest> parse_oci_digest(const std::string& text) {
  if (text.rfind("sha256:", 0) != 0) return make_error("unsupported digest " + text);
  return Digest::from_hex(std::string_view(text).substr(7));
}

// One path component of a repository name: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool valid_component(std::string_view c) {
  if (c.empty()) return false;
  auto alnum = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); };
  size_t i = 0;
  while (i < c.size()) {
    if (!alnum(c[i])) return false;
    while (i < c.size() && alnum(c[i])) ++i;
    if (i == c.size()) return true;
    // A separator: ".", "_", "__" or one or more "-", then more alphanumerics.
    if (c[i] == '.') ++i;
    else if (c[i] == '_') i += (i + 1 < c.size() && c[i + 1] == '_') ? 2 : 1;
    else if (c[i] == '-') while (i < c.size() && c[i] == '-') ++i;
    else return false;
    if (i == c.size()) return false;
  }
  return true;
}

}  // namespace

bool valid_oci_repository(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  size_t start = 0;
  while (true) {
    size_t slash = name.find('/', start);
    if (!valid_component(name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start)))
      return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

std::string make_action_manifest(const ActionResult& result, std::string_view layer_bytes,
                                 const std::map<Digest, OciWireLayer>& compressed) {
  const EntryMeta& meta = result.meta;
  nlohmann::ordered_json layer = {
      {"mediaType", kKilnActionLayerMediaType},
      {"digest", "sha256:" + sha256(layer_bytes).hex()},
      {"size", layer_bytes.size()},
  };
  if (layer_bytes.size() <= kMaxInlineLayer) layer["data"] = base64_encode(layer_bytes);
  auto layers = nlohmann::ordered_json::array({layer});
  std::set<Digest> listed;
  for (const auto& f : result.output_files) {
    if (!listed.insert(f.digest).second) continue;
    size_t slash = f.path.rfind('/');
    std::string title = f.path.substr(slash == std::string::npos ? 0 : slash + 1);
    if (auto z = compressed.find(f.digest); z != compressed.end()) {
      layers.push_back({
          {"mediaType", kKilnOutputZstdMediaType},
          {"digest", "sha256:" + z->second.frame_digest.hex()},
          {"size", z->second.frame_size},
          {"annotations",
           {{"org.opencontainers.image.title", title}, {kKilnContentDigestAnnotation, "sha256:" + f.digest.hex()}}},
      });
      continue;
    }
    layers.push_back({
        {"mediaType", kKilnOutputMediaType},
        {"digest", "sha256:" + f.digest.hex()},
        {"size", f.size},
        {"annotations", {{"org.opencontainers.image.title", title}}},
    });
  }
  nlohmann::ordered_json annotations = {{"dev.kiln.kind", std::string(entry_kind_name(meta.kind))}};
  if (!meta.crate_name.empty()) annotations["dev.kiln.crate"] = meta.crate_name + " " + meta.crate_type;
  if (!meta.package.empty()) annotations["dev.kiln.package"] = meta.package;
  nlohmann::ordered_json m = {
      {"schemaVersion", 2},
      {"mediaType", kOciManifestMediaType},
      {"artifactType", kKilnActionArtifactType},
      {"config",
       {{"mediaType", kOciEmptyMediaType}, {"digest", std::string("sha256:") + kEmptyDigestHex}, {"size", 2}, {"data", "e30="}}},
      {"layers", layers},
      {"annotations", annotations},
  };
  // Crate names are ASCII; replace anything else rather than throw on invalid UTF-8.
  return m.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<std::optional<OciActionLayer>> parse_action_manifest(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("manifest is not a JSON object");
  auto str = [](const nlohmann::json& o, const char* k) -> std::string {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : "";
  };
  std::string artifact_type = str(j, "artifactType");
  if (artifact_type.empty() && j.contains("config") && j["config"].is_object()) artifact_type = str(j["config"], "mediaType");
  if (artifact_type != kKilnActionArtifactType) return std::optional<OciActionLayer>{};
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array() || layers->empty()) return std::optional<OciActionLayer>{};
  OciActionLayer out;
  for (size_t i = 0; i < layers->size(); ++i) {
    const auto& d = (*layers)[i];
    if (!d.is_object()) return std::optional<OciActionLayer>{};
    std::string media = str(d, "mediaType");
    if (i == 0 ? media != kKilnActionLayerMediaType : media != kKilnOutputMediaType && media != kKilnOutputZstdMediaType)
      return std::optional<OciActionLayer>{};
    if (media == kKilnOutputMediaType) {
      if (auto raw = parse_oci_digest(str(d, "digest"))) out.raw.insert(*raw);
      continue;
    }
    if (media != kKilnOutputZstdMediaType) continue;
    auto frame = parse_oci_digest(str(d, "digest"));
    if (!frame) return make_error("layer digest: " + frame.error().message);
    auto ann = d.find("annotations");
    auto content = parse_oci_digest(ann != d.end() && ann->is_object() ? str(*ann, kKilnContentDigestAnnotation) : "");
    if (!content) return make_error("zstd layer without its content digest");
    auto size = d.find("size");
    out.compressed[*content] = {*frame, size != d.end() && size->is_number_integer() ? size->get<int64_t>() : 0};
  }
  const auto& l = (*layers)[0];
  auto d = parse_oci_digest(str(l, "digest"));
  if (!d) return make_error("layer digest: " + d.error().message);
  out.digest = *d;
  auto size = l.find("size");
  if (size == l.end() || !size->is_number_integer() || size->get<int64_t>() < 0) return make_error("layer without a size");
  out.size = size->get<int64_t>();
  if (l.contains("data")) {
    auto bytes = base64_decode(str(l, "data"));
    if (!bytes) return make_error("layer data: " + bytes.error().message);
    if (static_cast<int64_t>(bytes->size()) != out.size || sha256(*bytes) != out.digest)
      return make_error("embedded layer data does not match its digest");
    out.data = std::move(*bytes);
  }
  return std::optional<OciActionLayer>(std::move(out));
}

Result<OciAddress> oci_address(const RemoteUrl& url) {
  if (url.scheme != "oci") return make_error("not an oci:// URL: " + url.name());
  std::string repository = url.path.empty() ? "" : url.path.substr(1);
  if (!valid_oci_repository(repository))
    return make_error("bad OCI repository name \"" + repository + "\" in " + url.name() +
                      " (lowercase letters, digits, . _ - separators, / between components)");
  bool tls = !is_loopback(url.host);
  for (const auto& [k, v] : url.query) {
    if (k != "tls") return make_error("unknown parameter ?" + k + " in " + url.name() + " (known: tls=on|off)");
    if (v == "on" || v == "1" || v == "true") tls = true;
    else if (v == "off" || v == "0" || v == "false") tls = false;
    else return make_error("?tls=" + v + " in " + url.name() + ": expected on or off");
  }
  return OciAddress{origin_of(url, tls), repository};
}

Result<std::unique_ptr<OciStore>> OciStore::create(const RemoteUrl& url, const OciOptions& options) {
  auto address = oci_address(url);
  if (!address) return address.error();
  return std::unique_ptr<OciStore>(new OciStore(url, options, *address));
}

OciStore::OciStore(const RemoteUrl& url, const OciOptions& options, const OciAddress& address)
    : name_(url.name()),
      client_(address.origin, address.repository, url.has_credentials ? url.user : options.username,
              url.has_credentials ? url.password : options.password,
              RegistryOptions{options.timeout_ms, options.ca_bundle, options.auth_cache_dir}),
      compress_(options.compress) {
  if (!options.layer_names_dir.empty())
    names_log_ = options.layer_names_dir + "/" + sha256(client_.api_base()).hex().substr(0, 32);
}

void OciStore::remember(const Digest& content, const OciWireLayer& layer, bool persist) {
  bool news;
  if (layer.frame_digest == content) {
    news = raw_named_.insert(content).second;
    compressed_.erase(content);
  } else {
    auto [it, inserted] = compressed_.try_emplace(content, layer);
    news = inserted || it->second.frame_digest != layer.frame_digest;
    it->second = layer;
    raw_named_.erase(content);
  }
  if (!news || !persist || names_log_.empty()) return;
  std::string line = content.hex() + " " + layer.frame_digest.hex() + " " + std::to_string(layer.frame_size) + "\n";
  if (!append_record(names_log_, line, kMaxNamesLogBytes, kNamesLogKeepLines)) {
    (void)make_dirs(dir_name(names_log_));
    (void)append_record(names_log_, line, kMaxNamesLogBytes, kNamesLogKeepLines);
  }
}

bool OciStore::knows_blob_name(const Digest& digest) const {
  return !compress_ || compressed_.count(digest) || raw_named_.count(digest);
}

void OciStore::learn_wire_names(const WireNames& names) {
  for (const auto& [content, blob] : names) {
    if (compressed_.count(content) || raw_named_.count(content)) continue;  // what we saw ourselves wins
    remember(content, OciWireLayer{blob.digest, blob.size}, false);
  }
}

WireNames OciStore::known_wire_names() {
  WireNames out;
  if (!names_log_.empty())
    if (auto log = read_file(names_log_)) {
      std::string_view text = *log;
      while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        // "<64 hex> <64 hex> <size>"; anything else (a torn or foreign line) is skipped.
        if (line.size() < 131 || line[64] != ' ' || line[129] != ' ') continue;
        auto content = Digest::from_hex(line.substr(0, 64));
        auto layer = Digest::from_hex(line.substr(65, 64));
        int64_t size = 0;
        for (char c : line.substr(130)) size = c >= '0' && c <= '9' ? size * 10 + (c - '0') : -1;
        if (!content || !layer || size < 0) continue;
        out[*content] = WireBlob{*layer, size};  // later lines win
      }
    }
  for (const auto& [content, layer] : compressed_) out[content] = WireBlob{layer.frame_digest, layer.frame_size};
  for (const auto& content : raw_named_) out[content] = WireBlob{content, 0};
  return out;
}

OciStore::~OciStore() = default;

Result<bool> OciStore::has_blob(const Digest& digest) {
  if (auto z = compressed_.find(digest); z != compressed_.end()) return client_.has_blob(z->second.frame_digest);
  auto have = client_.has_blob(digest);
  if (have && !*have) seen_absent_.insert(digest);
  return have;
}

Result<std::optional<std::string>> OciStore::get_blob(const Digest& digest) { return content_of(fetch_blob(digest)); }

Result<std::optional<FetchedBlob>> OciStore::fetch_blob(const Digest& digest) {
  auto z = compressed_.find(digest);
  if (z == compressed_.end()) {
    auto raw = client_.get_blob(digest, kMaxBlobBytes);  // checked against the digest
    if (!raw) return raw.error();
    if (!*raw) return std::optional<FetchedBlob>{};
    wire_.down += (*raw)->size();
    return std::optional<FetchedBlob>(FetchedBlob{std::move(**raw), {}});
  }
  // The frame is not hashed: its content is, against the digest asked for (which is what
  // makes a blob trusted), and a damaged frame fails that check or decompression.
  auto frame = client_.get_blob(z->second.frame_digest, kMaxBlobBytes, false);
  if (!frame) return frame.error();
  if (!*frame) return std::optional<FetchedBlob>{};
  wire_.down += (*frame)->size();
  auto content = decompress_from_wire(**frame, digest);
  if (!content)
    return make_error("GET " + api_base() + "/blobs/sha256:" + z->second.frame_digest.hex() + ": " + content.error().message);
  return std::optional<FetchedBlob>(FetchedBlob{std::move(*content), std::move(**frame)});
}

Status OciStore::put_raw_blob(const Digest& digest, std::string_view data) {
  if (!seen_absent_.erase(digest)) {
    // HEAD with push access: a Bearer registry then hands out one token for the whole upload.
    auto exists = client_.has_blob(digest, OciAccess::Push);
    if (!exists) return exists.error();
    if (*exists) return {};
  }
  Status s = client_.upload_blob(digest, data);
  if (s) wire_.up += data.size();
  return s;
}

Status OciStore::put_blob(const Digest& digest, std::string_view data) {
  if (compress_) {
    if (auto frame = compress_for_wire(data)) {
      OciWireLayer layer{sha256(*frame), static_cast<int64_t>(frame->size())};
      if (Status s = put_raw_blob(layer.frame_digest, *frame); !s) return s;
      remember(digest, layer, true);
      return {};
    }
  }
  Status s = put_raw_blob(digest, data);
  if (s && compress_) remember(digest, OciWireLayer{digest, static_cast<int64_t>(data.size())}, true);
  return s;
}

Result<std::optional<ActionResult>> OciStore::get_action(const Digest& key) {
  std::string url = client_.api_base() + "/manifests/" + key.hex();
  auto manifest = client_.get_manifest(key.hex(), kOciManifestMediaType, kMaxManifestBytes);
  if (!manifest) return manifest.error();
  if (!*manifest) return std::optional<ActionResult>{};
  wire_.down += (*manifest)->size();
  auto layer = parse_action_manifest(**manifest);
  if (!layer) return make_error("GET " + url + ": bad action manifest (" + layer.error().message + ")");
  if (!*layer) {
    debug("oci: " + url + " is not a kiln action artifact; a miss");
    return std::optional<ActionResult>{};
  }
  for (const auto& [content, wire] : (*layer)->compressed) remember(content, wire, true);
  if (compress_)
    for (const auto& content : (*layer)->raw) remember(content, OciWireLayer{content, 0}, true);
  std::string bytes;
  if ((*layer)->data) {
    bytes = std::move(*(*layer)->data);
  } else {
    auto blob = get_blob((*layer)->digest);
    if (!blob) return blob.error();
    if (!*blob) return std::optional<ActionResult>{};  // manifest without its layer: a miss
    bytes = std::move(**blob);
  }
  auto decoded = ActionResult::decode(bytes);
  if (!decoded) return make_error("GET " + url + ": undecodable action entry (" + decoded.error().message + ")");
  return std::optional<ActionResult>(std::move(*decoded));
}

Result<OciStore::PruneReport> OciStore::prune(int64_t older_than_s) {
  PruneReport report;
  std::vector<std::string> tags;
  for (std::string last;;) {
    HttpRequest r;
    r.url = client_.api_base() + "/tags/list?n=1000" + (last.empty() ? "" : "&last=" + last);
    r.max_bytes = 64 << 20;
    auto resp = client_.call(r, OciAccess::Pull);
    if (!resp) return resp.error();
    if (resp->status == 404) break;  // no repository yet: nothing to prune
    if (resp->status != 200) return make_error(registry_status_error("GET", r.url, resp->status, resp->body));
    auto j = nlohmann::json::parse(resp->body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error("GET " + r.url + ": not a tag list");
    size_t n = 0;
    if (j.contains("tags") && j["tags"].is_array())
      for (const auto& t : j["tags"])
        if (t.is_string()) {
          tags.push_back(t.get<std::string>());
          ++n;
        }
    if (n < 1000) break;
    last = tags.back();
  }
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (const auto& tag : tags) {
    auto key = Digest::from_hex(tag);
    if (tag.size() != 64 || !key) continue;  // not one of kiln's entries
    auto entry = get_action(*key);
    if (!entry || !*entry || (*entry)->meta.created_unix <= 0 || now - (*entry)->meta.created_unix < older_than_s) {
      ++report.kept;
      continue;
    }
    auto manifest = client_.get_manifest(tag, kOciManifestMediaType, kMaxManifestBytes);
    if (!manifest) return manifest.error();
    if (!*manifest) continue;  // gone meanwhile
    HttpRequest del;
    del.method = "DELETE";
    del.url = client_.api_base() + "/manifests/sha256:" + sha256(**manifest).hex();
    auto resp = client_.call(del, OciAccess::Push);
    if (!resp) return resp.error();
    if (resp->status == 405 || (resp->status == 400 && resp->body.find("UNSUPPORTED") != std::string::npos))
      return make_error("DELETE " + del.url + ": the registry does not allow deletes (docker-registry: "
                        "REGISTRY_STORAGE_DELETE_ENABLED=true / storage.delete.enabled)");
    if (resp->status != 202 && resp->status != 200 && resp->status != 404)
      return make_error(registry_status_error("DELETE", del.url, resp->status, resp->body));
    ++report.removed;
  }
  return report;
}

Status OciStore::put_action(const Digest& key, const ActionResult& result) {
  if (!empty_config_present_) {
    auto empty = Digest::from_hex(kEmptyDigestHex);
    Status s = put_raw_blob(*empty, kEmptyJson);
    if (!s) return s;
    empty_config_present_ = true;
  }
  std::string bytes = result.encode();
  Status s = put_raw_blob(sha256(bytes), bytes);
  if (!s) return s;
  std::string manifest = make_action_manifest(result, bytes, compressed_);
  Status put = client_.put_manifest(key.hex(), manifest, kOciManifestMediaType);
  if (put) wire_.up += manifest.size();
  return put;
}

}  // namespace kiln

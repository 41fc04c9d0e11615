// OCI registry store over libcurl (see oci_store.h).
#include "store/remote/oci_store.h"

#include "util/curl_api.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <nlohmann/json.hpp>

#include "store/remote/health.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/log.h"

namespace kiln {
namespace {

constexpr size_t kMaxManifestBytes = 4ull << 20;  // distribution's own manifest limit
constexpr size_t kMaxBlobBytes = 4ull << 30;
constexpr size_t kMaxInlineLayer = 16ull << 10;   // embed action layers up to this size
constexpr const char* kEmptyJson = "{}";
constexpr const char* kEmptyDigestHex = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

using curl::Download;  // request/response bodies (util/curl_api.h)
using curl::read_body;
using curl::Upload;
using curl::write_body;

struct Headers {
  std::string* location;
  std::string* www_authenticate;
};

// Keeps the headers kiln needs from the last response (a redirect or 100 starts a new one).
size_t read_header(char* buf, size_t size, size_t n, void* user) {
  auto* h = static_cast<Headers*>(user);
  size_t len = size * n;
  std::string_view line(buf, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    h->location->clear();
    h->www_authenticate->clear();
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string name(line.substr(0, colon));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  if (name == "location") *h->location = std::string(value);
  else if (name == "www-authenticate") {
    if (!h->www_authenticate->empty()) *h->www_authenticate += ", ";  // several headers = one list
    *h->www_authenticate += std::string(value);
  }
  return len;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl::global_init(CURL_GLOBAL_DEFAULT); });
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

std::string status_error(const char* method, const std::string& url, long status, const std::string& body) {
  std::string msg = std::string(method) + " " + url + ": HTTP " + std::to_string(status);
  if (status == 400 && url.rfind("http://", 0) == 0 && body.empty())
    msg += " (a TLS registry spoken to in plain HTTP? add ?tls=on to the URL)";
  // Registries explain errors as {"errors":[{"code":…,"message":…}]}.
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
    const auto& e = j["errors"][0];
    if (e.is_object() && e.contains("code") && e["code"].is_string()) msg += " " + e["code"].get<std::string>();
    if (e.is_object() && e.contains("message") && e["message"].is_string()) msg += ": " + e["message"].get<std::string>();
  }
  return msg;
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

std::string make_action_manifest(const ActionResult& result, std::string_view layer_bytes) {
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
    layers.push_back({
        {"mediaType", kKilnOutputMediaType},
        {"digest", "sha256:" + f.digest.hex()},
        {"size", f.size},
        {"annotations", {{"org.opencontainers.image.title", f.path.substr(slash == std::string::npos ? 0 : slash + 1)}}},
    });
  }
  nlohmann::ordered_json annotations = {{"dev.kiln.kind", meta.kind}};
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
  for (size_t i = 0; i < layers->size(); ++i) {
    const auto& d = (*layers)[i];
    if (!d.is_object() || str(d, "mediaType") != (i == 0 ? kKilnActionLayerMediaType : kKilnOutputMediaType))
      return std::optional<OciActionLayer>{};
  }
  const auto& l = (*layers)[0];
  OciActionLayer out;
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

Result<std::unique_ptr<OciStore>> OciStore::create(const RemoteUrl& url, const OciOptions& options) {
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
  return std::unique_ptr<OciStore>(new OciStore(url, options, tls, repository));
}

OciStore::OciStore(const RemoteUrl& url, const OciOptions& options, bool tls, std::string repository)
    : name_(url.name()),
      options_(options),
      tls_(tls),
      auth_(repository, url.has_credentials ? url.user : options.username,
            url.has_credentials ? url.password : options.password, tls) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  origin_ = std::string(tls ? "https" : "http") + "://" + host + (url.port ? ":" + std::to_string(url.port) : "");
  api_ = origin_ + "/v2/" + repository;
  if (options_.timeout_ms <= 0) options_.timeout_ms = 5000;
  if (options_.ca_bundle.empty()) {
    for (const char* var : {"CURL_CA_BUNDLE", "SSL_CERT_FILE"}) {
      const char* v = std::getenv(var);
      if (v && *v) {
        options_.ca_bundle = v;
        break;
      }
    }
  }
  if (!options_.auth_cache_dir.empty()) {
    // One file per registry, repository and credentials (changed credentials start afresh).
    const std::string& user = url.has_credentials ? url.user : options.username;
    const std::string& password = url.has_credentials ? url.password : options.password;
    std::string id = sha256(origin_ + "\n" + repository + "\n" + user + "\n" + password).hex().substr(0, 32);
    auth_.use_cache_file(path_join(options_.auth_cache_dir, id), wall_ns() / 1000000000);
  }
}

OciStore::~OciStore() {
  if (curl_) curl::easy_cleanup(static_cast<CURL*>(curl_));
}

std::string OciStore::blob_url(const Digest& d) const { return api_ + "/blobs/sha256:" + d.hex(); }

Result<OciStore::Response> OciStore::send(const Request& r, const std::string& authorization) {
  if (!curl_) {  // on first use: a hit served locally never loads libcurl (util/curl_api.h)
    global_init();
    curl_ = curl::easy_init();
  }
  auto* c = static_cast<CURL*>(curl_);
  if (!c) return make_error("libcurl could not be initialized" + (curl::api() ? std::string() : ": " + curl::load_error()));
  curl::easy_reset(c);  // keeps the connection cache
  Response resp;
  Upload up{r.body};
  Download down{&resp.body, r.max_bytes, c};
  Headers hdr{&resp.location, &resp.www_authenticate};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  auto timeout = static_cast<long>(options_.timeout_ms);

  curl::easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl::easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl::easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout);
  if (r.blob_transfer) {
    curl::easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl::easy_setopt(c, CURLOPT_LOW_SPEED_TIME, std::max(1L, timeout / 1000));
  } else {
    curl::easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
  }
  curl::easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl::easy_setopt(c, CURLOPT_USERAGENT, "kiln/" KILN_VERSION);
  curl::easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl::easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (!options_.ca_bundle.empty()) curl::easy_setopt(c, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  if (!authorization.empty()) headers = curl::slist_append(headers, ("Authorization: " + authorization).c_str());
  if (!r.accept.empty()) headers = curl::slist_append(headers, ("Accept: " + r.accept).c_str());

  std::string_view method = r.method;
  if (method == "HEAD") {
    curl::easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (method == "GET") {
    // Registries may redirect blob downloads to their storage (S3 and the like); libcurl
    // does not forward our Authorization header to another host.
    curl::easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl::easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  } else if (method == "PUT") {
    curl::easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl::easy_setopt(c, CURLOPT_READFUNCTION, read_body);
    curl::easy_setopt(c, CURLOPT_READDATA, &up);
    curl::easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  } else if (method == "POST") {
    curl::easy_setopt(c, CURLOPT_POST, 1L);
    curl::easy_setopt(c, CURLOPT_POSTFIELDS, r.body.data());
    curl::easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  } else {
    curl::easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method);
  }
  if (method == "PUT" || method == "POST") {
    headers = curl::slist_append(headers, "Expect:");  // no 100-continue round trip
    headers = curl::slist_append(headers, ("Content-Type: " + (r.content_type.empty() ? std::string("application/octet-stream") : r.content_type)).c_str());
  }
  if (headers) curl::easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  // Bodies of error answers are read too, so the connection stays reusable.
  curl::easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
  curl::easy_setopt(c, CURLOPT_WRITEDATA, &down);
  curl::easy_setopt(c, CURLOPT_HEADERFUNCTION, read_header);
  curl::easy_setopt(c, CURLOPT_HEADERDATA, &hdr);

  CURLcode rc = curl::easy_perform(c);
  if (headers) curl::slist_free_all(headers);
  if (rc != CURLE_OK) {
    std::string what = std::string(r.method) + " " + r.url + ": " + (errbuf[0] ? errbuf : curl::easy_strerror(rc));
    if (rc == CURLE_OPERATION_TIMEDOUT) return timeout_error(what);
    if (rc == CURLE_WRITE_ERROR) return make_error(what + " (body larger than " + std::to_string(r.max_bytes) + " bytes)");
    return make_error(what);
  }
  curl::easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

Result<OciStore::Response> OciStore::call(const Request& r, OciAccess access) {
  auto resp = send(r, auth_.header(access));
  if (!resp || resp->status != 401) return resp;
  OciAuth::TokenFetch fetch = [this](const std::string& url, const std::string& authorization) -> Result<OciAuth::TokenAnswer> {
    Request t;
    t.url = url;
    t.max_bytes = 1 << 20;
    auto got = send(t, authorization);
    if (!got) return got.error();
    return OciAuth::TokenAnswer{got->status, std::move(got->body)};
  };
  Status s = auth_.answer(resp->www_authenticate, access, fetch);
  if (!s) return make_error(std::string(r.method) + " " + r.url + ": " + s.error().message);
  resp = send(r, auth_.header(access));
  if (resp && resp->status == 401)
    return make_error(std::string(r.method) + " " + r.url + ": the registry refused the credentials (HTTP 401)");
  return resp;
}

Result<bool> OciStore::has_blob(const Digest& digest) {
  Request r;
  r.method = "HEAD";
  r.url = blob_url(digest);
  auto resp = call(r, OciAccess::Pull);
  if (!resp) return resp.error();
  if (resp->status == 404) {
    seen_absent_.insert(digest);
    return false;
  }
  if (resp->status != 200) return make_error(status_error("HEAD", r.url, resp->status, resp->body));
  return true;
}

Result<std::optional<std::string>> OciStore::get_blob(const Digest& digest) {
  Request r;
  r.url = blob_url(digest);
  r.max_bytes = kMaxBlobBytes;
  r.blob_transfer = true;
  auto resp = call(r, OciAccess::Pull);
  if (!resp) return resp.error();
  if (resp->status == 404) return std::optional<std::string>{};
  if (resp->status != 200) return make_error(status_error("GET", r.url, resp->status, resp->body));
  if (sha256(resp->body) != digest)
    return make_error("GET " + r.url + ": content does not match its digest (" + std::to_string(resp->body.size()) +
                      " bytes)");
  return std::optional<std::string>(std::move(resp->body));
}

Status OciStore::put_blob(const Digest& digest, std::string_view data) {
  if (seen_absent_.erase(digest)) return upload_blob(digest, data);
  // HEAD with push access: a Bearer registry then hands out one token for the whole upload.
  Request head;
  head.method = "HEAD";
  head.url = blob_url(digest);
  auto exists = call(head, OciAccess::Push);
  if (!exists) return exists.error();
  if (exists->status == 200) return {};
  if (exists->status != 404) return make_error(status_error("HEAD", head.url, exists->status, exists->body));
  return upload_blob(digest, data);
}

Status OciStore::upload_blob(const Digest& digest, std::string_view data) {
  Request post;
  post.method = "POST";
  post.url = api_ + "/blobs/uploads/";
  auto started = call(post, OciAccess::Push);
  if (!started) return started.error();
  if (started->status != 202) return make_error(status_error("POST", post.url, started->status, started->body));
  std::string location = started->location;
  if (location.empty()) return make_error("POST " + post.url + ": 202 without a Location");
  if (location.rfind("http://", 0) != 0 && location.rfind("https://", 0) != 0) {
    if (location[0] != '/') return make_error("POST " + post.url + ": unsupported Location " + location);
    location = origin_ + location;
  }
  Request put;
  put.method = "PUT";
  put.url = location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=sha256:" + digest.hex();
  put.body = data;
  put.blob_transfer = true;
  // Our credentials go to the registry only, not to another host it hands the upload to.
  bool same_origin = location.rfind(origin_ + "/", 0) == 0;
  auto done = same_origin ? call(put, OciAccess::Push) : send(put, "");
  if (!done) return done.error();
  if (done->status != 201 && done->status != 204)
    return make_error(status_error("PUT", api_ + "/blobs/uploads/…", done->status, done->body));
  return {};
}

Result<std::optional<ActionResult>> OciStore::get_action(const Digest& key) {
  Request r;
  r.url = api_ + "/manifests/" + key.hex();
  r.accept = kOciManifestMediaType;
  r.max_bytes = kMaxManifestBytes;
  auto resp = call(r, OciAccess::Pull);
  if (!resp) return resp.error();
  if (resp->status == 404) return std::optional<ActionResult>{};
  if (resp->status != 200) return make_error(status_error("GET", r.url, resp->status, resp->body));
  auto layer = parse_action_manifest(resp->body);
  if (!layer) return make_error("GET " + r.url + ": bad action manifest (" + layer.error().message + ")");
  if (!*layer) {
    debug("oci: " + r.url + " is not a kiln action artifact; a miss");
    return std::optional<ActionResult>{};
  }
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
  if (!decoded) return make_error("GET " + r.url + ": undecodable action entry (" + decoded.error().message + ")");
  return std::optional<ActionResult>(std::move(*decoded));
}

Status OciStore::put_action(const Digest& key, const ActionResult& result) {
  if (!empty_config_present_) {
    auto empty = Digest::from_hex(kEmptyDigestHex);
    Status s = put_blob(*empty, kEmptyJson);
    if (!s) return s;
    empty_config_present_ = true;
  }
  std::string bytes = result.encode();
  Status s = put_blob(sha256(bytes), bytes);
  if (!s) return s;
  std::string manifest = make_action_manifest(result, bytes);
  Request put;
  put.method = "PUT";
  put.url = api_ + "/manifests/" + key.hex();
  put.body = manifest;
  put.content_type = kOciManifestMediaType;
  auto resp = call(put, OciAccess::Push);
  if (!resp) return resp.error();
  if (resp->status != 201 && resp->status != 200)
    return make_error(status_error("PUT", put.url, resp->status, resp->body));
  return {};
}

}  // namespace kiln

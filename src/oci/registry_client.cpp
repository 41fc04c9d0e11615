// The OCI registry client (see registry_client.h).
#include "oci/registry_client.h"

#include <nlohmann/json.hpp>

#include "util/clock.h"
#include "util/fs.h"

namespace kiln {

std::string registry_status_error(const char* method, const std::string& url, long status, const std::string& body) {
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

RegistryClient::RegistryClient(std::string origin, std::string repository, const std::string& user,
                               const std::string& password, const RegistryOptions& options)
    : origin_(std::move(origin)),
      api_(origin_ + "/v2/" + repository),
      http_(options.timeout_ms, options.ca_bundle),
      auth_(repository, user, password, origin_.rfind("https://", 0) == 0) {
  if (!options.auth_cache_dir.empty()) {
    // One file per registry, repository and credentials (changed credentials start afresh).
    std::string id = sha256(origin_ + "\n" + repository + "\n" + user + "\n" + password).hex().substr(0, 32);
    auth_.use_cache_file(path_join(options.auth_cache_dir, id), wall_ns() / 1000000000);
  }
}

Result<HttpResponse> RegistryClient::call(HttpRequest r, OciAccess access) {
  std::vector<std::string> base_headers = r.headers;
  auto with_auth = [&](const std::string& authorization) {
    HttpRequest a = r;
    a.headers = base_headers;
    if (!authorization.empty()) a.headers.push_back("Authorization: " + authorization);
    return a;
  };
  auto resp = http_.send(with_auth(auth_.header(access)));
  if (!resp || resp->status != 401) return resp;
  OciAuth::TokenFetch fetch = [this](const std::string& url, const std::string& authorization) -> Result<OciAuth::TokenAnswer> {
    HttpRequest t;
    t.url = url;
    if (!authorization.empty()) t.headers.push_back("Authorization: " + authorization);
    auto got = http_.send(t);
    if (!got) return got.error();
    return OciAuth::TokenAnswer{got->status, std::move(got->body)};
  };
  Status s = auth_.answer(resp->www_authenticate, access, fetch);
  if (!s) return make_error(std::string(r.method) + " " + r.url + ": " + s.error().message);
  resp = http_.send(with_auth(auth_.header(access)));
  if (resp && resp->status == 401)
    return make_error(std::string(r.method) + " " + r.url + ": the registry refused the credentials (HTTP 401)");
  return resp;
}

Result<bool> RegistryClient::has_blob(const Digest& digest, OciAccess access) {
  HttpRequest r;
  r.method = "HEAD";
  r.url = api_ + "/blobs/sha256:" + digest.hex();
  auto resp = call(r, access);
  if (!resp) return resp.error();
  if (resp->status == 404) return false;
  if (resp->status != 200) return make_error(registry_status_error("HEAD", r.url, resp->status, resp->body));
  return true;
}

Result<std::optional<std::string>> RegistryClient::get_blob(const Digest& digest, size_t max_bytes, bool check) {
  HttpRequest r;
  r.url = api_ + "/blobs/sha256:" + digest.hex();
  r.max_bytes = max_bytes;
  r.large_transfer = true;
  // Registries may redirect blob downloads to their storage (S3 and the like); libcurl
  // does not forward our Authorization header to another host.
  r.follow_redirects = true;
  auto resp = call(r, OciAccess::Pull);
  if (!resp) return resp.error();
  if (resp->status == 404) return std::optional<std::string>{};
  if (resp->status != 200) return make_error(registry_status_error("GET", r.url, resp->status, resp->body));
  if (check && sha256(resp->body) != digest)
    return make_error("GET " + r.url + ": content does not match its digest (" + std::to_string(resp->body.size()) +
                      " bytes)");
  return std::optional<std::string>(std::move(resp->body));
}

Status RegistryClient::upload_blob(const Digest& digest, std::string_view data) {
  HttpRequest post;
  post.method = "POST";
  post.url = api_ + "/blobs/uploads/";
  auto started = call(post, OciAccess::Push);
  if (!started) return started.error();
  if (started->status != 202) return make_error(registry_status_error("POST", post.url, started->status, started->body));
  std::string location = started->location;
  if (location.empty()) return make_error("POST " + post.url + ": 202 without a Location");
  if (location.rfind("http://", 0) != 0 && location.rfind("https://", 0) != 0) {
    if (location[0] != '/') return make_error("POST " + post.url + ": unsupported Location " + location);
    location = origin_ + location;
  }
  HttpRequest put;
  put.method = "PUT";
  put.url = location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=sha256:" + digest.hex();
  put.body = data;
  put.large_transfer = true;
  // Our credentials go to the registry only, not to another host it hands the upload to.
  bool same_origin = location.rfind(origin_ + "/", 0) == 0;
  auto done = same_origin ? call(put, OciAccess::Push) : http_.send(put);
  if (!done) return done.error();
  if (done->status != 201 && done->status != 204)
    return make_error(registry_status_error("PUT", api_ + "/blobs/uploads/…", done->status, done->body));
  return {};
}

Result<std::optional<std::string>> RegistryClient::get_manifest(const std::string& reference, const std::string& accept,
                                                                size_t max_bytes) {
  HttpRequest r;
  r.url = api_ + "/manifests/" + reference;
  if (!accept.empty()) r.headers.push_back("Accept: " + accept);
  r.max_bytes = max_bytes;
  auto resp = call(r, OciAccess::Pull);
  if (!resp) return resp.error();
  if (resp->status == 404) return std::optional<std::string>{};
  if (resp->status != 200) return make_error(registry_status_error("GET", r.url, resp->status, resp->body));
  return std::optional<std::string>(std::move(resp->body));
}

Status RegistryClient::put_manifest(const std::string& reference, std::string_view json, const std::string& media_type) {
  HttpRequest put;
  put.method = "PUT";
  put.url = api_ + "/manifests/" + reference;
  put.body = json;
  put.content_type = media_type;
  auto resp = call(put, OciAccess::Push);
  if (!resp) return resp.error();
  if (resp->status != 201 && resp->status != 200)
    return make_error(registry_status_error("PUT", put.url, resp->status, resp->body));
  return {};
}

}  // namespace kiln

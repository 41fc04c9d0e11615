// Bazel HTTP remote cache client over libcurl (see http_store.h).
#include "store/remote/http_store.h"

#include <cstring>

#include "store/remote/health.h"

namespace kiln {
namespace {

constexpr size_t kMaxActionBytes = 64ull << 20;  // an action entry larger than this is bogus
constexpr size_t kMaxBlobBytes = 4ull << 30;

std::string status_error(const char* method, const std::string& url, long status) {
  return std::string(method) + " " + url + ": HTTP " + std::to_string(status);
}

}  // namespace

HttpStore::HttpStore(RemoteUrl url, int timeout_ms, std::string ca_bundle)
    : url_(std::move(url)), http_(timeout_ms, std::move(ca_bundle)) {}

HttpStore::~HttpStore() = default;

std::string HttpStore::action_url(const Digest& key) const { return url_.origin() + url_.path + "/ac/" + key.hex(); }
std::string HttpStore::blob_url(const Digest& digest) const {
  return url_.origin() + url_.path + "/cas/" + digest.hex();
}

Result<HttpResponse> HttpStore::request(const char* method, const std::string& url, std::string_view body,
                                        size_t max_bytes) {
  HttpRequest r;
  r.method = method;
  r.url = url;
  r.body = body;
  r.max_bytes = max_bytes;
  if (url_.has_credentials) {
    r.user = url_.user;
    r.password = url_.password;
  }
  auto resp = http_.send(r);
  if (resp) {
    wire_.up += body.size();
    wire_.down += resp->body.size();
  }
  return resp;
}

Result<std::optional<ActionResult>> HttpStore::get_action(const Digest& key) {
  std::string url = action_url(key);
  auto r = request("GET", url, {}, kMaxActionBytes);
  if (!r) return r.error();
  if (r->status == 404) return std::optional<ActionResult>{};
  if (r->status != 200) return make_error(status_error("GET", url, r->status));
  auto decoded = ActionResult::decode(r->body);
  if (!decoded) return make_error("GET " + url + ": undecodable action entry (" + decoded.error().message + ")");
  return std::optional<ActionResult>(std::move(*decoded));
}

Status HttpStore::put_action(const Digest& key, const ActionResult& result) {
  std::string url = action_url(key);
  auto r = request("PUT", url, result.encode(), 1 << 20);
  if (!r) return r.error();
  if (r->status < 200 || r->status > 299) return make_error(status_error("PUT", url, r->status));
  return {};
}

Result<std::optional<std::string>> HttpStore::get_blob(const Digest& digest) {
  std::string url = blob_url(digest);
  auto r = request("GET", url, {}, kMaxBlobBytes);
  if (!r) return r.error();
  if (r->status == 404) return std::optional<std::string>{};
  if (r->status != 200) return make_error(status_error("GET", url, r->status));
  if (sha256(r->body) != digest)
    return make_error("GET " + url + ": content does not match its digest (" + std::to_string(r->body.size()) +
                      " bytes)");
  return std::optional<std::string>(std::move(r->body));
}

Status HttpStore::put_blob(const Digest& digest, std::string_view data) {
  std::string url = blob_url(digest);
  auto r = request("PUT", url, data, 1 << 20);
  if (!r) return r.error();
  if (r->status < 200 || r->status > 299) return make_error(status_error("PUT", url, r->status));
  return {};
}

Result<bool> HttpStore::has_blob(const Digest& digest) {
  std::string url = blob_url(digest);
  auto r = request("HEAD", url, {}, 1 << 20);
  if (!r) return r.error();
  if (r->status == 404) return false;
  if (r->status != 200) return make_error(status_error("HEAD", url, r->status));
  return true;
}

}  // namespace kiln

// Bazel HTTP remote cache client over libcurl (see http_store.h).
#include "store/remote/http_store.h"

#include "util/curl_api.h"

#include <cstring>
#include <mutex>

#include "store/remote/health.h"

namespace kiln {
namespace {

constexpr size_t kMaxActionBytes = 64ull << 20;  // an action entry larger than this is bogus
constexpr size_t kMaxBlobBytes = 4ull << 30;

using curl::Download;  // request/response bodies (util/curl_api.h)
using curl::read_body;
using curl::Upload;
using curl::write_body;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl::global_init(CURL_GLOBAL_DEFAULT); });
}

std::string status_error(const char* method, const std::string& url, long status) {
  return std::string(method) + " " + url + ": HTTP " + std::to_string(status);
}

}  // namespace

HttpStore::HttpStore(RemoteUrl url, int timeout_ms, std::string ca_bundle)
    : url_(std::move(url)), timeout_ms_(timeout_ms > 0 ? timeout_ms : 5000), ca_bundle_(std::move(ca_bundle)) {}

HttpStore::~HttpStore() {
  if (curl_) curl::easy_cleanup(static_cast<CURL*>(curl_));
}

std::string HttpStore::action_url(const Digest& key) const { return url_.origin() + url_.path + "/ac/" + key.hex(); }
std::string HttpStore::blob_url(const Digest& digest) const {
  return url_.origin() + url_.path + "/cas/" + digest.hex();
}

Result<HttpStore::Response> HttpStore::request(const char* method, const std::string& url, std::string_view body,
                                               size_t max_bytes) {
  if (!curl_) {  // on first use: a hit served locally never initializes libcurl
    global_init();
    curl_ = curl::easy_init();
  }
  auto* c = static_cast<CURL*>(curl_);
  if (!c) return make_error("libcurl could not be initialized" + (curl::api() ? std::string() : ": " + curl::load_error()));
  curl::easy_reset(c);  // keeps the connection cache
  Response resp;
  Upload up{body};
  Download down{&resp.body, max_bytes, c};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;

  curl::easy_setopt(c, CURLOPT_URL, url.c_str());
  curl::easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl::easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms_));
  curl::easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
  curl::easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl::easy_setopt(c, CURLOPT_USERAGENT, "kiln/" KILN_VERSION);
  curl::easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!ca_bundle_.empty()) curl::easy_setopt(c, CURLOPT_CAINFO, ca_bundle_.c_str());
  if (url_.has_credentials) {
    curl::easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl::easy_setopt(c, CURLOPT_USERNAME, url_.user.c_str());
    curl::easy_setopt(c, CURLOPT_PASSWORD, url_.password.c_str());
  }
  if (std::strcmp(method, "HEAD") == 0) {
    curl::easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (std::strcmp(method, "PUT") == 0) {
    curl::easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl::easy_setopt(c, CURLOPT_READFUNCTION, read_body);
    curl::easy_setopt(c, CURLOPT_READDATA, &up);
    curl::easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
    headers = curl::slist_append(headers, "Expect:");  // no 100-continue round trip
    headers = curl::slist_append(headers, "Content-Type: application/octet-stream");
    curl::easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  }
  // Bodies of error answers are read too (and dropped), so the connection stays reusable.
  curl::easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
  curl::easy_setopt(c, CURLOPT_WRITEDATA, &down);

  CURLcode rc = curl::easy_perform(c);
  if (headers) curl::slist_free_all(headers);
  if (rc != CURLE_OK) {
    std::string what = std::string(method) + " " + url + ": " + (errbuf[0] ? errbuf : curl::easy_strerror(rc));
    if (rc == CURLE_OPERATION_TIMEDOUT) return timeout_error(what);
    if (rc == CURLE_WRITE_ERROR) return make_error(what + " (body larger than " + std::to_string(max_bytes) + " bytes)");
    return make_error(what);
  }
  curl::easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
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

// The shared HTTP client over libcurl (see http_client.h).
#include "net/http_client.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>

#include "store/remote/health.h"
#include "util/curl_api.h"

namespace kiln {
namespace {

using curl::Download;  // request/response bodies (util/curl_api.h)
using curl::read_body;
using curl::Upload;
using curl::write_body;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl::global_init(CURL_GLOBAL_DEFAULT); });
}

// Keeps the headers kiln needs from the last response (a redirect or 100 starts a new one).
size_t read_header(char* buf, size_t size, size_t n, void* user) {
  auto* resp = static_cast<HttpResponse*>(user);
  size_t len = size * n;
  std::string_view line(buf, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    resp->location.clear();
    resp->www_authenticate.clear();
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string name(line.substr(0, colon));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  if (name == "location") resp->location = std::string(value);
  else if (name == "www-authenticate") {
    if (!resp->www_authenticate.empty()) resp->www_authenticate += ", ";  // several headers = one list
    resp->www_authenticate += std::string(value);
  }
  return len;
}

}  // namespace

HttpClient::HttpClient(int timeout_ms, std::string ca_bundle)
    : timeout_ms_(timeout_ms > 0 ? timeout_ms : 5000), ca_bundle_(std::move(ca_bundle)) {
  if (ca_bundle_.empty()) {
    for (const char* var : {"CURL_CA_BUNDLE", "SSL_CERT_FILE"}) {
      const char* v = std::getenv(var);
      if (v && *v) {
        ca_bundle_ = v;
        break;
      }
    }
  }
}

HttpClient::~HttpClient() {
  if (curl_) curl::easy_cleanup(static_cast<CURL*>(curl_));
}

Result<HttpResponse> HttpClient::send(const HttpRequest& r) {
  if (!curl_) {  // on first use: a hit served locally never loads libcurl
    global_init();
    curl_ = curl::easy_init();
  }
  auto* c = static_cast<CURL*>(curl_);
  if (!c) return make_error("libcurl could not be initialized" + (curl::api() ? std::string() : ": " + curl::load_error()));
  curl::easy_reset(c);  // keeps the connection cache
  HttpResponse resp;
  Upload up{r.body};
  Download down{&resp.body, r.max_bytes, c};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  auto timeout = static_cast<long>(timeout_ms_);

  curl::easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl::easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl::easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout);
  if (r.large_transfer) {
    curl::easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl::easy_setopt(c, CURLOPT_LOW_SPEED_TIME, std::max(1L, timeout / 1000));
  } else {
    curl::easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
  }
  curl::easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl::easy_setopt(c, CURLOPT_USERAGENT, "kiln/" KILN_VERSION);
  curl::easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl::easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (!ca_bundle_.empty()) curl::easy_setopt(c, CURLOPT_CAINFO, ca_bundle_.c_str());
  if (!r.user.empty()) {
    curl::easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl::easy_setopt(c, CURLOPT_USERNAME, r.user.c_str());
    curl::easy_setopt(c, CURLOPT_PASSWORD, r.password.c_str());
  }
  for (const auto& h : r.headers) headers = curl::slist_append(headers, h.c_str());
  if (r.follow_redirects) {
    curl::easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl::easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  }

  std::string_view method = r.method;
  bool sends_body = method == "PUT" || method == "POST" || method == "PATCH";
  if (method == "HEAD") {
    curl::easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (method == "PUT") {
    curl::easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl::easy_setopt(c, CURLOPT_READFUNCTION, read_body);
    curl::easy_setopt(c, CURLOPT_READDATA, &up);
    curl::easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  } else if (method == "POST") {
    curl::easy_setopt(c, CURLOPT_POST, 1L);
    curl::easy_setopt(c, CURLOPT_POSTFIELDS, r.body.data());
    curl::easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  } else if (method != "GET") {
    curl::easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method);
    if (sends_body) {
      curl::easy_setopt(c, CURLOPT_POSTFIELDS, r.body.data());
      curl::easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    }
  }
  std::string content_type;
  if (sends_body) {
    headers = curl::slist_append(headers, "Expect:");  // no 100-continue round trip
    content_type = "Content-Type: " + (r.content_type.empty() ? std::string("application/octet-stream") : r.content_type);
    headers = curl::slist_append(headers, content_type.c_str());
  }
  if (headers) curl::easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl::easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
  curl::easy_setopt(c, CURLOPT_WRITEDATA, &down);
  curl::easy_setopt(c, CURLOPT_HEADERFUNCTION, read_header);
  curl::easy_setopt(c, CURLOPT_HEADERDATA, &resp);

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

}  // namespace kiln

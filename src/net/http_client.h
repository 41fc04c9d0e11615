// One HTTP client for every remote kiln talks to over HTTP: the Bazel HTTP cache store, the
// OCI registry client (and so the OCI store and, next, image pushes). libcurl's easy API
// (https://curl.se/libcurl/c/libcurl-easy.html), loaded on the first request (util/curl_api.h:
// a hit served locally never loads libcurl), one easy handle per client so that requests
// share a keep-alive connection.
//   timeouts  connect and whole request bounded by timeout_ms; a large transfer instead
//             aborts when slower than 1 KiB/s for that long. Timeouts come back as
//             timeout_error (store/remote/health.h), so a remote that hangs is marked down.
//   TLS       http and https only (redirects too); CA bundle from the client's settings, else
//             $CURL_CA_BUNDLE, else $SSL_CERT_FILE, else libcurl's default.
//   bodies    sent from a view (no copy); received up to max_bytes, reserved from
//             Content-Length; bodies of error answers are read too, so the connection stays
//             reusable.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// One request.
struct HttpRequest {
  const char* method = "GET";           // GET, HEAD, PUT, POST, PATCH, DELETE
  std::string url;
  std::vector<std::string> headers;     // "Name: value"
  std::string_view body;                // sent for PUT, POST, PATCH
  std::string content_type;             // of the body ("" = application/octet-stream)
  size_t max_bytes = 1 << 20;           // a larger response body is an error
  bool large_transfer = false;          // a low-speed bound instead of a total timeout
  bool follow_redirects = false;        // (libcurl never forwards Authorization to another host)
  std::string user, password;           // HTTP Basic when user is set
};

/// One response: status, body, and the headers kiln reads (last response after redirects).
struct HttpResponse {
  long status = 0;
  std::string body;
  std::string location;          // Location
  std::string www_authenticate;  // WWW-Authenticate (several headers joined with ", ")
};

class HttpClient {
 public:
  /// A client whose requests are bounded by `timeout_ms` (≤ 0: 5000) and verify https servers
  /// against `ca_bundle` (a PEM file; "" = $CURL_CA_BUNDLE, $SSL_CERT_FILE, libcurl's default).
  explicit HttpClient(int timeout_ms, std::string ca_bundle = "");
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends `r`. Any status is a response; errors are transport failures (timeouts as
  /// timeout_error, a body over max_bytes, libcurl missing).
  Result<HttpResponse> send(const HttpRequest& r);

  int timeout_ms() const { return timeout_ms_; }

 private:
  int timeout_ms_;
  std::string ca_bundle_;
  void* curl_ = nullptr;  // CURL*
};

}  // namespace kiln

// HttpStore: a remote store speaking Bazel's HTTP remote-cache protocol
// (https://bazel.build/remote/caching), served by nginx WebDAV, bazel-remote, and others:
//   GET/PUT/HEAD {prefix}/ac/{64 hex action key}   body: ActionResult protobuf (ActionResult::encode)
//   GET/PUT/HEAD {prefix}/cas/{sha256 hex}         body: the raw blob
// 200 is a hit, 404 a miss; any other status, a transport failure, a body that does not
// decode (AC) or does not hash to its name (CAS) is an Error — a lying server never hands
// out bad bytes. Timeouts (curl's connect and total timeouts, both `timeout_ms`) come back as
// timeout_error (store/remote/health.h). Basic auth from the URL's user:password. Transport:
// the shared HTTP client (net/http_client.h), one keep-alive connection per store.
#pragma once

#include <utility>

#include <string>

#include "net/http_client.h"
#include "store/remote/remote_url.h"
#include "store/store.h"

namespace kiln {

class HttpStore : public Store {
 public:
  /// A store at `url` (scheme http or https); each request is bounded by `timeout_ms`.
  /// `ca_bundle`: a PEM file of CA certificates for https ("" = libcurl's default).
  HttpStore(RemoteUrl url, int timeout_ms, std::string ca_bundle = "");
  ~HttpStore() override;
  HttpStore(const HttpStore&) = delete;
  HttpStore& operator=(const HttpStore&) = delete;

  std::string name() const override { return url_.name(); }
  Result<std::optional<ActionResult>> get_action(const Digest& key) override;
  Status put_action(const Digest& key, const ActionResult& result) override;
  Result<std::optional<std::string>> get_blob(const Digest& digest) override;
  Status put_blob(const Digest& digest, std::string_view data) override;
  Result<bool> has_blob(const Digest& digest) override;
  /// Bodies only; blobs travel raw (the protocol's /cas/ has no compressed form).
  WireBytes take_wire_bytes() override { return std::exchange(wire_, WireBytes{}); }

  /// The request URL of an action entry / a blob.
  std::string action_url(const Digest& key) const;
  std::string blob_url(const Digest& digest) const;

 private:
  /// One request. `body` is sent for PUT; the response body is kept for GET (at most
  /// `max_bytes`). Errors: transport failures (timeouts as timeout_error).
  Result<HttpResponse> request(const char* method, const std::string& url, std::string_view body, size_t max_bytes);

  RemoteUrl url_;
  HttpClient http_;  // net/http_client.h, shared with the OCI registry client
  WireBytes wire_;
};

}  // namespace kiln

// A client for one repository of an OCI registry (distribution-spec v1.1:
// https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md): blobs and
// manifests, with the registry's authentication (oci/registry_auth.h: Basic or Bearer tokens,
// kept between kiln processes). The OCI store (store/remote/oci_store.h) keeps kiln's action
// entries with it; packaging will push images with it.
//   blobs      HEAD/GET /v2/<name>/blobs/sha256:<hex> (GET follows redirects to storage and is
//              verified against the digest); upload POST /v2/<name>/blobs/uploads/ → 202 +
//              Location, then PUT <Location>&digest=sha256:<hex> with the whole body
//              (monolithic). Credentials never go to another host the upload is handed to.
//   manifests  GET/PUT /v2/<name>/manifests/<reference> with the media type.
//   transport  net/http_client.h: timeouts, TLS (plain HTTP for loopback hosts by default).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/http_client.h"
#include "oci/registry_auth.h"
#include "util/digest.h"
#include "util/expected.h"

namespace kiln {

/// Settings of a registry client that do not come from its address.
struct RegistryOptions {
  int timeout_ms = 5000;
  std::string ca_bundle;       // PEM file; "" = $CURL_CA_BUNDLE, $SSL_CERT_FILE, libcurl's default
  std::string auth_cache_dir;  // where tokens (never credentials) are kept; "" = in memory only
};

class RegistryClient {
 public:
  /// A client for `repository` at `origin` ("http(s)://host[:port]") with credentials
  /// `user`/`password` ("" = anonymous).
  RegistryClient(std::string origin, std::string repository, const std::string& user, const std::string& password,
                 const RegistryOptions& options);

  /// "origin/v2/<repository>": the prefix of every request.
  const std::string& api_base() const { return api_; }

  /// True when the registry has the blob. `access` Push asks for a push token right away
  /// (a Bearer registry then hands out one token for a whole upload). Errors: transport,
  /// unexpected status.
  Result<bool> has_blob(const Digest& digest, OciAccess access = OciAccess::Pull);
  /// The blob, checked against its digest; nullopt when absent. Errors: transport, status,
  /// a body that does not hash to `digest`, one larger than `max_bytes`. With `check` false
  /// the body is not hashed: only for a caller that checks what it holds itself (a zstd
  /// layer whose decompressed content is checked against the content's digest).
  Result<std::optional<std::string>> get_blob(const Digest& digest, size_t max_bytes = 4ull << 30, bool check = true);
  /// Uploads a blob (without asking whether the registry has it). Errors: transport, status.
  Status upload_blob(const Digest& digest, std::string_view data);
  /// The manifest `reference` (a tag or digest) as raw JSON; nullopt when absent.
  Result<std::optional<std::string>> get_manifest(const std::string& reference, const std::string& accept,
                                                  size_t max_bytes = 4ull << 20);
  /// Pushes a manifest under `reference`. Errors: transport, status.
  Status put_manifest(const std::string& reference, std::string_view json, const std::string& media_type);

  /// One request with the registry's authorization for `access`, answering one 401
  /// challenge. Errors: transport failures; refused credentials.
  Result<HttpResponse> call(HttpRequest r, OciAccess access);

 private:
  std::string origin_, api_;
  HttpClient http_;
  OciAuth auth_;
};

/// "METHOD URL: HTTP status" plus the registry's error code when its body has one.
std::string registry_status_error(const char* method, const std::string& url, long status, const std::string& body);

}  // namespace kiln

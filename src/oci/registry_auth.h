// Authentication against an OCI registry (distribution-spec v1.1), the way Docker and ORAS do:
// send the request bare; on 401 read `WWW-Authenticate` (RFC 7235 §4.1):
//   Basic realm="…"                      → resend with `Authorization: Basic base64(user:pass)`
//                                          (RFC 7617; htpasswd registries answer this);
//   Bearer realm="…",service="…",scope="…" → GET <realm>?service=…&scope=… (with Basic
//                                          credentials when we have some, anonymous otherwise),
//                                          take "token" (or "access_token") from the JSON
//                                          answer, resend with `Authorization: Bearer <token>`
//                                          (Docker's token authentication specification,
//                                          https://distribution.github.io/distribution/spec/auth/token/).
// Scopes are "repository:<name>:pull" for reads and "repository:<name>:pull,push" for writes;
// a push token also serves reads. Every rustc invocation is a new kiln process, so what was
// learnt (a token and its lifetime, or "this registry wants Basic") can be kept in a small
// file (mode 0600) that the next process reads, saving the 401 round trip and the token
// request; credentials themselves are never written. No HTTP here: the store passes a
// function that performs the token request.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// One challenge of a WWW-Authenticate header: scheme (lowercase) and auth-params (keys
/// lowercase, quoted values unescaped).
struct AuthChallenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};

/// Parses every challenge in a WWW-Authenticate value (RFC 7235 §4.1: comma-separated
/// challenges, each `scheme [token68 | param=value, …]`, values token or quoted-string).
/// Unparseable text ends the list; never fails.
std::vector<AuthChallenge> parse_www_authenticate(std::string_view value);

/// Standard base64 (RFC 4648 §4) with padding.
std::string base64_encode(std::string_view bytes);

/// Decodes standard base64 (padding required). Errors: bad characters or length.
Result<std::string> base64_decode(std::string_view text);

/// "Basic " + base64(user ":" password) (RFC 7617).
std::string basic_authorization(std::string_view user, std::string_view password);

/// A token endpoint's answer.
struct TokenResponse {
  std::string token;
  int64_t expires_in_s = 60;  // the spec's default when the field is absent
};

/// Reads the token endpoint's JSON answer: "token", else "access_token"; "expires_in".
/// Errors: not JSON, or neither field is a non-empty string.
Result<TokenResponse> parse_token_response(std::string_view body);

/// The token request URL: realm with service and each scope as query parameters
/// (percent-encoded), e.g. "https://auth/token?service=reg&scope=repository%3Akiln%3Apull".
std::string token_request_url(const std::string& realm, const std::string& service,
                              const std::vector<std::string>& scopes);

/// What a request does to the repository.
enum class OciAccess { Pull, Push };

/// The Authorization state of one repository on one registry.
class OciAuth {
 public:
  /// Answer of the token endpoint as the store's HTTP client sees it.
  struct TokenAnswer {
    long status = 0;
    std::string body;
  };
  /// Performs GET `url` with the given Authorization header value ("" = none).
  using TokenFetch = std::function<Result<TokenAnswer>(const std::string& url, const std::string& authorization)>;

  /// `repository`: the name in /v2/<name>/…; credentials may be empty (anonymous).
  /// `registry_is_https`: whether the registry itself is reached over TLS (credentials are
  /// never sent to a plain-http token realm of a TLS registry).
  OciAuth(std::string repository, std::string user, std::string password, bool registry_is_https);

  /// The Authorization header value to send for `access` ("" = none known yet).
  std::string header(OciAccess access) const;

  /// Handles a 401 answer whose WWW-Authenticate value is `challenge`: sets up the
  /// Authorization for `access` (fetching a token through `fetch` for Bearer). Errors: no
  /// usable challenge, credentials needed but absent, the token endpoint refused, or the
  /// same credentials were already refused (the caller must not retry again).
  Status answer(std::string_view challenge, OciAccess access, const TokenFetch& fetch);

  /// The scope kiln asks for: "repository:<name>:pull" or "repository:<name>:pull,push".
  std::string scope(OciAccess access) const;

  /// Keeps what answer() learns in `path` (created 0600, its directory 0700) and loads what
  /// an earlier process left there, dropping entries past their lifetime. `now_s`: the
  /// current Unix time in seconds. Unreadable or corrupt files are ignored.
  void use_cache_file(std::string path, int64_t now_s);

 private:
  struct Slot {
    std::string header;   // "Basic …" / "Bearer …"; empty when unknown
    int64_t expires_s = 0;  // Unix seconds after which the cached value is not reused
  };
  void save() const;

  std::string repository_, user_, password_;
  bool registry_is_https_;
  Slot basic_;                      // set once the registry asked for Basic
  Slot bearer_pull_, bearer_push_;  // per access
  std::string cache_file_;
  int64_t now_s_ = 0;
};

}  // namespace kiln

// Registry authentication: challenge parsing, Basic credentials, the Bearer token flow
// (see registry_auth.h).
#include "oci/registry_auth.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "util/fs.h"

namespace kiln {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 7230 §3.2.6 tchar.
bool is_tchar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

std::string percent_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

constexpr int64_t kBasicMemory_s = 3600;  // how long "this registry wants Basic" is kept
constexpr int64_t kTokenMemory_s = 3600;  // at most this long a token is reused
constexpr int64_t kTokenMargin_s = 10;    // … minus this, so it is not used as it expires

constexpr const char* kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::vector<AuthChallenge> parse_www_authenticate(std::string_view v) {
  std::vector<AuthChallenge> out;
  size_t i = 0, n = v.size();
  auto skip_ws = [&] {
    while (i < n && (v[i] == ' ' || v[i] == '\t')) ++i;
  };
  auto read_token = [&] {
    size_t s = i;
    while (i < n && is_tchar(v[i])) ++i;
    return v.substr(s, i - s);
  };
  while (i < n) {
    skip_ws();
    if (i < n && v[i] == ',') {
      ++i;
      continue;
    }
    if (i >= n) break;
    std::string_view tok = read_token();
    if (tok.empty()) break;  // not a token: give up on the rest
    skip_ws();
    if (!out.empty() && i < n && v[i] == '=') {
      ++i;  // an auth-param of the current challenge
      skip_ws();
      std::string value;
      if (i < n && v[i] == '"') {
        ++i;
        while (i < n && v[i] != '"') {
          if (v[i] == '\\' && i + 1 < n) ++i;
          value.push_back(v[i++]);
        }
        if (i < n) ++i;
      } else {
        value = std::string(read_token());
      }
      out.back().params[lower(tok)] = value;
    } else {
      out.push_back({lower(tok), {}});  // a new challenge
    }
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                 static_cast<uint8_t>(bytes[i + 2]);
    out.push_back(kBase64[v >> 18]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(kBase64[(v >> 6) & 63]);
    out.push_back(kBase64[v & 63]);
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out.push_back(kBase64[v >> 18]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return make_error("base64: length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t v = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      char c = text[i + k];
      int d;
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        ++pad;
        d = 0;
      } else {
        if (pad) return make_error("base64: data after padding");
        const char* p = c ? std::strchr(kBase64, c) : nullptr;
        if (!p) return make_error("base64: bad character");
        d = static_cast<int>(p - kBase64);
      }
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out.push_back(static_cast<char>(v >> 16));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 255));
    if (pad < 1) out.push_back(static_cast<char>(v & 255));
  }
  return out;
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  std::string creds(user);
  creds += ':';
  creds += password;
  return "Basic " + base64_encode(creds);
}

Result<TokenResponse> parse_token_response(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return make_error("the token endpoint's answer is not a JSON object");
  TokenResponse out;
  for (const char* field : {"token", "access_token"}) {
    auto it = j.find(field);
    if (it != j.end() && it->is_string() && !it->get<std::string>().empty()) {
      out.token = it->get<std::string>();
      break;
    }
  }
  if (out.token.empty()) return make_error("the token endpoint's answer has no token");
  if (auto e = j.find("expires_in"); e != j.end() && e->is_number_integer()) out.expires_in_s = e->get<int64_t>();
  return out;
}

std::string token_request_url(const std::string& realm, const std::string& service,
                              const std::vector<std::string>& scopes) {
  std::string url = realm;
  char sep = realm.find('?') == std::string::npos ? '?' : '&';
  if (!service.empty()) {
    url += sep + std::string("service=") + percent_encode(service);
    sep = '&';
  }
  for (const auto& s : scopes) {
    url += sep + std::string("scope=") + percent_encode(s);
    sep = '&';
  }
  return url;
}

OciAuth::OciAuth(std::string repository, std::string user, std::string password, bool registry_is_https)
    : repository_(std::move(repository)),
      user_(std::move(user)),
      password_(std::move(password)),
      registry_is_https_(registry_is_https) {}

std::string OciAuth::scope(OciAccess access) const {
  return "repository:" + repository_ + (access == OciAccess::Push ? ":pull,push" : ":pull");
}

std::string OciAuth::header(OciAccess access) const {
  if (access == OciAccess::Push) return !bearer_push_.header.empty() ? bearer_push_.header : basic_.header;
  if (!bearer_pull_.header.empty()) return bearer_pull_.header;
  return !bearer_push_.header.empty() ? bearer_push_.header : basic_.header;
}

void OciAuth::use_cache_file(std::string path, int64_t now_s) {
  cache_file_ = std::move(path);
  now_s_ = now_s;
  auto text = read_file(cache_file_);
  if (!text) return;
  // "kiln-oci-auth 1", then lines "<basic|pull|push> <expires unix s>[ <Bearer token>]".
  size_t pos = 0;
  bool first = true;
  while (pos < text->size()) {
    size_t nl = text->find('\n', pos);
    if (nl == std::string::npos) nl = text->size();
    std::string line = text->substr(pos, nl - pos);
    pos = nl + 1;
    if (first) {
      if (line != "kiln-oci-auth 1") return;
      first = false;
      continue;
    }
    size_t sp1 = line.find(' ');
    if (sp1 == std::string::npos) continue;
    std::string kind = line.substr(0, sp1);
    size_t sp2 = line.find(' ', sp1 + 1);
    int64_t expires = std::atoll(line.substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp1 - 1).c_str());
    if (expires <= now_s) continue;
    std::string value = sp2 == std::string::npos ? "" : line.substr(sp2 + 1);
    if (kind == "basic" && (!user_.empty() || !password_.empty()))
      basic_ = {basic_authorization(user_, password_), expires};
    else if (kind == "pull" && value.rfind("Bearer ", 0) == 0)
      bearer_pull_ = {value, expires};
    else if (kind == "push" && value.rfind("Bearer ", 0) == 0)
      bearer_push_ = {value, expires};
  }
}

void OciAuth::save() const {
  if (cache_file_.empty()) return;
  std::string text = "kiln-oci-auth 1\n";
  if (!basic_.header.empty()) text += "basic " + std::to_string(basic_.expires_s) + "\n";  // never the credentials
  if (!bearer_pull_.header.empty()) text += "pull " + std::to_string(bearer_pull_.expires_s) + " " + bearer_pull_.header + "\n";
  if (!bearer_push_.header.empty()) text += "push " + std::to_string(bearer_push_.expires_s) + " " + bearer_push_.header + "\n";
  std::string dir = dir_name(cache_file_);
  if (!make_dirs(dir)) return;
  ::chmod(dir.c_str(), 0700);
  (void)write_file_atomic(cache_file_, text, 0600);  // best effort: the next process asks again
}

Status OciAuth::answer(std::string_view challenge, OciAccess access, const TokenFetch& fetch) {
  std::vector<AuthChallenge> all = parse_www_authenticate(challenge);
  const AuthChallenge* bearer = nullptr;
  const AuthChallenge* basic = nullptr;
  for (const auto& c : all) {
    if (c.scheme == "bearer" && !bearer) bearer = &c;
    if (c.scheme == "basic" && !basic) basic = &c;
  }
  bool have_creds = !user_.empty() || !password_.empty();

  if (!bearer) {
    if (!basic) return make_error("HTTP 401 without a Basic or Bearer challenge (WWW-Authenticate: " + std::string(challenge) + ")");
    if (!have_creds)
      return make_error("the registry wants credentials (Basic auth): give user:password in the URL or set "
                        "remote_username/remote_password");
    std::string h = basic_authorization(user_, password_);
    if (basic_.header == h) return make_error("the registry refused the credentials (HTTP 401)");
    basic_ = {h, now_s_ + kBasicMemory_s};
    save();
    return {};
  }

  auto realm_it = bearer->params.find("realm");
  if (realm_it == bearer->params.end() || realm_it->second.empty())
    return make_error("Bearer challenge without a realm");
  const std::string& realm = realm_it->second;
  bool realm_https = realm.rfind("https://", 0) == 0;
  if (!realm_https && realm.rfind("http://", 0) != 0) return make_error("Bearer realm is not an http(s) URL: " + realm);
  if (have_creds && registry_is_https_ && !realm_https)
    return make_error("refusing to send credentials to the plain-http token realm " + realm);

  std::vector<std::string> scopes = {scope(access)};
  auto sc = bearer->params.find("scope");
  if (sc != bearer->params.end() && !sc->second.empty() && sc->second.rfind("repository:" + repository_ + ":", 0) != 0)
    scopes.push_back(sc->second);
  auto svc = bearer->params.find("service");
  std::string url = token_request_url(realm, svc == bearer->params.end() ? "" : svc->second, scopes);

  auto got = fetch(url, have_creds ? basic_authorization(user_, password_) : "");
  if (!got) return make_error("token request to " + realm + ": " + got.error().message);
  if (got->status == 401 || got->status == 403)
    return make_error("the token endpoint " + realm + " refused the credentials (HTTP " + std::to_string(got->status) + ")");
  if (got->status != 200)
    return make_error("the token endpoint " + realm + " answered HTTP " + std::to_string(got->status));
  auto token = parse_token_response(got->body);
  if (!token) return make_error(token.error().message + " (" + realm + ")");
  std::string h = "Bearer " + token->token;
  Slot& slot = access == OciAccess::Push ? bearer_push_ : bearer_pull_;
  if (slot.header == h) return make_error("the registry refused the token for " + scopes[0] + " (HTTP 401)");
  // Reused by later processes until shortly before the token expires.
  slot = {h, now_s_ + std::min<int64_t>(token->expires_in_s, kTokenMemory_s) - kTokenMargin_s};
  save();
  return {};
}

}  // namespace kiln

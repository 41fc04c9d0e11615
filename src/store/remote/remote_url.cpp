// Parsing remote store URLs (see remote_url.h). Generic syntax after RFC 3986 §3:
// scheme "://" [userinfo "@"] host [":" port] [path] ["?" query] ["#" fragment].
#include "store/remote/remote_url.h"

#include <cctype>
#include <charconv>

namespace kiln {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding (RFC 3986 §2.1). Errors: a '%' not followed by two hex digits.
Result<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return make_error("bad percent escape");
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return make_error("bad percent escape");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace

std::string RemoteUrl::origin() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + ":" + std::to_string(port_or_default());
}

std::string RemoteUrl::name() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + (port ? ":" + std::to_string(port) : "") + path;
}

int RemoteUrl::port_or_default() const {
  if (port) return port;
  if (scheme == "http") return 80;
  if (scheme == "redis") return 6379;
  return 443;
}

Result<RemoteUrl> parse_remote_url(std::string_view text) {
  RemoteUrl u;
  u.text = std::string(text);
  std::string_view rest = text;

  if (size_t hash = rest.find('#'); hash != std::string_view::npos) {
    std::string_view frag = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
    if (frag == "read-only")
      u.access = RemoteAccess::ReadOnly;
    else if (frag == "write-only")
      u.access = RemoteAccess::WriteOnly;
    else if (!frag.empty())
      return make_error("unknown suffix #" + std::string(frag) + " (expected #read-only or #write-only)");
  }

  size_t colon = rest.find("://");
  if (colon == std::string_view::npos || colon == 0) return make_error("missing scheme:// in remote URL");
  for (char c : rest.substr(0, colon)) u.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (u.scheme != "http" && u.scheme != "https" && u.scheme != "redis" && u.scheme != "oci")
    return make_error("unsupported remote scheme " + u.scheme + ":// (http, https, redis, oci)");
  rest = rest.substr(colon + 3);

  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      if (pair.empty()) continue;
      size_t eq = pair.find('=');
      auto k = percent_decode(pair.substr(0, eq));
      auto v = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
      if (!k || !v) return make_error("bad percent escape in the query");
      u.query[*k] = *v;
    }
  }

  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  u.path = std::string(path);

  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t c = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, c));
    auto pass = percent_decode(c == std::string_view::npos ? std::string_view{} : userinfo.substr(c + 1));
    if (!user || !pass) return make_error("bad percent escape in the user or password");
    u.user = *user;
    u.password = *pass;
    u.has_credentials = true;
  }

  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return make_error("unterminated [IPv6] host");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return make_error("bad text after the [IPv6] host");
      port = after.substr(1);
    }
  } else {
    size_t c = authority.rfind(':');
    u.host = std::string(authority.substr(0, c));
    if (c != std::string_view::npos) port = authority.substr(c + 1);
  }
  if (u.host.empty()) return make_error("empty host in remote URL");
  if (!port.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p <= 0 || p > 65535)
      return make_error("bad port " + std::string(port));
    u.port = p;
  }
  return u;
}

Result<int64_t> parse_duration_seconds(std::string_view text) {
  if (text.empty()) return make_error("empty duration");
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n < 0) return make_error("bad duration " + std::string(text));
  std::string_view unit(ptr, static_cast<size_t>(text.data() + text.size() - ptr));
  int64_t mult = 0;
  if (unit.empty() || unit == "s") mult = 1;
  else if (unit == "m") mult = 60;
  else if (unit == "h") mult = 3600;
  else if (unit == "d") mult = 86400;
  else if (unit == "w") mult = 7 * 86400;
  else return make_error("bad duration unit in " + std::string(text) + " (s, m, h, d, w)");
  return n * mult;
}

}  // namespace kiln

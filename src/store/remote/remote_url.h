// Remote store URLs, as written in KILN_REMOTE / the config's `remotes` list:
//   http[s]://[user[:password]@]host[:port][/prefix][#read-only|#write-only]
//   redis://[[user]:password@]host[:port][/db][?ttl=7d&prefix=kiln][#read-only|#write-only]
//   oci://registry[:port]/repository[#…]            (parsed here, served by oci_store)
// The `#read-only` suffix means "never write to it", `#write-only` "never read from it".
// User and password are percent-decoded (RFC 3986 §2.1) and never appear in name().
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace kiln {

/// Which directions kiln uses a remote in.
enum class RemoteAccess { ReadWrite, ReadOnly, WriteOnly };

/// A parsed remote store URL.
struct RemoteUrl {
  std::string text;      // the URL as given, suffix included
  std::string scheme;    // "http", "https", "redis", "oci" (lowercase)
  std::string user;      // decoded; empty when absent
  std::string password;  // decoded; empty when absent
  bool has_credentials = false;
  std::string host;      // without brackets for IPv6 literals
  int port = 0;          // 0 when not given
  std::string path;      // "/prefix" without a trailing '/', or "" for the root
  std::map<std::string, std::string> query;  // decoded ?key=value pairs
  RemoteAccess access = RemoteAccess::ReadWrite;

  bool readable() const { return access != RemoteAccess::WriteOnly; }
  bool writable() const { return access != RemoteAccess::ReadOnly; }

  /// "scheme://host[:port]/path" — no credentials, query or suffix (for messages and stats).
  std::string name() const;
  /// "scheme://host:port" with the host bracketed when IPv6 (for building request URLs).
  std::string origin() const;
  /// The port, or the scheme's default (http 80, https 443, redis 6379, oci 443).
  int port_or_default() const;
};

/// Parses a remote URL. Errors: unknown scheme, empty host, bad port, unknown `#` suffix.
Result<RemoteUrl> parse_remote_url(std::string_view text);

/// Parses a duration such as "7d", "12h", "30m", "45s" or "3600" (seconds).
/// Errors: empty, negative, or an unknown unit.
Result<int64_t> parse_duration_seconds(std::string_view text);

}  // namespace kiln

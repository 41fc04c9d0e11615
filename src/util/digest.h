// SHA-256 digests: the identity of every blob, file and key in kiln.
// Uses OpenSSL's EVP interface (FIPS 180-4 SHA-256). A Digest prints as 64 lowercase hex.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace kiln {

/// A 32-byte SHA-256 digest.
struct Digest {
  std::array<uint8_t, 32> bytes{};

  /// 64 lowercase hex characters.
  std::string hex() const;
  /// Parses 64 hex characters; an Error on any other input.
  static Result<Digest> from_hex(std::string_view hex);
  bool operator==(const Digest&) const = default;
  auto operator<=>(const Digest&) const = default;
};

/// Incremental SHA-256 hasher: update() any number of times, then finish() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  /// Adds a length-prefixed field so that ("ab","c") and ("a","bc") hash differently.
  void field(std::string_view s);
  Digest finish();

 private:
  void* ctx_;
};

/// SHA-256 of a byte string.
Digest sha256(std::string_view data);

/// SHA-256 of a file's contents, read in chunks. Errors: the file cannot be opened or read.
Result<Digest> sha256_file(const std::string& path);

}  // namespace kiln

// SHA-256 (FIPS 180-4) via OpenSSL's SHA256_Init/Update/Final.
//
// These low-level functions are deprecated in OpenSSL 3 in favour of EVP, and kiln uses them on
// purpose: EVP's first use reads openssl.cnf and initialises the provider machinery, which costs
// about 2 ms per process (a 3-byte digest: 2.9 ms per exec via EVP vs 1.4 ms via SHA256_*, 300
// execs each) — more than the rest of a small cache hit. Both paths run the same assembly
// (SHA-NI where the CPU has it). Swap to EVP here if OpenSSL ever removes them.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "util/digest.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace kiln {

std::string Digest::hex() const {
  static const char* k = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < 32; ++i) {
    out[2 * i] = k[bytes[i] >> 4];
    out[2 * i + 1] = k[bytes[i] & 15];
  }
  return out;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<Digest> Digest::from_hex(std::string_view hex) {
  if (hex.size() != 64) return make_error("digest must be 64 hex characters: '" + std::string(hex) + "'");
  Digest d;
  for (size_t i = 0; i < 32; ++i) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return make_error("not a hex digest: '" + std::string(hex) + "'");
    d.bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return d;
}

Sha256::Sha256() : ctx_(new SHA256_CTX) { SHA256_Init(static_cast<SHA256_CTX*>(ctx_)); }
Sha256::~Sha256() { delete static_cast<SHA256_CTX*>(ctx_); }

void Sha256::update(const void* data, size_t size) { SHA256_Update(static_cast<SHA256_CTX*>(ctx_), data, size); }

void Sha256::field(std::string_view s) {
  uint64_t n = s.size();
  update(&n, sizeof n);
  update(s);
}

Digest Sha256::finish() {
  Digest d;
  SHA256_Final(d.bytes.data(), static_cast<SHA256_CTX*>(ctx_));
  return d;
}

Digest sha256(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

Result<Digest> sha256_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot open " + path + ": " + std::strerror(errno));
  Sha256 h;
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return make_error("cannot read " + path + ": " + std::strerror(e));
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return h.finish();
}

}  // namespace kiln

// Protobuf wire format, the few pieces kiln's hand-rolled codecs need
// (https://protobuf.dev/programming-guides/encoding/): varints, tags, length-delimited fields,
// and a bounds-checked reader that skips unknown fields. Used by store/action_result.cpp
// (REAPI ActionResult) and core/index_pack.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln::protowire {

/// Appends `v` as a base-128 varint.
inline void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
/// Appends a field tag: field number and wire type (0 varint, 2 length-delimited).
inline void put_tag(std::string& out, int field, int wire) { put_varint(out, static_cast<uint64_t>(field) << 3 | wire); }
/// Appends a length-delimited field.
inline void put_bytes(std::string& out, int field, std::string_view b) {
  put_tag(out, field, 2);
  put_varint(out, b.size());
  out.append(b);
}
/// Appends a varint field (a negative value as its 64-bit two's complement, like int64).
inline void put_int(std::string& out, int field, int64_t v) {
  put_tag(out, field, 0);
  put_varint(out, static_cast<uint64_t>(v));
}

/// Reads fields from `s`. Any overrun or bad wire type sets `failed`, after which done() is true.
struct Reader {
  std::string_view s;
  size_t pos = 0;
  bool failed = false;

  bool done() const { return pos >= s.size() || failed; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= s.size()) {
        failed = true;
        return 0;
      }
      uint8_t b = static_cast<uint8_t>(s[pos++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    failed = true;
    return 0;
  }
  std::string_view bytes() {
    uint64_t n = varint();
    if (failed || n > s.size() - pos) {
      failed = true;
      return {};
    }
    std::string_view out = s.substr(pos, n);
    pos += n;
    return out;
  }
  void skip(int wire) {
    switch (wire) {
      case 0: varint(); break;
      case 1: pos += 8; break;
      case 2: bytes(); break;
      case 5: pos += 4; break;
      default: failed = true;
    }
    if (pos > s.size()) failed = true;
  }
};

}  // namespace kiln::protowire

// The build index's pack (see index_pack.h).
#include "core/index_pack.h"

#include "util/compress.h"
#include "util/protobuf_wire.h"

namespace kiln {

using namespace protowire;

IndexPack collect_index_pack(Store& local, const std::vector<Digest>& keys, bool include_local_onlys,
                             const WireNames& names) {
  IndexPack pack;
  size_t blob_bytes = 0;
  for (const auto& key : keys) {
    if (pack.entries.count(key)) continue;
    auto e = local.get_action(key);
    if (!e || !*e) continue;
    if ((*e)->meta.local_only && !include_local_onlys) continue;
    for (const auto& of : (*e)->output_files) {
      if (of.size < 0 || static_cast<size_t>(of.size) > kPackBlobMax || pack.blobs.count(of.digest)) continue;
      if (blob_bytes + static_cast<size_t>(of.size) > kPackBlobsTotalMax) continue;
      auto b = local.get_blob(of.digest);
      if (!b || !*b) continue;
      blob_bytes += (*b)->size();
      pack.blobs.emplace(of.digest, std::move(**b));
    }
    pack.entries.emplace(key, std::move(**e));
  }
  if (!names.empty())
    for (const auto& [key, entry] : pack.entries)
      for (const auto& of : entry.output_files)
        if (!pack.blobs.count(of.digest))
          if (auto n = names.find(of.digest); n != names.end()) pack.names.insert(*n);
  return pack;
}

Result<std::string> encode_index_pack(const IndexPack& pack) {
  std::string out;
  for (const auto& [key, entry] : pack.entries) {
    std::string m;
    put_bytes(m, 1, key.hex());
    put_bytes(m, 2, entry.encode());
    put_bytes(out, 1, m);
  }
  for (const auto& [digest, data] : pack.blobs) {
    std::string m;
    put_bytes(m, 1, digest.hex());
    put_bytes(m, 2, data);
    put_bytes(out, 2, m);
  }
  for (const auto& [digest, blob] : pack.names) {
    std::string m;
    put_bytes(m, 1, digest.hex());
    put_bytes(m, 2, blob.digest.hex());
    put_int(m, 3, blob.size);
    put_bytes(out, 3, m);
  }
  return zstd_compress(out);
}

namespace {

// The two fields of an Entry or a Blob message: the 64-hex name (1) and the bytes (2).
Result<std::pair<Digest, std::string_view>> read_named_bytes(std::string_view message) {
  Reader r{message};
  std::string_view name, data;
  while (!r.done()) {
    uint64_t tag = r.varint();
    int field = static_cast<int>(tag >> 3), wire = static_cast<int>(tag & 7);
    if (field == 1 && wire == 2) name = r.bytes();
    else if (field == 2 && wire == 2) data = r.bytes();
    else r.skip(wire);
  }
  if (r.failed) return make_error("index pack: malformed message");
  auto d = Digest::from_hex(name);
  if (!d) return make_error("index pack: bad digest");
  return std::pair<Digest, std::string_view>{*d, data};
}

// A Name message: content digest (1), stored blob's digest (2), its size (3).
Result<std::pair<Digest, WireBlob>> read_name(std::string_view message) {
  Reader r{message};
  std::string_view content, blob;
  uint64_t size = 0;
  while (!r.done()) {
    uint64_t tag = r.varint();
    int field = static_cast<int>(tag >> 3), wire = static_cast<int>(tag & 7);
    if (field == 1 && wire == 2) content = r.bytes();
    else if (field == 2 && wire == 2) blob = r.bytes();
    else if (field == 3 && wire == 0) size = r.varint();
    else r.skip(wire);
  }
  if (r.failed) return make_error("index pack: malformed name");
  auto c = Digest::from_hex(content);
  auto b = Digest::from_hex(blob);
  if (!c || !b || size > (uint64_t{1} << 40)) return make_error("index pack: bad name");
  return std::pair<Digest, WireBlob>{*c, WireBlob{*b, static_cast<int64_t>(size)}};
}

}  // namespace

Result<IndexPack> decode_index_pack(std::string_view bytes) {
  auto raw = zstd_decompress(bytes);
  if (!raw) return make_error("index pack: " + raw.error().message);
  IndexPack pack;
  Reader r{*raw};
  while (!r.done()) {
    uint64_t tag = r.varint();
    int field = static_cast<int>(tag >> 3), wire = static_cast<int>(tag & 7);
    if ((field == 1 || field == 2) && wire == 2) {
      auto m = read_named_bytes(r.bytes());
      if (!m) return m.error();
      auto& [name, data] = *m;
      if (field == 1) {
        auto e = ActionResult::decode(data);
        if (!e) return make_error("index pack: entry " + name.hex() + ": " + e.error().message);
        pack.entries.emplace(name, std::move(*e));
      } else {
        if (sha256(data) != name) return make_error("index pack: blob " + name.hex() + " does not match its digest");
        pack.blobs.emplace(name, std::string(data));
      }
    } else if (field == 3 && wire == 2) {
      auto n = read_name(r.bytes());
      if (!n) return n.error();
      pack.names.insert(*n);
    } else {
      r.skip(wire);
    }
  }
  if (r.failed) return make_error("index pack: truncated or malformed");
  return pack;
}

}  // namespace kiln

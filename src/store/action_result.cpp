// Hand-rolled protobuf wire codec for the few REAPI messages kiln stores:
//   ActionResult { repeated OutputFile output_files = 2; int32 exit_code = 4;
//                  bytes stdout_raw = 5; bytes stderr_raw = 7;
//                  ExecutedActionMetadata execution_metadata = 9; }
//   OutputFile   { string path = 1; Digest digest = 2; bool is_executable = 4; }
//   Digest       { string hash = 1; int64 size_bytes = 2; }
//   ExecutedActionMetadata { string worker = 1; repeated google.protobuf.Any auxiliary_metadata = 11; }
//   Any          { string type_url = 1; bytes value = 2; }
// Unknown fields are skipped on decode, as protobuf requires.
#include "store/action_result.h"

#include <nlohmann/json.hpp>

#include "util/protobuf_wire.h"

namespace kiln {
namespace {

using namespace protowire;

constexpr const char* kMetaType = "type.googleapis.com/kiln.EntryMeta";

std::string encode_meta(const EntryMeta& m) {
  nlohmann::json j = {{"kind", std::string(entry_kind_name(m.kind))},           {"crate_name", m.crate_name},
                      {"crate_type", m.crate_type}, {"package", m.package},
                      {"workspace_member", m.local_only},
                      {"compile_ms", m.compile_ms}, {"created_unix", m.created_unix},
                      {"payload", m.payload}};
  return j.dump();
}

bool decode_meta(std::string_view text, EntryMeta& m) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  try {  // value() throws on a field of the wrong type (entries may come from remote stores)
    m.kind = parse_entry_kind(j.value("kind", "result"));
    m.crate_name = j.value("crate_name", "");
    m.crate_type = j.value("crate_type", "");
    m.package = j.value("package", "");
    m.local_only = j.value("workspace_member", false);  // its name on the wire since round 1
    m.compile_ms = j.value("compile_ms", int64_t{0});
    m.created_unix = j.value("created_unix", int64_t{0});
    m.payload = j.value("payload", "");
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return true;
}

}  // namespace

std::string_view entry_kind_name(EntryKind k) {
  switch (k) {
    case EntryKind::Result: return "result";
    case EntryKind::PathBound: return "path-bound";
    case EntryKind::Manifest: return "manifest";
    case EntryKind::Index: return "index";
    case EntryKind::Unknown: break;
  }
  return "unknown";
}

EntryKind parse_entry_kind(std::string_view text) {
  for (EntryKind k : {EntryKind::Result, EntryKind::PathBound, EntryKind::Manifest, EntryKind::Index})
    if (entry_kind_name(k) == text) return k;
  return EntryKind::Unknown;
}

std::string ActionResult::encode() const {
  std::string out;
  for (const auto& f : output_files) {
    std::string digest;
    put_bytes(digest, 1, f.digest.hex());
    put_int(digest, 2, f.size);
    std::string file;
    put_bytes(file, 1, f.path);
    put_bytes(file, 2, digest);
    if (f.executable) put_int(file, 4, 1);
    put_bytes(out, 2, file);
  }
  if (exit_code != 0) put_int(out, 4, exit_code);
  if (!stdout_raw.empty()) put_bytes(out, 5, stdout_raw);
  if (!stderr_raw.empty()) put_bytes(out, 7, stderr_raw);
  std::string any;
  put_bytes(any, 1, kMetaType);
  put_bytes(any, 2, encode_meta(meta));
  std::string exec_meta;
  put_bytes(exec_meta, 1, "kiln");
  put_bytes(exec_meta, 11, any);
  put_bytes(out, 9, exec_meta);
  return out;
}

Result<ActionResult> ActionResult::decode(std::string_view bytes) {
  ActionResult r;
  bool have_meta = false;
  Reader rd{bytes};
  while (!rd.done()) {
    uint64_t tag = rd.varint();
    int field = static_cast<int>(tag >> 3), wire = static_cast<int>(tag & 7);
    if (field == 2 && wire == 2) {
      Reader f{rd.bytes()};
      OutputFile of;
      while (!f.done()) {
        uint64_t t = f.varint();
        int ff = static_cast<int>(t >> 3), fw = static_cast<int>(t & 7);
        if (ff == 1 && fw == 2) of.path = std::string(f.bytes());
        else if (ff == 2 && fw == 2) {
          Reader d{f.bytes()};
          while (!d.done()) {
            uint64_t dt = d.varint();
            int df = static_cast<int>(dt >> 3), dw = static_cast<int>(dt & 7);
            if (df == 1 && dw == 2) {
              auto dg = Digest::from_hex(d.bytes());
              if (!dg) return make_error("ActionResult: bad digest");
              of.digest = *dg;
            } else if (df == 2 && dw == 0) of.size = static_cast<int64_t>(d.varint());
            else d.skip(dw);
          }
          if (d.failed) return make_error("ActionResult: malformed digest");
        } else if (ff == 4 && fw == 0) of.executable = f.varint() != 0;
        else f.skip(fw);
      }
      if (f.failed) return make_error("ActionResult: malformed output file");
      r.output_files.push_back(std::move(of));
    } else if (field == 4 && wire == 0) {
      r.exit_code = static_cast<int32_t>(rd.varint());
    } else if (field == 5 && wire == 2) {
      r.stdout_raw = std::string(rd.bytes());
    } else if (field == 7 && wire == 2) {
      r.stderr_raw = std::string(rd.bytes());
    } else if (field == 9 && wire == 2) {
      Reader em{rd.bytes()};
      while (!em.done()) {
        uint64_t t = em.varint();
        int ef = static_cast<int>(t >> 3), ew = static_cast<int>(t & 7);
        if (ef == 11 && ew == 2) {
          Reader any{em.bytes()};
          std::string_view type, value;
          while (!any.done()) {
            uint64_t at = any.varint();
            int af = static_cast<int>(at >> 3), aw = static_cast<int>(at & 7);
            if (af == 1 && aw == 2) type = any.bytes();
            else if (af == 2 && aw == 2) value = any.bytes();
            else any.skip(aw);
          }
          if (!any.failed && type == kMetaType) have_meta = decode_meta(value, r.meta);
        } else {
          em.skip(ew);
        }
      }
      if (em.failed) return make_error("ActionResult: malformed metadata");
    } else {
      rd.skip(wire);
    }
  }
  if (rd.failed) return make_error("ActionResult: truncated or malformed");
  if (!have_meta) return make_error("ActionResult: no kiln metadata");
  return r;
}

}  // namespace kiln

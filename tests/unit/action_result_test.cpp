// Tests of the ActionResult protobuf codec (src/store/action_result.h): a hand-assembled
// message with REAPI's field numbers (remote_execution.proto: ActionResult.output_files=2,
// exit_code=4, stdout_raw=5, stderr_raw=7, execution_metadata=9; OutputFile.path=1,
// digest=2, is_executable=4; Digest.hash=1, size_bytes=2; ExecutedActionMetadata
// .auxiliary_metadata=11; Any.type_url=1, value=2) decodes, unknown fields are skipped,
// encode/decode round-trips, and truncated or malformed input is an error.
#include <gtest/gtest.h>

#include "store/action_result.h"

namespace kiln {
namespace {

// A minimal protobuf writer, independent of the one under test.
std::string varint(uint64_t v) {
  std::string out;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    out += static_cast<char>(b);
  } while (v);
  return out;
}
std::string tag(int field, int wire) { return varint(static_cast<uint64_t>(field) << 3 | wire); }
std::string len_field(int field, const std::string& bytes) { return tag(field, 2) + varint(bytes.size()) + bytes; }
std::string int_field(int field, uint64_t v) { return tag(field, 0) + varint(v); }

const std::string kMetaType = "type.googleapis.com/kiln.EntryMeta";

std::string meta_field(const std::string& json, const std::string& extra_in_exec_meta = "") {
  std::string any = len_field(1, kMetaType) + len_field(2, json);
  std::string exec_meta = len_field(1, "worker-1") + extra_in_exec_meta + len_field(11, any);
  return len_field(9, exec_meta);
}

const std::string kHex = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";  // sha256("foo")

TEST(ActionResultCodec, DecodesAHandAssembledMessage) {
  std::string digest = len_field(1, kHex) + int_field(2, 3);
  std::string file = len_field(1, "{{kiln:target}}/debug/deps/libfoo-1.rlib") + len_field(2, digest) + int_field(4, 1);
  std::string msg = len_field(2, file) + int_field(4, 1) + len_field(5, "out") + len_field(7, "err") +
                    meta_field(R"({"kind":"result","crate_name":"foo","crate_type":"lib","package":"foo 1.0.0",)"
                               R"("workspace_member":true,"compile_ms":1234,"created_unix":1700000000,"payload":"p"})");
  auto r = ActionResult::decode(msg);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->output_files.size(), 1u);
  EXPECT_EQ(r->output_files[0].path, "{{kiln:target}}/debug/deps/libfoo-1.rlib");
  EXPECT_EQ(r->output_files[0].digest.hex(), kHex);
  EXPECT_EQ(r->output_files[0].size, 3);
  EXPECT_TRUE(r->output_files[0].executable);
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_EQ(r->stdout_raw, "out");
  EXPECT_EQ(r->stderr_raw, "err");
  EXPECT_EQ(r->meta.kind, EntryKind::Result);
  EXPECT_EQ(r->meta.crate_name, "foo");
  EXPECT_EQ(r->meta.crate_type, "lib");
  EXPECT_EQ(r->meta.package, "foo 1.0.0");
  EXPECT_TRUE(r->meta.local_only);
  EXPECT_EQ(r->meta.compile_ms, 1234);
  EXPECT_EQ(r->meta.created_unix, 1700000000);
  EXPECT_EQ(r->meta.payload, "p");
}

TEST(ActionResultCodec, SkipsUnknownFields) {
  // Unknown fields of every wire type at every level, as a newer REAPI server might send.
  std::string digest = len_field(1, kHex) + int_field(9, 77) + int_field(2, 3);
  std::string file = len_field(1, "a.rlib") + len_field(7, "node properties") + len_field(2, digest) +
                     tag(8, 5) + std::string("\x01\x02\x03\x04", 4);
  std::string msg = len_field(3, len_field(1, "an output directory")) + len_field(2, file) +
                    tag(13, 1) + std::string("12345678", 8) + int_field(12, 1u << 20) + int_field(4, 2) +
                    tag(14, 5) + std::string("abcd", 4) + len_field(6, len_field(1, kHex)) +
                    meta_field(R"({"kind":"manifest","future_key":[1,2,3]})", len_field(2, int_field(1, 99))) +
                    len_field(99, "trailing unknown");
  auto r = ActionResult::decode(msg);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->output_files.size(), 1u);
  EXPECT_EQ(r->output_files[0].path, "a.rlib");
  EXPECT_EQ(r->output_files[0].size, 3);
  EXPECT_FALSE(r->output_files[0].executable);
  EXPECT_EQ(r->exit_code, 2);
  EXPECT_EQ(r->meta.kind, EntryKind::Manifest);
  EXPECT_EQ(r->meta.crate_name, "");
}

ActionResult sample() {
  ActionResult r;
  for (int i = 0; i < 3; ++i) {
    OutputFile f;
    f.path = "{{kiln:target}}/debug/deps/out-" + std::to_string(i);
    f.digest = sha256("content " + std::to_string(i));
    f.size = 1000000007LL * (i + 1);
    f.executable = i == 2;
    r.output_files.push_back(f);
  }
  r.exit_code = 0;
  r.stdout_raw = std::string("binary\0\xff\x80 stdout", 16);
  r.stderr_raw = std::string(300, 'e') + "{\"$message_type\":\"artifact\"}\n";
  r.meta.kind = EntryKind::PathBound;
  r.meta.crate_name = "mylib";
  r.meta.crate_type = "lib,rlib";
  r.meta.package = "mylib 0.3.1";
  r.meta.local_only = true;
  r.meta.compile_ms = 98765;
  r.meta.created_unix = 1760000000;
  r.meta.payload = "{\"sets\":[]}\n\"quoted\" \\ ünïcode";
  return r;
}

void expect_same(const ActionResult& a, const ActionResult& b) {
  ASSERT_EQ(a.output_files.size(), b.output_files.size());
  for (size_t i = 0; i < a.output_files.size(); ++i) {
    EXPECT_EQ(a.output_files[i].path, b.output_files[i].path);
    EXPECT_EQ(a.output_files[i].digest, b.output_files[i].digest);
    EXPECT_EQ(a.output_files[i].size, b.output_files[i].size);
    EXPECT_EQ(a.output_files[i].executable, b.output_files[i].executable);
  }
  EXPECT_EQ(a.exit_code, b.exit_code);
  EXPECT_EQ(a.stdout_raw, b.stdout_raw);
  EXPECT_EQ(a.stderr_raw, b.stderr_raw);
  EXPECT_EQ(a.meta.kind, b.meta.kind);
  EXPECT_EQ(a.meta.crate_name, b.meta.crate_name);
  EXPECT_EQ(a.meta.crate_type, b.meta.crate_type);
  EXPECT_EQ(a.meta.package, b.meta.package);
  EXPECT_EQ(a.meta.local_only, b.meta.local_only);
  EXPECT_EQ(a.meta.compile_ms, b.meta.compile_ms);
  EXPECT_EQ(a.meta.created_unix, b.meta.created_unix);
  EXPECT_EQ(a.meta.payload, b.meta.payload);
}

TEST(ActionResultCodec, RoundTrip) {
  ActionResult r = sample();
  auto back = ActionResult::decode(r.encode());
  ASSERT_TRUE(back.ok()) << back.error().message;
  expect_same(*back, r);

  for (int32_t code : {1, 101, -1, -2147483647 - 1, 2147483647}) {
    SCOPED_TRACE(code);
    ActionResult c = sample();
    c.exit_code = code;
    auto d = ActionResult::decode(c.encode());
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->exit_code, code);
  }

  ActionResult empty;  // no outputs, no output text, default metadata
  auto e = ActionResult::decode(empty.encode());
  ASSERT_TRUE(e.ok()) << e.error().message;
  expect_same(*e, empty);
}

TEST(ActionResultCodec, EncodingIsDeterministic) { EXPECT_EQ(sample().encode(), sample().encode()); }

TEST(ActionResultCodec, EveryTruncationIsAnError) {
  std::string bytes = sample().encode();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = ActionResult::decode(std::string_view(bytes).substr(0, n));
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " of " << bytes.size() << " bytes decoded";
  }
}

TEST(ActionResultCodec, MalformedInputIsAnError) {
  std::string good = sample().encode();
  EXPECT_FALSE(ActionResult::decode(good + tag(15, 3)).ok());   // start group: unsupported
  EXPECT_FALSE(ActionResult::decode(good + tag(15, 7)).ok());   // no such wire type
  EXPECT_FALSE(ActionResult::decode(good + "\xff").ok());        // varint cut short
  EXPECT_FALSE(ActionResult::decode(good + tag(15, 1) + "1234").ok());  // fixed64 cut short
  EXPECT_FALSE(ActionResult::decode(std::string(11, '\xff')).ok());    // varint longer than 64 bits
  // A digest that is not 64 hex characters.
  std::string file = len_field(1, "a") + len_field(2, len_field(1, "not-hex") + int_field(2, 1));
  EXPECT_FALSE(ActionResult::decode(len_field(2, file) + meta_field("{}")).ok());
  // No kiln metadata, metadata of another type, metadata that is not JSON.
  EXPECT_FALSE(ActionResult::decode(int_field(4, 1)).ok());
  std::string other_any = len_field(1, "type.googleapis.com/other.Meta") + len_field(2, "{}");
  EXPECT_FALSE(ActionResult::decode(len_field(9, len_field(11, other_any))).ok());
  EXPECT_FALSE(ActionResult::decode(meta_field("not json")).ok());
  EXPECT_FALSE(ActionResult::decode(meta_field("[1,2]")).ok());
}

TEST(ActionResultCodec, MetadataOfTheWrongTypeIsAnErrorNotAnException) {
  // Entries come from remote stores too: a field of the wrong JSON type must not throw.
  for (const char* json : {R"({"compile_ms":"soon"})", R"({"kind":5})", R"({"workspace_member":"yes"})",
                           R"({"payload":null})"}) {
    SCOPED_TRACE(json);
    Result<ActionResult> r = make_error("not run");
    EXPECT_NO_THROW(r = ActionResult::decode(meta_field(json)));
    EXPECT_FALSE(r.ok());
  }
}

}  // namespace
}  // namespace kiln

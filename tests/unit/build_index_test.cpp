// Tests of the build index (src/core/build_index.h): the keys wrapper processes note are read
// back once each, in first-use order; the index key changes with every part of its identity
// (cargo arguments, Cargo.lock — or Cargo.toml before there is a lock —, toolchain, RUSTFLAGS);
// an index entry round-trips through a store with its pack, which carries the entries and
// small blobs (workspace members' only when allowed) and is rejected when tampered with. Prefetching against real servers is covered by
// tests/e2e/test_remote_redis.sh and test_remote_http.sh.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/build_index.h"
#include "core/index_pack.h"
#include "store/local/local_store.h"
#include "test_support.h"
#include "util/compress.h"
#include "util/protobuf_wire.h"
#include "util/fs.h"

namespace kiln {
namespace {

TEST(BuildIndex, NotedKeysAreReadBackOnceInOrder) {
  testing::TempDir tmp;
  testing::ScopedEnv env;
  std::string file = tmp.write("index", "");
  Digest a = sha256("a"), b = sha256("b"), c = sha256("c");
  env.unset("KILN_INDEX_FILE");
  note_used_keys({a});  // no file named: nothing happens
  env.set("KILN_INDEX_FILE", file);
  note_used_keys({b, a});
  note_used_keys({a, c});
  note_used_keys({});
  auto text = read_file(file);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, b.hex() + "\n" + a.hex() + "\n" + a.hex() + "\n" + c.hex() + "\n");
  tmp.write("index", *text + "not a key\n" + b.hex().substr(0, 10) + "\n");
  EXPECT_EQ(read_used_keys(file), (std::vector<Digest>{b, a, c}));
  EXPECT_TRUE(read_used_keys(tmp / "absent").empty());
}

TEST(BuildIndex, KeyChangesWithEachPartOfTheIdentity) {
  testing::TempDir tmp;
  testing::ScopedEnv env;
  for (const char* v : {"RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_TARGET", "CARGO_BUILD_RUSTFLAGS"}) env.unset(v);
  std::string ws = tmp / "ws";
  tmp.write("ws/Cargo.toml", "[workspace]\nmembers = [\"app\"]\n");
  tmp.write("ws/app/Cargo.toml", "[package]\nname = \"app\"\n");
  const std::string v1 = "rustc 1.95.0\nhost: x86_64-unknown-linux-gnu\n";
  auto base = compute_index_key({"build"}, ws + "/app", v1);
  ASSERT_TRUE(base.has_value()) << "Cargo.toml files identify a project before it has a Cargo.lock";
  EXPECT_EQ(compute_index_key({"build"}, ws + "/app", v1), base) << "deterministic";
  EXPECT_NE(compute_index_key({"build", "--release"}, ws + "/app", v1), base);
  EXPECT_NE(compute_index_key({"test"}, ws + "/app", v1), base);
  EXPECT_NE(compute_index_key({"build"}, ws + "/app", "rustc 1.96.0\n"), base);
  env.set("RUSTFLAGS", "-C target-cpu=native");
  EXPECT_NE(compute_index_key({"build"}, ws + "/app", v1), base);
  env.unset("RUSTFLAGS");
  tmp.write("ws/app/Cargo.toml", "[package]\nname = \"app\"\nversion = \"2.0.0\"\n");
  auto edited = compute_index_key({"build"}, ws + "/app", v1);
  EXPECT_NE(edited, base);
  // Once there is a Cargo.lock it alone identifies the project, at any depth below it.
  tmp.write("ws/Cargo.lock", "version = 3\n");
  auto locked = compute_index_key({"build"}, ws + "/app", v1);
  EXPECT_NE(locked, edited);
  EXPECT_EQ(compute_index_key({"build"}, ws, v1), locked);
  tmp.write("ws/Cargo.lock", "version = 3\n[[package]]\nname = \"app\"\n");
  EXPECT_NE(compute_index_key({"build"}, ws, v1), locked);
  // The same project in another checkout: the same key (only contents count, not paths).
  tmp.write("elsewhere/ws/Cargo.lock", "version = 3\n[[package]]\nname = \"app\"\n");
  EXPECT_EQ(compute_index_key({"build"}, tmp / "elsewhere/ws", v1), compute_index_key({"build"}, ws, v1));
}

TEST(BuildIndex, EntryRoundTripsThroughAStore) {
  testing::TempDir tmp;
  LocalStore store(tmp / "store");
  Digest key = sha256("index key");
  std::vector<Digest> keys = {sha256("m"), sha256("r")};
  ASSERT_TRUE(put_index(store, store, key, keys, true).ok());
  auto e = store.get_action(key);
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->meta.kind, EntryKind::Index);
  auto j = nlohmann::json::parse((*e)->meta.payload);
  EXPECT_EQ(j["keys"], (nlohmann::json{keys[0].hex(), keys[1].hex()}));
  // The store has neither entry: the pack is empty, but there.
  ASSERT_EQ((*e)->output_files.size(), 1u);
  EXPECT_EQ((*e)->output_files[0].path, kIndexPackPath);
}

// A result entry of `crate` with one output per blob in `blobs`, stored with its blobs.
Digest put_result(Store& store, const std::string& crate, const std::vector<std::string>& blobs, bool workspace) {
  ActionResult r;
  r.meta.crate_name = crate;
  r.meta.local_only = workspace;
  for (const auto& b : blobs) {
    EXPECT_TRUE(store.put_blob(sha256(b), b).ok());
    r.output_files.push_back(OutputFile{crate + "-" + std::to_string(r.output_files.size()), sha256(b),
                                        static_cast<int64_t>(b.size()), false});
  }
  Digest key = sha256("result " + crate);
  EXPECT_TRUE(store.put_action(key, r).ok());
  return key;
}

TEST(BuildIndex, PackCarriesEntriesAndSmallBlobsButNotWorkspaceMembersWhenAsked) {
  testing::TempDir tmp;
  LocalStore store(tmp / "store");
  std::string small = "small rmeta", big(kPackBlobMax + 1, 'x'), own = "private code";
  Digest dep = put_result(store, "dep", {small, big}, false);
  Digest mine = put_result(store, "mine", {own}, true);
  ActionResult manifest;
  manifest.meta.kind = EntryKind::Manifest;
  manifest.meta.payload = "{}";
  Digest mkey = sha256("manifest key");
  ASSERT_TRUE(store.put_action(mkey, manifest).ok());
  std::vector<Digest> keys = {mkey, dep, mine, sha256("not in the store")};

  for (bool with_workspace : {true, false}) {
    Digest index_key = sha256(with_workspace ? "all" : "deps");
    ASSERT_TRUE(put_index(store, store, index_key, keys, with_workspace).ok());
    auto e = store.get_action(index_key);
    ASSERT_TRUE(e.ok() && e->has_value());
    ASSERT_EQ((*e)->output_files.size(), 1u);
    auto bytes = store.get_blob((*e)->output_files[0].digest);
    ASSERT_TRUE(bytes.ok() && bytes->has_value());
    auto pack = decode_index_pack(**bytes);
    ASSERT_TRUE(pack.ok()) << pack.error().message;
    EXPECT_TRUE(pack->entries.count(mkey));
    EXPECT_TRUE(pack->entries.count(dep));
    EXPECT_EQ(pack->entries.count(mine), with_workspace ? 1u : 0u);
    EXPECT_EQ(pack->entries.size(), with_workspace ? 3u : 2u);
    EXPECT_EQ(pack->blobs.count(sha256(small)), 1u);
    EXPECT_EQ(pack->blobs.count(sha256(big)), 0u) << "large blobs are fetched on their own";
    EXPECT_EQ(pack->blobs.count(sha256(own)), with_workspace ? 1u : 0u);
    EXPECT_EQ(pack->entries.at(dep).meta.crate_name, "dep");
  }
}

// A local store that also knows remote blob names, as a TieredStore over an OCI registry does.
class NamingStore : public LocalStore {
 public:
  using LocalStore::LocalStore;
  WireNames names;
  WireNames known_wire_names() override { return names; }
};

TEST(BuildIndex, PackNamesTheRemoteBlobsOfItsLargerOutputsOnly) {
  testing::TempDir tmp;
  NamingStore store(tmp / "store");
  std::string small = "small rmeta", big(kPackBlobMax + 1, 'y'), other(kPackBlobMax + 2, 'z');
  Digest dep = put_result(store, "dep", {small, big}, false);
  Digest frame = sha256("the frame of big"), prior_frame = sha256("a frame the last pack named");
  store.names[sha256(big)] = WireBlob{frame, 123};
  store.names[sha256(small)] = WireBlob{sha256("small's frame"), 7};  // packed itself: no name needed
  store.names[sha256(other)] = WireBlob{sha256("not an output of a packed entry"), 9};
  Digest index_key = sha256("names");
  // The store's own names win over the last pack's.
  ASSERT_TRUE(put_index(store, store, index_key, {dep}, true, {{sha256(big), WireBlob{prior_frame, 5}}}).ok());
  auto e = store.get_action(index_key);
  ASSERT_TRUE(e.ok() && e->has_value());
  auto bytes = store.get_blob((*e)->output_files[0].digest);
  ASSERT_TRUE(bytes.ok() && bytes->has_value());
  auto pack = decode_index_pack(**bytes);
  ASSERT_TRUE(pack.ok()) << pack.error().message;
  ASSERT_EQ(pack->names.size(), 1u);
  EXPECT_EQ(pack->names.at(sha256(big)).digest, frame);
  EXPECT_EQ(pack->names.at(sha256(big)).size, 123);

  // Without names of its own the store passes on the last pack's.
  store.names.clear();
  ASSERT_TRUE(put_index(store, store, index_key, {dep}, true, {{sha256(big), WireBlob{prior_frame, 5}}}).ok());
  e = store.get_action(index_key);
  bytes = store.get_blob((*e)->output_files[0].digest);
  pack = decode_index_pack(**bytes);
  ASSERT_TRUE(pack.ok());
  EXPECT_EQ(pack->names.at(sha256(big)).digest, prior_frame);
}

TEST(IndexPack, NamesRoundTripAndOlderPacksReadWithout) {
  IndexPack pack;
  pack.blobs.emplace(sha256("abc"), "abc");
  pack.names[sha256("content")] = WireBlob{sha256("frame"), 4096};
  pack.names[sha256("raw")] = WireBlob{sha256("raw"), 0};
  auto bytes = encode_index_pack(pack);
  ASSERT_TRUE(bytes.ok());
  auto back = decode_index_pack(*bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->names.size(), 2u);
  EXPECT_EQ(back->names.at(sha256("content")).digest, sha256("frame"));
  EXPECT_EQ(back->names.at(sha256("content")).size, 4096);
  EXPECT_EQ(back->names.at(sha256("raw")).digest, sha256("raw"));
  // A pack as older kilns wrote it (fields 1 and 2 only) has no names.
  IndexPack old;
  old.blobs.emplace(sha256("abc"), "abc");
  auto old_bytes = encode_index_pack(old);
  ASSERT_TRUE(old_bytes.ok());
  auto old_back = decode_index_pack(*old_bytes);
  ASSERT_TRUE(old_back.ok());
  EXPECT_TRUE(old_back->names.empty());
  EXPECT_EQ(old_back->blobs.size(), 1u);
  // A name that is not a digest makes the pack unreadable (a pack is all or nothing).
  std::string bad;
  protowire::put_bytes(bad, 1, sha256("content").hex());
  protowire::put_bytes(bad, 2, "not hex");
  std::string raw;
  protowire::put_bytes(raw, 3, bad);
  auto z = zstd_compress(raw);
  ASSERT_TRUE(z.ok());
  EXPECT_FALSE(decode_index_pack(*z).ok());
}

TEST(IndexPack, RejectsTamperedOrMalformedBytes) {
  IndexPack pack;
  pack.blobs.emplace(sha256("abc"), "abd");  // content that does not match its digest
  auto bytes = encode_index_pack(pack);
  ASSERT_TRUE(bytes.ok());
  auto decoded = decode_index_pack(*bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("does not match"), std::string::npos);
  EXPECT_FALSE(decode_index_pack("not zstd").ok());
  auto garbage = zstd_compress(std::string("\x0a\xff\xff\xff", 4));
  ASSERT_TRUE(garbage.ok());
  EXPECT_FALSE(decode_index_pack(*garbage).ok());
  IndexPack empty;
  auto e = encode_index_pack(empty);
  ASSERT_TRUE(e.ok());
  auto back = decode_index_pack(*e);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->entries.empty() && back->blobs.empty());
}

}  // namespace
}  // namespace kiln

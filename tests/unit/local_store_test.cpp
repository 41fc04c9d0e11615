// Tests of the local store (src/store/local/local_store.h) in a scratch directory: blobs and
// action entries round-trip; a missing one is a miss (not an error); a corrupt or truncated
// file is reported as a miss, removed, and counted by corrupt_found().
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "store/local/local_store.h"
#include "test_support.h"
#include "util/compress.h"
#include "util/fs.h"

namespace kiln {
namespace {

ActionResult sample_entry() {
  ActionResult r;
  OutputFile f;
  f.path = "{{kiln:target}}/debug/deps/libmylib-1.rlib";
  f.digest = sha256("rlib bytes");
  f.size = 10;
  r.output_files.push_back(f);
  r.stderr_raw = "{\"$message_type\":\"artifact\",\"artifact\":\"{{kiln:target}}/debug/deps/libmylib-1.rmeta\"}\n";
  r.meta.crate_name = "mylib";
  r.meta.crate_type = "lib";
  r.meta.compile_ms = 321;
  return r;
}

std::string slurp(const std::string& path) {
  auto s = read_file(path);
  EXPECT_TRUE(s.ok()) << path;
  return s.ok() ? *s : std::string();
}

void overwrite(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
  ASSERT_TRUE(f.good());
}

class LocalStoreTest : public ::testing::Test {
 protected:
  testing::TempDir tmp_;
  std::string dir_ = tmp_ / "store/not/yet/created";  // created on first write
  LocalStore store_{dir_};
};

TEST_F(LocalStoreTest, BlobRoundTrip) {
  std::string data = std::string("some rlib bytes\0with a NUL", 26) + std::string(100000, 'x');
  Digest d = sha256(data);
  auto miss = store_.get_blob(d);
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());
  EXPECT_FALSE(*store_.has_blob(d));

  ASSERT_TRUE(store_.put_blob(d, data).ok());
  EXPECT_TRUE(*store_.has_blob(d));
  auto hit = store_.get_blob(d);
  ASSERT_TRUE(hit.ok());
  ASSERT_TRUE(hit->has_value());
  EXPECT_EQ(**hit, data);
  // Layout: cas/<2 hex>/<62 hex>, zstd-compressed.
  EXPECT_EQ(store_.blob_path(d), dir_ + "/cas/" + d.hex().substr(0, 2) + "/" + d.hex().substr(2));
  std::string file = slurp(store_.blob_path(d));
  EXPECT_LT(file.size(), data.size());
  EXPECT_EQ(*zstd_decompress(file), data);
  // Putting it again is fine; the empty blob works too.
  ASSERT_TRUE(store_.put_blob(d, data).ok());
  Digest e = sha256("");
  ASSERT_TRUE(store_.put_blob(e, "").ok());
  auto empty = store_.get_blob(e);
  ASSERT_TRUE(empty.ok() && empty->has_value());
  EXPECT_EQ(**empty, "");
  EXPECT_EQ(store_.corrupt_found(), 0);
}

TEST_F(LocalStoreTest, ActionRoundTrip) {
  Digest key = sha256("an action key");
  auto miss = store_.get_action(key);
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());

  ASSERT_TRUE(store_.put_action(key, sample_entry()).ok());
  EXPECT_EQ(store_.action_path(key), dir_ + "/ac/" + key.hex().substr(0, 2) + "/" + key.hex().substr(2));
  EXPECT_EQ(slurp(store_.action_path(key)).substr(0, 8), "KILNAC01");
  auto hit = store_.get_action(key);
  ASSERT_TRUE(hit.ok());
  ASSERT_TRUE(hit->has_value());
  const ActionResult& r = **hit;
  ASSERT_EQ(r.output_files.size(), 1u);
  EXPECT_EQ(r.output_files[0].path, "{{kiln:target}}/debug/deps/libmylib-1.rlib");
  EXPECT_EQ(r.output_files[0].digest, sha256("rlib bytes"));
  EXPECT_EQ(r.stderr_raw, sample_entry().stderr_raw);
  EXPECT_EQ(r.meta.crate_name, "mylib");
  EXPECT_EQ(r.meta.compile_ms, 321);

  // A later put replaces the entry.
  ActionResult newer = sample_entry();
  newer.meta.compile_ms = 999;
  ASSERT_TRUE(store_.put_action(key, newer).ok());
  EXPECT_EQ((*store_.get_action(key))->meta.compile_ms, 999);
  EXPECT_EQ(store_.corrupt_found(), 0);
  // No temp files left beside the entry.
  EXPECT_EQ(list_dir(dir_name(store_.action_path(key))).size(), 1u);
}

// Each way of damaging an action entry file: the read is a miss, the file is gone.
TEST_F(LocalStoreTest, CorruptActionEntryIsAMissAndRemoved) {
  struct Damage {
    const char* what;
    std::function<std::string(const std::string&)> apply;
  };
  const Damage damages[] = {
      {"truncated", [](const std::string& b) { return b.substr(0, b.size() / 2); }},
      {"header only", [](const std::string& b) { return b.substr(0, 40); }},
      {"empty", [](const std::string&) { return std::string(); }},
      {"bad magic", [](const std::string& b) { return "KILNAC99" + b.substr(8); }},
      {"bad checksum", [](const std::string& b) { std::string c = b; c[10] ^= 1; return c; }},
      {"flipped payload bit", [](const std::string& b) { std::string c = b; c[c.size() - 3] ^= 0x40; return c; }},
      {"trailing garbage", [](const std::string& b) { return b + "garbage"; }},
      {"valid frame of other content",
       [](const std::string& b) { return b.substr(0, 40) + *zstd_compress(ActionResult().encode(), 1); }},
  };
  int expected_corrupt = 0;
  for (const auto& d : damages) {
    SCOPED_TRACE(d.what);
    Digest key = sha256(std::string("key ") + d.what);
    ASSERT_TRUE(store_.put_action(key, sample_entry()).ok());
    std::string path = store_.action_path(key);
    overwrite(path, d.apply(slurp(path)));
    auto r = store_.get_action(key);
    ASSERT_TRUE(r.ok()) << "a corrupt entry is a miss, not a store error";
    EXPECT_FALSE(r->has_value());
    EXPECT_FALSE(path_exists(path)) << "corrupt file not removed";
    EXPECT_EQ(store_.corrupt_found(), ++expected_corrupt);
    // The next read is a plain miss; a new put works.
    auto again = store_.get_action(key);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->has_value());
    EXPECT_EQ(store_.corrupt_found(), expected_corrupt);
    ASSERT_TRUE(store_.put_action(key, sample_entry()).ok());
    auto healed = store_.get_action(key);
    ASSERT_TRUE(healed.ok());
    EXPECT_TRUE(healed->has_value());
  }
}

TEST_F(LocalStoreTest, CorruptBlobIsAMissAndRemoved) {
  std::string data(5000, 'b');
  Digest d = sha256(data);
  const std::vector<std::pair<const char*, std::function<std::string(const std::string&)>>> damages = {
      {"truncated", [](const std::string& b) { return b.substr(0, b.size() - 2); }},
      {"other content", [](const std::string&) { return *zstd_compress(std::string(5000, 'c'), 1); }},
      {"not zstd", [](const std::string&) { return std::string(5000, 'b'); }},
      {"empty", [](const std::string&) { return std::string(); }},
  };
  int expected_corrupt = 0;
  for (const auto& [what, apply] : damages) {
    SCOPED_TRACE(what);
    ASSERT_TRUE(store_.put_blob(d, data).ok());
    std::string path = store_.blob_path(d);
    overwrite(path, apply(slurp(path)));
    auto r = store_.get_blob(d);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value()) << "a store never hands out bytes that do not match their digest";
    EXPECT_FALSE(path_exists(path));
    EXPECT_EQ(store_.corrupt_found(), ++expected_corrupt);
  }
}

TEST(LocalStoreFiles, DecodeRejectsForeignBytes) {
  EXPECT_FALSE(LocalStore::decode_action_file("").ok());
  EXPECT_FALSE(LocalStore::decode_action_file("KILNAC01").ok());
  EXPECT_FALSE(LocalStore::decode_action_file(std::string(100, 'z')).ok());
  Digest d = sha256("x");
  EXPECT_FALSE(LocalStore::decode_blob_file("x", d).ok());
  auto ok = LocalStore::decode_blob_file(*zstd_compress("x", 1), d);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "x");
}

}  // namespace
}  // namespace kiln

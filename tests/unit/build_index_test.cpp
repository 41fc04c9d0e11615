// Tests of the build index (src/core/build_index.h): the keys wrapper processes note are read
// back once each, in first-use order; the index key changes with every part of its identity
// (cargo arguments, Cargo.lock — or Cargo.toml before there is a lock —, toolchain, RUSTFLAGS);
// an index entry round-trips through a store. Prefetching against real servers is covered by
// tests/e2e/test_remote_redis.sh and test_remote_http.sh.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/build_index.h"
#include "store/local/local_store.h"
#include "test_support.h"
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
  ASSERT_TRUE(put_index(store, key, keys).ok());
  auto e = store.get_action(key);
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->meta.kind, "index");
  EXPECT_TRUE((*e)->output_files.empty());
  auto j = nlohmann::json::parse((*e)->meta.payload);
  EXPECT_EQ(j["keys"], (nlohmann::json{keys[0].hex(), keys[1].hex()}));
}

}  // namespace
}  // namespace kiln

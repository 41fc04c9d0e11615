// Tests of the local store (src/store/local/local_store.h) in a scratch directory: blobs and
// action entries round-trip; a missing one is a miss (not an error); a corrupt or truncated
// file is reported as a miss, removed, and counted by corrupt_found().
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "store/local/blob_file.h"
#include "store/local/local_store.h"
#include "store/local/store_verify.h"
#include "test_support.h"
#include "util/compress.h"
#include "util/clock.h"
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

// Replaces the file at `path` with a new one (a new inode, no attributes): as another writer's
// rename would, or an older kiln's file.
void replace_file(const std::string& path, const std::string& bytes) {
  ASSERT_TRUE(write_file_atomic(path, bytes).ok());
}

// Rewrites the file at `path` in place (same inode, attributes kept): damage.
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
  std::string data = std::string("some rlib bytes\0with a NUL", 26) + std::string(20000, 'x');  // < 32 KiB: framed
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
  // Layout: cas/<2 hex>/<62 hex>: the tag frame naming the digest, one checksummed LZ4 frame
  // (any LZ4 reader skips the tag).
  EXPECT_EQ(store_.blob_path(d), dir_ + "/cas/" + d.hex().substr(0, 2) + "/" + d.hex().substr(2));
  std::string file = slurp(store_.blob_path(d));
  EXPECT_LT(file.size(), data.size());
  auto tag = parse_blob_tag(file);
  ASSERT_TRUE(tag.has_value());
  EXPECT_EQ(tag->digest, d);
  EXPECT_EQ(tag->xxh3_64, xxh3_64(data));
  EXPECT_EQ(codec_of(file.substr(kBlobTagSize)), Codec::Lz4);
  EXPECT_EQ(*lz4_decompress(file), data);
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

// Pseudo-random bytes that compress a little, as rlibs do.
std::string noisy(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    s[i] = static_cast<char>((seed >> 24) & (i % 3 == 0 ? 0xff : 0x0f));
  }
  return s;
}

const std::vector<std::pair<const char*, std::function<std::string(const std::string&)>>>& damages() {
  static const std::vector<std::pair<const char*, std::function<std::string(const std::string&)>>> d = {
      {"truncated", [](const std::string& b) { return b.substr(0, b.size() - 2); }},
      {"cut in half", [](const std::string& b) { return b.substr(0, b.size() / 2); }},
      {"other content (lz4)", [](const std::string& b) { return *lz4_compress(std::string(b.size(), 'c')); }},
      {"another blob's file", [](const std::string& b) {
         std::string other(b.size(), 'c');
         return blob_file_tag(sha256(other), other) + *lz4_compress(other);
       }},
      {"a flipped byte in the tag", [](std::string b) { b[20] ^= 0x01; return b; }},
      {"a flipped byte in the checksum", [](std::string b) { b[kBlobTagSize - 1] ^= 0x01; return b; }},
      {"this blob's tag on other content", [](const std::string& b) {
         return b.substr(0, kBlobTagSize) + *lz4_compress(std::string(b.size(), 'c'));
       }},

      {"other content (zstd)", [](const std::string& b) { return *zstd_compress(std::string(b.size(), 'c'), 1); }},
      {"a flipped byte", [](std::string b) { b[b.size() / 2] ^= 0x55; return b; }},
      {"not compressed", [](const std::string& b) { return std::string(b.size(), 'b'); }},
      {"empty", [](const std::string&) { return std::string(); }},
  };
  return d;
}

TEST_F(LocalStoreTest, CorruptBlobIsAMissAndRemoved) {
  std::string data = noisy(5000, 7);
  Digest d = sha256(data);
  int expected_corrupt = 0;
  for (const auto& [what, apply] : damages()) {
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

// restore_blob streams a blob into a file: small blobs on one thread, ≥ 256 KiB compressed
// through the two-thread pipeline; both codecs; the file mode follows `executable`.
TEST_F(LocalStoreTest, RestoreBlobStreamsIntoAFile) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{70000}, size_t{3} << 20}) {
    for (Codec codec : {Codec::Lz4, Codec::Zstd}) {
      SCOPED_TRACE(std::to_string(size) + (codec == Codec::Lz4 ? " lz4" : " zstd"));
      std::string data = noisy(size, static_cast<uint32_t>(size));
      Digest d = sha256(data);
      ASSERT_TRUE(store_.put_blob(d, data).ok());
      if (codec == Codec::Zstd) replace_file(store_.blob_path(d), *zstd_compress(data, 1));  // an older store
      std::string out = tmp_ / "target/debug/deps/out.bin";  // parents created on demand
      auto r = store_.restore_blob(d, out, size == 1);
      ASSERT_TRUE(r.ok()) << r.error().message;
      ASSERT_TRUE(*r);
      EXPECT_EQ(slurp(out), data);
      EXPECT_EQ(stat_file(out)->mode & 0777, size == 1 ? 0755u : 0644u);
      ::unlink(out.c_str());
    }
  }
  auto miss = store_.restore_blob(sha256("absent"), tmp_ / "absent.bin", false);
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(*miss);
  EXPECT_FALSE(path_exists(tmp_ / "absent.bin"));
}

// A blob fetched from a remote is stored uncompressed in an LZ4 frame (no compressing on the
// way in, none to undo on restore), and reads back the same way.
TEST_F(LocalStoreTest, FetchedBlobIsStoredUncompressedAndReadsBack) {
  for (size_t size : {size_t{0}, size_t{1000}, size_t{256} << 10, (size_t{1} << 20) + 3}) {
    SCOPED_TRACE(size);
    std::string data = noisy(size, 5);
    Digest d = sha256(data);
    ASSERT_TRUE(store_.put_fetched_blob(d, data).ok());
    std::string file = slurp(store_.blob_path(d));
    if (size >= kPlainBlobMinBytes) {  // a plain blob file: the content, its tag an attribute
      EXPECT_EQ(file, data);
      ASSERT_TRUE(plain_blob_tag_at(store_.blob_path(d)).has_value());
      EXPECT_EQ(plain_blob_tag_at(store_.blob_path(d))->digest, d);
      EXPECT_EQ(**store_.get_blob(d), data);
      continue;
    }
    ASSERT_TRUE(parse_blob_tag(file).has_value());
    EXPECT_EQ(parse_blob_tag(file)->digest, d);
    EXPECT_EQ(codec_of(file.substr(kBlobTagSize)), Codec::Lz4);
    EXPECT_GE(file.size(), data.size());
    EXPECT_LE(file.size(), data.size() + kBlobTagSize + 32 + 4 * (size / (256 << 10) + 1));
    EXPECT_EQ(*lz4_decompress(file), data);
    EXPECT_EQ(**store_.get_blob(d), data);
    std::string out = tmp_ / "fetched.bin";
    ASSERT_TRUE(*store_.restore_blob(d, out, false));
    EXPECT_EQ(slurp(out), data);
  }
}

// A blob that came from a remote as a zstd frame is kept as that frame (no compressing, a
// quarter of the bytes for build outputs), tagged with its content's digest, and reads and
// restores back as the content; damage to the kept frame is a corrupt blob, never served.
TEST_F(LocalStoreTest, FetchedZstdFrameIsKeptAsItCame) {
  for (size_t size : {size_t{5000}, size_t{12000}}) {  // (from 32 KiB: plain blob files)
    SCOPED_TRACE(size);
    std::string data = noisy(size, 6) + std::string(size, 'a');  // compressible
    auto frame = zstd_compress(data);
    ASSERT_TRUE(frame.ok());
    Digest d = sha256(data);
    ASSERT_TRUE(store_.put_fetched_blob(d, data, *frame).ok());
    std::string file = slurp(store_.blob_path(d));
    ASSERT_TRUE(parse_blob_tag(file).has_value());
    EXPECT_EQ(parse_blob_tag(file)->digest, d);
    EXPECT_EQ(file.substr(kBlobTagSize), *frame);
    EXPECT_EQ(**store_.get_blob(d), data);
    std::string out = tmp_ / "fetched-zstd.bin";
    ASSERT_TRUE(*store_.restore_blob(d, out, false));
    EXPECT_EQ(slurp(out), data);
    // Damage in the middle of the frame: a miss, the file removed.
    file[kBlobTagSize + frame->size() / 2] ^= 0x5a;
    ASSERT_TRUE(write_file_atomic(store_.blob_path(d), file).ok());
    std::string out2 = tmp_ / "damaged.bin";
    auto r = store_.restore_blob(d, out2, false);
    EXPECT_TRUE(!r.ok() || !*r);
    EXPECT_FALSE(path_exists(out2));
  }
  // Without a frame (the blob came raw), or with one that is not zstd: stored as before.
  std::string raw = noisy(3000, 7);
  ASSERT_TRUE(store_.put_fetched_blob(sha256(raw), raw, "").ok());
  EXPECT_EQ(codec_of(slurp(store_.blob_path(sha256(raw))).substr(kBlobTagSize)), Codec::Lz4);
}

// A damaged blob never reaches the output path (not even as a torn file), is removed and counted.
TEST_F(LocalStoreTest, RestoreBlobRejectsDamage) {
  for (size_t size : {size_t{5000}, size_t{4} << 20}) {  // one thread; the pipeline
    std::string data = noisy(size, 11);
    Digest d = sha256(data);
    int expected_corrupt = store_.corrupt_found();
    for (const auto& [what, apply] : damages()) {
      SCOPED_TRACE(std::string(what) + " " + std::to_string(size));
      ASSERT_TRUE(store_.put_blob(d, data).ok());
      std::string path = store_.blob_path(d);
      overwrite(path, apply(slurp(path)));
      std::string out = tmp_ / "restored.bin";
      overwrite(out, "previous build's file");
      auto r = store_.restore_blob(d, out, false);
      ASSERT_TRUE(r.ok());
      EXPECT_FALSE(*r);
      EXPECT_EQ(slurp(out), "previous build's file");
      EXPECT_FALSE(path_exists(path));
      EXPECT_EQ(store_.corrupt_found(), ++expected_corrupt);
      for (const auto& e : std::filesystem::directory_iterator(tmp_.path()))
        EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << "temp file left behind";
    }
  }
}

// Blob files of older kilns (an LZ4 or zstd frame, no tag) still restore, checked by SHA-256.
TEST_F(LocalStoreTest, UntaggedBlobOfAnOlderKilnRestores) {
  std::string data = noisy(300000, 3);
  Digest d = sha256(data);
  for (const auto& frame : {*lz4_compress(data), *zstd_compress(data, 1)}) {
    ASSERT_TRUE(store_.put_blob(d, data).ok());
    std::string path = store_.blob_path(d);
    replace_file(path, frame);
    EXPECT_FALSE(parse_blob_tag(frame).has_value());
    std::string out = tmp_ / "restored.bin";
    auto r = store_.restore_blob(d, out, false);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(*r);
    EXPECT_EQ(slurp(out), data);
    EXPECT_EQ(**store_.get_blob(d), data);
    ASSERT_TRUE(::unlink(path.c_str()) == 0);
  }
}

// From 32 KiB a blob is a plain blob file (its content, the tag in user.kiln.blob), and a
// restore hard-links it into place: one inode, the output's mtime is now, the mode is set while
// the store holds the only link; a restore that wants another mode of a shared inode copies.
TEST_F(LocalStoreTest, PlainBlobRestoresAsAHardLink) {
  std::string data = noisy(200000, 21);
  Digest d = sha256(data);
  ASSERT_TRUE(store_.put_blob(d, data).ok());
  std::string blob = store_.blob_path(d);
  ASSERT_EQ(slurp(blob), data);
  ASSERT_TRUE(plain_blob_tag_at(blob).has_value());
  EXPECT_EQ(plain_blob_tag_at(blob)->xxh3_64, xxh3_64(data));
  kiln::testing::set_mtime(blob, wall_ns() / 1000000000 - 3600);

  std::string bin = tmp_ / "target/debug/deps/app-1";
  auto r = store_.restore_blob(d, bin, /*executable=*/true, /*may_link=*/true);
  ASSERT_TRUE(r.ok() && *r);
  auto b = stat_file(blob), o = stat_file(bin);
  EXPECT_EQ(o->inode, b->inode) << "linked, not copied";
  EXPECT_EQ(o->mode & 0777, 0755u);
  EXPECT_GT(o->mtime_ns, wall_ns() - 60'000'000'000) << "the output's mtime is the restore's";
  EXPECT_EQ(slurp(bin), data);

  std::string rlib = tmp_ / "target/debug/deps/libapp-1.rlib";  // same bytes, not executable
  ASSERT_TRUE(*store_.restore_blob(d, rlib, false, true));
  EXPECT_NE(stat_file(rlib)->inode, b->inode) << "the shared inode's mode is not changed";
  EXPECT_EQ(stat_file(rlib)->mode & 0777, 0644u);
  EXPECT_EQ(stat_file(bin)->mode & 0777, 0755u);
  EXPECT_EQ(slurp(rlib), data);

  // hard_links off, or a caller that may rewrite the file in place (no may_link): copies.
  LocalStore copying(dir_);
  copying.set_hard_links(false);
  std::string copy = tmp_ / "other/app-1";
  kiln::testing::set_mtime(blob, wall_ns() / 1000000000 - 3600);
  ASSERT_TRUE(*copying.restore_blob(d, copy, true, true));
  EXPECT_NE(stat_file(copy)->inode, b->inode);
  EXPECT_GT(stat_file(blob)->mtime_ns, wall_ns() - 60'000'000'000) << "a copy is a use of the blob too (eviction)";
  EXPECT_EQ(slurp(copy), data);
  std::string generated = tmp_ / "out/generated.rs";
  ASSERT_TRUE(*store_.restore_blob(d, generated, true));
  EXPECT_NE(stat_file(generated)->inode, b->inode);
  EXPECT_EQ(slurp(generated), data);
  EXPECT_EQ(store_.corrupt_found(), 0);
}

// An output rewritten in place changes the blob it is linked to: the next restore finds the
// content no longer matches its tag, writes nothing, removes the blob and counts it — a miss,
// never the rewritten bytes. `kiln cache verify` finds the same.
TEST_F(LocalStoreTest, APlainBlobChangedThroughItsLinkIsAMiss) {
  for (bool by_verify : {false, true}) {
    SCOPED_TRACE(by_verify ? "verify" : "restore");
    std::string data = noisy(100000, by_verify ? 31 : 32);
    Digest d = sha256(data);
    ASSERT_TRUE(store_.put_blob(d, data).ok());
    std::string out = tmp_ / "target/debug/deps/libx.rlib";
    ASSERT_TRUE(*store_.restore_blob(d, out, false, /*may_link=*/true));
    std::string changed = data;
    changed[50000] ^= 1;
    overwrite(out, changed);  // in place: the same inode
    ASSERT_EQ(slurp(store_.blob_path(d)), changed);
    if (by_verify) {
      VerifyReport v = verify_store(dir_);
      EXPECT_EQ(v.blobs_damaged, 1u);
    } else {
      int before = store_.corrupt_found();
      std::string again = tmp_ / "elsewhere/libx.rlib";
      auto r = store_.restore_blob(d, again, false);
      ASSERT_TRUE(r.ok());
      EXPECT_FALSE(*r);
      EXPECT_FALSE(path_exists(again));
      EXPECT_EQ(store_.corrupt_found(), before + 1);
      auto g = store_.get_blob(d);
      ASSERT_TRUE(g.ok());
      EXPECT_FALSE(g->has_value());
    }
    EXPECT_FALSE(path_exists(store_.blob_path(d)));
    ::unlink(out.c_str());
  }
  // A good plain blob verifies.
  std::string data = noisy(70000, 33);
  ASSERT_TRUE(store_.put_blob(sha256(data), data).ok());
  VerifyReport v = verify_store(dir_);
  EXPECT_TRUE(v.clean());
  EXPECT_GE(v.blobs_ok, 1u);
}

TEST(LocalStoreFiles, DecodeRejectsForeignBytes) {
  EXPECT_FALSE(LocalStore::decode_action_file("").ok());
  EXPECT_FALSE(LocalStore::decode_action_file("KILNAC01").ok());
  EXPECT_FALSE(LocalStore::decode_action_file(std::string(100, 'z')).ok());
  Digest d = sha256("x");
  EXPECT_FALSE(LocalStore::decode_blob_file("x", d).ok());
  for (const auto& frame : {*zstd_compress("x", 1), *lz4_compress("x")}) {
    auto ok = LocalStore::decode_blob_file(frame, d);
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(*ok, "x");
  }
}

}  // namespace
}  // namespace kiln

// HttpStore against a real nginx WebDAV server on 127.0.0.1: the Bazel HTTP cache layout,
// round trips, HEAD, basic auth, and faults (tampered files, 500, refused, silent server).
#include <gtest/gtest.h>

#include "remote_test_servers.h"
#include "store/remote/health.h"
#include "store/remote/http_store.h"

namespace kiln {
namespace {

using remote_test::Nginx;

ActionResult sample_entry(const std::string& blob) {
  ActionResult r;
  r.output_files.push_back({"{{kiln:target}}/debug/libx.rlib", sha256(blob), (int64_t)blob.size(), false});
  r.stderr_raw = "warning: unused\n";
  r.meta.crate_name = "x";
  r.meta.payload = "p";
  return r;
}

HttpStore store_at(const std::string& url, int timeout_ms = 3000) {
  auto u = parse_remote_url(url);
  EXPECT_TRUE(u) << url;
  return HttpStore(*u, timeout_ms);
}

struct HttpTest : ::testing::Test {
  Nginx nginx;
  void SetUp() override {
    if (!Nginx::available()) GTEST_SKIP() << "nginx not installed";
    ASSERT_TRUE(nginx.start()) << "nginx did not start; see " << nginx.dir;
  }
};

}  // namespace

TEST_F(HttpTest, BlobRoundTripInBazelLayout) {
  HttpStore s = store_at(nginx.url("/team/cache"));
  std::string blob(100000, 'b');
  Digest d = sha256(blob);
  EXPECT_FALSE(*s.has_blob(d));
  auto miss = s.get_blob(d);
  ASSERT_TRUE(miss) << miss.error().message;
  EXPECT_FALSE(*miss);
  ASSERT_TRUE(s.put_blob(d, blob));
  EXPECT_TRUE(*s.has_blob(d));
  auto got = s.get_blob(d);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, blob);
  // Raw content at {prefix}/cas/{sha256}.
  EXPECT_EQ(*read_file(nginx.root() + "/team/cache/cas/" + d.hex()), blob);
  // PUT over an existing blob is fine.
  EXPECT_TRUE(s.put_blob(d, blob));
}

TEST_F(HttpTest, ActionRoundTripInBazelLayout) {
  HttpStore s = store_at(nginx.url());
  Digest key = sha256("action");
  auto miss = s.get_action(key);
  ASSERT_TRUE(miss);
  EXPECT_FALSE(*miss);
  ActionResult e = sample_entry("x");
  ASSERT_TRUE(s.put_action(key, e));
  EXPECT_EQ(*read_file(nginx.root() + "/ac/" + key.hex()), e.encode());
  auto got = s.get_action(key);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->encode(), e.encode());
}

TEST_F(HttpTest, TamperedBlobIsAnErrorNeverBytes) {
  HttpStore s = store_at(nginx.url());
  Digest d = sha256("good content");
  ASSERT_TRUE(s.put_blob(d, "good content"));
  ASSERT_TRUE(write_file_atomic(nginx.root() + "/cas/" + d.hex(), "evil content"));
  auto got = s.get_blob(d);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("does not match"), std::string::npos);
  ASSERT_TRUE(write_file_atomic(nginx.root() + "/cas/" + d.hex(), "good"));  // truncated
  EXPECT_FALSE(s.get_blob(d));
}

TEST_F(HttpTest, GarbageActionEntryIsAnError) {
  HttpStore s = store_at(nginx.url());
  Digest key = sha256("k");
  ASSERT_TRUE(make_dirs(nginx.root() + "/ac"));
  ASSERT_TRUE(write_file_atomic(nginx.root() + "/ac/" + key.hex(), std::string("\xff\xff\xff\xff\x0f garbage", 13)));
  EXPECT_FALSE(s.get_action(key));
}

TEST_F(HttpTest, BasicAuthFromTheUrl) {
  Digest d = sha256("secret blob");
  HttpStore anonymous = store_at(nginx.url("/auth"));
  auto denied = anonymous.put_blob(d, "secret blob");
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message.find("401"), std::string::npos) << denied.error().message;
  HttpStore wrong = store_at("http://kiln:nope@127.0.0.1:" + std::to_string(nginx.port) + "/auth");
  EXPECT_FALSE(wrong.has_blob(d));
  HttpStore good = store_at("http://kiln:secret@127.0.0.1:" + std::to_string(nginx.port) + "/auth");
  ASSERT_TRUE(good.put_blob(d, "secret blob"));
  EXPECT_TRUE(*good.has_blob(d));
  EXPECT_EQ(**good.get_blob(d), "secret blob");
}

TEST_F(HttpTest, ServerErrorIsAnError) {
  HttpStore s = store_at(nginx.url("/fail500"));
  auto got = s.get_action(sha256("k"));
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("HTTP 500"), std::string::npos);
  EXPECT_FALSE(is_timeout(got.error()));
  EXPECT_FALSE(s.put_blob(sha256("b"), "b"));
  EXPECT_FALSE(s.has_blob(sha256("b")));
}

TEST(HttpFaults, RefusedConnectionIsAnError) {
  int port = remote_test::free_port();  // nothing listens there
  HttpStore s = store_at("http://127.0.0.1:" + std::to_string(port));
  auto got = s.get_action(sha256("k"));
  ASSERT_FALSE(got);
  EXPECT_FALSE(is_timeout(got.error()));
}

TEST(HttpFaults, SilentServerTimesOut) {
  remote_test::SilentServer silent;
  HttpStore s = store_at("http://127.0.0.1:" + std::to_string(silent.port), 300);
  auto got = s.get_blob(sha256("b"));
  ASSERT_FALSE(got);
  EXPECT_TRUE(is_timeout(got.error())) << got.error().message;
}

}  // namespace kiln

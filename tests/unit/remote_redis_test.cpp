// RedisStore against a real redis-server on 127.0.0.1: key layout, round trips, TTL,
// database selection, AUTH, and faults (tampered values, refused, silent server).
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "remote_test_servers.h"
#include "store/remote/health.h"
#include "store/remote/redis_store.h"
#include "util/compress.h"

namespace kiln {
namespace {

using remote_test::Redis;

std::unique_ptr<RedisStore> store_at(const std::string& url, int timeout_ms = 3000) {
  auto u = parse_remote_url(url);
  EXPECT_TRUE(u) << url;
  auto s = RedisStore::create(*u, timeout_ms);
  EXPECT_TRUE(s) << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

// Runs one command on the server directly (to inspect or tamper with what the store wrote).
struct Direct {
  redisContext* c;
  explicit Direct(int port, int db = 0) {
    c = redisConnect("127.0.0.1", port);
    if (db) freeReplyObject(redisCommand(c, "SELECT %d", db));
  }
  ~Direct() { redisFree(c); }
  long long integer(const char* fmt, const std::string& key) {
    auto* r = static_cast<redisReply*>(redisCommand(c, fmt, key.c_str()));
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -99;
    freeReplyObject(r);
    return v;
  }
  std::string get(const std::string& key) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "GET %b", key.data(), key.size()));
    std::string v = r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : std::string();
    freeReplyObject(r);
    return v;
  }
  void set(const std::string& key, const std::string& value) {
    freeReplyObject(redisCommand(c, "SET %b %b", key.data(), key.size(), value.data(), value.size()));
  }
};

struct RedisTest : ::testing::Test {
  Redis redis;
  void SetUp() override {
    if (!Redis::available()) GTEST_SKIP() << "redis-server not installed";
    ASSERT_TRUE(redis.start()) << "redis-server did not start; see " << redis.dir;
  }
};

}  // namespace

TEST_F(RedisTest, RoundTripsUnderKilnKeys) {
  auto s = store_at(redis.url());
  std::string blob(70000, 'r');
  Digest d = sha256(blob), key = sha256("action");
  EXPECT_FALSE(*s->has_blob(d));
  EXPECT_FALSE(*s->get_blob(d));
  EXPECT_FALSE(*s->get_action(key));
  ASSERT_TRUE(s->put_blob(d, blob));
  ActionResult e;
  e.output_files.push_back({"{{kiln:target}}/x", d, (int64_t)blob.size(), true});
  e.stdout_raw = "out";
  ASSERT_TRUE(s->put_action(key, e));
  EXPECT_TRUE(*s->has_blob(d));
  EXPECT_EQ(**s->get_blob(d), blob);
  EXPECT_EQ((*s->get_action(key))->encode(), e.encode());
  Direct direct(redis.port);
  EXPECT_EQ(direct.integer("EXISTS %s", "kiln:cas:" + d.hex()), 1);
  EXPECT_EQ(direct.integer("EXISTS %s", "kiln:ac:" + key.hex()), 1);
  EXPECT_EQ(direct.integer("TTL %s", "kiln:ac:" + key.hex()), -1);  // no expiry by default
}

TEST_F(RedisTest, TtlPrefixAndDatabase) {
  auto s = store_at(redis.url("/3?ttl=7d&prefix=team"));
  EXPECT_EQ(s->ttl_seconds(), 7 * 86400);
  Digest d = sha256("b");
  ASSERT_TRUE(s->put_blob(d, "b"));
  Direct direct(redis.port, 3);
  long long ttl = direct.integer("TTL %s", "team:cas:" + d.hex());
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 7 * 86400);
  EXPECT_EQ(Direct(redis.port).integer("EXISTS %s", "team:cas:" + d.hex()), 0);  // not in db 0
  EXPECT_TRUE(*s->has_blob(d));  // EXPIRE renews and answers
}

TEST_F(RedisTest, BadParametersAreRejected) {
  EXPECT_FALSE(RedisStore::create(*parse_remote_url("redis://h/x"), 100));
  EXPECT_FALSE(RedisStore::create(*parse_remote_url("redis://h?ttl=soon"), 100));
  EXPECT_FALSE(RedisStore::create(*parse_remote_url("redis://h?colour=red"), 100));
}

TEST_F(RedisTest, BlobsTravelCompressedAndOlderRawBlobsStillRead) {
  auto s = store_at(redis.url());
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i % 97) + " of a compressible output\n";
  Digest d = sha256(text);
  ASSERT_TRUE(s->put_blob(d, text));
  Direct direct(redis.port);
  std::string on_wire = direct.get("kiln:cas:" + d.hex());
  EXPECT_EQ(codec_of(on_wire), Codec::Zstd);
  EXPECT_LT(on_wire.size(), text.size() / 5) << "what travels is the zstd frame";
  EXPECT_EQ(s->take_wire_bytes().up, on_wire.size()) << "the wire counter counts the frame";
  EXPECT_EQ(**s->get_blob(d), text) << "read back uncompressed";
  EXPECT_EQ(s->take_wire_bytes().down, on_wire.size());
  // An entry an older kiln stored raw, and a small one stored raw now: both read.
  std::string old = text + "older";
  direct.set("kiln:cas:" + sha256(old).hex(), old);
  EXPECT_EQ(**s->get_blob(sha256(old)), old);
  ASSERT_TRUE(s->put_blob(sha256("tiny"), "tiny"));
  EXPECT_EQ(direct.get("kiln:cas:" + sha256("tiny").hex()), "tiny");
  // Incompressible bytes stay raw.
  std::string noise;
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 50000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    noise.push_back(static_cast<char>(x));
  }
  ASSERT_TRUE(s->put_blob(sha256(noise), noise));
  EXPECT_EQ(direct.get("kiln:cas:" + sha256(noise).hex()), noise);
  EXPECT_EQ(**s->get_blob(sha256(noise)), noise);
}

TEST_F(RedisTest, CompressionOffSendsRawBlobs) {
  auto s = RedisStore::create(*parse_remote_url(redis.url()), 2000, /*compress=*/false);
  ASSERT_TRUE(s.ok());
  std::string text(100000, 'a');
  ASSERT_TRUE((*s)->put_blob(sha256(text), text));
  Direct direct(redis.port);
  EXPECT_EQ(direct.get("kiln:cas:" + sha256(text).hex()), text);
}

TEST_F(RedisTest, ACorruptCompressedBlobIsAnErrorNeverBytes) {
  auto s = store_at(redis.url());
  std::string text(100000, 'k');
  Digest d = sha256(text);
  ASSERT_TRUE(s->put_blob(d, text));
  Direct direct(redis.port);
  std::string frame = direct.get("kiln:cas:" + d.hex());
  ASSERT_EQ(codec_of(frame), Codec::Zstd);
  frame[frame.size() / 2] ^= 0x5a;
  direct.set("kiln:cas:" + d.hex(), frame);
  auto got = s->get_blob(d);
  ASSERT_FALSE(got) << "served bytes from a corrupt frame";
  EXPECT_NE(got.error().message.find("does not match"), std::string::npos);
  // A frame of other content under this digest: refused the same way.
  direct.set("kiln:cas:" + d.hex(), *zstd_compress(text + "x", 1));
  EXPECT_FALSE(s->get_blob(d));
}

TEST_F(RedisTest, TamperedValuesAreErrorsNeverBytes) {
  auto s = store_at(redis.url());
  Digest d = sha256("good");
  Direct direct(redis.port);
  direct.set("kiln:cas:" + d.hex(), "evil");
  auto got = s->get_blob(d);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("does not match"), std::string::npos);
  direct.set("kiln:ac:" + d.hex(), std::string("\xff\xff\xff\xff\x0f", 5));
  EXPECT_FALSE(s->get_action(d));
}

TEST(RedisAuth, PasswordFromTheUrl) {
  if (!Redis::available()) GTEST_SKIP() << "redis-server not installed";
  Redis redis;
  ASSERT_TRUE(redis.start({"--requirepass", "pw"}));
  auto anonymous = store_at(redis.url());
  EXPECT_FALSE(anonymous->has_blob(sha256("x")));
  auto wrong = store_at("redis://:nope@127.0.0.1:" + std::to_string(redis.port));
  EXPECT_FALSE(wrong->has_blob(sha256("x")));
  auto good = store_at("redis://:pw@127.0.0.1:" + std::to_string(redis.port));
  ASSERT_TRUE(good->put_blob(sha256("x"), "x"));
  EXPECT_TRUE(*good->has_blob(sha256("x")));
  auto acl_user = store_at("redis://default:pw@127.0.0.1:" + std::to_string(redis.port));
  EXPECT_TRUE(*acl_user->has_blob(sha256("x")));
}

TEST(RedisFaults, RefusedConnectionIsAnError) {
  auto s = store_at("redis://127.0.0.1:" + std::to_string(remote_test::free_port()));
  auto got = s->get_action(sha256("k"));
  ASSERT_FALSE(got);
  EXPECT_FALSE(is_timeout(got.error()));
}

TEST(RedisFaults, SilentServerTimesOut) {
  remote_test::SilentServer silent;
  auto s = store_at("redis://127.0.0.1:" + std::to_string(silent.port), 300);
  auto got = s->get_blob(sha256("b"));
  ASSERT_FALSE(got);
  EXPECT_TRUE(is_timeout(got.error())) << got.error().message;
}

}  // namespace kiln

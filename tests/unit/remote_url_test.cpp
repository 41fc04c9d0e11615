// Remote store URL parsing: schemes, credentials, ports, prefixes, query, access suffixes.
#include <gtest/gtest.h>

#include "store/remote/remote_url.h"

namespace kiln {

TEST(RemoteUrl, HttpWithPrefixAndPort) {
  auto u = parse_remote_url("http://cache.example:8080/kiln/ci/");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "cache.example");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path, "/kiln/ci");
  EXPECT_FALSE(u->has_credentials);
  EXPECT_EQ(u->access, RemoteAccess::ReadWrite);
  EXPECT_EQ(u->origin(), "http://cache.example:8080");
  EXPECT_EQ(u->name(), "http://cache.example:8080/kiln/ci");
}

TEST(RemoteUrl, DefaultPorts) {
  EXPECT_EQ(parse_remote_url("https://h")->port_or_default(), 443);
  EXPECT_EQ(parse_remote_url("http://h")->port_or_default(), 80);
  EXPECT_EQ(parse_remote_url("redis://h")->port_or_default(), 6379);
  EXPECT_EQ(parse_remote_url("https://h")->path, "");
}

TEST(RemoteUrl, CredentialsAreDecodedAndHiddenFromName) {
  auto u = parse_remote_url("https://ci%40corp:p%3Ass@cache:9000/x#read-only");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_TRUE(u->has_credentials);
  EXPECT_EQ(u->user, "ci@corp");
  EXPECT_EQ(u->password, "p:ss");
  EXPECT_EQ(u->access, RemoteAccess::ReadOnly);
  EXPECT_FALSE(u->writable());
  EXPECT_TRUE(u->readable());
  EXPECT_EQ(u->name(), "https://cache:9000/x");
  EXPECT_EQ(u->name().find("p:ss"), std::string::npos);
}

TEST(RemoteUrl, WriteOnlySuffix) {
  auto u = parse_remote_url("redis://127.0.0.1:6380/2?ttl=7d#write-only");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->access, RemoteAccess::WriteOnly);
  EXPECT_FALSE(u->readable());
  EXPECT_EQ(u->path, "/2");
  EXPECT_EQ(u->query.at("ttl"), "7d");
}

TEST(RemoteUrl, RedisPasswordOnly) {
  auto u = parse_remote_url("redis://:secret@h");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->user, "");
  EXPECT_EQ(u->password, "secret");
}

TEST(RemoteUrl, Ipv6Host) {
  auto u = parse_remote_url("http://[::1]:8080/p");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->origin(), "http://[::1]:8080");
}

TEST(RemoteUrl, Errors) {
  EXPECT_FALSE(parse_remote_url("cache.example:8080"));
  EXPECT_FALSE(parse_remote_url("ftp://h/x"));
  EXPECT_FALSE(parse_remote_url("http:///x"));
  EXPECT_FALSE(parse_remote_url("http://h:0/"));
  EXPECT_FALSE(parse_remote_url("http://h:99999/"));
  EXPECT_FALSE(parse_remote_url("http://h:80x/"));
  EXPECT_FALSE(parse_remote_url("http://h/#readonly"));
  EXPECT_FALSE(parse_remote_url("http://u:%zz@h/"));
}

TEST(RemoteUrl, Durations) {
  EXPECT_EQ(*parse_duration_seconds("3600"), 3600);
  EXPECT_EQ(*parse_duration_seconds("45s"), 45);
  EXPECT_EQ(*parse_duration_seconds("30m"), 1800);
  EXPECT_EQ(*parse_duration_seconds("12h"), 43200);
  EXPECT_EQ(*parse_duration_seconds("7d"), 604800);
  EXPECT_FALSE(parse_duration_seconds(""));
  EXPECT_FALSE(parse_duration_seconds("-1"));
  EXPECT_FALSE(parse_duration_seconds("7y"));
}

}  // namespace kiln

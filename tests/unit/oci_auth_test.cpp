// Registry authentication: WWW-Authenticate parsing (RFC 7235), base64, token request URLs
// and answers, and the Basic / Bearer decisions of OciAuth (the token endpoint is a function
// here; tests/e2e/test_remote_oci.sh runs the flow against a real registry and token server).
#include <gtest/gtest.h>

#include "oci/registry_auth.h"

#include <stdlib.h>

#include "util/fs.h"

namespace kiln {
namespace {

TEST(OciAuthChallenge, ParsesBearerWithQuotedParams) {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:kiln/cache:pull,push")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params["realm"], "https://auth.example/token");
  EXPECT_EQ(c[0].params["service"], "registry.example");
  EXPECT_EQ(c[0].params["scope"], "repository:kiln/cache:pull,push");  // comma inside quotes kept
}

TEST(OciAuthChallenge, ParsesSeveralChallengesTokensAndEscapes) {
  auto c = parse_www_authenticate(R"(Basic realm="a \"quoted\" realm", charset=UTF-8, Bearer realm=x , error="invalid_token")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].params["realm"], "a \"quoted\" realm");
  EXPECT_EQ(c[0].params["charset"], "UTF-8");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].params["realm"], "x");
  EXPECT_EQ(c[1].params["error"], "invalid_token");
}

TEST(OciAuthChallenge, SchemeAndKeysAreCaseInsensitive) {
  auto c = parse_www_authenticate(R"(BASIC Realm="r")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].params["realm"], "r");
  EXPECT_TRUE(parse_www_authenticate("").empty());
  EXPECT_EQ(parse_www_authenticate("Basic").size(), 1u);
}

TEST(OciAuthBase64, RoundTripsAndRejectsGarbage) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("{}"), "e30=");
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= bytes.size(); n += 37) {
    auto back = base64_decode(base64_encode(bytes.substr(0, n)));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, bytes.substr(0, n));
  }
  EXPECT_FALSE(base64_decode("abc").ok());
  EXPECT_FALSE(base64_decode("ab!d").ok());
  EXPECT_FALSE(base64_decode("a===").ok());
  EXPECT_FALSE(base64_decode("Zg==Zg==").ok());
  EXPECT_EQ(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");  // RFC 7617 §2
}

TEST(OciAuthToken, RequestUrlAndAnswer) {
  EXPECT_EQ(token_request_url("https://auth/token", "reg.io", {"repository:kiln/cache:pull,push"}),
            "https://auth/token?service=reg.io&scope=repository%3Akiln%2Fcache%3Apull%2Cpush");
  EXPECT_EQ(token_request_url("https://auth/token?x=1", "", {"a", "b"}), "https://auth/token?x=1&scope=a&scope=b");
  EXPECT_EQ(parse_token_response(R"({"token":"t1","expires_in":300})")->token, "t1");
  EXPECT_EQ(parse_token_response(R"({"token":"t1","expires_in":300})")->expires_in_s, 300);
  EXPECT_EQ(parse_token_response(R"({"access_token":"t2"})")->token, "t2");
  EXPECT_EQ(parse_token_response(R"({"access_token":"t2"})")->expires_in_s, 60);  // the spec's default
  EXPECT_FALSE(parse_token_response(R"({"token":""})").ok());
  EXPECT_FALSE(parse_token_response("not json").ok());
  EXPECT_FALSE(parse_token_response("[]").ok());
}

struct FakeTokenEndpoint {
  std::vector<std::pair<std::string, std::string>> calls;  // url, authorization
  long status = 200;
  std::string body = R"({"token":"tok"})";
  OciAuth::TokenFetch fn() {
    return [this](const std::string& url, const std::string& auth) -> Result<OciAuth::TokenAnswer> {
      calls.emplace_back(url, auth);
      return OciAuth::TokenAnswer{status, body};
    };
  }
};

TEST(OciAuthFlow, BasicChallengeUsesCredentialsOnce) {
  OciAuth auth("kiln/cache", "u", "p", true);
  FakeTokenEndpoint ep;
  EXPECT_EQ(auth.header(OciAccess::Pull), "");
  ASSERT_TRUE(auth.answer(R"(Basic realm="registry")", OciAccess::Pull, ep.fn()).ok());
  EXPECT_EQ(auth.header(OciAccess::Pull), basic_authorization("u", "p"));
  EXPECT_EQ(auth.header(OciAccess::Push), basic_authorization("u", "p"));
  // A second 401 with the same credentials: refused, no loop.
  Status again = auth.answer(R"(Basic realm="registry")", OciAccess::Pull, ep.fn());
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("refused"), std::string::npos);
  EXPECT_TRUE(ep.calls.empty());
}

TEST(OciAuthFlow, BasicChallengeWithoutCredentialsSaysWhatToDo) {
  OciAuth auth("kiln", "", "", false);
  FakeTokenEndpoint ep;
  Status s = auth.answer(R"(Basic realm="registry")", OciAccess::Pull, ep.fn());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("remote_username"), std::string::npos);
}

TEST(OciAuthFlow, BearerFetchesATokenPerAccess) {
  OciAuth auth("kiln/cache", "u", "p", true);
  FakeTokenEndpoint ep;
  std::string challenge = R"(Bearer realm="https://auth/token",service="reg",scope="repository:kiln/cache:pull")";
  ASSERT_TRUE(auth.answer(challenge, OciAccess::Pull, ep.fn()).ok());
  ASSERT_EQ(ep.calls.size(), 1u);
  EXPECT_EQ(ep.calls[0].first, "https://auth/token?service=reg&scope=repository%3Akiln%2Fcache%3Apull");
  EXPECT_EQ(ep.calls[0].second, basic_authorization("u", "p"));
  EXPECT_EQ(auth.header(OciAccess::Pull), "Bearer tok");
  EXPECT_EQ(auth.header(OciAccess::Push), "");  // a pull token is not sent for a push

  ep.body = R"({"token":"push-tok"})";
  ASSERT_TRUE(auth.answer(challenge, OciAccess::Push, ep.fn()).ok());
  EXPECT_EQ(ep.calls[1].first, "https://auth/token?service=reg&scope=repository%3Akiln%2Fcache%3Apull%2Cpush");
  EXPECT_EQ(auth.header(OciAccess::Push), "Bearer push-tok");
  EXPECT_EQ(auth.header(OciAccess::Pull), "Bearer tok");

  // The same token refused again: an error instead of a loop.
  EXPECT_FALSE(auth.answer(challenge, OciAccess::Push, ep.fn()).ok());
}

TEST(OciAuthFlow, PushTokenServesReadsAndForeignScopesAreAdded) {
  OciAuth auth("kiln", "", "", true);
  FakeTokenEndpoint ep;
  ASSERT_TRUE(auth.answer(R"(Bearer realm="https://a/t",scope="registry:catalog:*")", OciAccess::Push, ep.fn()).ok());
  EXPECT_EQ(ep.calls[0].first, "https://a/t?scope=repository%3Akiln%3Apull%2Cpush&scope=registry%3Acatalog%3A%2A");
  EXPECT_EQ(ep.calls[0].second, "");  // anonymous
  EXPECT_EQ(auth.header(OciAccess::Pull), "Bearer tok");
}

TEST(OciAuthFlow, BearerErrors) {
  FakeTokenEndpoint ep;
  {
    OciAuth auth("kiln", "u", "p", true);
    ep.status = 401;
    Status s = auth.answer(R"(Bearer realm="https://a/t")", OciAccess::Pull, ep.fn());
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("refused the credentials"), std::string::npos);
  }
  {
    OciAuth auth("kiln", "u", "p", true);
    ep.status = 200;
    ep.body = "<html>";
    EXPECT_FALSE(auth.answer(R"(Bearer realm="https://a/t")", OciAccess::Pull, ep.fn()).ok());
  }
  {
    // Credentials of a TLS registry never go to a plain-http realm.
    OciAuth auth("kiln", "u", "p", true);
    size_t before = ep.calls.size();
    Status s = auth.answer(R"(Bearer realm="http://a/t")", OciAccess::Pull, ep.fn());
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(ep.calls.size(), before);
  }
  {
    OciAuth auth("kiln", "u", "p", false);
    EXPECT_FALSE(auth.answer(R"(Bearer service="x")", OciAccess::Pull, ep.fn()).ok());   // no realm
    EXPECT_FALSE(auth.answer(R"(Negotiate abc)", OciAccess::Pull, ep.fn()).ok());       // unknown scheme
    EXPECT_FALSE(auth.answer("", OciAccess::Pull, ep.fn()).ok());
  }
}

class OciAuthCache : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kiln-oci-auth-test-XXXXXX";
    dir = ::mkdtemp(tmpl);
    file = dir + "/remote-auth/id";
  }
  void TearDown() override { (void)remove_all(dir); }
  std::string dir, file;
};

TEST_F(OciAuthCache, TokensOutliveTheProcessButNotTheirLifetime) {
  FakeTokenEndpoint ep;
  ep.body = R"({"token":"tok","expires_in":300})";
  {
    OciAuth first("kiln", "u", "secret-password", true);
    first.use_cache_file(file, 1000);
    ASSERT_TRUE(first.answer(R"(Bearer realm="https://a/t")", OciAccess::Push, ep.fn()).ok());
  }
  auto text = read_file(file);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->find("secret-password"), std::string::npos);
  EXPECT_EQ(stat_file(file)->mode & 0777, 0600u);
  EXPECT_EQ(stat_file(dir + "/remote-auth")->mode & 0777, 0700u);

  OciAuth second("kiln", "u", "secret-password", true);
  second.use_cache_file(file, 1100);
  EXPECT_EQ(second.header(OciAccess::Push), "Bearer tok");
  EXPECT_EQ(second.header(OciAccess::Pull), "Bearer tok");

  OciAuth later("kiln", "u", "secret-password", true);
  later.use_cache_file(file, 1000 + 300);  // past expires_in (minus the margin)
  EXPECT_EQ(later.header(OciAccess::Push), "");
}

TEST_F(OciAuthCache, BasicIsRememberedWithoutTheCredentials) {
  FakeTokenEndpoint ep;
  {
    OciAuth first("kiln", "u", "pw-123", false);
    first.use_cache_file(file, 1000);
    ASSERT_TRUE(first.answer(R"(Basic realm="r")", OciAccess::Pull, ep.fn()).ok());
  }
  EXPECT_EQ(read_file(file)->find(base64_encode("u:pw-123")), std::string::npos);
  OciAuth second("kiln", "u", "pw-123", false);
  second.use_cache_file(file, 1001);
  EXPECT_EQ(second.header(OciAccess::Pull), basic_authorization("u", "pw-123"));
}

TEST_F(OciAuthCache, CorruptFilesAreIgnored) {
  ASSERT_TRUE(make_dirs(dir + "/remote-auth").ok());
  ASSERT_TRUE(write_file_atomic(file, "garbage\npush 99999999999 Bearer x\n").ok());
  OciAuth a("kiln", "u", "p", true);
  a.use_cache_file(file, 1000);
  EXPECT_EQ(a.header(OciAccess::Push), "");
  ASSERT_TRUE(write_file_atomic(file, "kiln-oci-auth 1\npush 99999999999 NotBearer x\npull x\n").ok());
  OciAuth b("kiln", "u", "p", true);
  b.use_cache_file(file, 1000);
  EXPECT_EQ(b.header(OciAccess::Push), "");
  EXPECT_EQ(b.header(OciAccess::Pull), "");
}

}  // namespace
}  // namespace kiln

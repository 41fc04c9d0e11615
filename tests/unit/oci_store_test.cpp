// OciStore without a registry: the action manifest format (build, read back, embedded data
// checked, foreign artifacts ignored), repository names, URL handling, and a closed port
// failing as an error. tests/e2e/test_remote_oci.sh runs it against docker-registry.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/remote/oci_store.h"
#include "store/remote/remote_url.h"
#include "test_support.h"
#include "util/fs.h"

namespace kiln {
namespace {

ActionResult sample_entry(size_t stderr_bytes = 10) {
  ActionResult r;
  r.output_files.push_back({"{{kiln:target}}/debug/deps/libx.rlib", sha256("x"), 1, false});
  r.stderr_raw = std::string(stderr_bytes, 'w');
  r.meta.crate_name = "x";
  r.meta.crate_type = "lib";
  r.meta.package = "x 1.0.0";
  return r;
}

TEST(OciManifest, RoundTripWithEmbeddedLayer) {
  std::string bytes = sample_entry().encode();
  std::string json = make_action_manifest(sample_entry(), bytes);
  auto j = nlohmann::json::parse(json);
  EXPECT_EQ(j["schemaVersion"], 2);
  EXPECT_EQ(j["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(j["artifactType"], "application/vnd.kiln.action.v1");
  EXPECT_EQ(j["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
  EXPECT_EQ(j["config"]["digest"], "sha256:" + sha256("{}").hex());
  EXPECT_EQ(j["config"]["size"], 2);
  ASSERT_EQ(j["layers"].size(), 2u);
  EXPECT_EQ(j["layers"][0]["mediaType"], "application/vnd.kiln.action-result.v1+protobuf");
  EXPECT_EQ(j["layers"][0]["digest"], "sha256:" + sha256(bytes).hex());
  // The output blob is a layer too: the registry checks it exists and keeps it through GC.
  EXPECT_EQ(j["layers"][1]["mediaType"], "application/vnd.kiln.output-file.v1");
  EXPECT_EQ(j["layers"][1]["digest"], "sha256:" + sha256("x").hex());
  EXPECT_EQ(j["layers"][1]["size"], 1);
  EXPECT_EQ(j["layers"][1]["annotations"]["org.opencontainers.image.title"], "libx.rlib");
  EXPECT_EQ(j["annotations"]["dev.kiln.crate"], "x lib");

  auto layer = parse_action_manifest(json);
  ASSERT_TRUE(layer.ok()) << layer.error().message;
  ASSERT_TRUE(layer->has_value());
  EXPECT_EQ((*layer)->digest, sha256(bytes));
  EXPECT_EQ((*layer)->size, static_cast<int64_t>(bytes.size()));
  ASSERT_TRUE((*layer)->data.has_value());
  EXPECT_EQ(*(*layer)->data, bytes);
}

// An output that travels compressed is a "+zstd" layer named by its frame, the content's
// digest in an annotation; reading the manifest gives back the mapping.
TEST(OciManifest, CompressedOutputIsAZstdLayerWithItsContentDigest) {
  ActionResult r = sample_entry();
  std::map<Digest, OciWireLayer> compressed = {{sha256("x"), OciWireLayer{sha256("frame"), 5}}};
  std::string json = make_action_manifest(r, r.encode(), compressed);
  auto j = nlohmann::json::parse(json);
  ASSERT_EQ(j["layers"].size(), 2u);
  EXPECT_EQ(j["layers"][1]["mediaType"], "application/vnd.kiln.output-file.v1+zstd");
  EXPECT_EQ(j["layers"][1]["digest"], "sha256:" + sha256("frame").hex());
  EXPECT_EQ(j["layers"][1]["size"], 5);
  EXPECT_EQ(j["layers"][1]["annotations"]["dev.kiln.content.digest"], "sha256:" + sha256("x").hex());
  EXPECT_EQ(j["layers"][1]["annotations"]["org.opencontainers.image.title"], "libx.rlib");
  auto layer = parse_action_manifest(json);
  ASSERT_TRUE(layer.ok()) << layer.error().message;
  ASSERT_TRUE(layer->has_value());
  ASSERT_EQ((*layer)->compressed.size(), 1u);
  EXPECT_EQ((*layer)->compressed.at(sha256("x")).frame_digest, sha256("frame"));
  EXPECT_EQ((*layer)->compressed.at(sha256("x")).frame_size, 5);
  // Without its content digest a zstd layer cannot be used: an error, never a guess.
  j["layers"][1]["annotations"].erase("dev.kiln.content.digest");
  EXPECT_FALSE(parse_action_manifest(j.dump()).ok());
}

TEST(OciManifest, RepeatedOutputBlobsAreListedOnce) {
  ActionResult r = sample_entry();
  r.output_files.push_back({"{{kiln:target}}/debug/deps/libx-copy.rlib", sha256("x"), 1, false});
  r.output_files.push_back({"{{kiln:target}}/debug/deps/x.d", sha256("d"), 1, false});
  auto j = nlohmann::json::parse(make_action_manifest(r, r.encode()));
  EXPECT_EQ(j["layers"].size(), 3u);
  EXPECT_TRUE(parse_action_manifest(j.dump())->has_value());
}

TEST(OciManifest, LargeLayersAreNotEmbedded) {
  std::string bytes = sample_entry(100000).encode();
  auto layer = parse_action_manifest(make_action_manifest(ActionResult{}, bytes));
  ASSERT_TRUE(layer.ok() && layer->has_value());
  EXPECT_FALSE((*layer)->data.has_value());
  EXPECT_EQ((*layer)->digest, sha256(bytes));
}

TEST(OciManifest, TamperedEmbeddedDataIsAnError) {
  std::string bytes = sample_entry().encode();
  auto j = nlohmann::json::parse(make_action_manifest(ActionResult{}, bytes));
  std::string other = bytes;
  other[0] ^= 1;
  j["layers"][0]["data"] = base64_encode(other);
  EXPECT_FALSE(parse_action_manifest(j.dump()).ok());
  j["layers"][0]["data"] = "%%%";
  EXPECT_FALSE(parse_action_manifest(j.dump()).ok());
}

TEST(OciManifest, ForeignArtifactsAreNotEntries) {
  std::string bytes = sample_entry().encode();
  auto j = nlohmann::json::parse(make_action_manifest(ActionResult{}, bytes));
  auto image = j;
  image.erase("artifactType");
  image["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json";
  auto parsed = parse_action_manifest(image.dump());
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->has_value());

  auto two_entries = j;
  two_entries["layers"].push_back(j["layers"][0]);
  EXPECT_FALSE(parse_action_manifest(two_entries.dump())->has_value());

  auto output_first = j;
  output_first["layers"][0]["mediaType"] = "application/vnd.kiln.output-file.v1";
  EXPECT_FALSE(parse_action_manifest(output_first.dump())->has_value());

  auto other_layer = j;
  other_layer["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip";
  EXPECT_FALSE(parse_action_manifest(other_layer.dump())->has_value());

  EXPECT_FALSE(parse_action_manifest("{").ok());
  auto bad_digest = j;
  bad_digest["layers"][0]["digest"] = "md5:abc";
  EXPECT_FALSE(parse_action_manifest(bad_digest.dump()).ok());
}

TEST(OciRepository, NamesFollowTheDistributionSpec) {
  for (const char* ok : {"kiln", "team/kiln-cache", "a/b/c", "a.b", "a__b", "a---b", "k1/x_y"})
    EXPECT_TRUE(valid_oci_repository(ok)) << ok;
  for (const char* bad : {"", "Kiln", "a//b", "/a", "a/", "-a", "a-", "a___b", "a..b", "a b", "a:b"})
    EXPECT_FALSE(valid_oci_repository(bad)) << bad;
}

Result<std::unique_ptr<OciStore>> make(const std::string& url) {
  auto u = parse_remote_url(url);
  if (!u) return u.error();
  OciOptions o;
  o.timeout_ms = 2000;
  return OciStore::create(*u, o);
}

TEST(OciStoreUrl, SchemeFollowsHostAndTlsParameter) {
  EXPECT_EQ((*make("oci://127.0.0.1:5000/kiln"))->api_base(), "http://127.0.0.1:5000/v2/kiln");
  EXPECT_EQ((*make("oci://localhost:5000/kiln"))->api_base(), "http://localhost:5000/v2/kiln");
  EXPECT_EQ((*make("oci://[::1]:5000/kiln"))->api_base(), "http://[::1]:5000/v2/kiln");
  EXPECT_EQ((*make("oci://ghcr.io/team/kiln-cache"))->api_base(), "https://ghcr.io/v2/team/kiln-cache");
  EXPECT_EQ((*make("oci://127.0.0.1:5000/kiln?tls=on#read-only"))->api_base(), "https://127.0.0.1:5000/v2/kiln");
  EXPECT_EQ((*make("oci://reg.example/kiln?tls=off"))->api_base(), "http://reg.example/v2/kiln");
  EXPECT_EQ((*make("oci://u:p@reg.example:5000/kiln"))->name(), "oci://reg.example:5000/kiln");  // no credentials
  EXPECT_FALSE(make("oci://reg.example/").ok());
  EXPECT_FALSE(make("oci://reg.example/Kiln").ok());
  EXPECT_FALSE(make("oci://reg.example/kiln?tls=maybe").ok());
  EXPECT_FALSE(make("oci://reg.example/kiln?ttl=7d").ok());
}

// The layer names a build index pack carries (store.h: WireNames): learned ones make a blob's
// name known without its manifest; the repository's log (OciOptions::layer_names_dir), written
// by this machine's earlier uploads and reads, is what known_wire_names gives a pack.
TEST(OciStoreNames, LearnedAndLoggedNames) {
  testing::TempDir tmp;
  auto u = parse_remote_url("oci://127.0.0.1:1/kiln");
  ASSERT_TRUE(u.ok());
  OciOptions o;
  o.layer_names_dir = tmp / "remote-layers";
  auto s = OciStore::create(*u, o);
  ASSERT_TRUE(s.ok());
  Digest a = sha256("a"), b = sha256("b"), raw = sha256("raw");
  EXPECT_TRUE((*s)->blobs_named_by_entry());
  EXPECT_FALSE((*s)->knows_blob_name(a));
  (*s)->learn_wire_names({{a, WireBlob{sha256("frame a"), 10}}, {raw, WireBlob{raw, 0}}});
  EXPECT_TRUE((*s)->knows_blob_name(a));
  EXPECT_TRUE((*s)->knows_blob_name(raw));
  EXPECT_FALSE((*s)->knows_blob_name(b));
  // The log: later lines win; torn or foreign lines are skipped. Learned names are not logged.
  ASSERT_TRUE(make_dirs(o.layer_names_dir).ok());
  std::string log = o.layer_names_dir + "/" + sha256((*s)->api_base()).hex().substr(0, 32);
  ASSERT_TRUE(write_file_atomic(log, b.hex() + " " + sha256("old frame b").hex() + " 3\n" + "garbage\n" +
                                         b.hex() + " " + sha256("frame b").hex() + " 4\n" + b.hex().substr(0, 40) + "\n")
                  .ok());
  WireNames known = (*s)->known_wire_names();
  ASSERT_EQ(known.count(b), 1u);
  EXPECT_EQ(known.at(b).digest, sha256("frame b"));
  EXPECT_EQ(known.at(b).size, 4);
  EXPECT_EQ(known.at(a).digest, sha256("frame a"));
  EXPECT_EQ(known.at(raw).digest, raw);
  // Another repository has a log of its own.
  auto other = parse_remote_url("oci://127.0.0.1:1/kiln/other");
  auto s2 = OciStore::create(*other, o);
  ASSERT_TRUE(s2.ok());
  EXPECT_TRUE((*s2)->known_wire_names().empty());
  // With compression off every blob is named by its content.
  o.compress = false;
  auto s3 = OciStore::create(*u, o);
  EXPECT_TRUE((*s3)->knows_blob_name(b));
}

TEST(OciManifest, RawOutputsAreListed) {
  ActionResult r = sample_entry();
  auto layer = parse_action_manifest(make_action_manifest(r, r.encode()));
  ASSERT_TRUE(layer.ok() && layer->has_value());
  EXPECT_EQ((*layer)->raw.count(sha256("x")), 1u);
  EXPECT_TRUE((*layer)->compressed.empty());
}

TEST(OciStoreUrl, UnreachableRegistryIsAnError) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto s = make("oci://127.0.0.1:1/kiln");
  ASSERT_TRUE(s.ok());
  auto got = (*s)->get_action(sha256("k"));
  EXPECT_FALSE(got.ok());
  EXPECT_FALSE((*s)->has_blob(sha256("b")).ok());
  EXPECT_FALSE((*s)->put_blob(sha256("b"), "b").ok());
}

}  // namespace
}  // namespace kiln

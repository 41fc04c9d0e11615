// Packaging's pure parts: version comparison, the binary's needs as readelf reports them
// (on a real binary of this machine), the new layer and config (reproducible, diff_ids,
// settings), the archive's files, and the GLIBC check against a base made of one layer.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "package/binary_check.h"
#include "package/oci_image.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/tar_archive.h"

namespace kiln {
namespace {

class PackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kiln-package-test-XXXXXX";
    root = ::mkdtemp(tmpl);
    ASSERT_TRUE(write_file_atomic(root + "/tool", "#!/bin/sh\necho hi\n").ok());
  }
  void TearDown() override { (void)remove_all(root); }
  std::string root;
};

TEST(PackageVersions, CompareNumerically) {
  EXPECT_LT(compare_versions("2.9", "2.34"), 0);
  EXPECT_GT(compare_versions("2.36", "2.34"), 0);
  EXPECT_EQ(compare_versions("2.34", "2.34"), 0);
  EXPECT_LT(compare_versions("2.3", "2.3.4"), 0);
}

TEST(PackageBinaryNeeds, ReadsLibrariesAndGlibcOfARealBinary) {
  auto n = read_binary_needs("/bin/ls");
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_NE(std::find(n->libraries.begin(), n->libraries.end(), "libc.so.6"), n->libraries.end());
  EXPECT_FALSE(n->max_glibc.empty());
  EXPECT_FALSE(read_binary_needs("/etc/hostname").ok());
}

TEST_F(PackageTest, ImageIsReproducibleAndCarriesTheSettings) {
  BaseImage base;
  base.ref = "scratch";
  base.config = {{"config", nlohmann::json::object()}, {"rootfs", {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}}}};
  ImageSettings s;
  s.entrypoint = {"/usr/local/bin/tool"};
  s.env = {"RUST_LOG=info"};
  s.ports = {"8080", "53/udp"};
  s.labels["org.opencontainers.image.title"] = "tool";
  std::vector<ImageFile> files = {{root + "/tool", "/usr/local/bin/tool", 0755}};
  auto a = build_oci_image(base, files, s, 1700000000, root + "/a");
  auto b = build_oci_image(base, files, s, 1700000000, root + "/b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->manifest_digest, b->manifest_digest);
  auto later = build_oci_image(base, files, s, 1700000001, root + "/c");
  ASSERT_TRUE(later.ok());
  EXPECT_NE(a->manifest_digest, later->manifest_digest);  // the mtime is part of the image

  auto c = nlohmann::json::parse(a->config_json);
  EXPECT_EQ(c["created"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(c["config"]["Entrypoint"][0], "/usr/local/bin/tool");
  EXPECT_TRUE(c["config"]["ExposedPorts"].contains("8080/tcp"));
  EXPECT_TRUE(c["config"]["ExposedPorts"].contains("53/udp"));
  EXPECT_EQ(c["config"]["Labels"]["org.opencontainers.image.title"], "tool");
  auto env = c["config"]["Env"].get<std::vector<std::string>>();
  EXPECT_EQ(env.front().rfind("PATH=", 0), 0u);
  EXPECT_EQ(env.back(), "RUST_LOG=info");
  ASSERT_EQ(c["rootfs"]["diff_ids"].size(), 1u);
  ASSERT_EQ(a->layers.size(), 1u);
  EXPECT_EQ(a->layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");

  // The layer: parent directories first, owner 0, the file with its mode and content.
  std::vector<std::string> paths;
  ASSERT_TRUE(read_tar(a->layers[0].path, [&](const TarEntry& e, const std::function<std::string(size_t)>& read) {
                paths.push_back(e.path);
                if (e.type == 'f') EXPECT_EQ(read(100), "#!/bin/sh\necho hi\n");
                return true;
              }).ok());
  EXPECT_EQ(paths, (std::vector<std::string>{"usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/tool"}));

  ASSERT_TRUE(write_oci_archive(*a, "tool:1", 1700000000, root + "/tool.tar").ok());
  std::vector<std::string> names;
  ASSERT_TRUE(read_tar(root + "/tool.tar", [&](const TarEntry& e, const std::function<std::string(size_t)>&) {
                names.push_back(e.path);
                return true;
              }).ok());
  EXPECT_EQ(names.back(), "oci-layout");
  EXPECT_NE(std::find(names.begin(), names.end(), "manifest.json"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "blobs/sha256/" + a->manifest_digest.substr(7)), names.end());
  EXPECT_FALSE(write_oci_archive(*a, "tool:1", 0, root + "/no-such-dir/tool.tar").ok());
  EXPECT_FALSE(path_exists(root + "/no-such-dir/tool.tar.part"));
}

TEST_F(PackageTest, GlibcCheckAgainstTheBasesLibc) {
  // A base of one layer whose libc defines up to GLIBC_2.31.
  ASSERT_TRUE(write_file_atomic(root + "/libc", std::string("\x7f" "ELF...GLIBC_2.2.5\0GLIBC_2.31\0", 30)).ok());
  ASSERT_TRUE(write_file_atomic(root + "/libm", "m").ok());
  auto w = TarWriter::open(root + "/base.tar", false);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->add_file_from("usr/lib/x86_64-linux-gnu/libc.so.6", root + "/libc", 0755, 0).ok());
  ASSERT_TRUE((*w)->add_file_from("usr/lib/x86_64-linux-gnu/libm.so.6", root + "/libm", 0755, 0).ok());
  ASSERT_TRUE((*w)->close().ok());
  BaseImage base;
  base.ref = "old-base";
  base.layers.push_back({"application/vnd.oci.image.layer.v1.tar", "sha256:x", 0, root + "/base.tar"});
  EXPECT_TRUE(check_binary_runs_on("tool", {{"libc.so.6", "libm.so.6"}, "2.17"}, base).ok());
  auto newer = check_binary_runs_on("tool", {{"libc.so.6"}, "2.34"}, base);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().message.find("needs GLIBC_2.34 but the libc of old-base provides up to GLIBC_2.31"),
            std::string::npos);
  EXPECT_NE(newer.error().message.find("--container"), std::string::npos);
  auto lib = check_binary_runs_on("tool", {{"libssl.so.3"}, ""}, base);
  ASSERT_FALSE(lib.ok());
  EXPECT_NE(lib.error().message.find("needs libssl.so.3, which old-base lacks"), std::string::npos);
  BaseImage scratch;
  scratch.ref = "scratch";
  EXPECT_TRUE(check_binary_runs_on("tool", {{}, ""}, scratch).ok());
  EXPECT_FALSE(check_binary_runs_on("tool", {{"libc.so.6"}, "2.2.5"}, scratch).ok());
}

}  // namespace
}  // namespace kiln

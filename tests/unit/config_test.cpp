// Layered config: precedence (defaults < user file < Cargo.toml metadata < env), origins,
// the Cargo.toml search (workspace root; downloaded packages never configure kiln),
// bad values ignored with a warning, credentials masked.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <map>
#include <string>

#include "config/config.h"
#include "util/fs.h"

namespace kiln {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kiln-config-test-XXXXXX";
    root = ::mkdtemp(tmpl);
    env["HOME"] = root + "/home";
    env["XDG_CONFIG_HOME"] = root + "/xdg";
    ASSERT_TRUE(make_dirs(root + "/home").ok());
  }
  void TearDown() override { (void)remove_all(root); }

  void write(const std::string& rel, const std::string& text) {
    std::string path = root + "/" + rel;
    ASSERT_TRUE(make_dirs(dir_name(path)).ok());
    ASSERT_TRUE(write_file_atomic(path, text).ok());
  }

  ConfigReport explain(const std::string& cwd_rel, const std::string& parent_rel = "") {
    ConfigInputs in;
    auto copy = env;
    in.env = [copy](const std::string& name) -> std::optional<std::string> {
      auto it = copy.find(name);
      if (it == copy.end()) return std::nullopt;
      return it->second;
    };
    in.cwd = root + "/" + cwd_rel;
    if (!parent_rel.empty()) in.parent_cwd = root + "/" + parent_rel;
    (void)make_dirs(in.cwd);
    return explain_config(in);
  }

  std::string root;
  std::map<std::string, std::string> env;
};

TEST_F(ConfigTest, DefaultsWithNothingSet) {
  ConfigReport r = explain("empty");
  EXPECT_EQ(r.config.dir, root + "/home/.cache/kiln");
  EXPECT_TRUE(r.config.remap);
  EXPECT_FALSE(r.config.disabled);
  EXPECT_EQ(r.config.cache_size_bytes, 10ull << 30);
  EXPECT_TRUE(r.config.remotes.empty());
  EXPECT_EQ(r.config.remote_timeout_ms, 5000);
  EXPECT_EQ(r.config.upload, "all");
  EXPECT_FALSE(r.user_file_found);
  EXPECT_EQ(r.user_file, root + "/xdg/kiln/config.toml");
  EXPECT_EQ(r.cargo_toml, "");
  for (const auto& k : config_key_docs()) EXPECT_EQ(r.origin[k.name], "default") << k.name;
  EXPECT_TRUE(r.warnings.empty());

  env["XDG_CACHE_HOME"] = root + "/cache";
  EXPECT_EQ(explain("empty").config.dir, root + "/cache/kiln");
}

TEST_F(ConfigTest, ContainerSettingsFromMetadataWithDashesAndEnv) {
  write("ws/Cargo.toml",
        "[workspace]\n[workspace.metadata.kiln]\ncontainer-image = \"my/toolchain:1\"\n"
        "container-caches = \"volumes\"\ncontainer_run_args = [\"--cpus\", \"2\"]\n");
  env["KILN_CONTAINER_NETWORK"] = "host";
  ConfigReport r = explain("ws");
  EXPECT_TRUE(r.warnings.empty()) << (r.warnings.empty() ? "" : r.warnings[0]);
  EXPECT_EQ(r.config.container_image, "my/toolchain:1");
  EXPECT_EQ(r.origin["container_image"], root + "/ws/Cargo.toml [workspace.metadata.kiln]");
  EXPECT_EQ(r.config.container_caches, "volumes");
  EXPECT_EQ(r.config.container_network, "host");
  EXPECT_EQ(r.config.container_run_args, (std::vector<std::string>{"--cpus", "2"}));
  EXPECT_EQ(r.config.container_base_image, "kiln-base:bookworm");
  env["KILN_CONTAINER_NETWORK"] = "bridge";  // never: kiln uses no bridge network
  env["KILN_CONTAINER_RUN_ARGS"] = "--cpus 4  --memory 8g";
  r = explain("ws");
  EXPECT_EQ(r.config.container_network, "none");
  EXPECT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.config.container_run_args, (std::vector<std::string>{"--cpus", "4", "--memory", "8g"}));
}

TEST_F(ConfigTest, UserFileWithoutXdgConfigHome) {
  env.erase("XDG_CONFIG_HOME");
  write("home/.config/kiln/config.toml", "cache_size = \"3G\"\n");
  ConfigReport r = explain("empty");
  EXPECT_TRUE(r.user_file_found);
  EXPECT_EQ(r.config.cache_size_bytes, 3ull << 30);
  EXPECT_EQ(r.origin["cache_size"], "user file " + root + "/home/.config/kiln/config.toml");
}

TEST_F(ConfigTest, EachLayerOverridesTheOneBefore) {
  write("xdg/kiln/config.toml",
        "cache_size = \"2G\"\nupload = \"dependencies\"\nremote_timeout = 100\nremap = false\n"
        "remote = [\"http://user-file\"]\n");
  write("ws/Cargo.toml",
        "[workspace]\nmembers = [\"a\"]\n"
        "[workspace.metadata.kiln]\nremote_timeout = 200\nremote = [\"http://ws\"]\nupload = \"all\"\n"
        "[package]\nname = \"root\"\nversion = \"0.1.0\"\n"
        "[package.metadata.kiln]\nremote_timeout = 300\n");
  env["KILN_UPLOAD"] = "dependencies";
  ConfigReport r = explain("ws");
  EXPECT_EQ(r.cargo_toml, root + "/ws/Cargo.toml");
  EXPECT_EQ(r.config.cache_size_bytes, 2ull << 30);  // user file only
  EXPECT_FALSE(r.config.remap);                       // user file only
  EXPECT_EQ(r.config.remote_timeout_ms, 300);         // package over workspace over user file
  EXPECT_EQ(r.config.remotes, std::vector<std::string>{"http://ws"});
  EXPECT_EQ(r.config.upload, "dependencies");  // env over Cargo.toml
  EXPECT_EQ(r.origin["cache_size"], "user file " + root + "/xdg/kiln/config.toml");
  EXPECT_EQ(r.origin["remote_timeout"], root + "/ws/Cargo.toml [package.metadata.kiln]");
  EXPECT_EQ(r.origin["remote"], root + "/ws/Cargo.toml [workspace.metadata.kiln]");
  EXPECT_EQ(r.origin["upload"], "env KILN_UPLOAD");
  EXPECT_EQ(r.origin["dir"], "default");
  EXPECT_TRUE(r.warnings.empty()) << r.warnings[0];
}

TEST_F(ConfigTest, EnvironmentValues) {
  env["KILN_DIR"] = "/some/store";
  env["KILN_CACHE_SIZE"] = "500M";
  env["KILN_REMAP"] = "off";
  env["KILN_DISABLE"] = "1";
  env["KILN_REMOTE"] = "http://a:8080/x  redis://b:6379#read-only";
  env["KILN_REMOTE_TIMEOUT"] = "750";
  env["KILN_UPLOAD"] = "dependencies";
  env["KILN_REMOTE_USERNAME"] = "u";
  env["KILN_REMOTE_PASSWORD"] = "p";
  env["KILN_REMOTE_CA_BUNDLE"] = "/etc/ca.pem";
  env["KILN_NO_CACHE"] = "gen,my-tool";
  env["KILN_EXECUTOR"] = "local";
  env["KILN_SANDBOX"] = "strict";
  env["KILN_BACKGROUND_STORE"] = "1";
  env["KILN_REMOTE_COMPRESSION"] = "off";
  env["KILN_LINKER"] = "mold";
  env["KILN_HARD_LINKS"] = "off";
  env["KILN_CONTAINER_IMAGE"] = "img:1";
  env["KILN_CONTAINER_BASE_IMAGE"] = "base:2";
  env["KILN_CONTAINER_RUNTIME"] = "docker";
  env["KILN_CONTAINER_CACHES"] = "off";
  env["KILN_CONTAINER_NETWORK"] = "host";
  env["KILN_CONTAINER_RUN_ARGS"] = "--cpus 2";
  env["KILN_REMOTE_ENV"] = "MY_TOKEN_NAME,OTHER";
  env["KILN_IMAGE_APT"] = "libssl-dev protobuf-compiler";
  ConfigReport r = explain("empty");
  EXPECT_EQ(r.config.dir, "/some/store");
  EXPECT_EQ(r.config.cache_size_bytes, 500ull << 20);
  EXPECT_FALSE(r.config.remap);
  EXPECT_TRUE(r.config.disabled);
  EXPECT_EQ(r.config.remotes, (std::vector<std::string>{"http://a:8080/x", "redis://b:6379#read-only"}));
  EXPECT_EQ(r.config.remote_timeout_ms, 750);
  EXPECT_EQ(r.config.upload, "dependencies");
  EXPECT_EQ(r.config.remote_username, "u");
  EXPECT_EQ(r.config.remote_password, "p");
  EXPECT_EQ(r.config.remote_ca_bundle, "/etc/ca.pem");
  EXPECT_EQ(r.config.no_cache, (std::vector<std::string>{"gen", "my-tool"}));
  EXPECT_EQ(r.config.sandbox, "strict");
  EXPECT_EQ(r.config.background_store, "on");
  EXPECT_EQ(r.config.remote_compression, "off");
  EXPECT_EQ(r.config.linker, "mold");
  EXPECT_FALSE(r.config.hard_links);
  EXPECT_EQ(r.config.container_image, "img:1");
  EXPECT_EQ(r.config.container_base_image, "base:2");
  EXPECT_EQ(r.config.container_runtime, "docker");
  EXPECT_EQ(r.config.container_caches, "off");
  EXPECT_EQ(r.config.container_network, "host");
  EXPECT_EQ(r.config.remote_env, (std::vector<std::string>{"MY_TOKEN_NAME", "OTHER"}));
  EXPECT_EQ(r.config.image_apt, (std::vector<std::string>{"libssl-dev", "protobuf-compiler"}));
  for (const auto& k : config_key_docs()) EXPECT_EQ(r.origin[k.name], "env " + k.env) << k.name;
  EXPECT_TRUE(r.warnings.empty());
}

TEST_F(ConfigTest, EmptyEnvIsUnsetExceptRemoteWhichTurnsRemotesOff) {
  write("xdg/kiln/config.toml", "remote = [\"http://file\"]\nupload = \"dependencies\"\n");
  env["KILN_UPLOAD"] = "";
  ConfigReport r = explain("empty");
  EXPECT_EQ(r.config.upload, "dependencies");
  EXPECT_EQ(r.config.remotes.size(), 1u);
  env["KILN_REMOTE"] = "";
  r = explain("empty");
  EXPECT_TRUE(r.config.remotes.empty());
  EXPECT_EQ(r.origin["remote"], "env KILN_REMOTE");
}

TEST_F(ConfigTest, BadValuesAreIgnoredWithAWarning) {
  write("xdg/kiln/config.toml",
        "upload = \"some\"\nremote_timeout = -5\ncache_size = \"lots\"\nremap = \"maybe\"\nnot_a_key = 1\n"
        "remote = [1, 2]\ndir = \"/from/file\"\n");
  env["KILN_REMOTE_TIMEOUT"] = "soon";
  ConfigReport r = explain("empty");
  EXPECT_EQ(r.config.upload, "all");
  EXPECT_EQ(r.config.remote_timeout_ms, 5000);
  EXPECT_EQ(r.config.cache_size_bytes, 10ull << 30);
  EXPECT_TRUE(r.config.remap);
  EXPECT_TRUE(r.config.remotes.empty());
  EXPECT_EQ(r.config.dir, "/from/file");  // the good value in the same file still applies
  EXPECT_EQ(r.origin["upload"], "default");
  EXPECT_EQ(r.warnings.size(), 7u);
}

TEST_F(ConfigTest, MalformedTomlIsIgnoredWithAWarning) {
  write("xdg/kiln/config.toml", "cache_size = \"2G\"\nthis is not toml\n");
  ConfigReport r = explain("empty");
  EXPECT_EQ(r.config.cache_size_bytes, 10ull << 30);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("config.toml:2:"), std::string::npos) << r.warnings[0];
}

TEST_F(ConfigTest, MemberDirectoryFindsTheWorkspaceRoot) {
  write("ws/Cargo.toml", "[workspace]\nmembers = [\"crates/a\"]\n[workspace.metadata.kiln]\nupload = \"dependencies\"\n");
  write("ws/crates/a/Cargo.toml",
        "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[package.metadata.kiln]\nremote_timeout = 9\n");
  ConfigReport r = explain("ws/crates/a/src");
  EXPECT_EQ(r.cargo_toml, root + "/ws/Cargo.toml");
  EXPECT_EQ(r.config.upload, "dependencies");
  EXPECT_EQ(r.config.remote_timeout_ms, 5000);  // a member's own metadata is not read
}

TEST_F(ConfigTest, SinglePackageWithoutWorkspaceTable) {
  write("pkg/Cargo.toml", "[package]\nname = \"p\"\nversion = \"0.1.0\"\n[package.metadata.kiln]\nremap = \"off\"\n");
  ConfigReport r = explain("pkg/src");
  EXPECT_EQ(r.cargo_toml, root + "/pkg/Cargo.toml");
  EXPECT_FALSE(r.config.remap);
}

TEST_F(ConfigTest, RelativePathsInFilesAreRelativeToTheFile) {
  write("xdg/kiln/config.toml", "dir = \"~/kiln-store\"\nremote_ca_bundle = \"certs/ca.pem\"\n");
  write("ws/Cargo.toml", "[workspace]\n[workspace.metadata.kiln]\ndir = \"target/kiln\"\n");
  ConfigReport r = explain("empty");
  EXPECT_EQ(r.config.dir, root + "/home/kiln-store");
  EXPECT_EQ(r.config.remote_ca_bundle, root + "/xdg/kiln/certs/ca.pem");
  r = explain("ws");
  EXPECT_EQ(r.config.dir, root + "/ws/target/kiln");
}

TEST_F(ConfigTest, DownloadedPackageNeverConfiguresKiln) {
  // The wrapper compiling a vendored dependency runs in the dependency's directory; its
  // Cargo.toml must not be read — the settings come from where cargo runs (the workspace).
  write("ws/Cargo.toml", "[package]\nname = \"app\"\nversion = \"0.1.0\"\n[package.metadata.kiln]\nupload = \"dependencies\"\n");
  write("vendor/evil-1.0.0/Cargo.toml",
        "[package]\nname = \"evil\"\nversion = \"1.0.0\"\n[package.metadata.kiln]\nremote = [\"http://attacker\"]\n");
  write("vendor/evil-1.0.0/.cargo-checksum.json", "{}");
  env["CARGO_MANIFEST_DIR"] = root + "/vendor/evil-1.0.0";
  ConfigReport r = explain("vendor/evil-1.0.0", "ws");
  EXPECT_EQ(r.cargo_toml, root + "/ws/Cargo.toml");
  EXPECT_TRUE(r.config.remotes.empty());
  EXPECT_EQ(r.config.upload, "dependencies");

  // Without a usable parent directory: no Cargo.toml layer at all.
  r = explain("vendor/evil-1.0.0", "vendor/evil-1.0.0");
  EXPECT_EQ(r.cargo_toml, "");
  EXPECT_TRUE(r.config.remotes.empty());

  // Registry sources under CARGO_HOME as well.
  env["CARGO_HOME"] = root + "/cargo-home";
  write("cargo-home/registry/src/idx/evil-1.0.0/Cargo.toml",
        "[package]\nname = \"evil\"\nversion = \"1.0.0\"\n[package.metadata.kiln]\nremote = [\"http://attacker\"]\n");
  env["CARGO_MANIFEST_DIR"] = root + "/cargo-home/registry/src/idx/evil-1.0.0";
  r = explain("cargo-home/registry/src/idx/evil-1.0.0", "ws");
  EXPECT_EQ(r.cargo_toml, root + "/ws/Cargo.toml");
  EXPECT_TRUE(r.config.remotes.empty());
}

TEST_F(ConfigTest, WorkspaceMemberInTheWrapperUsesCwd) {
  write("ws/Cargo.toml", "[workspace]\nmembers = [\"a\"]\n[workspace.metadata.kiln]\nremote_timeout = 42\n");
  write("ws/a/Cargo.toml", "[package]\nname = \"a\"\nversion = \"0.1.0\"\n");
  env["CARGO_MANIFEST_DIR"] = root + "/ws/a";
  ConfigReport r = explain("ws", "elsewhere");
  EXPECT_EQ(r.config.remote_timeout_ms, 42);
}

TEST(ConfigMasking, UrlPasswordsAreMasked) {
  EXPECT_EQ(mask_url_credentials("oci://bob:hunter2@reg:5000/kiln"), "oci://bob:****@reg:5000/kiln");
  EXPECT_EQ(mask_url_credentials("redis://:pw@host:6379"), "redis://:****@host:6379");
  EXPECT_EQ(mask_url_credentials("https://u:p%40ss@h/x#read-only"), "https://u:****@h/x#read-only");
  EXPECT_EQ(mask_url_credentials("https://u@h/x"), "https://u@h/x");
  EXPECT_EQ(mask_url_credentials("http://h:8080/a@b"), "http://h:8080/a@b");
  EXPECT_EQ(mask_url_credentials("not a url"), "not a url");

  Config c;
  c.remotes = {"oci://bob:hunter2@reg/kiln", "http://plain"};
  c.remote_password = "s3cret";
  std::string remotes = config_value_text(c, "remote");
  EXPECT_EQ(remotes, "[\"oci://bob:****@reg/kiln\", \"http://plain\"]");
  EXPECT_EQ(config_value_text(c, "remote_password"), "\"****\"");
  c.remote_password.clear();
  EXPECT_EQ(config_value_text(c, "remote_password"), "\"\"");
}

TEST(ConfigSizes, ParseAndFormat) {
  EXPECT_EQ(parse_size("10G"), 10ull << 30);
  EXPECT_EQ(parse_size("500M"), 500ull << 20);
  EXPECT_EQ(parse_size("64KiB"), 64ull << 10);
  EXPECT_EQ(parse_size("123"), 123u);
  EXPECT_EQ(parse_size("x"), 0u);
  EXPECT_EQ(parse_size("5Q"), 0u);
  EXPECT_EQ(format_size(10ull << 30), "10G");
  EXPECT_EQ(format_size(1536ull << 20), "1536M");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(format_size(0), "0");
}

TEST(ConfigDocs, EveryKeyIsDocumentedAndPrintable) {
  Config c;
  for (const auto& k : config_key_docs()) {
    EXPECT_FALSE(k.env.empty());
    EXPECT_FALSE(k.doc.empty());
    EXPECT_FALSE(config_value_text(c, k.name).empty()) << k.name;
  }
}

}  // namespace
}  // namespace kiln

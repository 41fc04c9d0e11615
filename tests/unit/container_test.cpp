// The container layer's pure parts: the runtime command line a RunSpec becomes (both
// dialects), which host variables pass into a container, the directory sources found in
// cargo's config files, cargo cache mounts, the toolchain image's Containerfile and tag.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>

#include "container/cargo_caches.h"
#include "container/container_env.h"
#include "container/run_plan.h"
#include "container/run_spec.h"
#include "container/toolchain_image.h"
#include "util/fs.h"

namespace kiln {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// The argument after `flag` ("" when absent).
std::string after(const std::vector<std::string>& v, const std::string& flag) {
  auto it = std::find(v.begin(), v.end(), flag);
  return it == v.end() || it + 1 == v.end() ? "" : *(it + 1);
}

TEST(ContainerRunSpec, PodmanCommandLine) {
  ContainerRuntime rt{RuntimeKind::Podman, "podman", {}, "4.3.1"};
  RunSpec s;
  s.image = "kiln-toolchain:1.95.0-abc";
  s.command = {"cargo", "build"};
  s.workdir = "/src/ws";
  s.user = "1000:1000";
  s.name = "kiln-42";
  s.init_path = "/usr/bin/tini";
  s.ulimits = {{"nofile", "1024:1024"}};
  s.mounts = {{"/src/ws", "/src/ws", false, false}, {"kiln-cargo-git", "/home/kiln/.cargo/git", false, true},
              {"/usr/share/cargo/registry", "/usr/share/cargo/registry", true, false}};
  s.env = {{"HOME", "/home/kiln"}};
  s.env_from_host = {"KILN_REMOTE_PASSWORD"};
  auto a = run_command_line(rt, s);
  EXPECT_EQ(a[0], "podman");
  EXPECT_EQ(a[1], "run");
  EXPECT_TRUE(has(a, "--rm"));
  EXPECT_TRUE(has(a, "--network=none"));
  EXPECT_EQ(after(a, "--init-path"), "/usr/bin/tini");
  EXPECT_EQ(after(a, "--user"), "1000:1000");
  EXPECT_EQ(after(a, "--ulimit"), "nofile=1024:1024");
  EXPECT_TRUE(has(a, "/usr/share/cargo/registry:/usr/share/cargo/registry:ro"));
  EXPECT_TRUE(has(a, "kiln-cargo-git:/home/kiln/.cargo/git"));
  EXPECT_TRUE(has(a, "HOME=/home/kiln"));
  EXPECT_TRUE(has(a, "KILN_REMOTE_PASSWORD"));  // by name: the value never is on the command line
  EXPECT_EQ(after(a, "-w"), "/src/ws");
  ASSERT_GE(a.size(), 3u);
  EXPECT_EQ(a[a.size() - 3], s.image);
  EXPECT_EQ(a.back(), "build");
}

TEST(ContainerRunSpec, DockerUsesItsOwnInitAndRemotePodmanItsFlag) {
  ContainerRuntime docker{RuntimeKind::Docker, "docker", {}, "20.10"};
  RunSpec s;
  s.image = "img";
  s.init_path = "/usr/bin/tini";
  s.keep_id = true;  // podman only
  auto a = run_command_line(docker, s);
  EXPECT_TRUE(has(a, "--init"));
  EXPECT_FALSE(has(a, "--init-path"));
  EXPECT_FALSE(has(a, "--userns=keep-id"));
  ContainerRuntime remote{RuntimeKind::Podman, "podman", {"--remote"}, "4.3"};
  a = run_command_line(remote, s);
  EXPECT_EQ(a[1], "--remote");
  EXPECT_EQ(a[2], "run");
  EXPECT_TRUE(has(a, "--userns=keep-id"));
}

TEST(ContainerRunSpec, ShellQuote) {
  EXPECT_EQ(shell_quote({"podman", "run", "-v", "/a b:/c", "sh", "-c", "echo 'x'"}),
            "podman run -v '/a b:/c' sh -c 'echo '\\''x'\\'''");
  EXPECT_EQ(shell_quote({"--env", "A=b", ""}), "--env A=b ''");
}

TEST(ContainerEnv, WhatPassesFromTheHost) {
  for (const char* n : {"HTTP_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "CARGO_NET_GIT_FETCH_WITH_CLI",
                        "CARGO_REGISTRIES_CRATES_IO_PROTOCOL", "CARGO_PROFILE_DEV_OPT_LEVEL", "RUSTFLAGS", "KILN_REMOTE",
                        "KILN_LOG", "CARGO_TARGET_DIR", "RUST_BACKTRACE", "CI"})
    EXPECT_TRUE(passes_into_container(n)) << n;
  for (const char* n : {"PATH", "HOME", "CARGO", "CARGO_HOME", "RUSTC", "RUSTC_WRAPPER", "RUSTUP_TOOLCHAIN", "KILN_DIR",
                        "KILN_CONTAINER_IMAGE", "KILN_SESSION", "KILN_IN_CONTAINER", "LD_LIBRARY_PATH", "SSH_AUTH_SOCK"})
    EXPECT_FALSE(passes_into_container(n)) << n;
}

class ContainerFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kiln-container-test-XXXXXX";
    root = ::mkdtemp(tmpl);
  }
  void TearDown() override { (void)remove_all(root); }
  void write(const std::string& rel, const std::string& text) {
    ASSERT_TRUE(make_dirs(dir_name(root + "/" + rel)).ok());
    ASSERT_TRUE(write_file_atomic(root + "/" + rel, text).ok());
  }
  std::string root;
};

TEST_F(ContainerFiles, DirectorySourcesFromEveryCargoConfig) {
  write("ws/.cargo/config.toml", "[source.crates-io]\nreplace-with = \"v\"\n[source.v]\ndirectory = \"vendor\"\n");
  write(".cargo/config", "[source.l]\nlocal-registry = \"/srv/registry\"\n");
  write("home/.cargo/config.toml", "[source.d]\ndirectory = \"/usr/share/cargo/registry\"\n");
  write("ws/crate/.keep", "");
  auto dirs = cargo_directory_sources(root + "/ws/crate", root + "/home/.cargo");
  EXPECT_TRUE(has(dirs, root + "/ws/vendor"));  // relative to the directory holding .cargo/
  EXPECT_TRUE(has(dirs, "/srv/registry"));
  EXPECT_TRUE(has(dirs, "/usr/share/cargo/registry"));
}

TEST_F(ContainerFiles, CargoCacheMounts) {
  write("home/.cargo/registry/x", "");
  auto auto_mounts = cargo_cache_mounts("auto", root + "/home/.cargo");
  ASSERT_EQ(auto_mounts.size(), 2u);
  EXPECT_FALSE(auto_mounts[0].volume);  // the host's registry exists
  EXPECT_EQ(auto_mounts[0].target, "/home/kiln/.cargo/registry");
  EXPECT_TRUE(auto_mounts[1].volume);   // its git cache does not
  EXPECT_EQ(auto_mounts[1].source, kGitVolume);
  auto volumes = cargo_cache_mounts("volumes", root + "/home/.cargo");
  EXPECT_TRUE(volumes[0].volume && volumes[1].volume);
  EXPECT_TRUE(cargo_cache_mounts("off", root + "/home/.cargo").empty());
}

TEST(ToolchainImage, ContainerfileAndTag) {
  HostToolchain tc;
  tc.sysroot = "/root/.rustup/toolchains/stable";
  tc.release = "1.95.0";
  tc.version_verbose = "rustc 1.95.0 (59807616e 2026-04-14)\nrelease: 1.95.0\n";
  tc.identity = sha256("identity");
  std::string f = toolchain_containerfile("kiln-base:bookworm", tc);
  EXPECT_EQ(f.find("# syntax"), std::string::npos);  // would pull a frontend
  EXPECT_NE(f.find("FROM kiln-base:bookworm\n"), std::string::npos);
  EXPECT_NE(f.find("COPY toolchain/ /usr/local/rust/"), std::string::npos);
  EXPECT_NE(f.find("RUSTC=/usr/local/rust/bin/rustc"), std::string::npos);
  EXPECT_NE(f.find("dev.kiln.toolchain=\"" + tc.identity.hex() + "\""), std::string::npos);
  std::string tag = toolchain_image_tag(tc, "sha256:base", f);
  EXPECT_EQ(tag.rfind("kiln-toolchain:1.95.0-", 0), 0u);
  EXPECT_EQ(tag.size(), std::string("kiln-toolchain:1.95.0-").size() + 12);
  EXPECT_NE(tag, toolchain_image_tag(tc, "sha256:other-base", f));
  HostToolchain other = tc;
  other.identity = sha256("another toolchain");
  EXPECT_NE(tag, toolchain_image_tag(other, "sha256:base", f));
}

}  // namespace
}  // namespace kiln

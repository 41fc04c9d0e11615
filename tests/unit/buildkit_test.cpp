// The BuildKit executor's pure parts: which variables travel, what a miss's context holds
// (package dir without target/.git, only the libraries a compilation needs, the transitive
// crates once known), the Dockerfile and script, the check of the remote's world (digests,
// absent paths, withheld variables) and the trace's identities, and the crate graph as a
// Containerfile.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "exec/buildkit/remote_check.h"
#include "exec/buildkit/remote_context.h"
#include "graph/containerfile.h"
#include "util/fs.h"

namespace kiln {
namespace {

class BuildkitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kiln-buildkit-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { (void)remove_all(dir_); }
  std::string put(const std::string& rel, const std::string& text = "x") {
    std::string p = dir_ + "/" + rel;
    (void)make_dirs(dir_name(p));
    std::ofstream(p) << text;
    return p;
  }
  // A traced rustc request for crate `pkg` with externs and a deps dir.
  ExecRequest rustc_request(const std::vector<std::string>& extra_args) {
    ExecRequest r;
    r.argv = {dir_ + "/sysroot/bin/rustc", "--crate-name", "app", "--crate-type", "lib", "-L",
              "dependency=" + dir_ + "/target/debug/deps"};
    r.argv.insert(r.argv.end(), extra_args.begin(), extra_args.end());
    r.cwd = dir_ + "/ws";
    r.env = {"CARGO_MANIFEST_DIR=" + dir_ + "/ws", "LD_PRELOAD=" + put("store/lib/libkiln_trace-1.so"),
             "KILN_TRACE_FILE=" + dir_ + "/store/tmp/trace", "PATH=/usr/bin", "SECRET_TOKEN=abc",
             "CARGO_PKG_NAME=app", "CARGO_MAKEFLAGS=--jobserver-fds=3,4"};
    r.writable_dirs = {dir_ + "/target/debug/deps"};
    return r;
  }
  std::string dir_;
};

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(BuildkitEnv, CargosAndToolchainVariablesTravelOthersStay) {
  for (const char* n : {"CARGO_PKG_NAME", "CARGO_MANIFEST_DIR", "RUSTFLAGS", "DEP_Z_INCLUDE", "OUT_DIR", "TARGET", "CC",
                        "CFLAGS_x86_64_unknown_linux_gnu", "PKG_CONFIG_PATH", "PATH", "HOME", "LC_ALL", "__CARGO_FIX_PLZ"})
    EXPECT_TRUE(remote_env_sent(n, {})) << n;
  for (const char* n : {"SSH_AUTH_SOCK", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "CARGO_MAKEFLAGS", "TMPDIR", "MY_VAR"})
    EXPECT_FALSE(remote_env_sent(n, {})) << n;
  EXPECT_TRUE(remote_env_sent("MY_VAR", {"MY_VAR"}));
}

TEST_F(BuildkitTest, BuildScriptRustcEnvTravels) {
  put("target/debug/build/gen-1/output", "cargo:rerun-if-changed=build.rs\ncargo:rustc-env=GEN_STAMP=stamp-1\n"
                                         "cargo::rustc-env=OTHER=x=y\n");
  auto names = build_script_env_names(dir_ + "/target/debug/build/gen-1/out");
  EXPECT_EQ(names, (std::vector<std::string>{"GEN_STAMP", "OTHER"}));
  std::vector<std::string> withheld;
  auto env = sendable_env({"OUT_DIR=" + dir_ + "/target/debug/build/gen-1/out", "GEN_STAMP=stamp-1", "NOPE=1"}, {},
                          &withheld);
  EXPECT_TRUE(has(env, "GEN_STAMP=stamp-1"));
  EXPECT_EQ(withheld, std::vector<std::string>{"NOPE"});
}

TEST_F(BuildkitTest, ContextHoldsThePackageAndTheLibrariesACompilationNeeds) {
  put("ws/Cargo.toml");
  put("ws/src/lib.rs");
  put("ws/target/debug/big.rlib");  // a target dir inside the package: never shipped
  put("ws/.git/HEAD");
  put("target/debug/deps/libdep-1.rmeta");
  put("target/debug/deps/libdep-1.rlib");
  put("target/debug/deps/libother-2.rmeta");
  put("target/debug/deps/libmac-3.so");
  put("target/debug/deps/dep-1.d");
  auto plan = plan_remote_action(rustc_request({"--extern", "dep=" + dir_ + "/target/debug/deps/libdep-1.rmeta"}),
                                 dir_ + "/sysroot", {}, 1 << 30);
  ASSERT_TRUE(plan) << plan.error().message;
  auto shipped = [&](const std::string& rel) { return plan->files.count(dir_ + "/" + rel) > 0; };
  EXPECT_TRUE(shipped("ws/Cargo.toml"));
  EXPECT_TRUE(shipped("ws/src/lib.rs"));
  EXPECT_FALSE(shipped("ws/target/debug/big.rlib"));
  EXPECT_FALSE(shipped("ws/.git/HEAD"));
  EXPECT_TRUE(shipped("target/debug/deps/libdep-1.rmeta"));
  EXPECT_TRUE(shipped("target/debug/deps/libother-2.rmeta"));  // transitive crates unknown: all of them
  EXPECT_TRUE(shipped("target/debug/deps/libmac-3.so"));
  EXPECT_FALSE(shipped("target/debug/deps/libdep-1.rlib")) << "a lib that does not link needs no rlib";
  EXPECT_FALSE(shipped("target/debug/deps/dep-1.d"));
  EXPECT_TRUE(shipped("store/lib/libkiln_trace-1.so"));
  // Roots: no root under another; the sysroot is mounted from the image, never shipped.
  for (size_t i = 1; i < plan->roots.size(); ++i) EXPECT_FALSE(path_is_under(plan->roots[i], plan->roots[i - 1]));
  EXPECT_TRUE(has(plan->env, "CARGO_PKG_NAME=app"));
  EXPECT_TRUE(has(plan->env, "KILN_TRACE_FILE=/kiln/out/.kiln/trace"));
  EXPECT_TRUE(has(plan->withheld, "SECRET_TOKEN"));
  EXPECT_TRUE(has(plan->withheld, "CARGO_MAKEFLAGS"));

  // Known transitive crates: only those; a linking crate gets their rlibs too.
  ClosureLookup closure = [&](const std::string&) {
    return std::optional<std::vector<std::string>>({dir_ + "/target/debug/deps/libdep-1"});
  };
  auto bin = plan_remote_action(rustc_request({"--crate-type", "bin", "--extern",
                                               "dep=" + dir_ + "/target/debug/deps/libdep-1.rlib"}),
                                dir_ + "/sysroot", {}, 1 << 30, closure);
  ASSERT_TRUE(bin) << bin.error().message;
  EXPECT_TRUE(bin->files.count(dir_ + "/target/debug/deps/libdep-1.rlib"));
  EXPECT_FALSE(bin->files.count(dir_ + "/target/debug/deps/libother-2.rmeta")) << "not a transitive crate";
}

TEST_F(BuildkitTest, WhatCannotTravel) {
  auto r = rustc_request({});
  r.argv[0] = "/usr/local/bin/my-wrapper";
  EXPECT_FALSE(plan_remote_action(r, dir_ + "/sysroot", {}, 1 << 30));
  auto untraced = rustc_request({});
  untraced.env.clear();
  EXPECT_FALSE(plan_remote_action(untraced, dir_ + "/sysroot", {}, 1 << 30));
  put("ws/big", std::string(4096, 'x'));
  EXPECT_FALSE(plan_remote_action(rustc_request({}), dir_ + "/sysroot", {}, 1000)) << "over the size cap";
}

TEST_F(BuildkitTest, DockerfileAndScript) {
  put("ws/src/lib.rs");
  auto plan = plan_remote_action(rustc_request({"-C", "incremental=" + dir_ + "/target/debug/incremental"}),
                                 dir_ + "/sysroot", {}, 1 << 30);
  ASSERT_TRUE(plan) << plan.error().message;
  std::string f = remote_dockerfile(*plan, "kiln-toolchain:1.95.0-abc");
  EXPECT_EQ(f.find("# syntax"), std::string::npos);
  EXPECT_NE(f.find("FROM kiln-toolchain:1.95.0-abc\n"), std::string::npos);
  EXPECT_NE(f.find("--mount=type=bind,from=kiln-toolchain:1.95.0-abc,source=/usr/local/rust,target=" + dir_ + "/sysroot"),
            std::string::npos);
  EXPECT_NE(f.find("source=r" + dir_ + "/ws,target=" + dir_ + "/ws,rw"), std::string::npos);
  EXPECT_NE(f.find("FROM scratch\nCOPY --from=0 /kiln/out /"), std::string::npos);
  EXPECT_EQ(plan->cache_dirs, std::vector<std::string>{dir_ + "/target/debug/incremental"});
  std::string s = remote_action_script(*plan);
  EXPECT_NE(s.find("exit 0\n"), std::string::npos) << "the build never fails for rustc's sake";
  EXPECT_NE(s.find("sha256sum"), std::string::npos);

  // The context mirror: written, then kept where nothing changed, updated where it did.
  std::string ctx = dir_ + "/slot/context";
  ASSERT_TRUE(write_remote_context(*plan, "img", ctx));
  std::string mirrored = ctx + "/r" + dir_ + "/ws/src/lib.rs";
  ASSERT_TRUE(path_exists(mirrored));
  ASSERT_TRUE(path_exists(dir_ + "/slot/Dockerfile"));
  put("ws/src/lib.rs", "changed");
  auto again = plan_remote_action(rustc_request({}), dir_ + "/sysroot", {}, 1 << 30);
  ASSERT_TRUE(again);
  ASSERT_TRUE(write_remote_context(*again, "img", ctx));
  EXPECT_EQ(*read_file(mirrored), "changed");
}

TEST_F(BuildkitTest, WorldCheckComparesWhatDidNotTravel) {
  put("ws/src/lib.rs");
  auto plan = plan_remote_action(rustc_request({}), dir_ + "/sysroot", {}, 1 << 30);
  ASSERT_TRUE(plan);
  std::map<std::string, std::string> host_files = {{"/usr/lib/crt1.o", "aa"}, {"/usr/bin/cc", "bb"}};
  HostView host;
  host.env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "SECRET_TOKEN") return "abc";
    return std::nullopt;
  };
  host.digest = [&](const std::string& p) { return host_files.count(p) ? host_files[p] : std::string(); };
  host.exists = [&](const std::string& p) { return host_files.count(p) > 0 || p == "/usr/bin/a2x"; };
  RemoteRun run;
  run.digests = {{"/usr/lib/crt1.o", "aa"}, {"/usr/bin/cc", "bb"}};
  TraceLog t;
  t.reads = {{dir_ + "/ws/src/lib.rs", {}}, {"/usr/lib/crt1.o", {}}, {dir_ + "/sysroot/lib/libstd.rlib", {}}};
  t.execs = {"/usr/bin/cc"};
  t.absent = {"/usr/lib/nothing.so", dir_ + "/target/debug/deps/app.o"};
  EXPECT_EQ(check_remote_world(*plan, run, t, host), "");

  RemoteRun differs = run;
  differs.digests["/usr/lib/crt1.o"] = "cc";
  EXPECT_NE(check_remote_world(*plan, differs, t, host).find("/usr/lib/crt1.o differs"), std::string::npos);

  TraceLog absent_here_present = t;
  absent_here_present.absent.push_back("/usr/bin/a2x");
  EXPECT_NE(check_remote_world(*plan, run, absent_here_present, host).find("/usr/bin/a2x exists here"),
            std::string::npos);

  TraceLog reads_secret = t;
  reads_secret.env = {{"SECRET_TOKEN", false}, {"PATH", false}, {"UNSET_HERE", false}};
  EXPECT_NE(check_remote_world(*plan, run, reads_secret, host).find("SECRET_TOKEN is set here but was not sent"),
            std::string::npos);
}

TEST_F(BuildkitTest, TraceGetsThisMachinesIdentities) {
  std::string src = put("ws/src/lib.rs");
  auto plan = plan_remote_action(rustc_request({}), dir_ + "/sysroot", {}, 1 << 30);
  ASSERT_TRUE(plan);
  const FileStat& shipped = plan->files.at(src);
  std::string text = "P\t12\t" + dir_ + "/sysroot/bin/rustc\nR\t" + src + "\t1 2 3 4\nA\t/nowhere\n";
  std::string host_text = remote_trace_for_host(text, *plan);
  TraceLog t = parse_trace(host_text);
  ASSERT_EQ(t.reads.size(), 1u);
  EXPECT_EQ(t.reads[0].identity.inode, shipped.inode);
  EXPECT_EQ(t.reads[0].identity.mtime_ns, shipped.mtime_ns);
  EXPECT_EQ(t.processes, 1);
  EXPECT_EQ(t.absent, std::vector<std::string>{"/nowhere"});
}

TEST_F(BuildkitTest, ContainerfileHasAStagePerActionWithItsInputs) {
  std::string deps = dir_ + "/ws/target/debug/deps";
  put("ws/Cargo.toml");
  put("ws/src/main.rs");
  put("reg/dep-1.0/src/lib.rs");
  put("ws/target/debug/deps/libdep-aa.rlib");
  put("ws/target/debug/deps/libdep-aa.rmeta");
  put("ws/target/debug/deps/app-bb");
  LoggedAction lib{"dep", "lib",
                   {"/sys/bin/rustc", "--crate-name", "dep", "--crate-type", "lib", "-C", "extra-filename=-aa",
                    "--out-dir", deps, "-L", "dependency=" + deps},
                   dir_ + "/reg/dep-1.0",
                   {"CARGO_MANIFEST_DIR=" + dir_ + "/reg/dep-1.0", "CARGO_PKG_NAME=dep", "SECRET=1"},
                   {}};
  LoggedAction bin{"app", "bin",
                   {"/sys/bin/rustc", "--crate-name", "app", "--crate-type", "bin", "-C", "extra-filename=-bb",
                    "-C", "incremental=" + dir_ + "/ws/target/debug/incremental", "--out-dir", deps, "-L",
                    "dependency=" + deps, "--extern", "dep=" + deps + "/libdep-aa.rlib"},
                   dir_ + "/ws",
                   {"CARGO_MANIFEST_DIR=" + dir_ + "/ws", "CARGO_PKG_NAME=app"},
                   {}};
  ContainerfileRequest req{{lib, bin}, dir_ + "/ws", "kiln-toolchain:x", "/sys", "app"};
  auto cf = make_containerfile(req);
  ASSERT_TRUE(cf) << cf.error().message;
  const std::string& f = cf->text;
  EXPECT_EQ(cf->stages, 2);
  EXPECT_EQ(f.find("# syntax"), std::string::npos);
  EXPECT_NE(f.find("FROM kiln-toolchain:x AS s0-dep"), std::string::npos);
  EXPECT_NE(f.find("--mount=type=bind,source=kiln-vendor/dep-1.0,target=" + dir_ + "/reg/dep-1.0"), std::string::npos);
  EXPECT_NE(f.find("--mount=type=bind,from=s0-dep,source=" + deps + "/libdep-aa.rlib,target=" + deps + "/libdep-aa.rlib"),
            std::string::npos);
  EXPECT_NE(f.find("--mount=type=bind,source=src,target=" + dir_ + "/ws/src"), std::string::npos);
  EXPECT_EQ(f.find("source=target,"), std::string::npos) << "the target dir stays out";
  EXPECT_EQ(f.find("incremental="), std::string::npos);
  EXPECT_EQ(f.find("SECRET"), std::string::npos);
  EXPECT_NE(f.find("COPY --from=s1-app " + deps + "/app-bb /app"), std::string::npos);
  EXPECT_EQ(cf->vendor.at(dir_ + "/reg/dep-1.0"), "kiln-vendor/dep-1.0");
  req.binary = "nope";
  EXPECT_FALSE(make_containerfile(req));
}

}  // namespace
}  // namespace kiln

// Tests of action keys (src/key/action_key.h) on real recorded cargo command lines moved
// into scratch workspaces: the pre-key is the same for the same build in another checkout,
// target dir, CARGO_HOME or sysroot path (portable paths), ignores the order of --cfg and -L
// and the paths of --extern files but not their contents, and changes with any argument,
// codegen option, relevant environment variable or toolchain identity. The full key changes
// with any source digest or env-dep value.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "key/action_key.h"
#include "key/path_anchors.h"
#include "rustc/invocation.h"
#include "rustc/native_cpu.h"
#include "rustc/toolchain.h"
#include "test_support.h"

namespace kiln {
namespace {

using Args = std::vector<std::string>;
using Tweak = std::function<void(Args&)>;

// Where one copy of the recorded build lives.
struct Layout {
  std::string ws;      // workspace root (cargo's cwd for workspace members)
  std::string target;  // cargo's target dir (CACHEDIR.TAG inside)
  std::string cargo_home;
  std::string sysroot;
};

Toolchain sample_toolchain(const std::string& sysroot) {
  Toolchain t;
  t.version_verbose =
      "rustc 1.95.0 (59807616e 2026-04-14)\nbinary: rustc\ncommit-hash: 59807616e1fa2540724bfbac14d7976d7e4a3860\n"
      "commit-date: 2026-04-14\nhost: x86_64-unknown-linux-gnu\nrelease: 1.95.0\nLLVM version: 22.1.2\n";
  t.host = "x86_64-unknown-linux-gnu";
  t.sysroot = sysroot;
  t.sysroot_digest = sha256("the sysroot's libraries");
  return t;
}

class ActionKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Only the variables a cargo build would set: the key must not depend on the test runner's.
    for (const char* p : {"CARGO", "RUSTC_", "CLIPPY_", "LIBRARY_PATH", "OUT_DIR", "__CARGO"}) env_.unset_prefix(p);
    a_ = make_layout("a/ws", "a/ws/target", "a/cargo-home", "/opt/rust-a");
    // Another checkout at a longer path, its target dir elsewhere (CARGO_TARGET_DIR), another
    // CARGO_HOME and the same toolchain installed elsewhere.
    b_ = make_layout("b/second-checkout", "b/cache/tgt", "b/home/.cargo", "/usr/local/rust-b");
  }

  Layout make_layout(const std::string& ws, const std::string& target, const std::string& home,
                     const std::string& sysroot) {
    Layout l{root_ / ws, root_ / target, root_ / home, sysroot};
    root_.write(target + "/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n");
    root_.write(ws + "/mylib/Cargo.toml", "[package]\nname = \"mylib\"\n");
    return l;
  }

  // The recorded command `name` as it would be run in layout `l` (paths moved), after `tweak`.
  // Every --extern file it names is created (same contents in every layout).
  Args args_in(const std::string& name, const Layout& l, const Tweak& tweak = {}) {
    auto rec = testing::recorded(name);
    size_t first = kiln::base_name(rec.command[0]) == "rustc" ? 1 : 2;
    Args args(rec.command.begin() + static_cast<std::ptrdiff_t>(first), rec.command.end());
    args = testing::replace_in(args, rec.cwd + "/target", l.target);
    args = testing::replace_in(args, rec.cwd, l.ws);
    if (tweak) tweak(args);
    auto inv = parse_rustc_invocation(args, l.ws);
    if (inv.ok()) {
      for (const auto& e : inv->externs) {
        std::string path = kiln::absolute_path(e.path, l.ws);
        if (!e.path.empty() && !kiln::path_exists(path)) write_file(path, "contents of " + e.name + " " + base_name(path).substr(base_name(path).find('.')));
      }
    }
    return args;
  }

  static void write_file(const std::string& path, const std::string& content) {
    ASSERT_TRUE(kiln::make_dirs(kiln::dir_name(path)).ok());
    ASSERT_TRUE(kiln::write_file_atomic(path, content).ok());
  }

  // cargo's environment for a rustc of package mylib in layout `l`.
  void cargo_env(const Layout& l, const std::string& crate) {
    env_.set("CARGO", l.cargo_home + "/bin/cargo");
    env_.set("CARGO_HOME", l.cargo_home);
    env_.set("CARGO_TARGET_DIR", l.target);
    env_.set("CARGO_MAKEFLAGS", "-j --jobserver-fds=3,4 --jobserver-auth=3,4");
    env_.set("CARGO_MANIFEST_DIR", l.ws + "/mylib");
    env_.set("CARGO_MANIFEST_PATH", l.ws + "/mylib/Cargo.toml");
    env_.set("CARGO_PKG_NAME", "mylib");
    env_.set("CARGO_PKG_VERSION", "0.3.1");
    env_.set("CARGO_PKG_VERSION_MAJOR", "0");
    env_.set("CARGO_PKG_AUTHORS", "");
    env_.set("CARGO_CRATE_NAME", crate);
    env_.set("CARGO_PRIMARY_PACKAGE", "1");
  }

  // The pre-key of recorded command `name` in layout `l`.
  PreKey pre_key(const std::string& name, const Layout& l, const Tweak& tweak = {},
                 std::optional<Toolchain> toolchain = std::nullopt, KeyOptions options = {}) {
    Args args = args_in(name, l, tweak);
    auto inv = parse_rustc_invocation(args, l.ws);
    EXPECT_TRUE(inv.ok());
    if (!inv.ok()) return {};
    EXPECT_EQ(inv->not_cacheable, "") << inv->not_cacheable_detail;
    Toolchain tc = toolchain ? *toolchain : sample_toolchain(l.sysroot);
    PathAnchors anchors = PathAnchors::for_invocation(*inv, tc.sysroot);
    auto pk = compute_pre_key(*inv, tc, anchors, options);
    EXPECT_TRUE(pk.ok()) << (pk.ok() ? "" : pk.error().message);
    return pk.ok() ? *pk : PreKey{};
  }

  Digest key_a(const std::string& name, const Tweak& tweak = {}) {
    cargo_env(a_, crate_of(name));
    return pre_key(name, a_, tweak).digest;
  }

  static std::string crate_of(const std::string& name) {
    return name == "bin" || name == "check-bin" ? "mytool" : name == "build-script" ? "build_script_build" : name == "proc-macro" ? "mymacro" : "mylib";
  }

  testing::ScopedEnv env_;
  testing::TempDir root_;
  Layout a_, b_;
};

TEST_F(ActionKeyTest, SameBuildInAnotherCheckoutHasTheSameKey) {
  for (const char* name : {"lib", "bin", "proc-macro", "build-script", "test-harness", "check-lib", "check-bin"}) {
    SCOPED_TRACE(name);
    cargo_env(a_, crate_of(name));
    PreKey ka = pre_key(name, a_);
    cargo_env(b_, crate_of(name));
    PreKey kb = pre_key(name, b_);
    EXPECT_EQ(ka.digest, kb.digest);
    EXPECT_EQ(ka.lines, kb.lines);
    for (const auto& line : ka.lines) {
      EXPECT_EQ(line.find(root_.path()), std::string::npos) << "machine path in key input: " << line;
      EXPECT_EQ(line.find("/opt/rust-a"), std::string::npos) << "sysroot path in key input: " << line;
    }
  }
}

TEST_F(ActionKeyTest, KeyIsDeterministic) {
  EXPECT_EQ(key_a("bin"), key_a("bin"));
  EXPECT_NE(key_a("bin"), key_a("lib"));
  EXPECT_NE(key_a("lib"), key_a("check-lib"));
  EXPECT_NE(key_a("lib"), key_a("test-harness"));
}

TEST_F(ActionKeyTest, CfgOrderDoesNotMatter) {
  auto add = [](std::vector<std::string> extra) { return [extra](Args& a) { a.insert(a.end(), extra.begin(), extra.end()); }; };
  Digest ab = key_a("lib", add({"--cfg", "feature=\"a\"", "--cfg", "feature=\"b\"", "--check-cfg", "cfg(x)", "--check-cfg", "cfg(y)"}));
  Digest ba = key_a("lib", add({"--cfg", "feature=\"b\"", "--check-cfg", "cfg(y)", "--cfg", "feature=\"a\"", "--check-cfg", "cfg(x)"}));
  Digest a = key_a("lib", add({"--cfg", "feature=\"a\"", "--check-cfg", "cfg(x)", "--check-cfg", "cfg(y)"}));
  EXPECT_EQ(ab, ba);
  EXPECT_NE(ab, a);
  EXPECT_NE(ab, key_a("lib"));
}

TEST_F(ActionKeyTest, LibPathOrderDoesNotMatter) {
  std::string n1 = a_.ws + "/native/one", n2 = a_.ws + "/native/two";
  Digest k12 = key_a("bin", [&](Args& a) { a.insert(a.end(), {"-L", "native=" + n1, "-L", "native=" + n2}); });
  Digest k21 = key_a("bin", [&](Args& a) { a.insert(a.end(), {"-L", "native=" + n2, "-L", "native=" + n1}); });
  Digest k1 = key_a("bin", [&](Args& a) { a.insert(a.end(), {"-L", "native=" + n1}); });
  EXPECT_EQ(k12, k21);
  EXPECT_NE(k12, k1);
}

TEST_F(ActionKeyTest, ExternPathsDoNotMatterButContentsDo) {
  Digest base = key_a("bin");
  // The same rlib at another path (another extra-filename, another directory).
  Args args = args_in("bin", a_);
  std::string rlib;
  for (const auto& s : args)
    if (s.rfind("mylib=", 0) == 0) rlib = s.substr(6);
  ASSERT_FALSE(rlib.empty());
  auto content = kiln::read_file(rlib);
  ASSERT_TRUE(content.ok());
  std::string moved = a_.ws + "/elsewhere/libmylib-0000000000000000.rlib";
  write_file(moved, *content);
  auto use_moved = [&](Args& a) {
    for (auto& s : a)
      if (s.rfind("mylib=", 0) == 0) s = "mylib=" + moved;
  };
  EXPECT_EQ(key_a("bin", use_moved), base);

  // Other contents at the same path: another key.
  write_file(rlib, *content + " changed");
  Digest changed = key_a("bin");
  EXPECT_NE(changed, base);
  write_file(rlib, *content);
  EXPECT_EQ(key_a("bin"), base);

  // Reordered --extern arguments: the same key; another extern name: another key.
  auto swap_externs = [](Args& a) {
    std::vector<size_t> at;
    for (size_t i = 0; i + 1 < a.size(); ++i)
      if (a[i] == "--extern") at.push_back(i + 1);
    ASSERT_EQ(at.size(), 2u);
    std::swap(a[at[0]], a[at[1]]);
  };
  EXPECT_EQ(key_a("bin", swap_externs), base);
  auto rename = [&](Args& a) {
    for (auto& s : a)
      if (s.rfind("mylib=", 0) == 0) s = "mylib_renamed=" + s.substr(6);
  };
  EXPECT_NE(key_a("bin", rename), base);
}

TEST_F(ActionKeyTest, MissingExternIsAnError) {
  cargo_env(a_, "mytool");
  Args args = args_in("bin", a_);
  std::string ghost = root_ / "gone/libghost.rlib";
  args.insert(args.end(), {"--extern", "ghost=" + ghost});
  auto inv = parse_rustc_invocation(args, a_.ws);
  ASSERT_TRUE(inv.ok());
  ASSERT_FALSE(kiln::path_exists(ghost));
  Toolchain tc = sample_toolchain(a_.sysroot);
  EXPECT_FALSE(compute_pre_key(*inv, tc, PathAnchors::for_invocation(*inv, tc.sysroot), {}).ok());
}

TEST_F(ActionKeyTest, EveryArgumentMatters) {
  auto replace = [](std::string from, std::string to) {
    return [from, to](Args& a) {
      bool found = false;
      for (auto& s : a)
        if (s == from) s = to, found = true;
      EXPECT_TRUE(found) << from;
    };
  };
  auto add = [](std::vector<std::string> extra) { return [extra](Args& a) { a.insert(a.end(), extra.begin(), extra.end()); }; };
  std::vector<std::pair<std::string, Tweak>> variants = {
      {"base", {}},
      {"edition", replace("--edition=2021", "--edition=2018")},
      {"debuginfo", replace("debuginfo=2", "debuginfo=0")},
      {"embed-bitcode", replace("embed-bitcode=no", "embed-bitcode=yes")},
      {"opt-level", add({"-C", "opt-level=3"})},
      {"target-cpu", add({"-C", "target-cpu=znver3"})},  // =native: TargetCpuNativeIsKeyedByWhatItResolvesTo
      {"codegen-units", add({"-Ccodegen-units=1"})},
      {"cfg", replace("has_build_rs", "has_build_rs_2")},
      {"check-cfg", replace("cfg(docsrs,test)", "cfg(docsrs)")},
      {"cap-lints", add({"--cap-lints", "allow"})},
      {"lint", add({"-D", "warnings"})},
      {"crate-type", replace("lib", "rlib")},
      {"emit", replace("--emit=dep-info,metadata,link", "--emit=dep-info,link")},
      {"input", replace("mylib/src/lib.rs", "mylib/src/other.rs")},
      {"target", add({"--target", "x86_64-unknown-linux-musl"})},
      {"json", replace("--json=diagnostic-rendered-ansi,artifacts,future-incompat", "--json=artifacts")},
      {"error-format", replace("--error-format=json", "--error-format=human")},
  };
  // -C metadata / extra-filename are also arguments: cargo changes them when deps change.
  Args base = args_in("lib", a_);
  for (const auto& s : base)
    if (s.rfind("metadata=", 0) == 0) variants.push_back({"metadata", replace(s, "metadata=0123456789abcdef")});
  std::set<Digest> keys;
  for (const auto& [what, tweak] : variants) {
    SCOPED_TRACE(what);
    Digest k = key_a("lib", tweak);
    EXPECT_TRUE(keys.insert(k).second) << what << " did not change the key";
  }
  EXPECT_EQ(keys.size(), variants.size());
}

TEST_F(ActionKeyTest, EnvironmentMatters) {
  cargo_env(a_, "mylib");
  Digest base = pre_key("lib", a_).digest;
  struct Case {
    const char* name;
    const char* value;
    bool matters;
  };
  const Case cases[] = {
      {"CARGO_PKG_VERSION", "0.3.2", true},
      {"CARGO_PKG_NAME", "mylib2", true},
      {"CARGO_PKG_AUTHORS", "someone", true},
      {"CARGO_PRIMARY_PACKAGE", "0", true},
      {"RUSTC_BOOTSTRAP", "1", true},
      {"CLIPPY_ARGS", "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__", true},
      {"OUT_DIR", "/x/out", true},
      // cargo's own settings and local paths that do not reach rustc's output:
      {"CARGO_HOME", "/somewhere/else", false},
      {"CARGO_TARGET_DIR", "/somewhere/else", false},
      {"CARGO_MAKEFLAGS", "-j8", false},
      {"CARGO_TERM_COLOR", "always", false},
      {"CARGO_INCREMENTAL", "0", false},
      {"CARGO", "/other/cargo", false},
      {"KILN_SOMETHING", "1", false},
      {"HOME", "/elsewhere", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    cargo_env(a_, "mylib");
    const char* old = std::getenv(c.name);
    std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
    env_.set(c.name, c.value);
    Digest k = pre_key("lib", a_).digest;
    if (c.matters) EXPECT_NE(k, base);
    else EXPECT_EQ(k, base);
    if (saved) env_.set(c.name, *saved);
    else env_.unset(c.name);
  }
  cargo_env(a_, "mylib");
  EXPECT_EQ(pre_key("lib", a_).digest, base);
}

TEST_F(ActionKeyTest, ToolchainIdentityMatters) {
  cargo_env(a_, "mylib");
  Toolchain tc = sample_toolchain(a_.sysroot);
  Digest base = pre_key("lib", a_, {}, tc).digest;
  Toolchain other_version = tc;
  other_version.version_verbose += "patched\n";
  EXPECT_NE(pre_key("lib", a_, {}, other_version).digest, base);
  Toolchain other_libs = tc;
  other_libs.sysroot_digest = sha256("rebuilt std");
  EXPECT_NE(pre_key("lib", a_, {}, other_libs).digest, base);
  Toolchain moved = tc;
  moved.sysroot = "/elsewhere/rust";
  EXPECT_EQ(pre_key("lib", a_, {}, moved).digest, base);
  EXPECT_NE(tc.identity(), other_version.identity());
  EXPECT_EQ(tc.identity(), moved.identity());
}

TEST_F(ActionKeyTest, RemapOptionMatters) {
  cargo_env(a_, "mylib");
  KeyOptions off;
  off.remap = false;
  EXPECT_NE(pre_key("lib", a_, {}, std::nullopt, off).digest, pre_key("lib", a_).digest);
}

// Two hosts: the same rustc probes give another CPU name and feature set on each.
constexpr const char* kCpusA = "Available CPUs for this target:\n    native                  - Select the CPU of the current host (currently znver3).\n    alderlake\n";
constexpr const char* kCfgA = "debug_assertions\ntarget_arch=\"x86_64\"\ntarget_feature=\"sse2\"\ntarget_feature=\"avx2\"\ntarget_feature=\"fxsr\"\n";
constexpr const char* kCpusB = "Available CPUs for this target:\n    native                  - Select the CPU of the current host (currently skylake).\n";
constexpr const char* kCfgB = "debug_assertions\ntarget_arch=\"x86_64\"\ntarget_feature=\"sse2\"\ntarget_feature=\"fxsr\"\n";

TEST(NativeCpu, KeyNamesTheCpuAndItsSortedFeatures) {
  EXPECT_EQ(native_cpu_key(kCpusA, kCfgA), "cpu=znver3 features=avx2,fxsr,sse2");
  EXPECT_EQ(native_cpu_key(kCpusB, kCfgB), "cpu=skylake features=fxsr,sse2");
  // The same features on another CPU model still schedule code differently.
  EXPECT_NE(native_cpu_key(kCpusA, kCfgB), native_cpu_key(kCpusB, kCfgB));
}

TEST_F(ActionKeyTest, TargetCpuNativeIsKeyedByWhatItResolvesTo) {
  cargo_env(a_, "mylib");
  auto native = [](Args& a) {
    a.push_back("-C");
    a.push_back("target-cpu=native");
  };
  KeyOptions on_a, on_b, on_a_again;
  on_a.native_cpu = native_cpu_key(kCpusA, kCfgA);
  on_b.native_cpu = native_cpu_key(kCpusB, kCfgB);
  on_a_again.native_cpu = native_cpu_key(kCpusA, kCfgA);
  Digest a = pre_key("lib", a_, native, std::nullopt, on_a).digest;
  EXPECT_NE(a, pre_key("lib", a_, native, std::nullopt, on_b).digest) << "a second CPU must not share the entry";
  EXPECT_EQ(a, pre_key("lib", a_, native, std::nullopt, on_a_again).digest);
  EXPECT_NE(a, pre_key("lib", a_).digest);
  // Unresolved, it is an error (the wrapper then runs rustc uncached), never the bare word.
  Args args = args_in("lib", a_, native);
  auto inv = parse_rustc_invocation(args, a_.ws);
  ASSERT_TRUE(inv.ok());
  EXPECT_TRUE(inv->native_cpu);
  Toolchain tc = sample_toolchain(a_.sysroot);
  EXPECT_FALSE(compute_pre_key(*inv, tc, PathAnchors::for_invocation(*inv, tc.sysroot), {}).ok());
}

TEST_F(ActionKeyTest, IncrementalIsKeyedButNotItsDir) {
  cargo_env(a_, "mylib");
  auto inc = [](const std::string& dir) {
    return [dir](Args& a) {
      a.push_back("-C");
      a.push_back("incremental=" + dir);
    };
  };
  Digest here = key_a("lib", inc(a_.target + "/debug/incremental"));
  EXPECT_EQ(here, key_a("lib", inc("/elsewhere/incremental"))) << "the dir is rustc's cache, not an input";
  EXPECT_NE(here, key_a("lib")) << "incremental and non-incremental outputs differ";
}

TEST_F(ActionKeyTest, WorkspaceWrapperMatters) {
  cargo_env(a_, "mylib");
  Toolchain tc = sample_toolchain(a_.sysroot);
  Args args = args_in("clippy-lib", a_);
  auto inv = parse_rustc_invocation(args, a_.ws);
  ASSERT_TRUE(inv.ok());
  PathAnchors anchors = PathAnchors::for_invocation(*inv, tc.sysroot);
  auto plain = compute_pre_key(*inv, tc, anchors, {});
  ASSERT_TRUE(plain.ok());
  std::string driver = root_.write("bin/clippy-driver", "clippy-driver v1");
  inv->workspace_wrapper = driver;
  auto clippy = compute_pre_key(*inv, tc, anchors, {});
  ASSERT_TRUE(clippy.ok());
  EXPECT_NE(clippy->digest, plain->digest);
  root_.write("bin/clippy-driver", "clippy-driver v2, longer");
  auto clippy2 = compute_pre_key(*inv, tc, anchors, {});
  ASSERT_TRUE(clippy2.ok());
  EXPECT_NE(clippy2->digest, clippy->digest);
}

TEST_F(ActionKeyTest, NativeLibraryContentsMatter) {
  std::string dir = a_.ws + "/native";
  write_file(dir + "/libfoo.a", "archive v1");
  auto link_foo = [&](Args& a) { a.insert(a.end(), {"-L", "native=" + dir, "-l", "static=foo"}); };
  Digest k1 = key_a("bin", link_foo);
  write_file(dir + "/libfoo.a", "archive v2 (longer)");
  Digest k2 = key_a("bin", link_foo);
  EXPECT_NE(k1, k2);
}

SourceSet sample_sources() {
  SourceSet s;
  s.files = {{"{{kiln:ws}}/mylib/src/banner.txt", sha256("kiln test banner\n")},
             {"{{kiln:ws}}/mylib/src/lib.rs", sha256("pub fn answer() {}")}};
  s.env_deps = {{"BUILD_GREETING", "hello from build.rs"}, {"CARGO_PKG_VERSION", "0.3.1"}, {"UNSET_VAR", std::nullopt}};
  return s;
}

TEST(FullKey, ChangesWithSourcesAndEnvDeps) {
  Digest pre = sha256("a pre-key");
  SourceSet base = sample_sources();
  Digest k = compute_full_key(pre, base);
  EXPECT_EQ(compute_full_key(pre, sample_sources()), k);
  EXPECT_NE(compute_full_key(sha256("another pre-key"), base), k);

  std::vector<std::pair<std::string, SourceSet>> variants;
  SourceSet s = base;
  s.files[1].digest = sha256("pub fn answer() { }");
  variants.push_back({"source digest", s});
  s = base;
  s.files[0].path = "{{kiln:ws}}/mylib/src/banner2.txt";
  variants.push_back({"source path", s});
  s = base;
  s.files.pop_back();
  variants.push_back({"one file fewer", s});
  s = base;
  s.env_deps[1].value = "0.3.2";
  variants.push_back({"env-dep value", s});
  s = base;
  s.env_deps[2].value = "";
  variants.push_back({"unset → empty", s});
  s = base;
  s.env_deps[0].value = std::nullopt;
  variants.push_back({"set → unset", s});
  s = base;
  s.env_deps.push_back({"ZZZ", "1"});
  variants.push_back({"extra env-dep", s});
  std::set<Digest> keys{k};
  for (const auto& [what, v] : variants) EXPECT_TRUE(keys.insert(compute_full_key(pre, v)).second) << what;
}

TEST(FullKey, PathBoundAndManifestKeysAreDistinct) {
  Digest pre = sha256("a pre-key");
  Digest full = compute_full_key(pre, sample_sources());
  PathAnchors here, there;
  here.add({"ws", "/tmp/one", "."});
  there.add({"ws", "/tmp/two", "."});
  Digest bound = compute_path_bound_key(full, here);
  EXPECT_NE(bound, full);
  EXPECT_EQ(compute_path_bound_key(full, here), bound);
  EXPECT_NE(compute_path_bound_key(full, there), bound);
  EXPECT_NE(compute_manifest_key(pre), pre);
  EXPECT_NE(compute_manifest_key(pre), full);
  EXPECT_NE(compute_manifest_key(pre), compute_manifest_key(full));
}

// A path-bound entry keyed on the anchors its outputs contain: another workspace with the same
// package dir gets the same key; another package dir, or no such anchor, does not.
TEST(FullKey, PathBoundOnTheAnchorsFound) {
  Digest full = compute_full_key(sha256("a pre-key"), sample_sources());
  PathAnchors a, b, c, d;
  a.add({"ws", "/tmp/one", "."});
  a.add({"pkg", "/usr/share/cargo/registry/serde-1.0.1", "/kiln/registry/serde-1.0.1"});
  b.add({"ws", "/tmp/two", "."});
  b.add({"pkg", "/usr/share/cargo/registry/serde-1.0.1", "/kiln/registry/serde-1.0.1"});
  c.add({"ws", "/tmp/one", "."});
  c.add({"pkg", "/home/u/.cargo/registry/src/x/serde-1.0.1", "/kiln/registry/serde-1.0.1"});
  d.add({"ws", "/tmp/one", "."});
  Digest on_pkg = compute_path_bound_key(full, a, {"pkg"});
  EXPECT_EQ(compute_path_bound_key(full, b, {"pkg"}), on_pkg) << "the workspace's path is not in the outputs";
  EXPECT_NE(compute_path_bound_key(full, c, {"pkg"}), on_pkg) << "another package dir";
  EXPECT_NE(compute_path_bound_key(full, d, {"pkg"}), on_pkg) << "no package anchor";
  EXPECT_NE(compute_path_bound_key(full, a), on_pkg) << "every anchor (an older entry, or bound by a variable)";
  EXPECT_NE(compute_path_bound_key(full, a, {"pkg", "ws"}), on_pkg);
  EXPECT_NE(compute_path_bound_key(full, a, {"pkg", "ws"}), compute_path_bound_key(full, b, {"pkg", "ws"}));
}

TEST(KeyBuilder, FieldsAreDelimited) {
  KeyBuilder a("d"), b("d"), c("other");
  a.add("ab", "c");
  b.add("a", "bc");
  c.add("ab", "c");
  Digest da = a.finish(), db = b.finish(), dc = c.finish();
  EXPECT_NE(da, db);
  EXPECT_NE(da, dc);
  EXPECT_EQ(a.lines(), (std::vector<std::string>{"domain: d", "ab: c"}));
}

}  // namespace
}  // namespace kiln

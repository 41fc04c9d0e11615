// Tests of path anchors (src/key/path_anchors.h): portable_path/local_path round trips,
// portable_text replacing only whole path components (/tmp/a must not rewrite /tmp/ab),
// --remap-path-prefix order (rustc applies the last match, so the shortest dir comes first),
// and the anchors derived for real recorded invocations (workspace member, registry crate).
#include <gtest/gtest.h>

#include "key/path_anchors.h"
#include "rustc/invocation.h"
#include "test_support.h"

namespace kiln {
namespace {

PathAnchors sample_anchors() {
  PathAnchors p;
  p.add({"sysroot", "/opt/rust/toolchain", ""});
  p.add({"ws", "/tmp/kw/ws", "."});
  p.add({"target", "/tmp/kw/ws/target", "/kiln/target"});
  p.add({"pkg", "/home/u/.cargo/registry/src/idx/serde-1.0.0", "/kiln/registry/serde-1.0.0"});
  return p;
}

TEST(PathAnchors, PortablePathUsesTheLongestAnchor) {
  PathAnchors p = sample_anchors();
  EXPECT_EQ(p.portable_path("/tmp/kw/ws/src/lib.rs"), "{{kiln:ws}}/src/lib.rs");
  EXPECT_EQ(p.portable_path("/tmp/kw/ws/target/debug/deps/libx-1.rlib"), "{{kiln:target}}/debug/deps/libx-1.rlib");
  EXPECT_EQ(p.portable_path("/tmp/kw/ws"), "{{kiln:ws}}");
  EXPECT_EQ(p.portable_path("/tmp/kw/ws/"), "{{kiln:ws}}");
  EXPECT_EQ(p.portable_path("/home/u/.cargo/registry/src/idx/serde-1.0.0/src/de.rs"), "{{kiln:pkg}}/src/de.rs");
  EXPECT_EQ(p.portable_path("/opt/rust/toolchain/lib/rustlib"), "{{kiln:sysroot}}/lib/rustlib");
  // Relative paths are relative to cwd, the ws anchor; absolute ones are normalized first.
  EXPECT_EQ(p.portable_path("src/lib.rs"), "{{kiln:ws}}/src/lib.rs");
  EXPECT_EQ(p.portable_path("/tmp/kw/ws/./src/../src//lib.rs"), "{{kiln:ws}}/src/lib.rs");
  // Not under an anchor (a sibling sharing a prefix is not under it): unchanged.
  EXPECT_EQ(p.portable_path("/tmp/kw/wsx/src/lib.rs"), "/tmp/kw/wsx/src/lib.rs");
  EXPECT_EQ(p.portable_path("/usr/lib/libz.so"), "/usr/lib/libz.so");
}

TEST(PathAnchors, LocalPathRoundTripsAndMovesToThisRunsDirs) {
  PathAnchors here = sample_anchors();
  for (std::string path : {"/tmp/kw/ws/src/lib.rs", "/tmp/kw/ws/target/debug/deps/libx-1.rlib", "/tmp/kw/ws",
                           "/home/u/.cargo/registry/src/idx/serde-1.0.0/build.rs", "/usr/lib/libz.so",
                           "/opt/rust/toolchain/lib/rustlib/x86_64-unknown-linux-gnu/lib/libstd.rlib"}) {
    EXPECT_EQ(here.local_path(here.portable_path(path)), path);
  }
  PathAnchors there;
  there.add({"ws", "/srv/ci/checkout-7", "."});
  there.add({"target", "/srv/cache/tgt", "/kiln/target"});
  EXPECT_EQ(there.local_path(here.portable_path("/tmp/kw/ws/src/lib.rs")), "/srv/ci/checkout-7/src/lib.rs");
  EXPECT_EQ(there.local_path(here.portable_path("/tmp/kw/ws/target/debug/x")), "/srv/cache/tgt/debug/x");
  EXPECT_EQ(there.portable_path("/srv/cache/tgt/debug/x"), here.portable_path("/tmp/kw/ws/target/debug/x"));
}

TEST(PathAnchors, PortableTextRespectsPathBoundaries) {
  PathAnchors p;
  p.add({"a", "/tmp/a", ""});
  EXPECT_EQ(p.portable_text("/tmp/a"), "{{kiln:a}}");
  EXPECT_EQ(p.portable_text("/tmp/ab"), "/tmp/ab");
  EXPECT_EQ(p.portable_text("/tmp/a/b"), "{{kiln:a}}/b");
  EXPECT_EQ(p.portable_text("/tmp/a-b /tmp/a_b /tmp/a.b /tmp/a~ /tmp/a+"), "/tmp/a-b /tmp/a_b /tmp/a.b /tmp/a~ /tmp/a+");
  EXPECT_EQ(p.portable_text("at /tmp/a:3:7, see '/tmp/a' and \"/tmp/a/x.rs\"\n/tmp/ab/c"),
            "at {{kiln:a}}:3:7, see '{{kiln:a}}' and \"{{kiln:a}}/x.rs\"\n/tmp/ab/c");
  // Only where a path starts: not inside a longer path, not rescanning what was replaced.
  EXPECT_EQ(p.portable_text("/var/tmp/a/x /x-/tmp/a /x./tmp/a"), "/var/tmp/a/x /x-/tmp/a /x./tmp/a");
  EXPECT_EQ(p.portable_text("/tmp/a/tmp/a"), "{{kiln:a}}/tmp/a");
  EXPECT_EQ(p.portable_text("-L/tmp/a/lib,-rpath=/tmp/a file:///tmp/a"),
            "-L{{kiln:a}}/lib,-rpath={{kiln:a}} file://{{kiln:a}}");
  EXPECT_EQ(p.portable_text("x-L/tmp/a"), "x-L/tmp/a");
  EXPECT_EQ(p.local_text("{{kiln:a}}/b and {{kiln:a}}"), "/tmp/a/b and /tmp/a");
  EXPECT_EQ(p.local_text("{{kiln:other}}/b"), "{{kiln:other}}/b");  // unknown tokens stay
}

TEST(PathAnchors, PortableTextPrefersTheLongestAnchor) {
  PathAnchors p = sample_anchors();
  std::string text = "error at /tmp/kw/ws/src/lib.rs:1; out /tmp/kw/ws/target/debug; dep /tmp/kw/wsx";
  std::string portable = p.portable_text(text);
  EXPECT_EQ(portable, "error at {{kiln:ws}}/src/lib.rs:1; out {{kiln:target}}/debug; dep /tmp/kw/wsx");
  EXPECT_EQ(p.local_text(portable), text);
}

TEST(PathAnchors, RemapArgsShortestDirFirst) {
  PathAnchors p = sample_anchors();
  // rustc applies the last matching --remap-path-prefix: the more specific target dir must
  // come after the workspace that contains it. The sysroot is not remapped.
  EXPECT_EQ(p.remap_args(), (std::vector<std::string>{
                                "--remap-path-prefix=/tmp/kw/ws=.",
                                "--remap-path-prefix=/tmp/kw/ws/target=/kiln/target",
                                "--remap-path-prefix=/home/u/.cargo/registry/src/idx/serde-1.0.0=/kiln/registry/serde-1.0.0",
                            }));
  // The order of add() does not matter.
  PathAnchors q;
  q.add({"target", "/tmp/kw/ws/target", "/kiln/target"});
  q.add({"ws", "/tmp/kw/ws", "."});
  EXPECT_EQ(q.remap_args(),
            (std::vector<std::string>{"--remap-path-prefix=/tmp/kw/ws=.", "--remap-path-prefix=/tmp/kw/ws/target=/kiln/target"}));
  ASSERT_EQ(q.anchors().size(), 2u);
  EXPECT_EQ(q.anchors()[0].name, "target");  // longest first
}

TEST(PathAnchors, AddNormalizesAndIgnoresDuplicates) {
  PathAnchors p;
  p.add({"ws", "/w/s/", "."});
  p.add({"ws", "/other", "."});      // same name
  p.add({"again", "/w/s", ""});      // same dir
  p.add({"empty", "", ""});
  ASSERT_EQ(p.anchors().size(), 1u);
  EXPECT_EQ(p.anchors()[0].dir, "/w/s");
  EXPECT_EQ(anchor_token("ws"), "{{kiln:ws}}");
}

TEST(PathAnchors, ScanDirs) {
  PathAnchors p = sample_anchors();
  p.add({"tiny", "/ab", ""});
  auto dirs = p.scan_dirs();
  EXPECT_EQ(dirs, (std::vector<std::string>{"/home/u/.cargo/registry/src/idx/serde-1.0.0", "/tmp/kw/ws/target",
                                            "/tmp/kw/ws"}));
}

TEST(PathAnchors, ForWorkspaceMember) {
  testing::TempDir root;
  testing::ScopedEnv env;
  std::string ws = root / "ws";
  root.write("ws/target/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n");
  auto rec = testing::recorded("lib");
  auto args = testing::replace_in(std::vector<std::string>(rec.command.begin() + 1, rec.command.end()), rec.cwd, ws);
  auto inv = parse_rustc_invocation(args, ws);
  ASSERT_TRUE(inv.ok());
  env.set("CARGO_MANIFEST_DIR", ws + "/mylib");
  env.set("CARGO_PKG_NAME", "mylib");
  env.set("CARGO_PKG_VERSION", "0.3.1");
  PathAnchors p = PathAnchors::for_invocation(*inv, "/opt/rust/toolchain");
  EXPECT_EQ(p.remap_args(), (std::vector<std::string>{"--remap-path-prefix=" + ws + "=.",
                                                      "--remap-path-prefix=" + ws + "/target=/kiln/target"}));
  EXPECT_EQ(p.portable_path(inv->out_dir), "{{kiln:target}}/debug/deps");
  EXPECT_EQ(p.portable_path(inv->input), "{{kiln:ws}}/mylib/src/lib.rs");
  EXPECT_EQ(p.portable_path("/opt/rust/toolchain/lib"), "{{kiln:sysroot}}/lib");
}

TEST(PathAnchors, ForRegistryCrate) {
  testing::TempDir root;
  testing::ScopedEnv env;
  auto rec = testing::recorded("registry-lib");
  // The recorded package dir and target dir, moved under the scratch dir.
  std::string pkg = root / "registry/autocfg-1.1.0";
  std::string target_dir = root / "proj/target";
  root.write("proj/target/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n");
  std::vector<std::string> args(rec.command.begin() + 1, rec.command.end());
  auto as_recorded = parse_rustc_invocation(args, rec.cwd);
  ASSERT_TRUE(as_recorded.ok());
  std::string recorded_target = kiln::dir_name(kiln::dir_name(as_recorded->out_dir));  // …/target/debug/deps
  args = testing::replace_in(testing::replace_in(args, recorded_target, target_dir), rec.cwd, pkg);
  auto inv = parse_rustc_invocation(args, pkg);
  ASSERT_TRUE(inv.ok());
  ASSERT_EQ(inv->out_dir, target_dir + "/debug/deps");
  env.set("CARGO_MANIFEST_DIR", pkg);
  env.set("CARGO_PKG_NAME", "autocfg");
  env.set("CARGO_PKG_VERSION", "1.1.0");
  PathAnchors p = PathAnchors::for_invocation(*inv, "/opt/rust/toolchain");
  EXPECT_EQ(p.portable_path(inv->input), "{{kiln:pkg}}/src/lib.rs");
  EXPECT_EQ(p.remap_args(), (std::vector<std::string>{"--remap-path-prefix=" + target_dir + "=/kiln/target",
                                                      "--remap-path-prefix=" + pkg + "=/kiln/registry/autocfg-1.1.0"}));
}

}  // namespace
}  // namespace kiln

// rustdoc runs: which command lines kiln caches (cargo doc's) and which it passes through
// (doctests, probes, flags whose effect on the doc root it does not model); the doc root's
// crate list; the root-page template.
#include <gtest/gtest.h>

#include "rustdoc/doc_root.h"
#include "rustdoc/rustdoc_invocation.h"

namespace kiln {
namespace {

RustdocInvocation parse(std::vector<std::string> args) {
  auto inv = parse_rustdoc_invocation(args, "/ws");
  EXPECT_TRUE(inv.ok());
  return inv.ok() ? *inv : RustdocInvocation{};
}

// What cargo 1.95 runs for `cargo doc` of a library with one dependency.
const std::vector<std::string> kCargoDoc = {
    "--edition=2021", "--crate-type", "lib", "--crate-name", "greet", "crates/greet/src/lib.rs", "-o",
    "/ws/target/doc", "--cfg", "feature=\"default\"", "--check-cfg", "cfg(docsrs,test)", "--error-format=json",
    "--json=diagnostic-rendered-ansi,artifacts,future-incompat", "-C", "metadata=0123", "-L",
    "dependency=/ws/target/debug/deps", "--extern", "serde=/ws/target/debug/deps/libserde-1.rmeta",
    "--crate-version", "0.1.0"};

TEST(RustdocInvocation, CargoDocIsCacheable) {
  auto inv = parse(kCargoDoc);
  EXPECT_EQ(inv.not_cacheable, "") << inv.not_cacheable_detail;
  EXPECT_EQ(inv.crate_name, "greet");
  EXPECT_EQ(inv.crate_type, "lib");
  EXPECT_EQ(inv.input, "crates/greet/src/lib.rs");
  EXPECT_EQ(inv.out_dir, "/ws/target/doc");
  EXPECT_TRUE(inv.out_dir_given);
  EXPECT_FALSE(inv.out_dir_joined);
  EXPECT_EQ(inv.args[inv.out_dir_arg], "/ws/target/doc");
  EXPECT_EQ(inv.externs, (std::vector<std::string>{"serde=/ws/target/debug/deps/libserde-1.rmeta"}));
  EXPECT_EQ(inv.dependency_dirs, (std::vector<std::string>{"/ws/target/debug/deps"}));
  EXPECT_TRUE(inv.page_args.empty());
}

TEST(RustdocInvocation, OutDirForms) {
  auto joined = parse({"--crate-name", "x", "src/lib.rs", "--out-dir=docs"});
  EXPECT_EQ(joined.out_dir, "/ws/docs");
  EXPECT_TRUE(joined.out_dir_joined);
  EXPECT_EQ(joined.args[joined.out_dir_arg], "--out-dir=docs");
  auto short_joined = parse({"--crate-name", "x", "src/lib.rs", "-oout"});
  EXPECT_EQ(short_joined.out_dir, "/ws/out");
  auto none = parse({"--crate-name", "x", "src/lib.rs"});
  EXPECT_FALSE(none.out_dir_given);
  EXPECT_EQ(none.out_dir, "/ws/doc");  // rustdoc's default
}

TEST(RustdocInvocation, DoctestsAndProbesPassThrough) {
  auto doctest = parse({"--edition=2021", "--crate-type", "lib", "--crate-name", "greet", "--test",
                        "crates/greet/src/lib.rs", "--test-args", "--nocapture", "-L", "dependency=/d"});
  EXPECT_EQ(doctest.not_cacheable, "doctest");
  EXPECT_EQ(parse({"-vV"}).not_cacheable, "probe");
  EXPECT_EQ(parse({"--version"}).not_cacheable, "probe");
  EXPECT_EQ(parse({"-"}).not_cacheable.empty(), false);
}

TEST(RustdocInvocation, FlagsThatShapeTheDocRootAreNotCached) {
  for (std::vector<std::string> extra : std::vector<std::vector<std::string>>{
           {"--resource-suffix", "-1"},
           {"--static-root-path", "/s/"},
           {"--theme", "t.css"},
           {"--enable-index-page"},
           {"--merge=finalize"},
           {"--emit=invocation-specific"},
           {"-Z", "unstable-options"},
           {"-Zunstable-options"},
           {"--output-format", "json"},
           {"--some-future-flag"}}) {
    std::vector<std::string> args = kCargoDoc;
    args.insert(args.end(), extra.begin(), extra.end());
    auto inv = parse(args);
    EXPECT_FALSE(inv.not_cacheable.empty()) << extra[0];
  }
  auto html = parse({"--crate-name", "x", "src/lib.rs", "--output-format", "html"});
  EXPECT_EQ(html.not_cacheable, "");
}

TEST(RustdocInvocation, PageFlagsAreKept) {
  auto inv = parse({"--crate-name", "x", "src/lib.rs", "--html-in-header", "katex.html", "--default-theme=ayu",
                    "--document-private-items"});
  EXPECT_EQ(inv.not_cacheable, "");
  EXPECT_EQ(inv.page_args, (std::vector<std::string>{"--html-in-header", "katex.html", "--default-theme", "ayu"}));
}

TEST(DocRoot, CratesJs) {
  EXPECT_EQ(parse_crates_js("window.ALL_CRATES = [\"dep\",\"w\"];\n//{\"start\":21,\"fragment_lengths\":[5,4]}\n"),
            (std::vector<std::string>{"dep", "w"}));
  EXPECT_TRUE(parse_crates_js("").empty());
  EXPECT_TRUE(parse_crates_js("window.ALL_CRATES = [\"de").empty());   // cut short
  EXPECT_TRUE(parse_crates_js("window.ALL_CRATES = [\"a\\\"b\"];").empty());  // not a crate name
}

TEST(DocRoot, RootPageTemplate) {
  std::string page = "<meta name=\"rustdoc-vars\" data-root-path=\"./\" data-current-crate=\"kiln_placeholder_crate\">";
  auto filled = fill_root_page(page, "greet");
  ASSERT_TRUE(filled.ok());
  EXPECT_EQ(*filled, "<meta name=\"rustdoc-vars\" data-root-path=\"./\" data-current-crate=\"greet\">");
  EXPECT_FALSE(fill_root_page("<p>no placeholder</p>", "greet").ok());
  EXPECT_FALSE(fill_root_page(page + " kiln_placeholder_crate", "greet").ok());  // twice: not the template we know
}

}  // namespace
}  // namespace kiln

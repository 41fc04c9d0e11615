// KILN_LINKER: which invocations get `-C link-arg=-fuse-ld=…` (those that link, unless the
// crate chose a linker), and the warning when the linker is not installed.
#include <gtest/gtest.h>

#include "rustc/invocation.h"
#include "rustc/linker_choice.h"

namespace kiln {
namespace {

std::string found(const std::string& name) { return "/usr/bin/" + name; }
std::string missing(const std::string&) { return ""; }

RustcInvocation parse(std::vector<std::string> args) {
  auto inv = parse_rustc_invocation(args, "/src");
  EXPECT_TRUE(inv.ok());
  return inv.ok() ? *inv : RustcInvocation{};
}

TEST(LinkerChoice, LinkingCrateTypesGetTheFlag) {
  for (const char* type : {"bin", "cdylib", "dylib", "proc-macro"}) {
    auto inv = parse({"--crate-name", "x", "--crate-type", type, "--emit=dep-info,link", "src/main.rs"});
    auto c = linker_choice("mold", inv, found);
    EXPECT_EQ(c.args, (std::vector<std::string>{"-C", "link-arg=-fuse-ld=mold"})) << type;
    EXPECT_TRUE(c.warning.empty());
  }
  auto test = parse({"--crate-name", "x", "--test", "--emit=dep-info,link", "src/lib.rs"});
  EXPECT_EQ(linker_choice("lld", test, found).args, (std::vector<std::string>{"-C", "link-arg=-fuse-ld=lld"}));
}

TEST(LinkerChoice, NothingForWhatDoesNotLinkOrChoseItsLinker) {
  auto rlib = parse({"--crate-name", "x", "--crate-type", "lib", "--emit=dep-info,metadata,link", "src/lib.rs"});
  EXPECT_TRUE(linker_choice("mold", rlib, found).args.empty());
  auto check = parse({"--crate-name", "x", "--crate-type", "bin", "--emit=dep-info,metadata", "src/main.rs"});
  EXPECT_TRUE(linker_choice("mold", check, found).args.empty());
  auto staticlib = parse({"--crate-name", "x", "--crate-type", "staticlib", "--emit=link", "src/lib.rs"});
  EXPECT_TRUE(linker_choice("mold", staticlib, found).args.empty());
  auto own = parse({"--crate-name", "x", "--crate-type", "bin", "-C", "linker=clang", "src/main.rs"});
  EXPECT_TRUE(linker_choice("mold", own, found).args.empty());
  auto fuse = parse({"--crate-name", "x", "--crate-type", "bin", "-C", "link-arg=-fuse-ld=gold", "src/main.rs"});
  EXPECT_TRUE(linker_choice("mold", fuse, found).args.empty());
  auto bin = parse({"--crate-name", "x", "--crate-type", "bin", "src/main.rs"});
  EXPECT_TRUE(linker_choice("default", bin, found).args.empty());
}

TEST(LinkerChoice, AMissingLinkerWarnsWithTheFix) {
  auto bin = parse({"--crate-name", "x", "--crate-type", "bin", "src/main.rs"});
  auto c = linker_choice("mold", bin, missing);
  EXPECT_TRUE(c.args.empty());
  EXPECT_NE(c.warning.find("apt-get install mold"), std::string::npos) << c.warning;
}

}  // namespace
}  // namespace kiln

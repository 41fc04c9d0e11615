// Tests of the dep-info parser (src/rustc/dep_info.h) on real `.d` files written by rustc
// 1.95 (tests/data/depinfo, recorded by tests/data/record-fixtures.sh): escaped spaces,
// include_str!/include_bytes! files, `# env-dep:NAME=VALUE` with escaped values, and
// `# env-dep:NAME` for variables that were unset.
#include <gtest/gtest.h>

#include "rustc/dep_info.h"
#include "test_support.h"

namespace kiln {
namespace {

DepInfo parse_fixture(const std::string& name) {
  auto info = parse_dep_info(testing::read_data("depinfo/" + name));
  EXPECT_TRUE(info.ok()) << name << ": " << (info.ok() ? "" : info.error().message);
  return info.ok() ? *info : DepInfo{};
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

TEST(DepInfo, LibWithIncludeStrEscapedSpaceAndEnvDeps) {
  DepInfo d = parse_fixture("lib.d");
  // Only the first rule counts: its single target is the .d file itself.
  ASSERT_EQ(d.targets.size(), 1u);
  EXPECT_TRUE(ends_with(d.targets[0], ".d")) << d.targets[0];
  EXPECT_EQ(d.inputs, (std::vector<std::string>{"mylib/src/lib.rs", "mylib/src/nested/mod.rs",
                                                "mylib/src/has space.rs", "mylib/src/banner.txt"}));
  EXPECT_EQ(d.env_deps, (std::vector<EnvDep>{{"BUILD_GREETING", "hello from build.rs"},
                                             {"CARGO_PKG_VERSION", "0.3.1"},
                                             {"KILN_TEST_SURELY_UNSET_VAR", std::nullopt}}));
}

TEST(DepInfo, EnvValuesAreUnescaped) {
  DepInfo d = parse_fixture("envlib.d");
  EXPECT_EQ(d.targets, std::vector<std::string>{"out/envlib.d"});
  // Absolute paths with escaped spaces; '#' in a file name is not escaped by rustc.
  ASSERT_EQ(d.inputs.size(), 2u);
  EXPECT_TRUE(ends_with(d.inputs[0], "/dir with space/envlib.rs")) << d.inputs[0];
  EXPECT_TRUE(ends_with(d.inputs[1], "/dir with space/data#1.bin")) << d.inputs[1];
  EXPECT_EQ(d.inputs[0][0], '/');
  // rustc writes "\n", "\r" and "\\" for newline, carriage return and backslash (a tab stays
  // as is); the first '=' ends the name.
  EXPECT_EQ(d.env_deps, (std::vector<EnvDep>{{"KILN_BACKSLASH", "C:\\dir\\x=1"},
                                             {"KILN_CR", "a\rb\tc"},
                                             {"KILN_ML", "line1\nline2"},
                                             {"KILN_NOT_SET_ANYWHERE", std::nullopt}}));
}

TEST(DepInfo, SetButEmptyIsNotUnset) {
  // clippy-driver records CLIPPY_ARGS (set to "") and CLIPPY_CONF_DIR (unset), and adds Cargo.toml.
  DepInfo d = parse_fixture("clippy-build-script.d");
  EXPECT_EQ(d.inputs, (std::vector<std::string>{"mylib/build.rs", "Cargo.toml"}));
  ASSERT_EQ(d.env_deps.size(), 2u);
  EXPECT_EQ(d.env_deps[0], (EnvDep{"CLIPPY_ARGS", std::string()}));
  EXPECT_EQ(d.env_deps[1], (EnvDep{"CLIPPY_CONF_DIR", std::nullopt}));
}

TEST(DepInfo, BinAndBuildScript) {
  DepInfo bin = parse_fixture("bin.d");
  EXPECT_EQ(bin.inputs, std::vector<std::string>{"mylib/src/main.rs"});
  EXPECT_TRUE(bin.env_deps.empty());
  DepInfo bs = parse_fixture("build-script.d");
  EXPECT_EQ(bs.inputs, std::vector<std::string>{"mylib/build.rs"});
  EXPECT_TRUE(ends_with(bs.targets.at(0), ".d"));
}

TEST(DepInfo, OnlyTheFirstRuleIsRead) {
  auto d = parse_dep_info("a.d: x.rs y.rs\n\nliba.rlib: x.rs y.rs z.rs\n\nx.rs:\ny.rs:\n");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->targets, std::vector<std::string>{"a.d"});
  EXPECT_EQ(d->inputs, (std::vector<std::string>{"x.rs", "y.rs"}));
}

TEST(DepInfo, ColonsInPaths) {
  // rustc escapes only spaces in paths; the rule's ':' is the one followed by a space.
  auto d = parse_dep_info("/tmp/a:b/x.d: src/a:b.rs c\\ d.rs\n");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->targets, std::vector<std::string>{"/tmp/a:b/x.d"});
  EXPECT_EQ(d->inputs, (std::vector<std::string>{"src/a:b.rs", "c d.rs"}));
}

TEST(DepInfo, RuleWithoutInputsAndEnvDepsBeforeIt) {
  auto d = parse_dep_info("# env-dep:A=1\nx.d:\n");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->targets, std::vector<std::string>{"x.d"});
  EXPECT_TRUE(d->inputs.empty());
  EXPECT_EQ(d->env_deps, (std::vector<EnvDep>{{"A", "1"}}));
}

TEST(DepInfo, NoRuleIsAnError) {
  EXPECT_FALSE(parse_dep_info("").ok());
  EXPECT_FALSE(parse_dep_info("\n\n").ok());
  EXPECT_FALSE(parse_dep_info("# env-dep:A=1\n").ok());
  EXPECT_FALSE(parse_dep_info("not a rule\n").ok());
}

}  // namespace
}  // namespace kiln

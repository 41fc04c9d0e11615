// kiln explain's reasoning (explain/miss_log.h): the nearest earlier record, the key lines that
// differ in words, the lookup's own reasons, eviction, a crate never seen.
#include <gtest/gtest.h>

#include "explain/miss_log.h"

namespace kiln {
namespace {

MissRecord rec(int64_t t, const std::string& pre_key, std::vector<std::string> lines, std::string reason = "no-manifest",
               std::vector<std::string> details = {}) {
  return {t, "s" + std::to_string(t), "greet", "lib", "greet", pre_key, std::move(lines), std::move(reason),
          std::move(details)};
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& l : v) s += l + "\n";
  return s;
}

TEST(Explain, NeverHad) {
  auto text = joined(*explain_miss({rec(1000, "a", {"toolchain: t1"})}, ""));
  EXPECT_NE(text.find("never had greet (lib)"), std::string::npos) << text;
}

TEST(Explain, KeyLinesThatDiffer) {
  std::vector<MissRecord> r = {
      rec(1000, "a", {"toolchain: t1", "arg --cfg: feature=\"x\"", "arg -C: metadata=1", "env: CARGO_PKG_VERSION=1.0.0",
                      "extern: :serde rmeta d1"}),
      rec(2000, "b", {"toolchain: t2", "arg --cfg: feature=\"y\"", "arg -C: metadata=2", "env: CARGO_PKG_VERSION=1.1.0",
                      "extern: :serde rmeta d2"})};
  auto text = joined(*explain_miss(r, ""));
  EXPECT_NE(text.find("the toolchain changed"), std::string::npos) << text;
  EXPECT_NE(text.find("--cfg feature=\"y\" added"), std::string::npos) << text;
  EXPECT_NE(text.find("--cfg feature=\"x\" removed"), std::string::npos) << text;
  EXPECT_NE(text.find("cargo's -C metadata changed"), std::string::npos) << text;
  EXPECT_NE(text.find("variable CARGO_PKG_VERSION: 1.0.0 → 1.1.0"), std::string::npos) << text;
  EXPECT_NE(text.find("dependency serde is another build"), std::string::npos) << text;
}

TEST(Explain, LookupReasonsAndEviction) {
  auto files = joined(*explain_miss({rec(1000, "a", {}), rec(2000, "a", {}, "no-set-matches", {"src/lib.rs: size differs"})}, ""));
  EXPECT_NE(files.find("src/lib.rs: size differs"), std::string::npos) << files;
  auto env = joined(*explain_miss({rec(2000, "a", {}, "no-entry", {"WHO=bob", "QNX_TARGET unset"})}, ""));
  EXPECT_NE(env.find("  WHO=bob"), std::string::npos) << env;
  EXPECT_NE(env.find("unset: QNX_TARGET"), std::string::npos) << env;
  auto gone = joined(*explain_miss({rec(1000, "a", {"toolchain: t"}), rec(2000, "a", {"toolchain: t"})}, ""));
  EXPECT_NE(gone.find("is gone now"), std::string::npos) << gone;
  EXPECT_FALSE(explain_miss({rec(1000, "a", {})}, "other-session"));
  EXPECT_TRUE(explain_miss({rec(1000, "a", {})}, "s1000"));
}

}  // namespace
}  // namespace kiln

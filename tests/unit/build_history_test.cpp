// The build history (stats/build_history.h): appended, read back, trimmed, formatted.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "stats/build_history.h"
#include "util/fs.h"

namespace kiln {
namespace {

TEST(BuildHistory, AppendReadFormat) {
  char tmpl[] = "/tmp/kiln-history-test.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  StatsSummary cold, warm;
  cold.misses = 30;
  warm.hits = 30;
  warm.time_saved_ms = 18600;
  append_build_record(dir, make_build_record(cold, 1'796'177'786'000, 14'800, "build", "/w", 0));
  append_build_record(dir, make_build_record(warm, 1'796'177'802'000, 900, "build --release", "/w", 101));
  auto h = read_build_history(dir);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1].hits, 30u);
  EXPECT_EQ(h[1].exit_code, 101);
  std::string text = format_build_history(h, false);
  EXPECT_NE(text.find("100.0%"), std::string::npos) << text;
  EXPECT_NE(text.find("(exit 101)"), std::string::npos) << text;
  EXPECT_NE(text.find("2 builds, 15.7 s in all, hit rate 50.0%, 18.6 s of rustc saved"), std::string::npos) << text;
  EXPECT_NE(format_build_history(h, true).find("\"hit_rate\": 100.0"), std::string::npos);
  for (int i = 0; i < 5000; ++i) append_build_record(dir, make_build_record(cold, i, 1, "check", "/w", 0));
  EXPECT_LT(read_build_history(dir).size(), 5002u) << "trimmed past 512 KiB";
  EXPECT_GE(read_build_history(dir).size(), 1000u);
  (void)remove_all(dir);
}

}  // namespace
}  // namespace kiln

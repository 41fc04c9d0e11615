// The build report's page (report/report_html.h): lanes, bars and rows with their outcomes,
// slowest misses first, no network references, escaping.
#include <gtest/gtest.h>

#include "report/report_html.h"

namespace kiln {
namespace {

TimelineEntry unit(const std::string& crate, const std::string& outcome, int64_t start, int64_t end,
                   const std::string& label = "lib") {
  TimelineEntry e;
  e.crate = crate;
  e.label = label;
  e.outcome = outcome;
  e.start_ms = start;
  e.end_ms = end;
  return e;
}

TEST(Report, LanesReuseFreedSlots) {
  std::vector<TimelineEntry> u = {unit("a", "miss", 0, 100), unit("b", "miss", 10, 50), unit("c", "hit-local", 60, 70),
                                  unit("d", "miss", 101, 120)};
  EXPECT_EQ(assign_lanes(u), (std::vector<int>{0, 1, 1, 0}));
}

TEST(Report, PageHasEveryUnitSortedAndSelfContained) {
  ReportInput in;
  in.session = "s1";
  in.title = "cargo kiln build <in> /w";
  in.units = {unit("fast", "miss", 0, 10), unit("slow", "miss", 0, 900), unit("hit", "hit-remote", 5, 6),
              unit("build_script_build", "hit-local", 1, 2, "run")};
  std::string h = render_report(in);
  EXPECT_NE(h.find("data-crate=\"slow\" data-label=\"lib\" data-outcome=\"miss\""), std::string::npos);
  EXPECT_NE(h.find("data-outcome=\"hit-remote\""), std::string::npos);
  EXPECT_NE(h.find("unit hit-local run"), std::string::npos) << "build-script runs are marked";
  EXPECT_LT(h.find("<tr class=\"row\" data-crate=\"slow\""), h.find("<tr class=\"row\" data-crate=\"fast\""))
      << "slowest misses first";
  EXPECT_NE(h.find("&lt;in&gt;"), std::string::npos) << "escaped";
  EXPECT_EQ(h.find("http://"), std::string::npos);
  EXPECT_EQ(h.find("https://"), std::string::npos);
  EXPECT_NE(h.find("1 / 1"), std::string::npos) << "build-script runs cached";
}

}  // namespace
}  // namespace kiln

// The build report's page (report/report_html.h): lanes, bars and rows with their outcomes,
// slowest misses first, no network references, escaping.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#include "report/report_html.h"
#include "report/timeline.h"

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

// Each unit's bytes per remote: a hit's fetch recorded with it, a background store's uploads
// as an amendment folded into its miss; the page shows them per unit.
TEST(Report, UnitBytesPerRemoteStore) {
  std::string dir = std::filesystem::temp_directory_path() / ("kiln-timeline-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  TimelineEntry hit = unit("serde", "hit-remote", 0, 5);
  hit.pid = 10;
  hit.stores = {{"redis://127.0.0.1:6379", 4096, 0}};
  TimelineEntry miss = unit("greet", "miss", 0, 900);
  miss.pid = 11;
  append_timeline(dir, "s", hit);
  append_timeline(dir, "s", miss);
  TimelineEntry up = miss;
  up.outcome = "uploaded";
  up.stores = {{"redis://127.0.0.1:6379", 0, 70000}, {"oci://127.0.0.1:5000/c", 0, 70000}};
  append_timeline(dir, "s", up);
  auto t = read_timeline(dir, "s");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->size(), 2u) << "the amendment is folded into its miss";
  EXPECT_EQ((*t)[0].stores.size(), 1u);
  EXPECT_EQ((*t)[0].stores[0].fetched, 4096u);
  EXPECT_EQ((*t)[1].outcome, "miss");
  ASSERT_EQ((*t)[1].stores.size(), 2u);
  EXPECT_EQ((*t)[1].stores[1].store, "oci://127.0.0.1:5000/c");
  EXPECT_EQ((*t)[1].stores[1].uploaded, 70000u);

  ReportInput in;
  in.session = "s";
  in.units = *t;
  std::string h = render_report(in);
  EXPECT_NE(h.find("data-store=\"redis://127.0.0.1:6379\" data-fetched=\"4096\" data-uploaded=\"0\""), std::string::npos);
  EXPECT_NE(h.find("data-store=\"oci://127.0.0.1:5000/c\" data-fetched=\"0\" data-uploaded=\"70000\""), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kiln

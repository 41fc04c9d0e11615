// `kiln stats --format openmetrics`: families typed before their samples, counters as
// NAME_total, units as suffixes, label values escaped, and the closing "# EOF".
#include <gtest/gtest.h>

#include <sstream>

#include "stats/openmetrics.h"

namespace kiln {
namespace {

TEST(OpenMetrics, CountersGaugesLabelsAndEof) {
  StatsSummary s;
  s.hits = 84;
  s.misses = 3;
  s.not_cached["probe"] = 3;
  s.by_crate_type["lib"] = {60, 2};
  s.time_saved_ms = 41000;
  s.hit_ms_p50 = 3.3;
  StoreEvent e;
  e.store = "oci://127.0.0.1:5000/\"kiln\"";
  e.hits = 5;
  e.bytes_down = 1000;
  e.wire_down = 300;
  s.stores[e.store] = e;
  std::string text = format_openmetrics(s, 2048, 7);
  EXPECT_NE(text.find("# TYPE kiln_hits counter\n"), std::string::npos);
  EXPECT_NE(text.find("\nkiln_hits_total 84\n"), std::string::npos);
  EXPECT_NE(text.find("kiln_not_cached_total{reason=\"probe\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("kiln_crate_type_misses_total{crate_type=\"lib\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("# UNIT kiln_time_saved_seconds seconds\n"), std::string::npos);
  EXPECT_NE(text.find("kiln_time_saved_seconds_total 41\n"), std::string::npos);
  EXPECT_NE(text.find("kiln_remote_bytes_total{store=\"oci://127.0.0.1:5000/\\\"kiln\\\"\",direction=\"down\",measure=\"wire\"} 300\n"),
            std::string::npos);
  EXPECT_NE(text.find("kiln_store_size_bytes 2048\n"), std::string::npos);
  EXPECT_NE(text.find("kiln_hit_duration_p50_seconds 0.0033\n"), std::string::npos);
  ASSERT_GE(text.size(), 6u);
  EXPECT_EQ(text.substr(text.size() - 6), "# EOF\n");
  // Every sample line belongs to the family typed last before it.
  std::istringstream in(text);
  std::string line, family;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) family = line.substr(7, line.find(' ', 7) - 7);
    else if (!line.empty() && line[0] != '#') EXPECT_EQ(line.rfind(family, 0), 0u) << line;
  }
}

}  // namespace
}  // namespace kiln

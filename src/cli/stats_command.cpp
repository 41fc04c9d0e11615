// `kiln stats`: counts since the last `--zero` for the store in KILN_DIR, as text, JSON or
// OpenMetrics (stats/openmetrics.h).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "config/config.h"
#include "stats/build_history.h"
#include "stats/openmetrics.h"
#include "stats/stats.h"
#include "store/local/store_usage.h"

namespace kiln {

int run_stats_command(bool json, bool zero, const std::string& format, bool history) {
  Config cfg = load_config();
  if (history) {
    std::fputs(format_build_history(read_build_history(cfg.dir), json || format == "json").c_str(), stdout);
    return 0;
  }
  if (zero) {
    zero_stats(cfg.dir);
    std::printf("kiln: statistics zeroed for %s\n", cfg.dir.c_str());
    return 0;
  }
  StatsSummary s = read_stats(cfg.dir);
  StoreUsage u = store_usage(cfg.dir);
  if (format == "openmetrics") {
    std::fputs(format_openmetrics(s, u.bytes, u.entries).c_str(), stdout);
    return 0;
  }
  if (format == "json") json = true;
  else if (!format.empty() && format != "text") {
    std::fprintf(stderr, "kiln: error: --format takes text, json or openmetrics, not %s\n", format.c_str());
    return 2;
  }
  nlohmann::json j;
  j["store"] = cfg.dir;
  j["hits"] = s.hits;
  j["direct_hits"] = s.direct_hits;
  j["misses"] = s.misses;
  j["errors"] = s.errors;
  j["not_cached"] = nlohmann::json::object();
  for (const auto& [k, v] : s.not_cached) j["not_cached"][k] = v;
  j["by_crate_type"] = nlohmann::json::object();
  for (const auto& [k, v] : s.by_crate_type) j["by_crate_type"][k] = {{"hits", v.first}, {"misses", v.second}};
  j["time_saved_ms"] = static_cast<int64_t>(s.time_saved_ms);
  j["hit_ms_p50"] = s.hit_ms_p50;
  j["hit_ms_p95"] = s.hit_ms_p95;
  j["corrupt"] = s.corrupt;
  j["evicted_files"] = s.evicted_files;
  j["evicted_bytes"] = s.evicted_bytes;
  j["store_bytes"] = u.bytes;
  j["store_entries"] = u.entries;
  j["stores"] = nlohmann::json::object();
  for (const auto& [name, st] : s.stores)
    j["stores"][name] = {{"hits", st.hits},           {"misses", st.misses},         {"errors", st.errors},
                         {"timeouts", st.timeouts},   {"bytes_down", st.bytes_down}, {"bytes_up", st.bytes_up},
                         {"wire_down", st.wire_down}, {"wire_up", st.wire_up}};
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("store              %s\n", cfg.dir.c_str());
  std::printf("hits               %llu (direct %llu)\n", (unsigned long long)s.hits, (unsigned long long)s.direct_hits);
  std::printf("misses             %llu\n", (unsigned long long)s.misses);
  std::printf("not cached         %llu\n", (unsigned long long)s.not_cached_total());
  for (const auto& [k, v] : s.not_cached) std::printf("  %-16s %llu\n", k.c_str(), (unsigned long long)v);
  std::printf("errors             %llu\n", (unsigned long long)s.errors);
  for (const auto& [k, v] : s.by_crate_type)
    std::printf("  %-16s %llu hits, %llu misses\n", k.c_str(), (unsigned long long)v.first,
                (unsigned long long)v.second);
  std::printf("time saved         %.1f s\n", s.time_saved_ms / 1000.0);
  std::printf("hit time           p50 %.1f ms, p95 %.1f ms\n", s.hit_ms_p50, s.hit_ms_p95);
  std::printf("store size         %.1f MiB in %llu entries\n", u.bytes / 1048576.0, (unsigned long long)u.entries);
  std::printf("corrupt files      %llu (removed; each was a miss)\n", (unsigned long long)s.corrupt);
  std::printf("evicted            %llu files, %.1f MiB\n", (unsigned long long)s.evicted_files,
              s.evicted_bytes / 1048576.0);
  auto mib = [](uint64_t b) { return static_cast<double>(b) / 1048576.0; };
  for (const auto& [name, st] : s.stores)
    std::printf("remote %s: %llu hits, %llu misses, %llu errors, %llu timeouts; down %.1f MiB on the wire for %.1f MiB, "
                "up %.1f MiB on the wire for %.1f MiB\n",
                name.c_str(), (unsigned long long)st.hits, (unsigned long long)st.misses,
                (unsigned long long)st.errors, (unsigned long long)st.timeouts, mib(st.wire_down), mib(st.bytes_down),
                mib(st.wire_up), mib(st.bytes_up));
  return 0;
}

}  // namespace kiln

// The build history (see build_history.h).
#include "stats/build_history.h"


#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "util/fs.h"
#include "util/text.h"

namespace kiln {
namespace {

constexpr size_t kKeep = 1000;

std::string history_path(const std::string& store_dir) { return path_join(store_dir, "history.jsonl"); }

double hit_rate(uint64_t hits, uint64_t misses) {
  return hits + misses == 0 ? 0.0 : 100.0 * static_cast<double>(hits) / static_cast<double>(hits + misses);
}

}  // namespace

BuildRecord make_build_record(const StatsSummary& s, int64_t unix_ms, int64_t wall_ms, const std::string& command,
                              const std::string& dir, int exit_code) {
  return {unix_ms, wall_ms, command, dir, exit_code, s.hits, s.misses, s.not_cached_total(),
          static_cast<int64_t>(s.time_saved_ms)};
}

void append_build_record(const std::string& store_dir, const BuildRecord& r) {
  nlohmann::json j = {{"t", r.unix_ms},       {"wall_ms", r.wall_ms}, {"command", r.command},
                      {"dir", r.dir},         {"exit", r.exit_code},  {"hits", r.hits},
                      {"misses", r.misses},   {"not_cached", r.not_cached}, {"saved_ms", r.saved_ms}};
  (void)append_record(history_path(store_dir), j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                      512 * 1024, kKeep);
}

std::vector<BuildRecord> read_build_history(const std::string& store_dir) {
  std::vector<BuildRecord> out;
  auto text = read_file(history_path(store_dir));
  if (!text) return out;
  for (auto line : split_lines(*text)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    BuildRecord r;
    r.unix_ms = j.value("t", int64_t{0});
    r.wall_ms = j.value("wall_ms", int64_t{0});
    r.command = j.value("command", "");
    r.dir = j.value("dir", "");
    r.exit_code = j.value("exit", 0);
    r.hits = j.value("hits", uint64_t{0});
    r.misses = j.value("misses", uint64_t{0});
    r.not_cached = j.value("not_cached", uint64_t{0});
    r.saved_ms = j.value("saved_ms", int64_t{0});
    out.push_back(std::move(r));
  }
  return out;
}

std::string format_build_history(const std::vector<BuildRecord>& history, bool json) {
  if (json) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& r : history)
      a.push_back({{"unix_ms", r.unix_ms}, {"wall_ms", r.wall_ms}, {"command", r.command}, {"dir", r.dir},
                   {"exit", r.exit_code}, {"hits", r.hits}, {"misses", r.misses}, {"not_cached", r.not_cached},
                   {"hit_rate", hit_rate(r.hits, r.misses)}, {"saved_ms", r.saved_ms}});
    return a.dump(2) + "\n";
  }
  std::string out = "when (UTC)            time   hits misses  hit %   saved  command\n";
  uint64_t hits = 0, misses = 0;
  int64_t saved = 0, wall = 0;
  for (const auto& r : history) {
    std::time_t t = static_cast<std::time_t>(r.unix_ms / 1000);
    char when[32], line[512];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", std::gmtime(&t));
    std::snprintf(line, sizeof line, "%s %6.1fs %6llu %6llu %5.1f%% %6.1fs  %s%s\n", when, r.wall_ms / 1000.0,
                  static_cast<unsigned long long>(r.hits), static_cast<unsigned long long>(r.misses),
                  hit_rate(r.hits, r.misses), r.saved_ms / 1000.0, r.command.c_str(),
                  r.exit_code ? (" (exit " + std::to_string(r.exit_code) + ")").c_str() : "");
    out += line;
    hits += r.hits;
    misses += r.misses;
    saved += r.saved_ms;
    wall += r.wall_ms;
  }
  char total[256];
  std::snprintf(total, sizeof total, "%zu builds, %.1f s in all, hit rate %.1f%%, %.1f s of rustc saved\n",
                history.size(), wall / 1000.0, hit_rate(hits, misses), saved / 1000.0);
  return out + total;
}

}  // namespace kiln

// Sharded append-only stats (see stats.h). Line format, tab-separated:
//   e <session> <outcome> <crate type> <reason> <kiln ms> <saved ms>
//   s <store> <hits> <misses> <errors> <timeouts> <bytes down> <bytes up>
#include "stats/stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

#include "util/fs.h"

namespace kiln {
namespace {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::DirectHit: return "direct_hit";
    case Outcome::Hit: return "hit";
    case Outcome::Miss: return "miss";
    case Outcome::NotCached: return "not_cached";
    case Outcome::Error: return "error";
  }
  return "?";
}

std::string clean(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n') c = ' ';
  return s.empty() ? "-" : s;
}

void append_line(const std::string& dir, const std::string& line) {
  std::string sdir = dir + "/stats";
  std::string path = sdir + "/events." + std::to_string(::getpid() % 16) + ".log";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (!make_dirs(sdir)) return;
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
  }
  ssize_t r = ::write(fd, line.data(), line.size());
  (void)r;
  ::close(fd);
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, '\t')) out.push_back(f);
  return out;
}

}  // namespace

uint64_t StatsSummary::not_cached_total() const {
  uint64_t n = 0;
  for (const auto& [k, v] : not_cached) n += v;
  return n;
}

void record_event(const std::string& dir, const StatsEvent& e) {
  char nums[64];
  std::snprintf(nums, sizeof nums, "%.3f\t%.1f", e.kiln_ms, e.saved_ms);
  append_line(dir, "e\t" + clean(e.session) + "\t" + outcome_name(e.outcome) + "\t" + clean(e.crate_type) + "\t" +
                       clean(e.reason) + "\t" + nums + "\n");
}

void record_store_event(const std::string& dir, const StoreEvent& e) {
  append_line(dir, "s\t" + clean(e.store) + "\t" + std::to_string(e.hits) + "\t" + std::to_string(e.misses) + "\t" +
                       std::to_string(e.errors) + "\t" + std::to_string(e.timeouts) + "\t" +
                       std::to_string(e.bytes_down) + "\t" + std::to_string(e.bytes_up) + "\n");
}

StatsSummary read_stats(const std::string& dir, const std::optional<std::string>& session) {
  StatsSummary s;
  std::vector<double> hit_ms;
  std::string sdir = dir + "/stats";
  for (const auto& name : list_dir(sdir)) {
    if (name.rfind("events.", 0) != 0) continue;
    auto text = read_file(sdir + "/" + name);
    if (!text) continue;
    std::stringstream ss(*text);
    std::string line;
    while (std::getline(ss, line)) {
      auto f = split_tabs(line);
      if (f.size() == 7 && f[0] == "e") {
        if (session && f[1] != *session) continue;
        const std::string& o = f[2];
        const std::string& ct = f[3];
        double kms = std::atof(f[5].c_str()), saved = std::atof(f[6].c_str());
        if (o == "hit" || o == "direct_hit") {
          ++s.hits;
          if (o == "direct_hit") ++s.direct_hits;
          ++s.by_crate_type[ct].first;
          s.time_saved_ms += saved;
          hit_ms.push_back(kms);
        } else if (o == "miss") {
          ++s.misses;
          ++s.by_crate_type[ct].second;
        } else if (o == "not_cached") {
          ++s.not_cached[f[4]];
        } else if (o == "error") {
          ++s.errors;
          ++s.error_reasons[f[4]];
        }
      } else if (f.size() == 8 && f[0] == "s" && !session) {
        auto& st = s.stores[f[1]];
        st.store = f[1];
        st.hits += std::stoull(f[2]);
        st.misses += std::stoull(f[3]);
        st.errors += std::stoull(f[4]);
        st.timeouts += std::stoull(f[5]);
        st.bytes_down += std::stoull(f[6]);
        st.bytes_up += std::stoull(f[7]);
      }
    }
  }
  if (!hit_ms.empty()) {
    std::sort(hit_ms.begin(), hit_ms.end());
    auto pct = [&](double p) { return hit_ms[std::min(hit_ms.size() - 1, static_cast<size_t>(p * (hit_ms.size() - 1) + 0.5))]; };
    s.hit_ms_p50 = pct(0.5);
    s.hit_ms_p95 = pct(0.95);
  }
  return s;
}

void zero_stats(const std::string& dir) {
  std::string sdir = dir + "/stats";
  for (const auto& name : list_dir(sdir))
    if (name.rfind("events.", 0) == 0) ::truncate((sdir + "/" + name).c_str(), 0);
}

}  // namespace kiln

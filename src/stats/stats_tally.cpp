// Summing stats lines into a tally (see stats_tally.h).
#include "stats/stats_tally.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

namespace kiln {
namespace {

std::mt19937_64& rng() {
  static thread_local std::mt19937_64 r{std::random_device{}()};
  return r;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (true) {
    size_t j = line.find('\t', i);
    if (j == std::string_view::npos) {
      out.push_back(line.substr(i));
      break;
    }
    out.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool to_u64(std::string_view s, uint64_t& v) {
  if (s.empty() || s.size() > 20) return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

bool to_double(std::string_view s, double& v) {
  if (s.empty() || s.size() > 40) return false;
  std::string t(s);
  char* end = nullptr;
  v = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size() && std::isfinite(v);
}

nlohmann::json u64_map(const std::map<std::string, uint64_t>& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

void read_u64_map(const nlohmann::json& j, std::map<std::string, uint64_t>& m) {
  if (!j.is_object()) return;
  for (const auto& [k, v] : j.items())
    if (v.is_number_unsigned()) m[k] += v.get<uint64_t>();
}

uint64_t u64(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

double dbl(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

}  // namespace

void StatsTally::add_hit_ms(double ms, bool exact) {
  if (exact) {
    exact_.push_back(ms);
    return;
  }
  ++seen_;
  if (reservoir_.size() < capacity_) {
    reservoir_.push_back(ms);
    return;
  }
  uint64_t j = std::uniform_int_distribution<uint64_t>(0, seen_ - 1)(rng());
  if (j < reservoir_.size()) reservoir_[j] = ms;
}

bool StatsTally::add_line(std::string_view line, const std::optional<std::string>& session, bool exact) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  auto f = split_tabs(line);
  if (f.empty()) return false;
  if (f[0] == "e" && f.size() == 7) {
    double kms = 0, saved = 0;
    if (!to_double(f[5], kms) || !to_double(f[6], saved)) return false;
    if (session && f[1] != *session) return true;
    std::string_view o = f[2];
    std::string ct(f[3]);
    if (o == "hit" || o == "direct_hit") {
      ++sum_.hits;
      if (o == "direct_hit") ++sum_.direct_hits;
      ++sum_.by_crate_type[ct].first;
      sum_.time_saved_ms += saved;
      add_hit_ms(kms, exact);
    } else if (o == "miss") {
      ++sum_.misses;
      ++sum_.by_crate_type[ct].second;
    } else if (o == "not_cached") {
      ++sum_.not_cached[std::string(f[4])];
    } else if (o == "unstored") {  // a background store amends the miss its wrapper counted
      ++sum_.unstored;               // (the miss may be in another tally: subtracted in summary())
      ++sum_.not_cached[std::string(f[4])];
    } else if (o == "error") {
      ++sum_.errors;
      ++sum_.error_reasons[std::string(f[4])];
    } else {
      return false;
    }
    return true;
  }
  if (session) return f[0] == "s" || f[0] == "c" || f[0] == "v";
  if (f[0] == "s" && (f.size() == 8 || f.size() == 10)) {  // older kilns wrote no wire bytes
    uint64_t n[8] = {};
    for (size_t i = 0; i + 2 < f.size(); ++i)
      if (!to_u64(f[2 + i], n[i])) return false;
    if (f.size() == 8) n[6] = n[4], n[7] = n[5];  // then raw was what travelled
    auto& st = sum_.stores[std::string(f[1])];
    st.store = std::string(f[1]);
    st.hits += n[0];
    st.misses += n[1];
    st.errors += n[2];
    st.timeouts += n[3];
    st.bytes_down += n[4];
    st.bytes_up += n[5];
    st.wire_down += n[6];
    st.wire_up += n[7];
    return true;
  }
  if (f[0] == "c" && f.size() == 2) {
    uint64_t n = 0;
    if (!to_u64(f[1], n)) return false;
    sum_.corrupt += n;
    return true;
  }
  if (f[0] == "v" && f.size() == 3) {
    uint64_t files = 0, bytes = 0;
    if (!to_u64(f[1], files) || !to_u64(f[2], bytes)) return false;
    sum_.evicted_files += files;
    sum_.evicted_bytes += bytes;
    return true;
  }
  return false;
}

void StatsTally::add_text(std::string_view text, const std::optional<std::string>& session, bool exact) {
  // With a session only its own event lines count (add_line ignores the rest): those are
  // told by their first bytes, so the others are skipped unparsed. `cargo kiln` reads its
  // session after every build, and a long-lived store's shards hold ~2 MiB of other lines
  // (parsing them all cost ~15 ms per build).
  std::string prefix = session ? "e\t" + *session + "\t" : std::string();
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string_view::npos) break;  // an unfinished line (a write cut short): skip
    bool counted = !session || text.compare(i, prefix.size(), prefix) == 0;
    if (j > i && counted) add_line(text.substr(i, j - i), session, exact);
    i = j + 1;
  }
}

void StatsTally::merge(const StatsTally& o) {
  sum_.hits += o.sum_.hits;
  sum_.direct_hits += o.sum_.direct_hits;
  sum_.misses += o.sum_.misses;
  sum_.unstored += o.sum_.unstored;
  sum_.errors += o.sum_.errors;
  for (const auto& [k, v] : o.sum_.not_cached) sum_.not_cached[k] += v;
  for (const auto& [k, v] : o.sum_.by_crate_type) {
    sum_.by_crate_type[k].first += v.first;
    sum_.by_crate_type[k].second += v.second;
  }
  for (const auto& [k, v] : o.sum_.error_reasons) sum_.error_reasons[k] += v;
  for (const auto& [k, v] : o.sum_.stores) {
    auto& st = sum_.stores[k];
    st.store = k;
    st.hits += v.hits;
    st.misses += v.misses;
    st.errors += v.errors;
    st.timeouts += v.timeouts;
    st.bytes_down += v.bytes_down;
    st.bytes_up += v.bytes_up;
    st.wire_down += v.wire_down;
    st.wire_up += v.wire_up;
  }
  sum_.time_saved_ms += o.sum_.time_saved_ms;
  sum_.corrupt += o.sum_.corrupt;
  sum_.evicted_files += o.sum_.evicted_files;
  sum_.evicted_bytes += o.sum_.evicted_bytes;
  exact_.insert(exact_.end(), o.exact_.begin(), o.exact_.end());
  if (o.reservoir_.empty()) return;
  if (reservoir_.empty()) {
    reservoir_ = o.reservoir_;
    seen_ = o.seen_;
  } else {
    // Weighted sampling without replacement (Efraimidis–Spirakis): each sample stands for
    // seen/size hits of its reservoir; keep the `capacity_` largest keys u^(1/w).
    std::vector<std::pair<double, double>> keyed;
    double wa = static_cast<double>(seen_) / static_cast<double>(reservoir_.size());
    double wb = static_cast<double>(o.seen_) / static_cast<double>(o.reservoir_.size());
    std::uniform_real_distribution<double> u(1e-12, 1.0);
    for (double v : reservoir_) keyed.emplace_back(std::pow(u(rng()), 1.0 / wa), v);
    for (double v : o.reservoir_) keyed.emplace_back(std::pow(u(rng()), 1.0 / wb), v);
    size_t keep = std::min(capacity_, keyed.size());
    std::partial_sort(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(keep), keyed.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    reservoir_.clear();
    for (size_t i = 0; i < keep; ++i) reservoir_.push_back(keyed[i].second);
    seen_ += o.seen_;
  }
}

StatsSummary StatsTally::summary() const {
  StatsSummary s = sum_;
  s.misses -= std::min(s.misses, s.unstored);
  std::vector<std::pair<double, double>> samples;  // (ms, weight)
  double w = reservoir_.empty() ? 0.0 : static_cast<double>(seen_) / static_cast<double>(reservoir_.size());
  for (double v : reservoir_) samples.emplace_back(v, w);
  for (double v : exact_) samples.emplace_back(v, 1.0);
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  double total = 0;
  for (const auto& p : samples) total += p.second;
  auto pct = [&](double p) {
    double target = p * total, cum = 0;
    for (const auto& [v, wt] : samples) {
      cum += wt;
      if (cum >= target) return v;
    }
    return samples.back().first;
  };
  s.hit_ms_p50 = pct(0.5);
  s.hit_ms_p95 = pct(0.95);
  return s;
}

nlohmann::json StatsTally::to_json() const {
  nlohmann::json j;
  j["hits"] = sum_.hits;
  j["direct_hits"] = sum_.direct_hits;
  j["misses"] = sum_.misses;
  j["unstored"] = sum_.unstored;
  j["errors"] = sum_.errors;
  j["not_cached"] = u64_map(sum_.not_cached);
  j["error_reasons"] = u64_map(sum_.error_reasons);
  j["by_crate_type"] = nlohmann::json::object();
  for (const auto& [k, v] : sum_.by_crate_type) j["by_crate_type"][k] = {v.first, v.second};
  j["stores"] = nlohmann::json::object();
  for (const auto& [k, v] : sum_.stores)
    j["stores"][k] = {v.hits, v.misses, v.errors, v.timeouts, v.bytes_down, v.bytes_up, v.wire_down, v.wire_up};
  j["time_saved_ms"] = sum_.time_saved_ms;
  j["corrupt"] = sum_.corrupt;
  j["evicted_files"] = sum_.evicted_files;
  j["evicted_bytes"] = sum_.evicted_bytes;
  // Exact samples of a reading tally are not stored; a stored tally only has its reservoir.
  j["hit_ms_seen"] = seen_;
  j["hit_ms"] = reservoir_;
  return j;
}

StatsTally StatsTally::from_json(const nlohmann::json& j, size_t capacity) {
  StatsTally t(capacity);
  if (!j.is_object()) return t;
  t.sum_.hits = u64(j, "hits");
  t.sum_.direct_hits = u64(j, "direct_hits");
  t.sum_.misses = u64(j, "misses");
  t.sum_.unstored = u64(j, "unstored");
  t.sum_.errors = u64(j, "errors");
  if (auto it = j.find("not_cached"); it != j.end()) read_u64_map(*it, t.sum_.not_cached);
  if (auto it = j.find("error_reasons"); it != j.end()) read_u64_map(*it, t.sum_.error_reasons);
  if (auto it = j.find("by_crate_type"); it != j.end() && it->is_object())
    for (const auto& [k, v] : it->items())
      if (v.is_array() && v.size() == 2 && v[0].is_number_unsigned() && v[1].is_number_unsigned())
        t.sum_.by_crate_type[k] = {v[0].get<uint64_t>(), v[1].get<uint64_t>()};
  if (auto it = j.find("stores"); it != j.end() && it->is_object())
    for (const auto& [k, v] : it->items()) {
      if (!v.is_array() || (v.size() != 6 && v.size() != 8)) continue;
      bool ok = true;
      for (const auto& x : v) ok = ok && x.is_number_unsigned();
      if (!ok) continue;
      StoreEvent& st = t.sum_.stores[k];
      st.store = k;
      st.hits = v[0];
      st.misses = v[1];
      st.errors = v[2];
      st.timeouts = v[3];
      st.bytes_down = v[4];
      st.bytes_up = v[5];
      st.wire_down = v.size() == 8 ? v[6].get<uint64_t>() : st.bytes_down;
      st.wire_up = v.size() == 8 ? v[7].get<uint64_t>() : st.bytes_up;
    }
  t.sum_.time_saved_ms = dbl(j, "time_saved_ms");
  t.sum_.corrupt = u64(j, "corrupt");
  t.sum_.evicted_files = u64(j, "evicted_files");
  t.sum_.evicted_bytes = u64(j, "evicted_bytes");
  t.seen_ = u64(j, "hit_ms_seen");
  if (auto it = j.find("hit_ms"); it != j.end() && it->is_array())
    for (const auto& v : *it)
      if (v.is_number() && t.reservoir_.size() < capacity) t.reservoir_.push_back(v.get<double>());
  if (t.seen_ < t.reservoir_.size()) t.seen_ = t.reservoir_.size();
  return t;
}

}  // namespace kiln

// OpenMetrics text for kiln's counters (see openmetrics.h).
#include "stats/openmetrics.h"

#include <cstdio>

namespace kiln {
namespace {

// A label value with backslash, quote and newline escaped (OpenMetrics ABNF: escaped-string).
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

struct Writer {
  std::string out;
  void family(const std::string& name, const char* type, const std::string& help, const std::string& unit = "") {
    out += "# TYPE " + name + " " + type + "\n";
    if (!unit.empty()) out += "# UNIT " + name + " " + unit + "\n";
    out += "# HELP " + name + " " + help + "\n";
  }
  void sample(const std::string& name, const std::string& labels, const std::string& value) {
    out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + value + "\n";
  }
  void counter(const std::string& name, const std::string& help, uint64_t v) {
    family(name, "counter", help);
    sample(name + "_total", "", std::to_string(v));
  }
};

}  // namespace

std::string format_openmetrics(const StatsSummary& s, uint64_t store_bytes, uint64_t store_entries) {
  Writer w;
  w.counter("kiln_hits", "Actions served from a store (direct hits included).", s.hits);
  w.counter("kiln_direct_hits", "Hits that started no rustc.", s.direct_hits);
  w.counter("kiln_misses", "Actions that ran and were stored.", s.misses);
  w.counter("kiln_errors", "Internal errors after which kiln ran the real tool.", s.errors);
  w.family("kiln_not_cached", "counter", "Actions kiln ran without caching, by reason.");
  for (const auto& [reason, n] : s.not_cached) w.sample("kiln_not_cached_total", "reason=\"" + label(reason) + "\"", std::to_string(n));
  w.family("kiln_crate_type_hits", "counter", "Hits by crate type.");
  for (const auto& [type, hm] : s.by_crate_type)
    w.sample("kiln_crate_type_hits_total", "crate_type=\"" + label(type) + "\"", std::to_string(hm.first));
  w.family("kiln_crate_type_misses", "counter", "Misses by crate type.");
  for (const auto& [type, hm] : s.by_crate_type)
    w.sample("kiln_crate_type_misses_total", "crate_type=\"" + label(type) + "\"", std::to_string(hm.second));
  w.family("kiln_time_saved_seconds", "counter", "Time the hits' actions took when they ran.", "seconds");
  w.sample("kiln_time_saved_seconds_total", "", num(s.time_saved_ms / 1000.0));
  w.counter("kiln_corrupt_files", "Damaged store files found on read and removed (each a miss).", s.corrupt);
  w.counter("kiln_evicted_files", "Files evicted to keep the local store under its cap.", s.evicted_files);
  w.family("kiln_evicted_bytes", "counter", "Bytes evicted from the local store.", "bytes");
  w.sample("kiln_evicted_bytes_total", "", std::to_string(s.evicted_bytes));
  const std::pair<const char*, uint64_t StoreEvent::*> per_store[] = {
      {"hits", &StoreEvent::hits}, {"misses", &StoreEvent::misses}, {"errors", &StoreEvent::errors}, {"timeouts", &StoreEvent::timeouts}};
  for (const auto& [what, field] : per_store) {
    std::string name = std::string("kiln_remote_") + what;
    w.family(name, "counter", std::string("Remote store ") + what + ", by store.");
    for (const auto& [store, e] : s.stores) w.sample(name + "_total", "store=\"" + label(store) + "\"", std::to_string(e.*field));
  }
  w.family("kiln_remote_bytes", "counter", "Bytes moved to and from remote stores: raw content, and as sent on the wire.", "bytes");
  for (const auto& [store, e] : s.stores) {
    std::string l = "store=\"" + label(store) + "\"";
    w.sample("kiln_remote_bytes_total", l + ",direction=\"down\",measure=\"raw\"", std::to_string(e.bytes_down));
    w.sample("kiln_remote_bytes_total", l + ",direction=\"down\",measure=\"wire\"", std::to_string(e.wire_down));
    w.sample("kiln_remote_bytes_total", l + ",direction=\"up\",measure=\"raw\"", std::to_string(e.bytes_up));
    w.sample("kiln_remote_bytes_total", l + ",direction=\"up\",measure=\"wire\"", std::to_string(e.wire_up));
  }
  w.family("kiln_store_size_bytes", "gauge", "Size of the local store.", "bytes");
  w.sample("kiln_store_size_bytes", "", std::to_string(store_bytes));
  w.family("kiln_store_entries", "gauge", "Entries in the local store.");
  w.sample("kiln_store_entries", "", std::to_string(store_entries));
  w.family("kiln_hit_duration_p50_seconds", "gauge", "Median time of a hit.", "seconds");
  w.sample("kiln_hit_duration_p50_seconds", "", num(s.hit_ms_p50 / 1000.0));
  w.family("kiln_hit_duration_p95_seconds", "gauge", "95th percentile time of a hit.", "seconds");
  w.sample("kiln_hit_duration_p95_seconds", "", num(s.hit_ms_p95 / 1000.0));
  w.out += "# EOF\n";
  return w.out;
}

}  // namespace kiln

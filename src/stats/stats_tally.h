// Summing stats lines: the event line format, and a tally that can be stored (JSON) and
// merged. Line format (tab-separated, one line per record, written by stats.cpp):
//   e <session> <outcome> <crate type> <reason> <kiln ms> <saved ms>     one invocation
//     (outcome "unstored": a background store did not store the miss counted before it)
//   s <store> <hits> <misses> <errors> <timeouts> <bytes down> <bytes up> [<wire down> <wire up>]
//                                                                         a remote's counters (raw
//                                                                         bytes, and on the wire)
//   c <n>                                                                 corrupt files found
//   v <files> <bytes>                                                     files evicted
// Hit times go into a reservoir sample (Vitter's algorithm R) of at most `capacity` values, so
// a folded summary stays small yet keeps p50/p95 approximately; lines not yet folded are
// kept exactly and weigh 1 each against the reservoir's seen/size.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stats/stats.h"

namespace kiln {

/// Counters plus hit-time samples.
class StatsTally {
 public:
  /// `capacity`: size of the hit-time reservoir.
  explicit StatsTally(size_t capacity = 1024) : capacity_(capacity) {}

  /// Adds one line. `session`: count only `e` lines of that session (and no others).
  /// `exact`: keep its hit time as an exact sample (reading) rather than in the reservoir
  /// (folding). Malformed lines are ignored; returns false for them.
  bool add_line(std::string_view line, const std::optional<std::string>& session, bool exact);

  /// Adds all the lines of a text (a shard's contents).
  void add_text(std::string_view text, const std::optional<std::string>& session, bool exact);

  /// Adds another tally (reservoirs are merged by weighted sampling).
  void merge(const StatsTally& other);

  /// The counters with p50/p95 of the hit times.
  StatsSummary summary() const;

  /// Stored form; and back (a malformed value gives an empty tally).
  nlohmann::json to_json() const;
  static StatsTally from_json(const nlohmann::json& j, size_t capacity = 1024);

  /// Number of hit-time samples the reservoir stands for.
  uint64_t hits_sampled() const { return seen_; }

 private:
  void add_hit_ms(double ms, bool exact);

  size_t capacity_;
  StatsSummary sum_;
  uint64_t seen_ = 0;              // hit times offered to the reservoir
  std::vector<double> reservoir_;  // ≤ capacity_
  std::vector<double> exact_;      // weight 1 each
};

}  // namespace kiln

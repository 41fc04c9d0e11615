// Sharded append-only stats (see stats.h); the line format is in stats_tally.h, folding in
// stats_fold.h.
#include "stats/stats.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "stats/stats_fold.h"
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
    case Outcome::Unstored: return "unstored";
  }
  return "?";
}

std::string clean(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n') c = ' ';
  return s.empty() ? "-" : s;
}

// Appends one line to this process's shard without waiting (see stats.h): a shared,
// non-blocking flock while writing; when it is refused or the shard was renamed since we
// opened it, the shard is being folded and the line goes to the fresh shard instead.
// The record starts with a newline too: should a write ever be cut short (a full disk), the
// fragment it left is ended by the next record instead of swallowing it (empty and malformed
// lines are skipped when summing).
void append_line(const std::string& dir, const std::string& text) {
  const std::string line = "\n" + text;
  std::string sdir = dir + "/stats";
  std::string path = sdir + "/events." + std::to_string(::getpid() % 16) + ".log";
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      if (errno != ENOENT || !make_dirs(sdir)) return;
      fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0) return;
    }
    struct stat mine {}, named {};
    if (::flock(fd, LOCK_SH | LOCK_NB) != 0 || ::fstat(fd, &mine) != 0 || ::stat(path.c_str(), &named) != 0 ||
        mine.st_ino != named.st_ino || mine.st_dev != named.st_dev) {
      ::close(fd);
      ::sched_yield();
      continue;
    }
    ssize_t r = ::write(fd, line.data(), line.size());
    ::close(fd);
    if (r > 0 && static_cast<uint64_t>(mine.st_size) + line.size() >= stats_fold_threshold())
      fold_stats(dir, stats_fold_threshold(), false);
    return;
  }
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
                       std::to_string(e.bytes_down) + "\t" + std::to_string(e.bytes_up) + "\t" +
                       std::to_string(e.wire_down) + "\t" + std::to_string(e.wire_up) + "\n");
}

void record_corrupt(const std::string& dir, uint64_t n) { append_line(dir, "c\t" + std::to_string(n) + "\n"); }

void record_eviction(const std::string& dir, uint64_t files, uint64_t bytes) {
  append_line(dir, "v\t" + std::to_string(files) + "\t" + std::to_string(bytes) + "\n");
}

StatsSummary read_stats(const std::string& dir, const std::optional<std::string>& session) {
  return read_folded_stats(dir, session);
}

void zero_stats(const std::string& dir) { clear_folded_stats(dir); }

}  // namespace kiln

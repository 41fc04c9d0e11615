// Folding stats shards into a summary (protocol in stats_fold.h).
#include "stats/stats_fold.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <map>
#include <random>
#include <set>

#include "stats/stats_tally.h"
#include "util/clock.h"
#include "util/fs.h"

namespace kiln {
namespace {

constexpr size_t kTotalsReservoir = 1024;
constexpr size_t kMaxSessions = 64;
constexpr size_t kMaxFoldedIds = 256;

struct Summary {
  StatsTally totals{kTotalsReservoir};
  struct Session {
    uint64_t seq = 0;
    StatsTally tally{0};
  };
  std::map<std::string, Session> sessions;
  uint64_t next_seq = 1;
  std::deque<std::string> folded;  // ids of fold files already counted
};

Summary load_summary(const std::string& sdir) {
  Summary s;
  auto text = read_file(sdir + "/summary.json");
  if (!text) return s;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return s;
  if (auto it = j.find("totals"); it != j.end()) s.totals = StatsTally::from_json(*it, kTotalsReservoir);
  if (auto it = j.find("next_seq"); it != j.end() && it->is_number_unsigned()) s.next_seq = *it;
  if (auto it = j.find("sessions"); it != j.end() && it->is_object())
    for (const auto& [id, v] : it->items()) {
      if (!v.is_object()) continue;
      Summary::Session ss;
      if (auto q = v.find("seq"); q != v.end() && q->is_number_unsigned()) ss.seq = *q;
      if (auto t = v.find("tally"); t != v.end()) ss.tally = StatsTally::from_json(*t, 0);
      s.sessions[id] = std::move(ss);
    }
  if (auto it = j.find("folded"); it != j.end() && it->is_array())
    for (const auto& v : *it)
      if (v.is_string()) s.folded.push_back(v);
  return s;
}

Status save_summary(const std::string& sdir, const Summary& s) {
  nlohmann::json j;
  j["version"] = 1;
  j["totals"] = s.totals.to_json();
  j["next_seq"] = s.next_seq;
  j["sessions"] = nlohmann::json::object();
  for (const auto& [id, ss] : s.sessions) j["sessions"][id] = {{"seq", ss.seq}, {"tally", ss.tally.to_json()}};
  j["folded"] = s.folded;
  return write_file_atomic(sdir + "/summary.json", j.dump());
}

// Session id of an "e" line ("" for other lines or no session).
std::string_view line_session(std::string_view line) {
  if (line.size() < 3 || line[0] != 'e' || line[1] != '\t') return {};
  size_t end = line.find('\t', 2);
  if (end == std::string_view::npos) return {};
  std::string_view s = line.substr(2, end - 2);
  return s == "-" ? std::string_view{} : s;
}

void fold_text(Summary& s, std::string_view text, std::set<std::string>& touched) {
  s.totals.add_text(text, std::nullopt, false);
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string_view::npos) break;
    std::string_view line = text.substr(i, j - i);
    i = j + 1;
    std::string_view sid = line_session(line);
    if (sid.empty()) continue;
    std::string id(sid);
    s.sessions[id].tally.add_line(line, id, false);
    touched.insert(id);
  }
}

// Reads a fold file once no appender still holds it (exclusive flock). nullopt: gone.
std::optional<std::string> read_locked(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
  }
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string unique_id() {
  static thread_local std::mt19937_64 r{std::random_device{}()};
  return std::to_string(::getpid()) + "-" + std::to_string(wall_ns()) + "-" + std::to_string(r() % 1000000);
}

bool is_shard(const std::string& name) {
  return name.rfind("events.", 0) == 0 && name.size() > 11 && name.compare(name.size() - 4, 4, ".log") == 0;
}

// "fold.<id>.log" → id, else "".
std::string fold_id(const std::string& name) {
  if (name.rfind("fold.", 0) != 0 || name.size() <= 9 || name.compare(name.size() - 4, 4, ".log") != 0) return {};
  return name.substr(5, name.size() - 9);
}

// flock on summary.lock; -1 when not acquired (busy with `nonblock`, or no lock file possible:
// then `unlocked_ok` says whether to go on without it — a read-only store has no folds).
int lock_summary(const std::string& sdir, int op, bool& unlocked_ok) {
  std::string p = sdir + "/summary.lock";
  int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  unlocked_ok = fd < 0;
  if (fd < 0) return -1;
  int r;
  while ((r = ::flock(fd, op)) != 0 && errno == EINTR) {
  }
  if (r != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

uint64_t stats_fold_threshold() {
  static const uint64_t t = [] {
    const char* v = std::getenv("KILN_STATS_FOLD_BYTES");
    if (v && *v) {
      char* end = nullptr;
      unsigned long long n = std::strtoull(v, &end, 10);
      if (end && *end == '\0' && n > 0) return static_cast<uint64_t>(n);
    }
    return static_cast<uint64_t>(128 * 1024);
  }();
  return t;
}

bool fold_stats(const std::string& dir, uint64_t min_bytes, bool wait) {
  std::string sdir = dir + "/stats";
  bool unlocked_ok = false;
  int lock = lock_summary(sdir, wait ? LOCK_EX : LOCK_EX | LOCK_NB, unlocked_ok);
  if (lock < 0) return false;
  Summary s = load_summary(sdir);
  std::set<std::string> already(s.folded.begin(), s.folded.end());
  std::vector<std::string> done;  // fold files counted in the summary we are about to write
  std::set<std::string> touched;
  bool changed = false;
  for (const auto& name : list_dir(sdir)) {
    std::string path = sdir + "/" + name;
    if (std::string id = fold_id(name); !id.empty()) {
      if (!already.count(id)) {  // left by a fold that was killed before writing the summary
        if (auto text = read_locked(path)) fold_text(s, *text, touched);
        s.folded.push_back(id);
        changed = true;
      }
      done.push_back(path);
      continue;
    }
    if (!is_shard(name)) continue;
    auto st = stat_file(path);
    if (!st || st->size == 0 || st->size < min_bytes) continue;
    std::string id = unique_id();
    std::string fold = sdir + "/fold." + id + ".log";
    if (::rename(path.c_str(), fold.c_str()) != 0) continue;
    if (auto text = read_locked(fold)) fold_text(s, *text, touched);
    s.folded.push_back(id);
    done.push_back(fold);
    changed = true;
  }
  bool ok = true;
  if (changed) {
    for (const auto& id : touched) s.sessions[id].seq = s.next_seq++;
    while (s.sessions.size() > kMaxSessions) {
      auto oldest = std::min_element(s.sessions.begin(), s.sessions.end(),
                                     [](const auto& a, const auto& b) { return a.second.seq < b.second.seq; });
      s.sessions.erase(oldest);
    }
    while (s.folded.size() > kMaxFoldedIds) s.folded.pop_front();
    ok = save_summary(sdir, s).ok();
  }
  if (ok)
    for (const auto& p : done) ::unlink(p.c_str());
  ::close(lock);
  return ok;
}

StatsSummary read_folded_stats(const std::string& dir, const std::optional<std::string>& session) {
  std::string sdir = dir + "/stats";
  bool unlocked_ok = false;
  int lock = lock_summary(sdir, LOCK_SH, unlocked_ok);
  Summary s = load_summary(sdir);
  std::set<std::string> folded(s.folded.begin(), s.folded.end());
  StatsTally tally;
  if (session) {
    if (auto it = s.sessions.find(*session); it != s.sessions.end()) tally.merge(it->second.tally);
  } else {
    tally.merge(s.totals);
  }
  for (const auto& name : list_dir(sdir)) {
    std::string id = fold_id(name);
    if (!is_shard(name) && (id.empty() || folded.count(id))) continue;
    auto text = read_file(sdir + "/" + name);
    if (text) tally.add_text(*text, session, true);
  }
  if (lock >= 0) ::close(lock);
  return tally.summary();
}

void clear_folded_stats(const std::string& dir) {
  std::string sdir = dir + "/stats";
  bool unlocked_ok = false;
  int lock = lock_summary(sdir, LOCK_EX, unlocked_ok);
  ::unlink((sdir + "/summary.json").c_str());
  for (const auto& name : list_dir(sdir)) {
    std::string path = sdir + "/" + name;
    if (is_shard(name)) ::truncate(path.c_str(), 0);
    else if (!fold_id(name).empty()) ::unlink(path.c_str());
  }
  if (lock >= 0) ::close(lock);
}

}  // namespace kiln

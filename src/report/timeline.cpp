// Writing and reading session timelines (see timeline.h).
#include "report/timeline.h"


#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "util/fs.h"
#include "util/text.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

std::string sessions_dir(const std::string& store_dir) { return path_join(store_dir, "sessions"); }

std::string timeline_path(const std::string& store_dir, const std::string& session) {
  std::string safe;
  for (char c : session) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '_';
  return path_join(sessions_dir(store_dir), safe + ".jsonl");
}

// Timelines, newest first.
std::vector<fs::path> timelines(const std::string& store_dir) {
  std::vector<std::pair<fs::file_time_type, fs::path>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(sessions_dir(store_dir), ec))
    if (e.path().extension() == ".jsonl") found.emplace_back(e.last_write_time(ec), e.path());
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<fs::path> out;
  for (auto& f : found) out.push_back(f.second);
  return out;
}

}  // namespace

void append_timeline(const std::string& store_dir, const std::string& session, const TimelineEntry& e) {
  if (session.empty()) return;
  std::string path = timeline_path(store_dir, session);
  nlohmann::json j = {{"crate", e.crate}, {"package", e.package}, {"label", e.label}, {"outcome", e.outcome},
                      {"reason", e.reason}, {"start", e.start_ms}, {"end", e.end_ms}, {"saved_ms", e.saved_ms},
                      {"bytes", e.bytes}, {"key", e.key}, {"pid", e.pid}};
  if (!e.stores.empty()) {
    nlohmann::json stores = nlohmann::json::array();
    for (const auto& s : e.stores)
      stores.push_back({{"store", s.store}, {"fetched", s.fetched}, {"uploaded", s.uploaded}});
    j["stores"] = stores;
  }
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (!append_record(path, line) && make_dirs(sessions_dir(store_dir))) (void)append_record(path, line);
}

Result<std::vector<TimelineEntry>> read_timeline(const std::string& store_dir, const std::string& session) {
  auto text = read_file(timeline_path(store_dir, session));
  if (!text) return make_error("no timeline for session " + session + " in " + sessions_dir(store_dir));
  std::vector<TimelineEntry> out;
  for (auto line : split_lines(*text)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    TimelineEntry e;
    e.crate = j.value("crate", "");
    e.package = j.value("package", "");
    e.label = j.value("label", "");
    e.outcome = j.value("outcome", "");
    e.reason = j.value("reason", "");
    e.start_ms = j.value("start", int64_t{0});
    e.end_ms = j.value("end", int64_t{0});
    e.saved_ms = j.value("saved_ms", 0.0);
    e.bytes = j.value("bytes", uint64_t{0});
    e.key = j.value("key", "");
    e.pid = j.value("pid", 0);
    if (auto st = j.find("stores"); st != j.end() && st->is_array())
      for (const auto& x : *st)
        if (x.is_object())
          e.stores.push_back({x.value("store", ""), x.value("fetched", uint64_t{0}), x.value("uploaded", uint64_t{0})});
    // A background store's amendments, to the latest miss of the same wrapper and crate.
    auto amended = [&](bool unstored_too) -> TimelineEntry* {
      for (auto it = out.rbegin(); it != out.rend(); ++it)
        if (it->pid == e.pid && it->crate == e.crate && (it->outcome == "miss" || (unstored_too && it->outcome == "unstored")))
          return &*it;
      return nullptr;
    };
    if (e.outcome == "uploaded") {  // what its miss uploaded
      if (TimelineEntry* m = amended(true))
        for (const auto& s : e.stores) {
          auto same = std::find_if(m->stores.begin(), m->stores.end(), [&](const auto& x) { return x.store == s.store; });
          if (same == m->stores.end()) m->stores.push_back(s);
          else same->fetched += s.fetched, same->uploaded += s.uploaded;
        }
      continue;
    }
    if (e.outcome == "unstored") {  // its miss was not stored
      if (TimelineEntry* m = amended(false)) {
        m->outcome = "unstored";
        m->reason = e.reason;
      }
      continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string latest_session(const std::string& store_dir) {
  auto t = timelines(store_dir);
  return t.empty() ? "" : t.front().stem().string();
}

void prune_timelines(const std::string& store_dir, size_t keep) {
  auto t = timelines(store_dir);
  std::error_code ec;
  for (size_t i = keep; i < t.size(); ++i) fs::remove(t[i], ec);
}

}  // namespace kiln
